"""ModelService's request validation, as Vertex AI documents it: independent of any provider code.

Every rule names the field path (``model.container_spec.image_uri``), the value and what
is allowed; the ``check_*(..., errors)`` ones append, so a request's violations are
reported at once in one INVALID_ARGUMENT (``"; "``-joined). The formats are the ones in
the ``google.cloud.aiplatform.v1`` field docs (``Model``, ``UploadModelRequest``,
``MergeVersionAliasesRequest``, ``UpdateModelRequest``).
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_vertex_training.emulator import common_validation as common
from pulumi_vertex_training.emulator.exceptions import (
    FailedPrecondition,
    InvalidArgument,
    Violation,
)

# Every pattern here is used with fullmatch (``$`` would let a trailing newline through).
# A model id in a name: a service-made number or a user's model_id; after '@' a version
# id, an alias or '-' (UpdateModel's "the model").
MODEL_NAME_RE = re.compile(
    rf"(?P<parent>{common.PARENT_PATTERN})/models/(?P<id>[a-z0-9_-]{{1,63}})"
    r"(?:@(?P<version>-|[0-9]{1,20}|[a-z][a-zA-Z0-9-]{0,127}))?"
)
MODEL_OPERATION_RE = re.compile(
    rf"{common.PARENT_PATTERN}/models/[a-z0-9_-]{{1,63}}/operations/[0-9]{{1,20}}"
)
# UploadModelRequest.model_id: up to 63 characters of [a-z0-9_-], not starting with a
# number or hyphen. Service-made ids are numbers (as Vertex's are).
MODEL_ID_RE = re.compile(r"[a-z_][a-z0-9_-]{0,62}")
# Model.version_aliases: "[a-z][a-zA-Z0-9-]{0,126}[a-z0-9] to distinguish from version_id".
ALIAS_RE = re.compile(r"[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]")
# MergeVersionAliasesRequest.version_aliases: "[a-z][a-zA-Z0-9-]{0,126}[a-z-0-9]", with an
# optional "-" prefix meaning "remove".
MERGE_ALIAS_RE = re.compile(r"[a-z][a-zA-Z0-9-]{0,126}[a-z0-9-]")
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_ALIAS = "default"

MODEL_UPDATE_PATHS = ("display_name", "description", "labels")
VERSION_UPDATE_PATHS = ("version_description", "labels")
"""UpdateModelRequest.update_mask: "Supported model fields: display_name, description;
supported version-specific fields: version_description. Labels are supported in both
scenarios." A name with ``@version`` is a version update; without (or with ``@-``), a
model update."""


def parse_model_name(name: str, field: str = "name") -> tuple[str, str, str | None]:
    """``(parent, model id, version id or alias or None)`` of ``.../models/{id}[@{ref}]``.

    Raises InvalidArgument for another form.
    """
    m = MODEL_NAME_RE.fullmatch(name)
    if not m:
        raise InvalidArgument(
            violations=[
                (
                    field,
                    f"{field}: {name!r} is not a valid Model name; expected "
                    "projects/{project}/locations/{location}/models/{model}"
                    "[@{version_id or alias}]",
                )
            ]
        )
    return m["parent"], m["id"], m["version"]


def check_model_operation_name(name: str) -> None:
    """INVALID_ARGUMENT unless ``name`` is ``.../models/{id}/operations/{number}``."""
    if not MODEL_OPERATION_RE.fullmatch(name):
        raise InvalidArgument(
            violations=[
                (
                    "name",
                    f"name: {name!r} is not a valid operation name; expected "
                    "projects/{project}/locations/{location}/models/{model}/operations/{id}",
                )
            ]
        )


def check_model_id(model_id: str, field: str, errors: list[Violation]) -> None:
    """UploadModelRequest.model_id / TrainingPipeline.model_id, when given."""
    if model_id and not MODEL_ID_RE.fullmatch(model_id):
        errors.append(
            (
                field,
                f"{field}: {model_id!r} is not a valid model id (up to 63 characters of "
                "[a-z0-9_-], not starting with a number or hyphen)",
            )
        )


def check_parent_model(parent_model: str, parent: str, field: str, errors: list[Violation]) -> None:
    """A ``parent_model``, when given: an unversioned model name under ``parent``."""
    if not parent_model:
        return
    m = MODEL_NAME_RE.fullmatch(parent_model)
    if not m or m["version"] is not None:
        errors.append(
            (
                field,
                f"{field}: {parent_model!r} must be a model name without a version, "
                "projects/{project}/locations/{location}/models/{model}",
            )
        )
    elif m["parent"] != parent:
        errors.append(
            (
                field,
                f"{field}: {parent_model!r} is not in {parent!r}; a new version is uploaded "
                "into the project and location of its model",
            )
        )


def check_model(
    model: Any, f: str, errors: list[Violation], *, require_container: bool = False
) -> None:
    """The input fields of a Model (a raw protobuf message) being uploaded.

    Output-only fields (name, version_id, times, deployed_models, ...) are ignored.
    ``require_container``: a TrainingPipeline's ``model_to_upload`` must say how to serve.
    """
    common.check_display_name(model.display_name, f"{f}.display_name", errors, required=True)
    uri = model.artifact_uri
    if uri and (not uri.startswith("gs://") or len(uri) <= len("gs://")):
        errors.append(
            (f"{f}.artifact_uri", f"{f}.artifact_uri: {uri!r} must be a gs://bucket/path URI")
        )
    if model.HasField("container_spec") or require_container:
        _check_container(model.container_spec, f"{f}.container_spec", errors)
    check_aliases(list(model.version_aliases), f"{f}.version_aliases", errors)
    common.check_labels(dict(model.labels), f"{f}.labels", errors)
    kms = model.encryption_spec.kms_key_name
    if model.HasField("encryption_spec") and not common.KMS_KEY_RE.match(kms):
        errors.append(
            (
                f"{f}.encryption_spec.kms_key_name",
                f"{f}.encryption_spec.kms_key_name: {kms!r} must be projects/{{p}}/locations/{{l}}"
                "/keyRings/{kr}/cryptoKeys/{k}",
            )
        )


def _check_container(spec: Any, f: str, errors: list[Violation]) -> None:
    if not spec.image_uri:
        errors.append(
            (f"{f}.image_uri", f"{f}.image_uri is required (the serving container's image)")
        )
    for j, var in enumerate(spec.env):
        if not ENV_NAME_RE.fullmatch(var.name):
            errors.append(
                (
                    f"{f}.env[{j}].name",
                    f"{f}.env[{j}].name: {var.name!r} is not a valid environment variable name",
                )
            )
    for name in ("ports", "grpc_ports"):
        for j, port in enumerate(getattr(spec, name)):
            if not 1 <= port.container_port <= 65535:
                errors.append(
                    (
                        f"{f}.{name}[{j}].container_port",
                        f"{f}.{name}[{j}].container_port: {port.container_port} is not in 1..65535",
                    )
                )
    for name in ("predict_route", "health_route"):
        route = getattr(spec, name)
        if route and not route.startswith("/"):
            errors.append(
                (f"{f}.{name}", f"{f}.{name}: {route!r} must be an HTTP path starting with /")
            )


def check_aliases(aliases: list[str], f: str, errors: list[Violation]) -> None:
    """Model.version_aliases as uploaded: the documented format, each at most once."""
    seen: set[str] = set()
    for j, alias in enumerate(aliases):
        if not ALIAS_RE.fullmatch(alias):
            errors.append(
                (
                    f"{f}[{j}]",
                    f"{f}[{j}]: {alias!r} is not a valid version alias "
                    "([a-z][a-zA-Z0-9-]{0,126}[a-z0-9]: starts with a lowercase letter)",
                )
            )
        elif alias in seen:
            errors.append((f"{f}[{j}]", f"{f}[{j}]: {alias!r} is given twice"))
        seen.add(alias)


def parse_merge_aliases(
    aliases: list[str], f: str = "version_aliases"
) -> tuple[set[str], set[str]]:
    """MergeVersionAliases' list -> ``(to add, to remove)``; an alias both added and removed
    cancels out, as the field doc says. Raises InvalidArgument (every bad entry at once)."""
    errors: list[Violation] = []
    if not aliases:
        errors.append((f, f"{f} is required: the aliases to add, or to remove with a '-' prefix"))
    add: set[str] = set()
    remove: set[str] = set()
    for j, entry in enumerate(aliases):
        alias = entry[1:] if entry.startswith("-") else entry
        if not MERGE_ALIAS_RE.fullmatch(alias):
            errors.append(
                (
                    f"{f}[{j}]",
                    f"{f}[{j}]: {entry!r} is not a valid version alias "
                    "([a-z][a-zA-Z0-9-]{0,126}[a-z-0-9], '-' prefix to remove)",
                )
            )
            continue
        (remove if entry.startswith("-") else add).add(alias)
    if DEFAULT_ALIAS in remove - add:
        errors.append(
            (
                f,
                f"{f}: the {DEFAULT_ALIAS!r} alias cannot be removed (a model has exactly one "
                "default version); add it to another version instead",
            )
        )
    if errors:
        raise InvalidArgument(violations=errors)
    both = add & remove
    return add - both, remove - both


def check_update_mask(paths: list[str], versioned: bool) -> None:
    """UpdateModel's mask: required; model fields with a model name, version fields with a
    versioned one (rule 5 of the RPC doc: a mismatch is a precondition error)."""
    if not paths:
        raise InvalidArgument(
            violations=[
                (
                    "update_mask",
                    "update_mask is required: display_name, description, labels (model) or "
                    "version_description, labels (a version: name ending in @{version})",
                )
            ]
        )
    allowed = VERSION_UPDATE_PATHS if versioned else MODEL_UPDATE_PATHS
    other = MODEL_UPDATE_PATHS if versioned else VERSION_UPDATE_PATHS
    unknown = [p for p in paths if p not in MODEL_UPDATE_PATHS + VERSION_UPDATE_PATHS]
    if unknown:
        raise InvalidArgument(
            violations=[
                (
                    "update_mask",
                    f"update_mask: {', '.join(unknown)} cannot be updated; updatable are "
                    f"{', '.join(MODEL_UPDATE_PATHS)} (model) and "
                    f"{', '.join(VERSION_UPDATE_PATHS)} (version); aliases change through "
                    "MergeVersionAliases",
                )
            ]
        )
    mismatched = [p for p in paths if p not in allowed and p in other]
    if mismatched:
        kind = "a model version (name with @version)" if versioned else "a model (name without @)"
        raise FailedPrecondition(
            f"update_mask: {', '.join(mismatched)} cannot be updated on {kind}; update the "
            "model and its versions in separate requests"
        )
