"""Vertex AI custom training as infrastructure code.

``import pulumi_vertex_training as vt``, then declare:

- ``vt.CustomJob``: a Vertex AI CustomJob (every field of the v1 CustomJobSpec),
  validated at preview, adopted instead of resubmitted, waited for as asked;
- ``vt.PersistentResource``: a warm pool of machines jobs run on (scales and
  reboots in place; ``vt.CustomJob(persistent_resource=...)`` runs on it);
- ``vt.TrainingImage``: gcloud's autopackaging of a local folder, built with
  Docker, pushed, pinned by digest, rebuilt only when its content changes;
- ``vt.PythonPackage``: local training code as an sdist on Cloud Storage, for
  ``python_package_spec`` jobs on Vertex's prebuilt executor images;
- ``vt.TrainingJob``: an image and a job at once, with flat gcloud-like worker pools;
- ``vt.HyperparameterTuningJob``: a study whose trials run as CustomJobs, its best
  trial an output; ``vt.HyperparameterTuning``: that and its image from local code;
- ``vt.TrainingPipeline``: a CustomJob run whose trained model is uploaded to the
  Model Registry (the console's "Train new model");
- ``vt.Model``: a model (or a version of one) in the Model Registry, uploaded from an
  artifact folder with its serving container; new content is a new version;
- ``vt.TrainingEnvironment``: service account, staging bucket, Docker repository
  and VPC peering for jobs, as pulumi-gcp resources (the ``gcp`` extra:
  ``pip install pulumi-vertex-training[gcp]``; imported on first use);
- the typed args (``vt.CustomJobSpecArgs``, ``vt.WorkerPoolSpecArgs``, ...)
  named after the API's fields; plain dicts in snake_case or camelCase work too.

The local Vertex AI emulator is ``vertex-local`` (``pulumi_vertex_training.emulator``);
``pulumi_vertex_training.testing`` runs programs in-process against it.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time, __getattr__ below
    from pulumi_vertex_training.components.hyperparameter_tuning import HyperparameterTuning
    from pulumi_vertex_training.components.python_package import PythonPackage
    from pulumi_vertex_training.components.training_environment import (
        TrainingEnvironment as TrainingEnvironment,
    )
    from pulumi_vertex_training.components.training_image import TrainingImage
    from pulumi_vertex_training.components.training_job import TrainingJob, WorkerPoolArgs
    from pulumi_vertex_training.provider.resources import (
        CustomJob,
        HyperparameterTuningJob,
        Model,
        PersistentResource,
        TrainingPipeline,
    )
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
    from pulumi_vertex_training.spec.model_args import (
        ModelArgs,
        ModelContainerSpecArgs,
        PortArgs,
        PredictSchemataArgs,
    )
    from pulumi_vertex_training.spec.tuning_args import (
        CategoricalValueConditionArgs,
        CategoricalValueSpecArgs,
        ConditionalParameterSpecArgs,
        ConvexAutomatedStoppingSpecArgs,
        DecayCurveAutomatedStoppingSpecArgs,
        DiscreteValueConditionArgs,
        DiscreteValueSpecArgs,
        DoubleValueSpecArgs,
        IntegerValueSpecArgs,
        IntValueConditionArgs,
        MedianAutomatedStoppingSpecArgs,
        MetricSpecArgs,
        ParameterSpecArgs,
        SafetyMetricConfigArgs,
        StudySpecArgs,
        StudyStoppingConfigArgs,
        StudyTimeConstraintArgs,
    )

# Public name -> its module. Imported on first use (PEP 562): `import
# pulumi_vertex_training.emulator` (vertex-local) then costs no Pulumi SDK import.
_EXPORTS: dict[str, str] = {
    "AutoscalingSpecArgs": "pulumi_vertex_training.spec.args",
    "CategoricalValueConditionArgs": "pulumi_vertex_training.spec.tuning_args",
    "CategoricalValueSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "ConditionalParameterSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "ContainerSpecArgs": "pulumi_vertex_training.spec.args",
    "ConvexAutomatedStoppingSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "CustomJob": "pulumi_vertex_training.provider.resources",
    "CustomJobSpecArgs": "pulumi_vertex_training.spec.args",
    "DecayCurveAutomatedStoppingSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "DiscreteValueConditionArgs": "pulumi_vertex_training.spec.tuning_args",
    "DiscreteValueSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "DiskSpecArgs": "pulumi_vertex_training.spec.args",
    "DnsPeeringConfigArgs": "pulumi_vertex_training.spec.args",
    "DoubleValueSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "EncryptionSpecArgs": "pulumi_vertex_training.spec.args",
    "EnvVarArgs": "pulumi_vertex_training.spec.args",
    "GcsDestinationArgs": "pulumi_vertex_training.spec.args",
    "HyperparameterTuning": "pulumi_vertex_training.components.hyperparameter_tuning",
    "HyperparameterTuningJob": "pulumi_vertex_training.provider.resources",
    "IntValueConditionArgs": "pulumi_vertex_training.spec.tuning_args",
    "IntegerValueSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "LustreMountArgs": "pulumi_vertex_training.spec.args",
    "MachineSpecArgs": "pulumi_vertex_training.spec.args",
    "MedianAutomatedStoppingSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "MetricSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "Model": "pulumi_vertex_training.provider.resources",
    "ModelArgs": "pulumi_vertex_training.spec.model_args",
    "ModelContainerSpecArgs": "pulumi_vertex_training.spec.model_args",
    "NfsMountArgs": "pulumi_vertex_training.spec.args",
    "ParameterSpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "PersistentResource": "pulumi_vertex_training.provider.resources",
    "PortArgs": "pulumi_vertex_training.spec.model_args",
    "PredictSchemataArgs": "pulumi_vertex_training.spec.model_args",
    "PscInterfaceConfigArgs": "pulumi_vertex_training.spec.args",
    "PythonPackage": "pulumi_vertex_training.components.python_package",
    "PythonPackageSpecArgs": "pulumi_vertex_training.spec.args",
    "RayLogsSpecArgs": "pulumi_vertex_training.spec.args",
    "RayMetricSpecArgs": "pulumi_vertex_training.spec.args",
    "RaySpecArgs": "pulumi_vertex_training.spec.args",
    "ReservationAffinityArgs": "pulumi_vertex_training.spec.args",
    "ResourcePoolArgs": "pulumi_vertex_training.spec.args",
    "ResourceRuntimeSpecArgs": "pulumi_vertex_training.spec.args",
    "SafetyMetricConfigArgs": "pulumi_vertex_training.spec.tuning_args",
    "SchedulingArgs": "pulumi_vertex_training.spec.args",
    "ServiceAccountSpecArgs": "pulumi_vertex_training.spec.args",
    "StudySpecArgs": "pulumi_vertex_training.spec.tuning_args",
    "StudyStoppingConfigArgs": "pulumi_vertex_training.spec.tuning_args",
    "StudyTimeConstraintArgs": "pulumi_vertex_training.spec.tuning_args",
    "TrainingImage": "pulumi_vertex_training.components.training_image",
    "TrainingJob": "pulumi_vertex_training.components.training_job",
    "TrainingPipeline": "pulumi_vertex_training.provider.resources",
    "WorkerPoolArgs": "pulumi_vertex_training.components.training_job",
    "WorkerPoolSpecArgs": "pulumi_vertex_training.spec.args",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # the next access is a plain attribute
        return value
    # TrainingEnvironment needs pulumi-gcp, an optional extra: import it on first use
    # so that `import pulumi_vertex_training` works without it.
    if name == "TrainingEnvironment":
        try:
            from pulumi_vertex_training.components.training_environment import (
                TrainingEnvironment,
            )
        except ImportError as err:
            raise ImportError(
                "vt.TrainingEnvironment needs pulumi-gcp: pip install pulumi-vertex-training[gcp]"
            ) from err
        return TrainingEnvironment
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AutoscalingSpecArgs",
    "CategoricalValueConditionArgs",
    "CategoricalValueSpecArgs",
    "ConditionalParameterSpecArgs",
    "ContainerSpecArgs",
    "ConvexAutomatedStoppingSpecArgs",
    "CustomJob",
    "CustomJobSpecArgs",
    "DecayCurveAutomatedStoppingSpecArgs",
    "DiscreteValueConditionArgs",
    "DiscreteValueSpecArgs",
    "DiskSpecArgs",
    "DnsPeeringConfigArgs",
    "DoubleValueSpecArgs",
    "EncryptionSpecArgs",
    "EnvVarArgs",
    "GcsDestinationArgs",
    "HyperparameterTuning",
    "HyperparameterTuningJob",
    "IntValueConditionArgs",
    "IntegerValueSpecArgs",
    "LustreMountArgs",
    "MachineSpecArgs",
    "MedianAutomatedStoppingSpecArgs",
    "MetricSpecArgs",
    "Model",
    "ModelArgs",
    "ModelContainerSpecArgs",
    "NfsMountArgs",
    "ParameterSpecArgs",
    "PersistentResource",
    "PortArgs",
    "PredictSchemataArgs",
    "PscInterfaceConfigArgs",
    "PythonPackage",
    "PythonPackageSpecArgs",
    "RayLogsSpecArgs",
    "RayMetricSpecArgs",
    "RaySpecArgs",
    "ReservationAffinityArgs",
    "ResourcePoolArgs",
    "ResourceRuntimeSpecArgs",
    "SafetyMetricConfigArgs",
    "SchedulingArgs",
    "ServiceAccountSpecArgs",
    "StudySpecArgs",
    "StudyStoppingConfigArgs",
    "StudyTimeConstraintArgs",
    "TrainingImage",
    "TrainingJob",
    "TrainingPipeline",
    "WorkerPoolArgs",
    "WorkerPoolSpecArgs",
]
