"""ModelProvider: a model in the Vertex AI Model Registry as a Pulumi dynamic resource.

Two kinds of resource, by ``parent_model``:

- **A model** (no ``parent_model``; id ``projects/…/models/{id}``). Create uploads
  version 1. A change to what a version holds (``artifact_uri``, ``container_spec``,
  ``predict_schemata``, ``triggers``) uploads a **new version of the same model**, in
  place: the registry keeps every earlier version (its history, what Vertex users
  expect), and the new one becomes ``default``, so the model serves what the program
  declares. Destroy deletes the model with every version (DeleteModel).
- **A version of another model** (``parent_model``; id = that model's name). Create
  uploads a version into it; a change to what it holds uploads another version into
  it (the earlier one stays, as history); destroy deletes the current version
  (DeleteModelVersion, giving ``default`` to the newest other version first when it
  holds it). It becomes ``default`` only when ``version_aliases`` lists ``"default"``
  (the API's way; the SDK's ``is_default_version=True`` does that).

In place, through UpdateModel: ``display_name``, ``description`` (model fields, so
only for a model), ``labels`` (a model's, or the version's), ``version_description``;
through MergeVersionAliases: ``version_aliases``, the exact set the current version
carries (``default`` is never removed: a model has one default). ``model_id``,
``parent_model``, ``encryption_spec``, ``project`` and ``location`` replace.
UploadModel takes no request id: every upload is labelled, and a version this resource
uploaded before a crash or a lost answer is adopted instead of uploaded again
(``model_api.py``).

This module path is public API: Pulumi state refers to
``pulumi_vertex_training.provider.model.ModelProvider`` by name.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_vertex_training.provider import model_api, progress
from pulumi_vertex_training.provider.job_provider import check_choice
from pulumi_vertex_training.provider.model_api import (
    DEFAULT_ALIAS,
    MODEL_LABEL,
    RESOURCE_LABEL,
    SPEC_HASH_LABEL,
    base_name,
    versioned,
)
from pulumi_vertex_training.provider.regional import RegionalProvider
from pulumi_vertex_training.provider.values import (
    changed_paths,
    check_failures,
    contains_unknown,
    from_spec,
    mark_secrets,
    reveal,
    secrets_at,
    to_spec,
    unchanged,
)
from pulumi_vertex_training.spec import SpecFailure, model_to_proto, normalize_model, spec_hash
from pulumi_vertex_training.spec.model import MODEL_FIELDS
from pulumi_vertex_training.spec.resource_names import parent_of

__all__ = ["INPUT_FIELDS", "OUTPUT_KEYS", "ModelProvider"]

INPUT_FIELDS = (*MODEL_FIELDS, "parent_model", "model_id")
"""The Model's fields plus UploadModelRequest's ``parent_model`` and ``model_id``."""
REPLACE_KEYS = ("project", "location", "model_id", "parent_model", "encryption_spec")
VERSION_KEYS = ("artifact_uri", "container_spec", "predict_schemata", "triggers")
"""A change to any uploads a new version."""
IN_PLACE_KEYS = ("display_name", "description", "labels", "version_description", "on_delete")
MODEL_KEYS = ("display_name", "description", "labels")
"""UpdateModel's model fields (of a model the resource created)."""
ON_DELETE = ("delete", "keep")
OUTPUT_KEYS = (
    "name",
    "version_id",
    "version_aliases",
    "create_time",
    "update_time",
    "version_create_time",
    "version_update_time",
    "console_url",
    "spec_hash",
)


class ModelProvider(RegionalProvider):
    """Dynamic provider for ``vt.Model``. Holds no clients or credentials.

    Example:
        >>> checked = ModelProvider().check({}, {"project": "p", "location": "us-central1",
        ...     "display_name": "m", "artifact_uri": "s3://b/m", "version_aliases": ["Prod"]})
        >>> sorted(f.property for f in checked.failures)
        ['artifact_uri', 'version_aliases[0]']
    """

    # -- check / diff ----------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate every field at once and return the normalized inputs (secrets kept)."""
        news, secret_paths = reveal(news)
        values = to_spec(news)
        failures: list[SpecFailure] = []
        inputs = dict(news)
        self.check_place(values, inputs, failures)
        check_choice(values, inputs, "on_delete", ON_DELETE, "delete", failures)
        location = inputs["location"] if isinstance(inputs["location"], str) else None
        project = inputs["project"] if isinstance(inputs["project"], str) else None
        normalized = normalize_model(
            {k: values.get(k) for k in INPUT_FIELDS}, location=location, project=project
        )
        failures.extend(normalized.failures)
        for warning in normalized.warnings:
            progress.warn(str(warning))
        for key in INPUT_FIELDS:
            inputs[key] = from_spec(normalized.value.get(key))
        return CheckResult(
            mark_secrets(inputs, secret_paths),
            check_failures(failures, secrets_at(news, secret_paths)),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on a new identity; a new version on new content; the rest in place."""
        replaces = [k for k in REPLACE_KEYS if not unchanged(olds.get(k), news.get(k))]
        content = [k for k in VERSION_KEYS if not unchanged(olds.get(k), news.get(k))]
        in_place = [k for k in IN_PLACE_KEYS if not unchanged(olds.get(k), news.get(k))]
        if _aliases_differ(olds, news):
            in_place.append("version_aliases")
        secret_paths = reveal(news)[1]

        def paths(keys: list[str]) -> str:
            found = []
            for key in keys:
                found.extend(changed_paths(olds.get(key), news.get(key), key, secret_paths, (key,)))
            return ", ".join(found or keys)

        if replaces:
            progress.info(f"replacing the model: changed {paths(replaces)}")
        elif content:
            progress.info(f"uploading a new version of the model: changed {paths(content)}")
        same_name = bool(news.get("model_id")) and all(
            unchanged(olds.get(k), news.get(k)) for k in ("project", "location", "model_id")
        )
        return DiffResult(
            changes=bool(replaces or content or in_place),
            replaces=replaces,
            delete_before_replace=bool(replaces) and same_name and not news.get("parent_model"),
        )

    # -- create / read / update / delete -----------------------------------------

    def identity(self, props: dict[str, Any]) -> tuple[dict[str, Any], str, str, str]:
        """(canonical fields, version hash, model hash, resource hash).

        The version hash covers what a version holds (and ``triggers``), the model hash
        what makes the model (place, ``model_id``, ``parent_model``, CMEK), the resource
        hash the stack-qualified resource name.
        """
        normalized = normalize_model(
            {k: props.get(k) for k in INPUT_FIELDS},
            location=props.get("location"),
            project=props.get("project"),
        )
        if normalized.failures:  # check() ran first; only a bug gets here (paths, no values)
            paths = ", ".join(f.path for f in normalized.failures)
            raise ValueError(f"invalid Model fields: {paths}")
        canonical = normalized.value
        model_part = {
            "project": props.get("project"),
            "location": props.get("location"),
            **{k: canonical.get(k) for k in ("model_id", "parent_model", "encryption_spec")},
        }
        version_part = {
            **model_part,
            **{k: canonical.get(k) for k in VERSION_KEYS if k != "triggers"},
            "triggers": props.get("triggers"),
        }
        key = str(props.get("resource_key") or "")
        resource_hash = hashlib.sha256(key.encode()).hexdigest()[:32]
        return canonical, spec_hash(version_part), spec_hash(model_part), resource_hash

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Upload version 1 of a new model (or a version of ``parent_model``), adopting
        what this resource uploaded before instead of uploading it twice."""
        canonical, digest, model_hash, resource_hash = self.identity(props)
        model = None
        if not props.get("parent_model"):
            parent = parent_of(props["project"], props["location"])
            found = model_api.find_model(
                parent, {RESOURCE_LABEL: resource_hash, MODEL_LABEL: model_hash}
            )
            model = found.name if found is not None else None
        live, adopted = self._upload(props, canonical, digest, model)
        if adopted or model is not None:
            # a crashed or lost run made it: bring the in-place fields in line
            if not props.get("parent_model"):
                self._update_model(live.name, props, list(MODEL_KEYS))
            live = self._update_version(live, props, ["version_description", "labels"])
        live = self._set_aliases(live, props)
        outputs = {**model_api.model_outputs(_fresh(live)), "spec_hash": digest}
        verb = "adopted" if adopted else "uploaded"
        progress.info(f"{verb} {live.name}; console: {outputs['console_url']}")
        return CreateResult(_id(live, props), {**props, **outputs})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live version; a version or model deleted elsewhere leaves the stack."""
        if not props.get("resource_key"):  # .get(): the inputs come from the live model
            live = model_api.get(id_)
            if live is None:
                return ReadResult(None, {})
            inputs = {**_inputs_from(live), "on_delete": "keep"}
            return ReadResult(id_, {**props, **inputs, **model_api.model_outputs(live)})
        version = props.get("version_id")
        live = model_api.get(versioned(id_, version) if version else id_)
        if live is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, **model_api.model_outputs(live)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """A new version when what it holds changed; then UpdateModel and
        MergeVersionAliases for what changed in place."""
        canonical, digest, _, _ = self.identity(news)
        model = str(olds.get("name") or base_name(id_))
        version = olds.get("version_id")
        changed = [k for k in IN_PLACE_KEYS if not unchanged(olds.get(k), news.get(k))]
        if digest != olds.get("spec_hash") or not version:
            live, adopted = self._upload(news, canonical, digest, model)
            verb = "adopted" if adopted else "uploaded"
            progress.info(f"{verb} a new version: {live.name}")
            version_changes: list[str] = []  # the upload carried them
        else:
            live = model_api.get(versioned(model, str(version)))
            if live is None:
                raise LookupError(f"{versioned(model, str(version))} no longer exists")
            version_changes = [k for k in ("version_description", "labels") if k in changed]
        self._update_model(model, news, [k for k in MODEL_KEYS if k in changed])
        live = self._update_version(live, news, version_changes)
        live = self._set_aliases(live, news)
        outputs = {**model_api.model_outputs(_fresh(live)), "spec_hash": digest}
        return UpdateResult({**news, **outputs})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """DeleteModel, or DeleteModelVersion for a version of another model;
        ``on_delete="keep"`` leaves it in the registry."""
        if props.get("on_delete") == "keep":
            progress.info(f"leaving {id_} in the Model Registry (on_delete='keep')")
            return
        version = props.get("version_id")
        if props.get("parent_model") and version:
            model_api.delete_version(versioned(id_, str(version)))
        else:
            model_api.delete(base_name(id_))

    # -- the steps -------------------------------------------------------------------

    def _upload(
        self, props: dict[str, Any], canonical: dict[str, Any], digest: str, model: str | None
    ) -> tuple[Any, bool]:
        """Upload (or adopt) this resource's version: into ``parent_model``, into its own
        ``model``, or as version 1 of a new model."""
        _, _, model_hash, resource_hash = self.identity(props)
        parent = parent_of(props["project"], props["location"])
        user = dict(canonical.get("labels") or {})
        mine = {RESOURCE_LABEL: resource_hash, SPEC_HASH_LABEL: digest}
        message = model_to_proto(canonical)
        del message.version_aliases[:]
        message.version_aliases.extend(_wanted_aliases(props))
        target = props.get("parent_model") or model
        if target:
            # a version's labels: the user's when it is a version of another model; only
            # ours in the resource's own model, whose labels are the model's (UpdateModel)
            _set_labels(message, {**(user if props.get("parent_model") else {}), **mine})
            return model_api.upload_or_adopt(
                parent,
                message,
                lambda: model_api.find_version(str(target), mine),
                parent_model=str(target),
            )
        _set_labels(message, {**user, **mine, MODEL_LABEL: model_hash})

        def find() -> Any | None:
            found = model_api.find_model(parent, {**mine, MODEL_LABEL: model_hash})
            return model_api.get(versioned(found.name, found.version_id)) if found else None

        return model_api.upload_or_adopt(
            parent, message, find, model_id=str(canonical.get("model_id") or "")
        )

    def _update_model(self, model: str, props: dict[str, Any], paths: list[str]) -> None:
        """UpdateModel on a model the resource created (display name, description, labels)."""
        if not paths:
            return
        if props.get("parent_model"):
            fields = [p for p in paths if p != "labels"]
            if fields:
                progress.warn(
                    f"{', '.join(fields)}: fields of the model {props['parent_model']}, not of "
                    "a version: a version cannot change them"
                )
            return
        from google.cloud.aiplatform_v1 import Model

        _, _, model_hash, resource_hash = self.identity(props)
        labels = {
            **(props.get("labels") or {}),
            RESOURCE_LABEL: resource_hash,
            MODEL_LABEL: model_hash,
        }
        message = Model(
            display_name=props.get("display_name") or "",
            description=props.get("description") or "",
            labels=labels,
        )
        model_api.update(base_name(model), message, paths)

    def _update_version(self, live: Any, props: dict[str, Any], paths: list[str]) -> Any:
        """UpdateModel on the current version: its description, and its labels when it is a
        version of another model (a model's own labels are the model's)."""
        if not props.get("parent_model"):
            paths = [p for p in paths if p != "labels"]
        if not paths:
            return live
        from google.cloud.aiplatform_v1 import Model

        _, digest, _, resource_hash = self.identity(props)
        labels = {
            **(props.get("labels") or {}),
            RESOURCE_LABEL: resource_hash,
            SPEC_HASH_LABEL: digest,
        }
        message = Model(version_description=props.get("version_description") or "", labels=labels)
        return model_api.update(versioned(live.name, live.version_id), message, paths)

    def _set_aliases(self, live: Any, props: dict[str, Any]) -> Any:
        """MergeVersionAliases so that the version carries exactly the declared aliases
        (``default`` is added for a model, and never removed)."""
        want = set(_wanted_aliases(props))
        have = set(live.version_aliases)
        add = sorted(want - have)
        remove = sorted(have - want - {DEFAULT_ALIAS})
        if not add and not remove:
            return live
        return model_api.merge_aliases(versioned(live.name, live.version_id), add, remove)


def _wanted_aliases(props: dict[str, Any]) -> list[str]:
    """The declared aliases; a model's current version is its ``default`` too."""
    declared = [a for a in props.get("version_aliases") or [] if isinstance(a, str)]
    if not props.get("parent_model") and DEFAULT_ALIAS not in declared:
        declared = [DEFAULT_ALIAS, *declared]
    return declared


def _aliases_differ(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """Whether the declared aliases differ from the live ones (as sets, ``default`` aside
    unless declared: it cannot be removed, only moved)."""
    if contains_unknown(news.get("version_aliases")):
        return True
    want = set(_wanted_aliases(news))
    have = {a for a in olds.get("version_aliases") or [] if isinstance(a, str)}
    if DEFAULT_ALIAS not in want:
        have.discard(DEFAULT_ALIAS)
    return want != have


def _fresh(live: Any) -> Any:
    """The version as it is now (after model-level updates), or as last seen."""
    return model_api.get(versioned(live.name, live.version_id)) or live


def _set_labels(message: Any, labels: dict[str, str]) -> None:
    message.labels.clear()
    message.labels.update(labels)


def _id(live: Any, props: dict[str, Any]) -> str:
    """The resource id: its model (for a version of another model, that model's name)."""
    return str(props.get("parent_model") or base_name(live.name))


def _inputs_from(live: Any) -> dict[str, Any]:
    """``Model.get()``: place and fields of the live version."""
    from google.cloud.aiplatform_v1 import Model
    from google.protobuf import json_format

    full = json_format.MessageToDict(Model.pb(live), preserving_proto_field_name=True)
    parts = live.name.split("/")
    fields = {k: v for k, v in full.items() if k in MODEL_FIELDS and k != "version_aliases"}
    return {"project": parts[1], "location": parts[3], **fields}
