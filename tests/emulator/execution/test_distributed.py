"""A four-pool job (chief, 2 workers, parameter server, evaluator) through the real runner.

Each replica checks its own CLUSTER_SPEC / TF_CONFIG / RANK against its host
name and talks TCP to every other replica by the host names in CLUSTER_SPEC.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from google.cloud import aiplatform_v1

from pulumi_vertex_training.emulator.execution.cluster import build_job_run
from pulumi_vertex_training.emulator.execution.runner import DockerRunner
from pulumi_vertex_training.emulator.execution.types import RunPhase, RunStatus

pytestmark = [pytest.mark.docker, pytest.mark.slow]

IMAGE = "local/python:3.11"

REPLICA_SCRIPT = r"""
import json, os, socket, sys, threading, time

host = socket.gethostname()
pool, index = (int(x) for x in host[len("workerpool"):].split("-"))
spec = json.loads(os.environ["CLUSTER_SPEC"])
tf = json.loads(os.environ["TF_CONFIG"])

expected_cluster = {
    "workerpool0": ["workerpool0-0:2222"],
    "workerpool1": ["workerpool1-0:2222", "workerpool1-1:2222"],
    "workerpool2": ["workerpool2-0:2222"],
    "workerpool3": ["workerpool3-0:2222"],
}
assert spec["cluster"] == expected_cluster, spec["cluster"]
assert spec["task"] == {"type": f"workerpool{pool}", "index": index, "trial": ""}, spec["task"]
assert spec["environment"] == "cloud"
assert len(spec["job"]["worker_pool_specs"]) == 4
assert tf["cluster"] == {
    "chief": expected_cluster["workerpool0"],
    "worker": expected_cluster["workerpool1"],
    "ps": expected_cluster["workerpool2"],
}, tf["cluster"]
tf_type = ["chief", "worker", "ps", "evaluator"][pool]
assert tf["task"] == {"type": tf_type, "index": index, "trial": ""}, tf["task"]
assert os.environ["MASTER_ADDR"] == "workerpool0-0"
assert os.environ["WORLD_SIZE"] == "3"
assert os.environ.get("RANK") == {0: "0", 1: str(1 + index)}.get(pool), os.environ.get("RANK")

peers = [a for addrs in spec["cluster"].values() for a in addrs if not a.startswith(host + ":")]
server = socket.create_server(("", 2222))
server.settimeout(90)

def serve():
    for _ in peers:
        conn, _ = server.accept()
        with conn:
            conn.sendall(host.encode())

t = threading.Thread(target=serve)
t.start()
for peer in peers:
    name, port = peer.split(":")
    deadline = time.monotonic() + 90
    while True:
        try:
            with socket.create_connection((name, int(port)), timeout=5) as c:
                answer = c.recv(100).decode()
            break
        except OSError as err:  # the peer's container may not be up yet
            if time.monotonic() > deadline:
                sys.exit(f"{host}: cannot reach {peer}: {err}")
            time.sleep(0.2)
    assert answer == name, (answer, name)
    print(f"{host} reached {answer}", flush=True)
t.join()
print(f"{host} ok {tf_type}", flush=True)
"""


def pool(replicas: int) -> dict[str, object]:
    return {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": replicas,
        "container_spec": {"image_uri": IMAGE, "command": ["python", "-c", REPLICA_SCRIPT]},
    }


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[DockerRunner]:
    client = docker.from_env()
    r = DockerRunner(tmp_path, f"dist-{uuid.uuid4().hex[:8]}", client)
    yield r
    for job in r.known_jobs():
        r.cleanup(job)
    client.close()


def test_four_pools_see_their_cluster_spec_and_reach_each_other_by_host_name(
    runner: DockerRunner, tmp_path: Path
) -> None:
    job = aiplatform_v1.CustomJob(
        name="projects/p/locations/us-central1/customJobs/31337",
        display_name="distributed",
        job_spec={"worker_pool_specs": [pool(1), pool(2), pool(1), pool(1)]},
    )
    run = build_job_run(job, tmp_path, runner.instance_id)
    replicas = [r.replica_name for r in run.replicas]
    assert replicas == [
        "workerpool0-0",
        "workerpool1-0",
        "workerpool1-1",
        "workerpool2-0",
        "workerpool3-0",
    ]

    runner.start(run)
    deadline = time.monotonic() + 180  # a bound, not an assertion
    status = runner.status(run.job_name)
    while (
        status.phase != RunPhase.FAILED
        and len(status.exit_codes) < len(replicas)
        and time.monotonic() < deadline
    ):
        time.sleep(0.3)
        status = runner.status(run.job_name)

    logs = {r: list(runner.logs(run.job_name, r)) for r in replicas}
    assert status == RunStatus(RunPhase.SUCCEEDED, "", dict.fromkeys(replicas, 0)), logs
    for replica, lines in logs.items():
        others = sorted(set(replicas) - {replica})
        assert sorted(line.split()[-1] for line in lines if " reached " in line) == others
        assert lines[-1].startswith(f"{replica} ok ")
