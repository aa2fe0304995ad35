"""TrainingPipelineProvider against the emulator, jobs moved by the test (no containers):
wait modes, the upload, failures, adoption, destroy, ``.get``. Real containers (a trainer
that writes its model, one that fails with a traceback) run in tests/e2e."""

from __future__ import annotations

import pathlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.provider import job_api, model_api
from pulumi_vertex_training.provider.custom_job_api import CUSTOM_JOBS
from pulumi_vertex_training.provider.training_pipeline import (
    BackingJobLogs,
    TrainingPipelineProvider,
)
from pulumi_vertex_training.provider.training_pipeline_api import TRAINING_PIPELINES
from tests.emulator.fake_runner import FakeRunner
from tests.emulator.training_pipelines.support import fake_emulator
from tests.provider.pipeline_support import pipeline_props

PARENT = "projects/test-project/locations/us-central1"


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, FakeRunner]]:
    """An emulator whose jobs stay where the test puts them (FakeRunner)."""
    runner = FakeRunner(RunPhase.RUNNING)
    with fake_emulator(tmp_path_factory.mktemp("pipelines"), runner) as server:
        mp = pytest.MonkeyPatch()
        mp.setenv(client.EMULATOR_HOST_ENV, server.grpc_address)
        try:
            yield server, runner
        finally:
            mp.undo()


@pytest.fixture
def provider() -> TrainingPipelineProvider:
    return TrainingPipelineProvider()


@pytest.fixture
def starting(fake: tuple[EmulatorServer, FakeRunner]) -> Iterator[FakeRunner]:
    """The runner; each test sets the phase new jobs start in (RUNNING again after)."""
    runner = fake[1]
    yield runner
    runner.phase = RunPhase.RUNNING


def checked(provider: TrainingPipelineProvider, **overrides: Any) -> tuple[dict[str, Any], str]:
    """Checked props with an output directory of their own, and that directory."""
    output = f"gs://pl-{uuid.uuid4().hex[:8]}/run"
    spec = {
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1,
                "container_spec": {"image_uri": "local/python:3.11"},
            }
        ],
        "base_output_directory": {"output_uri_prefix": output},
    }
    result = provider.check({}, pipeline_props(job_spec=spec, **overrides))
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs), output


def write_model(server: EmulatorServer, output: str) -> pathlib.Path:
    """What a trainer does: a file in AIP_MODEL_DIR."""
    folder = gcs_local_path(server.data_dir, f"{output}/model")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text('{"w": 3}')
    return folder


def test_completed_waits_for_the_upload_and_outputs_the_model(
    fake: tuple[EmulatorServer, FakeRunner], starting: FakeRunner, provider: Any
) -> None:
    server = fake[0]
    starting.phase = RunPhase.SUCCEEDED
    props, output = checked(provider, wait="completed", labels={"team": "ml"})
    write_model(server, output)
    created = provider.create(props)
    outs = created.outs
    assert created.id.startswith(f"{PARENT}/trainingPipelines/")
    assert outs["state"] == "PIPELINE_STATE_SUCCEEDED" and outs["error"] is None
    assert outs["pipeline_id"] == created.id.rsplit("/", 1)[1]
    assert outs["backing_custom_job"].startswith(f"{PARENT}/customJobs/")
    assert outs["model_name"].startswith(f"{PARENT}/models/") and outs["model_version_id"] == "1"
    assert outs["model_dir"] == f"{output}/model/"
    # locally, the emulator's console: the pipeline's own page
    assert outs["console_url"] == f"{client.emulator_console()}/{created.id}"
    assert outs["start_time"] and outs["end_time"] and len(outs["spec_hash"]) == 32
    model = model_api.get(outs["model_name"])
    assert model.artifact_uri == f"{output}/model" and model.training_pipeline == created.id
    job = job_api.get(CUSTOM_JOBS, outs["backing_custom_job"])
    assert job.labels["team"] == "ml"  # the pipeline's labels reach its job

    provider.delete(created.id, outs)
    assert job_api.get(TRAINING_PIPELINES, created.id) is None
    assert job_api.get(CUSTOM_JOBS, outs["backing_custom_job"]) is None
    assert model_api.get(outs["model_name"]) is not None  # the model stays in the registry


def test_started_returns_while_running_and_refresh_sees_the_model(
    fake: tuple[EmulatorServer, FakeRunner], starting: FakeRunner, provider: Any
) -> None:
    server, runner = fake
    props, output = checked(provider, wait="started")
    created = provider.create(props)
    assert created.outs["state"] == "PIPELINE_STATE_RUNNING"
    assert created.outs["model_name"] is None
    write_model(server, output)
    runner.set(created.outs["backing_custom_job"], RunPhase.SUCCEEDED)
    job_api.wait_for(TRAINING_PIPELINES, created.id, TRAINING_PIPELINES.states.terminal, 30)
    read = provider.read(created.id, created.outs)
    assert read.outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert read.outs["model_version_id"] == "1" and read.outs["model_name"]
    provider.delete(created.id, read.outs)


def test_a_failed_job_fails_the_deployment_with_the_jobs_report(
    starting: FakeRunner, provider: Any
) -> None:
    starting.phase = RunPhase.FAILED
    props, _ = checked(provider, wait="completed", display_name="pl-fails")
    with pytest.raises(job_api.JobFailedError) as raised:
        provider.create(props)
    message = str(raised.value)
    assert 'TrainingPipeline "pl-fails"' in message and "PIPELINE_STATE_FAILED" in message
    assert 'CustomJob "pl-fails"' in message and "JOB_STATE_FAILED" in message
    assert "All logs:" in message and "Pipeline console:" in message


def test_a_failed_upload_fails_the_deployment_with_the_pipelines_error(
    starting: FakeRunner, provider: Any
) -> None:
    starting.phase = RunPhase.SUCCEEDED  # ... but the trainer saved nothing
    props, output = checked(provider, wait="completed")
    with pytest.raises(job_api.JobFailedError) as raised:
        provider.create(props)
    message = str(raised.value)
    assert "PIPELINE_STATE_FAILED" in message and "AIP_MODEL_DIR" in message
    assert output in message and "CustomJob" not in message


def test_create_adopts_the_pipeline_a_crashed_run_created(
    fake: tuple[EmulatorServer, FakeRunner], provider: Any
) -> None:
    server = fake[0]
    props, _ = checked(provider)
    first = provider.create(props)
    creates = server.calls["create_training_pipeline"]
    again = provider.create(props)
    assert again.id == first.id and server.calls["create_training_pipeline"] == creates
    other = provider.create({**props, "resource_key": props["resource_key"] + "-2"})
    assert other.id != first.id
    for made in (first, other):
        provider.delete(made.id, made.outs)


def test_destroy_cancels_a_running_pipeline_then_deletes_it_and_its_job(
    provider: Any, starting: FakeRunner
) -> None:
    props, _ = checked(provider, wait="started")
    created = provider.create(props)
    provider.delete(created.id, created.outs)
    assert job_api.get(TRAINING_PIPELINES, created.id) is None
    assert job_api.get(CUSTOM_JOBS, created.outs["backing_custom_job"]) is None
    provider.delete(created.id, created.outs)  # already gone: success


def test_on_delete_keep_leaves_the_pipeline(provider: Any) -> None:
    props, _ = checked(provider, on_delete="keep")
    created = provider.create(props)
    provider.delete(created.id, created.outs)
    assert job_api.get(TRAINING_PIPELINES, created.id) is not None
    job_api.cancel_and_delete(TRAINING_PIPELINES, created.id, 30)


def test_the_wait_bound_leaves_it_running_for_the_next_up(provider: Any) -> None:
    props, _ = checked(provider, wait="completed", wait_timeout="1s")
    with pytest.raises(job_api.WaitTimeoutError, match="training pipeline keeps running"):
        provider.create(props)
    adopted = provider.create({**props, "wait": "none"})
    assert adopted.outs["state"] == "PIPELINE_STATE_RUNNING"
    provider.delete(adopted.id, adopted.outs)


def test_get_reads_the_fields_of_an_existing_pipeline(provider: Any) -> None:
    props, output = checked(provider, labels={"team": "ml"})
    created = provider.create(props)
    read = provider.read(created.id, {"project": None, "job_spec": None})
    outs = read.outs
    assert outs["display_name"] == props["display_name"] and outs["labels"]["team"] == "ml"
    assert outs["job_spec"]["base_output_directory"]["output_uri_prefix"] == output
    assert outs["model_to_upload"]["display_name"] == "model"
    assert outs["on_delete"] == "keep" and outs["project"] == "test-project"
    provider.delete(created.id, created.outs)


def test_streamed_logs_follow_the_backing_job_once_it_is_named(provider: Any) -> None:
    props, _ = checked(provider)
    created = provider.create(props)
    logs = BackingJobLogs(created.id, "pl", project="test-project")
    logs.poll()
    assert logs.stream is not None
    assert logs.stream.job_name == created.outs["backing_custom_job"]
    provider.delete(created.id, created.outs)
