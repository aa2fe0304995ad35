"""HyperparameterTuning: the study from flat arguments (pure), check failures through the
component, and the component run in-process (image built, trials run, best trial out)."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training.components.hyperparameter_tuning import study_spec_of
from pulumi_vertex_training.testing import CheckFailed, ProgramRunner

CONFIG = {"gcp:project": "components", "gcp:region": "us-central1"}
X = vt.ParameterSpecArgs(
    parameter_id="x", integer_value_spec=vt.IntegerValueSpecArgs(min_value=1, max_value=2)
)


def test_metrics_as_a_mapping_keep_their_order_the_first_is_the_objective() -> None:
    spec = study_spec_of(None, {"loss": "MINIMIZE", "acc": "MAXIMIZE"}, [X], None, "BEST")
    assert spec["metrics"] == [
        {"metric_id": "loss", "goal": "MINIMIZE"},
        {"metric_id": "acc", "goal": "MAXIMIZE"},
    ]
    assert spec["parameters"] == [
        {"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 2}}
    ]
    assert spec["measurement_selection_type"] == "BEST"
    assert "algorithm" not in spec


def test_metrics_as_args_and_a_whole_study_spec_work_too() -> None:
    metric = vt.MetricSpecArgs(metric_id="acc", goal="MAXIMIZE")
    flat = study_spec_of(None, [metric], [X], "GRID_SEARCH", None)
    whole = study_spec_of(
        vt.StudySpecArgs(metrics=[metric], parameters=[X], algorithm="GRID_SEARCH"),
        None,
        None,
        None,
        None,
    )
    assert flat == whole


@pytest.mark.parametrize(
    ("study", "metrics", "parameters", "phrase"),
    [
        ({"metrics": []}, {"acc": "MAXIMIZE"}, None, "not both"),
        (None, {"acc": "MAXIMIZE"}, None, "metrics and parameters"),
        (None, None, None, "metrics and parameters"),
    ],
)
def test_the_study_is_given_one_way(study: Any, metrics: Any, parameters: Any, phrase: str) -> None:
    with pytest.raises(ValueError, match=phrase):
        study_spec_of(study, metrics, parameters, None, None)


@pytest.fixture
def trainer(tmp_path: Path) -> Path:
    """A trainer reporting ``score = 10 * x + len(args)`` in cloudml-hypertune's format."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "task.py").write_text(
        textwrap.dedent(
            """
            import json, os, sys, time
            args = sys.argv[1:]
            x = int(next(a for a in args if a.startswith("--x=")).split("=")[1])
            os.makedirs("/tmp/hypertune", exist_ok=True)
            line = {"score": str(10.0 * x + len(args)), "timestamp": time.time(),
                    "trial": os.environ["CLOUD_ML_TRIAL_ID"], "global_step": "1"}
            with open("/tmp/hypertune/output.metrics", "w") as f:
                f.write(json.dumps(line) + "\\n")
            print("args", args)
            """
        )
    )
    return source


def _program(trainer: Path, repository: str, **overrides: Any) -> Any:
    def program() -> None:
        arguments: dict[str, Any] = {
            "source_dir": str(trainer),
            "script": "task.py",
            "base_image": "local/python:3.11",
            "repository": repository,
            "worker_pools": [vt.WorkerPoolArgs(machine_type="n1-standard-4")],
            "args": ["--fixed", "1"],
            "metrics": {"score": "MAXIMIZE"},
            "parameters": [X],
            "algorithm": "GRID_SEARCH",
            "max_trial_count": 2,
            "parallel_trial_count": 2,
            "wait": "completed",
            **overrides,
        }
        tuning = vt.HyperparameterTuning("tune", **arguments)
        pulumi.export("state", tuning.state)
        pulumi.export("best", tuning.best_trial)
        pulumi.export("image_uri", tuning.image_uri)

    return program


def test_check_failures_through_the_component_name_the_tuning_jobs_fields(
    trainer: Path,
) -> None:
    wide = vt.ParameterSpecArgs(
        parameter_id="lr", double_value_spec=vt.DoubleValueSpecArgs(min_value=0.1, max_value=1)
    )
    program = _program(
        trainer,
        "127.0.0.1:5000/tests-never-built",
        parameters=[wide],  # a DOUBLE cannot be a grid
        worker_pools=[vt.WorkerPoolArgs(machine_type="n1-standard-3")],
        parallel_trial_count=3,
    )
    with pytest.raises(CheckFailed) as raised:
        ProgramRunner(program, config=CONFIG).preview()
    assert {path for path, _ in raised.value.failures} == {
        "study_spec.parameters[0]",
        "trial_job_spec.worker_pool_specs[0].machine_spec.machine_type",
        "parallel_trial_count",
    }


@pytest.mark.docker
def test_the_component_builds_the_image_and_tunes_with_it(emulator: Any, trainer: Path) -> None:
    repository = f"127.0.0.1:5000/tests-{uuid.uuid4().hex[:8]}"
    stack = ProgramRunner(_program(trainer, repository), config=CONFIG)
    assert sorted(stack.preview().ops()) == [
        ("create", "tune"),
        ("create", "tune"),
        ("create", "tune-image"),
        ("create", "tune-image"),
    ]
    result = stack.up()
    assert result.outputs["state"] == "JOB_STATE_SUCCEEDED"
    # the container's args come first, then the trial's parameter: 3 args in all
    best = result.outputs["best"]
    assert best["parameters"] == {"x": 2}
    assert best["final_measurement"]["metrics"] == {"score": 23.0}
    job = stack.resources("vertex:HyperparameterTuningJob")["tune"]["outputs"]
    (pool,) = job["trial_job_spec"]["worker_pool_specs"]
    assert pool["container_spec"]["image_uri"] == result.outputs["image_uri"]
    assert all(s.op == "same" for s in stack.up().steps)
    stack.destroy()
    assert stack.state["resources"] == {}
