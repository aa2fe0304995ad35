"""Docker resources never run out: job networks are capped, jobs beyond the cap wait QUEUED.

Fifty jobs submitted at once need fifty networks, more than the engine's 31 default
address pools; without the cap some would fail ("could not find an available,
non-overlapping IPv4 address pool"). With a cap of 4 they all succeed, at most 4
networks of the emulator exist at any moment (read from the engine's own event
stream, in order), and none is left once the jobs are done.
"""

from __future__ import annotations

import pathlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker
import grpc
import pytest
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState
from google.cloud.aiplatform_v1.services.job_service.transports import JobServiceGrpcTransport

from pulumi_vertex_training.emulator.execution.names import LABEL_INSTANCE_ID, base_name
from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.conftest import IMAGE, PARENT

pytestmark = [pytest.mark.docker, pytest.mark.slow]

JOBS = 50
CAP = 4


class NetworkEvents:
    """The engine's create and destroy events of networks whose names start with ``prefix``
    (network events carry no labels to filter on), in the order the engine sent them."""

    def __init__(self, engine: docker.DockerClient, prefix: str) -> None:
        self.prefix = prefix
        self.seen: list[str] = []
        self._stream = engine.api.events(
            decode=True, filters={"type": ["network"], "event": ["create", "destroy"]}
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                if event["Actor"]["Attributes"].get("name", "").startswith(self.prefix):
                    self.seen.append(event["Action"])
        except Exception:
            pass  # closed by close()

    def most_at_once(self) -> int:
        held = most = 0
        for action in self.seen:
            held += 1 if action == "create" else -1
            most = max(most, held)
        return most

    def close(self) -> None:
        self._stream.close()


@pytest.fixture
def capped(tmp_path: pathlib.Path, docker_client: Any) -> Iterator[EmulatorServer]:
    server = EmulatorServer(tmp_path / "vertex-local", rest_port=None, max_job_networks=CAP)
    server.start()
    yield server
    server.stop()


def _wait_all(client: Any, names: list[str]) -> list[Any]:
    terminal = (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED)
    deadline = time.monotonic() + 600  # a bound only, never a timing assertion
    while True:
        jobs = [client.get_custom_job(name=n) for n in names]
        if all(j.state in terminal for j in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.5)


def test_fifty_jobs_at_once_all_succeed_on_at_most_cap_networks_and_leave_none(
    capped: EmulatorServer, docker_client: Any
) -> None:
    assert capped.backend is not None
    ident = capped.backend.instance_id
    events = NetworkEvents(docker_client, base_name(ident, "x")[:-1])
    channel = grpc.insecure_channel(capped.grpc_address)
    client = aiplatform_v1.JobServiceClient(
        transport=JobServiceGrpcTransport(channel=channel, host=capped.grpc_address)
    )
    job = {
        "display_name": "capped",
        "job_spec": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": IMAGE, "command": ["true"]},
                }
            ]
        },
    }
    label = {"label": f"{LABEL_INSTANCE_ID}={ident}"}
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            created = list(
                pool.map(
                    lambda _: client.create_custom_job(parent=PARENT, custom_job=job), range(JOBS)
                )
            )
        jobs = _wait_all(client, [j.name for j in created])
        deadline = time.monotonic() + 60
        while docker_client.api.networks(filters=label) and time.monotonic() < deadline:
            time.sleep(0.2)

        assert [j.state for j in jobs] == [JobState.JOB_STATE_SUCCEEDED] * JOBS, [
            j.error.message for j in jobs if j.error.message
        ]
        assert docker_client.api.networks(filters=label) == []
        assert docker_client.api.containers(all=True, filters=label) == []
        assert events.seen.count("create") >= JOBS
        assert events.most_at_once() <= CAP
    finally:
        events.close()
        channel.close()
