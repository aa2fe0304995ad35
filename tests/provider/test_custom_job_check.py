"""CustomJobProvider.check() and diff(): pure, no API call, no Docker."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from tests.provider.conftest import job_props, python_job_spec


def failures_of(provider: CustomJobProvider, props: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in provider.check({}, props).failures}


# -- check -------------------------------------------------------------------------

BAD_INPUTS = [
    ("project", {"project": None}, "project", "gcp:project"),
    ("wait", {"wait": "forever"}, "wait", "none, started, completed"),
    ("on_delete", {"on_delete": "drop"}, "on_delete", "cancel, keep"),
    ("wait_timeout", {"wait_timeout": "soon"}, "wait_timeout", "duration"),
    ("logs", {"logs": "verbose"}, "logs", "none, failures, stream"),
    (
        "no pools",
        {"job_spec": {"worker_pool_specs": []}},
        "job_spec.worker_pool_specs",
        "",
    ),
    (
        "machine type",
        {
            "job_spec": {
                "worker_pool_specs": [
                    {"replica_count": 1, "container_spec": {"image_uri": "local/python:3.11"}}
                ]
            }
        },
        "job_spec.worker_pool_specs[0].machine_spec",
        "machine_type",
    ),
    (
        "accelerator",
        {
            "job_spec": {
                **python_job_spec("1"),
                "worker_pool_specs": [
                    {
                        **python_job_spec("1")["worker_pool_specs"][0],
                        "machine_spec": {
                            "machine_type": "n1-standard-4",
                            "accelerator_type": "NVIDIA_TESLA_T5",
                            "accelerator_count": 1,
                        },
                    }
                ],
            }
        },
        "job_spec.worker_pool_specs[0].machine_spec.accelerator_type",
        "NVIDIA_TESLA_T4",
    ),
    (
        "network with project id",
        {"job_spec": python_job_spec("1", network="projects/my-project/global/networks/vpc")},
        "job_spec.network",
        "number",
    ),
    (
        "service account",
        {"job_spec": python_job_spec("1", service_account="trainer")},
        "job_spec.service_account",
        "",
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
    provider: CustomJobProvider, case: str, overrides: dict[str, Any], path: str, phrase: str
) -> None:
    failures = failures_of(provider, job_props(**overrides))
    matching = {p: r for p, r in failures.items() if p.startswith(path)}
    assert matching, f"no failure at {path}: {failures}"
    assert any(phrase in reason for reason in matching.values()), matching


def test_check_reports_every_problem_at_once(provider: CustomJobProvider) -> None:
    props = job_props(wait="forever", on_delete="drop", project=None)
    assert {"wait", "on_delete", "project"} <= set(failures_of(provider, props))


def test_check_reports_a_bad_field_and_a_persistent_resource_misfit_together(
    provider: CustomJobProvider,
) -> None:
    resource = {
        "resource_id": "warm",
        "resource_pools": [
            {"id": "p0", "machine_spec": {"machine_type": "n1-standard-8"}, "replica_count": 1}
        ],
    }
    props = job_props(wait="forever", persistent_resource_spec=resource)
    failures = failures_of(provider, props)
    assert "wait" in failures
    assert (
        "no pool of persistent resource 'warm'"
        in failures["job_spec.worker_pool_specs[0].machine_spec"]
    )


def test_check_normalizes_camel_case_and_durations(provider: CustomJobProvider, checked) -> None:  # type: ignore[no-untyped-def]
    camel = job_props(
        job_spec={
            "workerPoolSpecs": [
                {
                    "machineSpec": {"machineType": "n1-standard-4"},
                    "replicaCount": "1",
                    "containerSpec": {"imageUri": "local/python:3.11", "args": ["a"]},
                }
            ],
            "scheduling": {"timeout": "2h"},
        }
    )
    snake = job_props(
        job_spec={
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "local/python:3.11", "args": ["a"]},
                }
            ],
            "scheduling": {"timeout": 7200},
        }
    )
    assert checked(camel)["job_spec"] == checked(snake)["job_spec"]


def test_check_skips_only_the_checks_that_need_unknown_values(
    provider: CustomJobProvider,
) -> None:
    spec = python_job_spec("1")
    spec["worker_pool_specs"][0]["container_spec"]["image_uri"] = Unknown()
    props = job_props(job_spec=spec, wait="forever")
    failures = failures_of(provider, props)
    assert set(failures) == {"wait"}


# -- diff ---------------------------------------------------------------------------


def test_diff_is_empty_when_nothing_changed_even_after_a_wire_trip(
    provider: CustomJobProvider, checked
) -> None:  # type: ignore[no-untyped-def]
    inputs = checked(job_props())
    olds = {**inputs, "state": "JOB_STATE_RUNNING", "__provider": "old-pickle"}
    floats = {**inputs, "__provider": "new-pickle"}
    floats["job_spec"]["worker_pool_specs"][0]["replica_count"] = 1.0
    result = provider.diff("id", olds, floats)
    assert not result.changes and not result.replaces


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("display_name", "other"),
        ("labels", {"team": "ml"}),
        ("triggers", ["run-2"]),
        ("job_spec", python_job_spec("print(2)")),
    ],
)
def test_diff_replaces_when_what_runs_changes(
    provider: CustomJobProvider, checked, key: str, value: Any
) -> None:  # type: ignore[no-untyped-def]
    olds = checked(job_props())
    news = checked({**olds, key: value})
    result = provider.diff("id", olds, news)
    assert result.changes and result.replaces == [key]


@pytest.mark.parametrize(
    ("key", "value"),
    [("wait", "completed"), ("on_delete", "keep"), ("wait_timeout", "5m"), ("logs", "stream")],
)
def test_diff_updates_in_place_when_only_lifecycle_inputs_change(
    provider: CustomJobProvider, checked, key: str, value: Any
) -> None:  # type: ignore[no-untyped-def]
    olds = checked(job_props())
    news = checked({**olds, key: value})
    result = provider.diff("id", olds, news)
    assert result.changes and not result.replaces


def test_diff_replaces_when_a_replace_field_is_unknown(
    provider: CustomJobProvider, checked
) -> None:  # type: ignore[no-untyped-def]
    olds = checked(job_props())
    news = {**olds, "display_name": Unknown()}
    assert provider.diff("id", olds, news).replaces == ["display_name"]


def test_logs_defaults_to_failures_and_a_stack_from_before_it_sees_no_change(
    provider: CustomJobProvider, checked
) -> None:  # type: ignore[no-untyped-def]
    news = checked(job_props())
    assert news["logs"] == "failures"
    olds = {k: v for k, v in news.items() if k != "logs"}  # state written before `logs`
    assert not provider.diff("id", olds, news).changes
    assert provider.diff("id", olds, {**news, "logs": "stream"}).changes


def test_update_of_logs_keeps_every_output_and_calls_nothing(
    provider: CustomJobProvider, checked
) -> None:  # type: ignore[no-untyped-def]
    # update() reads nothing: every output comes from the old state.
    olds = {**checked(job_props()), "state": "JOB_STATE_RUNNING", "job_id": "7"}
    news = checked({**olds, "logs": "none"})
    outs = provider.update("projects/p/locations/l/customJobs/7", olds, news).outs
    assert outs["logs"] == "none"
    assert outs["state"] == "JOB_STATE_RUNNING" and outs["job_id"] == "7"
