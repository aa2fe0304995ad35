"""Durability of a study: `vertex-local serve` SIGKILLed mid-study and restarted on its data dir.

No trial is lost: the running trials' CustomJobs are reattached and finish, the trials
not started yet start, and the study ends with every trial of its grid.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud.aiplatform_v1 import JobState, Trial

from tests.emulator.hyperparameter_tuning_jobs.test_service import params, tuning_job
from tests.emulator.test_restart import ServeProcess

pytestmark = pytest.mark.docker

PARENT = "projects/restart-project/locations/us-central1"


@pytest.fixture
def serves(tmp_path: pathlib.Path, docker_client: Any) -> Iterator[list[ServeProcess]]:
    """Started processes on one data dir; each is stopped after the test."""
    started: list[ServeProcess] = []
    yield started
    for process in started:
        process.stop()


def _wait(serve: ServeProcess, name: str, ok: Any, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = serve.client.get_hyperparameter_tuning_job(name=name)
        if ok(job):
            return job
        assert time.monotonic() < deadline, f"{name} still {job.state.name}: {job.error}"
        time.sleep(0.2)


@pytest.mark.slow
def test_study_loses_no_trial_when_the_emulator_is_killed_mid_study(
    serves: list[ServeProcess], tmp_path: pathlib.Path
) -> None:
    data_dir = tmp_path / "vertex-local"
    data_dir.mkdir()
    first = ServeProcess(data_dir).start()
    serves.append(first)
    grid = [{"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 4}}]
    spec = tuning_job(grid, "x", max_trials=4, parallel=2, extra_args=("--sleep", "6"))
    created = first.client.create_hyperparameter_tuning_job(
        parent=PARENT, hyperparameter_tuning_job=spec
    )

    def two_running(job: Any) -> bool:
        return len(job.trials) == 2 and all(
            first.client.get_custom_job(name=t.custom_job).state == JobState.JOB_STATE_RUNNING
            for t in job.trials
            if t.custom_job
        )

    before = _wait(first, created.name, two_running)
    first.kill()

    second = ServeProcess(data_dir).start()
    serves.append(second)
    done = _wait(second, created.name, lambda j: j.state == JobState.JOB_STATE_SUCCEEDED)
    assert [params(t) for t in done.trials] == [{"x": float(x)} for x in (1, 2, 3, 4)]
    assert [t.custom_job for t in done.trials[:2]] == [t.custom_job for t in before.trials]
    assert all(t.state == Trial.State.SUCCEEDED for t in done.trials)
    assert [t.final_measurement.metrics[0].value for t in done.trials] == [1.0, 2.0, 3.0, 4.0]
