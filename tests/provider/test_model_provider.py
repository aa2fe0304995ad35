"""ModelProvider against the emulator's Model Registry: every create, update and delete
path, counted in RPCs. No containers: nothing here runs a job."""

from __future__ import annotations

import pathlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.faults import FaultPlan
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.provider import model_api
from pulumi_vertex_training.provider.model import ModelProvider
from tests.emulator.fake_runner import FakeRunner, no_cluster
from tests.reliability.support import fault_emulator

SERVING = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"
MUTATING = (
    "upload_model",
    "update_model",
    "merge_version_aliases",
    "delete_model",
    "delete_model_version",
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """An emulator of this module's own (no jobs run); VERTEX_AI_EMULATOR_HOST points at it."""
    server = EmulatorServer(
        tmp_path_factory.mktemp("models"),
        rest_port=None,
        runner=FakeRunner(),
        build_job_run=no_cluster,
    ).start()
    mp = pytest.MonkeyPatch()
    mp.setenv("VERTEX_AI_EMULATOR_HOST", server.grpc_address)
    try:
        yield server
    finally:
        mp.undo()
        server.stop()


@pytest.fixture
def provider() -> ModelProvider:
    return ModelProvider()


def props(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "project": "test-project",
        "location": "us-central1",
        "display_name": "churn",
        "artifact_uri": "gs://models-bucket/churn/1",
        "container_spec": {"image_uri": SERVING},
        "labels": {"team": "a"},
        "on_delete": "delete",
        "resource_key": f"tests/dev/{uuid.uuid4().hex}",
    }
    raw.update(overrides)
    result = ModelProvider().check({}, raw)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


class Calls:
    """The mutating RPCs made between two points of a test."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.before = dict(server.calls)

    def made(self) -> dict[str, int]:
        return {
            name: self.server.calls[name] - self.before.get(name, 0)
            for name in MUTATING
            if self.server.calls[name] - self.before.get(name, 0)
        }


def versions(model: str) -> dict[str, list[str]]:
    listed = model_api._service(model).list_model_versions(name=model)
    return {v.version_id: sorted(v.version_aliases) for v in listed}


# -- a model --------------------------------------------------------------------------


def test_create_uploads_version_one_with_default_and_the_declared_aliases(
    registry: EmulatorServer, provider: ModelProvider
) -> None:
    calls = Calls(registry)
    created = provider.create(props(version_aliases=["prod"]))
    outs = created.outs
    assert created.id == outs["name"] and "@" not in created.id
    assert outs["version_id"] == "1"
    assert sorted(outs["version_aliases"]) == ["default", "prod"]
    assert outs["artifact_uri"] == "gs://models-bucket/churn/1"
    # locally, the emulator's console: the model's page, at the version's anchor
    assert outs["console_url"] == f"{client.emulator_console()}/{created.id}#version-1"
    assert outs["create_time"] and outs["version_create_time"] and len(outs["spec_hash"]) == 32
    assert calls.made() == {"upload_model": 1}
    live = model_api.get(created.id)
    assert live.labels["team"] == "a" and model_api.RESOURCE_LABEL in live.labels


def test_labels_display_name_and_description_change_in_place_with_one_update(
    registry: EmulatorServer, provider: ModelProvider
) -> None:
    olds = provider.create(props()).outs
    news = {**olds, "labels": {"team": "b"}, "display_name": "churn v2", "description": "d"}
    news = props(**{k: news[k] for k in ("labels", "display_name", "description", "resource_key")})
    assert provider.diff(olds["name"], olds, news).replaces == []
    calls = Calls(registry)
    outs = provider.update(olds["name"], olds, news).outs
    assert calls.made() == {"update_model": 1}
    assert outs["version_id"] == "1" and outs["name"] == olds["name"]
    live = model_api.get(olds["name"])
    assert (live.display_name, live.description, live.labels["team"]) == ("churn v2", "d", "b")
    assert model_api.RESOURCE_LABEL in live.labels  # ours kept beside the user's


def test_version_description_and_aliases_change_in_place(
    registry: EmulatorServer, provider: ModelProvider
) -> None:
    base = props(version_aliases=["prod", "blue"])
    olds = provider.create(base).outs
    news = {**base, "version_description": "tuned", "version_aliases": ["prod", "green"]}
    calls = Calls(registry)
    outs = provider.update(olds["name"], olds, news).outs
    assert calls.made() == {"update_model": 1, "merge_version_aliases": 1}
    assert sorted(outs["version_aliases"]) == ["default", "green", "prod"]
    assert model_api.get(f"{olds['name']}@1").version_description == "tuned"
    # default is never dropped from a model's current version, even when not listed
    outs = provider.update(olds["name"], outs, {**news, "version_aliases": []}).outs
    assert outs["version_aliases"] == ["default"]


def test_new_content_uploads_a_new_version_and_keeps_the_old_one(
    registry: EmulatorServer, provider: ModelProvider
) -> None:
    base = props(version_aliases=["prod"])
    olds = provider.create(base).outs
    news = {**base, "artifact_uri": "gs://models-bucket/churn/2", "labels": {"team": "c"}}
    assert provider.diff(olds["name"], olds, news).changes
    calls = Calls(registry)
    outs = provider.update(olds["name"], olds, news).outs
    assert calls.made() == {"upload_model": 1, "update_model": 1}
    assert outs["name"] == olds["name"] and outs["version_id"] == "2"
    assert outs["spec_hash"] != olds["spec_hash"]
    assert versions(olds["name"]) == {"2": ["default", "prod"], "1": []}
    live = model_api.get(olds["name"])  # the default version: the new one
    assert live.version_id == "2" and live.artifact_uri == "gs://models-bucket/churn/2"
    assert live.labels["team"] == "c"  # a model label, shown on every version
    # new triggers (the same folder, written again by a new job run): version 3
    outs = provider.update(olds["name"], outs, {**news, "triggers": ["job-2"]}).outs
    assert outs["version_id"] == "3"
    # content and triggers as version 2 had them: version 2 again, nothing uploaded
    calls = Calls(registry)
    outs = provider.update(olds["name"], outs, news).outs
    assert outs["version_id"] == "2" and calls.made() == {"merge_version_aliases": 1}
    assert versions(olds["name"])["2"] == ["default", "prod"]


def test_nothing_changed_means_no_call(registry: EmulatorServer, provider: ModelProvider) -> None:
    base = props(version_aliases=["prod"])
    olds = provider.create(base).outs
    assert not provider.diff(olds["name"], olds, base).changes


def test_create_adopts_the_model_a_crashed_run_uploaded(
    registry: EmulatorServer, provider: ModelProvider
) -> None:
    base = props()
    first = provider.create(base)
    calls = Calls(registry)
    again = provider.create({**base, "labels": {"team": "z"}})  # state was lost; labels edited
    assert again.id == first.id and again.outs["version_id"] == "1"
    assert "upload_model" not in calls.made()
    assert model_api.get(first.id).labels["team"] == "z"


def test_a_lost_upload_answer_never_uploads_twice(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, provider: ModelProvider
) -> None:
    plan = FaultPlan(lost=1.0, methods=frozenset({"upload_model"}))
    with fault_emulator(tmp_path, monkeypatch, plan) as server:
        created = provider.create(props())
        assert server.calls["upload_model"] == 1 and plan.count("lost") == 1
        assert versions(created.id) == {"1": ["default"]}
        parent = "projects/test-project/locations/us-central1"
        assert len(list(model_api._service(parent).list_models(parent=parent))) == 1


def test_read_and_delete(registry: EmulatorServer, provider: ModelProvider) -> None:
    created = provider.create(props())
    read = provider.read(created.id, created.outs)
    assert read.id == created.id and read.outs["version_id"] == "1"
    got = provider.read(f"{created.id}@default", {})  # Model.get(): no resource_key
    assert got.outs["display_name"] == "churn" and got.outs["on_delete"] == "keep"
    assert got.outs["artifact_uri"] == "gs://models-bucket/churn/1"
    calls = Calls(registry)
    provider.delete(created.id, created.outs)
    assert calls.made() == {"delete_model": 1}
    assert model_api.get(created.id) is None
    assert not provider.read(created.id, created.outs).id
    provider.delete(created.id, created.outs)  # already gone: success


def test_on_delete_keep_leaves_the_model(registry: EmulatorServer, provider: ModelProvider) -> None:
    created = provider.create(props(on_delete="keep"))
    provider.delete(created.id, created.outs)
    assert model_api.get(created.id) is not None
    model_api.delete(created.id)


# -- a version of another model --------------------------------------------------------


def test_a_version_of_another_model(registry: EmulatorServer, provider: ModelProvider) -> None:
    owner = provider.create(props(version_aliases=["prod"]))
    model = owner.id
    base = props(parent_model=model, artifact_uri="gs://models-bucket/x/1", labels={"v": "1"})
    calls = Calls(registry)
    mine = provider.create(base)
    assert calls.made() == {"upload_model": 1}
    assert mine.id == model and mine.outs["version_id"] == "2"
    assert mine.outs["version_aliases"] == []  # not the default unless it says so
    assert versions(model) == {"2": [], "1": ["default", "prod"]}
    assert model_api.get(f"{model}@2").labels["v"] == "1"

    # labels are the version's: UpdateModel on it; display_name is the model's: warned only
    news = {**base, "labels": {"v": "2"}, "display_name": "renamed"}
    calls = Calls(registry)
    outs = provider.update(mine.id, mine.outs, news).outs
    assert calls.made() == {"update_model": 1}
    assert model_api.get(f"{model}@2").labels["v"] == "2"
    assert model_api.get(model).display_name == "churn"

    # new content: another version into the same model; version 2 stays (history)
    news = {**news, "artifact_uri": "gs://models-bucket/x/2", "version_aliases": ["default"]}
    outs = provider.update(mine.id, outs, news).outs
    assert outs["version_id"] == "3"
    assert versions(model) == {"3": ["default"], "2": [], "1": ["prod"]}

    # destroy: only the current version; it held default, which goes to the newest other
    calls = Calls(registry)
    provider.delete(mine.id, outs)
    assert calls.made() == {
        "delete_model_version": 2,  # refused while it held default, then done
        "merge_version_aliases": 1,
    }
    assert versions(model) == {"2": ["default"], "1": ["prod"]}
    provider.delete(owner.id, owner.outs)
    assert model_api.get(model) is None


def test_a_version_is_adopted_after_a_crash(
    registry: EmulatorServer, provider: ModelProvider
) -> None:
    owner = provider.create(props())
    base = props(parent_model=owner.id, artifact_uri="gs://models-bucket/y/1")
    first = provider.create(base)
    calls = Calls(registry)
    again = provider.create(base)
    assert again.outs["version_id"] == first.outs["version_id"] == "2"
    assert "upload_model" not in calls.made()  # in-place fields brought in line only
