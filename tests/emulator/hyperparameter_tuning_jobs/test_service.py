"""HyperparameterTuningJobs through the official client: studies run for real in Docker.

Each trial runs ``hpt_trainer.py``, which scores its parameters with a known function
and reports the score in cloudml-hypertune's file format.
"""

from __future__ import annotations

import itertools
import json
import pathlib
import time
import urllib.request
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState, Trial

from pulumi_vertex_training.emulator.execution.cluster import gcs_root

pytestmark = pytest.mark.docker

PARENT = "projects/tuning-project/locations/us-central1"
TRAINER = (pathlib.Path(__file__).parent / "hpt_trainer.py").read_text()
BUCKET = "hpt-outputs"
TERMINAL = (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED)
_names = itertools.count()


def tuning_job(
    parameters: list[dict[str, Any]],
    score: str,
    *,
    algorithm: str = "GRID_SEARCH",
    goal: str = "MAXIMIZE",
    max_trials: int = 6,
    parallel: int = 2,
    max_failed: int = 0,
    extra_args: tuple[str, ...] = (),
    display_name: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A HyperparameterTuningJob dict whose trials run the test trainer."""
    name = display_name or f"hpt-{next(_names)}"
    return {
        "display_name": name,
        "labels": labels or {},
        "max_trial_count": max_trials,
        "parallel_trial_count": parallel,
        "max_failed_trial_count": max_failed,
        "study_spec": {
            "algorithm": algorithm,
            "measurement_selection_type": "BEST_MEASUREMENT",
            "metrics": [{"metric_id": "score", "goal": goal}],
            "parameters": parameters,
        },
        "trial_job_spec": {
            "base_output_directory": {"output_uri_prefix": f"gs://{BUCKET}/{name}"},
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {
                        "image_uri": "local/python:3.11",
                        "command": ["python", "-c", TRAINER],
                        "args": ["--score", score, *extra_args],
                    },
                }
            ],
        },
    }


GRID = [
    {"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 3}},
    {"parameter_id": "act", "categorical_value_spec": {"values": ["relu", "tanh"]}},
]
GRID_SCORE = "-(x - 2) ** 2 + (0.5 if act == 'relu' else 0.0)"


def wait(job_client: Any, name: str, *states: int, timeout: float = 180) -> Any:
    """Poll GetHyperparameterTuningJob until the job is in one of ``states`` (or finished)."""
    wanted = states or TERMINAL
    deadline = time.monotonic() + timeout
    while True:
        job = job_client.get_hyperparameter_tuning_job(name=name)
        if job.state in wanted:
            return job
        assert time.monotonic() < deadline, f"{name} still {job.state.name}: {job.error}"
        time.sleep(0.2)


def params(trial: Any) -> dict[str, Any]:
    return {p.parameter_id: p.value for p in trial.parameters}


@pytest.fixture(scope="module")
def grid_job(job_client: Any) -> Any:
    """A finished 6-point grid study run 2 trials at a time."""
    spec = tuning_job(GRID, GRID_SCORE, display_name="hpt-grid", labels={"study": "grid"})
    created = job_client.create_hyperparameter_tuning_job(
        parent=PARENT, hyperparameter_tuning_job=spec
    )
    assert created.state == JobState.JOB_STATE_QUEUED
    return wait(job_client, created.name)


def test_grid_study_runs_every_point_once_in_order_and_finds_the_best(grid_job: Any) -> None:
    assert grid_job.state == JobState.JOB_STATE_SUCCEEDED, grid_job.error
    expected = [{"x": float(x), "act": a} for x in (1, 2, 3) for a in ("relu", "tanh")]
    assert [params(t) for t in grid_job.trials] == expected
    assert [t.id for t in grid_job.trials] == ["1", "2", "3", "4", "5", "6"]
    assert all(t.state == Trial.State.SUCCEEDED for t in grid_job.trials)
    finals = {t.id: t.final_measurement.metrics[0].value for t in grid_job.trials}
    for trial in grid_job.trials:
        p = params(trial)
        assert finals[trial.id] == eval(GRID_SCORE, {}, {"x": p["x"], "act": p["act"]})
    best = max(grid_job.trials, key=lambda t: t.final_measurement.metrics[0].value)
    assert params(best) == {"x": 2.0, "act": "relu"}
    assert len(best.measurements) == 2  # both reports, as measurements
    assert best.final_measurement.step_count == 2  # BEST_MEASUREMENT under MAXIMIZE


def test_each_trial_is_a_custom_job_with_the_trial_env_and_output_dir(
    grid_job: Any, job_client: Any, emulator: Any
) -> None:
    trial = grid_job.trials[3]
    child = job_client.get_custom_job(name=trial.custom_job)
    assert child.state == JobState.JOB_STATE_SUCCEEDED
    assert list(child.job_spec.worker_pool_specs[0].container_spec.args)[-2:] == [
        "--x=2",
        "--act=tanh",
    ]
    base = f"gs://{BUCKET}/hpt-grid/{trial.id}"
    assert child.job_spec.base_output_directory.output_uri_prefix == base
    seen_file = gcs_root(emulator.data_dir) / BUCKET / "hpt-grid" / trial.id / "model" / "seen.json"
    seen = json.loads(seen_file.read_text())
    assert seen["trial_env"] == trial.id
    assert seen["cluster_task"]["trial"] == trial.id
    assert seen["tf_task"]["trial"] == trial.id
    assert seen["model_dir"] == f"{base}/model/"


def test_list_filters_tuning_jobs_by_state_labels_and_name(grid_job: Any, job_client: Any) -> None:
    def listed(text: str) -> list[Any]:
        request = aiplatform_v1.ListHyperparameterTuningJobsRequest(parent=PARENT, filter=text)
        return list(job_client.list_hyperparameter_tuning_jobs(request=request))

    found = listed('labels.study="grid" AND state="JOB_STATE_SUCCEEDED"')
    assert [j.name for j in found] == [grid_job.name]
    assert [t.id for t in found[0].trials] == [t.id for t in grid_job.trials]
    assert listed('display_name="nope"') == []
    with pytest.raises(exceptions.InvalidArgument):
        listed("state=BOGUS")


def test_random_search_gives_the_same_trials_to_the_same_study_spec(job_client: Any) -> None:
    parameters = [
        {"parameter_id": "lr", "double_value_spec": {"min_value": 1e-4, "max_value": 1e-1},
         "scale_type": "UNIT_LOG_SCALE"},
        {"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 100}},
    ]  # fmt: skip
    names = [
        job_client.create_hyperparameter_tuning_job(
            parent=PARENT,
            hyperparameter_tuning_job=tuning_job(
                parameters, "x * lr", algorithm="RANDOM_SEARCH", max_trials=2, parallel=2
            ),
        ).name
        for _ in range(2)
    ]
    first, second = (wait(job_client, n) for n in names)
    assert first.state == second.state == JobState.JOB_STATE_SUCCEEDED
    assert [params(t) for t in first.trials] == [params(t) for t in second.trials]
    for trial in first.trials:
        p = params(trial)
        assert 1e-4 <= p["lr"] <= 1e-1 and 1 <= p["x"] <= 100 and p["x"] == int(p["x"])


def test_crashing_trials_are_infeasible_and_stop_the_study_at_max_failed(
    job_client: Any,
) -> None:
    parameters = [{"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 5}}]
    spec = tuning_job(
        parameters, "x", max_trials=5, parallel=1, max_failed=2, extra_args=("--fail-if", "x >= 2")
    )
    created = job_client.create_hyperparameter_tuning_job(
        parent=PARENT, hyperparameter_tuning_job=spec
    )
    job = wait(job_client, created.name)
    assert job.state == JobState.JOB_STATE_FAILED
    assert "max_failed_trial_count (2)" in job.error.message
    assert [t.state for t in job.trials] == [
        Trial.State.SUCCEEDED,
        Trial.State.INFEASIBLE,
        Trial.State.INFEASIBLE,
    ]
    assert "exited with a non-zero status of 1" in job.trials[1].infeasible_reason
    assert "final_measurement" not in job.trials[1]
    for trial in job.trials:
        child = job_client.get_custom_job(name=trial.custom_job)
        assert child.state in TERMINAL


def test_cancel_stops_running_trials_and_starts_no_more(job_client: Any) -> None:
    spec = tuning_job(GRID, "x", max_trials=6, parallel=2, extra_args=("--sleep", "300"))
    created = job_client.create_hyperparameter_tuning_job(
        parent=PARENT, hyperparameter_tuning_job=spec
    )
    running = wait(job_client, created.name, JobState.JOB_STATE_RUNNING)
    job_client.cancel_hyperparameter_tuning_job(name=created.name)
    job = wait(job_client, created.name)
    assert job.state == JobState.JOB_STATE_CANCELLED
    assert job.error.code == 1
    assert len(job.trials) == 2 and len(running.trials) == 2
    for trial in job.trials:
        assert trial.state == Trial.State.INFEASIBLE
        child = job_client.get_custom_job(name=trial.custom_job)
        assert child.state == JobState.JOB_STATE_CANCELLED
    with pytest.raises(exceptions.FailedPrecondition):
        job_client.cancel_hyperparameter_tuning_job(name=created.name)


def test_delete_over_rest_is_a_done_operation_and_removes_the_trial_jobs(
    emulator: Any, job_client: Any
) -> None:
    rest = aiplatform_v1.JobServiceClient(
        transport="rest",
        client_options={"api_endpoint": f"http://{emulator.rest_address}"},
        credentials=_anonymous(),
    )
    parameters = [{"parameter_id": "x", "discrete_value_spec": {"values": [1.0, 2.0]}}]
    created = rest.create_hyperparameter_tuning_job(
        parent=PARENT,
        hyperparameter_tuning_job=tuning_job(parameters, "x", max_trials=2, parallel=2),
    )
    with pytest.raises(exceptions.BadRequest):  # not finished yet: FAILED_PRECONDITION
        rest.delete_hyperparameter_tuning_job(name=created.name)
    job = wait(rest, created.name)
    assert [params(t) for t in job.trials] == [{"x": 1.0}, {"x": 2.0}]
    operation = rest.delete_hyperparameter_tuning_job(name=created.name)
    operation.result(timeout=10)
    url = f"http://{emulator.rest_address}/ui/{operation.operation.name}"
    with urllib.request.urlopen(url) as answer:
        assert json.loads(answer.read())["done"] is True
    with pytest.raises(exceptions.NotFound):
        rest.get_hyperparameter_tuning_job(name=created.name)
    for trial in job.trials:
        with pytest.raises(exceptions.NotFound):
            job_client.get_custom_job(name=trial.custom_job)


def test_invalid_job_is_refused_naming_every_field(job_client: Any) -> None:
    spec = tuning_job(
        [{"parameter_id": "lr", "double_value_spec": {"min_value": 0.0, "max_value": 1.0},
          "scale_type": "UNIT_LOG_SCALE"}],
        "lr",
        max_trials=0,
    )  # fmt: skip
    with pytest.raises(exceptions.InvalidArgument) as info:
        job_client.create_hyperparameter_tuning_job(parent=PARENT, hyperparameter_tuning_job=spec)
    message = str(info.value)
    assert "hyperparameter_tuning_job.max_trial_count" in message
    assert "study_spec.parameters[0].scale_type" in message
    assert "study_spec.parameters[0]: GRID_SEARCH" in message


def _anonymous() -> Any:
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()
