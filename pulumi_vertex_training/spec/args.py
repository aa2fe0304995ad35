"""Typed inputs users write: one ``@dataclass`` per API message, proto field names.

Typing: spec/ must not import pulumi, so ``Input[T]`` here is ``T``, an awaitable of
``T``, or anything with an ``apply`` method (structurally, ``pulumi.Output[T]``); it
matches ``pulumi.Input[T]`` for type checkers without the import. As in pulumi-gcp's
input types, arguments are keyword-only; the fields the API marks REQUIRED (and
``machine_spec``/``machine_type``, which training needs) have no default, so a type
checker and the constructor both ask for them; every other field defaults to None
("not given"), so ``to_plain`` drops it and the service default applies.

Plain dicts (snake_case or REST camelCase) are accepted wherever an ``XArgs`` is, and
dataclasses and dicts mix freely; ``to_plain`` turns a tree of them into dicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, Union

T = TypeVar("T")


class OutputLike(Protocol):
    """What spec/ needs to know of ``pulumi.Output``: it is a value resolved later."""

    def apply(self, func: Callable[[Any], Any], run_with_unknowns: bool = False) -> Any:
        """Map the eventual value."""


# typing.Union, not |: the alias is subscripted (Input[str]) and must work on 3.10.
Input = Union[T, Awaitable[T], OutputLike]  # noqa: UP007
"""``pulumi.Input[T]`` without importing pulumi."""

Duration = Union[str, int, float, Any]  # noqa: UP007
"""A duration: "2h", "90m", "1h30m", "7200s", seconds, or ``datetime.timedelta``."""


def to_plain(value: Any) -> Any:
    """Nested dataclasses -> dicts with their None fields dropped; lists and dicts are
    walked; any other value (strings, numbers, UNKNOWN, Output-like objects) is returned
    untouched."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


# --- CustomJob -------------------------------------------------------------------


@dataclass(kw_only=True)
class EnvVarArgs:
    """EnvVar: ``name`` a C identifier; ``value`` may use $(VAR) of earlier variables."""

    name: Input[str]
    value: Input[str]


Env = Union[Sequence[Union[EnvVarArgs, Mapping[str, Any]]], Mapping[str, Any]]  # noqa: UP007
"""Env as a list of EnvVarArgs/{name, value}, or a mapping {name: value} (sorted by name)."""


@dataclass(kw_only=True)
class ContainerSpecArgs:
    """ContainerSpec: a custom container task."""

    image_uri: Input[str]
    command: Input[Sequence[Input[str]]] | None = None
    args: Input[Sequence[Input[str]]] | None = None
    env: Input[Env] | None = None


@dataclass(kw_only=True)
class PythonPackageSpecArgs:
    """PythonPackageSpec: a Python package run on a Vertex prebuilt executor image."""

    executor_image_uri: Input[str]
    package_uris: Input[Sequence[Input[str]]]
    python_module: Input[str]
    args: Input[Sequence[Input[str]]] | None = None
    env: Input[Env] | None = None


@dataclass(kw_only=True)
class ReservationAffinityArgs:
    """ReservationAffinity: NO_RESERVATION, ANY_RESERVATION or SPECIFIC_RESERVATION."""

    reservation_affinity_type: Input[str]
    key: Input[str] | None = None
    values: Input[Sequence[Input[str]]] | None = None


@dataclass(kw_only=True)
class MachineSpecArgs:
    """MachineSpec: machine type plus optional accelerators, MIG size, TPU topology."""

    machine_type: Input[str]
    accelerator_type: Input[str] | None = None
    accelerator_count: Input[int] | None = None
    gpu_partition_size: Input[str] | None = None
    tpu_topology: Input[str] | None = None
    reservation_affinity: Input[ReservationAffinityArgs | Mapping[str, Any]] | None = None


@dataclass(kw_only=True)
class DiskSpecArgs:
    """DiskSpec: boot disk type (pd-ssd, pd-standard, hyperdisk-balanced) and size in GB."""

    boot_disk_type: Input[str] | None = None
    boot_disk_size_gb: Input[int] | None = None


@dataclass(kw_only=True)
class NfsMountArgs:
    """NfsMount: mounted at /mnt/nfs/{mount_point}."""

    server: Input[str]
    path: Input[str]
    mount_point: Input[str]


@dataclass(kw_only=True)
class LustreMountArgs:
    """LustreMount: mounted at /mnt/lustre/{mount_point}."""

    instance_ip: Input[str]
    volume_handle: Input[str]
    filesystem: Input[str]
    mount_point: Input[str]


@dataclass(kw_only=True)
class WorkerPoolSpecArgs:
    """WorkerPoolSpec, the API's shape: one of container_spec / python_package_spec, on
    machine_spec. Use it in ``vt.CustomJob(job_spec=vt.CustomJobSpecArgs(worker_pool_specs=
    [...]))``; ``vt.TrainingJob`` takes the flat, gcloud-like ``vt.WorkerPoolArgs`` instead
    (machine and disk only: the container is the image it builds).

    Pool 0 is the primary (replica_count 1); pools after the first may be ``{}``.

    Example:
        >>> WorkerPoolSpecArgs(
        ...     machine_spec=MachineSpecArgs(machine_type="n1-standard-4"),
        ...     replica_count=1,
        ...     container_spec=ContainerSpecArgs(image_uri="us-docker.pkg.dev/p/r/img:1"),
        ... ).replica_count
        1
    """

    machine_spec: Input[MachineSpecArgs | Mapping[str, Any]]
    replica_count: Input[int] | None = None
    container_spec: Input[ContainerSpecArgs | Mapping[str, Any]] | None = None
    python_package_spec: Input[PythonPackageSpecArgs | Mapping[str, Any]] | None = None
    disk_spec: Input[DiskSpecArgs | Mapping[str, Any]] | None = None
    nfs_mounts: Input[Sequence[NfsMountArgs | Mapping[str, Any]]] | None = None
    lustre_mounts: Input[Sequence[LustreMountArgs | Mapping[str, Any]]] | None = None


@dataclass(kw_only=True)
class SchedulingArgs:
    """Scheduling: timeout, restarts, strategy (STANDARD, SPOT, FLEX_START), waits."""

    timeout: Input[Duration] | None = None
    restart_job_on_worker_restart: Input[bool] | None = None
    strategy: Input[str] | None = None
    disable_retries: Input[bool] | None = None
    max_wait_duration: Input[Duration] | None = None


@dataclass(kw_only=True)
class EncryptionSpecArgs:
    """EncryptionSpec: a Cloud KMS key in the resource's region."""

    kms_key_name: Input[str]


@dataclass(kw_only=True)
class GcsDestinationArgs:
    """GcsDestination (CustomJobSpec.base_output_directory): a gs:// prefix."""

    output_uri_prefix: Input[str]


@dataclass(kw_only=True)
class DnsPeeringConfigArgs:
    """DnsPeeringConfig: ``domain`` ends with '.'."""

    domain: Input[str]
    target_project: Input[str]
    target_network: Input[str]


@dataclass(kw_only=True)
class PscInterfaceConfigArgs:
    """PscInterfaceConfig: Private Service Connect interface (instead of ``network``)."""

    network_attachment: Input[str] | None = None
    dns_peering_configs: Input[Sequence[DnsPeeringConfigArgs | Mapping[str, Any]]] | None = None


@dataclass(kw_only=True)
class CustomJobSpecArgs:
    """CustomJobSpec: the whole v1 job spec, field for field."""

    worker_pool_specs: Input[Sequence[WorkerPoolSpecArgs | Mapping[str, Any]]]
    scheduling: Input[SchedulingArgs | Mapping[str, Any]] | None = None
    service_account: Input[str] | None = None
    network: Input[str] | None = None
    reserved_ip_ranges: Input[Sequence[Input[str]]] | None = None
    psc_interface_config: Input[PscInterfaceConfigArgs | Mapping[str, Any]] | None = None
    base_output_directory: Input[GcsDestinationArgs | Mapping[str, Any]] | None = None
    protected_artifact_location_id: Input[str] | None = None
    tensorboard: Input[str] | None = None
    enable_web_access: Input[bool] | None = None
    enable_dashboard_access: Input[bool] | None = None
    experiment: Input[str] | None = None
    experiment_run: Input[str] | None = None
    models: Input[Sequence[Input[str]]] | None = None
    persistent_resource_id: Input[str] | None = None


# --- PersistentResource ------------------------------------------------------------


@dataclass(kw_only=True)
class AutoscalingSpecArgs:
    """ResourcePool.AutoscalingSpec: min <= replica_count <= max."""

    min_replica_count: Input[int] | None = None
    max_replica_count: Input[int] | None = None


@dataclass(kw_only=True)
class ResourcePoolArgs:
    """ResourcePool: a set of identical machines; ``id`` defaults to ``pool-{index}``."""

    machine_spec: Input[MachineSpecArgs | Mapping[str, Any]]
    replica_count: Input[int] | None = None
    id: Input[str] | None = None
    disk_spec: Input[DiskSpecArgs | Mapping[str, Any]] | None = None
    autoscaling_spec: Input[AutoscalingSpecArgs | Mapping[str, Any]] | None = None


@dataclass(kw_only=True)
class ServiceAccountSpecArgs:
    """ServiceAccountSpec: run workloads as a custom service account."""

    enable_custom_service_account: Input[bool]
    service_account: Input[str] | None = None


@dataclass(kw_only=True)
class RayMetricSpecArgs:
    """RayMetricSpec."""

    disabled: Input[bool] | None = None


@dataclass(kw_only=True)
class RayLogsSpecArgs:
    """RayLogsSpec."""

    disabled: Input[bool] | None = None


@dataclass(kw_only=True)
class RaySpecArgs:
    """RaySpec: a Ray cluster on the resource; image_uri or resource_pool_images."""

    image_uri: Input[str] | None = None
    resource_pool_images: Input[Mapping[str, Input[str]]] | None = None
    head_node_resource_pool_id: Input[str] | None = None
    ray_metric_spec: Input[RayMetricSpecArgs | Mapping[str, Any]] | None = None
    ray_logs_spec: Input[RayLogsSpecArgs | Mapping[str, Any]] | None = None


@dataclass(kw_only=True)
class ResourceRuntimeSpecArgs:
    """ResourceRuntimeSpec: service account and Ray settings."""

    service_account_spec: Input[ServiceAccountSpecArgs | Mapping[str, Any]] | None = None
    ray_spec: Input[RaySpecArgs | Mapping[str, Any]] | None = None
