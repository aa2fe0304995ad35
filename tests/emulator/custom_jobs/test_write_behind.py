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

    def write(self, *args: Any, **kwargs: Any) -> None:
        if not self.gate.is_set():
            self.waiting.set()
            assert self.gate.wait(3 * BOUND)  # longer than any join below
        super().write(*args, **kwargs)


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


def test_get_answers_while_two_writers_wait_for_the_disk_and_one_commit_serves_both(
    backend: JobBackend,
) -> None:
    store: GatedStore = backend.store  # type: ignore[assignment]
    names = [backend.create_custom_job(PARENT, _job()).name for _ in range(3)]
    for name in names:
        backend.transition(name, JobState.JOB_STATE_PENDING, only_from=(JobState.JOB_STATE_QUEUED,))
    _idle(backend)
    commits = []
    real_write = Store.write

    def counted(self: Store, *args: Any, **kwargs: Any) -> None:
        commits.append(args[0])
        real_write(self, *args, **kwargs)

    store.gate.clear()
    first, _ = _in_thread(lambda: backend.cancel_custom_job(names[0]))
    assert store.waiting.wait(BOUND)  # the first cancel's commit waits for the disk
    Store.write = counted  # type: ignore[method-assign]
    try:
        second, _ = _in_thread(lambda: backend.cancel_custom_job(names[1]))
        third, _ = _in_thread(lambda: backend.cancel_custom_job(names[2]))
        for n in names[1:]:
            for _ in range(BOUND * 100):  # until both changed the state and wait to commit
                if backend.get_custom_job(n).state == JobState.JOB_STATE_CANCELLING:
                    break
                threading.Event().wait(0.01)
        get, got = _in_thread(lambda: backend.get_custom_job(names[2]))
        get.join(BOUND)

        assert got and got[0].state == JobState.JOB_STATE_CANCELLING
        assert second.is_alive() and third.is_alive()  # not durable yet: no answer
        store.gate.set()
        for thread in (first, second, third):
            thread.join(BOUND)
            assert not thread.is_alive()
    finally:
        Store.write = real_write  # type: ignore[method-assign]
    # The second and third cancels went out in one commit, after the first.
    cancelling = [
        sorted(n for _, n, doc in batch if doc and doc["state"] == "JOB_STATE_CANCELLING")
        for batch in commits
    ]
    assert [names[0]] in cancelling
    assert sorted(names[1:]) in cancelling
