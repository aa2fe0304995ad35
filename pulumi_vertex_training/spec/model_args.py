"""Typed inputs for models and training pipelines: one keyword-only ``@dataclass`` per message.

Same conventions as ``args.py``: proto field names, ``Input[T]`` without importing pulumi,
required fields without a default, every other field None ("not given"); plain dicts
(snake_case or REST camelCase) work wherever an ``XArgs`` does, and ``to_plain`` turns a
tree of them into dicts for ``normalize_model`` / ``normalize_training_pipeline``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .args import CustomJobSpecArgs, Duration, EncryptionSpecArgs, Env, Input


@dataclass(kw_only=True)
class PortArgs:
    """Port: a port the serving container listens on (1..65535)."""

    container_port: Input[int]


@dataclass(kw_only=True)
class ModelContainerSpecArgs:
    """ModelContainerSpec: the container that serves the model's predictions.

    ``image_uri`` is required ("Required. Immutable." in the API); Vertex sets
    ``AIP_STORAGE_URI`` to (a copy of) the model's ``artifact_uri`` in it.

    Example:
        >>> ModelContainerSpecArgs(
        ...     image_uri="us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest",
        ...     predict_route="/predict",
        ... ).predict_route
        '/predict'
    """

    image_uri: Input[str]
    command: Input[Sequence[Input[str]]] | None = None
    args: Input[Sequence[Input[str]]] | None = None
    env: Input[Env] | None = None
    ports: Input[Sequence[PortArgs | Mapping[str, Any]]] | None = None
    grpc_ports: Input[Sequence[PortArgs | Mapping[str, Any]]] | None = None
    predict_route: Input[str] | None = None
    health_route: Input[str] | None = None
    invoke_route_prefix: Input[str] | None = None
    deployment_timeout: Input[Duration] | None = None
    shared_memory_size_mb: Input[int] | None = None


@dataclass(kw_only=True)
class PredictSchemataArgs:
    """PredictSchemata: gs:// URIs of the OpenAPI schemas of instances, parameters, predictions."""

    instance_schema_uri: Input[str] | None = None
    parameters_schema_uri: Input[str] | None = None
    prediction_schema_uri: Input[str] | None = None


@dataclass(kw_only=True)
class ModelArgs:
    """Model, the fields a user gives: what UploadModel takes, and a TrainingPipeline's
    ``model_to_upload`` (whose ``artifact_uri`` defaults to the job's ``AIP_MODEL_DIR``).

    ``version_aliases``: ``[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]`` each; ``"default"`` makes
    this version the model's default (version 1 always is).
    """

    display_name: Input[str]
    container_spec: Input[ModelContainerSpecArgs | Mapping[str, Any]] | None = None
    artifact_uri: Input[str] | None = None
    description: Input[str] | None = None
    version_description: Input[str] | None = None
    version_aliases: Input[Sequence[Input[str]]] | None = None
    predict_schemata: Input[PredictSchemataArgs | Mapping[str, Any]] | None = None
    labels: Input[Mapping[str, Input[str]]] | None = None
    encryption_spec: Input[EncryptionSpecArgs | Mapping[str, Any]] | None = None


@dataclass(kw_only=True)
class TrainingPipelineArgs:
    """TrainingPipeline with the custom task: ``training_task_inputs`` is the CustomJobSpec
    the pipeline runs; with ``model_to_upload`` the trained model (what the trainer saved in
    ``AIP_MODEL_DIR``) is uploaded, as a new model (``model_id`` names it) or as a new
    version of ``parent_model``.
    """

    display_name: Input[str]
    training_task_inputs: Input[CustomJobSpecArgs | Mapping[str, Any]]
    model_to_upload: Input[ModelArgs | Mapping[str, Any]] | None = None
    model_id: Input[str] | None = None
    parent_model: Input[str] | None = None
    labels: Input[Mapping[str, Input[str]]] | None = None
    encryption_spec: Input[EncryptionSpecArgs | Mapping[str, Any]] | None = None
