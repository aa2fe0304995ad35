"""A runner whose replicas "print" what a test tells them, and an emulator on it.

The console's HTTP tests are about pages, streams and refusals, not containers, so
jobs here run on :class:`ScriptedRunner` (no Docker): a job runs until the test
finishes it, and each replica's log is a list the test appends to (:meth:`say`),
followed live by ``logs(follow=True)``. The browser tests run real containers.
"""

from __future__ import annotations

import contextlib
import pathlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
from google.cloud.aiplatform_v1 import CustomJob

from pulumi_vertex_training.emulator.exceptions import NotFound
from pulumi_vertex_training.emulator.execution.types import JobRun, RunPhase, RunStatus
from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.reliability.support import InstantRunner

PARENT = "projects/console-project/locations/us-central1"
IMAGE = "local/python:3.11"


class ScriptedRunner(InstantRunner):
    """Jobs stay RUNNING until :meth:`finish` or a cancel; logs are what :meth:`say` adds."""

    def __init__(self) -> None:
        super().__init__(RunPhase.RUNNING)
        self._changed = threading.Condition()
        self._lines: dict[tuple[str, str], list[str]] = {}
        self._ended: set[str] = set()

    def start(self, run: JobRun) -> None:
        """Record the replicas; their logs start empty."""
        super().start(run)
        with self._changed:
            for replica in run.replicas:
                self._lines.setdefault((run.job_name, replica.replica_name), [])
            self._changed.notify_all()

    def stop(self, job_name: str) -> None:
        """A cancel: the replicas end (their logs stop growing)."""
        self.finish(job_name, RunPhase.FAILED)

    def finish(self, job_name: str, phase: RunPhase = RunPhase.SUCCEEDED) -> None:
        """End the job's replicas with ``phase``."""
        with self._changed:
            self._phases[job_name] = RunStatus(phase)
            self._ended.add(job_name)
            self._changed.notify_all()

    def say(self, job_name: str, replica: str, *lines: str) -> None:
        """Append ``lines`` to a replica's log (as if it printed them)."""
        with self._changed:
            self._lines[(job_name, replica)].extend(lines)
            self._changed.notify_all()

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        """The replica's lines; with ``follow``, new ones as they come, until it ends."""
        key = (job_name, replica)
        with self._changed:
            if key not in self._lines:
                raise NotFound(f"no logs for {job_name} {replica}")
        sent = 0
        while True:
            with self._changed:
                if sent >= len(self._lines[key]) and follow and job_name not in self._ended:
                    self._changed.wait(0.2)
                fresh = self._lines[key][sent:]
                done = not follow or job_name in self._ended
            yield from fresh
            sent += len(fresh)
            if done and not fresh:
                return


@contextlib.contextmanager
def scripted_emulator(data_dir: pathlib.Path) -> Iterator[tuple[EmulatorServer, ScriptedRunner]]:
    """An emulator with REST (and so the console) over a :class:`ScriptedRunner`."""
    runner = ScriptedRunner()
    server = EmulatorServer(
        data_dir, rest_port=0, runner=runner, poll_interval=0.05, persistent_resource_delay=0.05
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
    deadline = time.monotonic() + timeout
    while True:
        job = server.backend.get_custom_job(name)
        if job.state.name == f"JOB_STATE_{state}":
            return job
        assert time.monotonic() < deadline, f"{name} is {job.state.name}, not {state}"
        time.sleep(0.05)


def client(server: EmulatorServer) -> httpx.Client:
    """An HTTP client for the emulator's REST port, as a program on this machine is."""
    return httpx.Client(base_url=f"http://{server.rest_address}", timeout=30)
