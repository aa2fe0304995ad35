"""examples/tuning in-process against the emulator: preview, up (6 trials, 2 at a time, the
best one the trainer's own function predicts), a second up that builds and submits
nothing, an edit to the trials' args (a new study on the same image, a new best trial),
refresh, destroy. And a study whose trials all crash fails the deployment saying so."""

from __future__ import annotations

import importlib.util
import itertools
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training.emulator.execution import cluster
from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.provider import job_api
from pulumi_vertex_training.provider.hyperparameter_tuning_job_api import TUNING_JOBS
from pulumi_vertex_training.testing import ProgramRunner, load_project

pytestmark = pytest.mark.docker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tuning"
MUTATING = (
    "create_custom_job",
    "cancel_custom_job",
    "delete_custom_job",
    "create_hyperparameter_tuning_job",
    "cancel_hyperparameter_tuning_job",
    "delete_hyperparameter_tuning_job",
)
GRID = {"learning_rate": [0.01, 0.03, 0.1], "optimizer": ["sgd", "momentum"]}


def mutating_calls(emulator: Any) -> int:
    return sum(emulator.calls[name] for name in MUTATING)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "tuning"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".pulumi-state", "__pycache__"))
    return copy


def expected_best(project: Path, epochs: int) -> tuple[dict[str, Any], float]:
    """The grid point with the lowest validation loss, by the trainer's own function."""
    spec = importlib.util.spec_from_file_location(
        "tuning_model", project / "src" / "trainer" / "model.py"
    )
    assert spec is not None and spec.loader is not None
    model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model)
    results = [
        (model.train(lr, optimizer, epochs)[0], {"learning_rate": lr, "optimizer": optimizer})
        for lr, optimizer in itertools.product(GRID["learning_rate"], GRID["optimizer"])
    ]
    loss, parameters = min(results, key=lambda r: r[0])
    return parameters, loss


def most_at_once(job_name: str) -> int:
    """The most trials of the job that ran at the same time."""
    job = job_api.get(TUNING_JOBS, job_name)
    assert job is not None
    events = sorted(
        [(t.start_time.timestamp(), 1) for t in job.trials]
        + [(t.end_time.timestamp(), -1) for t in job.trials]
    )
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


@pytest.mark.slow
def test_tuning_example_finds_the_best_trial_and_only_reruns_what_changed(
    emulator: Any, project: Path
) -> None:
    name, program, config = load_project(project, "local")
    repository = f"127.0.0.1:5000/e2e-tuning-{uuid.uuid4().hex[:8]}"
    bucket = f"e2e-tuning-{uuid.uuid4().hex[:8]}"
    config[f"{name}:repository"] = repository
    config[f"{name}:output_dir"] = f"gs://{bucket}/runs"
    stack = ProgramRunner(program, project=name, stack="local", config=config)

    assert sorted(stack.preview().ops()) == [("create", "trainer"), ("create", "trainer"),
                                             ("create", "tune")]  # fmt: skip
    assert stack.state["resources"] == {}

    outputs = stack.up().outputs
    assert outputs["job_state"] == "JOB_STATE_SUCCEEDED"
    assert outputs["image_uri"].startswith(f"{repository}/trainer@sha256:")
    assert outputs["trial_count"] == 6
    best = outputs["best_trial"]
    parameters, loss = expected_best(project, epochs=30)
    assert best["parameters"] == parameters
    assert best["final_measurement"]["metrics"]["val_loss"] == pytest.approx(loss, rel=1e-12)
    assert best["final_measurement"]["step_count"] == 30
    job_name = outputs["job_name"]
    trials = stack.resources("vertex:HyperparameterTuningJob")["tune"]["outputs"]["trials"]
    points = sorted(
        (t["parameters"]["learning_rate"], t["parameters"]["optimizer"]) for t in trials
    )
    assert points == sorted(itertools.product(GRID["learning_rate"], GRID["optimizer"]))
    assert most_at_once(job_name) == 2  # parallel_trial_count
    assert outputs["best_model_dir"] == f"gs://{bucket}/runs/{best['id']}/model/"
    saved = cluster.gcs_root(emulator.data_dir) / bucket / "runs" / best["id"] / "model"
    assert json.loads((saved / "model.json").read_text())["optimizer"] == parameters["optimizer"]

    builds, calls = registry.builds_started(), mutating_calls(emulator)
    again = stack.up()
    assert {s.op for s in again.steps} == {"same"}
    assert registry.builds_started() == builds
    assert mutating_calls(emulator) == calls

    # an edit to the trials' args: a new study replaces the old one, the image stays
    stack.config[f"{name}:epochs"] = "60"
    edited = stack.up()
    changed = sorted((s.op, s.name) for s in edited.changed())
    assert changed == [("delete-replaced", "tune"), ("replace", "tune")]
    assert registry.builds_started() == builds
    assert edited.outputs["image_uri"] == outputs["image_uri"]
    parameters_60, _ = expected_best(project, epochs=60)
    assert parameters_60 != parameters  # the example is chosen so that the winner moves
    assert edited.outputs["best_trial"]["parameters"] == parameters_60
    assert job_api.get(TUNING_JOBS, job_name) is None  # the replaced study was deleted

    stack.refresh()
    refreshed = stack.resources("vertex:HyperparameterTuningJob")["tune"]["outputs"]
    assert refreshed["state"] == "JOB_STATE_SUCCEEDED"
    assert refreshed["best_trial"] == edited.outputs["best_trial"]

    stack.destroy()
    assert stack.state["resources"] == {}
    assert job_api.get(TUNING_JOBS, edited.outputs["job_name"]) is None


def test_a_study_whose_trials_all_crash_fails_the_deployment_saying_so(emulator: Any) -> None:
    crash = "import sys; print('loss is nan at step 3', file=sys.stderr); sys.exit(2)"

    def program() -> None:
        tuning = vt.HyperparameterTuningJob(
            "crashing",
            study_spec=vt.StudySpecArgs(
                metrics=[vt.MetricSpecArgs(metric_id="val_loss", goal="MINIMIZE")],
                parameters=[
                    vt.ParameterSpecArgs(
                        parameter_id="units",
                        integer_value_spec=vt.IntegerValueSpecArgs(min_value=1, max_value=2),
                    )
                ],
                algorithm="GRID_SEARCH",
            ),
            trial_job_spec=vt.CustomJobSpecArgs(
                worker_pool_specs=[
                    vt.WorkerPoolSpecArgs(
                        machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
                        container_spec=vt.ContainerSpecArgs(
                            image_uri="local/python:3.11", command=["python", "-c", crash]
                        ),
                    )
                ],
            ),
            max_trial_count=2,
            parallel_trial_count=2,
            wait="completed",
        )
        pulumi.export("state", tuning.state)

    config = {"gcp:project": "e2e-tuning", "gcp:region": "us-central1"}
    stack = ProgramRunner(program, config=config)
    with pytest.raises(Exception, match="ended JOB_STATE_FAILED") as raised:
        stack.up()
    message = str(raised.value)
    assert 'HyperparameterTuningJob "crashing"' in message
    assert "No trial succeeded" in message
    assert "Trials: 2 of 2 failed (INFEASIBLE), 0 succeeded" in message
    assert 'CustomJob "crashing-trial-' in message
    assert "Replica workerpool0-0 exited with status 2." in message
    assert "loss is nan at step 3" in message  # the crashing trial's own last line
    assert "All logs: vertex-local logs " in message
    assert stack.resources("vertex:HyperparameterTuningJob") == {}  # a failed create: none
