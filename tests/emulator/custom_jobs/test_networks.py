"""The monitor's job networks: the cap, cleanups retried until they succeed, restarts.

No Docker: a runner that keeps a network per started job until its cleanup, and
whose cleanup can be made to fail (an engine stalled past its timeout).
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest
from google.cloud.aiplatform_v1 import JobState

from pulumi_vertex_training.emulator.custom_jobs import network_cap
from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend
from pulumi_vertex_training.emulator.custom_jobs.network_cap import (
    DEFAULT_MAX_JOB_NETWORKS,
    max_job_networks,
)
from pulumi_vertex_training.emulator.execution.engine import EngineStalled
from pulumi_vertex_training.emulator.execution.types import JobRun, NoNetworkRoom, RunPhase
from pulumi_vertex_training.emulator.store import Store
from tests.emulator.custom_jobs.test_monitor import CountingRunner, _build, _create, _idle


class NetworkRunner(CountingRunner):
    """A job has a network from its start until a cleanup that succeeds."""

    def __init__(self, on_start: RunPhase = RunPhase.RUNNING) -> None:
        super().__init__(on_start)
        self.networks: set[str] = set()
        self.failing_cleanups = 0  # how many cleanups raise before one succeeds
        self.no_room = 0  # how many starts find the engine out of address pools
        self.starts: list[str] = []

    def start(self, run: JobRun) -> None:
        with self._lock:
            self.starts.append(run.job_name)
            if self.no_room:
                self.no_room -= 1
                raise NoNetworkRoom("could not find an available, non-overlapping IPv4 pool")
            self.networks.add(run.job_name)
        super().start(run)

    def cleanup(self, job_name: str) -> None:
        with self._lock:
            if self.failing_cleanups:
                self.failing_cleanups -= 1
                raise EngineStalled("removing network: the engine did not complete it")
        super().cleanup(job_name)
        with self._lock:
            self.networks.discard(job_name)

    def network_jobs(self) -> set[str]:
        with self._lock:
            return set(self.networks)


def _backend(tmp_path: pathlib.Path, runner: NetworkRunner, cap: int = 16) -> JobBackend:
    store = Store(tmp_path / "state.db")
    backend = JobBackend(store, runner, tmp_path, "t", build_job_run=_build, max_job_networks=cap)
    backend.monitor.sweep_interval = 0  # every poll sweeps
    return backend


@pytest.fixture
def runner() -> NetworkRunner:
    return NetworkRunner()


@pytest.fixture
def close(tmp_path: pathlib.Path) -> Iterator[list[JobBackend]]:
    backends: list[JobBackend] = []
    yield backends
    for backend in backends:
        backend.stop()
        backend.store.close()


def _state(backend: JobBackend, name: str) -> JobState:
    return JobState(backend.get_custom_job(name).state)


def _settle(backend: JobBackend) -> None:
    backend.poll_once()
    _idle(backend)


def test_jobs_beyond_the_cap_wait_queued_and_start_when_a_network_is_given_back(
    tmp_path: pathlib.Path, runner: NetworkRunner, close: list[JobBackend]
) -> None:
    backend = _backend(tmp_path, runner, cap=2)
    close.append(backend)
    names = [_create(backend) for _ in range(3)]
    _idle(backend)
    _settle(backend)

    assert [_state(backend, n) for n in names] == [
        JobState.JOB_STATE_RUNNING,
        JobState.JOB_STATE_RUNNING,
        JobState.JOB_STATE_QUEUED,
    ]
    assert runner.networks == set(names[:2])

    runner.phases[names[0]] = RunPhase.SUCCEEDED
    _settle(backend)  # the first ends and its cleanup gives its network back
    _settle(backend)  # the third starts

    assert [_state(backend, n) for n in names] == [
        JobState.JOB_STATE_SUCCEEDED,
        JobState.JOB_STATE_RUNNING,
        JobState.JOB_STATE_RUNNING,
    ]
    assert runner.networks == set(names[1:])


def test_failed_cleanup_is_retried_until_the_network_is_gone_and_only_then_given_back(
    tmp_path: pathlib.Path, close: list[JobBackend]
) -> None:
    runner = NetworkRunner(on_start=RunPhase.SUCCEEDED)
    runner.failing_cleanups = 2
    backend = _backend(tmp_path, runner, cap=1)
    close.append(backend)
    first = _create(backend)
    _idle(backend)
    second = _create(backend)
    _idle(backend)

    assert _state(backend, first) == JobState.JOB_STATE_SUCCEEDED
    assert runner.networks == {first}  # its cleanup failed: the network is still there
    assert _state(backend, second) == JobState.JOB_STATE_QUEUED  # and still counted

    for _ in range(3):  # two more failures, then the sweep's cleanup succeeds
        _settle(backend)
    _settle(backend)

    assert _state(backend, second) == JobState.JOB_STATE_SUCCEEDED
    assert runner.cleanups == [first, second]
    assert runner.networks == set()


def test_job_stays_queued_instead_of_failing_when_the_engine_has_no_address_pool_left(
    tmp_path: pathlib.Path, close: list[JobBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network_cap, "ENGINE_FULL_PAUSE_SECONDS", 0.0)  # retry at once
    runner = NetworkRunner()
    runner.no_room = 1
    backend = _backend(tmp_path, runner)
    close.append(backend)
    name = _create(backend)
    _idle(backend)

    assert _state(backend, name) == JobState.JOB_STATE_QUEUED
    assert not backend.monitor.networks.holds(name)
    _settle(backend)

    assert _state(backend, name) == JobState.JOB_STATE_RUNNING
    assert runner.starts == [name, name]


def test_restart_removes_networks_left_to_finished_and_unknown_jobs_and_counts_the_others(
    tmp_path: pathlib.Path, runner: NetworkRunner, close: list[JobBackend]
) -> None:
    backend = _backend(tmp_path, runner)
    close.append(backend)
    running = _create(backend)
    done = _create(backend)
    _idle(backend)
    runner.phases[done] = RunPhase.SUCCEEDED
    _settle(backend)
    backend.stop()
    backend.store.close()
    # Left by a killed process: the finished job's network (its cleanup never ran, and
    # its containers were removed), and one of a job the store does not know.
    runner.networks |= {done, "projects/p/locations/us-central1/customJobs/999"}

    restarted = _backend(tmp_path, runner)
    close.append(restarted)
    restarted.reconcile()
    _idle(restarted)

    assert runner.networks == {running}
    assert restarted.monitor.networks.held() == {running}
    assert _state(restarted, running) == JobState.JOB_STATE_RUNNING


def test_restart_queues_a_half_started_job_again_and_its_start_runs_anew(
    tmp_path: pathlib.Path, close: list[JobBackend]
) -> None:
    runner = NetworkRunner(on_start=RunPhase.STARTING)  # created, not all started
    backend = _backend(tmp_path, runner)
    close.append(backend)
    name = _create(backend)
    _idle(backend)
    assert _state(backend, name) == JobState.JOB_STATE_PENDING
    backend.stop()
    backend.store.close()

    restarted = _backend(tmp_path, runner)
    close.append(restarted)
    restarted.reconcile()

    assert _state(restarted, name) == JobState.JOB_STATE_QUEUED  # never FAILED
    assert restarted.monitor.networks.holds(name)  # its network exists: it may start
    runner.on_start = RunPhase.RUNNING
    _settle(restarted)
    assert runner.starts == [name, name]
    assert _state(restarted, name) == JobState.JOB_STATE_RUNNING


def test_cap_comes_from_the_option_else_the_environment_else_the_default() -> None:
    env = {"VERTEX_LOCAL_MAX_JOB_NETWORKS": "4"}

    assert max_job_networks(8, env) == 8
    assert max_job_networks(None, env) == 4
    assert max_job_networks(None, {}) == DEFAULT_MAX_JOB_NETWORKS
    with pytest.raises(ValueError, match="at least 1"):
        max_job_networks(0, {})
    with pytest.raises(ValueError, match="VERTEX_LOCAL_MAX_JOB_NETWORKS='many'"):
        max_job_networks(None, {"VERTEX_LOCAL_MAX_JOB_NETWORKS": "many"})
