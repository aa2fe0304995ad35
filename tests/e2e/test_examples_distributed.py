"""examples/distributed in-process against the emulator: a chief, two workers and an
evaluator run one image; up waits for SUCCEEDED, each replica's log shows its own
CLUSTER_SPEC task, a second up builds and submits nothing, an edit to the args replaces
only the job, refresh reads it, destroy deletes it."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.provider import custom_job_api
from pulumi_vertex_training.testing import ProgramRunner, load_project

pytestmark = pytest.mark.docker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "distributed"
MUTATING = ("create_custom_job", "cancel_custom_job", "delete_custom_job")
REPLICAS = {
    "workerpool0-0": ("workerpool0", 0, "chief"),
    "workerpool1-0": ("workerpool1", 0, "worker"),
    "workerpool1-1": ("workerpool1", 1, "worker"),
    "workerpool3-0": ("workerpool3", 0, "evaluator"),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "distributed"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".pulumi-state", "__pycache__"))
    return copy


def mutating_calls(emulator: Any) -> int:
    return sum(emulator.calls[name] for name in MUTATING)


def test_distributed_example_runs_every_replica_with_its_own_cluster_spec_task(
    emulator: Any, project: Path
) -> None:
    name, program, config = load_project(project, "local")
    repository = f"127.0.0.1:5000/e2e-dist-{uuid.uuid4().hex[:8]}"
    config[f"{name}:repository"] = repository
    stack = ProgramRunner(program, project=name, stack="local", config=config)

    assert {op for op, _ in stack.preview().ops()} == {"create"}

    outputs = stack.up().outputs
    assert outputs["job_state"] == "JOB_STATE_SUCCEEDED"
    assert outputs["image_uri"].startswith(f"{repository}/distributed-image@sha256:")
    job_name = outputs["job_name"]
    job = custom_job_api.get_job(job_name)
    assert job is not None
    pools = [(p.replica_count, p.container_spec.image_uri) for p in job.job_spec.worker_pool_specs]
    image = outputs["image_uri"]
    assert pools == [(1, image), (2, image), (0, ""), (1, image)]

    logs = {
        replica: "\n".join(emulator.backend.runner.logs(job_name, replica)) for replica in REPLICAS
    }
    for replica, (pool, index, tf_type) in REPLICAS.items():
        assert (
            f"{replica}: CLUSTER_SPEC task {pool} index {index}; "
            "cluster {'workerpool0': 1, 'workerpool1': 2, 'workerpool3': 1}; "
            f"TF_CONFIG task {tf_type} index {index}"
        ) in logs[replica], logs[replica]
    assert "chief: total 1999000 from 2 workers (expected 1999000)" in logs["workerpool0-0"]
    assert "worker 1: sent 1499500 to the chief at workerpool0-0:2222" in logs["workerpool1-1"]

    builds, calls = registry.builds_started(), mutating_calls(emulator)
    again = stack.up()
    assert {s.op for s in again.steps} == {"same"}
    assert registry.builds_started() == builds
    assert mutating_calls(emulator) == calls

    # an edit to the job's args: the job is replaced, the image is not rebuilt
    stack.config[f"{name}:shard_size"] = "500"
    edited = stack.up()
    changed = sorted((s.op, s.name) for s in edited.changed())
    assert changed == [("delete-replaced", "distributed"), ("replace", "distributed")]
    assert registry.builds_started() == builds
    assert edited.outputs["image_uri"] == image
    assert custom_job_api.get_job(job_name) is None  # the replaced job was cancelled and deleted

    stack.refresh()
    refreshed = stack.resources("vertex:CustomJob")["distributed"]["outputs"]
    assert refreshed["state"] == "JOB_STATE_SUCCEEDED"

    stack.destroy()
    assert stack.state["resources"] == {}
    assert custom_job_api.get_job(edited.outputs["job_name"]) is None
