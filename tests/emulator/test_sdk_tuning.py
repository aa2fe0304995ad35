"""The high-level SDK's ``HyperparameterTuningJob(...).run()`` over REST against the emulator.

Configured as in test_sdk.py: ``aiplatform.init(api_transport="rest", api_endpoint=...)``,
a made-up staging bucket (``CustomJob(...)`` only uses its name), and
``jobs._JOB_WAIT_TIME`` monkeypatched small (``run()`` polls with it).
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform import hyperparameter_tuning as hpt
from google.cloud.aiplatform import initializer, jobs

pytestmark = pytest.mark.docker

TRAINER = (
    pathlib.Path(__file__).parent / "hyperparameter_tuning_jobs" / "hpt_trainer.py"
).read_text()


@pytest.fixture
def sdk(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``aiplatform.init`` aimed at the emulator's REST port; restores the global config after."""
    monkeypatch.setattr(jobs, "_JOB_WAIT_TIME", 0.1)
    saved = dict(initializer.global_config.__dict__)
    aiplatform.init(
        project="test-project",
        location="us-central1",
        api_transport="rest",
        api_endpoint="http://" + emulator.rest_address,
        credentials=AnonymousCredentials(),
        staging_bucket="gs://vertex-local-staging",
    )
    try:
        yield
    finally:
        initializer.global_config.__dict__.clear()
        initializer.global_config.__dict__.update(saved)


def test_sdk_tuning_job_runs_and_returns_with_its_trials(sdk: None) -> None:
    trial_spec = aiplatform.CustomJob(
        display_name="sdk-trial",
        worker_pool_specs=[
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1,
                "container_spec": {
                    "image_uri": "local/python:3.11",
                    "command": ["python", "-c", TRAINER],
                    "args": ["--metric", "loss", "--score", "lr * units + (bs / 100)"],
                },
            }
        ],
    )
    job = aiplatform.HyperparameterTuningJob(
        display_name="sdk-hpt",
        custom_job=trial_spec,
        metric_spec={"loss": "minimize"},
        parameter_spec={
            "lr": hpt.DoubleParameterSpec(min=1e-4, max=1e-1, scale="log"),
            "units": hpt.IntegerParameterSpec(min=4, max=8, scale="linear"),
            "act": hpt.CategoricalParameterSpec(values=["relu", "tanh"]),
            "bs": hpt.DiscreteParameterSpec(values=[16, 32], scale=None),
        },
        max_trial_count=3,
        parallel_trial_count=3,
        search_algorithm="random",
    )
    job.run()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
    assert [t.id for t in job.trials] == ["1", "2", "3"]
    for trial in job.trials:
        assert trial.state.name == "SUCCEEDED"
        p = {x.parameter_id: x.value for x in trial.parameters}
        assert set(p) == {"lr", "units", "act", "bs"}
        # The SDK asks for BEST_MEASUREMENT: the trainer reports score - 1, then score.
        expected = p["lr"] * p["units"] + p["bs"] / 100 - 1.0
        assert trial.final_measurement.metrics[0].metric_id == "loss"
        assert trial.final_measurement.metrics[0].value == pytest.approx(expected)
    assert aiplatform.HyperparameterTuningJob.get(job.resource_name).display_name == "sdk-hpt"
    listed = aiplatform.HyperparameterTuningJob.list(filter='display_name="sdk-hpt"')
    assert [j.resource_name for j in listed] == [job.resource_name]
    job.delete()
