"""Durability: a `vertex-local serve` killed with SIGKILL and restarted on its data dir.

Every job is still listed; a job whose containers still run is reattached and
finishes; one whose containers vanished meanwhile is FAILED saying why.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState
from google.cloud.aiplatform_v1.services.job_service.transports import JobServiceGrpcTransport

from pulumi_vertex_training.emulator.execution.runner import LABEL_INSTANCE_ID, LABEL_JOB_NAME
from pulumi_vertex_training.emulator.store import STATE_FILE, Store, instance_id

pytestmark = pytest.mark.docker

PARENT = "projects/restart-project/locations/us-central1"


class ServeProcess:
    """`python -m pulumi_vertex_training.emulator serve` on a data dir, with its own client."""

    def __init__(self, data_dir: pathlib.Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.client: Any = None
        self._channel: grpc.Channel | None = None

    def start(self, env: dict[str, str] | None = None) -> ServeProcess:
        """Start it (``env`` added to this process's environment); returns once it serves."""
        pid_file = self.data_dir / "emulator.pid"
        pid_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi_vertex_training.emulator", "serve", "--port", "0",
             "--no-rest", "--data-dir", str(self.data_dir)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.data_dir / "serve.log", "ab"),  # noqa: SIM115 (owned by the child)
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert self.process.poll() is None, (self.data_dir / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not write its pid file in 60s"
            time.sleep(0.1)
        address = json.loads(pid_file.read_text())["grpc_address"]
        self._channel = grpc.insecure_channel(address)
        self.client = aiplatform_v1.JobServiceClient(
            transport=JobServiceGrpcTransport(channel=self._channel, host=address)
        )
        return self

    def instance_id(self) -> str:
        """The data dir's instance id: every container and network of it carries it."""
        store = Store(self.data_dir / STATE_FILE)
        try:
            return instance_id(store)
        finally:
            store.close()

    def log(self) -> str:
        """What the process wrote to stderr (every start on this data dir)."""
        return (self.data_dir / "serve.log").read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        if self._channel is not None:
            self._channel.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        if self._channel is not None:
            self._channel.close()

    def wait(self, name: str, *states: int, timeout: float = 90) -> Any:
        wanted = states or (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED,
                            JobState.JOB_STATE_CANCELLED)  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            job = self.client.get_custom_job(name=name)
            if job.state in wanted:
                return job
            assert time.monotonic() < deadline, f"{name} still {job.state.name}"
            time.sleep(0.1)


@pytest.fixture
def data_dir(tmp_path: pathlib.Path, docker_client: Any) -> pathlib.Path:
    return tmp_path / "vertex-local"


@pytest.fixture
def serves(data_dir: pathlib.Path) -> Iterator[list[ServeProcess]]:
    """Started processes; each is stopped after the test."""
    data_dir.mkdir(parents=True, exist_ok=True)
    started: list[ServeProcess] = []
    yield started
    for process in started:
        process.stop()


def _serve(serves: list[ServeProcess], data_dir: pathlib.Path) -> ServeProcess:
    process = ServeProcess(data_dir).start()
    serves.append(process)
    return process


# After the restart the trainer reaches the local Cloud Storage: through the forwarder
# the new emulator opened on the job network's gateway (the old one died with it).
AFTER_RESTART_READS_GCS = """
import os, time, urllib.request
time.sleep(12)
for attempt in range(120):  # a trainer's retries: the restart may take a while here
    try:
        url = os.environ["STORAGE_EMULATOR_HOST"] + "/storage/v1/b?project=p"
        urllib.request.urlopen(url, timeout=5)
        break
    except OSError:
        time.sleep(0.5)
else:
    raise SystemExit("the local Cloud Storage never answered")
print("finished")
"""


@pytest.mark.slow
def test_job_is_reattached_and_finishes_when_emulator_is_killed_mid_job(
    serves: list[ServeProcess], data_dir: pathlib.Path, make_custom_job: Any, local_gcs: Any
) -> None:
    first = _serve(serves, data_dir)
    job = first.client.create_custom_job(
        parent=PARENT, custom_job=make_custom_job(AFTER_RESTART_READS_GCS)
    )
    first.wait(job.name, JobState.JOB_STATE_RUNNING)
    first.kill()

    second = _serve(serves, data_dir)
    listed = [j.name for j in second.client.list_custom_jobs(parent=PARENT)]
    assert listed == [job.name]
    # Still running (or finished while the emulator was down): never FAILED for the restart.
    assert second.client.get_custom_job(name=job.name).state in (
        JobState.JOB_STATE_RUNNING,
        JobState.JOB_STATE_SUCCEEDED,
    )
    done = second.wait(job.name)
    assert done.state == JobState.JOB_STATE_SUCCEEDED, done.error
    # Ids keep increasing across the restart: a new job never reuses an old name.
    again = second.client.create_custom_job(parent=PARENT, custom_job=make_custom_job())
    assert int(again.name.rsplit("/", 1)[1]) > int(job.name.rsplit("/", 1)[1])
    second.client.cancel_custom_job(name=again.name)
    second.wait(again.name)


def test_job_fails_saying_why_when_its_containers_are_gone_after_a_restart(
    serves: list[ServeProcess], data_dir: pathlib.Path, make_custom_job: Any, docker_client: Any
) -> None:
    first = _serve(serves, data_dir)
    job = first.client.create_custom_job(
        parent=PARENT, custom_job=make_custom_job("import time; time.sleep(300)")
    )
    first.wait(job.name, JobState.JOB_STATE_RUNNING)
    first.kill()
    # By this instance's label too: other emulators on the engine have jobs of that name.
    ours = [f"{LABEL_INSTANCE_ID}={first.instance_id()}", f"{LABEL_JOB_NAME}={job.name}"]
    for container in docker_client.containers.list(all=True, filters={"label": ours}):
        container.remove(force=True)

    second = _serve(serves, data_dir)
    done = second.client.get_custom_job(name=job.name)
    assert done.state == JobState.JOB_STATE_FAILED
    assert "restarted" in done.error.message
    assert "gone" in done.error.message
    assert done.end_time
    second.client.delete_custom_job(name=job.name).result(timeout=10)
    with pytest.raises(exceptions.NotFound):
        second.client.get_custom_job(name=job.name)
