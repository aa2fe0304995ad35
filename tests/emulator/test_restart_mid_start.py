"""Restart safety: `vertex-local serve` killed with SIGKILL while it starts a job.

The process kills itself at one engine call of the start (``VERTEX_LOCAL_CRASH_AT``,
``emulator/crash.py``): before it is sent, while the engine carries it out, or once
the engine has answered; at the network create, at each of the three container
creates and at each of the three starts. Restarted on the same data dir, the
emulator must finish the job: SUCCEEDED, on exactly three containers (no create
repeated, none left behind) and with nothing of it left on the engine afterwards.

Why a crash at a numbered step rather than a kill after a delay: every point of the
start is visited on every run and machine; a delay lands wherever the machine's
speed puts it (``crash.py``).

The points are visited in chains: the process that recovered one crash is armed
(``VERTEX_LOCAL_CRASH_AT=@FILE``) to crash at the next job's point, so each point
costs one process start, not two.
"""

from __future__ import annotations

import itertools
import pathlib
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker
import pytest
from google.cloud.aiplatform_v1 import JobState

from pulumi_vertex_training.emulator import crash
from pulumi_vertex_training.emulator.execution.runner import LABEL_INSTANCE_ID, LABEL_JOB_NAME
from tests.conftest import IMAGE
from tests.emulator.test_restart import PARENT, ServeProcess

pytestmark = [pytest.mark.docker, pytest.mark.slow]

POINTS = [
    f"{kind}:{n}:{when}"
    for kind, count in (("create_network", 1), ("create_container", 3), ("start", 3))
    for n in range(1, count + 1)
    for when in crash.WHENS
]
"""21 crash points: every engine call that starts a three-replica job, three ways."""

CHAINS = 2  # chains at once, each on its own data dir (most of a point is process startup)


def _three_replica_job() -> dict[str, Any]:
    def pool(replicas: int) -> dict[str, Any]:
        return {
            "machine_spec": {"machine_type": "n1-standard-4"},
            "replica_count": replicas,
            "container_spec": {"image_uri": IMAGE, "command": ["python", "-c", "print('ok')"]},
        }

    return {"display_name": "mid-start", "job_spec": {"worker_pool_specs": [pool(1), pool(2)]}}


class ContainerEvents:
    """The engine's create and destroy events of one instance's containers, as they come."""

    def __init__(self, engine: docker.DockerClient, ident: str) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (action, job name, container name)
        self._stream = engine.api.events(
            decode=True,
            filters={
                "type": ["container"],
                "event": ["create", "destroy"],
                "label": [f"{LABEL_INSTANCE_ID}={ident}"],
            },
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                attributes = event["Actor"]["Attributes"]
                job = attributes.get(LABEL_JOB_NAME, "")
                self.seen.append((event["Action"], job, attributes["name"]))
        except Exception:
            pass  # closed by close()

    def of(self, action: str, job: str) -> list[str]:
        return [name for act, of_job, name in self.seen if act == action and of_job == job]

    def close(self) -> None:
        self._stream.close()


def _left(engine: docker.DockerClient, ident: str) -> list[str]:
    label = {"label": f"{LABEL_INSTANCE_ID}={ident}"}
    containers = engine.api.containers(all=True, filters=label)  # no inspect: they may go
    return [f"container {c['Names'][0]} ({c['State']})" for c in containers] + [
        f"network {n['Name']}" for n in engine.api.networks(filters=label)
    ]


def _until(check: Any, bound: float = 60) -> None:
    deadline = time.monotonic() + bound  # a bound only, never a timing assertion
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)


class Chain:
    """One data dir whose emulator crashes at one point per job, restarted after each."""

    def __init__(self, data_dir: pathlib.Path, engine: docker.DockerClient) -> None:
        data_dir.mkdir(parents=True)
        self.data_dir, self.engine = data_dir, engine
        self.arm = data_dir / "crash-at.txt"
        self.arm.write_text("")
        self.serve = self._start()
        self.ident = self.serve.instance_id()
        self.events = ContainerEvents(engine, self.ident)

    def _start(self) -> ServeProcess:
        return ServeProcess(self.data_dir).start(env={crash.ENV_VAR: f"@{self.arm}"})

    def crash_and_recover(self, point: str) -> None:
        """Submit a job that crashes the emulator at ``point``; the restart must finish it."""
        self.arm.write_text(point)
        try:
            self.serve.client.create_custom_job(parent=PARENT, custom_job=_three_replica_job())
        except Exception:
            pass  # the crash may beat the answer: the job is stored before it is started
        assert self.serve.process is not None
        assert self.serve.process.wait(timeout=120) == -signal.SIGKILL, self.serve.log()
        assert f"crashing at {point}" in self.serve.log()
        self.serve.stop()

        self.arm.write_text("")  # the restart must not crash again while it recovers
        self.serve = self._start()
        (job,) = [j for j in self.serve.client.list_custom_jobs(parent=PARENT)
                  if j.state != JobState.JOB_STATE_SUCCEEDED]  # fmt: skip
        done = self.serve.wait(job.name, timeout=120)
        assert done.state == JobState.JOB_STATE_SUCCEEDED, done.error.message
        _until(lambda: not _left(self.engine, self.ident)
               and len(self.events.of("destroy", job.name)) >= 3)  # fmt: skip

        assert _left(self.engine, self.ident) == []
        created = self.events.of("create", job.name)
        assert len(created) == 3 and len(set(created)) == 3, created
        assert sorted(self.events.of("destroy", job.name)) == sorted(created)

    def close(self) -> None:
        self.events.close()
        self.serve.stop()


def test_job_succeeds_on_three_containers_leaving_nothing_when_killed_at_any_step_of_its_start(
    tmp_path: pathlib.Path, docker_client: Any
) -> None:
    engine = docker.from_env()
    dirs = itertools.count()  # a fresh data dir per chain, and after a failure

    def visit(points: list[str]) -> list[str]:
        failures: list[str] = []
        chain = Chain(tmp_path / f"chain-{next(dirs)}", engine)
        try:
            for point in points:
                try:
                    chain.crash_and_recover(point)
                except Exception as err:  # reported with its point, after every point ran
                    failures.append(f"{point}: {type(err).__name__}: {err}")
                    chain.close()  # the next point starts from a fresh data dir
                    chain = Chain(tmp_path / f"chain-{next(dirs)}", engine)
        finally:
            chain.close()
        return failures

    try:
        with ThreadPoolExecutor(max_workers=CHAINS) as pool:
            chains = pool.map(visit, [POINTS[i::CHAINS] for i in range(CHAINS)])
            failures = [failure for chain in chains for failure in chain]
    finally:
        engine.close()

    assert len(POINTS) >= 20
    assert not failures, "\n".join(failures)
