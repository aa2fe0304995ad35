"""examples/persistent in-process against the emulator: a persistent resource and two
jobs on it (the second waits for the replica), scale in place, reboot via trigger,
destroy (jobs before the resource); and a job that cannot fit, refused at preview."""

from __future__ import annotations

import datetime
import pathlib
from typing import Any

import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training.provider.persistent_resource import get_resource
from pulumi_vertex_training.testing import CheckFailed, ProgramRunner, load_project

pytestmark = pytest.mark.docker

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "persistent"
PR_CALLS = (
    "create_persistent_resource",
    "update_persistent_resource",
    "reboot_persistent_resource",
    "delete_persistent_resource",
)


def when(rfc3339: str) -> datetime.datetime:
    """An RFC 3339 output as a datetime (fractions cut to microseconds)."""
    head, _, frac = rfc3339.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{head}.{(frac or '0')[:6]:0<6}")


def pr_calls(emulator: Any) -> dict[str, int]:
    return {name: emulator.calls[name] for name in PR_CALLS}


def test_persistent_example_lifecycle(emulator: Any) -> None:
    name, program, config = load_project(EXAMPLE, "local")
    stack = ProgramRunner(program, project=name, stack="e2e", config=config)

    preview = stack.preview()
    assert sorted(preview.ops()) == [
        ("create", "train-a"),
        ("create", "train-b"),
        ("create", "warm-pool"),
    ]

    up = stack.up()
    assert up.outputs["pool_state"] == "RUNNING"
    first, second = up.outputs["first"], up.outputs["second"]
    assert first["state"] == second["state"] == "JOB_STATE_SUCCEEDED"
    # One replica: one job ran after the other (the one created second waited QUEUED).
    runs = sorted((when(job["start"]), when(job["end"])) for job in (first, second))
    assert runs[1][0] >= runs[0][1]
    pool = stack.resources("PersistentResource")["warm-pool"]
    resource_name = pool["id"]
    assert resource_name.endswith("/persistentResources/warm-pool")
    for job in stack.resources("CustomJob").values():
        assert job["inputs"]["job_spec"]["persistent_resource_id"] == "warm-pool"

    calls = pr_calls(emulator)
    assert sorted(stack.up().ops()) == [
        ("same", "train-a"),
        ("same", "train-b"),
        ("same", "warm-pool"),
    ]
    assert pr_calls(emulator) == calls

    stack.engine.config[f"{name}:replicas"] = "2"
    scaled = stack.up()
    assert ("update", "warm-pool") in scaled.ops() and not scaled.ops("replace")
    assert scaled.outputs["replicas"] == 2
    assert stack.resources("PersistentResource")["warm-pool"]["id"] == resource_name
    assert get_resource(resource_name).resource_pools[0].replica_count == 2

    reboots = emulator.calls["reboot_persistent_resource"]
    stack.engine.config[f"{name}:reboot"] = "1"
    rebooted = stack.up()
    assert rebooted.ops("update") == [("update", "warm-pool")]
    assert emulator.calls["reboot_persistent_resource"] == reboots + 1

    destroyed = stack.destroy()
    order = [step_name for _, step_name in destroyed.ops()]
    assert order[-1] == "warm-pool" and set(order[:-1]) == {"train-a", "train-b"}
    assert get_resource(resource_name) is None


def test_preview_refuses_a_job_that_cannot_run_on_the_pool(emulator: Any) -> None:
    def program() -> None:
        pool = vt.PersistentResource(
            "small-pool",
            resource_pools=[
                {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1}
            ],
        )
        vt.CustomJob(
            "too-big",
            job_spec={
                "worker_pool_specs": [
                    {
                        "machine_spec": {"machine_type": "n1-standard-4"},
                        "replica_count": 1,
                        "container_spec": {"image_uri": "local/python:3.11"},
                    },
                    {
                        "machine_spec": {
                            "machine_type": "a2-highgpu-1g",
                            "accelerator_type": "NVIDIA_TESLA_A100",
                            "accelerator_count": 1,
                        },
                        "replica_count": 1,
                        "container_spec": {"image_uri": "local/python:3.11"},
                    },
                ]
            },
            persistent_resource=pool,
        )

    calls = pr_calls(emulator)
    stack = ProgramRunner(program, config={"gcp:project": "p", "gcp:region": "us-central1"})
    with pytest.raises(CheckFailed) as raised:
        stack.preview()
    paths = {path for path, _ in raised.value.failures}
    assert paths == {"job_spec.worker_pool_specs[1].machine_spec"}
    assert pr_calls(emulator) == calls
