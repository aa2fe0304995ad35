"""``vt.TrainingPipeline``: the Pulumi resource class users instantiate."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic

from pulumi_vertex_training.provider.resources.defaults import (
    job_lifecycle,
    placement,
    resource_key,
)
from pulumi_vertex_training.provider.resources.registration import (
    job_keys,
    read_existing,
    register,
)
from pulumi_vertex_training.provider.training_pipeline import (
    OUTPUT_KEYS,
    TrainingPipelineProvider,
)
from pulumi_vertex_training.spec import CustomJobSpecArgs, EncryptionSpecArgs, ModelArgs, to_plain


class TrainingPipeline(pulumi.dynamic.Resource, module="vertex", name="TrainingPipeline"):
    """A Vertex AI TrainingPipeline (custom task): a CustomJob run, then its model uploaded
    to the Model Registry; the console's "Train new model" as a resource.

    ``job_spec`` is the CustomJobSpec the pipeline runs (the API's
    ``training_task_inputs``), checked at preview like a ``vt.CustomJob``'s. With
    ``model_to_upload``, the model the trainer saved in ``AIP_MODEL_DIR``
    (``{base_output_directory}/model/``) is uploaded when the job succeeds: as a new
    model, or as a new version of ``parent_model``. Any change to what runs replaces
    the pipeline (Vertex AI cannot update one); ``wait``, ``wait_timeout``, ``on_delete``
    and ``logs`` change in place. A crashed or retried ``up`` adopts the live pipeline
    with the same spec and resource name instead of creating another.

    Example:
        >>> import pulumi_vertex_training as vt
        >>> pipeline = vt.TrainingPipeline(  # doctest: +SKIP
        ...     "train",
        ...     job_spec=vt.CustomJobSpecArgs(
        ...         worker_pool_specs=[vt.WorkerPoolSpecArgs(
        ...             machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
        ...             container_spec=vt.ContainerSpecArgs(image_uri=image.image_uri),
        ...         )],
        ...         base_output_directory=vt.GcsDestinationArgs(
        ...             output_uri_prefix="gs://my-bucket/runs/train"),
        ...     ),
        ...     model_to_upload=vt.ModelArgs(
        ...         display_name="churn",
        ...         container_spec=vt.ModelContainerSpecArgs(
        ...             image_uri="us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"),
        ...     ),
        ...     wait="completed",
        ... )
        >>> pulumi.export("model", pipeline.model_name)  # doctest: +SKIP

    Args:
        resource_name: the Pulumi name; the pipeline's display name defaults to it.
        job_spec: the CustomJobSpec it runs (``vt.CustomJobSpecArgs`` or a dict).
        model_to_upload: the Model to upload from ``AIP_MODEL_DIR`` (``vt.ModelArgs`` or
            a dict; a dict's ``display_name`` defaults to the pipeline's); its
            ``container_spec.image_uri`` (the serving image) is required. Without it the
            pipeline only trains.
        model_id: the id of the new model (else Vertex picks a number).
        parent_model: ``projects/…/models/{id}``: upload a new version of it instead.
        display_name, project, location, labels, encryption_spec, wait, wait_timeout,
            logs, on_delete, triggers: as for ``vt.CustomJob``; ``logs`` shows the
            backing CustomJob's replicas, and ``wait="completed"`` waits for the upload.
        opts: Pulumi resource options.
    """

    pipeline_id: pulumi.Output[str]
    state: pulumi.Output[str]
    """``PIPELINE_STATE_*``, as of the last create or refresh."""
    error: pulumi.Output[dict[str, Any] | None]
    create_time: pulumi.Output[str]
    start_time: pulumi.Output[str | None]
    end_time: pulumi.Output[str | None]
    update_time: pulumi.Output[str]
    console_url: pulumi.Output[str]
    backing_custom_job: pulumi.Output[str | None]
    """The full name of the CustomJob the pipeline runs."""
    model_name: pulumi.Output[str | None]
    """``projects/…/models/{id}`` of the uploaded model, once the pipeline SUCCEEDED."""
    model_version_id: pulumi.Output[str | None]
    model_dir: pulumi.Output[str | None]
    """``{base_output_directory}/model/``: the trainer's AIP_MODEL_DIR."""
    spec_hash: pulumi.Output[str]
    display_name: pulumi.Output[str]
    job_spec: pulumi.Output[dict[str, Any]]
    model_to_upload: pulumi.Output[dict[str, Any] | None]
    labels: pulumi.Output[dict[str, str]]
    project: pulumi.Output[str]
    location: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        job_spec: pulumi.Input[CustomJobSpecArgs | Mapping[str, Any]],
        model_to_upload: pulumi.Input[ModelArgs | Mapping[str, Any]] | None = None,
        model_id: pulumi.Input[str] | None = None,
        parent_model: pulumi.Input[str] | None = None,
        display_name: pulumi.Input[str] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        labels: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        encryption_spec: pulumi.Input[EncryptionSpecArgs | Mapping[str, Any]] | None = None,
        wait: pulumi.Input[str] = "started",
        wait_timeout: pulumi.Input[str | int | float] | datetime.timedelta | None = None,
        on_delete: pulumi.Input[str] = "cancel",
        logs: pulumi.Input[str] = "failures",
        triggers: pulumi.Input[Sequence[Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        place = placement(resource_name, project, location, display_name)
        model = to_plain(model_to_upload)
        if isinstance(model, dict) and not ({"display_name", "displayName"} & set(model)):
            model = {"display_name": place["display_name"], **model}
        inputs: dict[str, Any] = {
            **place,
            "job_spec": to_plain(job_spec),
            "model_to_upload": model,
            "model_id": model_id,
            "parent_model": parent_model,
            "labels": labels,
            "encryption_spec": to_plain(encryption_spec),
            **job_lifecycle(wait, wait_timeout, on_delete),
            "logs": logs,
            "triggers": triggers,
            "resource_key": resource_key(resource_name),
        }
        register(self, TrainingPipelineProvider(), resource_name, inputs, OUTPUT_KEYS, opts)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> TrainingPipeline:
        """Read an existing pipeline into the program by its full resource name; it is
        read, never cancelled or deleted by this stack."""
        keys = job_keys(TrainingPipelineProvider)
        return read_existing(
            TrainingPipeline, TrainingPipelineProvider(), resource_name, id, keys, opts
        )
