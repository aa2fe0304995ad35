"""One registered model and its versions: version ids, aliases, labels, what Get returns.

Pure record keeping on protobuf messages (no store, no locks: ``backend.py`` has those).

Decisions (Vertex's docs leave them open; each is in COVERAGE.md):

* ``version_id`` is ``"1"``, ``"2"``, ... ("an auto-incrementing decimal number in string
  representation"); a deleted version's id is never reused.
* An alias lives on one version of a model: giving it to a new version takes it from
  the old one. Version 1 always gets ``default`` (the field doc: "A default version alias
  will be created for the first version of the model"); a later version gets it only
  when its upload lists it (the SDK lists it unless ``is_default_version=False``).
* ``display_name`` and ``description`` are model fields (UpdateModel's rule 4): the first
  upload sets them, later versions show the model's; ``version_description``,
  ``artifact_uri``, ``container_spec`` and the rest are the version's.
* Labels: "Both the model labels and the version labels are merged when a model is
  returned." The first upload's labels are the model's, a later version's upload labels
  are that version's; on a clash the version's value wins (the more specific one).
"""

from __future__ import annotations

from typing import Any

from google.cloud.aiplatform_v1 import Model
from google.protobuf import json_format

from pulumi_vertex_training.emulator import records
from pulumi_vertex_training.emulator.exceptions import FailedPrecondition, NotFound
from pulumi_vertex_training.emulator.models.validation import DEFAULT_ALIAS

# What the service sets; cleared from an uploaded Model.
OUTPUT_ONLY = (
    "name", "version_id", "version_create_time", "version_update_time", "training_pipeline",
    "pipeline_job", "supported_export_formats", "supported_deployment_resources_types",
    "supported_input_storage_formats", "supported_output_storage_formats", "create_time",
    "update_time", "deployed_models", "etag", "model_source_info", "original_model_info",
    "metadata_artifact", "satisfies_pzs", "satisfies_pzi", "checkpoints",
)  # fmt: skip
_MODEL_SOURCE_CUSTOM = 2  # ModelSourceInfo.ModelSourceType.CUSTOM: "uploaded by user or
# custom training pipeline"


class ModelRecord:
    """A model: its name, model-level fields and versions (``Model`` protobufs, by id)."""

    def __init__(
        self,
        name: str,
        versions: dict[str, Any],
        next_version: int,
        model_labels: dict[str, str],
    ) -> None:
        self.name = name
        self.versions = versions  # version id -> Model pb (version labels in .labels)
        self.next_version = next_version
        self.model_labels = model_labels

    # ---- persistence -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "versions": [json_format.MessageToDict(v) for v in self.versions.values()],
            "next_version": self.next_version,
            "model_labels": self.model_labels,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> ModelRecord:
        versions = {}
        for item in data["versions"]:
            version = json_format.ParseDict(item, Model.pb()(), ignore_unknown_fields=True)
            versions[version.version_id] = version
        return ModelRecord(
            data["name"], versions, int(data["next_version"]), dict(data["model_labels"])
        )

    @staticmethod
    def new(name: str) -> ModelRecord:
        return ModelRecord(name, {}, 1, {})

    # ---- reads ---------------------------------------------------------------------------

    @property
    def default(self) -> Any:
        """The version holding the ``default`` alias."""
        for version in self.versions.values():
            if DEFAULT_ALIAS in version.version_aliases:
                return version
        raise AssertionError(f"{self.name} has no default version")  # pragma: no cover

    @property
    def first(self) -> Any:
        return next(iter(self.versions.values()))

    def resolve(self, ref: str | None) -> Any:
        """The version ``ref`` names: a version id, an alias, or None / ``-`` for the default."""
        if ref is None or ref == "-":
            return self.default
        if ref in self.versions:
            return self.versions[ref]
        for version in self.versions.values():
            if ref in version.version_aliases:
                return version
        raise NotFound(f"Model {self.name}@{ref} not found: no version id or alias {ref!r}.")

    def view(self, version: Any, versioned_name: bool) -> Model:
        """The Model as Get returns it: model fields, the version's fields, merged labels.

        ``versioned_name``: name ``.../models/{id}@{version_id}`` (the request named a
        version or alias, or ListModelVersions) rather than ``.../models/{id}``.
        """
        out = Model.pb()()
        out.CopyFrom(version)
        first = self.first
        out.display_name = first.display_name
        out.description = first.description
        out.create_time.CopyFrom(first.create_time)
        out.update_time.CopyFrom(max((v.update_time for v in self.versions.values()), key=_key))
        out.labels.clear()
        out.labels.update({**self.model_labels, **dict(version.labels)})
        out.name = f"{self.name}@{version.version_id}" if versioned_name else self.name
        return Model.wrap(out)

    # ---- changes -------------------------------------------------------------------------

    def add_version(self, model: Any, training_pipeline: str = "") -> Any:
        """Store ``model`` (a raw Model, validated) as the next version; returns it."""
        version = Model.pb()()
        version.CopyFrom(model)
        for name in OUTPUT_ONLY:
            version.ClearField(name)
        now = records.now()
        version.version_id = str(self.next_version)
        self.next_version += 1
        for stamp in ("create_time", "update_time", "version_create_time", "version_update_time"):
            getattr(version, stamp).CopyFrom(now)
        version.training_pipeline = training_pipeline
        version.model_source_info.source_type = _MODEL_SOURCE_CUSTOM
        aliases = list(dict.fromkeys(version.version_aliases))
        if not self.versions:
            self.model_labels = dict(version.labels)
            version.labels.clear()
            if DEFAULT_ALIAS not in aliases:
                aliases.insert(0, DEFAULT_ALIAS)
        else:
            version.display_name = ""
            version.description = ""
        del version.version_aliases[:]
        self.versions[version.version_id] = version
        self.assign_aliases(version, set(aliases), set())
        return version

    def assign_aliases(self, version: Any, add: set[str], remove: set[str]) -> None:
        """Give ``add`` to ``version`` (taking each from any other version), drop ``remove``."""
        now = records.now()
        for other in self.versions.values():
            if other is version:
                continue
            taken = [a for a in other.version_aliases if a in add]
            if taken:
                kept = [a for a in other.version_aliases if a not in add]
                del other.version_aliases[:]
                other.version_aliases.extend(kept)
                other.version_update_time.CopyFrom(now)
        kept = [a for a in version.version_aliases if a not in remove]
        new = sorted(add - set(kept))
        del version.version_aliases[:]
        version.version_aliases.extend(kept + new)
        version.version_update_time.CopyFrom(now)

    def update_model(self, paths: list[str], model: Any) -> None:
        """A model update (display_name, description, labels), the mask already checked."""
        now = records.now()
        first = self.first
        if "display_name" in paths:
            first.display_name = model.display_name
        if "description" in paths:
            first.description = model.description
        if "labels" in paths:
            self.model_labels = dict(model.labels)
        first.update_time.CopyFrom(now)

    def update_version(self, version: Any, paths: list[str], model: Any) -> None:
        """A version update (version_description, labels), the mask already checked."""
        now = records.now()
        if "version_description" in paths:
            version.version_description = model.version_description
        if "labels" in paths:
            version.labels.clear()
            version.labels.update(dict(model.labels))
        version.version_update_time.CopyFrom(now)
        version.update_time.CopyFrom(now)

    def delete_version(self, version: Any) -> None:
        """Drop a version: never the only one, nor the default (move ``default`` first)."""
        if len(self.versions) == 1:
            raise FailedPrecondition(
                f"{self.name}@{version.version_id} is the only version of the model; "
                "delete the model with DeleteModel instead"
            )
        if DEFAULT_ALIAS in version.version_aliases:
            raise FailedPrecondition(
                f"{self.name}@{version.version_id} is the default version; give the "
                f"{DEFAULT_ALIAS!r} alias to another version (MergeVersionAliases) first"
            )
        keep_first = version is self.first
        first = self.first
        del self.versions[version.version_id]
        if keep_first:  # the model fields live on the first version kept
            successor = self.first
            successor.display_name = first.display_name
            successor.description = first.description
            successor.create_time.CopyFrom(first.create_time)


def _key(stamp: Any) -> tuple[int, int]:
    return stamp.seconds, stamp.nanos
