"""Pure spec layer: args dataclasses -> validated, normalized, hashed specs; no I/O.

Nothing here imports pulumi; the providers call it from check()/diff()/create().
"""

from .args import (
    AutoscalingSpecArgs,
    ContainerSpecArgs,
    CustomJobSpecArgs,
    DiskSpecArgs,
    DnsPeeringConfigArgs,
    EncryptionSpecArgs,
    EnvVarArgs,
    GcsDestinationArgs,
    Input,
    LustreMountArgs,
    MachineSpecArgs,
    NfsMountArgs,
    PscInterfaceConfigArgs,
    PythonPackageSpecArgs,
    RayLogsSpecArgs,
    RayMetricSpecArgs,
    RaySpecArgs,
    ReservationAffinityArgs,
    ResourcePoolArgs,
    ResourceRuntimeSpecArgs,
    SchedulingArgs,
    ServiceAccountSpecArgs,
    WorkerPoolSpecArgs,
    to_plain,
)
from .custom_job import NormalizedJob, normalize_custom_job
from .durations import normalize_duration
from .failures import UNKNOWN, SpecError, SpecFailure, is_unknown, missing

__all__ = [
    "UNKNOWN",
    "AutoscalingSpecArgs",
    "ContainerSpecArgs",
    "CustomJobSpecArgs",
    "DiskSpecArgs",
    "DnsPeeringConfigArgs",
    "EncryptionSpecArgs",
    "EnvVarArgs",
    "GcsDestinationArgs",
    "Input",
    "LustreMountArgs",
    "MachineSpecArgs",
    "NfsMountArgs",
    "NormalizedJob",
    "PscInterfaceConfigArgs",
    "PythonPackageSpecArgs",
    "RayLogsSpecArgs",
    "RayMetricSpecArgs",
    "RaySpecArgs",
    "ReservationAffinityArgs",
    "ResourcePoolArgs",
    "ResourceRuntimeSpecArgs",
    "SchedulingArgs",
    "ServiceAccountSpecArgs",
    "SpecError",
    "SpecFailure",
    "WorkerPoolSpecArgs",
    "is_unknown",
    "missing",
    "normalize_custom_job",
    "normalize_duration",
    "to_plain",
]
