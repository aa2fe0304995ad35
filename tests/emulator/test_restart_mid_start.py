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
"""

from __future__ import annotations

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
from pulumi_vertex_training.emulator.execution.runner import LABEL_INSTANCE_ID
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

PARALLEL = 2  # iterations at once, each on its own data dir (most of one is process startup)


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
        self.seen: list[tuple[str, str]] = []  # (action, container name)
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
                self.seen.append((event["Action"], event["Actor"]["Attributes"]["name"]))
        except Exception:
            pass  # closed by close()

    def of(self, action: str) -> list[str]:
        return [name for act, name in self.seen if act == action]

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


def _kill_and_restart_at(point: str, data_dir: pathlib.Path) -> None:
    data_dir.mkdir(parents=True)
    engine = docker.from_env()
    first = ServeProcess(data_dir).start(env={crash.ENV_VAR: point})
    second: ServeProcess | None = None
    ident = first.instance_id()
    events = ContainerEvents(engine, ident)
    try:
        try:
            first.client.create_custom_job(parent=PARENT, custom_job=_three_replica_job())
        except Exception:
            pass  # the crash may beat the answer: the job is stored before it is started
        assert first.process is not None
        assert first.process.wait(timeout=120) == -signal.SIGKILL, first.log()
        assert f"crashing at {point}" in first.log()
        first.stop()

        second = ServeProcess(data_dir).start()
        (job,) = list(second.client.list_custom_jobs(parent=PARENT))
        done = second.wait(job.name, timeout=120)
        assert done.state == JobState.JOB_STATE_SUCCEEDED, done.error.message
        _until(lambda: not _left(engine, ident) and len(events.of("destroy")) >= 3)

        assert _left(engine, ident) == []
        created = events.of("create")
        assert len(created) == 3 and len(set(created)) == 3, created
        assert sorted(events.of("destroy")) == sorted(created)
    finally:
        events.close()
        if second is not None:
            second.stop()
        engine.close()


def test_job_succeeds_on_three_containers_leaving_nothing_when_killed_at_any_step_of_its_start(
    tmp_path: pathlib.Path, docker_client: Any
) -> None:
    def attempt(point: str) -> str | None:
        try:
            _kill_and_restart_at(point, tmp_path / point.replace(":", "-"))
        except Exception as err:  # reported with its crash point, after every point ran
            return f"{point}: {type(err).__name__}: {err}"
        return None

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        failures = [f for f in pool.map(attempt, POINTS) if f]

    assert len(POINTS) >= 20
    assert not failures, "\n".join(failures)
