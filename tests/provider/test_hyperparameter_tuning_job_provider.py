"""HyperparameterTuningJobProvider called directly against the emulator (real Docker).

Trials run tests/emulator/hyperparameter_tuning_jobs/hpt_trainer.py, which scores
``--x=N`` with a known function: the best trial is known before the study runs.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import custom_job_api, job_api
from pulumi_vertex_training.provider.hyperparameter_tuning_job import (
    HyperparameterTuningJobProvider,
)
from pulumi_vertex_training.provider.hyperparameter_tuning_job_api import TUNING_JOBS
from tests.provider.tuning_props import trial_job_spec, tuning_props

pytestmark = pytest.mark.usefixtures("emulator")

provider = HyperparameterTuningJobProvider()


def checked(props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


def _labelled(props: dict[str, Any]) -> list[str]:
    _, digest, resource_hash = provider.identity(props)
    listed = client.job_service_client("us-central1").list_hyperparameter_tuning_jobs(
        request={
            "parent": "projects/test-project/locations/us-central1",
            "filter": f'labels.{job_api.SPEC_HASH_LABEL}="{digest}" AND '
            f'labels.{job_api.RESOURCE_LABEL}="{resource_hash}"',
        }
    )
    return [job.name for job in listed]


def test_a_completed_study_outputs_its_trials_and_the_best_one_by_the_goal(emulator: Any) -> None:
    # score (x - 2)^2 over x in 1..3, MINIMIZE: trial x=2 scores 0 and is the best
    result = provider.create(checked(tuning_props(wait="completed")))
    outs = result.outs
    try:
        assert result.id.startswith(
            "projects/test-project/locations/us-central1/hyperparameterTuningJobs/"
        )
        assert outs["state"] == "JOB_STATE_SUCCEEDED" and outs["error"] is None
        assert outs["job_id"] == result.id.rsplit("/", 1)[1]
        # against the emulator, the console URL is the emulator's own console page
        assert outs["console_url"] == f"http://{emulator.rest_address}/console/{result.id}"
        with urllib.request.urlopen(outs["console_url"]) as page:  # the console's tuning page
            assert page.status == 200 and outs["display_name"] in page.read().decode()
        assert len(outs["spec_hash"]) == 32
        assert outs["start_time"] and outs["end_time"] and outs["create_time"]
        by_x = {t["parameters"]["x"]: t for t in outs["trials"]}
        assert sorted(by_x) == [1, 2, 3]  # INTEGER parameters come out as ints
        assert {t["state"] for t in outs["trials"]} == {"SUCCEEDED"}
        assert by_x[1]["final_measurement"] == {"step_count": 2, "metrics": {"score": 1.0}}
        assert all(t["custom_job"].split("/")[-2] == "customJobs" for t in outs["trials"])
        assert outs["best_trial"] == by_x[2]

        read = provider.read(result.id, outs)
        assert read.id == result.id and read.outs["best_trial"] == by_x[2]

        # .get(): nothing but the id is known; the inputs come from the live job
        got = provider.read(result.id, {"project": None, "location": None})
        assert got.outs["study_spec"] == outs["study_spec"]
        assert got.outs["trial_job_spec"] == outs["trial_job_spec"]
        assert (got.outs["max_trial_count"], got.outs["parallel_trial_count"]) == (3, 3)
        assert (got.outs["wait"], got.outs["on_delete"]) == ("none", "keep")
    finally:
        provider.delete(result.id, outs)
    assert job_api.get(TUNING_JOBS, result.id) is None
    for trial in outs["trials"]:  # the trials' CustomJobs went with it
        assert custom_job_api.get_job(trial["custom_job"]) is None


def test_create_adopts_the_study_a_crashed_run_submitted(emulator: Any) -> None:
    props = checked(tuning_props("x", wait="none"))
    first = provider.create(props)
    try:
        creates = emulator.calls["create_hyperparameter_tuning_job"]
        again = provider.create(props)  # as a retried `up` whose first answer was lost
        assert again.id == first.id
        assert emulator.calls["create_hyperparameter_tuning_job"] == creates
        assert _labelled(props) == [first.id]
        other = provider.create({**props, "resource_key": "tests/dev/another-resource"})
        assert other.id != first.id  # the same spec under another name is another study
        provider.delete(other.id, other.outs)
    finally:
        provider.delete(first.id, first.outs)


def test_a_study_whose_trials_all_crash_fails_saying_why(emulator: Any) -> None:
    props = tuning_props(
        "x",
        wait="completed",
        study_spec={
            "metrics": [{"metric_id": "score", "goal": "MAXIMIZE"}],
            "parameters": [
                {"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 2}}
            ],
            "algorithm": "GRID_SEARCH",
        },
        max_trial_count=2,
        parallel_trial_count=1,
        trial_job_spec=trial_job_spec("--fail-if", "True"),
    )
    with pytest.raises(job_api.JobFailedError) as raised:
        provider.create(checked(props))
    message = str(raised.value)
    name = props["display_name"]
    assert f'HyperparameterTuningJob "{name}" (projects/test-project/' in message
    assert "ended JOB_STATE_FAILED" in message
    assert "No trial succeeded" in message
    assert "Trials: 2 of 2 failed (INFEASIBLE), 0 succeeded" in message
    assert "Last failed trial 2 (x=2), its CustomJob:" in message
    # the last failed trial's CustomJob, its failing replica and its last lines
    assert f'CustomJob "{name}-trial-2" (projects/test-project/' in message
    assert "Replica workerpool0-0 exited with status 1." in message
    assert "failing on purpose {'x': 2}" in message
    assert "All logs: vertex-local logs " in message
    console = f"http://{emulator.rest_address}/console/projects/test-project/locations/"
    assert f"Console: {console}us-central1/hyperparameterTuningJobs/" in message
    assert f"    Console: {console}us-central1/customJobs/" in message  # the trial's
    for job in _labelled(checked(props)):  # the failed study stays in Vertex AI until destroy
        provider.delete(job, {})


def test_wait_started_returns_when_a_trial_runs_and_destroy_cancels_the_study() -> None:
    props = tuning_props(wait="started", trial_job_spec=trial_job_spec("--sleep", "120"))
    result = provider.create(checked(props))
    try:
        assert result.outs["state"] == "JOB_STATE_RUNNING"
        trials = job_api.get(TUNING_JOBS, result.id).trials  # type: ignore[union-attr]
        children = [t.custom_job for t in trials if t.custom_job]
        assert children
    finally:
        provider.delete(result.id, result.outs)
    assert job_api.get(TUNING_JOBS, result.id) is None
    assert all(custom_job_api.get_job(c) is None for c in children)


def test_delete_with_on_delete_keep_leaves_the_study() -> None:
    props = checked(tuning_props("x", wait="none", on_delete="keep"))
    result = provider.create(props)
    provider.delete(result.id, {**result.outs, "on_delete": "keep"})
    assert job_api.get(TUNING_JOBS, result.id) is not None
    provider.delete(result.id, {**result.outs, "on_delete": "cancel"})
    assert job_api.get(TUNING_JOBS, result.id) is None
