"""An engine call that times out while the engine goes on: the job runs, nothing leaks.

The engine is real; the client in front of it makes one call of a kind raise
requests' ReadTimeout, as docker-py does when the engine answers too late, while
the engine carries the call out: at once ("lost": done, the answer lost) or a
moment later ("late": the engine was still busy with it).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import requests.exceptions

from pulumi_vertex_training.emulator.execution.runner import (
    LABEL_INSTANCE_ID,
    LABEL_JOB_NAME,
    DockerRunner,
)
from pulumi_vertex_training.emulator.execution.types import JobRun, ReplicaSpec, RunPhase

pytestmark = [pytest.mark.docker]

IMAGE = "local/python:3.11"


class StallingApi:
    """docker-py's low-level client, but the first ``method`` call times out (module doc)."""

    def __init__(self, real: Any, method: str, mode: str) -> None:
        self.real = real
        self.method = method
        self.mode = mode
        self.stalled = 0
        self.late: list[threading.Thread] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.real, name)
        if name != self.method or self.stalled:
            return target

        def stall(*args: Any, **kwargs: Any) -> Any:
            self.stalled += 1

            def carry_out() -> None:
                try:
                    target(*args, **kwargs)
                except docker.errors.APIError:
                    pass  # e.g. 409: the retry got there first; the engine refuses this one

            if self.mode == "lost":
                carry_out()
            else:
                later = threading.Timer(0.3, carry_out)
                later.start()
                self.late.append(later)
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=60)")

        return stall


@pytest.fixture(scope="module")
def engine() -> Iterator[docker.DockerClient]:
    client = docker.from_env()
    client.images.get(IMAGE)
    yield client
    client.close()


def _run(code: str) -> JobRun:
    job_id = str(uuid.uuid4().int % 10**9)
    replica = ReplicaSpec(
        pool_index=0,
        replica_index=0,
        hostname="workerpool0-0",
        image=IMAGE,
        command=("python", "-c", code),
        args=(),
        env=(),
    )
    return JobRun(
        job_name=f"projects/p/locations/l/customJobs/{job_id}", job_id=job_id, replicas=(replica,)
    )


def _wait(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60  # a bound only, never a timing assertion
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.parametrize("mode", ["lost", "late"])
@pytest.mark.parametrize(
    "method", ["create_network", "create_container", "start", "stop", "remove_container"]
)
def test_job_runs_and_nothing_is_left_when_an_engine_call_times_out(
    engine: docker.DockerClient, tmp_path: Path, method: str, mode: str
) -> None:
    client = docker.from_env()
    stalling = StallingApi(client.api, method, mode)
    client.api = stalling
    runner = DockerRunner(tmp_path, f"stall-{uuid.uuid4().hex[:8]}", client, timeout=30)
    run = _run("import time; print('trained'); time.sleep(0.5)")
    # By this instance's label too: other emulators on the engine may have that job name.
    label = {
        "label": [f"{LABEL_INSTANCE_ID}={runner.instance_id}", f"{LABEL_JOB_NAME}={run.job_name}"]
    }
    try:
        runner.start(run)
        if method == "stop":
            runner.stop(run.job_name)
        ongoing = (RunPhase.STARTING, RunPhase.RUNNING)
        _wait(lambda: runner.status(run.job_name).phase not in ongoing)
        status = runner.status(run.job_name)
        runner.cleanup(run.job_name)
        for late in stalling.late:
            late.join()
        _wait(lambda: not engine.containers.list(all=True, filters=label))

        # Stopped early, the trainer may be killed (FAILED) or end first; never lost.
        ended = {RunPhase.SUCCEEDED, RunPhase.FAILED} if method == "stop" else {RunPhase.SUCCEEDED}
        assert stalling.stalled == 1
        assert status.phase in ended, status
        assert engine.containers.list(all=True, filters=label) == []
        assert engine.networks.list(filters=label) == []
        if method != "stop":
            # cleanup stored the log before removing the container
            assert list(runner.logs(run.job_name, "workerpool0-0")) == ["trained"]
    finally:
        for c in engine.containers.list(all=True, filters=label):
            c.remove(force=True)
        for n in engine.networks.list(filters=label):
            n.remove()
        client.close()
