"""JobBackend's state machine, monitor and reconcile, driven by a scripted runner.

Pure and fast: no Docker, no gRPC. The runner here only reports the phases a test
scripts, so each path (reattach, containers gone, cancel mid-start, timeout) is
pinned deterministically by calling ``poll_once()``; the real Docker paths are
covered in test_service.py and ../test_restart.py.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud.aiplatform_v1 import CustomJob, JobState
from google.protobuf import timestamp_pb2

from pulumi_vertex_training.emulator.custom_jobs import states
from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend
from pulumi_vertex_training.emulator.exceptions import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from pulumi_vertex_training.emulator.execution.types import JobRun, RunPhase, RunStatus
from pulumi_vertex_training.emulator.store import Store
from tests.emulator.fake_runner import FakeRunner

PARENT = "projects/p/locations/us-central1"


def _build(job: CustomJob, data_dir: pathlib.Path, instance_id: str) -> JobRun:
    return JobRun(job_name=job.name, job_id=job.name.rsplit("/", 1)[1], replicas=())


def _job(**job_spec: Any) -> CustomJob:
    return CustomJob(
        display_name="unit",
        job_spec={
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "local/python:3.11"},
                }
            ],
            **job_spec,
        },
    )


class Harness:
    """A backend on a temp store; ``restart()`` builds a new one on the same store file."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self.runner = FakeRunner(RunPhase.STARTING)
        self.backend = self._new()

    def _new(self) -> JobBackend:
        self.store = Store(self.path / "state.db")
        return JobBackend(self.store, self.runner, self.path, "test", build_job_run=_build)

    def restart(self) -> None:
        self.backend.stop()
        self.store.close()
        self.backend = self._new()
        self.backend.reconcile()

    def settle(self) -> None:
        """Poll, then wait until no task is in flight (tasks run on the backend's pool)."""
        self.backend.poll_once()
        for _ in range(500):
            if not self.backend.monitor.in_flight():
                return
            threading.Event().wait(0.01)
        raise AssertionError(f"tasks still running: {set(self.backend.monitor.in_flight())}")

    def state(self, name: str) -> int:
        return int(self.backend.get_custom_job(name).state)


@pytest.fixture
def h(tmp_path: pathlib.Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    yield harness
    harness.backend.stop()
    harness.store.close()


def _running(h: Harness) -> str:
    name = h.backend.create_custom_job(PARENT, _job()).name
    h.settle()
    h.runner.phases[name] = RunStatus(RunPhase.RUNNING)
    h.settle()
    assert h.state(name) == JobState.JOB_STATE_RUNNING
    return name


def test_job_goes_queued_pending_running_succeeded_when_runner_reports_so(h: Harness) -> None:
    job = h.backend.create_custom_job(PARENT, _job())
    assert job.state == JobState.JOB_STATE_QUEUED
    h.settle()
    assert h.state(job.name) == JobState.JOB_STATE_PENDING
    h.runner.phases[job.name] = RunStatus(RunPhase.RUNNING)
    h.settle()
    running = h.backend.get_custom_job(job.name)
    assert running.state == JobState.JOB_STATE_RUNNING and running.start_time
    h.runner.phases[job.name] = RunStatus(RunPhase.SUCCEEDED)
    h.settle()
    done = h.backend.get_custom_job(job.name)
    assert done.state == JobState.JOB_STATE_SUCCEEDED and done.end_time
    assert ("cleanup", job.name) in h.runner.calls


def test_fast_job_passes_running_when_it_succeeds_before_a_poll_saw_it_run(h: Harness) -> None:
    name = h.backend.create_custom_job(PARENT, _job()).name
    h.settle()
    h.runner.phases[name] = RunStatus(RunPhase.SUCCEEDED)
    h.settle()
    done = h.backend.get_custom_job(name)
    assert done.state == JobState.JOB_STATE_SUCCEEDED
    assert done.start_time and done.start_time <= done.end_time


def test_job_fails_with_runner_message_when_a_replica_fails(h: Harness) -> None:
    name = _running(h)
    h.runner.phases[name] = RunStatus(RunPhase.FAILED, "workerpool0-0 exited with 2: boom")
    h.settle()
    done = h.backend.get_custom_job(name)
    assert done.state == JobState.JOB_STATE_FAILED
    assert done.error.message == "workerpool0-0 exited with 2: boom"


def test_job_fails_when_containers_cannot_start(h: Harness) -> None:
    h.runner.start_error = RuntimeError("image local/nope not found")
    name = h.backend.create_custom_job(PARENT, _job()).name
    h.settle()
    done = h.backend.get_custom_job(name)
    assert done.state == JobState.JOB_STATE_FAILED
    assert "could not start" in done.error.message and "local/nope" in done.error.message


def test_job_fails_when_its_containers_vanish_while_running(h: Harness) -> None:
    name = _running(h)
    del h.runner.phases[name]
    h.settle()
    done = h.backend.get_custom_job(name)
    assert done.state == JobState.JOB_STATE_FAILED
    assert "disappeared" in done.error.message


def test_job_times_out_when_running_longer_than_scheduling_timeout(h: Harness) -> None:
    name = h.backend.create_custom_job(PARENT, _job(scheduling={"timeout": "30s"})).name
    h.settle()
    h.runner.phases[name] = RunStatus(RunPhase.RUNNING)
    h.settle()
    # Backdate the start instead of sleeping: no timing in tests.
    with h.backend._lock:
        h.backend._jobs[name].start_time.CopyFrom(timestamp_pb2.Timestamp(seconds=1000))
    h.settle()
    done = h.backend.get_custom_job(name)
    assert done.state == JobState.JOB_STATE_FAILED
    assert "timed out" in done.error.message and "30s" in done.error.message
    assert ("stop", name) in h.runner.calls


def test_cancel_waits_for_start_then_stops_when_cancelled_mid_start(h: Harness) -> None:
    h.runner.start_gate = threading.Event()
    name = h.backend.create_custom_job(PARENT, _job()).name
    h.backend.cancel_custom_job(name)
    assert h.state(name) == JobState.JOB_STATE_CANCELLING
    h.runner.start_gate.set()
    h.settle()  # the start task ends
    h.settle()  # the next poll finishes the cancel
    done = h.backend.get_custom_job(name)
    assert done.state == JobState.JOB_STATE_CANCELLED
    assert done.error.code == 1
    assert [c for c, _ in h.runner.calls][-2:] == ["stop", "cleanup"]


def test_cancel_is_a_no_op_when_job_is_already_cancelling(h: Harness) -> None:
    h.runner.start_gate = threading.Event()
    name = h.backend.create_custom_job(PARENT, _job()).name
    h.backend.cancel_custom_job(name)
    h.backend.cancel_custom_job(name)
    assert h.state(name) == JobState.JOB_STATE_CANCELLING
    h.runner.start_gate.set()
    h.settle()
    h.settle()


def test_reconcile_reattaches_running_job_when_containers_survived_a_restart(h: Harness) -> None:
    name = _running(h)
    h.restart()
    assert h.state(name) == JobState.JOB_STATE_RUNNING
    h.runner.phases[name] = RunStatus(RunPhase.SUCCEEDED)
    h.settle()
    assert h.state(name) == JobState.JOB_STATE_SUCCEEDED


def test_reconcile_fails_job_saying_why_when_containers_are_gone_after_restart(
    h: Harness,
) -> None:
    name = _running(h)
    del h.runner.phases[name]
    h.restart()
    done = h.backend.get_custom_job(name)
    assert done.state == JobState.JOB_STATE_FAILED
    assert "restarted" in done.error.message and "gone" in done.error.message


def test_reconcile_cancels_cancelling_job_when_containers_are_gone_after_restart(
    h: Harness,
) -> None:
    h.runner.start_gate = threading.Event()
    name = h.backend.create_custom_job(PARENT, _job()).name
    h.backend.cancel_custom_job(name)
    h.runner.start_gate.set()
    h.backend.stop()  # dies before finishing the cancel
    h.runner.phases.clear()
    h.restart()
    assert h.state(name) == JobState.JOB_STATE_CANCELLED


def test_reconcile_starts_queued_job_when_restart_came_before_its_start(h: Harness) -> None:
    h.backend.stop()  # the create below stores the job, but no task may start it
    name = h.backend.create_custom_job(PARENT, _job()).name
    assert h.state(name) == JobState.JOB_STATE_QUEUED
    h.restart()
    h.settle()
    assert h.state(name) == JobState.JOB_STATE_PENDING


def test_reconcile_queues_again_a_job_whose_start_the_restart_interrupted(h: Harness) -> None:
    h.runner.start_gate = threading.Event()  # start() hangs: killed before any container
    name = h.backend.create_custom_job(PARENT, _job()).name
    h.backend.poll_once()
    for _ in range(500):
        if h.state(name) == JobState.JOB_STATE_PENDING:
            break
        threading.Event().wait(0.01)
    assert h.state(name) == JobState.JOB_STATE_PENDING and name not in h.runner.phases
    h.runner.start_gate.set()
    h.backend.stop()
    h.runner.phases.clear()  # the start never created a container
    h.runner.start_gate = None
    h.restart()
    assert h.state(name) == JobState.JOB_STATE_QUEUED  # nothing ran: not FAILED
    h.settle()
    assert h.state(name) == JobState.JOB_STATE_PENDING
    assert h.runner.calls.count(("start", name)) == 2


def test_ids_keep_increasing_when_backend_restarts(h: Harness) -> None:
    first = h.backend.create_custom_job(PARENT, _job()).name
    h.restart()
    second = h.backend.create_custom_job(PARENT, _job()).name
    assert int(second.rsplit("/", 1)[1]) > int(first.rsplit("/", 1)[1])


def test_rpcs_raise_the_api_errors_when_names_or_states_are_wrong(h: Harness) -> None:
    with pytest.raises(NotFound):
        h.backend.get_custom_job(f"{PARENT}/customJobs/42")
    with pytest.raises(InvalidArgument):
        h.backend.get_custom_job("customJobs/42")
    name = _running(h)
    with pytest.raises(FailedPrecondition):
        h.backend.delete_custom_job(name)
    with pytest.raises(NotFound):
        h.backend.get_operation(f"{name}/operations/1")


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_RUNNING),
        (JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_CANCELLING),
        (JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_SUCCEEDED),
        (JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_PENDING),
    ],
)
def test_check_transition_raises_when_transition_is_not_in_the_table(
    current: JobState, new: JobState
) -> None:
    with pytest.raises(states.IllegalTransition, match=f"{current.name} -> {new.name}"):
        states.check_transition(current, new)


def test_terminal_states_are_exactly_succeeded_failed_cancelled() -> None:
    assert {
        JobState.JOB_STATE_SUCCEEDED,
        JobState.JOB_STATE_FAILED,
        JobState.JOB_STATE_CANCELLED,
    } == states.TERMINAL


def test_store_keeps_documents_and_counters_when_reopened(tmp_path: pathlib.Path) -> None:
    store = Store(tmp_path / "s.db")
    store.put("k", "a", {"x": 1})
    store.put("k", "b", {"x": 2})
    store.put("k", "a", {"x": 3})  # replacing keeps the first insertion order
    assert [store.next_id("c"), store.next_id("c")] == [1, 2]
    store.close()
    again = Store(tmp_path / "s.db")
    assert again.list("k") == [{"x": 3}, {"x": 2}]
    assert again.next_id("c") == 3
    again.delete("k", "a")
    assert again.get("k", "a") is None
    again.close()
