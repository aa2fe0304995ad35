"""The Pulumi resources users declare: thin classes that hand props to a provider.

One module per resource kind, beside the provider it registers with
(``provider/custom_job.py`` for ``resources/custom_job.py``, ...). Every input
accepts ``pulumi.Input``; nested args may be the typed dataclasses of
``pulumi_vertex_training.spec`` or plain dicts in snake_case or the REST API's
camelCase (so a request body from the Vertex AI docs pastes in).
"""

from pulumi_vertex_training.provider.resources.custom_job import CustomJob
from pulumi_vertex_training.provider.resources.hyperparameter_tuning_job import (
    HyperparameterTuningJob,
)
from pulumi_vertex_training.provider.resources.image import Image
from pulumi_vertex_training.provider.resources.model import Model
from pulumi_vertex_training.provider.resources.persistent_resource import PersistentResource
from pulumi_vertex_training.provider.resources.python_package import PythonPackageUpload
from pulumi_vertex_training.provider.resources.training_pipeline import TrainingPipeline

__all__ = [
    "CustomJob",
    "HyperparameterTuningJob",
    "Image",
    "Model",
    "PersistentResource",
    "PythonPackageUpload",
    "TrainingPipeline",
]
