"""A whole program in-process (the third test level: whole programs): preview, up, no-op up, change,
refresh, destroy, against the emulator."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training.provider import custom_job_api
from pulumi_vertex_training.testing import CheckFailed, ProgramRunner

pytestmark = pytest.mark.docker

CONFIG = {"gcp:project": "e2e-project", "gcp:region": "us-central1"}
MUTATING = ("create_custom_job", "cancel_custom_job", "delete_custom_job")


def make_program(code: str, wait: str = "started", **job: Any):  # type: ignore[no-untyped-def]
    def program() -> None:
        custom_job = vt.CustomJob(
            "train",
            job_spec=vt.CustomJobSpecArgs(
                worker_pool_specs=[
                    vt.WorkerPoolSpecArgs(
                        machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
                        replica_count=1,
                        container_spec=vt.ContainerSpecArgs(
                            image_uri="local/python:3.11",
                            command=["python", "-c", code],
                            env=[vt.EnvVarArgs(name="TOKEN", value=pulumi.Output.secret("s3"))],
                        ),
                    )
                ],
                base_output_directory=vt.GcsDestinationArgs(output_uri_prefix="gs://e2e/out"),
            ),
            wait=wait,
            **job,
        )
        pulumi.export("state", custom_job.state)
        pulumi.export("model_dir", custom_job.model_dir)
        pulumi.export("job_spec", custom_job.job_spec)

    return program


def mutating_calls(emulator: Any) -> int:
    return sum(emulator.calls[name] for name in MUTATING)


def test_program_lifecycle_against_the_emulator(emulator: Any) -> None:
    long = "import time; time.sleep(3)"
    stack = ProgramRunner(make_program(long), project="e2e", stack="dev", config=CONFIG)

    before = mutating_calls(emulator)
    preview = stack.preview()
    assert preview.ops() == [("create", "train")]
    assert mutating_calls(emulator) == before
    assert stack.state["resources"] == {}

    up = stack.up()
    assert up.ops() == [("create", "train")]
    assert up.outputs["state"] in custom_job_api.STARTED_STATES
    assert up.outputs["model_dir"] == "gs://e2e/out/model/"
    first = stack.resources("CustomJob")["train"]["id"]

    calls = mutating_calls(emulator)
    again = stack.up()
    assert again.ops() == [("same", "train")]
    assert mutating_calls(emulator) == calls

    stack.program = make_program(long + "; print('v2')")
    replaced = stack.up()
    assert replaced.ops("replace") == [("replace", "train")]
    second = stack.resources("CustomJob")["train"]["id"]
    assert second != first
    old = custom_job_api.get_job(first)
    assert old is None or old.state.name == "JOB_STATE_CANCELLED"

    custom_job_api.wait_for(second, custom_job_api.TERMINAL_STATES, 120)
    stack.refresh()
    assert stack.resources("CustomJob")["train"]["outputs"]["state"] == "JOB_STATE_SUCCEEDED"

    stack.destroy()
    assert stack.state["resources"] == {}
    assert custom_job_api.get_job(second) is None


def test_secret_env_values_stay_secret_in_outputs(emulator: Any) -> None:
    stack = ProgramRunner(make_program("print(1)", wait="none"), config=CONFIG)
    stack.up()
    saved = stack.resources("CustomJob")["train"]
    assert "job_spec" in saved["secret_outputs"]
    stack.destroy()


def test_preview_fails_with_every_problem_and_creates_nothing(emulator: Any) -> None:
    def program() -> None:
        vt.CustomJob(
            "bad",
            job_spec={
                "worker_pool_specs": [
                    {
                        "machine_spec": {"machine_type": "n1-standard-4"},
                        "replica_count": 2,
                        "container_spec": {"image_uri": "local/python:3.11"},
                    }
                ],
                "network": "projects/my-project/global/networks/default",
            },
            wait="soon",
        )

    before = mutating_calls(emulator)
    with pytest.raises(CheckFailed) as raised:
        ProgramRunner(program, config=CONFIG).preview()
    paths = {path for path, _ in raised.value.failures}
    assert {"wait", "job_spec.worker_pool_specs[0].replica_count", "job_spec.network"} <= paths
    assert mutating_calls(emulator) == before


def test_get_reads_an_existing_job_into_the_program(emulator: Any) -> None:
    owner = ProgramRunner(make_program("print(1)", wait="completed"), config=CONFIG)
    owner.up()
    name = owner.resources("CustomJob")["train"]["id"]

    def program() -> None:
        job = vt.CustomJob.get("existing", name)
        pulumi.export("state", job.state)
        pulumi.export("display_name", job.display_name)

    reader = ProgramRunner(program, config=CONFIG)
    result = reader.up()
    assert result.ops() == [("read", "existing")]
    assert result.outputs["state"] == "JOB_STATE_SUCCEEDED"
    assert result.outputs["display_name"] == "train"
    owner.destroy()
