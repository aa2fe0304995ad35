"""A runner whose replicas "print" what a test tells them, and an emulator on it.

The console's HTTP tests are about pages, streams and refusals, not containers, so
jobs here run on :class:`FakeRunner` (no Docker): a job runs until the test
finishes it, and each replica's log is a list the test appends to (:meth:`say`),
followed live by ``logs(follow=True)``. A TrainingPipeline's job runs on it too:
:func:`train` writes the model a trainer would and finishes the job, so the pipeline
uploads it. The browser tests run real containers, but for the pipeline pages.
"""

from __future__ import annotations

import contextlib
import pathlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from google.cloud.aiplatform_v1 import CustomJob, TrainingPipeline

from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.fake_runner import FakeRunner
from tests.emulator.training_pipelines.support import pipeline

PARENT = "projects/console-project/locations/us-central1"
IMAGE = "local/python:3.11"


@contextlib.contextmanager
def scripted_emulator(
    data_dir: pathlib.Path, **options: Any
) -> Iterator[tuple[EmulatorServer, FakeRunner]]:
    """An emulator with REST (and so the console) over a :class:`FakeRunner` (``options``:
    more EmulatorServer arguments)."""
    runner = FakeRunner(RunPhase.RUNNING, stop_ends_job=True)
    server = EmulatorServer(
        data_dir,
        rest_port=0,
        runner=runner,
        poll_interval=0.05,
        persistent_resource_delay=0.05,
        **options,
    )
    server.start()
    try:
        yield server, runner
    finally:
        server.stop()


def pool(replicas: int = 1, env: dict[str, str] | None = None, **machine: Any) -> dict[str, Any]:
    """A worker pool running the local image."""
    return {
        "machine_spec": {"machine_type": "n1-standard-4", **machine},
        "replica_count": replicas,
        "container_spec": {
            "image_uri": IMAGE,
            "command": ["python", "-m", "trainer.task"],
            "args": ["--epochs", "3"],
            "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
        },
    }


def create_job(server: EmulatorServer, display_name: str = "job", **fields: Any) -> Any:
    """CreateCustomJob on the backend (no RPC), one pool unless ``job_spec`` says otherwise."""
    assert server.backend is not None
    spec = fields.pop("job_spec", {"worker_pool_specs": [pool()]})
    job = CustomJob(display_name=display_name, job_spec=spec, **fields)
    return server.backend.create_custom_job(PARENT, job)


def wait_state(server: EmulatorServer, name: str, state: str, timeout: float = 20) -> Any:
    """Poll the backend until job ``name`` is in ``JOB_STATE_{state}``."""
    assert server.backend is not None
    return _wait(server.backend.get_custom_job, name, f"JOB_STATE_{state}", timeout)


def _wait(get: Callable[[str], Any], name: str, state: str, timeout: float) -> Any:
    """``get(name)`` once its state is named ``state``; a bound only, not a timing test."""
    deadline = time.monotonic() + timeout
    while True:
        found = get(name)
        if found.state.name == state:
            return found
        assert time.monotonic() < deadline, f"{name} is {found.state.name}, not {state}"
        time.sleep(0.05)


def client(server: EmulatorServer) -> httpx.Client:
    """An HTTP client for the emulator's REST port, as a program on this machine is."""
    return httpx.Client(base_url=f"http://{server.rest_address}", timeout=30)


def create_pipeline(server: EmulatorServer, output: str, **fields: Any) -> Any:
    """CreateTrainingPipeline on the backend (no RPC): one pool writing to ``output``
    (``gs://...``), uploading a model unless ``model={}``."""
    assert server.pipelines is not None
    body = pipeline(output=output, **fields)
    return server.pipelines.create_training_pipeline(PARENT, TrainingPipeline(body))


def wait_pipeline(server: EmulatorServer, name: str, state: str, timeout: float = 20) -> Any:
    """Poll the backend until pipeline ``name`` is in ``PIPELINE_STATE_{state}``."""
    assert server.pipelines is not None
    return _wait(server.pipelines.get_training_pipeline, name, f"PIPELINE_STATE_{state}", timeout)


def train(server: EmulatorServer, runner: FakeRunner, name: str) -> Any:
    """Run pipeline ``name`` to SUCCEEDED: its job writes a model into ``AIP_MODEL_DIR``
    (``{output}/model``) and succeeds, so the pipeline uploads the model. Returns the
    pipeline, its ``model_to_upload`` now the uploaded Model."""
    running = wait_pipeline(server, name, "RUNNING")
    job_name = running.training_task_metadata["backingCustomJob"]
    job = wait_state(server, job_name, "RUNNING")
    output = job.job_spec.base_output_directory.output_uri_prefix.rstrip("/")
    folder = gcs_local_path(server.data_dir, f"{output}/model")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.txt").write_text("weights")
    runner.finish(job_name)
    return wait_pipeline(server, name, "SUCCEEDED")
