"""Readers never wait for a disk flush; writers return once theirs is durable, in order.

No Docker: a store whose commits wait for the test to let them through.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud.aiplatform_v1 import CustomJob, JobState

from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend
from pulumi_vertex_training.emulator.execution.types import JobRun, RunPhase, RunStatus
from pulumi_vertex_training.emulator.store import Store

PARENT = "projects/p/locations/us-central1"
BOUND = 10  # seconds: only ever reached when something is stuck


class GatedStore(Store):
    """Commits wait while ``gate`` is closed; ``waiting`` is set while one waits."""

    def __init__(self, path: pathlib.Path) -> None:
        super().__init__(path)
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()

    def write(self, changes: Any) -> None:
        if not self.gate.is_set():
            self.waiting.set()
            assert self.gate.wait(3 * BOUND)  # longer than any join below
        super().write(changes)


class Idle:
    def start(self, run: JobRun) -> None:
        pass

    def status(self, job_name: str) -> RunStatus:
        return RunStatus(RunPhase.STARTING)

    def stop(self, job_name: str) -> None:
        pass

    def cleanup(self, job_name: str) -> None:
        pass

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        return iter(())

    def known_jobs(self) -> set[str]:
        return set()


@pytest.fixture
def backend(tmp_path: pathlib.Path) -> Iterator[JobBackend]:
    b = JobBackend(GatedStore(tmp_path / "state.db"), Idle(), tmp_path, "t")
    yield b
    b.store.gate.set()  # type: ignore[attr-defined]
    b.stop()
    b.store.close()


def _job() -> CustomJob:
    pool = {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "container_spec": {"image_uri": "local/python:3.11"},
    }
    return CustomJob(display_name="w", job_spec={"worker_pool_specs": [pool]})


def _idle(backend: JobBackend) -> None:
    for _ in range(BOUND * 100):
        if not backend.monitor.in_flight():
            return
        threading.Event().wait(0.01)
    raise AssertionError("tasks still running")


def _in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    return thread, out


def test_get_answers_while_a_cancel_is_being_written_and_the_cancel_returns_after(
    backend: JobBackend,
) -> None:
    store: GatedStore = backend.store  # type: ignore[assignment]
    name = backend.create_custom_job(PARENT, _job()).name
    backend.transition(name, JobState.JOB_STATE_PENDING, only_from=(JobState.JOB_STATE_QUEUED,))
    _idle(backend)
    store.gate.clear()

    cancel, _ = _in_thread(lambda: backend.cancel_custom_job(name))
    assert store.waiting.wait(BOUND)
    get, got = _in_thread(lambda: backend.get_custom_job(name))
    get.join(BOUND)

    assert got and got[0].state == JobState.JOB_STATE_CANCELLING
    assert cancel.is_alive()  # its write is not durable yet: the RPC has not answered
    store.gate.set()
    cancel.join(BOUND)
    assert not cancel.is_alive()


def test_the_store_holds_the_last_change_when_a_job_is_changed_then_deleted(
    backend: JobBackend, tmp_path: pathlib.Path
) -> None:
    kept = backend.create_custom_job(PARENT, _job()).name
    gone = backend.create_custom_job(PARENT, _job()).name
    for name in (kept, gone):
        backend.transition(name, JobState.JOB_STATE_PENDING, only_from=(JobState.JOB_STATE_QUEUED,))
        backend.transition(name, JobState.JOB_STATE_SUCCEEDED)
    backend.delete_custom_job(gone)

    reopened = Store(tmp_path / "state.db")
    try:
        jobs = {d["name"]: d for d in reopened.list("customJob")}
    finally:
        reopened.close()
    assert list(jobs) == [kept]
    assert jobs[kept]["state"] == "JOB_STATE_SUCCEEDED"
