"""A program with a TrainingPipeline and a Model, in-process against the emulator with real
containers: preview, up (the trainer saves a model, the pipeline uploads it, the Model
registers it), a no-op up with no mutating RPC, an edit (the Model's labels in place; the
pipeline's spec replaces it, and the Model gets a new version of the same model), destroy.
And a pipeline whose trainer fails: PIPELINE_STATE_FAILED, the deployment fails with the
job's error and the failing replica's last lines."""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training.provider import job_api, model_api
from pulumi_vertex_training.provider.custom_job_api import CUSTOM_JOBS
from pulumi_vertex_training.provider.training_pipeline_api import TRAINING_PIPELINES
from pulumi_vertex_training.testing import ProgramRunner

pytestmark = pytest.mark.docker

CONFIG = {"gcp:project": "e2e-project", "gcp:region": "us-central1"}
IMAGE = "local/python:3.11"
MUTATING = (
    "create_training_pipeline",
    "cancel_training_pipeline",
    "delete_training_pipeline",
    "create_custom_job",
    "cancel_custom_job",
    "delete_custom_job",
    "upload_model",
    "update_model",
    "merge_version_aliases",
    "delete_model",
    "delete_model_version",
)
TRAINER = (
    "import json, os; d = os.environ['AIP_MODEL_DIR'].replace('gs://', '/gcs/', 1); "
    "os.makedirs(d, exist_ok=True); json.dump({{'w': {w}}}, open(os.path.join(d, 'model.json'), "
    "'w')); print('saved the model to', os.environ['AIP_MODEL_DIR'])"
)


def job_spec(code: str, output: str) -> vt.CustomJobSpecArgs:
    return vt.CustomJobSpecArgs(
        worker_pool_specs=[
            vt.WorkerPoolSpecArgs(
                machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
                replica_count=1,
                container_spec=vt.ContainerSpecArgs(
                    image_uri=IMAGE, command=["python", "-c", code]
                ),
            )
        ],
        base_output_directory=vt.GcsDestinationArgs(output_uri_prefix=output),
    )


def make_program(output: str, w: int = 3, team: str = "a"):  # type: ignore[no-untyped-def]
    def program() -> None:
        pipeline = vt.TrainingPipeline(
            "train",
            job_spec=job_spec(TRAINER.format(w=w), output),
            model_to_upload=vt.ModelArgs(
                display_name="e2e-trained",
                container_spec=vt.ModelContainerSpecArgs(image_uri=IMAGE),
            ),
            wait="completed",
        )
        model = vt.Model(
            "served",
            artifact_uri=pipeline.model_dir,
            container_spec=vt.ModelContainerSpecArgs(image_uri=IMAGE, predict_route="/predict"),
            labels={"team": team},
            version_aliases=["prod"],
            triggers=[pipeline.id],
        )
        pulumi.export("state", pipeline.state)
        pulumi.export("trained_model", pipeline.model_name)
        pulumi.export("trained_version", pipeline.model_version_id)
        pulumi.export("backing_job", pipeline.backing_custom_job)
        pulumi.export("model", model.name)
        pulumi.export("version", model.version_id)

    return program


def mutating_calls(emulator: Any) -> dict[str, int]:
    return {name: emulator.calls[name] for name in MUTATING if emulator.calls[name]}


def test_pipeline_and_model_lifecycle_against_the_emulator(emulator: Any) -> None:
    output = f"gs://e2e-{uuid.uuid4().hex[:8]}/run"
    stack = ProgramRunner(make_program(output), project="e2e", stack="dev", config=CONFIG)

    before = mutating_calls(emulator)
    assert sorted(stack.preview().ops()) == [("create", "served"), ("create", "train")]
    assert mutating_calls(emulator) == before

    up = stack.up()
    outputs = up.outputs
    assert outputs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert outputs["trained_version"] == "1"
    trained = model_api.get(outputs["trained_model"])
    assert trained.display_name == "e2e-trained" and trained.artifact_uri == f"{output}/model"
    served = model_api.get(outputs["model"])
    assert outputs["version"] == "1" and served.artifact_uri == f"{output}/model/"
    assert sorted(served.version_aliases) == ["default", "prod"]
    first_pipeline = stack.resources("TrainingPipeline")["train"]["id"]

    calls = mutating_calls(emulator)
    again = stack.up()
    assert {s.op for s in again.steps} == {"same"}
    assert mutating_calls(emulator) == calls

    stack.program = make_program(output, team="b")  # the Model's labels: in place
    relabelled = stack.up()
    assert sorted(relabelled.ops()) == [("same", "train"), ("update", "served")]
    made = {k: v - calls.get(k, 0) for k, v in mutating_calls(emulator).items()}
    assert {k: v for k, v in made.items() if v} == {"update_model": 1}
    assert model_api.get(outputs["model"]).labels["team"] == "b"

    stack.program = make_program(output, w=4, team="b")  # the trainer: a new run
    edited = stack.up()
    changed = sorted((s.op, s.name) for s in edited.changed())
    assert changed == [("delete-replaced", "train"), ("replace", "train"), ("update", "served")]
    second_pipeline = stack.resources("TrainingPipeline")["train"]["id"]
    assert second_pipeline != first_pipeline
    assert job_api.get(TRAINING_PIPELINES, first_pipeline) is None
    assert edited.outputs["model"] == outputs["model"]  # the same model, a new version
    assert edited.outputs["version"] == "2"
    assert edited.outputs["trained_model"] != outputs["trained_model"]

    stack.destroy()
    assert stack.state["resources"] == {}
    assert job_api.get(TRAINING_PIPELINES, second_pipeline) is None
    assert job_api.get(CUSTOM_JOBS, edited.outputs["backing_job"]) is None
    assert model_api.get(outputs["model"]) is None
    # what the pipelines uploaded stays in the registry, as Vertex AI leaves it
    assert model_api.get(edited.outputs["trained_model"]) is not None


def test_a_failing_trainer_fails_the_pipeline_and_the_deployment(emulator: Any) -> None:
    code = (
        "import sys\nfor step in range(40): print(f'step {step}', flush=True)\n"
        "raise ValueError('loss is nan at step 39')"
    )

    def program() -> None:
        vt.TrainingPipeline(
            "doomed",
            job_spec=job_spec(code, f"gs://e2e-{uuid.uuid4().hex[:8]}/run"),
            model_to_upload={"container_spec": {"image_uri": IMAGE}},
            wait="completed",
        )

    stack = ProgramRunner(program, config=CONFIG)
    with pytest.raises(Exception) as raised:
        stack.up()
    message = str(raised.value)
    assert 'TrainingPipeline "doomed"' in message and "PIPELINE_STATE_FAILED" in message
    assert "JOB_STATE_FAILED" in message
    assert "The replica workerpool0-0 exited with a non-zero status of 1" in message
    assert "Last 30 lines of workerpool0-0:" in message
    assert "ValueError: loss is nan at step 39" in message
    assert "step 39" in message and "step 0\n" not in message  # the tail, not everything
    listed = TRAINING_PIPELINES.client("us-central1").list_training_pipelines(
        parent="projects/e2e-project/locations/us-central1"
    )
    failed = [p for p in listed if p.display_name == "doomed"]
    assert failed and failed[0].state.name == "PIPELINE_STATE_FAILED"
    stack.destroy()
