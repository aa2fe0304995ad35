"""``vt.HyperparameterTuningJob``: the Pulumi resource class users instantiate."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic

from pulumi_vertex_training.provider.hyperparameter_tuning_job import (
    OUTPUT_KEYS,
    HyperparameterTuningJobProvider,
)
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
from pulumi_vertex_training.spec import (
    CustomJobSpecArgs,
    EncryptionSpecArgs,
    StudySpecArgs,
    to_plain,
)


class HyperparameterTuningJob(
    pulumi.dynamic.Resource, module="vertex", name="HyperparameterTuningJob"
):
    """A Vertex AI HyperparameterTuningJob: a study whose trials run as CustomJobs.

    Vertex AI runs up to ``max_trial_count`` trials of ``trial_job_spec``, at most
    ``parallel_trial_count`` at once, each with its parameters appended to every
    worker pool's args (``--lr=0.01``); the trainer reports its metric with
    cloudml-hypertune (``/tmp/hypertune/output.metrics``). ``best_trial`` is the
    trial with the best final value of the first metric, by its goal.

    Everything is validated at preview, with field paths: the StudySpec's rules and
    ``trial_job_spec`` by every CustomJob rule (machine catalog included). As for
    ``vt.CustomJob``: any change to what runs replaces the job; ``wait``,
    ``wait_timeout`` and ``on_delete`` change in place; a crashed or retried
    ``pulumi up`` adopts the live job (labels ``pulumi-vertex-spec`` and
    ``pulumi-vertex-resource``) instead of submitting a second one.

    Example:
        >>> import pulumi_vertex_training as vt
        >>> tuning = vt.HyperparameterTuningJob(  # doctest: +SKIP
        ...     "tune",
        ...     study_spec=vt.StudySpecArgs(
        ...         metrics=[vt.MetricSpecArgs(metric_id="accuracy", goal="MAXIMIZE")],
        ...         parameters=[
        ...             vt.ParameterSpecArgs(
        ...                 parameter_id="lr",
        ...                 double_value_spec=vt.DoubleValueSpecArgs(min_value=1e-4, max_value=0.1),
        ...                 scale_type="UNIT_LOG_SCALE",
        ...             ),
        ...             vt.ParameterSpecArgs(
        ...                 parameter_id="layers",
        ...                 integer_value_spec=vt.IntegerValueSpecArgs(min_value=1, max_value=4),
        ...             ),
        ...         ],
        ...         algorithm="RANDOM_SEARCH",
        ...     ),
        ...     trial_job_spec=vt.CustomJobSpecArgs(
        ...         worker_pool_specs=[vt.WorkerPoolSpecArgs(
        ...             machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
        ...             container_spec=vt.ContainerSpecArgs(image_uri=image.image_uri),
        ...         )],
        ...     ),
        ...     max_trial_count=20,
        ...     parallel_trial_count=4,
        ...     wait="completed",
        ... )
        >>> pulumi.export("best", tuning.best_trial)  # doctest: +SKIP

    Args:
        resource_name: the Pulumi name; the job's display name defaults to it.
        study_spec: metrics (the first is the objective), parameters, algorithm,
            measurement selection, stopping specs (``StudySpecArgs`` or a dict).
        trial_job_spec: the whole v1 CustomJobSpec each trial runs
            (``CustomJobSpecArgs`` or a dict); its ``base_output_directory`` gets the
            trial id appended per trial.
        max_trial_count: how many trials in all (a grid may end sooner).
        parallel_trial_count: how many at once (at most ``max_trial_count``).
        max_failed_trial_count: failed trials before the job fails (0: Vertex AI decides).
        display_name: at most 128 characters.
        project: defaults to ``gcp:project`` config, then ``GOOGLE_CLOUD_PROJECT``.
        location: defaults to ``gcp:region`` config, then ``GOOGLE_CLOUD_REGION``.
        labels: the job's labels (ours are added beside them).
        encryption_spec: ``{"kms_key_name": "projects/.../cryptoKeys/k"}`` for CMEK.
        wait: ``"none"`` (return once submitted), ``"started"`` (until RUNNING, the
            default) or ``"completed"`` (until it ends; FAILED or CANCELLED fails the
            deployment with the job's error, its failed trials and the last failed
            trial's logs). ``best_trial`` is known once it ended: wait for it, or refresh.
        wait_timeout: bound of the wait ("30m", "2h", seconds, timedelta);
            defaults to 1h for ``started`` and 24h for ``completed``.
        on_delete: ``"cancel"`` (cancel unless ended, then delete the job and its
            trials; the default) or ``"keep"`` (leave it, drop it from state).
        triggers: any change to this list forces a new study.
        opts: Pulumi resource options.
    """

    job_id: pulumi.Output[str]
    """The numeric id (last segment of the resource name, which is the Pulumi id)."""
    state: pulumi.Output[str]
    """``JOB_STATE_*`` as the API names it, as of the last create or refresh."""
    error: pulumi.Output[dict[str, Any] | None]
    """``{"code", "message"}`` when the job FAILED or was CANCELLED."""
    trials: pulumi.Output[list[dict[str, Any]]]
    """Each trial: ``{"id", "state", "parameters": {id: value}, "final_measurement":
    {"step_count", "metrics": {id: value}} or None, "custom_job", "infeasible_reason"}``."""
    best_trial: pulumi.Output[dict[str, Any] | None]
    """The trial with the best final value of the objective (``study_spec.metrics[0]``,
    highest unless its goal is MINIMIZE), shaped as in ``trials``; None until one has
    succeeded."""
    create_time: pulumi.Output[str]
    start_time: pulumi.Output[str | None]
    end_time: pulumi.Output[str | None]
    update_time: pulumi.Output[str]
    console_url: pulumi.Output[str]
    spec_hash: pulumi.Output[str]
    """Hash of the canonical spec; the job carries it as a label."""
    display_name: pulumi.Output[str]
    study_spec: pulumi.Output[dict[str, Any]]
    trial_job_spec: pulumi.Output[dict[str, Any]]
    max_trial_count: pulumi.Output[int]
    parallel_trial_count: pulumi.Output[int]
    max_failed_trial_count: pulumi.Output[int | None]
    labels: pulumi.Output[dict[str, str]]
    project: pulumi.Output[str]
    location: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        study_spec: pulumi.Input[StudySpecArgs | Mapping[str, Any]],
        trial_job_spec: pulumi.Input[CustomJobSpecArgs | Mapping[str, Any]],
        max_trial_count: pulumi.Input[int],
        parallel_trial_count: pulumi.Input[int],
        max_failed_trial_count: pulumi.Input[int] | None = None,
        display_name: pulumi.Input[str] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        labels: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        encryption_spec: pulumi.Input[EncryptionSpecArgs | Mapping[str, Any]] | None = None,
        wait: pulumi.Input[str] = "started",
        wait_timeout: pulumi.Input[str | int | float] | datetime.timedelta | None = None,
        on_delete: pulumi.Input[str] = "cancel",
        triggers: pulumi.Input[Sequence[Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs: dict[str, Any] = {
            **placement(resource_name, project, location, display_name),
            "study_spec": to_plain(study_spec),
            "max_trial_count": max_trial_count,
            "parallel_trial_count": parallel_trial_count,
            "max_failed_trial_count": max_failed_trial_count,
            "trial_job_spec": to_plain(trial_job_spec),
            "labels": labels,
            "encryption_spec": to_plain(encryption_spec),
            **job_lifecycle(wait, wait_timeout, on_delete),
            "triggers": triggers,
            "resource_key": resource_key(resource_name),
        }
        provider = HyperparameterTuningJobProvider()
        register(self, provider, resource_name, inputs, OUTPUT_KEYS, opts)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> HyperparameterTuningJob:
        """Read an existing tuning job into the program by its full resource name
        (``projects/p/locations/l/hyperparameterTuningJobs/123``).

        ``pulumi import`` does not work for dynamic providers; this does. The job is
        read, never cancelled or deleted by this stack.
        """
        provider = HyperparameterTuningJobProvider()
        keys = job_keys(HyperparameterTuningJobProvider)
        return read_existing(HyperparameterTuningJob, provider, resource_name, id, keys, opts)
