"""ModelProvider.check() and diff(): pure, no API call, no Docker."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_vertex_training.provider.model import ModelProvider

SERVING = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"
MODEL = "projects/test-project/locations/us-central1/models/42"


def model_props(**overrides: Any) -> dict[str, Any]:
    """Raw props as the Model resource sends them (before check)."""
    props: dict[str, Any] = {
        "project": "test-project",
        "location": "us-central1",
        "display_name": "churn",
        "artifact_uri": "gs://models-bucket/churn/1",
        "container_spec": {"image_uri": SERVING},
        "on_delete": "delete",
        "resource_key": f"tests/dev/{uuid.uuid4().hex}",
    }
    props.update(overrides)
    return props


@pytest.fixture
def provider() -> ModelProvider:
    return ModelProvider()


def failures_of(provider: ModelProvider, props: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in provider.check({}, props).failures}


def checked(provider: ModelProvider, props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


BAD_INPUTS = [
    ("project", {"project": None}, "project", "gcp:project"),
    ("on_delete", {"on_delete": "cancel"}, "on_delete", "delete, keep"),
    ("display name", {"display_name": ""}, "display_name", "required"),
    ("display name length", {"display_name": "x" * 129}, "display_name", "128"),
    ("artifact_uri", {"artifact_uri": "s3://b/m"}, "artifact_uri", "gs://"),
    ("serving image", {"container_spec": {"predict_route": "/p"}}, "container_spec.image_uri", ""),
    (
        "port",
        {"container_spec": {"image_uri": SERVING, "ports": [{"container_port": 70000}]}},
        "container_spec.ports[0].container_port",
        "65535",
    ),
    (
        "route",
        {"container_spec": {"image_uri": SERVING, "predict_route": "predict"}},
        "container_spec.predict_route",
        "/",
    ),
    (
        "env name",
        {"container_spec": {"image_uri": SERVING, "env": [{"name": "1X", "value": "v"}]}},
        "container_spec.env[0].name",
        "",
    ),
    ("alias form", {"version_aliases": ["Prod"]}, "version_aliases[0]", "alias"),
    ("alias twice", {"version_aliases": ["prod", "prod"]}, "version_aliases[1]", "twice"),
    ("model_id", {"model_id": "-m"}, "model_id", "model id"),
    ("parent_model", {"parent_model": MODEL + "@2"}, "parent_model", "without @version"),
    (
        "parent_model in another project",
        {"parent_model": "projects/other/locations/us-central1/models/1"},
        "parent_model",
        "project 'other'",
    ),
    (
        "ids disagree",
        {"parent_model": MODEL, "model_id": "churn"},
        "model_id",
        "differs",
    ),
    ("labels", {"labels": {"Team": "x"}}, "labels", ""),
    (
        "schema",
        {"predict_schemata": {"instance_schema_uri": "http://x/s.yaml"}},
        "predict_schemata.instance_schema_uri",
        "gs://",
    ),
]


@pytest.mark.parametrize(
    ("case", "overrides", "path", "phrase"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_check_names_the_field_when_input_is_bad(
    provider: ModelProvider, case: str, overrides: dict[str, Any], path: str, phrase: str
) -> None:
    failures = failures_of(provider, model_props(**overrides))
    matching = {
        p: r for p, r in failures.items() if p == path or p.startswith((path + ".", path + "["))
    }
    assert matching, f"no failure at {path}: {failures}"
    assert any(phrase in reason for reason in matching.values()), matching


def test_check_reports_every_problem_at_once(provider: ModelProvider) -> None:
    props = model_props(on_delete="x", artifact_uri="bucket/m", version_aliases=["A"])
    assert {"on_delete", "artifact_uri", "version_aliases[0]"} <= set(failures_of(provider, props))


def test_check_normalizes_camel_case(provider: ModelProvider) -> None:
    camel = checked(
        provider,
        model_props(
            container_spec={"imageUri": SERVING, "predictRoute": "/p", "deploymentTimeout": "1h"}
        ),
    )
    assert camel["container_spec"] == {
        "image_uri": SERVING,
        "predict_route": "/p",
        "deployment_timeout": "3600s",
    }


def test_check_skips_the_checks_that_need_unknown_values(provider: ModelProvider) -> None:
    props = model_props(artifact_uri=Unknown(), parent_model=Unknown(), on_delete="x")
    assert set(failures_of(provider, props)) == {"on_delete"}


# -- diff ---------------------------------------------------------------------------

LIVE = {"name": MODEL, "version_id": "1", "version_aliases": ["default"], "spec_hash": "h"}


def _olds(provider: ModelProvider, **overrides: Any) -> dict[str, Any]:
    return {**checked(provider, model_props(**overrides)), **LIVE}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("model_id", "churn"),
        ("parent_model", MODEL),
        (
            "encryption_spec",
            {"kms_key_name": f"{MODEL.rsplit('/models', 1)[0]}/keyRings/r/cryptoKeys/k"},
        ),
        ("location", "europe-west4"),
    ],
)
def test_diff_replaces_when_the_model_itself_changes(
    provider: ModelProvider, key: str, value: Any
) -> None:
    olds = _olds(provider)
    news = checked(provider, {**olds, key: value})
    assert provider.diff(MODEL, olds, news).replaces == [key]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("artifact_uri", "gs://models-bucket/churn/2"),
        ("container_spec", {"image_uri": SERVING, "predict_route": "/v2"}),
        ("predict_schemata", {"instance_schema_uri": "gs://models-bucket/i.yaml"}),
        ("triggers", ["job-2"]),
        ("display_name", "churn v2"),
        ("description", "better"),
        ("labels", {"team": "b"}),
        ("version_description", "retrained"),
        ("version_aliases", ["prod"]),
        ("on_delete", "keep"),
    ],
)
def test_diff_updates_in_place_new_content_and_metadata(
    provider: ModelProvider, key: str, value: Any
) -> None:
    olds = _olds(provider)
    news = checked(provider, {**olds, key: value})
    result = provider.diff(MODEL, olds, news)
    assert result.changes and not result.replaces


def test_diff_is_empty_when_the_live_aliases_are_the_declared_ones(
    provider: ModelProvider,
) -> None:
    olds = {**_olds(provider, version_aliases=["prod"]), "version_aliases": ["prod", "default"]}
    news = checked(provider, {**olds, "version_aliases": ["prod"]})
    assert not provider.diff(MODEL, olds, news).changes
    assert provider.diff(MODEL, olds, {**news, "version_aliases": []}).changes


def test_diff_of_a_version_ignores_a_default_alias_it_cannot_drop(provider: ModelProvider) -> None:
    olds = {**_olds(provider, parent_model=MODEL), "version_aliases": ["default"]}
    news = checked(provider, {**olds, "version_aliases": None})
    assert not provider.diff(MODEL, olds, news).changes
    assert provider.diff(MODEL, olds, {**news, "version_aliases": ["canary"]}).changes


def test_replacing_a_model_with_a_fixed_id_deletes_it_first(provider: ModelProvider) -> None:
    olds = _olds(provider, model_id="churn")
    key = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
    news = checked(provider, {**olds, "encryption_spec": {"kms_key_name": key}})
    result = provider.diff(MODEL, olds, news)
    assert result.replaces == ["encryption_spec"] and result.delete_before_replace


def test_the_version_hash_covers_content_and_triggers_not_metadata(
    provider: ModelProvider,
) -> None:
    base = checked(provider, model_props())
    digest = provider.identity(base)[1]
    assert provider.identity({**base, "labels": {"team": "x"}, "display_name": "n"})[1] == digest
    assert provider.identity({**base, "triggers": ["run-2"]})[1] != digest
    assert provider.identity({**base, "artifact_uri": "gs://models-bucket/x"})[1] != digest
    assert provider.identity({**base, "resource_key": "other"})[3] != provider.identity(base)[3]
