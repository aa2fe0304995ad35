"""examples/pipeline in-process against the emulator: the trainer image is built and
pushed, the TrainingPipeline runs it to completion and uploads the model it saved, the
model is in the emulator's registry under the exported name and version; a second up
changes nothing; destroy removes the pipeline and its job and leaves the model."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path
from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.provider import job_api, model_api
from pulumi_vertex_training.provider.custom_job_api import CUSTOM_JOBS
from pulumi_vertex_training.provider.training_pipeline_api import TRAINING_PIPELINES
from pulumi_vertex_training.testing import ProgramRunner, load_project

pytestmark = pytest.mark.docker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pipeline"
MUTATING = ("create_training_pipeline", "create_custom_job", "upload_model", "update_model")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "pipeline"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".pulumi-state", "__pycache__"))
    return copy


def test_the_pipeline_example_trains_and_registers_its_model(emulator: Any, project: Path) -> None:
    name, program, config = load_project(project, "local")
    config[f"{name}:repository"] = f"127.0.0.1:5000/e2e-{uuid.uuid4().hex[:8]}"
    bucket = f"e2e-{uuid.uuid4().hex[:8]}"
    config[f"{name}:output_dir"] = f"gs://{bucket}/runs"
    stack = ProgramRunner(program, project=name, stack="local", config=config)

    assert set(stack.preview().ops()) == {("create", "train"), ("create", "trainer")}

    outputs = stack.up().outputs
    assert outputs["pipeline_state"] == "PIPELINE_STATE_SUCCEEDED"
    assert outputs["model_dir"] == f"gs://{bucket}/runs/model/"
    model = model_api.get(f"{outputs['model_name']}@{outputs['model_version_id']}")
    assert model is not None and outputs["model_version_id"] == "1"
    assert model.display_name == "linear-model" and "default" in model.version_aliases
    assert model.container_spec.predict_route == "/predict"
    assert model.training_pipeline == outputs["pipeline"]
    saved = json.loads(
        (gcs_local_path(emulator.data_dir, model.artifact_uri) / "model.json").read_text()
    )
    assert abs(saved["w"] - 3) < 0.1 and abs(saved["b"] - 2) < 0.1

    builds = registry.builds_started()
    calls = {k: emulator.calls[k] for k in MUTATING}
    assert {s.op for s in stack.up().steps} == {"same"}
    assert registry.builds_started() == builds
    assert {k: emulator.calls[k] for k in MUTATING} == calls

    stack.destroy()
    assert stack.state["resources"] == {}
    assert job_api.get(TRAINING_PIPELINES, outputs["pipeline"]) is None
    assert job_api.get(CUSTOM_JOBS, outputs["backing_custom_job"]) is None
    assert model_api.get(outputs["model_name"]) is not None  # the registry keeps it
    model_api.delete(outputs["model_name"])
