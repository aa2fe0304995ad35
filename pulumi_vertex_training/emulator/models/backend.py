"""The emulator's Model Registry: state and API meaning of ModelService (moto-style backend).

Method names are the RPC names in snake_case. Each model is one document in the
:class:`~.emulator.store.Store` (its versions inside, ``registry.ModelRecord``), written
on every change. UploadModel and the deletes return a long-running Operation that is
done at once (``{model}/operations/{id}``, served by GetOperation). Nothing is copied:
a model's ``artifact_uri`` points where the artifacts are (Vertex copies them into its
own storage; the emulator has only the one local Cloud Storage).

:meth:`ModelBackend.upload` is what a TrainingPipeline calls when its job succeeds
(``training_pipelines/backend.py``); :meth:`ModelBackend.find_uploaded_by` lets it find
the version it uploaded before a restart instead of uploading it twice.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from google.cloud.aiplatform_v1 import (
    Model,
    UploadModelOperationMetadata,
    UploadModelResponse,
)
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator import common_validation, filters, records
from pulumi_vertex_training.emulator.exceptions import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    Violation,
)
from pulumi_vertex_training.emulator.models import validation
from pulumi_vertex_training.emulator.models.registry import ModelRecord
from pulumi_vertex_training.emulator.store import Store

MODEL_KIND = "model"
OPERATION_KIND = "modelOperation"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

_LABELS = filters.FieldSpec("labels", lambda m: m.labels, frozenset({"=", "!=", ":"}))
_DISPLAY_NAME = filters.FieldSpec("string", lambda m: m.display_name, frozenset({"=", "!="}))
MODEL_FIELDS: dict[str, filters.FieldSpec] = {
    "model": filters.FieldSpec(
        "string", lambda m: m.name.rsplit("/", 1)[1].split("@")[0], frozenset({"=", "!="})
    ),
    "display_name": _DISPLAY_NAME,
    "displayName": _DISPLAY_NAME,
    "labels": _LABELS,
}
"""ListModels' filter fields (ListModelsRequest.filter: snake_case or camelCase names)."""
VERSION_FIELDS: dict[str, filters.FieldSpec] = {"labels": _LABELS}
"""ListModelVersions' filter fields."""

_ORDER_FIELDS = {
    "display_name": "display_name",
    "create_time": "create_time",
    "update_time": "update_time",
}
_VERSION_ORDER_FIELDS = {"create_time": "version_create_time", "update_time": "version_update_time"}


class ModelBackend:
    """Models and their versions, persisted.

    Args:
        store: where models and their operations live.
    """

    operation_kind = OPERATION_KIND
    """The store kind of its long-running operations (``operations.py`` looks there)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._models: dict[str, ModelRecord] = {}
        for data in store.list(MODEL_KIND):
            record = ModelRecord.from_json(data)
            self._models[record.name] = record

    # ---- RPCs ------------------------------------------------------------------------

    def upload_model(
        self, parent: str, model: Any, parent_model: str = "", model_id: str = ""
    ) -> operations_pb2.Operation:
        """UploadModel: a new model, or a new version of ``parent_model``; the Operation is
        done at once with an ``UploadModelResponse``. Raises InvalidArgument, NotFound,
        AlreadyExists."""
        uploaded = self.upload(parent, model, parent_model, model_id)
        base = uploaded.name
        op = operations_pb2.Operation(
            name=f"{base}/operations/{self.store.next_id('operation')}", done=True
        )
        metadata = UploadModelOperationMetadata.pb()()
        _stamp(metadata)
        op.metadata.Pack(metadata)
        op.response.Pack(UploadModelResponse.pb()(model=base, model_version_id=uploaded.version_id))
        records.save_operation(self.store, OPERATION_KIND, op)
        return op

    def get_model(self, name: str) -> Model:
        """GetModel; ``@{version id}`` or ``@{alias}`` names a version (else the default)."""
        _, _, ref = validation.parse_model_name(name)
        with self._lock:
            record = self._record(name)
            return record.view(record.resolve(ref), versioned_name=ref is not None)

    def list_models(
        self,
        parent: str,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        order_by: str = "",
    ) -> tuple[list[Model], str]:
        """One page of the models under ``parent`` (each as its default version)."""
        common_validation.parse_parent(parent)
        matches = filters.compile_filter(filter, MODEL_FIELDS)
        with self._lock:
            found = [
                r.view(r.default, versioned_name=False)
                for r in self._models.values()
                if r.name.startswith(parent + "/models/")
            ]
        found = [m for m in found if matches(m)]
        found = _ordered(found, order_by, ("display_name", "create_time", "update_time"))
        return _page(found, page_size, page_token)

    def list_model_versions(
        self,
        name: str,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        order_by: str = "",
    ) -> tuple[list[Model], str]:
        """One page of a model's versions, named ``.../models/{id}@{version_id}``."""
        _, _, ref = validation.parse_model_name(name)
        if ref is not None:
            raise InvalidArgument(
                violations=[("name", f"name: {name!r} must name a model, without @{ref}")]
            )
        matches = filters.compile_filter(filter, VERSION_FIELDS)
        with self._lock:
            record = self._record(name)
            found = [record.view(v, versioned_name=True) for v in record.versions.values()]
        found = [m for m in found if matches(m)]
        found = _ordered(found, order_by, ("create_time", "update_time"), version_times=True)
        return _page(found, page_size, page_token)

    def update_model(self, model: Any, paths: list[str]) -> Model:
        """UpdateModel: ``.../models/{id}`` (or ``@-``) updates the model, ``@{version}`` that
        version; the mask decides the fields (``validation.check_update_mask``)."""
        _, _, ref = validation.parse_model_name(model.name, "model.name")
        versioned = ref not in (None, "-")
        validation.check_update_mask(paths, versioned)
        errors: list[Violation] = []
        if "display_name" in paths:
            shown = Model.pb()(display_name=model.display_name)
            validation.check_model(shown, "model", errors)
        if "labels" in paths:
            common_validation.check_labels(dict(model.labels), "model.labels", errors)
        if errors:
            raise InvalidArgument(violations=errors)
        with self._lock:
            record = self._record(model.name)
            version = record.resolve(ref)
            if versioned:
                record.update_version(version, paths, model)
            else:
                record.update_model(paths, model)
            self._save(record)
            return record.view(version, versioned_name=versioned)

    def merge_version_aliases(self, name: str, version_aliases: list[str]) -> Model:
        """MergeVersionAliases: add aliases to a version (taking them from others), or
        remove them with a ``-`` prefix; ``default`` can move but not be removed."""
        _, _, ref = validation.parse_model_name(name)
        if ref is None or ref == "-":
            raise InvalidArgument(
                violations=[("name", f"name: {name!r} must name a version: .../models/{{model}}@1")]
            )
        add, remove = validation.parse_merge_aliases(list(version_aliases))
        with self._lock:
            record = self._record(name)
            version = record.resolve(ref)
            record.assign_aliases(version, add, remove)
            self._save(record)
            return record.view(version, versioned_name=True)

    def delete_model(self, name: str) -> operations_pb2.Operation:
        """DeleteModel with every version (no endpoints exist to block it); done at once."""
        _, _, ref = validation.parse_model_name(name)
        if ref is not None:
            raise InvalidArgument(
                violations=[
                    (
                        "name",
                        f"name: {name!r} names a version; DeleteModel takes the model name "
                        "(DeleteModelVersion deletes one version)",
                    )
                ]
            )
        with self._lock:
            record = self._record(name)
            del self._models[record.name]
            self.store.delete(MODEL_KIND, record.name)
        return self._deleted(name)

    def delete_model_version(self, name: str) -> operations_pb2.Operation:
        """DeleteModelVersion: never the only version, nor the default one."""
        _, _, ref = validation.parse_model_name(name)
        if ref is None or ref == "-":
            raise InvalidArgument(
                violations=[("name", f"name: {name!r} must name a version: .../models/{{model}}@1")]
            )
        with self._lock:
            record = self._record(name)
            record.delete_version(record.resolve(ref))
            self._save(record)
        return self._deleted(name.split("@", 1)[0])

    def get_operation(self, name: str) -> operations_pb2.Operation:
        """A model operation by name. Raises InvalidArgument, NotFound."""
        validation.check_model_operation_name(name)
        return records.load_operation(self.store, OPERATION_KIND, name)

    # ---- for TrainingPipelines ------------------------------------------------------

    def upload(
        self,
        parent: str,
        model: Any,
        parent_model: str = "",
        model_id: str = "",
        *,
        training_pipeline: str = "",
        field: str = "model",
    ) -> Model:
        """Validate and store an uploaded Model; returns it as ``.../models/{id}`` with its
        ``version_id``. ``field`` prefixes error paths (``training_pipeline.model_to_upload``)."""
        common_validation.parse_parent(parent)
        raw = Model.pb(model) if hasattr(type(model), "pb") else model
        errors: list[Violation] = []
        validation.check_model(raw, field, errors)
        validation.check_model_id(model_id, "model_id", errors)
        validation.check_parent_model(parent_model, parent, "parent_model", errors)
        if parent_model and model_id and parent_model.rsplit("/", 1)[1] != model_id:
            errors.append(
                (
                    "model_id",
                    f"model_id: {model_id!r} differs from the id of parent_model {parent_model!r}; "
                    "give one of them",
                )
            )
        if errors:
            raise InvalidArgument(violations=errors)
        with self._lock:
            if parent_model:
                record = self._record(parent_model, "parent_model")
            else:
                new_id = model_id or str(self.store.next_id("model"))
                name = f"{parent}/models/{new_id}"
                if name in self._models:
                    raise AlreadyExists(f"model_id: a Model {name} already exists.")
                record = ModelRecord.new(name)
                self._models[name] = record
            version = record.add_version(raw, training_pipeline)
            self._save(record)
            return record.view(version, versioned_name=False)

    def find_uploaded_by(self, training_pipeline: str) -> Model | None:
        """The model version ``training_pipeline`` uploaded, if any."""
        with self._lock:
            for record in self._models.values():
                for version in record.versions.values():
                    if version.training_pipeline == training_pipeline:
                        return record.view(version, versioned_name=False)
        return None

    def check_upload_target(self, parent_model: str, model_id: str, parent: str) -> None:
        """What a TrainingPipeline checks at create: ``parent_model`` exists (NotFound)
        and a new ``model_id`` is free (AlreadyExists)."""
        with self._lock:
            if parent_model:
                self._record(parent_model, "training_pipeline.parent_model")
            elif model_id and f"{parent}/models/{model_id}" in self._models:
                raise AlreadyExists(
                    f"training_pipeline.model_id: a Model {parent}/models/{model_id} "
                    "already exists; give parent_model to upload a new version of it"
                )

    # ---- records ---------------------------------------------------------------------

    def _record(self, name: str, field: str = "name") -> ModelRecord:
        parent, model_id, _ = validation.parse_model_name(name, field)
        record = self._models.get(f"{parent}/models/{model_id}")
        if record is None:
            raise NotFound(f"{field}: Model {parent}/models/{model_id} not found.")
        return record

    def _save(self, record: ModelRecord) -> None:
        self.store.put(MODEL_KIND, record.name, record.to_json())

    def _deleted(self, base: str) -> operations_pb2.Operation:
        return records.deleted_operation(self.store, OPERATION_KIND, base)


def _stamp(metadata: Any) -> None:
    now = records.now()
    metadata.generic_metadata.create_time.CopyFrom(now)
    metadata.generic_metadata.update_time.CopyFrom(now)


def _ordered(
    models: list[Model], order_by: str, allowed: tuple[str, ...], version_times: bool = False
) -> list[Model]:
    """Sort by ``order_by`` ("create_time desc, display_name"); default: newest first."""
    attributes = {**_ORDER_FIELDS, **(_VERSION_ORDER_FIELDS if version_times else {})}
    terms: list[tuple[str, bool]] = []
    for part in filter(None, (p.strip() for p in order_by.split(","))):
        words = part.split()
        field = _snake(words[0])
        if field not in allowed or len(words) > 2 or words[1:] not in ([], ["asc"], ["desc"]):
            raise InvalidArgument(
                violations=[
                    (
                        "order_by",
                        f"order_by: {part!r} is not supported; fields: {', '.join(allowed)}, "
                        "each optionally followed by desc",
                    )
                ]
            )
        terms.append((field, words[1:] == ["desc"]))
    if not terms:
        terms = [("create_time", True)]
    out = list(models)
    for field, desc in reversed(terms):  # stable sorts, least significant first
        out.sort(key=functools.partial(_sort_key, attributes[field]), reverse=desc)
    return out


def _sort_key(attribute: str, model: Model) -> Any:
    value = getattr(Model.pb(model), attribute)
    return value if isinstance(value, str) else (value.seconds, value.nanos)


def _snake(field: str) -> str:
    """``createTime`` -> ``create_time`` (order_by accepts both spellings)."""
    return "".join("_" + c.lower() if c.isupper() else c for c in field)


def _page(items: list[Model], page_size: int, page_token: str) -> tuple[list[Model], str]:
    if page_size < 0:
        raise InvalidArgument(
            violations=[("page_size", f"page_size: {page_size} must not be negative")]
        )
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    after = records.decode_page_token(page_token)
    start = int(after) if after.isdigit() else 0
    if after and not after.isdigit():
        raise InvalidArgument(
            violations=[
                ("page_token", f"page_token: {page_token!r} is not a token this service returned")
            ]
        )
    page = items[start : start + size]
    more = start + size < len(items)
    return page, records.encode_page_token(str(start + size)) if more else ""
