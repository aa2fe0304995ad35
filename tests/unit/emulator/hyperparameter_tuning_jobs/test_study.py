"""A study driven against a scripted CustomJob backend (no Docker): failed-trial rules."""

from __future__ import annotations

import pathlib
from typing import Any

from google.cloud.aiplatform_v1 import CustomJob, HyperparameterTuningJob, JobState, Trial

from pulumi_vertex_training.emulator.exceptions import FailedPrecondition
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs.backend import TuningBackend
from pulumi_vertex_training.emulator.store import Store

PARENT = "projects/p/locations/us-central1"


class ScriptedJobs:
    """CustomJobs that end in the state the test scripts (FAILED unless told otherwise)."""

    def __init__(self, outcome: int = JobState.JOB_STATE_FAILED) -> None:
        self.outcome = outcome
        self.jobs: dict[str, Any] = {}

    def create_custom_job(self, parent: str, custom_job: CustomJob) -> CustomJob:
        name = f"{parent}/customJobs/{len(self.jobs) + 1}"
        self.jobs[name] = CustomJob(name=name, state=self.outcome, error={"message": "boom"})
        return self.jobs[name]

    def get_custom_job(self, name: str) -> CustomJob:
        return self.jobs[name]

    def cancel_custom_job(self, name: str) -> None:
        raise FailedPrecondition("finished")

    def delete_custom_job(self, name: str) -> None:
        del self.jobs[name]


def _run(tmp_path: pathlib.Path, jobs: ScriptedJobs, **fields: Any) -> Any:
    backend = TuningBackend(Store(tmp_path / "state.db"), tmp_path)
    backend.attach_jobs(jobs)
    job = {
        "display_name": "t",
        "max_trial_count": 4,
        "parallel_trial_count": 1,
        "study_spec": {
            "metrics": [{"metric_id": "m"}],
            "parameters": [{"parameter_id": "x", "discrete_value_spec": {"values": [1, 2]}}],
        },
        "trial_job_spec": {"worker_pool_specs": [{
            "machine_spec": {"machine_type": "n1-standard-4"},
            "container_spec": {"image_uri": "i", "args": ["--fixed"]}}]},
        **fields,
    }  # fmt: skip
    name = backend.create_hyperparameter_tuning_job(PARENT, HyperparameterTuningJob(job)).name
    for _ in range(8):
        backend.poll_once()
    return backend.get_hyperparameter_tuning_job(name)


def test_zero_max_failed_runs_every_trial_and_fails_when_none_succeeded(
    tmp_path: pathlib.Path,
) -> None:
    job = _run(tmp_path, ScriptedJobs())
    assert len(job.trials) == 4 and all(t.state == Trial.State.INFEASIBLE for t in job.trials)
    assert job.state == JobState.JOB_STATE_FAILED
    assert "No trial succeeded" in job.error.message and "boom" in job.error.message


def test_the_study_stops_at_max_failed(tmp_path: pathlib.Path) -> None:
    job = _run(tmp_path, ScriptedJobs(), max_failed_trial_count=2)
    assert len(job.trials) == 2
    assert job.state == JobState.JOB_STATE_FAILED
    assert "max_failed_trial_count (2)" in job.error.message


def test_a_succeeded_trial_without_metrics_is_infeasible_saying_which_metric(
    tmp_path: pathlib.Path,
) -> None:
    jobs = ScriptedJobs(JobState.JOB_STATE_SUCCEEDED)
    job = _run(tmp_path, jobs, max_trial_count=1)
    assert "reported no value of metric 'm'" in job.trials[0].infeasible_reason
    child = jobs.jobs[job.trials[0].custom_job]
    assert child.name.endswith("/customJobs/1")


def test_random_default_algorithm_appends_args_after_the_fixed_ones(tmp_path: pathlib.Path) -> None:
    created: list[Any] = []

    class Recording(ScriptedJobs):
        def create_custom_job(self, parent: str, custom_job: CustomJob) -> CustomJob:
            created.append(custom_job)
            return super().create_custom_job(parent, custom_job)

    _run(tmp_path, Recording(), max_trial_count=1)
    args = list(created[0].job_spec.worker_pool_specs[0].container_spec.args)
    assert args[0] == "--fixed" and args[1] in ("--x=1.0", "--x=2.0")
    assert created[0].display_name == "t-trial-1"
