"""Model Registry API calls (ModelService) for ``vt.Model``, and the model's outputs.

Each call builds its client per call (``client.model_service_client``). Idempotent
calls (get, list, update, merge aliases, deletes and operation polls) retry transient
errors; UploadModel is never retried blindly: it takes no request id, so each attempt
first looks for a version this resource uploaded (labels, as jobs are adopted), and a
response lost on the way back never uploads a second version.

Labels (beside the user's): ``pulumi-vertex-resource`` (hash of the stack-qualified
resource name) on every upload; ``pulumi-vertex-spec`` (hash of what the version holds)
on each version; ``pulumi-vertex-model`` (hash of what makes the model itself: project,
location, model_id, CMEK) on a model the resource created.

Example:
    >>> live = get("projects/p/locations/us-central1/models/42@1")  # doctest: +SKIP
    >>> model_outputs(live)["version_id"]  # doctest: +SKIP
    '1'
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import progress
from pulumi_vertex_training.provider.job_api import RESOURCE_LABEL, SPEC_HASH_LABEL
from pulumi_vertex_training.provider.retries import (
    backoff,
    explain,
    explained,
    is_transient,
    transient_retry,
)
from pulumi_vertex_training.provider.values import time_string
from pulumi_vertex_training.spec.resource_names import location_of

MODEL_LABEL = "pulumi-vertex-model"
"""Label of a model a ``vt.Model`` created: a hash of what the model is (not its versions)."""
DEFAULT_ALIAS = "default"
OPERATION_TIMEOUT = 600.0

__all__ = [
    "DEFAULT_ALIAS",
    "MODEL_LABEL",
    "RESOURCE_LABEL",
    "SPEC_HASH_LABEL",
    "delete",
    "delete_version",
    "find_model",
    "find_version",
    "get",
    "merge_aliases",
    "model_outputs",
    "update",
    "upload_or_adopt",
]


def _service(name: str) -> Any:
    return client.model_service_client(location_of(name))


def base_name(name: str) -> str:
    """``projects/…/models/{id}`` of a possibly versioned name (``…@2``, ``…@prod``)."""
    return name.split("@", 1)[0]


def versioned(name: str, version_id: str) -> str:
    """``projects/…/models/{id}@{version_id}``."""
    return f"{base_name(name)}@{version_id}"


def get(name: str) -> Any | None:
    """The model (or the version ``name`` ends with), or None when it does not exist."""
    from google.api_core import exceptions

    try:
        with explained(name):
            return _service(name).get_model(name=name, retry=transient_retry())
    except exceptions.NotFound:
        return None


def _labelled(pairs: dict[str, str]) -> str:
    return " AND ".join(f'labels.{key}="{value}"' for key, value in pairs.items())


def find_model(parent: str, labels: dict[str, str]) -> Any | None:
    """The newest model of ``parent`` carrying all of ``labels``, if any."""
    listed = _service(parent).list_models(
        request={"parent": parent, "filter": _labelled(labels)}, retry=transient_retry()
    )
    found = sorted(listed, key=lambda m: m.create_time, reverse=True)
    return found[0] if found else None


def find_version(model: str, labels: dict[str, str]) -> Any | None:
    """The newest version of ``model`` carrying all of ``labels``, if any (named
    ``…@{version_id}``). None when the model does not exist."""
    from google.api_core import exceptions

    try:
        listed = _service(model).list_model_versions(
            request={"name": base_name(model), "filter": _labelled(labels)},
            retry=transient_retry(),
        )
        found = sorted(listed, key=lambda m: m.version_create_time, reverse=True)
    except exceptions.NotFound:
        return None
    return found[0] if found else None


def upload_or_adopt(
    parent: str,
    model: Any,
    find: Callable[[], Any | None],
    parent_model: str = "",
    model_id: str = "",
    attempts: int = 6,
) -> tuple[Any, bool]:
    """Adopt what ``find`` finds (a version uploaded before a crash or a lost answer), or
    upload ``model`` (a new model, or a new version of ``parent_model``) and wait for the
    operation: (the version, named ``…@{version_id}``; adopted)."""
    service = _service(parent)
    last: BaseException | None = None
    for attempt in range(attempts):
        try:
            existing = find()
            if existing is not None:
                return existing, True
            request: dict[str, Any] = {"parent": parent, "model": model}
            if parent_model:
                request["parent_model"] = parent_model
            if model_id:
                request["model_id"] = model_id
            operation = service.upload_model(request=request)
            response = client.wait_for_operation(operation, OPERATION_TIMEOUT)
            live = get(versioned(response.model, response.model_version_id))
            if live is None:
                raise LookupError(f"{response.model} was deleted as it was uploaded")
            return live, False
        except Exception as exc:
            if not is_transient(exc):
                raise explain(exc, parent_model or parent) from exc
            last = exc
            time.sleep(backoff(attempt))
    raise RuntimeError(f"could not upload the model to {parent} after {attempts} tries: {last}")


def update(name: str, model: Any, paths: list[str]) -> Any:
    """UpdateModel: the model (``…/models/{id}``: display_name, description, labels) or a
    version (``…@{version_id}``: version_description, labels), the fields in ``paths``."""
    from google.protobuf import field_mask_pb2

    model.name = name
    with explained(name):
        return _service(name).update_model(
            model=model,
            update_mask=field_mask_pb2.FieldMask(paths=paths),
            retry=transient_retry(),
        )


def merge_aliases(name: str, add: list[str], remove: list[str]) -> Any:
    """MergeVersionAliases on the version ``name``: ``add`` (taken from other versions),
    ``remove``."""
    aliases = [*add, *(f"-{alias}" for alias in remove)]
    with explained(name):
        return _service(name).merge_version_aliases(
            name=name, version_aliases=aliases, retry=transient_retry()
        )


def delete(name: str) -> None:
    """DeleteModel (``…/models/{id}``, every version) or DeleteModelVersion
    (``…@{version_id}``), waiting for the operation; NOT_FOUND is success."""
    from google.api_core import exceptions

    service = _service(name)
    with explained(name):
        try:
            if "@" in name:
                operation = service.delete_model_version(name=name, retry=transient_retry())
            else:
                operation = service.delete_model(name=name, retry=transient_retry())
            client.wait_for_operation(operation, OPERATION_TIMEOUT)
        except exceptions.NotFound:
            return
    progress.info(f"deleted {name}")


def delete_version(name: str) -> None:
    """Delete the version ``name`` (``…@{version_id}``) of a model the resource does not own.

    A model always has one default version and DeleteModelVersion refuses to delete it:
    ``default`` goes to the newest other version first. A version that is the model's
    last one can only go with the model: DeleteModel then.
    """
    from google.api_core import exceptions

    try:
        delete(name)
        return
    except exceptions.FailedPrecondition:
        pass
    base, version_id = base_name(name), name.split("@", 1)[1]
    with explained(base):
        listed = _service(base).list_model_versions(
            request={"name": base, "order_by": "create_time desc"}, retry=transient_retry()
        )
        others = [v for v in listed if v.version_id != version_id]
    if not others:
        progress.info(f"{name} is the last version of {base}: deleting the model")
        delete(base)
        return
    progress.info(f"giving {DEFAULT_ALIAS!r} to {others[0].name} before deleting {name}")
    merge_aliases(versioned(base, others[0].version_id), [DEFAULT_ALIAS], [])
    delete(name)


def model_outputs(live: Any) -> dict[str, Any]:
    """The computed outputs of a Model resource, from the live version."""
    name = base_name(live.name)
    return {
        "name": name,
        "version_id": live.version_id,
        "version_aliases": list(live.version_aliases),
        "create_time": time_string(live.create_time),
        "update_time": time_string(live.update_time),
        "version_create_time": time_string(live.version_create_time),
        "version_update_time": time_string(live.version_update_time),
        "console_url": client.console_url(versioned(name, live.version_id)),
    }
