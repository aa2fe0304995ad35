"""TrainingPipelineProvider: a Vertex AI TrainingPipeline (custom task) as a Pulumi resource.

A TrainingPipeline is the console's "Train new model": it runs a CustomJob and, when
the job succeeds, uploads the model the trainer saved in ``AIP_MODEL_DIR`` to the
Model Registry. What every long-running job does comes from ``job_provider.py``: a
change to what runs (display_name, job_spec, model_to_upload, model_id, parent_model,
labels, encryption_spec, project, location, triggers) replaces the pipeline; ``wait``,
``wait_timeout``, ``on_delete`` and ``logs`` change in place with no API call; create
adopts a live pipeline with the same spec and resource labels (CreateTrainingPipeline
takes no request id either).

The embedded CustomJobSpec is the resource's ``job_spec``, checked by every CustomJob
rule (machine catalog included) with failures at ``job_spec.…`` paths; the API's
``training_task_inputs`` Struct and ``training_task_definition`` are built from it.
``wait="completed"`` waits for PIPELINE_STATE_SUCCEEDED, which comes after the upload.
A failed pipeline fails the deployment with its error and, when its CustomJob failed,
that job's error and failing replica's last lines (``job_logs.py``). Destroy cancels
the pipeline unless it ended, then deletes it and its backing CustomJob; the uploaded
Model stays in the registry, as Vertex AI leaves it.

This module path is public API: Pulumi state refers to
``pulumi_vertex_training.provider.training_pipeline.TrainingPipelineProvider`` by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import job_api, job_logs, progress
from pulumi_vertex_training.provider.custom_job_api import CUSTOM_JOBS
from pulumi_vertex_training.provider.job_provider import (
    DELETE_TIMEOUT,
    JobProvider,
    job_label,
    job_project,
)
from pulumi_vertex_training.provider.training_pipeline_api import (
    TRAINING_PIPELINES,
    backing_job,
    pipeline_outputs,
    task_inputs,
)
from pulumi_vertex_training.provider.values import secret_where
from pulumi_vertex_training.spec import (
    SpecFailure,
    normalize_training_pipeline,
    training_pipeline_to_proto,
)
from pulumi_vertex_training.spec.failures import Normalized
from pulumi_vertex_training.spec.model import MODEL_FIELDS

__all__ = ["LIFECYCLE_KEYS", "OUTPUT_KEYS", "PIPELINE_FIELDS", "TrainingPipelineProvider"]

PIPELINE_FIELDS = (
    "display_name",
    "job_spec",
    "model_to_upload",
    "model_id",
    "parent_model",
    "labels",
    "encryption_spec",
)
"""The resource's own fields; ``job_spec`` is the API's ``training_task_inputs``."""
LIFECYCLE_KEYS = ("wait", "on_delete", "wait_timeout", "logs")
OUTPUT_KEYS = (
    "pipeline_id",
    "state",
    "error",
    "create_time",
    "start_time",
    "end_time",
    "update_time",
    "console_url",
    "backing_custom_job",
    "model_name",
    "model_version_id",
    "model_dir",
    "spec_hash",
)

_API_INPUTS = "training_task_inputs"


def _to_resource_path(path: str) -> str:
    """``training_task_inputs.x`` -> ``job_spec.x``: failures name the resource's inputs."""
    if path == _API_INPUTS or path.startswith((_API_INPUTS + ".", _API_INPUTS + "[")):
        return "job_spec" + path[len(_API_INPUTS) :]
    return path


class TrainingPipelineProvider(JobProvider):
    """Dynamic provider for ``vt.TrainingPipeline``. Holds no clients or credentials.

    Example:
        >>> provider = TrainingPipelineProvider()
        >>> checked = provider.check({}, {"project": "p", "location": "us-central1",
        ...     "display_name": "train", "job_spec": {"worker_pool_specs": []}})
        >>> [f.property for f in checked.failures]
        ['job_spec.worker_pool_specs']
    """

    api = TRAINING_PIPELINES
    title = "TrainingPipeline"
    fields = PIPELINE_FIELDS
    output_keys = OUTPUT_KEYS
    lifecycle_keys = LIFECYCLE_KEYS
    logs_why = (
        " (what of the pipeline's CustomJob logs the wait shows: nothing, the failing "
        "replica's last lines when it fails, or every line as it comes)"
    )

    def normalize(
        self, values: dict[str, Any], location: str | None
    ) -> tuple[Normalized, list[SpecFailure]]:
        """The pipeline's fields through ``normalize_training_pipeline``, with
        ``job_spec`` standing for ``training_task_inputs`` in values and paths."""
        raw = {k: values.get(k) for k in PIPELINE_FIELDS if k != "job_spec"}
        raw[_API_INPUTS] = values.get("job_spec")
        project = values.get("project") or self.default_project
        normalized = normalize_training_pipeline(
            raw, location=location, project=project if isinstance(project, str) else None
        )
        value = dict(normalized.value)
        if _API_INPUTS in value:
            value["job_spec"] = value.pop(_API_INPUTS)

        def repath(items: list[SpecFailure]) -> list[SpecFailure]:
            return [dataclasses.replace(f, path=_to_resource_path(f.path)) for f in items]

        return Normalized(value, repath(normalized.failures), repath(normalized.warnings)), []

    def to_proto(self, canonical: dict[str, Any]) -> Any:
        """The ``aiplatform_v1.TrainingPipeline`` to create (the custom task)."""
        body = {k: v for k, v in canonical.items() if k != "job_spec"}
        body[_API_INPUTS] = canonical.get("job_spec", {})
        return training_pipeline_to_proto(body)

    def outputs(self, live: Any) -> dict[str, Any]:
        """State, times, console URL, backing CustomJob, uploaded model, model_dir."""
        return pipeline_outputs(live)

    def mark_outputs(self, outputs: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """``model_dir`` is secret when ``job_spec.base_output_directory`` was."""
        return secret_where(outputs, props, ("model_dir",), "job_spec", "base_output_directory")

    def inputs_from(self, live: Any) -> dict[str, Any]:
        """``TrainingPipeline.get()``: place and fields of the live pipeline."""
        from google.cloud.aiplatform_v1 import TrainingPipeline
        from google.protobuf import json_format

        raw = TrainingPipeline.pb(live)
        parts = live.name.split("/")
        model = None
        if raw.HasField("model_to_upload"):
            full = json_format.MessageToDict(raw.model_to_upload, preserving_proto_field_name=True)
            model = {k: v for k, v in full.items() if k in MODEL_FIELDS}
        encryption = json_format.MessageToDict(
            raw.encryption_spec, preserving_proto_field_name=True
        )
        return {
            "project": parts[1],
            "location": parts[3],
            "display_name": raw.display_name,
            "job_spec": task_inputs(live),
            "model_to_upload": model,
            "model_id": raw.model_id or None,
            "parent_model": raw.parent_model or None,
            "labels": dict(raw.labels),
            "encryption_spec": encryption or None,
        }

    def failure_message(self, live: Any, props: dict[str, Any]) -> str:
        """The pipeline's end and error; when its CustomJob failed, that job's report
        (Vertex's error, the failing replica's last lines, where to look)."""
        label = job_label(live.name, props)
        lines = [f'TrainingPipeline "{label}" ({live.name}) ended {live.state.name}.']
        job = _failed_job(live)
        if job is not None:
            logs = job_logs.logs_mode(props)
            lines.append(job_logs.failure_report(job, label, logs, job_project(props)))
        else:
            error = live.error.message or "(no error message)"
            code = f" (code {live.error.code})" if live.error.code else ""
            lines.append(f"Vertex AI: {error}{code}")
        lines.append(f"Pipeline console: {client.console_url(live.name)}")
        return "\n".join(lines)

    def log_stream(self, name: str, props: dict[str, Any]) -> Any | None:
        """The backing CustomJob's replica lines while waiting, when ``logs="stream"``."""
        if job_logs.logs_mode(props) != "stream":
            return None
        return BackingJobLogs(name, job_label(name, props), job_project(props))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Cancel unless ended, wait, delete the pipeline, then its backing CustomJob (the
        run's replicas and logs); the uploaded Model stays. ``on_delete="keep"``: nothing."""
        if props.get("on_delete") == "keep":
            progress.info(f"leaving {id_} in Vertex AI (on_delete='keep')")
            return
        live = job_api.get(self.api, id_)
        job = (backing_job(live) if live is not None else None) or props.get("backing_custom_job")
        job_api.cancel_and_delete(self.api, id_, DELETE_TIMEOUT)
        if isinstance(job, str) and job:
            job_api.cancel_and_delete(CUSTOM_JOBS, job, DELETE_TIMEOUT)


class BackingJobLogs:
    """Shows the backing CustomJob's logs (``job_logs.LogStream``) once Vertex AI names
    the job in the pipeline's metadata; until then each poll looks for it.

    Example:
        >>> logs = BackingJobLogs("projects/p/locations/l/trainingPipelines/1", "train", "p")
        >>> logs.poll()  # doctest: +SKIP
    """

    def __init__(self, pipeline: str, label: str, project: str | None) -> None:
        self.pipeline = pipeline
        self.label = label
        self.project = project
        self.stream: job_logs.LogStream | None = None

    def poll(self, final: bool = False) -> None:
        """Show the job's new lines (``final``: the pipeline has ended)."""
        if self.stream is None:
            try:
                live = job_api.get(TRAINING_PIPELINES, self.pipeline)
            except Exception as err:  # logs never fail a deployment
                progress.warn(f"{self.label}: could not read {self.pipeline}: {err}")
                return
            job = backing_job(live) if live is not None else None
            if job is None:
                return
            self.stream = job_logs.LogStream(job, self.label, project=self.project)
        self.stream.poll(final=final)


def _failed_job(live: Any) -> Any | None:
    """The backing CustomJob when it is what failed (not the model upload), else None."""
    name = backing_job(live)
    if name is None:
        return None
    try:
        job = job_api.get(CUSTOM_JOBS, name)
    except Exception:  # the pipeline's own error matters more than the job's details
        return None
    return job if job is not None and job.state.name in CUSTOM_JOBS.states.failed else None
