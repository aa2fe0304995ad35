"""TrainingPipeline API calls: the PipelineService RPCs bound to ``job_api``, and outputs.

A custom-task TrainingPipeline is created, watched, cancelled and deleted like any
long-running job (``job_api.py``); here its RPCs and ``PIPELINE_STATE_*`` states are
named, and the live pipeline is read into the resource's outputs: its backing CustomJob
(``training_task_metadata.backingCustomJob``), the Model it uploaded
(``model_to_upload.name`` and ``version_id``) and ``AIP_MODEL_DIR``.

Example:
    >>> from pulumi_vertex_training.provider import job_api
    >>> name = "projects/p/locations/l/trainingPipelines/1"
    >>> live = job_api.get(TRAINING_PIPELINES, name)  # doctest: +SKIP
    >>> backing_job(live)  # doctest: +SKIP
    'projects/p/locations/l/customJobs/7'
"""

from __future__ import annotations

from typing import Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import job_api
from pulumi_vertex_training.provider.custom_job_api import output_dirs
from pulumi_vertex_training.provider.job_api import JobApi, JobStates
from pulumi_vertex_training.provider.values import time_string

PIPELINE_STATES = JobStates(
    running=frozenset({"PIPELINE_STATE_RUNNING"}),
    succeeded=frozenset({"PIPELINE_STATE_SUCCEEDED"}),
    failed=frozenset({"PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED"}),
    cancelling=frozenset({"PIPELINE_STATE_CANCELLING"}),
)
"""``PipelineState`` names by meaning. SUCCEEDED comes after the model upload, so
``wait="completed"`` waits for the model too."""

TRAINING_PIPELINES = JobApi(
    noun="training pipeline",
    client=lambda location: client.pipeline_service_client(location),
    get="get_training_pipeline",
    list="list_training_pipelines",
    create="create_training_pipeline",
    create_field="training_pipeline",
    cancel="cancel_training_pipeline",
    delete="delete_training_pipeline",
    states=PIPELINE_STATES,
)

BACKING_JOB_KEY = "backingCustomJob"
"""The key of ``training_task_metadata`` naming the CustomJob the pipeline runs."""


def _pb(live: Any) -> Any:
    from google.cloud.aiplatform_v1 import TrainingPipeline

    return TrainingPipeline.pb(live)


def backing_job(live: Any) -> str | None:
    """The full name of the CustomJob the pipeline runs, once Vertex AI has made it."""
    fields = _pb(live).training_task_metadata.struct_value.fields
    name = fields[BACKING_JOB_KEY].string_value if BACKING_JOB_KEY in fields else ""
    return name or None


def task_inputs(live: Any) -> dict[str, Any]:
    """``training_task_inputs`` as a dict, keys as they were sent (ours: snake_case)."""
    from google.protobuf import json_format

    raw = _pb(live).training_task_inputs
    value = json_format.MessageToDict(raw) if raw.HasField("struct_value") else {}
    return value if isinstance(value, dict) else {}


def _either(value: Any, snake: str, camel: str) -> Any:
    if not isinstance(value, dict):
        return None
    return value.get(snake, value.get(camel))


def base_output_directory(live: Any) -> str:
    """``training_task_inputs.base_output_directory.output_uri_prefix``, or ``""``."""
    base = _either(task_inputs(live), "base_output_directory", "baseOutputDirectory")
    prefix = _either(base, "output_uri_prefix", "outputUriPrefix")
    return prefix if isinstance(prefix, str) else ""


def pipeline_outputs(live: Any) -> dict[str, Any]:
    """The computed outputs of a TrainingPipeline resource, from the live pipeline."""
    model = _pb(live).model_to_upload
    uploaded = model.name.split("@", 1)[0] if model.name else None
    return {
        "pipeline_id": live.name.rsplit("/", 1)[-1],
        "state": live.state.name,
        "error": job_api.error_of(live),
        "create_time": time_string(live.create_time),
        "start_time": time_string(live.start_time),
        "end_time": time_string(live.end_time),
        "update_time": time_string(live.update_time),
        "console_url": client.console_url(live.name),
        "backing_custom_job": backing_job(live),
        "model_name": uploaded,
        "model_version_id": (model.version_id or None) if uploaded else None,
        "model_dir": output_dirs(base_output_directory(live))["model_dir"],
    }
