"""spec.normalize_hyperparameter_tuning_job: one row per rule, the field each blames; best_trial."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pulumi_vertex_training import spec
from pulumi_vertex_training.spec import UNKNOWN


def job(**changes: Any) -> dict[str, Any]:
    """A valid job (REST camelCase in places, as users paste it), with ``changes`` applied."""
    base: dict[str, Any] = {
        "display_name": "tune",
        "max_trial_count": 4,
        "parallel_trial_count": 2,
        "study_spec": {
            "metrics": [{"metric_id": "loss", "goal": "MINIMIZE"}],
            "parameters": [
                {"parameterId": "lr", "doubleValueSpec": {"minValue": 1e-4, "maxValue": 0.1},
                 "scaleType": "UNIT_LOG_SCALE"},
                {"parameter_id": "act", "categorical_value_spec": {"values": ["relu", "tanh"]},
                 "conditional_parameter_specs": [{
                     "parent_categorical_values": {"values": ["relu"]},
                     "parameter_spec": {"parameter_id": "alpha",
                                        "discrete_value_spec": {"values": [0.1, 0.2]}}}]},
            ],
        },
        "trial_job_spec": {
            "worker_pool_specs": [
                {"machine_spec": {"machine_type": "n1-standard-4"},
                 "container_spec": {"image_uri": "local/python:3.11"}}
            ]
        },
    }  # fmt: skip
    for path, value in changes.items():
        target = base
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DROP:
            del target[leaf]
        else:
            target[leaf] = value
    return copy.deepcopy(base)


_DROP = object()
_GRID_DOUBLE = {
    "algorithm": "GRID_SEARCH",
    "metrics": [{"metric_id": "m", "goal": "MAXIMIZE"}],
    "parameters": [{"parameter_id": "lr", "double_value_spec": {"min_value": 0.1, "max_value": 1}}],
}


def _param(**fields: Any) -> list[dict[str, Any]]:
    return [{"parameter_id": "p", **fields}]


CASES = [
    ("display_name", job(display_name="")),
    ("display_name", job(display_name="x" * 129)),
    ("max_trial_count", job(max_trial_count=_DROP)),
    ("max_trial_count", job(max_trial_count=0)),
    ("parallel_trial_count", job(parallel_trial_count=_DROP)),
    ("parallel_trial_count", job(parallel_trial_count=5)),
    ("max_failed_trial_count", job(max_failed_trial_count=-1)),
    ("study_spec", job(study_spec=_DROP)),
    ("trial_job_spec", job(trial_job_spec=_DROP)),
    ("trial_job_spec.worker_pool_specs", job(trial_job_spec={"worker_pool_specs": []})),
    ("trial_job_spec.worker_pool_specs[0].machine_spec.machine_type",
     job(trial_job_spec__worker_pool_specs__0__machine_spec={"machine_type": "N1 standard"})),
    ("labels[\"Bad\"]", job(labels={"Bad": "x"})),
    ("encryption_spec.kms_key_name", job(encryption_spec={"kms_key_name": "key"})),
    ("study_spec.metrics", job(study_spec__metrics=[])),
    ("study_spec.metrics[0].goal", job(study_spec__metrics=[{"metric_id": "loss", "goal": "UP"}])),
    ("study_spec.metrics[0].goal", job(study_spec__metrics=[{"metric_id": "loss"}])),
    ("study_spec.metrics[0].metric_id",
     job(study_spec__metrics=[{"metric_id": "my loss", "goal": "MINIMIZE"}])),
    ("study_spec.metrics[1].metric_id",
     job(study_spec__metrics=[{"metric_id": "a", "goal": "MINIMIZE"},
                              {"metric_id": "a", "goal": "MAXIMIZE"}])),
    ("study_spec.metrics[0].safety_config.desired_min_safe_trials_fraction",
     job(study_spec__metrics=[{"metric_id": "a", "goal": "MINIMIZE",
                               "safety_config": {"desired_min_safe_trials_fraction": 2}}])),
    ("study_spec.parameters", job(study_spec__parameters=[])),
    ("study_spec.parameters[0]", job(study_spec__parameters=_param())),
    ("study_spec.parameters[0].integer_value_spec",
     job(study_spec__parameters=_param(double_value_spec={"min_value": 0, "max_value": 1},
                                       integer_value_spec={"min_value": 0, "max_value": 1}))),
    ("study_spec.parameters[0].parameter_id",
     job(study_spec__parameters=[{"parameter_id": "a b",
                                  "integer_value_spec": {"min_value": 1, "max_value": 2}}])),
    ("study_spec.parameters[0].double_value_spec",
     job(study_spec__parameters=_param(double_value_spec={"min_value": 2, "max_value": 1}))),
    ("study_spec.parameters[0].double_value_spec.max_value",
     job(study_spec__parameters=_param(double_value_spec={"min_value": 2}))),
    ("study_spec.parameters[0].scale_type",
     job(study_spec__parameters=_param(double_value_spec={"min_value": 0, "max_value": 1},
                                       scale_type="UNIT_LOG_SCALE"))),
    ("study_spec.parameters[0].scale_type",
     job(study_spec__parameters=_param(discrete_value_spec={"values": [-1, 2]},
                                       scale_type="UNIT_REVERSE_LOG_SCALE"))),
    ("study_spec.parameters[0].scale_type",
     job(study_spec__parameters=_param(categorical_value_spec={"values": ["a"]},
                                       scale_type="UNIT_LINEAR_SCALE"))),
    ("study_spec.parameters[0].scale_type",
     job(study_spec__parameters=_param(integer_value_spec={"min_value": 1, "max_value": 2},
                                       scale_type="CUBIC"))),
    ("study_spec.parameters[0].discrete_value_spec.values[1]",
     job(study_spec__parameters=_param(discrete_value_spec={"values": [2, 1]}))),
    ("study_spec.parameters[0].discrete_value_spec.values",
     job(study_spec__parameters=_param(discrete_value_spec={"values": list(range(1001))}))),
    ("study_spec.parameters[0].categorical_value_spec.values[1]",
     job(study_spec__parameters=_param(categorical_value_spec={"values": ["a", "a"]}))),
    ("study_spec.parameters[0].categorical_value_spec.default_value",
     job(study_spec__parameters=_param(categorical_value_spec={"values": ["a"],
                                                               "default_value": "a"}))),
    ("study_spec.parameters[0]", job(study_spec=_GRID_DOUBLE)),
    ("study_spec.observation_noise", job(study_spec__observation_noise="LOW")),
    ("study_spec.algorithm", job(study_spec__algorithm="BAYES")),
    ("study_spec.median_automated_stopping_spec",
     job(study_spec__decay_curve_stopping_spec={},
         study_spec__median_automated_stopping_spec={})),
    ("study_spec.parameters[1].conditional_parameter_specs[0].parent_categorical_values"
     ".values[0]",
     job(study_spec__parameters__1__conditional_parameter_specs__0__parent_categorical_values={
         "values": ["gelu"]})),
    ("study_spec.parameters[1].conditional_parameter_specs[0].parent_int_values",
     job(study_spec__parameters__1__conditional_parameter_specs__0__parent_int_values={
         "values": [1]})),
    ("study_spec.parameters[1].conditional_parameter_specs[0].parameter_spec",
     job(study_spec__parameters__1__conditional_parameter_specs__0__parameter_spec=_DROP)),
    ("study_spec.parameters[0].conditional_parameter_specs[0]",
     job(study_spec__parameters__0__conditional_parameter_specs=[{
         "parent_discrete_values": {"values": [0.1]},
         "parameter_spec": {"parameter_id": "c", "discrete_value_spec": {"values": [1]}}}])),
    ("study_spec.parameters[1].conditional_parameter_specs[0].parameter_spec.parameter_id",
     job(study_spec__parameters__1__conditional_parameter_specs__0__parameter_spec__parameter_id=(
         "lr"))),
    ("study_spec.parameters[0].unknown_field",
     job(study_spec__parameters__0__unknown_field=1)),
]  # fmt: skip


@pytest.mark.parametrize(("path", "raw"), CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_each_rule_blames_its_field(path: str, raw: dict[str, Any]) -> None:
    result = spec.normalize_hyperparameter_tuning_job(raw, location="us-central1")
    assert path in [f.path for f in result.failures], [str(f) for f in result.failures]


def test_a_valid_job_normalizes_to_the_canonical_form() -> None:
    result = spec.normalize_hyperparameter_tuning_job(job(max_failed_trial_count=0))
    assert result.ok, [str(f) for f in result.failures]
    value = result.value
    assert "max_failed_trial_count" not in value  # 0 is unset in proto3
    lr = value["study_spec"]["parameters"][0]
    assert lr == {"parameter_id": "lr", "scale_type": "UNIT_LOG_SCALE",
                  "double_value_spec": {"min_value": 1e-4, "max_value": 0.1}}  # fmt: skip
    pool = value["trial_job_spec"]["worker_pool_specs"][0]
    assert pool["replica_count"] == 1  # normalize_custom_job's default


def test_args_dataclasses_and_dicts_normalize_alike() -> None:
    typed = spec.StudySpecArgs(
        metrics=[spec.MetricSpecArgs(metric_id="loss", goal="MINIMIZE")],
        parameters=[
            spec.ParameterSpecArgs(
                parameter_id="lr",
                double_value_spec=spec.DoubleValueSpecArgs(min_value=1e-4, max_value=0.1),
                scale_type="UNIT_LOG_SCALE",
            ),
            spec.ParameterSpecArgs(
                parameter_id="act",
                categorical_value_spec=spec.CategoricalValueSpecArgs(values=["relu", "tanh"]),
                conditional_parameter_specs=[
                    spec.ConditionalParameterSpecArgs(
                        parent_categorical_values=spec.CategoricalValueConditionArgs(
                            values=["relu"]
                        ),
                        parameter_spec=spec.ParameterSpecArgs(
                            parameter_id="alpha",
                            discrete_value_spec=spec.DiscreteValueSpecArgs(values=[0.1, 0.2]),
                        ),
                    )
                ],
            ),
        ],
    )
    from_dicts = spec.normalize_hyperparameter_tuning_job(job())
    from_args = spec.normalize_hyperparameter_tuning_job(job(study_spec=typed))
    assert from_args.ok and from_args.value == from_dicts.value


def test_every_failure_is_reported_at_once() -> None:
    raw = job(display_name="", parallel_trial_count=9, study_spec=_GRID_DOUBLE)
    paths = {f.path for f in spec.normalize_hyperparameter_tuning_job(raw).failures}
    assert {
        "display_name",
        "parallel_trial_count",
        "study_spec.parameters[0]",
    } <= (paths)


def test_unknown_values_skip_the_checks_that_need_them() -> None:
    raw = job(max_trial_count=UNKNOWN, study_spec__parameters__0__doubleValueSpec__minValue=UNKNOWN)
    result = spec.normalize_hyperparameter_tuning_job(raw)
    assert result.ok, [str(f) for f in result.failures]
    assert result.value["max_trial_count"] is UNKNOWN


def _trial(trial_id: str, state: Any, value: float | None = None) -> dict[str, Any]:
    final = {"metrics": [{"metric_id": "m", "value": value}]} if value is not None else None
    return {"id": trial_id, "state": state, **({"final_measurement": final} if final else {})}


TRIALS = [
    _trial("1", "SUCCEEDED", 0.5),
    _trial("2", "INFEASIBLE", 9.0),
    {"id": "3", "state": 4, "finalMeasurement": {"metrics": [{"metricId": "m", "value": 0.9}]}},
    _trial("4", "ACTIVE"),
    _trial("5", "SUCCEEDED", 0.1),
]


@pytest.mark.parametrize(
    ("goal", "best"),
    [("MAXIMIZE", "3"), ("MINIMIZE", "5"), (None, "3"), ("GOAL_TYPE_UNSPECIFIED", "3"), (2, "5")],
)
def test_best_trial_follows_the_goal_and_ignores_infeasible_trials(goal: Any, best: str) -> None:
    metrics = [{"metric_id": "m", **({"goal": goal} if goal is not None else {})}]
    assert spec.best_trial(TRIALS, metrics)["id"] == best


def test_best_trial_is_none_without_a_finished_trial() -> None:
    assert spec.best_trial([TRIALS[1], TRIALS[3]], [{"metric_id": "m"}]) is None
    assert spec.best_trial(TRIALS, []) is None


# Found by the check/emulator fuzz (tests/reliability/test_fuzz_agreement.py): the
# service judges a bound left out as 0 and blames a wrong-kind condition once.


def test_a_bound_left_out_is_judged_as_the_wire_reads_it_zero() -> None:
    log = _param(double_value_spec={"max_value": 1.0}, scale_type="UNIT_LOG_SCALE")
    under = _param(
        integer_value_spec={"max_value": 3},
        conditional_parameter_specs=[{
            "parent_int_values": {"values": [-1]},
            "parameter_spec": {"parameter_id": "c", "discrete_value_spec": {"values": [1]}}}],
    )  # fmt: skip
    for params, blamed in [
        (log, "study_spec.parameters[0].scale_type"),
        (
            under,
            "study_spec.parameters[0].conditional_parameter_specs[0].parent_int_values.values[0]",
        ),
    ]:
        raw = job(study_spec__parameters=params, study_spec__algorithm="RANDOM_SEARCH")
        paths = {f.path for f in spec.normalize_hyperparameter_tuning_job(raw).failures}
        assert blamed in paths and any(p.endswith("value_spec.min_value") for p in paths), paths


def test_a_condition_of_the_wrong_kind_is_blamed_once() -> None:
    params = _param(
        integer_value_spec={"min_value": 1, "max_value": 3},
        conditional_parameter_specs=[{
            "parent_discrete_values": {"values": [1.0]},
            "parameter_spec": {"parameter_id": "c", "discrete_value_spec": {"values": [1]}}}],
    )  # fmt: skip
    paths = {f.path for f in spec.normalize_hyperparameter_tuning_job(
        job(study_spec__parameters=params)).failures}  # fmt: skip
    assert paths == {
        "study_spec.parameters[0].conditional_parameter_specs[0].parent_discrete_values"
    }
