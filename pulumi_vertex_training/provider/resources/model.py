"""``vt.Model``: the Pulumi resource class users instantiate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic

from pulumi_vertex_training.provider.model import INPUT_FIELDS, OUTPUT_KEYS, ModelProvider
from pulumi_vertex_training.provider.resources.defaults import placement, resource_key
from pulumi_vertex_training.provider.resources.registration import read_existing, register
from pulumi_vertex_training.spec import (
    EncryptionSpecArgs,
    ModelContainerSpecArgs,
    PredictSchemataArgs,
    to_plain,
)


class Model(pulumi.dynamic.Resource, module="vertex", name="Model"):
    """A model in the Vertex AI Model Registry, uploaded from an artifact folder with the
    container that serves it (UploadModel).

    Without ``parent_model`` the resource is a model: a change to what its version
    holds (``artifact_uri``, ``container_spec``, ``predict_schemata``, ``triggers``)
    uploads a new version of the same model, which becomes its ``default``; earlier
    versions stay in the registry (its history) until the model is destroyed. With
    ``parent_model`` it is a version of that model: a change uploads another version
    into it, and destroy deletes the current one. ``display_name``, ``description``,
    ``labels``, ``version_description`` and ``version_aliases`` change in place;
    ``model_id``, ``parent_model`` and ``encryption_spec`` replace.

    An artifact folder written by a job keeps its name across runs: pass the job in
    ``triggers`` so that each new run uploads a new version.

    Example:
        >>> import pulumi_vertex_training as vt
        >>> model = vt.Model(  # doctest: +SKIP
        ...     "churn",
        ...     artifact_uri=job.model_dir,
        ...     container_spec=vt.ModelContainerSpecArgs(
        ...         image_uri="us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"),
        ...     version_aliases=["prod"],
        ...     labels={"team": "growth"},
        ...     triggers=[job.id],
        ... )
        >>> pulumi.export("model", model.name)  # doctest: +SKIP

    Args:
        resource_name: the Pulumi name; the model's display name defaults to it.
        artifact_uri: the ``gs://`` folder holding the model's files.
        container_spec: the serving container (``vt.ModelContainerSpecArgs`` or a dict).
        display_name: at most 128 characters (a model field: the first upload sets it).
        description, version_description: of the model, of the version.
        version_aliases: the aliases the current version carries, each
            ``[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]``; a model's current version is also
            ``default``; a version of another model only when ``"default"`` is listed.
        predict_schemata: gs:// URIs of the instance, parameters and prediction schemas.
        labels: the model's labels (a version's, with ``parent_model``); ours are added.
        encryption_spec: ``{"kms_key_name": ...}`` for CMEK.
        parent_model: ``projects/…/models/{id}``: be a version of that model.
        model_id: the new model's id (else Vertex picks a number).
        project, location: default to ``gcp:project`` / ``gcp:region`` config.
        triggers: any change uploads a new version.
        on_delete: ``"delete"`` (the default: DeleteModel, or DeleteModelVersion for a
            version of another model) or ``"keep"`` (leave it in the registry).
        opts: Pulumi resource options.
    """

    name: pulumi.Output[str]
    """``projects/…/models/{id}``, without a version."""
    version_id: pulumi.Output[str]
    """The current version's id (``"1"``, ``"2"``, …)."""
    version_aliases: pulumi.Output[list[str]]
    """The aliases the current version carries, ``default`` included when it has it."""
    artifact_uri: pulumi.Output[str | None]
    create_time: pulumi.Output[str]
    update_time: pulumi.Output[str]
    version_create_time: pulumi.Output[str]
    version_update_time: pulumi.Output[str]
    console_url: pulumi.Output[str]
    spec_hash: pulumi.Output[str]
    """Hash of what the current version holds; the version carries it as a label."""
    display_name: pulumi.Output[str]
    labels: pulumi.Output[dict[str, str]]
    project: pulumi.Output[str]
    location: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        artifact_uri: pulumi.Input[str | None] | None = None,
        container_spec: pulumi.Input[ModelContainerSpecArgs | Mapping[str, Any]] | None = None,
        display_name: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        version_description: pulumi.Input[str] | None = None,
        version_aliases: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        predict_schemata: pulumi.Input[PredictSchemataArgs | Mapping[str, Any]] | None = None,
        labels: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        encryption_spec: pulumi.Input[EncryptionSpecArgs | Mapping[str, Any]] | None = None,
        parent_model: pulumi.Input[str] | None = None,
        model_id: pulumi.Input[str] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        triggers: pulumi.Input[Sequence[Any]] | None = None,
        on_delete: pulumi.Input[str] = "delete",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs: dict[str, Any] = {
            **placement(resource_name, project, location, display_name),
            "artifact_uri": artifact_uri,
            "container_spec": to_plain(container_spec),
            "description": description,
            "version_description": version_description,
            "version_aliases": version_aliases,
            "predict_schemata": to_plain(predict_schemata),
            "labels": labels,
            "encryption_spec": to_plain(encryption_spec),
            "parent_model": parent_model,
            "model_id": model_id,
            "triggers": triggers,
            "on_delete": on_delete,
            "resource_key": resource_key(resource_name),
        }
        # version_aliases is an output too: register() keeps the input
        register(self, ModelProvider(), resource_name, inputs, OUTPUT_KEYS, opts)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> Model:
        """Read an existing model into the program: ``projects/…/models/{id}`` (its
        default version), ``…@{version_id}`` or ``…@{alias}``. It is read, never
        changed or deleted by this stack."""
        keys = ("project", "location", *INPUT_FIELDS, "triggers", "on_delete", "resource_key")
        return read_existing(Model, ModelProvider(), resource_name, id, (*keys, *OUTPUT_KEYS), opts)
