"""TrainingPipelines end to end in the emulator: real containers, the official clients.

A trainer writes its model into ``AIP_MODEL_DIR``; the pipeline uploads it; a second
pipeline with ``parent_model`` makes version 2; a failing trainer fails the pipeline
with the job's error; cancel reaches the job; delete is a long-running operation.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import requests
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState, PipelineState
from google.cloud.aiplatform_v1.services.model_service.transports import ModelServiceGrpcTransport
from google.cloud.aiplatform_v1.services.pipeline_service.transports import (
    PipelineServiceGrpcTransport,
)

from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path
from tests.emulator.training_pipelines.support import pipeline

pytestmark = pytest.mark.docker

PARENT = "projects/test-project/locations/us-central1"
TRAINER = (
    "import os; d = os.environ['AIP_MODEL_DIR'].replace('gs://', '/gcs/', 1); "
    "os.makedirs(d, exist_ok=True); open(os.path.join(d, 'model.txt'), 'w').write('{}')"
)
TERMINAL = (
    PipelineState.PIPELINE_STATE_SUCCEEDED,
    PipelineState.PIPELINE_STATE_FAILED,
    PipelineState.PIPELINE_STATE_CANCELLED,
)


@pytest.fixture(scope="module")
def clients(emulator: Any) -> Iterator[tuple[Any, Any]]:
    channel = grpc.insecure_channel(emulator.grpc_address)
    host = emulator.grpc_address
    yield (
        aiplatform_v1.PipelineServiceClient(
            transport=PipelineServiceGrpcTransport(channel=channel, host=host)
        ),
        aiplatform_v1.ModelServiceClient(
            transport=ModelServiceGrpcTransport(channel=channel, host=host)
        ),
    )
    channel.close()


def wait(client: Any, name: str, *states: int, timeout: float = 120) -> Any:
    wanted = states or TERMINAL
    deadline = time.monotonic() + timeout
    while True:
        found = client.get_training_pipeline(name=name)
        if found.state in wanted:
            return found
        assert time.monotonic() < deadline, f"{name} still {found.state.name}: {found.error}"
        time.sleep(0.2)


def test_trained_model_is_uploaded_then_a_second_pipeline_makes_version_two(
    clients: tuple[Any, Any], emulator: Any, job_client: Any
) -> None:
    pipelines, models = clients
    bucket = f"pl-{uuid.uuid4().hex[:8]}"
    first = pipelines.create_training_pipeline(
        parent=PARENT,
        training_pipeline=pipeline(output=f"gs://{bucket}/run1", code=TRAINER.format("v1")),
    )
    done = wait(pipelines, first.name)
    assert done.state == PipelineState.PIPELINE_STATE_SUCCEEDED, done.error
    assert not done.error.code
    job = job_client.get_custom_job(name=done.training_task_metadata["backingCustomJob"])
    assert job.state == JobState.JOB_STATE_SUCCEEDED
    model_name = done.model_to_upload.name
    assert done.model_to_upload.version_id == "1"

    model = models.get_model(name=model_name)
    assert model.artifact_uri == f"gs://{bucket}/run1/model"
    folder = gcs_local_path(emulator.data_dir, model.artifact_uri)
    assert (folder / "model.txt").read_text() == "v1"
    assert model.training_pipeline == first.name
    assert list(model.version_aliases) == ["default"]
    listed = models.list_models(request={"parent": PARENT, "filter": 'display_name="pl-model"'})
    assert model_name in [m.name for m in listed]

    second = pipelines.create_training_pipeline(
        parent=PARENT,
        training_pipeline=pipeline(
            output=f"gs://{bucket}/run2",
            code=TRAINER.format("v2"),
            parent_model=model_name,
            model={
                "display_name": "pl-model",
                "container_spec": {"image_uri": "serve:2"},
                "version_aliases": ["default"],
            },
        ),
    )
    done2 = wait(pipelines, second.name)
    assert done2.state == PipelineState.PIPELINE_STATE_SUCCEEDED, done2.error
    assert (done2.model_to_upload.name, done2.model_to_upload.version_id) == (model_name, "2")
    latest = models.get_model(name=model_name)
    assert latest.version_id == "2"
    assert latest.artifact_uri == f"gs://{bucket}/run2/model"
    assert list(latest.version_aliases) == ["default"]
    assert list(models.get_model(name=f"{model_name}@1").version_aliases) == []

    op = pipelines.delete_training_pipeline(name=first.name)
    op.result(timeout=10)
    answer = requests.get(f"http://{emulator.rest_address}/ui/{op.operation.name}", timeout=10)
    assert answer.status_code == 200 and answer.json()["done"] is True
    with pytest.raises(exceptions.NotFound):
        pipelines.get_training_pipeline(name=first.name)
    assert models.get_model(name=f"{model_name}@1").version_id == "1"  # the model stays


def test_failing_trainer_fails_the_pipeline_with_the_jobs_error(
    clients: tuple[Any, Any], job_client: Any
) -> None:
    pipelines, _ = clients
    created = pipelines.create_training_pipeline(
        parent=PARENT,
        training_pipeline=pipeline(code="import sys; print('bad data'); sys.exit(3)"),
    )
    done = wait(pipelines, created.name)
    assert done.state == PipelineState.PIPELINE_STATE_FAILED
    job = job_client.get_custom_job(name=done.training_task_metadata["backingCustomJob"])
    assert job.state == JobState.JOB_STATE_FAILED
    assert done.error.code == job.error.code
    assert done.error.message == job.error.message
    assert "exited with a non-zero status of 3" in done.error.message
    assert not done.model_to_upload.name


def test_cancel_reaches_the_job_and_the_pipeline_ends_cancelled(
    clients: tuple[Any, Any], job_client: Any
) -> None:
    pipelines, _ = clients
    created = pipelines.create_training_pipeline(
        parent=PARENT, training_pipeline=pipeline(code="import time; time.sleep(300)")
    )
    wait(pipelines, created.name, PipelineState.PIPELINE_STATE_RUNNING)
    with pytest.raises(exceptions.FailedPrecondition):
        pipelines.delete_training_pipeline(name=created.name)
    pipelines.cancel_training_pipeline(name=created.name)
    done = wait(pipelines, created.name)
    assert done.state == PipelineState.PIPELINE_STATE_CANCELLED
    assert done.error.code == 1
    job = job_client.get_custom_job(name=done.training_task_metadata["backingCustomJob"])
    assert job.state == JobState.JOB_STATE_CANCELLED
    pipelines.delete_training_pipeline(name=created.name).result(timeout=10)
