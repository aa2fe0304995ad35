"""Helpers for TrainingPipeline and Model tests without containers.

``FakeRunner`` is a Runner whose jobs are in the phase a test sets (``run()`` finishes
the job, optionally writing its model files as a trainer would); ``Harness`` wires a
JobBackend, a ModelBackend and a PipelineBackend on one store, as ``server.py`` does,
and ``settle()`` polls them until nothing is in flight, so each step is deterministic.
``fake_emulator`` serves the whole emulator (gRPC and REST) on a FakeRunner.
"""

from __future__ import annotations

import contextlib
import pathlib
import threading
from collections.abc import Iterator
from typing import Any

from google.cloud.aiplatform_v1 import CustomJob

from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend
from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.models.backend import ModelBackend
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.emulator.store import Store
from pulumi_vertex_training.emulator.training_pipelines.backend import PipelineBackend
from pulumi_vertex_training.emulator.training_pipelines.validation import CUSTOM_TASK
from tests.emulator.fake_runner import FakeRunner, no_cluster

PARENT = "projects/p/locations/us-central1"
IMAGE = "local/python:3.11"


def pipeline(
    output: str | None = "gs://pl-bucket/run",
    model: dict[str, Any] | None = None,
    code: str = "print('training')",
    **fields: Any,
) -> dict[str, Any]:
    """A TrainingPipeline dict as the SDK sends it (mixed keys, doubles), with a model to
    upload unless ``model={}``."""
    inputs: dict[str, Any] = {
        "worker_pool_specs": [
            {
                "containerSpec": {"imageUri": IMAGE, "command": ["python", "-c", code]},
                "disk_spec": {"boot_disk_size_gb": 100.0, "boot_disk_type": "pd-ssd"},
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1.0,
            }
        ]
    }
    if output is not None:
        inputs["base_output_directory"] = {"output_uri_prefix": output}
    body: dict[str, Any] = {
        "display_name": "pl",
        "training_task_definition": CUSTOM_TASK,
        "training_task_inputs": inputs,
        **fields,
    }
    if model is None:
        model = {"display_name": "pl-model", "container_spec": {"image_uri": "serve:1"}}
    if model:
        body["model_to_upload"] = model
    return body


class Harness:
    """The three backends on one store, as server.py wires them; no threads started."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self.runner = FakeRunner(RunPhase.RUNNING)
        self._open()

    def _open(self) -> None:
        self.store = Store(self.path / "state.db")
        self.jobs = JobBackend(self.store, self.runner, self.path, "test", build_job_run=no_cluster)
        self.models = ModelBackend(self.store)
        self.pipelines = PipelineBackend(self.store, self.jobs, self.models, self.path)

    def restart(self) -> None:
        """A new set of backends on the same store file (what a restarted emulator reads)."""
        self.jobs.stop()
        self.store.close()
        self._open()
        self.jobs.reconcile()

    def settle(self) -> None:
        """Poll jobs until no runner task is in flight, then the pipelines once."""
        self.settle_jobs()
        self.pipelines.poll_once()

    def settle_jobs(self) -> None:
        """Poll the jobs until no runner task is in flight (the pipelines not at all)."""
        for _ in range(3):
            self.jobs.poll_once()
            for _ in range(500):
                if not self.jobs.monitor.in_flight():
                    break
                threading.Event().wait(0.01)

    def job_of(self, name: str) -> str:
        meta = self.pipelines.get_training_pipeline(name).training_task_metadata
        return str(meta["backingCustomJob"])

    def write_model(self, name: str, filename: str = "model.txt") -> pathlib.Path:
        """Write a file into the job's AIP_MODEL_DIR, as a trainer would."""
        job: CustomJob = self.jobs.get_custom_job(self.job_of(name))
        base = job.job_spec.base_output_directory.output_uri_prefix.rstrip("/")
        folder = gcs_local_path(self.path, f"{base}/model")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_text("weights")
        return folder


@contextlib.contextmanager
def fake_emulator(
    data_dir: pathlib.Path, runner: Any = None, **options: Any
) -> Iterator[EmulatorServer]:
    """The whole emulator (gRPC + REST) with no containers behind it (``options``: more
    EmulatorServer arguments)."""
    server = EmulatorServer(
        data_dir,
        rest_port=0,
        runner=runner or FakeRunner(RunPhase.RUNNING),
        build_job_run=no_cluster,
        poll_interval=0.05,
        **options,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
