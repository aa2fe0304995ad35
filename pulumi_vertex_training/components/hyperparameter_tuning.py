"""HyperparameterTuning: ``gcloud ai hp-tuning-jobs create`` over local code, as one component:
a TrainingImage built from the code, and a HyperparameterTuningJob whose trials run it.

Why a component of its own rather than ``vt.TrainingJob(tuning=...)``: a tuning job is not
a CustomJob with an option. Its outputs differ (trials and the best trial, no model
directory: each trial has its own), its required inputs differ (metrics, parameters,
trial counts) and so does what its failure says; one class switching both on an
argument would type every output as "maybe" and document two resources in one
docstring. What the two share, the image and the flat gcloud-like worker pools
(``vt.WorkerPoolArgs``), is shared by reuse: the same ``TrainingImage`` and the same
``flat_job_spec`` build the trial's CustomJobSpec.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from pulumi_vertex_training.components.training_image import TrainingImage
from pulumi_vertex_training.components.training_job import WorkerPoolArgs, flat_job_spec
from pulumi_vertex_training.provider.resources import HyperparameterTuningJob
from pulumi_vertex_training.spec import MetricSpecArgs, ParameterSpecArgs, StudySpecArgs, to_plain


def study_spec_of(
    study_spec: StudySpecArgs | Mapping[str, Any] | None,
    metrics: Mapping[str, str] | Sequence[MetricSpecArgs | Mapping[str, Any]] | None,
    parameters: Sequence[ParameterSpecArgs | Mapping[str, Any]] | None,
    algorithm: pulumi.Input[str] | None,
    measurement_selection_type: pulumi.Input[str] | None,
) -> dict[str, Any]:
    """The StudySpec: ``study_spec`` as given, or built from the flat arguments.

    ``metrics`` may be ``{metric_id: goal}`` (the Vertex SDK's ``metric_spec``; the first
    is the objective) or a list of ``MetricSpecArgs``.

    >>> study_spec_of(None, {"accuracy": "maximize"},
    ...               [{"parameter_id": "lr", "discrete_value_spec": {"values": [0.1]}}],
    ...               "GRID_SEARCH", None)  # doctest: +NORMALIZE_WHITESPACE
    {'metrics': [{'metric_id': 'accuracy', 'goal': 'maximize'}],
     'parameters': [{'parameter_id': 'lr', 'discrete_value_spec': {'values': [0.1]}}],
     'algorithm': 'GRID_SEARCH'}

    Raises:
        ValueError: both ``study_spec`` and a flat argument, or neither.
    """
    flat = {
        "metrics": metrics,
        "parameters": parameters,
        "algorithm": algorithm,
        "measurement_selection_type": measurement_selection_type,
    }
    given = [k for k, v in flat.items() if v is not None]
    if study_spec is not None:
        if given:
            raise ValueError(
                f"give study_spec or {', '.join(given)}, not both: the flat arguments "
                "are the usual fields of a study_spec"
            )
        return dict(to_plain(study_spec))
    if metrics is None or parameters is None:
        raise ValueError("give metrics and parameters (or a whole study_spec)")
    if isinstance(metrics, Mapping):
        metric_list: list[Any] = [{"metric_id": k, "goal": v} for k, v in metrics.items()]
    else:
        metric_list = [to_plain(m) for m in metrics]
    spec: dict[str, Any] = {
        "metrics": metric_list,
        "parameters": [to_plain(p) for p in parameters],
    }
    if algorithm is not None:
        spec["algorithm"] = algorithm
    if measurement_selection_type is not None:
        spec["measurement_selection_type"] = measurement_selection_type
    return spec


class HyperparameterTuning(pulumi.ComponentResource):
    """Local training code, packaged and tuned on Vertex AI, as one component.

    Children: ``{name}-image`` (a ``TrainingImage`` built from ``source_dir``) and
    ``{name}`` (a ``HyperparameterTuningJob`` whose trials run that image on every
    non-empty pool, with ``args`` and then the trial's ``--parameter=value``). The image
    is rebuilt only when the code changes; the study is replaced only when what it runs
    changes. The trainer reports its metric as cloudml-hypertune does.

    Example:
        >>> tuning = vt.HyperparameterTuning(  # doctest: +SKIP
        ...     "tune",
        ...     source_dir="src",
        ...     python_module="trainer.task",
        ...     base_image="us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
        ...     repository="us-central1-docker.pkg.dev/my-project/training",
        ...     worker_pools=[vt.WorkerPoolArgs(machine_type="n1-standard-4")],
        ...     metrics={"accuracy": "MAXIMIZE"},
        ...     parameters=[
        ...         vt.ParameterSpecArgs(
        ...             parameter_id="lr",
        ...             double_value_spec=vt.DoubleValueSpecArgs(min_value=1e-4, max_value=0.1),
        ...             scale_type="UNIT_LOG_SCALE",
        ...         )
        ...     ],
        ...     algorithm="RANDOM_SEARCH",
        ...     max_trial_count=12,
        ...     parallel_trial_count=3,
        ...     wait="completed",
        ... )
        >>> pulumi.export("best", tuning.best_trial)  # doctest: +SKIP

    Args:
        resource_name: the component's name; children are named after it.
        source_dir, script, python_module, base_image, repository, requirements,
        extra_packages, extra_dirs: as for ``TrainingImage``.
        worker_pools: up to four flat pools (``WorkerPoolArgs`` or dicts), as for
            ``TrainingJob``.
        metrics: ``{metric_id: "MAXIMIZE" | "MINIMIZE"}`` (the first is the objective) or
            a list of ``MetricSpecArgs``.
        parameters: ``ParameterSpecArgs`` (or dicts).
        algorithm: ``"GRID_SEARCH"``, ``"RANDOM_SEARCH"`` or unset (Vertex's default).
        measurement_selection_type: ``"LAST_MEASUREMENT"`` or ``"BEST_MEASUREMENT"``.
        study_spec: instead of the four above, a whole ``StudySpecArgs`` (for the
            automated stopping specs and ``study_stopping_config``).
        max_trial_count, parallel_trial_count, max_failed_trial_count: as for
            ``HyperparameterTuningJob``.
        args: the container's args (the trial's parameters follow them); env:
            ``{name: value}`` or a list of ``{name, value}``.
        scheduling, service_account, network, reserved_ip_ranges,
        persistent_resource_id: CustomJobSpec fields of every trial.
        base_output_directory: ``gs://...``; each trial writes under ``{it}/{trial id}``.
        labels, display_name, encryption_spec, wait, wait_timeout, on_delete: as for
            ``HyperparameterTuningJob``.

    Raises:
        ValueError: at once, for no worker pools, or for ``study_spec`` given with (or
            without) the flat study arguments.
    """

    image_uri: pulumi.Output[str]
    job_name: pulumi.Output[str]
    state: pulumi.Output[str]
    trials: pulumi.Output[list[dict[str, Any]]]
    best_trial: pulumi.Output[dict[str, Any] | None]
    console_url: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        source_dir: str,
        base_image: str,
        repository: str,
        worker_pools: Sequence[WorkerPoolArgs | Mapping[str, Any] | None],
        max_trial_count: pulumi.Input[int],
        parallel_trial_count: pulumi.Input[int],
        metrics: Mapping[str, str] | Sequence[MetricSpecArgs | Mapping[str, Any]] | None = None,
        parameters: Sequence[ParameterSpecArgs | Mapping[str, Any]] | None = None,
        algorithm: pulumi.Input[str] | None = None,
        measurement_selection_type: pulumi.Input[str] | None = None,
        study_spec: StudySpecArgs | Mapping[str, Any] | None = None,
        max_failed_trial_count: pulumi.Input[int] | None = None,
        script: str | None = None,
        python_module: str | None = None,
        args: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        env: pulumi.Input[Any] | None = None,
        requirements: Sequence[str] | None = None,
        extra_packages: Sequence[str] | None = None,
        extra_dirs: Sequence[str] | None = None,
        scheduling: pulumi.Input[Any] | None = None,
        service_account: pulumi.Input[str] | None = None,
        network: pulumi.Input[str] | None = None,
        reserved_ip_ranges: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        base_output_directory: pulumi.Input[str] | None = None,
        persistent_resource_id: pulumi.Input[str] | None = None,
        labels: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        display_name: pulumi.Input[str] | None = None,
        encryption_spec: pulumi.Input[Any] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        wait: pulumi.Input[str] = "started",
        wait_timeout: pulumi.Input[str | int | float] | datetime.timedelta | None = None,
        on_delete: pulumi.Input[str] = "cancel",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not worker_pools:
            raise ValueError("worker_pools: give at least one pool (the primary, pool 0)")
        study = study_spec_of(
            study_spec, metrics, parameters, algorithm, measurement_selection_type
        )
        super().__init__("vertex:components:HyperparameterTuning", resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.image = TrainingImage(
            f"{resource_name}-image",
            source_dir=source_dir,
            script=script,
            python_module=python_module,
            base_image=base_image,
            repository=repository,
            requirements=requirements,
            extra_packages=extra_packages,
            extra_dirs=extra_dirs,
            opts=child,
        )
        trial_job_spec = flat_job_spec(
            self.image.image_uri,
            worker_pools,
            args=args,
            env=env,
            scheduling=scheduling,
            service_account=service_account,
            network=network,
            reserved_ip_ranges=reserved_ip_ranges,
            base_output_directory=base_output_directory,
            persistent_resource_id=persistent_resource_id,
        )
        self.job = HyperparameterTuningJob(
            resource_name,
            study_spec=study,
            trial_job_spec=trial_job_spec,
            max_trial_count=max_trial_count,
            parallel_trial_count=parallel_trial_count,
            max_failed_trial_count=max_failed_trial_count,
            display_name=display_name,
            project=project,
            location=location,
            labels=labels,
            encryption_spec=encryption_spec,
            wait=wait,
            wait_timeout=wait_timeout,
            on_delete=on_delete,
            opts=child,
        )
        self.image_uri = self.image.image_uri
        self.job_name = self.job.id
        self.state = self.job.state
        self.trials = self.job.trials
        self.best_trial = self.job.best_trial
        self.console_url = self.job.console_url
        self.register_outputs(
            {
                "image_uri": self.image_uri,
                "job_name": self.job_name,
                "state": self.state,
                "trials": self.trials,
                "best_trial": self.best_trial,
                "console_url": self.console_url,
            }
        )
