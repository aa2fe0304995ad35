"""DockerRunner against the real Docker engine, with jobs built by cluster.build_job_run."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from google.cloud import aiplatform_v1

from pulumi_vertex_training.emulator.cloud_logging.collector import close_collector, collector_for
from pulumi_vertex_training.emulator.exceptions import NotFound
from pulumi_vertex_training.emulator.execution.cluster import build_job_run, gcs_root
from pulumi_vertex_training.emulator.execution.runner import (
    LABEL_INSTANCE_ID,
    LABEL_JOB_ID,
    LABEL_JOB_NAME,
    LABEL_REPLICA,
    DockerRunner,
)
from pulumi_vertex_training.emulator.execution.types import (
    JobRun,
    Mount,
    ReplicaSpec,
    RunPhase,
    RunStatus,
)

pytestmark = [pytest.mark.docker]

IMAGE = "local/python:3.11"
TERMINAL = (RunPhase.SUCCEEDED, RunPhase.FAILED, RunPhase.MISSING)


@pytest.fixture(scope="module")
def docker_client() -> Iterator[docker.DockerClient]:
    client = docker.from_env()
    client.images.get(IMAGE)  # fails clearly when the base image was never built
    yield client
    client.close()


@pytest.fixture
def instance_id() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def runner(
    tmp_path: Path, instance_id: str, docker_client: docker.DockerClient
) -> Iterator[DockerRunner]:
    r = DockerRunner(tmp_path, instance_id, docker_client)
    yield r
    for job in r.known_jobs():
        r.cleanup(job)
    close_collector(tmp_path)


_ids = iter(range(1000, 10**6))


def make_run(data_dir: Path, instance_id: str, pools: list[dict[str, Any]], **spec: Any) -> JobRun:
    job = aiplatform_v1.CustomJob(
        name=f"projects/p/locations/us-central1/customJobs/{next(_ids)}{uuid.uuid4().int % 10**6}",
        display_name="runner-test",
        job_spec={"worker_pool_specs": pools, **spec},
    )
    return build_job_run(job, data_dir, instance_id)


def pool(**container: Any) -> dict[str, Any]:
    return {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "container_spec": {"image_uri": IMAGE, **container},
    }


def wait_for(runner: DockerRunner, job: str, done: Callable[[RunStatus], bool]) -> RunStatus:
    """Poll status until done(status); a generous bound only, never a timing assertion."""
    deadline = time.monotonic() + 120
    while True:
        status = runner.status(job)
        if done(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def _ours(run: JobRun) -> dict[str, list[str]]:
    # The instance's label too: another emulator on the engine may have a job of that name.
    instance = [f"{k}={v}" for k, v in run.labels if k == LABEL_INSTANCE_ID]
    return {"label": [f"{LABEL_JOB_NAME}={run.job_name}", *instance]}


def containers_of(client: docker.DockerClient, run: JobRun) -> list[Any]:
    return client.containers.list(all=True, filters=_ours(run))


def networks_of(client: docker.DockerClient, run: JobRun) -> list[Any]:
    return client.networks.list(filters=_ours(run))


SUCCESS_SCRIPT = """
import os, pathlib
print("rank", os.environ["RANK"], "job", os.environ["CLOUD_ML_JOB_ID"])
out = pathlib.Path(os.environ["AIP_MODEL_DIR"].replace("gs://", "/gcs/"))
out.mkdir(parents=True, exist_ok=True)
(out / "model.txt").write_text("trained")
print("saved to", out)
"""


def test_job_succeeds_with_labels_mounts_and_logs_kept_after_cleanup(
    runner: DockerRunner, docker_client: docker.DockerClient, tmp_path: Path, instance_id: str
) -> None:
    # args alone replace the image CMD (the image has no ENTRYPOINT).
    run = make_run(
        tmp_path,
        instance_id,
        [pool(args=["python", "-c", SUCCESS_SCRIPT])],
        base_output_directory={"output_uri_prefix": "gs://out-bkt/run1"},
    )

    runner.start(run)
    status = wait_for(runner, run.job_name, lambda s: s.phase in TERMINAL)

    assert status == RunStatus(RunPhase.SUCCEEDED, "", {"workerpool0-0": 0})
    assert runner.known_jobs() == {run.job_name}
    [container] = containers_of(docker_client, run)
    assert container.labels[LABEL_JOB_NAME] == run.job_name
    assert container.labels[LABEL_JOB_ID] == run.job_id
    assert container.labels[LABEL_REPLICA] == "workerpool0-0"
    assert container.labels[LABEL_INSTANCE_ID] == instance_id
    assert container.attrs["Config"]["Hostname"] == "workerpool0-0"
    [network] = networks_of(docker_client, run)
    assert network.attrs["Labels"][LABEL_INSTANCE_ID] == instance_id
    assert (gcs_root(tmp_path) / "out-bkt/run1/model/model.txt").read_text() == "trained"
    live = list(runner.logs(run.job_name, "workerpool0-0"))
    assert live == [f"rank 0 job {run.job_id}", "saved to /gcs/out-bkt/run1/model"]

    runner.cleanup(run.job_name)
    runner.cleanup(run.job_name)  # idempotent

    assert containers_of(docker_client, run) == []
    assert networks_of(docker_client, run) == []
    assert runner.known_jobs() == set()
    assert runner.status(run.job_name).phase == RunPhase.MISSING
    # cleanup stored every line before removing the container: read from the store now
    assert collector_for(tmp_path).store.replicas(run.job_id) == {"workerpool0-0": True}
    assert list(runner.logs(run.job_name, "workerpool0-0")) == live
    with pytest.raises(NotFound, match=r"'workerpool9-9'.*replicas: workerpool0-0"):
        runner.logs(run.job_name, "workerpool9-9")


def test_nonzero_exit_fails_the_job_naming_the_replica_and_its_status_as_vertex_does(
    runner: DockerRunner, tmp_path: Path, instance_id: str
) -> None:
    script = "import sys\nfor i in range(1, 31): print('line', i)\nsys.exit(3)"
    run = make_run(tmp_path, instance_id, [pool(command=["python", "-c", script])])

    runner.start(run)
    status = wait_for(runner, run.job_name, lambda s: s.phase in TERMINAL)

    assert status.phase == RunPhase.FAILED
    assert status.exit_codes == {"workerpool0-0": 3}
    # Vertex's words; the lines are in the logs, not in the message
    assert status.message.startswith(
        "The replica workerpool0-0 exited with a non-zero status of 3. To find out more about "
        "why your job exited please check the logs: https://console.cloud.google.com/logs/viewer?"
    )
    assert "line 30" not in status.message
    assert list(runner.logs(run.job_name, "workerpool0-0"))[-1] == "line 30"


GATED_PRIMARY = """
import os, pathlib, time
print("waiting", flush=True)
while not pathlib.Path("/gcs/gate-bkt/go").exists():
    time.sleep(0.1)
print("released", flush=True)
"""


def test_primary_success_ends_the_job_while_other_replicas_serve_until_stopped(
    runner: DockerRunner, docker_client: docker.DockerClient, tmp_path: Path, instance_id: str
) -> None:
    run = make_run(
        tmp_path,
        instance_id,
        [
            pool(command=["python", "-c", GATED_PRIMARY]),
            # A parameter server that never exits. command alone replaces the
            # ENTRYPOINT and drops the image CMD (else $0 would be python3).
            pool(command=["sh", "-c", 'echo "zero=$0 argc=$#"; exec sleep 600']),
        ],
        base_output_directory={"output_uri_prefix": "gs://gate-bkt/out"},
    )
    runner.start(run)
    assert wait_for(runner, run.job_name, lambda s: s.phase != RunPhase.STARTING).phase == (
        RunPhase.RUNNING
    )

    # A restarted emulator (new runner, same data dir id) finds the job; another does not.
    again = DockerRunner(tmp_path, instance_id, docker_client)
    assert again.known_jobs() == {run.job_name}
    assert again.status(run.job_name).phase == RunPhase.RUNNING
    other = DockerRunner(tmp_path, instance_id + "-other", docker_client)
    assert other.known_jobs() == set()
    assert other.status(run.job_name).phase == RunPhase.MISSING

    # status/logs from many threads at once while the job runs.
    results: list[RunPhase] = []
    threads = [
        threading.Thread(target=lambda: results.append(runner.status(run.job_name).phase))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [RunPhase.RUNNING] * 8

    followed: list[str] = []
    follower = threading.Thread(
        target=lambda: followed.extend(runner.logs(run.job_name, "workerpool0-0", follow=True))
    )
    follower.start()
    wait_for(
        runner,
        run.job_name,
        lambda s: "waiting" in list(runner.logs(run.job_name, "workerpool0-0")),
    )
    (gcs_root(tmp_path) / "gate-bkt" / "go").touch()
    follower.join(timeout=120)

    assert not follower.is_alive()
    assert followed == ["waiting", "released"]
    status = wait_for(runner, run.job_name, lambda s: s.phase in TERMINAL)
    assert status == RunStatus(RunPhase.SUCCEEDED, "", {"workerpool0-0": 0})

    assert {c.status for c in containers_of(docker_client, run)} == {"exited", "running"}

    runner.stop(run.job_name)
    runner.stop(run.job_name)  # idempotent

    assert {c.status for c in containers_of(docker_client, run)} == {"exited"}
    status = runner.status(run.job_name)
    assert status.phase == RunPhase.SUCCEEDED  # stopping the server later changes nothing
    assert status.exit_codes["workerpool1-0"] != 0
    assert list(runner.logs(run.job_name, "workerpool1-0")) == ["zero=sh argc=0"]
    runner.cleanup(run.job_name)
    runner.stop(run.job_name)  # nothing left to stop: still fine
    assert containers_of(docker_client, run) == []
    assert collector_for(tmp_path).store.replicas(run.job_id) == {
        "workerpool0-0": True,
        "workerpool1-0": True,
    }


def test_missing_image_fails_the_job_saying_the_image_was_not_found(
    runner: DockerRunner, docker_client: docker.DockerClient, tmp_path: Path, instance_id: str
) -> None:
    image = "127.0.0.1:5000/no-such-image/really:missing"
    run = make_run(tmp_path, instance_id, [pool(image_uri=image, command=["true"])])

    runner.start(run)
    status = runner.status(run.job_name)

    assert status.phase == RunPhase.FAILED
    assert f"image {image!r}" in status.message
    assert "job_spec.worker_pool_specs[0].container_spec.image_uri" in status.message
    assert "was not found" in status.message
    assert containers_of(docker_client, run) == []
    runner.cleanup(run.job_name)
    assert runner.status(run.job_name).phase == RunPhase.MISSING


def test_logs_of_an_unknown_job_is_not_found(runner: DockerRunner) -> None:
    with pytest.raises(NotFound, match="no logs for projects/p/locations/l/customJobs/1"):
        runner.logs("projects/p/locations/l/customJobs/1", "workerpool0-0")


def test_runner_is_constructed_without_touching_the_engine(tmp_path: Path) -> None:
    r = DockerRunner(tmp_path, "lazy")

    assert r.data_dir == tmp_path


def test_engine_refusing_a_container_fails_the_job_and_a_restarted_runner_sees_it_incomplete(
    runner: DockerRunner, docker_client: docker.DockerClient, tmp_path: Path, instance_id: str
) -> None:
    def replica(pool_index: int, host_path: Path) -> ReplicaSpec:
        return ReplicaSpec(
            pool_index=pool_index,
            replica_index=0,
            hostname=f"workerpool{pool_index}-0",
            image=IMAGE,
            command=("true",),
            args=(),
            env=(),
            mounts=(Mount(host_path=str(host_path), container_path="/gcs/x"),),
        )

    run = JobRun(
        job_name="projects/p/locations/l/customJobs/55",
        job_id="55",
        replicas=(replica(0, tmp_path), replica(1, tmp_path / "does-not-exist")),
        labels=((LABEL_INSTANCE_ID, instance_id),),
    )

    runner.start(run)
    status = runner.status(run.job_name)

    assert status.phase == RunPhase.FAILED
    assert status.message.startswith("could not start the job's containers: ")
    assert "does-not-exist" in status.message
    # The emulator restarted: only the containers tell, and one is missing.
    restarted = DockerRunner(tmp_path, instance_id, docker_client)
    status = restarted.status(run.job_name)
    assert status.phase == RunPhase.FAILED
    assert status.message.startswith(
        f"1 of the 2 replica containers of {run.job_name} are missing (their start was "
        "interrupted, or they were removed outside the emulator); present: workerpool0-0"
    )
    restarted.cleanup(run.job_name)
    runner.cleanup(run.job_name)
    assert containers_of(docker_client, run) == []
    assert networks_of(docker_client, run) == []
    assert runner.status(run.job_name).phase == RunPhase.MISSING


def test_each_job_gets_its_own_network_when_job_ids_share_a_prefix(
    runner: DockerRunner, docker_client: docker.DockerClient
) -> None:
    ours = ((LABEL_INSTANCE_ID, runner.instance_id),)
    long = JobRun("projects/p/locations/l/customJobs/123", "123", (), labels=ours)
    short = JobRun("projects/p/locations/l/customJobs/12", "12", (), labels=ours)

    runner.start(long)
    runner.start(short)

    assert [n.name for n in networks_of(docker_client, long)] == [runner._base_name("123")]
    assert [n.name for n in networks_of(docker_client, short)] == [runner._base_name("12")]
    runner.cleanup(long.job_name)
    runner.cleanup(short.job_name)
    assert networks_of(docker_client, long) == networks_of(docker_client, short) == []


def test_cleanup_leaves_another_emulators_job_of_the_same_name_alone(
    runner: DockerRunner, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    """Two emulators on one engine both have customJobs/1 (ids count from 1 in each data
    dir): cleaning up one's must not remove the other's network, mid-start or running."""
    other = DockerRunner(tmp_path / "other", f"test-{uuid.uuid4().hex[:8]}", docker_client)
    name = "projects/p/locations/l/customJobs/1"
    mine = JobRun(name, "1", (), labels=((LABEL_INSTANCE_ID, runner.instance_id),))
    theirs = JobRun(name, "1", (), labels=((LABEL_INSTANCE_ID, other.instance_id),))
    try:
        runner.start(mine)
        other.start(theirs)
        runner.cleanup(name)

        assert networks_of(docker_client, mine) == []
        assert [n.name for n in networks_of(docker_client, theirs)] == [other._base_name("1")]
    finally:
        other.cleanup(name)
        close_collector(tmp_path / "other")
