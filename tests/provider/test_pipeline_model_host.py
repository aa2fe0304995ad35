"""TrainingPipelineProvider and ModelProvider through the Pulumi SDK's own dynamic-provider
host (``python -m pulumi.dynamic``, what the CLI starts), over gRPC, against an emulator
whose jobs the test moves (no containers)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.provider import model_api
from pulumi_vertex_training.provider.model import ModelProvider
from pulumi_vertex_training.provider.training_pipeline import TrainingPipelineProvider
from pulumi_vertex_training.testing.host import PROVIDER_KEY, DynamicHost
from tests.emulator.fake_runner import FakeRunner
from tests.emulator.training_pipelines.support import fake_emulator
from tests.provider.pipeline_support import SERVING, pipeline_props


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    with fake_emulator(tmp_path_factory.mktemp("host"), FakeRunner(RunPhase.SUCCEEDED)) as fake:
        yield fake


@pytest.fixture(scope="module")
def host(server: EmulatorServer) -> Iterator[DynamicHost]:
    env = {client.EMULATOR_HOST_ENV: server.grpc_address}
    config = {"gcp:project": "host-project", "gcp:region": "us-central1"}
    with DynamicHost(config=config, project="tests", env=env) as running:
        yield running


def _news(props: dict[str, Any], provider: Any) -> dict[str, Any]:
    news = {k: v for k, v in props.items() if v is not None}
    return {**news, PROVIDER_KEY: DynamicHost.serialize(provider)}


def test_a_pipeline_through_the_host(
    host: DynamicHost, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, server.grpc_address)
    folder = gcs_local_path(server.data_dir, "gs://host-bucket/run/model")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text("{}")
    spec = pipeline_props()["job_spec"]
    spec["base_output_directory"] = {"output_uri_prefix": "gs://host-bucket/run"}
    raw = pipeline_props(project=None, location=None, job_spec=spec, wait="completed")
    inputs, failures = host.check({}, _news(raw, TrainingPipelineProvider()))
    assert failures == []
    assert inputs["project"] == "host-project"  # from Configure (stack config)

    pipeline_id, outputs = host.create(inputs)
    assert pipeline_id.startswith("projects/host-project/locations/us-central1/trainingPipelines/")
    assert outputs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert outputs["model_version_id"] == "1"

    assert host.diff(pipeline_id, outputs, inputs).changes == "none"
    lifecycle = {**inputs, "logs": "stream"}
    assert host.diff(pipeline_id, outputs, lifecycle).replaces == []
    spec["scheduling"] = {"timeout": "1h"}
    changed, _ = host.check({}, {**inputs, "job_spec": spec})
    assert host.diff(pipeline_id, outputs, changed).replaces == ["job_spec"]

    updated = host.update(pipeline_id, outputs, lifecycle)
    assert updated["logs"] == "stream" and updated["model_name"] == outputs["model_name"]
    read_id, read = host.read(pipeline_id, updated)
    assert read_id == pipeline_id and read["state"] == "PIPELINE_STATE_SUCCEEDED"
    host.delete(pipeline_id, read)
    assert host.read(pipeline_id, read)[0] == ""

    bad = pipeline_props(wait="later")
    bad["job_spec"]["worker_pool_specs"][0]["replica_count"] = 2
    _, failures = host.check({}, _news(bad, TrainingPipelineProvider()))
    assert {"wait", "job_spec.worker_pool_specs[0].replica_count"} <= {p for p, _ in failures}


def test_a_model_through_the_host(
    host: DynamicHost, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, server.grpc_address)
    raw = {
        "display_name": "host-model",
        "artifact_uri": "gs://host-bucket/run/model",
        "container_spec": {"image_uri": SERVING},
        "labels": {"team": "a"},
        "version_aliases": ["prod"],
        "on_delete": "delete",
        "resource_key": "tests/dev/host-model",
    }
    inputs, failures = host.check({}, _news(raw, ModelProvider()))
    assert failures == []
    model_id, outputs = host.create(inputs)
    assert model_id.startswith("projects/host-project/locations/us-central1/models/")
    assert outputs["version_id"] == "1"
    assert sorted(outputs["version_aliases"]) == ["default", "prod"]

    assert host.diff(model_id, outputs, inputs).changes == "none"
    relabelled = {**inputs, "labels": {"team": "b"}}
    diff = host.diff(model_id, outputs, relabelled)
    assert diff.changes == "some" and diff.replaces == []
    updated = host.update(model_id, outputs, relabelled)
    assert updated["version_id"] == "1"
    assert model_api.get(model_id).labels["team"] == "b"

    read_id, read = host.read(model_id, updated)
    assert read_id == model_id and read["version_id"] == "1"
    host.delete(model_id, read)
    assert model_api.get(model_id) is None


@pytest.mark.parametrize("provider", [TrainingPipelineProvider(), ModelProvider()])
def test_serialized_providers_are_small_and_hold_no_credentials(provider: Any) -> None:
    pickled = DynamicHost.serialize(provider)
    raw = base64.b64decode(pickled)
    assert len(pickled) < 1024
    for needle in (b"private_key", b"token", b"Credentials", b"grpc", b"Channel"):
        assert needle not in raw
