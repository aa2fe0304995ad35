"""CreateHyperparameterTuningJob's validation: one row per documented rule (no Docker)."""

from __future__ import annotations

import copy
import pathlib
from typing import Any

import pytest
from google.cloud.aiplatform_v1 import HyperparameterTuningJob

from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs.backend import TuningBackend
from pulumi_vertex_training.emulator.store import Store

PARENT = "projects/p/locations/us-central1"
F = "hyperparameter_tuning_job"
S = f"{F}.study_spec"

VALID: dict[str, Any] = {
    "display_name": "tune",
    "max_trial_count": 4,
    "parallel_trial_count": 2,
    "study_spec": {
        "metrics": [{"metric_id": "loss", "goal": "MINIMIZE"}],
        "parameters": [
            {"parameter_id": "bs", "discrete_value_spec": {"values": [16, 32]},
             "conditional_parameter_specs": [
                 {"parent_discrete_values": {"values": [16]},
                  "parameter_spec": {"parameter_id": "lr",
                                     "double_value_spec": {"min_value": 0.1, "max_value": 1}}},
                 {"parent_discrete_values": {"values": [32]},
                  "parameter_spec": {"parameter_id": "lr",
                                     "double_value_spec": {"min_value": 1, "max_value": 2}}}]},
        ],
    },
    "trial_job_spec": {"worker_pool_specs": [{
        "machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1,
        "container_spec": {"image_uri": "local/python:3.11"}}]},
}  # fmt: skip


def _with(path: str, value: Any) -> dict[str, Any]:
    job = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    target: Any = job
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is None:
        del target[leaf]
    else:
        target[leaf] = value
    return job


def _param(**fields: Any) -> list[dict[str, Any]]:
    return [{"parameter_id": "p", **fields}]


_P0 = f"{S}.parameters[0]"
_C0 = f"{_P0}.conditional_parameter_specs[0]"
CASES = [
    (f"{F}.display_name", _with("display_name", " ")),
    (f"{F}.max_trial_count", _with("max_trial_count", None)),
    (f"{F}.parallel_trial_count", _with("parallel_trial_count", 0)),
    (f"{F}.max_failed_trial_count", _with("max_failed_trial_count", -1)),
    (f"{F}.labels", _with("labels", {"Bad": "x"})),
    (f"{F}.study_spec is required", _with("study_spec", None)),
    (f"{F}.trial_job_spec is required", _with("trial_job_spec", None)),
    (f"{F}.trial_job_spec.worker_pool_specs[0].container_spec.image_uri",
     _with("trial_job_spec.worker_pool_specs.0.container_spec", {"image_uri": ""})),
    (f"{S}.metrics must", _with("study_spec.metrics", [])),
    (f"{S}.metrics[0].metric_id", _with("study_spec.metrics.0.metric_id", "a b")),
    (f"{S}.metrics[1].metric_id",
     _with("study_spec.metrics", [{"metric_id": "a"}, {"metric_id": "a"}])),
    (f"{S}.observation_noise", _with("study_spec.observation_noise", "LOW")),
    (f"{S}.parameters must", _with("study_spec.parameters", [])),
    (f"{_P0}: one of", _with("study_spec.parameters", _param())),
    (f"{_P0}.parameter_id", _with("study_spec.parameters.0.parameter_id", "")),
    (f"{_P0}.double_value_spec: min_value",
     _with("study_spec.parameters", _param(double_value_spec={"min_value": 2, "max_value": 1}))),
    (f"{_P0}.double_value_spec.default_value",
     _with("study_spec.parameters",
           _param(double_value_spec={"max_value": 1, "default_value": 0}))),
    (f"{_P0}.scale_type",
     _with("study_spec.parameters", _param(integer_value_spec={"min_value": 0, "max_value": 3},
                                           scale_type="UNIT_LOG_SCALE"))),
    (f"{_P0}.scale_type must be unset",
     _with("study_spec.parameters", _param(categorical_value_spec={"values": ["a"]},
                                           scale_type="UNIT_LINEAR_SCALE"))),
    (f"{_P0}.discrete_value_spec.values[1]",
     _with("study_spec.parameters", _param(discrete_value_spec={"values": [1, 1]}))),
    (f"{_P0}.discrete_value_spec.values has 1001",
     _with("study_spec.parameters", _param(discrete_value_spec={"values": list(range(1001))}))),
    (f"{_C0}.parameter_spec: GRID_SEARCH", _with("study_spec.algorithm", "GRID_SEARCH")),
    (f"{_C0}.parent_discrete_values.values: 17.0",
     _with("study_spec.parameters.0.conditional_parameter_specs.0.parent_discrete_values",
           {"values": [17]})),
    (f"{_C0}.parent_int_values does not match",
     _with("study_spec.parameters.0.conditional_parameter_specs.0.parent_discrete_values", None)
     | {}),
    (f"{_P0}.conditional_parameter_specs[1]: conditions",
     _with("study_spec.parameters.0.conditional_parameter_specs.1.parent_discrete_values",
           {"values": [16]})),
    (f"{_C0}: a DOUBLE parameter",
     _with("study_spec.parameters", _param(
         double_value_spec={"min_value": 0, "max_value": 1},
         conditional_parameter_specs=[{"parent_discrete_values": {"values": [0]},
                                       "parameter_spec": {"parameter_id": "c"}}]))),
    (f"{_C0}.parameter_spec.parameter_id: 'p' is also",
     _with("study_spec.parameters", _param(
         integer_value_spec={"min_value": 0, "max_value": 1},
         conditional_parameter_specs=[{"parent_int_values": {"values": [0]},
                                       "parameter_spec": {"parameter_id": "p",
                                                          "integer_value_spec": {}}}]))),
]  # fmt: skip
# Row "parent_int_values does not match": replace the discrete condition with an int one.
CASES[23][1]["study_spec"]["parameters"][0]["conditional_parameter_specs"][0][
    "parent_int_values"
] = {"values": [16]}


@pytest.fixture
def backend(tmp_path: pathlib.Path) -> TuningBackend:
    return TuningBackend(Store(tmp_path / "state.db"), tmp_path)


def _create(backend: TuningBackend, raw: dict[str, Any]) -> Any:
    return backend.create_hyperparameter_tuning_job(PARENT, HyperparameterTuningJob(raw))


def test_a_valid_job_is_created_queued(backend: TuningBackend) -> None:
    job = _create(backend, VALID)
    assert job.name == f"{PARENT}/hyperparameterTuningJobs/1"
    assert job.state.name == "JOB_STATE_QUEUED"


@pytest.mark.parametrize(("needle", "raw"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_each_rule_is_invalid_argument_naming_the_field(
    backend: TuningBackend, needle: str, raw: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgument) as info:
        _create(backend, raw)
    assert needle in info.value.message
    assert backend.list_hyperparameter_tuning_jobs(PARENT)[0] == []  # nothing created


def test_every_violation_is_reported_at_once(backend: TuningBackend) -> None:
    raw = _with("display_name", "")
    raw["max_trial_count"] = 0
    raw["study_spec"]["algorithm"] = "GRID_SEARCH"
    with pytest.raises(InvalidArgument) as info:
        _create(backend, raw)
    for needle in (f"{F}.display_name", f"{F}.max_trial_count", "GRID_SEARCH"):
        assert needle in info.value.message
