"""TrainingPipelineProvider.check() and diff(): pure, no API call, no Docker.

The embedded CustomJobSpec is ``job_spec``: every CustomJob rule (the machine catalog
included) reports at ``job_spec.…``, never at the API's ``training_task_inputs``.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_vertex_training.provider.training_pipeline import TrainingPipelineProvider
from pulumi_vertex_training.spec import CUSTOM_TASK_DEFINITION
from tests.provider.conftest import python_job_spec
from tests.provider.pipeline_support import SERVING, pipeline_props


@pytest.fixture
def provider() -> TrainingPipelineProvider:
    return TrainingPipelineProvider()


def failures_of(provider: TrainingPipelineProvider, props: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in provider.check({}, props).failures}


def checked(provider: TrainingPipelineProvider, props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


def _pool(**fields: Any) -> dict[str, Any]:
    return {**python_job_spec("1")["worker_pool_specs"][0], **fields}


BAD_INPUTS = [
    ("wait", {"wait": "forever"}, "wait", "none, started, completed"),
    ("on_delete", {"on_delete": "drop"}, "on_delete", "cancel, keep"),
    ("logs", {"logs": "verbose"}, "logs", "none, failures, stream"),
    ("wait_timeout", {"wait_timeout": "-5m"}, "wait_timeout", ""),
    ("no job_spec", {"job_spec": None}, "job_spec", "required"),
    ("no pools", {"job_spec": {"worker_pool_specs": []}}, "job_spec.worker_pool_specs", ""),
    (
        "primary replicas",
        {"job_spec": {"worker_pool_specs": [_pool(replica_count=2)]}},
        "job_spec.worker_pool_specs[0].replica_count",
        "must be 1",
    ),
    (
        "machine catalog: a size N1 lacks",
        {"job_spec": {"worker_pool_specs": [_pool(machine_spec={"machine_type": "n1-highmem-3"})]}},
        "job_spec.worker_pool_specs[0].machine_spec.machine_type",
        "n1-highmem-4",
    ),
    (
        "machine catalog: accelerator count",
        {
            "job_spec": {
                "worker_pool_specs": [
                    _pool(
                        machine_spec={
                            "machine_type": "a2-highgpu-2g",
                            "accelerator_type": "NVIDIA_TESLA_A100",
                            "accelerator_count": 1,
                        }
                    )
                ]
            }
        },
        "job_spec.worker_pool_specs[0].machine_spec.accelerator_count",
        "",
    ),
    (
        "network with a project id",
        {"job_spec": python_job_spec("1", network="projects/my-project/global/networks/v")},
        "job_spec.network",
        "number",
    ),
    (
        "scheduling timeout",
        {"job_spec": python_job_spec("1", scheduling={"timeout": "soon"})},
        "job_spec.scheduling.timeout",
        "",
    ),
    (
        "no output directory for the model",
        {"job_spec": python_job_spec("1")},
        "job_spec.base_output_directory",
        "AIP_MODEL_DIR",
    ),
    (
        "serving image",
        {"model_to_upload": {"display_name": "m"}},
        "model_to_upload.container_spec.image_uri",
        "required",
    ),
    (
        "model alias",
        {
            "model_to_upload": {
                "display_name": "m",
                "container_spec": {"image_uri": SERVING},
                "version_aliases": ["Prod"],
            }
        },
        "model_to_upload.version_aliases[0]",
        "alias",
    ),
    ("model_id form", {"model_id": "9lives"}, "model_id", "model id"),
    ("parent_model form", {"parent_model": "models/1"}, "parent_model", "projects/"),
    (
        "parent_model elsewhere",
        {"parent_model": "projects/test-project/locations/europe-west4/models/1"},
        "parent_model",
        "region",
    ),
    (
        "parent_model in another project",
        {"parent_model": "projects/other-project/locations/us-central1/models/1"},
        "parent_model",
        "project 'other-project'",
    ),
    ("model_id without a model", {"model_to_upload": None, "model_id": "m"}, "model_id", "only"),
    ("labels", {"labels": {"Bad Key": "x"}}, "labels", ""),
    ("display name", {"display_name": "x" * 129}, "display_name", "128"),
    (
        "CMEK key in another region",
        {"encryption_spec": {"kms_key_name": "projects/p/locations/eu/keyRings/r/cryptoKeys/k"}},
        "encryption_spec.kms_key_name",
        "region",
    ),
]


@pytest.mark.parametrize(
    ("case", "overrides", "path", "phrase"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_check_names_the_field_when_input_is_bad(
    provider: TrainingPipelineProvider,
    case: str,
    overrides: dict[str, Any],
    path: str,
    phrase: str,
) -> None:
    failures = failures_of(provider, pipeline_props(**overrides))
    matching = {
        p: r for p, r in failures.items() if p == path or p.startswith((path + ".", path + "["))
    }
    assert matching, f"no failure at {path}: {failures}"
    assert any(phrase in reason for reason in matching.values()), matching
    assert not any(p.startswith("training_task_inputs") for p in failures), failures


def test_check_reports_every_problem_at_once(provider: TrainingPipelineProvider) -> None:
    props = pipeline_props(
        wait="forever",
        job_spec={"worker_pool_specs": [_pool(replica_count=3)]},
        model_to_upload={"display_name": ""},
    )
    assert {
        "wait",
        "job_spec.worker_pool_specs[0].replica_count",
        "job_spec.base_output_directory",
        "model_to_upload.display_name",
        "model_to_upload.container_spec.image_uri",
    } <= set(failures_of(provider, props))


def test_check_warns_about_machines_the_catalog_does_not_know(
    provider: TrainingPipelineProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = python_job_spec("1", base_output_directory={"output_uri_prefix": "gs://b-1/o"})
    spec["worker_pool_specs"][0]["machine_spec"] = {"machine_type": "zz-fake-9"}
    assert not failures_of(provider, pipeline_props(job_spec=spec))
    assert "job_spec.worker_pool_specs[0].machine_spec.machine_type" in capsys.readouterr().err


def test_check_normalizes_the_job_spec_like_a_custom_jobs(
    provider: TrainingPipelineProvider,
) -> None:
    camel = pipeline_props(
        job_spec={
            "workerPoolSpecs": [
                {
                    "machineSpec": {"machineType": "n1-standard-4"},
                    "replicaCount": "1",
                    "containerSpec": {"imageUri": "local/python:3.11"},
                }
            ],
            "baseOutputDirectory": {"outputUriPrefix": "gs://pl-bucket/run"},
            "scheduling": {"timeout": "2h"},
        }
    )
    inputs = checked(provider, camel)
    assert inputs["job_spec"]["scheduling"] == {"timeout": "7200s"}
    assert inputs["job_spec"]["worker_pool_specs"][0]["replica_count"] == 1


def test_the_request_is_the_custom_task_with_the_job_spec_as_its_inputs(
    provider: TrainingPipelineProvider,
) -> None:
    inputs = checked(provider, pipeline_props(labels={"team": "ml"}))
    canonical, digest, _ = provider.identity(inputs)
    request = provider.to_proto(canonical)
    assert request.training_task_definition == CUSTOM_TASK_DEFINITION
    assert request.training_task_inputs["base_output_directory"]["output_uri_prefix"] == (
        "gs://pl-bucket/run"
    )
    assert request.model_to_upload.container_spec.image_uri == SERVING
    assert dict(request.labels) == {"team": "ml"} and len(digest) == 32


def test_check_skips_only_the_checks_that_need_unknown_values(
    provider: TrainingPipelineProvider,
) -> None:
    spec = python_job_spec("1", base_output_directory={"output_uri_prefix": Unknown()})
    spec["worker_pool_specs"][0]["container_spec"]["image_uri"] = Unknown()
    props = pipeline_props(job_spec=spec, parent_model=Unknown(), wait="forever")
    assert set(failures_of(provider, props)) == {"wait"}


# -- diff ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("display_name", "other"),
        ("labels", {"team": "ml"}),
        ("triggers", ["run-2"]),
        ("job_spec", python_job_spec("2", base_output_directory={"output_uri_prefix": "gs://b-2"})),
        ("model_to_upload", {"display_name": "m2", "container_spec": {"image_uri": SERVING}}),
        ("model_id", "churn"),
    ],
)
def test_diff_replaces_when_what_runs_changes(
    provider: TrainingPipelineProvider, key: str, value: Any
) -> None:
    olds = checked(provider, pipeline_props())
    news = checked(provider, {**olds, key: value})
    result = provider.diff("id", olds, news)
    assert result.changes and result.replaces == [key]


@pytest.mark.parametrize(
    ("key", "value"),
    [("wait", "completed"), ("on_delete", "keep"), ("wait_timeout", "5m"), ("logs", "stream")],
)
def test_diff_updates_in_place_when_only_lifecycle_inputs_change(
    provider: TrainingPipelineProvider, key: str, value: Any
) -> None:
    olds = {**checked(provider, pipeline_props()), "state": "PIPELINE_STATE_RUNNING"}
    news = checked(provider, {**olds, key: value})
    result = provider.diff("id", olds, news)
    assert result.changes and not result.replaces
    outs = provider.update("projects/p/locations/l/trainingPipelines/3", olds, news).outs
    assert outs[key] == news[key] and outs["state"] == "PIPELINE_STATE_RUNNING"


def test_diff_is_empty_after_a_wire_trip(provider: TrainingPipelineProvider) -> None:
    inputs = checked(provider, pipeline_props())
    floats = {**inputs, "__provider": "new"}
    floats["job_spec"]["worker_pool_specs"][0]["replica_count"] = 1.0
    result = provider.diff("id", {**inputs, "state": "PIPELINE_STATE_SUCCEEDED"}, floats)
    assert not result.changes
