"""TrainingJob: ``gcloud ai custom-jobs create --worker-pool-spec=...,local-package-path=...``
as one component: a TrainingImage built from local code, and a CustomJob running it."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from pulumi_vertex_training.components.training_image import TrainingImage
from pulumi_vertex_training.provider.resources import CustomJob, Model
from pulumi_vertex_training.spec.args import to_plain
from pulumi_vertex_training.spec.model import MODEL_FIELDS
from pulumi_vertex_training.spec.model_args import ModelArgs
from pulumi_vertex_training.spec.names import snake_case


@dataclass(kw_only=True)
class WorkerPoolArgs:
    """One worker pool of a ``vt.TrainingJob``, flat like gcloud's ``--worker-pool-spec``
    keys: the machine, its accelerators and disk. The container is the image the
    TrainingJob builds, so there is none to give here. For ``vt.CustomJob`` (any
    container or Python package per pool, the API's nested shape) use
    ``vt.WorkerPoolSpecArgs``.

    Pool 0 is the primary (one replica); 1 workers; 2 parameter servers or the
    reduction server; 3 evaluators. ``None`` (or ``WorkerPoolArgs()`` with no
    machine type) in the list keeps a pool position empty.

    Example:
        >>> WorkerPoolArgs(machine_type="n1-standard-8", accelerator_type="NVIDIA_TESLA_T4",
        ...                accelerator_count=1).replica_count
        1
    """

    machine_type: pulumi.Input[str] | None = None
    replica_count: pulumi.Input[int] = 1
    accelerator_type: pulumi.Input[str] | None = None
    accelerator_count: pulumi.Input[int] | None = None
    boot_disk_type: pulumi.Input[str] | None = None
    boot_disk_size_gb: pulumi.Input[int] | None = None


def worker_pool_specs(
    pools: Sequence[WorkerPoolArgs | Mapping[str, Any] | None],
    container_spec: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The API's ``worker_pool_specs`` for flat pools, every non-empty one running
    ``container_spec`` (gcloud's rule: the built image serves all pools).

    >>> worker_pool_specs([WorkerPoolArgs(machine_type="n1-standard-4"), None], {"image_uri": "i"})
    [{'machine_spec': {'machine_type': 'n1-standard-4'}, 'replica_count': 1, \
'container_spec': {'image_uri': 'i'}}, {}]
    """
    specs: list[dict[str, Any]] = []
    for pool in pools:
        flat = to_plain(pool) if pool is not None else {}
        if not flat.get("machine_type"):
            specs.append({})
            continue
        machine: dict[str, Any] = {"machine_type": flat["machine_type"]}
        for key in ("accelerator_type", "accelerator_count"):
            if flat.get(key) is not None:
                machine[key] = flat[key]
        spec: dict[str, Any] = {
            "machine_spec": machine,
            "replica_count": flat.get("replica_count", 1),
        }
        disk = {
            key: flat[key]
            for key in ("boot_disk_type", "boot_disk_size_gb")
            if flat.get(key) is not None
        }
        if disk:
            spec["disk_spec"] = disk
        spec["container_spec"] = dict(container_spec)
        specs.append(spec)
    return specs


def flat_job_spec(
    image_uri: pulumi.Input[str],
    worker_pools: Sequence[WorkerPoolArgs | Mapping[str, Any] | None],
    *,
    args: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
    env: pulumi.Input[Any] | None = None,
    scheduling: pulumi.Input[Any] | None = None,
    service_account: pulumi.Input[str] | None = None,
    network: pulumi.Input[str] | None = None,
    reserved_ip_ranges: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
    base_output_directory: pulumi.Input[str] | None = None,
    persistent_resource_id: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """The CustomJobSpec of the flat arguments ``TrainingJob`` and ``HyperparameterTuning``
    share: every non-empty pool runs ``image_uri`` with ``args`` and ``env``; the fields
    not given are left out.

    >>> flat_job_spec("i", [WorkerPoolArgs(machine_type="n1-standard-4")], args=["-v"],
    ...               base_output_directory="gs://b/out")  # doctest: +NORMALIZE_WHITESPACE
    {'worker_pool_specs': [{'machine_spec': {'machine_type': 'n1-standard-4'},
      'replica_count': 1, 'container_spec': {'image_uri': 'i', 'args': ['-v']}}],
     'base_output_directory': {'output_uri_prefix': 'gs://b/out'}}
    """
    container: dict[str, Any] = {"image_uri": image_uri}
    if args is not None:
        container["args"] = args
    if env is not None:
        container["env"] = env
    job_spec: dict[str, Any] = {
        "worker_pool_specs": worker_pool_specs(worker_pools, container),
        "scheduling": to_plain(scheduling),
        "service_account": service_account,
        "network": network,
        "reserved_ip_ranges": reserved_ip_ranges,
        "persistent_resource_id": persistent_resource_id,
    }
    if base_output_directory is not None:
        job_spec["base_output_directory"] = {"output_uri_prefix": base_output_directory}
    return {k: v for k, v in job_spec.items() if v is not None}


class TrainingJob(pulumi.ComponentResource):
    """Local training code, packaged and run on Vertex AI, as one component.

    Children: ``{name}-image`` (a ``TrainingImage`` built from ``source_dir``) and
    ``{name}`` (a ``CustomJob`` whose non-empty pools all run that image). The
    image is rebuilt only when the code changes; the job is replaced only when
    what it runs changes.

    Example:
        >>> job = vt.TrainingJob(  # doctest: +SKIP
        ...     "train",
        ...     source_dir="trainer",
        ...     python_module="trainer.task",
        ...     base_image="us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-4.py310:latest",
        ...     repository="us-central1-docker.pkg.dev/my-project/training",
        ...     worker_pools=[
        ...         vt.WorkerPoolArgs(
        ...             machine_type="n1-standard-8", accelerator_type="NVIDIA_TESLA_T4"
        ...         )
        ...     ],
        ...     args=["--epochs", "10"],
        ...     base_output_directory="gs://my-bucket/runs/train",
        ...     wait="completed",
        ... )

    Args:
        resource_name: the component's name; children are named after it.
        source_dir, script, python_module, base_image, repository, requirements,
        extra_packages, extra_dirs: as for ``TrainingImage``.
        worker_pools: up to four flat pools (``WorkerPoolArgs`` or dicts).
        args: the container's args; env: ``{name: value}`` or a list of ``{name, value}``.
        scheduling: ``SchedulingArgs`` or a dict (timeout, strategy, ...).
        service_account, network, reserved_ip_ranges, persistent_resource_id:
            CustomJobSpec fields.
        base_output_directory: ``gs://...``; sets AIP_MODEL_DIR and friends.
        labels, display_name, wait, wait_timeout, on_delete, logs: as for ``CustomJob``.
        model: register what the trainer saved in ``AIP_MODEL_DIR`` in the Model Registry
            (``vt.ModelArgs`` or a dict: display name, serving ``container_spec``, ...):
            a child ``vt.Model`` ``{name}-model`` uploaded from the job's ``model_dir``
            once it has succeeded, a new version of it after each new run. Needs
            ``base_output_directory`` and ``wait="completed"``.
    """

    image_uri: pulumi.Output[str]
    job_name: pulumi.Output[str]
    state: pulumi.Output[str]
    model_dir: pulumi.Output[str | None]
    console_url: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        source_dir: str,
        base_image: str,
        repository: str,
        worker_pools: Sequence[WorkerPoolArgs | Mapping[str, Any] | None],
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
        labels: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
        display_name: pulumi.Input[str] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        wait: pulumi.Input[str] = "started",
        wait_timeout: pulumi.Input[str | int | float] | datetime.timedelta | None = None,
        on_delete: pulumi.Input[str] = "cancel",
        logs: pulumi.Input[str] = "failures",
        model: ModelArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not worker_pools:
            raise ValueError("worker_pools: give at least one pool (the primary, pool 0)")
        super().__init__("vertex:components:TrainingJob", resource_name, None, opts)
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
        job_spec = flat_job_spec(
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
        self.job = CustomJob(
            resource_name,
            job_spec=job_spec,
            display_name=display_name,
            project=project,
            location=location,
            labels=labels,
            wait=wait,
            wait_timeout=wait_timeout,
            on_delete=on_delete,
            logs=logs,
            opts=child,
        )
        self.model: Model | None = None
        if model is not None:
            # The folder keeps its name across runs: each new job (its id) is a new version.
            fields = {snake_case(str(k)): v for k, v in dict(to_plain(model)).items()}
            unknown = set(fields) - set(MODEL_FIELDS)
            if unknown:
                raise ValueError(f"model: not Model fields: {', '.join(sorted(unknown))}")
            if isinstance(wait, str) and wait != "completed":
                raise ValueError("model: the model is uploaded once the job has succeeded, so "
                                 "the job must be waited for: pass wait='completed'")  # fmt: skip
            if base_output_directory is None and not fields.get("artifact_uri"):
                raise ValueError("model: give base_output_directory (the trainer saves the "
                                 "model in its model/ folder, AIP_MODEL_DIR)")  # fmt: skip
            self.model = Model(
                f"{resource_name}-model",
                **{k: v for k, v in fields.items() if k != "artifact_uri"},
                artifact_uri=fields.get("artifact_uri") or self.job.model_dir,
                project=project,
                location=location,
                triggers=[self.job.id],
                opts=child,
            )
        self.image_uri = self.image.image_uri
        self.job_name = self.job.id
        self.state = self.job.state
        self.model_dir = self.job.model_dir
        self.console_url = self.job.console_url
        self.register_outputs(
            {
                "image_uri": self.image_uri,
                "job_name": self.job_name,
                "state": self.state,
                "model_dir": self.model_dir,
                "console_url": self.console_url,
            }
        )
