"""Durability: `vertex-local serve` killed (SIGKILL) while a pipeline runs, then restarted.

The pipeline, its backing job and its state are read back from the data dir; the job's
container was left running and is reattached, and the pipeline goes on to upload its
model and succeed.
"""

from __future__ import annotations

import json
import pathlib
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import PipelineState
from google.cloud.aiplatform_v1.services.model_service.transports import ModelServiceGrpcTransport
from google.cloud.aiplatform_v1.services.pipeline_service.transports import (
    PipelineServiceGrpcTransport,
)

from tests.emulator.test_restart import ServeProcess
from tests.emulator.training_pipelines.support import pipeline

pytestmark = pytest.mark.docker

PARENT = "projects/restart-pipelines/locations/us-central1"
TRAINER = (
    "import os, time; time.sleep(10); "
    "d = os.environ['AIP_MODEL_DIR'].replace('gs://', '/gcs/', 1); "
    "os.makedirs(d, exist_ok=True); open(os.path.join(d, 'model.txt'), 'w').write('m')"
)


class Clients:
    """Pipeline and Model clients for the emulator a ServeProcess started."""

    def __init__(self, data_dir: pathlib.Path) -> None:
        address = json.loads((data_dir / "emulator.pid").read_text())["grpc_address"]
        self.channel = grpc.insecure_channel(address)
        self.pipelines = aiplatform_v1.PipelineServiceClient(
            transport=PipelineServiceGrpcTransport(channel=self.channel, host=address)
        )
        self.models = aiplatform_v1.ModelServiceClient(
            transport=ModelServiceGrpcTransport(channel=self.channel, host=address)
        )

    def wait(self, name: str, *states: int, timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = self.pipelines.get_training_pipeline(name=name)
            if found.state in states:
                return found
            assert time.monotonic() < deadline, f"{name} still {found.state.name}: {found.error}"
            time.sleep(0.2)


@pytest.fixture
def data_dir(tmp_path: pathlib.Path, docker_client: Any) -> Iterator[pathlib.Path]:
    path = tmp_path / "vertex-local"
    path.mkdir()
    yield path


@pytest.mark.slow
def test_pipeline_survives_a_killed_emulator_and_uploads_its_model(
    data_dir: pathlib.Path,
) -> None:
    started: list[ServeProcess] = []
    try:
        first = ServeProcess(data_dir).start()
        started.append(first)
        before = Clients(data_dir)
        created = before.pipelines.create_training_pipeline(
            parent=PARENT, training_pipeline=pipeline(output="gs://restart-bkt/run", code=TRAINER)
        )
        before.wait(created.name, PipelineState.PIPELINE_STATE_RUNNING)
        first.kill()
        before.channel.close()

        second = ServeProcess(data_dir).start()
        started.append(second)
        after = Clients(data_dir)
        listed = list(after.pipelines.list_training_pipelines(parent=PARENT))
        assert [p.name for p in listed] == [created.name]
        again = listed[0]
        assert again.state in (
            PipelineState.PIPELINE_STATE_RUNNING,
            PipelineState.PIPELINE_STATE_SUCCEEDED,
        )
        assert (
            again.training_task_metadata["backingCustomJob"]
            == (created.training_task_metadata["backingCustomJob"])
        )
        ended = (PipelineState.PIPELINE_STATE_SUCCEEDED, PipelineState.PIPELINE_STATE_FAILED)
        done = after.wait(created.name, *ended)
        assert done.state == PipelineState.PIPELINE_STATE_SUCCEEDED, done.error
        model = after.models.get_model(name=done.model_to_upload.name)
        assert model.artifact_uri == "gs://restart-bkt/run/model"
        after.channel.close()
    finally:
        for process in started:
            process.stop()
