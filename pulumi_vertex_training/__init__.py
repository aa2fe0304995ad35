"""Vertex AI custom training as infrastructure code.

``import pulumi_vertex_training as vt``, then declare:

- ``vt.CustomJob``: a Vertex AI CustomJob (every field of the v1 CustomJobSpec),
  validated at preview, adopted instead of resubmitted, waited for as asked;
- ``vt.TrainingImage``: gcloud's autopackaging of a local folder, built with
  Docker, pushed, pinned by digest, rebuilt only when its content changes;
- ``vt.TrainingJob``: both at once, with flat gcloud-like worker pools;
- the typed args (``vt.CustomJobSpecArgs``, ``vt.WorkerPoolSpecArgs``, ...)
  named after the API's fields; plain dicts in snake_case or camelCase work too.

The local Vertex AI emulator is ``vertex-local`` (``pulumi_vertex_training.emulator``);
``pulumi_vertex_training.testing`` runs programs in-process against it.
"""

from pulumi_vertex_training.components.python_package import PythonPackage
from pulumi_vertex_training.components.training_image import TrainingImage
from pulumi_vertex_training.components.training_job import TrainingJob, WorkerPoolArgs
from pulumi_vertex_training.provider.resources import CustomJob
from pulumi_vertex_training.spec.args import (
    AutoscalingSpecArgs,
    ContainerSpecArgs,
    CustomJobSpecArgs,
    DiskSpecArgs,
    DnsPeeringConfigArgs,
    EncryptionSpecArgs,
    EnvVarArgs,
    GcsDestinationArgs,
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
)

__all__ = [
    "AutoscalingSpecArgs",
    "ContainerSpecArgs",
    "CustomJob",
    "CustomJobSpecArgs",
    "DiskSpecArgs",
    "DnsPeeringConfigArgs",
    "EncryptionSpecArgs",
    "EnvVarArgs",
    "GcsDestinationArgs",
    "LustreMountArgs",
    "MachineSpecArgs",
    "NfsMountArgs",
    "PscInterfaceConfigArgs",
    "PythonPackage",
    "PythonPackageSpecArgs",
    "RayLogsSpecArgs",
    "RayMetricSpecArgs",
    "RaySpecArgs",
    "ReservationAffinityArgs",
    "ResourcePoolArgs",
    "ResourceRuntimeSpecArgs",
    "SchedulingArgs",
    "ServiceAccountSpecArgs",
    "TrainingImage",
    "TrainingJob",
    "WorkerPoolArgs",
    "WorkerPoolSpecArgs",
]
