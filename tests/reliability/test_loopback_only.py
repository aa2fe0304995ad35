"""Nothing of the project listens beyond loopback (issue #12).

The listening TCP sockets come from /proc/net/tcp and tcp6, with their owners found
through /proc/<pid>/fd (``tests/listening.py``). Owned by the project: the services
``scripts/services.sh`` brings up (the local Cloud Storage on ``VERTEX_GCS_PORT``, the
registry on 5000, the Docker engine) and an emulator started by ``vertex-local start``.

The one exception, by design: while a job's network exists, the emulator listens on
that network's gateway at the local Cloud Storage's port, a forwarder to
``127.0.0.1`` (``execution/gateway_forward.py``), so the job's containers reach the
storage. The end-to-end test below watches it appear with the job and go with its
network, and the job read and write the local Cloud Storage through it to SUCCEEDED.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState
from google.cloud.aiplatform_v1.services.job_service.transports import JobServiceGrpcTransport

from pulumi_vertex_training.emulator.execution.cluster import gcs_root
from pulumi_vertex_training.emulator.execution.runner import LABEL_JOB_NAME
from pulumi_vertex_training.emulator.storage.gcs import LocalGcs
from tests.listening import Listener, is_loopback, listeners_of, owners

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PARENT = "projects/loopback/locations/us-central1"
REGISTRY_PORT = 5000


def beyond_loopback(sockets: list[Listener]) -> list[str]:
    return sorted(str(s) for s in sockets if not is_loopback(s.address))


def _pids_named(name: str) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def test_services_listen_on_loopback_only(docker_client: Any) -> None:
    env = {**os.environ, "VERTEX_PYTHON": sys.executable}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    gcs_port = int(os.environ.get("VERTEX_GCS_PORT", "9023"))
    for what, pids in (
        ("the local Cloud Storage", owners(gcs_port)),
        ("the registry", owners(REGISTRY_PORT)),
        ("the Docker engine", _pids_named("dockerd")),
    ):
        assert pids, f"{what} is not running"
        sockets = listeners_of(pids)
        assert not beyond_loopback(sockets), (
            f"{what} (pids {sorted(pids)}) listens beyond loopback: {beyond_loopback(sockets)}"
            " (a local Cloud Storage started by an older scripts/ensure-gcs.sh binds 0.0.0.0:"
            " stop it and run scripts/services.sh again)\n" + result.stderr
        )


def _vertex_local(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulumi_vertex_training.emulator", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[LocalGcs]:
    """A local Cloud Storage with its defaults (loopback), over the emulator's /gcs."""
    with LocalGcs(gcs_root(tmp_path / "vertex-local")) as gcs:
        yield gcs


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return bytes(answer.read())
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return None
        raise


def _post(url: str, data: bytes, content_type: str = "application/octet-stream") -> None:
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": content_type}
    )
    urllib.request.urlopen(request, timeout=30).close()


def _until(check: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


JOB = """\
import os, time, urllib.error, urllib.request
base, bucket = os.environ["STORAGE_EMULATOR_HOST"], "{bucket}"

def put(name, data):
    url = f"{{base}}/upload/storage/v1/b/{{bucket}}/o?uploadType=media&name={{name}}"
    urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST"), timeout=30)

def get(name):
    url = f"{{base}}/storage/v1/b/{{bucket}}/o/{{name}}?alt=media"
    return urllib.request.urlopen(url, timeout=30).read()

put("from-job.txt", b"written through " + base.encode())
deadline = time.time() + 120
while True:
    try:
        go = get("go.txt")
        break
    except urllib.error.HTTPError as err:
        if err.code != 404 or time.time() > deadline:
            raise
        time.sleep(0.2)
put("done.txt", go.upper())
"""


def test_vertex_local_start_listens_on_loopback_and_forwards_storage_only_while_a_job_runs(
    tmp_path: Path, storage: LocalGcs, make_custom_job: Any, docker_client: Any
) -> None:
    assert not beyond_loopback(listeners_of({os.getpid()}))  # LocalGcs: loopback by default
    data_dir = tmp_path / "vertex-local"
    env = {**os.environ, "STORAGE_EMULATOR_HOST": storage.url, "PYTHONPATH": str(ROOT)}
    started = _vertex_local(
        "start", "--port", "0", "--rest-port", "0", "--data-dir", str(data_dir), env=env
    )
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        info = json.loads((data_dir / "emulator.pid").read_text())
        emulator = {int(info["pid"])}
        assert listeners_of(emulator) and not beyond_loopback(listeners_of(emulator))

        bucket = f"loopback-{uuid.uuid4().hex[:8]}"
        _post(f"{storage.url}/storage/v1/b?project=p", json.dumps({"name": bucket}).encode(),
              "application/json")  # fmt: skip
        objects = f"{storage.url}/storage/v1/b/{bucket}/o"
        channel = grpc.insecure_channel(info["grpc_address"])
        jobs = aiplatform_v1.JobServiceClient(
            transport=JobServiceGrpcTransport(channel=channel, host=info["grpc_address"])
        )
        job = jobs.create_custom_job(
            parent=PARENT, custom_job=make_custom_job(JOB.format(bucket=bucket))
        )

        written = _until(lambda: _get(f"{objects}/from-job.txt?alt=media"), "the job's write")
        assert written == f"written through http://host.docker.internal:{storage.port}".encode()
        networks = docker_client.networks.list(filters={"label": f"{LABEL_JOB_NAME}={job.name}"})
        gateways = {c["Gateway"] for n in networks for c in n.attrs["IPAM"]["Config"]}
        assert beyond_loopback(listeners_of(emulator)) == [
            f"{g}:{storage.port}" for g in sorted(gateways) if "." in g
        ]

        _post(f"{objects.replace('/storage/', '/upload/storage/')}?uploadType=media&name=go.txt",
              b"go!")  # fmt: skip
        _until(
            lambda: (
                jobs.get_custom_job(name=job.name).state
                in (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED)
            ),
            "the job to end",
        )
        ended = jobs.get_custom_job(name=job.name)
        assert ended.state == JobState.JOB_STATE_SUCCEEDED, ended.error
        assert _get(f"{objects}/done.txt?alt=media") == b"GO!"

        _until(
            lambda: (
                not docker_client.networks.list(filters={"label": f"{LABEL_JOB_NAME}={job.name}"})
            ),
            "the job's network to go",
        )
        _until(lambda: not beyond_loopback(listeners_of(emulator)), "the forwarder to close", 10)
        channel.close()
    finally:
        _vertex_local("stop", "--data-dir", str(data_dir), env=env)
