"""examples/python_package in-process against the emulator and the local GCS: preview,
up (SUCCEEDED), a second up that uploads and submits nothing, an edit to the trainer
(only the package and the job change), refresh, destroy (the job goes, the content-
addressed package stays in the bucket)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import custom_job_api
from pulumi_vertex_training.testing import ProgramRunner, load_project

pytestmark = pytest.mark.docker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python_package"
MUTATING = ("create_custom_job", "cancel_custom_job", "delete_custom_job")


def mutating_calls(emulator: Any) -> int:
    return sum(emulator.calls[name] for name in MUTATING)


def test_python_package_example_lifecycle(emulator: Any, local_gcs: Any, tmp_path: Path) -> None:
    project = tmp_path / "python_package"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".pulumi-state", "__pycache__"))
    name, program, config = load_project(project, "local")
    bucket = f"e2e-pkg-{uuid.uuid4().hex[:8]}"
    client.storage_client("p").create_bucket(bucket)
    config[f"{name}:staging_uri"] = f"gs://{bucket}/staging"
    config[f"{name}:output_dir"] = f"gs://{bucket}/runs"
    stack = ProgramRunner(program, project=name, stack="local", config=config)

    def uploads() -> int:
        return len([u for u in local_gcs.storage.uploads if u[0] == bucket])

    assert {op for op, _ in stack.preview().ops()} == {"create"}
    assert uploads() == 0

    first = stack.up()
    assert first.outputs["job_state"] == "JOB_STATE_SUCCEEDED"
    assert uploads() == 1

    calls = mutating_calls(emulator)
    again = stack.up()
    assert {s.op for s in again.steps} == {"same"}
    assert uploads() == 1 and mutating_calls(emulator) == calls

    model = project / "trainer" / "model.py"
    model.write_text(model.read_text() + "\n# a one-line edit\n")
    edited = stack.up()
    assert sorted((s.op, s.name) for s in edited.changed() if s.op == "replace") == [
        ("replace", "train"),
        ("replace", "trainer"),
    ]
    assert uploads() == 2
    assert edited.outputs["package_uri"] != first.outputs["package_uri"]

    stack.refresh()
    assert stack.resources("vertex:CustomJob")["train"]["outputs"]["state"] == (
        "JOB_STATE_SUCCEEDED"
    )

    job_name = stack.resources("vertex:CustomJob")["train"]["id"]
    stack.destroy()
    assert stack.state["resources"] == {}
    assert custom_job_api.get_job(job_name) is None
    kept = edited.outputs["package_uri"].removeprefix(f"gs://{bucket}/")
    assert client.storage_client("p").bucket(bucket).blob(kept).exists()
