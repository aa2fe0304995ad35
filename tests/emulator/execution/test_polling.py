"""What watching jobs costs the engine: one labelled listing per poll, each exit inspected once."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from google.cloud.aiplatform_v1 import CustomJob, JobState

from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend
from pulumi_vertex_training.emulator.execution.runner import LABEL_INSTANCE_ID, DockerRunner
from pulumi_vertex_training.emulator.store import Store

pytestmark = [pytest.mark.docker]

IMAGE = "local/python:3.11"
PARENT = "projects/p/locations/us-central1"
SERVE = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]  # runs until stopped


class CountingApi:
    """docker-py's low-level client, counting the calls made through it."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.real, name)
        if not callable(target) or (name.startswith("create_") and name.endswith("_config")):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
            return target(*args, **kwargs)

        return counted


@pytest.fixture
def counted(tmp_path: Path) -> Iterator[tuple[JobBackend, CountingApi]]:
    client = docker.from_env()
    client.images.get(IMAGE)
    api = CountingApi(client.api)
    client.api = api
    instance = f"poll-{uuid.uuid4().hex[:8]}"
    runner = DockerRunner(tmp_path, instance, client)
    backend = JobBackend(Store(tmp_path / "state.db"), runner, tmp_path, instance)
    backend.monitor.sweep_interval = 3600  # the first poll sweeps; none after
    yield backend, api
    backend.stop()
    for name in runner.known_jobs():
        runner.stop(name)
        runner.cleanup(name)
    backend.store.close()
    label = {"label": f"{LABEL_INSTANCE_ID}={instance}"}
    assert client.containers.list(all=True, filters=label) == []
    client.close()


def _job(*commands: list[str]) -> CustomJob:
    pools = [
        {
            "machine_spec": {"machine_type": "n1-standard-4"},
            "replica_count": 1,
            "container_spec": {"image_uri": IMAGE, "command": command},
        }
        for command in commands
    ]
    return CustomJob(display_name="poll", job_spec={"worker_pool_specs": pools})


def _until(backend: JobBackend, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 120  # a bound only, never a timing assertion
    while not done() and time.monotonic() < deadline:
        backend.poll_once()
        time.sleep(0.1)


def test_one_listing_per_poll_serves_every_running_job_without_inspecting_them(
    counted: tuple[JobBackend, CountingApi],
) -> None:
    backend, api = counted
    names = [backend.create_custom_job(PARENT, _job(SERVE)).name for _ in range(3)]
    running = JobState.JOB_STATE_RUNNING
    _until(backend, lambda: all(backend.get_custom_job(n).state == running for n in names))
    assert [backend.get_custom_job(n).state for n in names] == [running] * 3
    _until(backend, lambda: not backend.monitor.in_flight())
    api.calls.clear()

    backend.poll_once()
    backend.poll_once()

    assert dict(api.calls) == {"containers": 2}


def test_an_exited_replica_is_inspected_once_when_the_job_keeps_running(
    counted: tuple[JobBackend, CountingApi],
) -> None:
    backend, api = counted
    # The second pool's replica exits 0 at once; the primary serves on: still RUNNING.
    name = backend.create_custom_job(PARENT, _job(SERVE, ["true"])).name
    exited = {"label": f"dev.pulumi-vertex-training.job-name={name}", "status": "exited"}
    _until(backend, lambda: bool(api.real.containers(all=True, filters=exited)))
    _until(backend, lambda: not backend.monitor.in_flight())  # the start task is done
    api.calls.clear()

    for _ in range(3):
        backend.poll_once()

    assert api.calls["inspect_container"] <= 1
    assert api.calls["containers"] == 3
    assert backend.get_custom_job(name).state == JobState.JOB_STATE_RUNNING


def test_watch_calls_back_when_a_container_of_the_instance_ends(tmp_path: Path) -> None:
    from pulumi_vertex_training.emulator.execution.cluster import build_job_run
    from pulumi_vertex_training.emulator.execution.types import RunPhase

    runner = DockerRunner(tmp_path, f"watch-{uuid.uuid4().hex[:8]}")
    seen = threading.Event()
    stop = runner.watch(seen.set)
    job = _job(SERVE)
    job.name = f"{PARENT}/customJobs/{uuid.uuid4().int % 10**8}"
    run = build_job_run(job, tmp_path, runner.instance_id)
    try:
        runner.start(run)
        deadline = time.monotonic() + 60  # a bound only
        while runner.status(run.job_name).phase != RunPhase.RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        seen.clear()  # the start may have been seen; the end must be

        runner.stop(run.job_name)

        assert seen.wait(60)
    finally:
        stop()
        runner.cleanup(run.job_name)
