"""HyperparameterTuningJobProvider.check(), diff() and update(): pure, no API call, no Docker.

The spec's own rules have their table in tests/unit/spec/test_hyperparameter_tuning_job.py;
here, what the provider adds or passes on: lifecycle inputs and place, failures as
CheckFailures with full field paths (the trial's CustomJobSpec under trial_job_spec.*,
machine catalog included), every problem at once, unknowns at preview, secrets kept
out of failures, canonical inputs, and diff's replace vs in-place.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import progress
from pulumi_vertex_training.provider.hyperparameter_tuning_job import (
    HyperparameterTuningJobProvider,
)
from pulumi_vertex_training.provider.values import SECRETS_KEY
from tests.provider.tuning_props import study_spec, trial_job_spec, tuning_props

provider = HyperparameterTuningJobProvider()


def failures_of(props: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in provider.check({}, props).failures}


def checked(props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


def _pool(**machine: Any) -> dict[str, Any]:
    spec = trial_job_spec("--score", "x")
    spec["worker_pool_specs"][0]["machine_spec"] = machine
    return spec


BAD_INPUTS = [
    ("project", {"project": None}, "project", "gcp:project"),
    ("location", {"location": None}, "location", "gcp:region"),
    ("wait", {"wait": "forever"}, "wait", "none, started, completed"),
    ("on_delete", {"on_delete": "drop"}, "on_delete", "cancel, keep"),
    ("wait_timeout", {"wait_timeout": "soon"}, "wait_timeout", "duration"),
    ("negative wait_timeout", {"wait_timeout": -5}, "wait_timeout", "positive"),
    ("display name", {"display_name": "x" * 129}, "display_name", "128"),
    ("no trials", {"max_trial_count": 0}, "max_trial_count", "1 or more"),
    ("parallel above max", {"parallel_trial_count": 4}, "parallel_trial_count", "at most"),
    ("failed count", {"max_failed_trial_count": -1}, "max_failed_trial_count", "0"),
    ("no study", {"study_spec": None}, "study_spec", "required"),
    ("no trial job", {"trial_job_spec": None}, "trial_job_spec", "required"),
    (
        "goal",
        {"study_spec": {**study_spec(), "metrics": [{"metric_id": "score", "goal": "UP"}]}},
        "study_spec.metrics[0].goal",
        "MAXIMIZE",
    ),
    (
        "grid over a double",
        {
            "study_spec": {
                **study_spec(),
                "parameters": [
                    {"parameter_id": "lr", "double_value_spec": {"min_value": 0, "max_value": 1}}
                ],
            }
        },
        "study_spec.parameters[0]",
        "GRID_SEARCH",
    ),
    (
        "accelerator not in the catalog",
        {
            "trial_job_spec": _pool(
                machine_type="n1-standard-4",
                accelerator_type="NVIDIA_TESLA_T5",
                accelerator_count=1,
            )
        },
        "trial_job_spec.worker_pool_specs[0].machine_spec.accelerator_type",
        "NVIDIA_TESLA_T4",
    ),
    (
        "machine type not in the catalog",
        {"trial_job_spec": _pool(machine_type="n1-standard-3")},
        "trial_job_spec.worker_pool_specs[0].machine_spec.machine_type",
        "n1-standard-4",
    ),
    (
        "network with a project id",
        {
            "trial_job_spec": trial_job_spec(
                "--score", "x", network="projects/my-project/global/networks/vpc"
            )
        },
        "trial_job_spec.network",
        "number",
    ),
    ("labels", {"labels": {"Bad Key": "x"}}, "labels", ""),
    (
        "CMEK key in another region",
        {
            "encryption_spec": {
                "kms_key_name": "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k"
            }
        },
        "encryption_spec.kms_key_name",
        "region 'us-central1', not 'europe-west4'",
    ),
]


@pytest.mark.parametrize(
    ("case", "overrides", "path", "phrase"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_check_names_the_field_when_input_is_bad(
    case: str, overrides: dict[str, Any], path: str, phrase: str
) -> None:
    failures = failures_of(tuning_props(**overrides))
    matching = {
        p: r for p, r in failures.items() if p == path or p.startswith((path + ".", path + "["))
    }
    assert matching, f"no failure at {path}: {failures}"
    assert any(phrase in reason for reason in matching.values()), matching


def test_check_reports_every_problem_at_once() -> None:
    props = tuning_props(
        wait="forever",
        project=None,
        parallel_trial_count=9,
        trial_job_spec=_pool(machine_type="n1-standard-3"),
    )
    assert {
        "wait",
        "project",
        "parallel_trial_count",
        "trial_job_spec.worker_pool_specs[0].machine_spec.machine_type",
    } <= set(failures_of(props))


def test_check_returns_the_canonical_inputs() -> None:
    camel = tuning_props(
        study_spec={
            "metrics": [{"metricId": "score", "goal": "min"}],
            "parameters": [
                {"parameterId": "x", "integerValueSpec": {"minValue": "1", "maxValue": 3.0}}
            ],
            "algorithm": "grid",
        },
        trial_job_spec={
            "workerPoolSpecs": [
                {
                    "machineSpec": {"machineType": "n1-standard-4"},
                    "containerSpec": {"imageUri": "local/python:3.11", "args": ["--score", "x"]},
                }
            ],
            "scheduling": {"timeout": "2h"},
        },
        max_trial_count=3.0,  # numbers come back from the wire as floats
        max_failed_trial_count=0,
    )
    inputs = checked(camel)
    assert inputs["study_spec"] == {
        "metrics": [{"metric_id": "score", "goal": "MINIMIZE"}],
        "parameters": [
            {"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 3}}
        ],
        "algorithm": "GRID_SEARCH",
    }
    pool = inputs["trial_job_spec"]["worker_pool_specs"][0]
    assert pool["replica_count"] == 1  # the CustomJob default, as for vt.CustomJob
    assert inputs["trial_job_spec"]["scheduling"] == {"timeout": "7200s"}
    assert inputs["max_trial_count"] == 3
    assert inputs["max_failed_trial_count"] is None  # 0 is "Vertex AI decides": unset
    assert inputs["wait"] == "none" and inputs["on_delete"] == "cancel"


def test_check_skips_only_the_checks_that_need_unknown_values() -> None:
    spec = trial_job_spec("--score", "x")
    spec["worker_pool_specs"][0]["container_spec"]["image_uri"] = Unknown()
    props = tuning_props(trial_job_spec=spec, max_trial_count=Unknown(), wait="forever")
    assert set(failures_of(props)) == {"wait"}


def test_check_never_shows_a_secret_value_in_a_failure() -> None:
    spec = trial_job_spec("--score", "x")
    spec["worker_pool_specs"][0]["container_spec"]["env"] = [
        {"name": "1BAD", "value": "hunter2-token"}
    ]
    props = tuning_props(trial_job_spec=spec)
    props[SECRETS_KEY] = [["trial_job_spec", "worker_pool_specs", 0, "container_spec", "env"]]
    result = provider.check({}, props)
    assert result.failures, "the env name is refused"
    assert all("hunter2" not in f.reason for f in result.failures)


# -- diff ---------------------------------------------------------------------------


def test_diff_is_empty_when_nothing_changed_even_after_a_wire_trip() -> None:
    inputs = checked(tuning_props())
    olds = {**inputs, "state": "JOB_STATE_RUNNING", "__provider": "old-pickle"}
    floats = {**inputs, "__provider": "new-pickle", "max_trial_count": 3.0}
    floats["study_spec"]["parameters"][0]["integer_value_spec"]["max_value"] = 3.0
    result = provider.diff("id", olds, floats)
    assert not result.changes and not result.replaces


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("display_name", "other"),
        ("labels", {"team": "ml"}),
        ("triggers", ["run-2"]),
        ("study_spec", study_spec(goal="MAXIMIZE")),
        ("max_trial_count", 4),
        ("parallel_trial_count", 1),
        ("max_failed_trial_count", 2),
        ("trial_job_spec", trial_job_spec("--score", "x * 2")),
        (
            "encryption_spec",
            {"kms_key_name": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"},
        ),
        ("location", "europe-west4"),
    ],
)
def test_diff_replaces_when_what_runs_changes(key: str, value: Any) -> None:
    olds = checked(tuning_props())
    news = checked({**olds, key: value})
    result = provider.diff("id", olds, news)
    assert result.changes and result.replaces == [key]
    assert result.delete_before_replace is False


@pytest.mark.parametrize(
    ("key", "value"), [("wait", "completed"), ("on_delete", "keep"), ("wait_timeout", "5m")]
)
def test_diff_updates_in_place_when_only_lifecycle_inputs_change(key: str, value: Any) -> None:
    olds = checked(tuning_props())
    news = checked({**olds, key: value})
    result = provider.diff("id", olds, news)
    assert result.changes and not result.replaces


def test_diff_says_which_study_fields_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    monkeypatch.setattr(progress, "info", said.append)
    olds = checked(tuning_props())
    news = checked({**olds, "study_spec": study_spec(x_max=4)})
    provider.diff("id", olds, news)
    assert said == [
        "replacing the tuning job: changed study_spec.parameters[0].integer_value_spec.max_value"
    ]


def test_diff_replaces_when_a_replace_field_is_unknown() -> None:
    olds = checked(tuning_props())
    news = {**olds, "trial_job_spec": Unknown()}
    assert provider.diff("id", olds, news).replaces == ["trial_job_spec"]


def test_update_of_lifecycle_inputs_keeps_every_output_and_calls_nothing() -> None:
    # update() reads nothing: every output comes from the old state (no emulator here).
    best = {"id": "2", "state": "SUCCEEDED", "parameters": {"x": 2}}
    olds = {**checked(tuning_props()), "state": "JOB_STATE_SUCCEEDED", "job_id": "7",
            "best_trial": best, "trials": [best]}  # fmt: skip
    news = checked({**olds, "wait": "completed"})
    outs = provider.update("projects/p/locations/l/hyperparameterTuningJobs/7", olds, news).outs
    assert outs["wait"] == "completed"
    assert outs["state"] == "JOB_STATE_SUCCEEDED" and outs["job_id"] == "7"
    assert outs["best_trial"] == best and outs["trials"] == [best]


# -- console URL -------------------------------------------------------------------

NAME = "projects/p/locations/us-central1/hyperparameterTuningJobs/7"


def test_the_console_url_is_the_cloud_consoles_training_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(client.EMULATOR_HOST_ENV, raising=False)
    assert client.console_url(NAME) == (
        "https://console.cloud.google.com/vertex-ai/locations/us-central1/training/7?project=p"
    )


def test_the_console_url_is_the_emulators_tuning_page_when_it_runs_locally(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, "127.0.0.1:8470")
    monkeypatch.delenv(client.EMULATOR_CONSOLE_ENV, raising=False)
    assert client.console_url(NAME) == f"http://127.0.0.1:8471/console/{NAME}"
