"""The monitor's costs and leftovers: one look per poll, RUNNING at once, swept containers.

No Docker: a runner that reports what the test sets and counts what it is asked.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable, Collection, Iterator

import pytest
from google.cloud.aiplatform_v1 import CustomJob, JobState

from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend
from pulumi_vertex_training.emulator.execution.types import JobRun, RunPhase, RunStatus
from pulumi_vertex_training.emulator.store import Store

PARENT = "projects/p/locations/us-central1"


class CountingRunner:
    """Jobs are in ``on_start`` once started; ``statuses`` answers for many at once."""

    def __init__(self, on_start: RunPhase = RunPhase.RUNNING) -> None:
        self.on_start = on_start
        self.phases: dict[str, RunPhase] = {}
        self.status_calls: list[str] = []
        self.statuses_calls: list[list[str]] = []
        self.cleanups: list[str] = []
        self._lock = threading.Lock()

    def start(self, run: JobRun) -> None:
        with self._lock:
            self.phases[run.job_name] = self.on_start

    def status(self, job_name: str) -> RunStatus:
        with self._lock:
            self.status_calls.append(job_name)
            return RunStatus(self.phases.get(job_name, RunPhase.MISSING))

    def statuses(self, job_names: Collection[str]) -> dict[str, RunStatus]:
        with self._lock:
            self.statuses_calls.append(sorted(job_names))
            return {n: RunStatus(self.phases.get(n, RunPhase.MISSING)) for n in job_names}

    def stop(self, job_name: str) -> None:
        pass

    def cleanup(self, job_name: str) -> None:
        with self._lock:
            self.cleanups.append(job_name)
            self.phases.pop(job_name, None)

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        return iter(())

    def known_jobs(self) -> set[str]:
        with self._lock:
            return set(self.phases)


def _build(job: CustomJob, data_dir: pathlib.Path, instance_id: str) -> JobRun:
    return JobRun(job_name=job.name, job_id=job.name.rsplit("/", 1)[1], replicas=())


def _backend(tmp_path: pathlib.Path, runner: CountingRunner) -> JobBackend:
    return JobBackend(Store(tmp_path / "state.db"), runner, tmp_path, "t", build_job_run=_build)


@pytest.fixture
def runner() -> CountingRunner:
    return CountingRunner()


@pytest.fixture
def backend(tmp_path: pathlib.Path, runner: CountingRunner) -> Iterator[JobBackend]:
    b = _backend(tmp_path, runner)
    yield b
    b.stop()
    b.store.close()


def _create(backend: JobBackend) -> str:
    job = CustomJob(
        display_name="monitor",
        job_spec={
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "local/python:3.11"},
                }
            ]
        },
    )
    return backend.create_custom_job(PARENT, job).name


def _idle(backend: JobBackend) -> None:
    for _ in range(500):
        if not backend.monitor.in_flight():
            return
        threading.Event().wait(0.01)
    raise AssertionError("tasks still running")


def test_job_is_running_once_started_when_no_poll_came_yet(backend: JobBackend) -> None:
    name = _create(backend)  # the start task runs on the monitor's pool; nobody polls
    _idle(backend)

    assert backend.get_custom_job(name).state == JobState.JOB_STATE_RUNNING


def test_one_poll_asks_the_runner_once_for_every_watched_job(
    backend: JobBackend, runner: CountingRunner
) -> None:
    names = [_create(backend) for _ in range(5)]
    _idle(backend)
    runner.status_calls.clear()

    backend.poll_once()

    assert runner.statuses_calls == [sorted(names)]
    assert runner.status_calls == []


def test_poll_cleans_up_containers_left_to_a_finished_job_when_they_reappear(
    tmp_path: pathlib.Path,
) -> None:
    runner = CountingRunner(on_start=RunPhase.SUCCEEDED)
    backend = JobBackend(Store(tmp_path / "state.db"), runner, tmp_path, "t", build_job_run=_build)
    backend.monitor.sweep_interval = 0  # every poll sweeps
    try:
        name = _create(backend)
        _idle(backend)
        assert backend.get_custom_job(name).state == JobState.JOB_STATE_SUCCEEDED
        assert runner.cleanups == [name]
        # The engine completes a create after the cleanup (a timed-out call went on).
        runner.phases[name] = RunPhase.RUNNING
        runner.phases[f"{PARENT}/customJobs/999"] = RunPhase.RUNNING  # a job nobody stores

        backend.poll_once()
        _idle(backend)

        assert sorted(runner.cleanups) == sorted([name, name, f"{PARENT}/customJobs/999"])
        assert runner.known_jobs() == set()
        assert backend.get_custom_job(name).state == JobState.JOB_STATE_SUCCEEDED
    finally:
        backend.stop()
        backend.store.close()


class WatchedRunner(CountingRunner):
    """Tells the monitor when a job's containers change (``watch``), as the engine's events do."""

    def __init__(self) -> None:
        super().__init__(on_start=RunPhase.STARTING)
        self.changed: list[Callable[[], None]] = []
        self.unwatched = threading.Event()

    def watch(self, changed: Callable[[], None]) -> Callable[[], None]:
        self.changed.append(changed)
        return self.unwatched.set


def test_job_ends_when_the_runner_reports_a_change_when_the_next_poll_is_far(
    tmp_path: pathlib.Path,
) -> None:
    runner = WatchedRunner()
    store = Store(tmp_path / "state.db")
    backend = JobBackend(store, runner, tmp_path, "t", build_job_run=_build, poll_interval=3600)
    backend.start()
    try:
        name = _create(backend)
        _idle(backend)
        assert backend.get_custom_job(name).state == JobState.JOB_STATE_PENDING

        runner.phases[name] = RunPhase.SUCCEEDED  # the container exited ...
        [changed] = runner.changed
        changed()  # ... and the engine said so
        for _ in range(1000):  # a bound only: without the wake-up the next poll is an hour away
            if backend.get_custom_job(name).state == JobState.JOB_STATE_SUCCEEDED:
                break
            threading.Event().wait(0.01)

        assert backend.get_custom_job(name).state == JobState.JOB_STATE_SUCCEEDED
    finally:
        backend.stop()
        store.close()
    assert runner.unwatched.is_set()


class LaggingRunner(WatchedRunner):
    """Like the engine: a container lists as exited a few looks after its "die" event."""

    def __init__(self, lag: int) -> None:
        super().__init__()
        self.lag = lag

    def statuses(self, job_names: Collection[str]) -> dict[str, RunStatus]:
        with self._lock:
            lagging = self.lag > 0 and any(
                self.phases.get(n) == RunPhase.SUCCEEDED for n in job_names
            )
            self.lag -= lagging
        if lagging:
            return {n: RunStatus(RunPhase.RUNNING) for n in job_names}
        return super().statuses(job_names)


def test_job_ends_when_the_engine_lists_the_exit_a_few_looks_after_reporting_it(
    tmp_path: pathlib.Path,
) -> None:
    runner = LaggingRunner(lag=3)
    store = Store(tmp_path / "state.db")
    backend = JobBackend(store, runner, tmp_path, "t", build_job_run=_build, poll_interval=3600)
    backend.start()
    try:
        name = _create(backend)
        _idle(backend)
        runner.phases[name] = RunPhase.SUCCEEDED
        runner.changed[0]()  # one report; the next polls still list it running
        for _ in range(1000):  # a bound only: the interval's poll is an hour away
            if backend.get_custom_job(name).state == JobState.JOB_STATE_SUCCEEDED:
                break
            threading.Event().wait(0.01)

        assert backend.get_custom_job(name).state == JobState.JOB_STATE_SUCCEEDED
    finally:
        backend.stop()
        store.close()
