"""examples/quickstart in-process against the emulator, as scripts/quickstart.sh runs it:
preview, up (job SUCCEEDED), a second up that builds and submits nothing, an edit to
the trainer (only the image and the job change), refresh, destroy."""

from __future__ import annotations

import shutil
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from pulumi_vertex_training.emulator.execution import cluster
from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.provider import custom_job_api
from pulumi_vertex_training.testing import ProgramRunner, load_project

pytestmark = pytest.mark.docker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
MUTATING = ("create_custom_job", "cancel_custom_job", "delete_custom_job")


def mutating_calls(emulator: Any) -> int:
    return sum(emulator.calls[name] for name in MUTATING)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "quickstart"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".pulumi-state", "__pycache__"))
    return copy


def test_quickstart_runs_end_to_end_and_only_rebuilds_what_changed(
    emulator: Any, project: Path
) -> None:
    name, program, config = load_project(project, "local")
    repository = f"127.0.0.1:5000/e2e-{uuid.uuid4().hex[:8]}"
    config[f"{name}:repository"] = repository
    bucket = f"e2e-{uuid.uuid4().hex[:8]}"
    config[f"{name}:output_dir"] = f"gs://{bucket}/runs"
    stack = ProgramRunner(program, project=name, stack="local", config=config)

    preview = stack.preview()
    assert {op for op, _ in preview.ops()} == {"create"}
    assert stack.state["resources"] == {}

    up = stack.up()
    outputs = up.outputs
    assert outputs["job_state"] == "JOB_STATE_SUCCEEDED"
    assert outputs["image_uri"].startswith(f"{repository}/trainer@sha256:")
    assert outputs["model_dir"] == f"gs://{bucket}/runs/model/"
    model = cluster.gcs_root(emulator.data_dir) / bucket / "runs" / "model" / "model.json"
    assert model.exists(), "the trainer saves its model under AIP_MODEL_DIR"

    builds, calls = registry.builds_started(), mutating_calls(emulator)
    again = stack.up()
    assert {s.op for s in again.steps} == {"same"}
    assert registry.builds_started() == builds
    assert mutating_calls(emulator) == calls

    task = project / "src" / "trainer" / "task.py"
    task.write_text(task.read_text().replace("rng = random.Random(0)", "rng = random.Random(1)"))
    edited = stack.up()
    changed = sorted((s.op, s.name) for s in edited.changed())
    assert changed == [
        ("delete-replaced", "train"),
        ("delete-replaced", "trainer"),
        ("replace", "train"),
        ("replace", "trainer"),
    ]
    assert registry.builds_started() == builds + 1
    assert edited.outputs["image_uri"] != outputs["image_uri"]

    job_name = edited.outputs["job_name"]
    stack.refresh()
    assert stack.resources("vertex:CustomJob")["train"]["outputs"]["state"] == (
        "JOB_STATE_SUCCEEDED"
    )

    stack.destroy()
    assert stack.state["resources"] == {}
    assert custom_job_api.get_job(job_name) is None
    # images stay in the registry: jobs elsewhere may still run them
    digest = edited.outputs["image_uri"].split("@", 1)[1]
    path = repository.split("/", 1)[1]
    request = urllib.request.Request(
        f"http://127.0.0.1:5000/v2/{path}/trainer/manifests/{digest}",
        method="HEAD",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
