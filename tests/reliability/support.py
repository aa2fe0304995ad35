"""Helpers for the reliability tests: a runner without containers, emulators with faults.

``InstantRunner`` exists because the properties under test here are API-level (no
duplicate job after a lost response, nothing lost across a restart, check() and the
emulator agreeing): they live in the emulator's RPC layer and store, not in Docker.
Fifty containers on the vfs storage driver take minutes; a job here "runs" by
succeeding at once. Docker-backed runs are covered in tests/emulator and tests/e2e.
"""

from __future__ import annotations

import contextlib
import pathlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_vertex_training.client import EMULATOR_HOST_ENV
from pulumi_vertex_training.emulator.execution.types import JobRun, RunPhase, RunStatus
from pulumi_vertex_training.emulator.faults import FaultPlan
from pulumi_vertex_training.emulator.server import EmulatorServer, FaultHook

PROJECT = "reliability-project"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
CONFIG = {"gcp:project": PROJECT, "gcp:region": LOCATION}


class InstantRunner:
    """A Runner whose jobs succeed as soon as they start; no containers (see module doc)."""

    def __init__(self, phase: RunPhase = RunPhase.SUCCEEDED) -> None:
        self.phase = phase
        self.started: list[str] = []
        self._phases: dict[str, RunStatus] = {}
        self._lock = threading.Lock()

    def start(self, run: JobRun) -> None:
        """Record the start; the job is at once in ``self.phase``."""
        with self._lock:
            self.started.append(run.job_name)
            self._phases[run.job_name] = RunStatus(self.phase)

    def status(self, job_name: str) -> RunStatus:
        """The phase set at start, MISSING for jobs never started."""
        with self._lock:
            return self._phases.get(job_name, RunStatus(RunPhase.MISSING))

    def stop(self, job_name: str) -> None:
        """Nothing runs, so nothing to stop."""

    def cleanup(self, job_name: str) -> None:
        """Forget the job's (imaginary) containers."""
        with self._lock:
            self._phases.pop(job_name, None)

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        """No containers, no logs."""
        return iter(())

    def known_jobs(self) -> set[str]:
        """Jobs started and not cleaned up."""
        with self._lock:
            return set(self._phases)


def no_cluster(job: Any, data_dir: pathlib.Path, instance_id: str) -> JobRun:
    """A ``build_job_run`` that builds nothing (InstantRunner ignores the replicas)."""
    return JobRun(job_name=job.name, job_id=job.name.rsplit("/", 1)[1], replicas=())


@contextlib.contextmanager
def fault_emulator(
    data_dir: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    plan: FaultPlan | None = None,
    runner: Any = None,
    rest: bool = False,
    hook: FaultHook | None = None,
) -> Iterator[EmulatorServer]:
    """An emulator of the test's own (own data dir, InstantRunner, ``plan`` or ``hook`` as
    fault hook), with ``VERTEX_AI_EMULATOR_HOST`` pointing at it for the test."""
    server = EmulatorServer(
        data_dir,
        rest_port=0 if rest else None,
        runner=runner or InstantRunner(),
        fault_hook=plan.hook if plan is not None else hook,
        build_job_run=no_cluster,
        poll_interval=0.05,
        persistent_resource_delay=0.05,
    )
    server.start()
    monkeypatch.setenv(EMULATOR_HOST_ENV, server.grpc_address)
    try:
        yield server
    finally:
        server.stop()


def trivial_job_spec(tag: str = "") -> dict[str, Any]:
    """A one-replica job_spec running a trivial command (never run by InstantRunner)."""
    return {
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1,
                "container_spec": {
                    "image_uri": "local/python:3.11",
                    "command": ["python", "-c", f"print('job {tag}')"],
                },
            }
        ]
    }


def list_all_jobs(server: EmulatorServer) -> list[Any]:
    """Every job the emulator stores, read from its backend (no RPC, so no faults)."""
    assert server.backend is not None
    jobs, token = [], ""
    while True:
        page, token = server.backend.list_custom_jobs(PARENT, page_size=100, page_token=token)
        jobs.extend(page)
        if not token:
            return jobs
