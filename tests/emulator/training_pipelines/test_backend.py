"""PipelineBackend following its CustomJob, step by step, with a runner the test drives.

No Docker, no gRPC: the job's phases are set by the test and ``settle()`` polls the
backends, so every path (upload, version 2, failure, cancel, empty model folder,
restart, the job deleted) is pinned deterministically. The Docker paths are in
test_pipelines.py.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator

import pytest
from google.cloud.aiplatform_v1 import (
    JobState,
    PersistentResource,
    PipelineState,
    TrainingPipeline,
)
from google.rpc import code_pb2

from pulumi_vertex_training.emulator.exceptions import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.training_pipelines import states
from tests.emulator.training_pipelines.support import PARENT, Harness, fake_emulator, pipeline

RUNNING = PersistentResource.State.RUNNING


@pytest.fixture
def h(tmp_path: pathlib.Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    yield harness
    harness.jobs.stop()
    harness.store.close()


def create(h: Harness, **kwargs: object) -> str:
    created = h.pipelines.create_training_pipeline(PARENT, TrainingPipeline(pipeline(**kwargs)))  # type: ignore[arg-type]
    return str(created.name)


def state(h: Harness, name: str) -> PipelineState:
    return PipelineState(h.pipelines.get_training_pipeline(name).state)


def test_pipeline_is_queued_with_its_backing_job_then_follows_it_to_running(h: Harness) -> None:
    name = create(h)
    created = h.pipelines.get_training_pipeline(name)
    assert created.state == PipelineState.PIPELINE_STATE_QUEUED
    job = h.jobs.get_custom_job(h.job_of(name))
    assert job.display_name == "pl"
    assert job.job_spec.worker_pool_specs[0].replica_count == 1
    assert job.job_spec.worker_pool_specs[0].disk_spec.boot_disk_size_gb == 100

    h.settle()
    assert state(h, name) == PipelineState.PIPELINE_STATE_RUNNING
    assert h.pipelines.get_training_pipeline(name).start_time


def test_succeeded_job_uploads_the_model_from_aip_model_dir(h: Harness) -> None:
    name = create(h)
    h.settle()
    folder = h.write_model(name)
    h.runner.set(h.job_of(name), RunPhase.SUCCEEDED)
    h.settle()

    done = h.pipelines.get_training_pipeline(name)
    assert done.state == PipelineState.PIPELINE_STATE_SUCCEEDED
    assert not done.error.code
    assert done.end_time
    uploaded = done.model_to_upload
    assert uploaded.name.startswith(f"{PARENT}/models/") and "@" not in uploaded.name
    assert uploaded.version_id == "1"
    model = h.models.get_model(uploaded.name)
    assert model.artifact_uri == "gs://pl-bucket/run/model"
    assert folder.is_dir()
    assert model.training_pipeline == name
    assert list(model.version_aliases) == ["default"]
    assert model.container_spec.image_uri == "serve:1"


def test_model_takes_the_pipelines_key_unless_it_has_its_own(h: Harness) -> None:
    key = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
    name = create(h, encryption_spec={"kms_key_name": key})
    assert h.jobs.get_custom_job(h.job_of(name)).encryption_spec.kms_key_name == key
    h.write_model(name)
    h.runner.set(h.job_of(name), RunPhase.SUCCEEDED)
    h.settle()
    uploaded = h.pipelines.get_training_pipeline(name).model_to_upload
    assert h.models.get_model(uploaded.name).encryption_spec.kms_key_name == key


def test_parent_model_makes_version_two_and_moves_default(h: Harness) -> None:
    first = create(h)
    h.write_model(first)
    h.runner.set(h.job_of(first), RunPhase.SUCCEEDED)
    h.settle()
    model_name = h.pipelines.get_training_pipeline(first).model_to_upload.name

    second = create(
        h,
        output="gs://pl-bucket/run2",
        parent_model=model_name,
        model={
            "display_name": "ignored for a version",
            "container_spec": {"image_uri": "serve:2"},
            "version_aliases": ["default", "candidate"],
        },
    )
    h.write_model(second)
    h.runner.set(h.job_of(second), RunPhase.SUCCEEDED)
    h.settle()

    done = h.pipelines.get_training_pipeline(second)
    assert done.model_to_upload.name == model_name
    assert done.model_to_upload.version_id == "2"
    assert h.models.get_model(model_name).version_id == "2"
    assert set(h.models.get_model(f"{model_name}@candidate").version_aliases) == {
        "default",
        "candidate",
    }
    assert list(h.models.get_model(f"{model_name}@1").version_aliases) == []
    assert h.models.get_model(f"{model_name}@2").display_name == "pl-model"


def test_failed_job_fails_the_pipeline_with_the_jobs_error(h: Harness) -> None:
    name = create(h)
    h.settle()
    h.runner.set(h.job_of(name), RunPhase.FAILED, "workerpool0-0 exited with code 3")
    h.settle()
    done = h.pipelines.get_training_pipeline(name)
    assert done.state == PipelineState.PIPELINE_STATE_FAILED
    job = h.jobs.get_custom_job(h.job_of(name))
    assert job.state == JobState.JOB_STATE_FAILED
    assert done.error.code == job.error.code
    assert done.error.message == job.error.message
    assert "exited with code 3" in done.error.message
    assert not done.model_to_upload.name


def test_job_failing_before_it_ran_fails_a_queued_pipeline(h: Harness) -> None:
    h.runner.phase = RunPhase.FAILED  # the job's start happens at create
    name = create(h)
    h.settle()
    assert state(h, name) == PipelineState.PIPELINE_STATE_FAILED


def test_empty_model_folder_fails_the_pipeline_saying_where_to_save(h: Harness) -> None:
    name = create(h)
    h.runner.set(h.job_of(name), RunPhase.SUCCEEDED)
    h.settle()
    h.runner.set(h.job_of(name), RunPhase.SUCCEEDED)
    h.settle()
    done = h.pipelines.get_training_pipeline(name)
    assert done.state == PipelineState.PIPELINE_STATE_FAILED
    assert done.error.code == code_pb2.FAILED_PRECONDITION
    assert "gs://pl-bucket/run/model" in done.error.message
    assert "AIP_MODEL_DIR" in done.error.message
    assert h.models.list_models(PARENT)[0] == []


def test_pipeline_without_model_to_upload_succeeds_with_its_job(h: Harness) -> None:
    name = create(h, model={})
    h.settle()
    h.runner.set(h.job_of(name), RunPhase.SUCCEEDED)
    h.settle()
    done = h.pipelines.get_training_pipeline(name)
    assert done.state == PipelineState.PIPELINE_STATE_SUCCEEDED
    assert "model_to_upload" not in TrainingPipeline.to_dict(done) or not done.model_to_upload.name


def test_cancel_propagates_to_the_job_and_ends_cancelled(h: Harness) -> None:
    name = create(h)
    h.settle()
    h.pipelines.cancel_training_pipeline(name)
    assert state(h, name) == PipelineState.PIPELINE_STATE_CANCELLING
    assert h.jobs.get_custom_job(h.job_of(name)).state in (
        JobState.JOB_STATE_CANCELLING,
        JobState.JOB_STATE_CANCELLED,
    )
    h.pipelines.cancel_training_pipeline(name)  # again: no-op while CANCELLING
    h.settle()
    done = h.pipelines.get_training_pipeline(name)
    assert done.state == PipelineState.PIPELINE_STATE_CANCELLED
    assert done.error.code == code_pb2.CANCELLED
    assert h.job_of(name) in h.runner.stopped
    with pytest.raises(FailedPrecondition, match="already finished"):
        h.pipelines.cancel_training_pipeline(name)


def test_cancelling_the_job_directly_cancels_the_pipeline(h: Harness) -> None:
    name = create(h)
    h.settle()
    h.jobs.cancel_custom_job(h.job_of(name))
    h.settle()
    h.settle()
    assert state(h, name) == PipelineState.PIPELINE_STATE_CANCELLED


def test_delete_needs_a_finished_pipeline_and_keeps_the_job(h: Harness) -> None:
    name = create(h)
    with pytest.raises(FailedPrecondition, match="Cancel it"):
        h.pipelines.delete_training_pipeline(name)
    h.runner.set(h.job_of(name), RunPhase.FAILED, "boom")
    h.settle()
    job_name = h.job_of(name)
    op = h.pipelines.delete_training_pipeline(name)
    assert op.done and op.name.startswith(name + "/operations/")
    assert h.pipelines.get_operation(op.name) == op
    with pytest.raises(NotFound):
        h.pipelines.get_training_pipeline(name)
    assert h.jobs.get_custom_job(job_name).name == job_name


def test_restart_while_running_loses_nothing_and_finishes(h: Harness) -> None:
    name = create(h)
    h.settle()
    assert state(h, name) == PipelineState.PIPELINE_STATE_RUNNING
    job_name = h.job_of(name)

    h.restart()  # the runner still knows the job: it is reattached
    assert state(h, name) == PipelineState.PIPELINE_STATE_RUNNING
    assert h.job_of(name) == job_name
    h.write_model(name)
    h.runner.set(job_name, RunPhase.SUCCEEDED)
    h.settle()
    done = h.pipelines.get_training_pipeline(name)
    assert done.state == PipelineState.PIPELINE_STATE_SUCCEEDED
    assert done.model_to_upload.version_id == "1"


def test_model_uploaded_before_a_crash_is_not_uploaded_again(h: Harness) -> None:
    name = create(h)
    h.write_model(name)
    h.runner.set(h.job_of(name), RunPhase.SUCCEEDED)
    h.settle()
    model_name = h.pipelines.get_training_pipeline(name).model_to_upload.name
    # As if the emulator died after the upload and before the pipeline was saved.
    h.pipelines._pipelines[name].state = states.RUNNING
    h.pipelines._pipelines[name].ClearField("model_to_upload")
    h.pipelines._pipelines[name].model_to_upload.display_name = "pl-model"
    h.settle()
    assert h.pipelines.get_training_pipeline(name).model_to_upload.name == model_name
    versions, _ = h.models.list_model_versions(model_name)
    assert len(versions) == 1


def test_backing_job_gone_fails_the_pipeline(h: Harness) -> None:
    name = create(h)
    h.runner.set(h.job_of(name), RunPhase.FAILED, "boom")
    h.settle_jobs()  # the job ends FAILED; the pipeline has not looked yet
    h.jobs.delete_custom_job(h.job_of(name))
    h.settle()
    done = h.pipelines.get_training_pipeline(name)
    assert done.state == PipelineState.PIPELINE_STATE_FAILED
    assert "no longer exists" in done.error.message


def test_create_checks_the_upload_target(h: Harness) -> None:
    with pytest.raises(NotFound, match="parent_model"):
        create(h, parent_model=f"{PARENT}/models/404")
    name = create(h, model_id="my-model")
    h.write_model(name)
    h.runner.set(h.job_of(name), RunPhase.SUCCEEDED)
    h.settle()
    assert h.pipelines.get_training_pipeline(name).model_to_upload.name.endswith("/my-model")
    with pytest.raises(AlreadyExists, match="my-model"):
        create(h, model_id="my-model")


def test_list_filters_and_pages_newest_first(h: Harness) -> None:
    names = [create(h, labels={"team": "a" if i % 2 else "b"}) for i in range(5)]
    listed, token = h.pipelines.list_training_pipelines(PARENT, page_size=2)
    assert [p.name for p in listed] == names[::-1][:2]
    rest, _ = h.pipelines.list_training_pipelines(PARENT, page_token=token)
    assert [p.name for p in rest] == names[::-1][2:]
    team_a, _ = h.pipelines.list_training_pipelines(PARENT, 'labels.team="a"')
    assert {p.name for p in team_a} == {names[1], names[3]}
    queued, _ = h.pipelines.list_training_pipelines(
        PARENT, 'state="PIPELINE_STATE_QUEUED" AND training_task_definition:"*custom_task*"'
    )
    assert len(queued) == 5
    with pytest.raises(InvalidArgument, match="unknown field"):
        h.pipelines.list_training_pipelines(PARENT, 'model="x"')


def test_steps_pass_running_and_cancelling() -> None:
    assert states.steps(states.QUEUED, states.SUCCEEDED) == [
        states.PENDING,
        states.RUNNING,
        states.SUCCEEDED,
    ]
    assert states.steps(states.RUNNING, states.CANCELLED) == [states.CANCELLING, states.CANCELLED]
    assert states.steps(states.RUNNING, states.PENDING) == []
    assert states.steps(states.CANCELLING, states.RUNNING) == []
    assert states.steps(states.SUCCEEDED, states.FAILED) == []


def test_a_backing_job_that_does_not_fit_its_persistent_resource_is_refused_at_the_pipelines_paths(
    tmp_path: pathlib.Path,
) -> None:
    """Only the job's creation knows the resource's pools: its field violations come back
    under training_task_inputs, as violations (google.rpc.BadRequest), not only as text."""
    with fake_emulator(tmp_path, persistent_resource_delay=0.0) as server:
        assert server.persistent_resources is not None and server.pipelines is not None
        server.persistent_resources.create_persistent_resource(
            PARENT,
            PersistentResource(resource_pools=[{"machine_spec": {"machine_type": "n1-standard-8"},
                                                "replica_count": 1}]),
            "small",
        )  # fmt: skip
        small = f"{PARENT}/persistentResources/small"
        deadline = time.monotonic() + 30  # a bound only: it is RUNNING at the next poll
        while server.persistent_resources.get_persistent_resource(small).state != RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        body = pipeline()
        body["training_task_inputs"]["persistent_resource_id"] = "small"
        with pytest.raises(InvalidArgument) as refused:
            server.pipelines.create_training_pipeline(PARENT, TrainingPipeline(body))

    field = "training_pipeline.training_task_inputs.worker_pool_specs[0].machine_spec"
    assert [f for f, _ in refused.value.violations] == [field]
    assert refused.value.message.startswith(field)
    assert "custom_job" not in refused.value.message
