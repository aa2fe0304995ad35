"""``vt.CustomJob``: the Pulumi resource class users instantiate."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi.dynamic

from pulumi_vertex_training.provider.custom_job import OUTPUT_KEYS, CustomJobProvider
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
from pulumi_vertex_training.spec import CustomJobSpecArgs, EncryptionSpecArgs, to_plain

if TYPE_CHECKING:
    from pulumi_vertex_training.provider.resources.persistent_resource import PersistentResource


class CustomJob(pulumi.dynamic.Resource, module="vertex", name="CustomJob"):
    """A Vertex AI CustomJob: a training run declared as a resource.

    Any change to what runs replaces the job (Vertex AI cannot update one);
    ``wait``, ``on_delete``, ``wait_timeout`` and ``logs`` change in place. A crashed or
    retried ``pulumi up`` never submits a second job: create adopts a live job
    with the same spec and resource name (labels ``pulumi-vertex-spec`` and
    ``pulumi-vertex-resource``); a failed one is re-run on the next ``up``.

    Example:
        >>> import pulumi_vertex_training as vt
        >>> job = vt.CustomJob(  # doctest: +SKIP
        ...     "train",
        ...     job_spec=vt.CustomJobSpecArgs(
        ...         worker_pool_specs=[vt.WorkerPoolSpecArgs(
        ...             machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
        ...             container_spec=vt.ContainerSpecArgs(
        ...                 image_uri=image.image_uri, args=["--epochs", "3"]),
        ...         )],
        ...         base_output_directory={"output_uri_prefix": "gs://my-bucket/run1"},
        ...     ),
        ...     wait="completed",
        ... )

    Args:
        resource_name: the Pulumi name; the job's display name defaults to it.
        job_spec: the whole v1 CustomJobSpec (``CustomJobSpecArgs`` or a dict).
        display_name: at most 128 characters.
        project: defaults to ``gcp:project`` config, then ``GOOGLE_CLOUD_PROJECT``.
        location: defaults to ``gcp:region`` config, then ``GOOGLE_CLOUD_REGION``.
        labels: the job's labels (ours are added beside them).
        encryption_spec: ``{"kms_key_name": "projects/.../cryptoKeys/k"}`` for CMEK.
        wait: ``"none"`` (return once submitted), ``"started"`` (until RUNNING,
            the default) or ``"completed"`` (until it ends; FAILED or CANCELLED
            fails the deployment with the job's error).
        wait_timeout: bound of the wait ("30m", "2h", seconds, timedelta);
            defaults to 1h for ``started`` and 24h for ``completed``.
        logs: what of the replicas' logs (Cloud Logging, where Vertex AI writes
            them) the wait shows: ``"failures"`` (the default: nothing while it
            waits; a FAILED or CANCELLED job's error carries the last 30 lines of
            the replica that failed), ``"stream"`` (every replica's lines as they
            come, prefixed with the task name, at most 20 a second; and the
            failure's lines too) or ``"none"``. Reading logs needs
            ``roles/logging.viewer``; a read that fails never fails the deployment.
        on_delete: ``"cancel"`` (cancel unless ended, then delete the job; the
            default) or ``"keep"`` (leave it in Vertex AI, drop it from state).
        triggers: any change to this list forces a new run.
        persistent_resource: a ``vt.PersistentResource`` to run on: names it in
            ``job_spec.persistent_resource_id`` (unless set) and lets preview check
            that the job fits it (machine specs, replicas, network, CMEK).
        opts: Pulumi resource options.
    """

    job_id: pulumi.Output[str]
    """The numeric id (last segment of the resource name, which is the Pulumi id)."""
    state: pulumi.Output[str]
    """``JOB_STATE_*`` as the API names it, as of the last create or refresh."""
    error: pulumi.Output[dict[str, Any] | None]
    """``{"code", "message"}`` when the job FAILED or was CANCELLED."""
    create_time: pulumi.Output[str]
    start_time: pulumi.Output[str | None]
    end_time: pulumi.Output[str | None]
    update_time: pulumi.Output[str]
    console_url: pulumi.Output[str]
    web_access_uris: pulumi.Output[dict[str, str]]
    model_dir: pulumi.Output[str | None]
    """``{base_output_directory}/model/`` (AIP_MODEL_DIR) when an output directory is set."""
    checkpoint_dir: pulumi.Output[str | None]
    tensorboard_log_dir: pulumi.Output[str | None]
    spec_hash: pulumi.Output[str]
    """Hash of the canonical spec; the job carries it as a label."""
    display_name: pulumi.Output[str]
    job_spec: pulumi.Output[dict[str, Any]]
    labels: pulumi.Output[dict[str, str]]
    project: pulumi.Output[str]
    location: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        job_spec: pulumi.Input[CustomJobSpecArgs | Mapping[str, Any]],
        display_name: pulumi.Input[str] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        labels: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        encryption_spec: pulumi.Input[EncryptionSpecArgs | Mapping[str, Any]] | None = None,
        wait: pulumi.Input[str] = "started",
        wait_timeout: pulumi.Input[str | int | float] | datetime.timedelta | None = None,
        on_delete: pulumi.Input[str] = "cancel",
        triggers: pulumi.Input[Sequence[Any]] | None = None,
        logs: pulumi.Input[str] = "failures",
        persistent_resource: PersistentResource | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs: dict[str, Any] = {
            **placement(resource_name, project, location, display_name),
            "job_spec": to_plain(job_spec),
            "labels": labels,
            "encryption_spec": to_plain(encryption_spec),
            **job_lifecycle(wait, wait_timeout, on_delete),
            "triggers": triggers,
            "logs": logs,
            "persistent_resource_spec": (
                persistent_resource.spec if persistent_resource is not None else None
            ),
            "resource_key": resource_key(resource_name),
        }
        register(self, CustomJobProvider(), resource_name, inputs, OUTPUT_KEYS, opts)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> CustomJob:
        """Read an existing job into the program by its full resource name.

        ``pulumi import`` does not work for dynamic providers; this does. The
        job is read, never cancelled or deleted by this stack.
        """
        keys = job_keys(CustomJobProvider)
        return read_existing(CustomJob, CustomJobProvider(), resource_name, id, keys, opts)
