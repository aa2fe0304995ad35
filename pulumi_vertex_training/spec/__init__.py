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
from .fit import job_fits_resource, with_resource_id
from .hashing import canonical_json, has_unknowns, spec_hash
from .persistent_resource import (
    NormalizedResource,
    normalize_persistent_resource,
    normalize_resource_id,
)
from .proto import (
    custom_job_from_proto,
    custom_job_to_proto,
    persistent_resource_from_proto,
    persistent_resource_to_proto,
)

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
    "NormalizedResource",
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
    "canonical_json",
    "custom_job_from_proto",
    "custom_job_to_proto",
    "has_unknowns",
    "is_unknown",
    "job_fits_resource",
    "missing",
    "normalize_custom_job",
    "normalize_duration",
    "normalize_persistent_resource",
    "normalize_resource_id",
    "persistent_resource_from_proto",
    "persistent_resource_to_proto",
    "spec_hash",
    "to_plain",
    "with_resource_id",
]
