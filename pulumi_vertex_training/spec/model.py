"""Model: normalize what a user declares for an uploaded Model and check every rule.

Canonical form as for CustomJob (``custom_job.py``): snake_case proto names, durations
``"Ns"``, values proto3 cannot tell from absent dropped, UNKNOWN kept (and the checks
needing it skipped). ``normalize_model`` takes the Model's input fields plus the
UploadModelRequest's ``parent_model`` and ``model_id``; ``check_model`` is reused for a
TrainingPipeline's ``model_to_upload``.

Rules (from the ``google.cloud.aiplatform.v1`` field docs; the emulator implements them
on its own in ``emulator/models/validation.py``):

- ``display_name``: required, 1 to 128 characters, not blank;
- ``artifact_uri``: a ``gs://bucket[/path]`` folder when given;
- ``container_spec.image_uri``: required when ``container_spec`` is given ("Required.
  Immutable."); ``env`` names are C identifiers; ports 1..65535; routes start with ``/``;
- ``version_aliases``: each ``[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]`` ("to distinguish from
  version_id"), each once. ``default`` is not reserved: giving it makes this version the
  model's default (the Vertex SDK sends it on every upload unless told not to);
- ``model_id``: up to 63 of ``[a-z0-9_-]``, not starting with a digit or hyphen;
- ``parent_model``: ``projects/{p}/locations/{l}/models/{id}``, no ``@version``, in the
  model's own location and project (the project when both are ids: a number may be the
  same project); with ``model_id`` too, the ids must agree;
- ``labels``: the Google Cloud label rules; ``encryption_spec``: a key in the region.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import names
from .args import to_plain
from .coerce import coerce_message, prune
from .custom_job import MAX_DISPLAY_NAME, check_display_name_characters, check_encryption_spec
from .durations import duration_seconds
from .failures import Normalized, SpecFailure, is_unknown, missing, without_redundant
from .resource_names import check_gcs_uri, check_labels, check_pattern
from .schema import MESSAGES
from .tasks import check_env

if TYPE_CHECKING:
    from google.cloud.aiplatform_v1 import Model

# \Z, not $: "$" also matches before a trailing newline.
ALIAS = re.compile(r"^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]\Z")
MODEL_ID = re.compile(r"^[a-z_][a-z0-9_-]{0,62}\Z")
MODEL_NAME = re.compile(
    r"^projects/(?P<project>[^/\s]+)/locations/(?P<location>[^/\s]+)/models/(?P<id>[^/@\s]+)\Z"
)
DEFAULT_ALIAS = "default"
MAX_PORT = 65535

MODEL_FIELDS = tuple(MESSAGES["Model"])
"""The Model message fields a user gives (the rest are output only)."""


class NormalizedModel(Normalized):
    """The canonical Model inputs (and ``parent_model``/``model_id``) and every problem."""


def normalize_model(
    raw: Mapping[str, Any], *, location: str | None = None, project: str | None = None
) -> NormalizedModel:
    """Normalize and validate a Model to upload: its fields plus ``parent_model``, ``model_id``.

    Args:
        raw: snake_case or camelCase, ``ModelArgs`` or dicts; any value may be UNKNOWN.
        location: the model's region, when known (``parent_model`` and the CMEK key must
            be in it).
        project: the model's project, when known (``parent_model`` must be in it).

    Returns:
        NormalizedModel with the canonical value and all failures (never raises).
    """
    failures: list[SpecFailure] = []
    coerced = coerce_message(to_plain(raw), "ModelInput", "", failures)
    if not isinstance(coerced, dict):
        return NormalizedModel({}, failures)
    check_model(coerced, "", location, failures)
    model_id, parent_model = coerced.get("model_id"), coerced.get("parent_model")
    check_upload_target(model_id, parent_model, "", location, failures, project=project)
    return NormalizedModel(prune(coerced, "ModelInput"), without_redundant(failures))


def check_display_name(value: Any, path: str, failures: list[SpecFailure]) -> None:
    """Required, 1 to 128 characters, not blank."""
    if value is None or value == "":
        failures.append(missing(path, "required: 1 to 128 characters"))
    elif isinstance(value, str) and not value.strip():
        failures.append(SpecFailure(path, "must not be blank: 1 to 128 characters", value))
    else:
        if isinstance(value, str) and len(value) > MAX_DISPLAY_NAME:
            failures.append(
                SpecFailure(path, f"at most {MAX_DISPLAY_NAME} characters, got {len(value)}", value)
            )
        check_display_name_characters(value, path, failures)


def check_model(
    model: dict[str, Any],
    path: str,
    location: str | None,
    failures: list[SpecFailure],
    *,
    require_container: bool = False,
) -> None:
    """Every rule of the Model's own fields (``path`` prefixes the failures' paths).

    ``require_container``: a TrainingPipeline's ``model_to_upload`` must name its
    serving image (the emulator asks for it too).
    """
    check_display_name(model.get("display_name"), names.join(path, "display_name"), failures)
    check_gcs_uri(model.get("artifact_uri"), names.join(path, "artifact_uri"), failures)
    container = model.get("container_spec")
    c_path = names.join(path, "container_spec")
    if container is None and require_container:
        failures.append(
            missing(
                names.join(c_path, "image_uri"),
                "required: the image that serves the model, e.g. "
                "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest",
            )
        )
    elif isinstance(container, dict):
        _check_container(container, c_path, failures)
    schemata = model.get("predict_schemata")
    if isinstance(schemata, dict):
        for name, uri in schemata.items():
            check_gcs_uri(uri, names.join(names.join(path, "predict_schemata"), name), failures)
    check_aliases(model.get("version_aliases"), names.join(path, "version_aliases"), failures)
    check_labels(model.get("labels"), names.join(path, "labels"), failures)
    check_encryption_spec(
        model.get("encryption_spec"), names.join(path, "encryption_spec"), location, failures
    )


def _check_container(spec: dict[str, Any], path: str, failures: list[SpecFailure]) -> None:
    image = spec.get("image_uri")
    if image is None or image == "":
        failures.append(
            missing(names.join(path, "image_uri"), "required: the image that serves the model")
        )
    elif isinstance(image, str) and any(c.isspace() for c in image):
        failures.append(
            SpecFailure(
                names.join(path, "image_uri"), "must be an image reference without spaces", image
            )
        )
    check_env(spec.get("env"), names.join(path, "env"), failures)
    for field in ("ports", "grpc_ports"):
        ports = spec.get(field)
        if not isinstance(ports, list):
            continue
        for i, port in enumerate(ports):
            number = port.get("container_port") if isinstance(port, dict) else None
            p_path = names.join(names.index(names.join(path, field), i), "container_port")
            if isinstance(number, int) and not 1 <= number <= MAX_PORT:
                failures.append(SpecFailure(p_path, f"must be a port, 1 to {MAX_PORT}", number))
    for field in ("predict_route", "health_route", "invoke_route_prefix"):
        route = spec.get(field)
        if isinstance(route, str) and route and not route.startswith("/"):
            failures.append(
                SpecFailure(names.join(path, field), "must be an HTTP path starting with /", route)
            )
    timeout = spec.get("deployment_timeout")
    if isinstance(timeout, str) and duration_seconds(timeout) <= 0:
        failures.append(
            SpecFailure(names.join(path, "deployment_timeout"), "must be more than 0", timeout)
        )
    memory = spec.get("shared_memory_size_mb")
    if isinstance(memory, int) and memory < 0:
        failures.append(
            SpecFailure(names.join(path, "shared_memory_size_mb"), "must not be negative", memory)
        )


def check_aliases(aliases: Any, path: str, failures: list[SpecFailure]) -> None:
    """Each alias in Vertex's format, none twice."""
    if not isinstance(aliases, list):
        return
    seen: dict[str, int] = {}
    for i, alias in enumerate(aliases):
        a_path = names.index(path, i)
        if not isinstance(alias, str) or is_unknown(alias):
            continue
        if not ALIAS.match(alias):
            failures.append(
                SpecFailure(
                    a_path,
                    "must be a version alias: a lowercase letter, then letters, digits or '-', "
                    "ending with a lowercase letter or digit, 2 to 128 characters "
                    "([a-z][a-zA-Z0-9-]{0,126}[a-z0-9])",
                    alias,
                )
            )
        elif alias in seen:
            failures.append(
                SpecFailure(a_path, f"given twice (also at index {seen[alias]})", alias)
            )
        seen.setdefault(alias, i)


def check_upload_target(
    model_id: Any,
    parent_model: Any,
    path: str,
    location: str | None,
    failures: list[SpecFailure],
    *,
    project: str | None = None,
) -> None:
    """``model_id`` and ``parent_model`` forms, and that they agree when both are given.

    ``parent_model`` must be in ``project`` when both name it by id: a project number
    (how Vertex AI names models) cannot be told from another project's id here.
    """
    check_pattern(
        model_id,
        MODEL_ID,
        "a model id: up to 63 of [a-z0-9_-], not starting with a digit or hyphen",
        names.join(path, "model_id"),
        failures,
    )
    p_path = names.join(path, "parent_model")
    if not isinstance(parent_model, str) or not parent_model:
        return
    their_id = parent_model.rsplit("/", 1)[-1]  # what follows models/, even in a bad name
    if isinstance(model_id, str) and model_id and model_id != their_id:
        failures.append(
            SpecFailure(
                names.join(path, "model_id"),
                f"differs from the id of parent_model ({their_id!r}); give one of them",
                model_id,
            )
        )
    match = MODEL_NAME.match(parent_model)
    if match is None:
        failures.append(
            SpecFailure(
                p_path,
                "must be projects/{project}/locations/{location}/models/{model}, without @version",
                parent_model,
            )
        )
        return
    if location and match["location"] != location:
        failures.append(
            SpecFailure(
                p_path,
                f"a new version is uploaded into its model's region: the model is in "
                f"{match['location']!r}, this resource in {location!r}",
                parent_model,
            )
        )
    theirs = match["project"]
    if project and theirs != project and not (project.isdigit() or theirs.isdigit()):
        failures.append(
            SpecFailure(
                p_path,
                f"a new version is uploaded into a model of this resource's project: the "
                f"model is in project {theirs!r}, this resource in {project!r}",
                parent_model,
            )
        )


def model_to_proto(canonical: dict[str, Any]) -> Model:
    """The Model to send in UploadModelRequest (``parent_model``/``model_id`` go beside it)."""
    from google.cloud.aiplatform_v1 import Model
    from google.protobuf import json_format

    from .hashing import has_unknowns

    if has_unknowns(canonical):
        raise ValueError("cannot build a request from a spec with unknown values")
    model = Model()
    body = {k: v for k, v in canonical.items() if k in MODEL_FIELDS}
    json_format.ParseDict(body, Model.pb(model))
    return model
