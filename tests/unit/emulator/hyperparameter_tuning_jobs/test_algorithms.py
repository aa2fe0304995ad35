"""Grid and random search: which parameters trial N gets (pure, no Docker)."""

from __future__ import annotations

import math
from typing import Any

from google.cloud.aiplatform_v1 import StudySpec

from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs import algorithms

CONDITIONAL = {
    "algorithm": "GRID_SEARCH",
    "metrics": [{"metric_id": "m", "goal": "MAXIMIZE"}],
    "parameters": [
        {"parameter_id": "opt", "categorical_value_spec": {"values": ["sgd", "adam"]},
         "conditional_parameter_specs": [
             {"parent_categorical_values": {"values": ["sgd"]},
              "parameter_spec": {"parameter_id": "momentum",
                                 "discrete_value_spec": {"values": [0.5, 0.9]}}}]},
        {"parameter_id": "units", "integer_value_spec": {"min_value": 1, "max_value": 2}},
    ],
}  # fmt: skip


def _points(study: dict[str, Any], n: int, seed: int = 0) -> list[Any]:
    spec = StudySpec(study)
    out = []
    for i in range(n):
        values = algorithms.suggest(spec, i, seed)
        out.append(None if values is None else {v.parameter_id: v.value for v in values})
    return out


def test_grid_is_the_product_in_listed_order_last_fastest_with_conditionals_expanded() -> None:
    assert algorithms.grid_size(StudySpec(CONDITIONAL)) == 6
    assert _points(CONDITIONAL, 7) == [
        {"opt": "sgd", "momentum": 0.5, "units": 1},
        {"opt": "sgd", "momentum": 0.5, "units": 2},
        {"opt": "sgd", "momentum": 0.9, "units": 1},
        {"opt": "sgd", "momentum": 0.9, "units": 2},
        {"opt": "adam", "units": 1},
        {"opt": "adam", "units": 2},
        None,  # exhausted
    ]


def test_a_huge_grid_is_indexed_without_materialising_it() -> None:
    study = {
        "algorithm": "GRID_SEARCH",
        "metrics": [{"metric_id": "m"}],
        "parameters": [
            {"parameter_id": f"p{i}", "integer_value_spec": {"min_value": 0, "max_value": 999}}
            for i in range(4)
        ],
    }
    assert algorithms.grid_size(StudySpec(study)) == 1000**4
    last = algorithms.suggest(StudySpec(study), 1000**4 - 1, 0)
    assert last is not None and [v.value for v in last] == [999, 999, 999, 999]


RANDOM = {
    "algorithm": "RANDOM_SEARCH",
    "metrics": [{"metric_id": "m"}],
    "parameters": [
        {"parameter_id": "lr", "double_value_spec": {"min_value": 1e-5, "max_value": 1.0},
         "scale_type": "UNIT_LOG_SCALE"},
        {"parameter_id": "n", "integer_value_spec": {"min_value": 3, "max_value": 5}},
        {"parameter_id": "bs", "discrete_value_spec": {"values": [16, 32]}},
        {"parameter_id": "r", "double_value_spec": {"min_value": 1, "max_value": 10},
         "scale_type": "UNIT_REVERSE_LOG_SCALE"},
    ],
}  # fmt: skip


def test_random_search_is_reproducible_for_a_seed_and_differs_for_another() -> None:
    seed = algorithms.study_seed(StudySpec(RANDOM))
    assert seed == algorithms.study_seed(StudySpec(RANDOM))
    assert _points(RANDOM, 20, seed) == _points(RANDOM, 20, seed)
    assert _points(RANDOM, 20, seed) != _points(RANDOM, 20, seed + 1)
    unspecified = dict(RANDOM, algorithm="ALGORITHM_UNSPECIFIED")  # the default: random too
    assert all(p is not None for p in _points(unspecified, 5, seed))


def test_random_values_stay_in_the_feasible_space_and_follow_the_log_scale() -> None:
    points = _points(RANDOM, 400, 7)
    for p in points:
        assert 1e-5 <= p["lr"] <= 1.0 and p["n"] in (3, 4, 5) and p["bs"] in (16.0, 32.0)
        assert 1 <= p["r"] <= 10
    # Uniform in log space: about half the draws below the geometric midpoint 10**-2.5.
    below = sum(p["lr"] < 10**-2.5 for p in points) / len(points)
    assert 0.4 < below < 0.6
    # Reverse log: values crowd near the top (median above the arithmetic midpoint 5.5).
    assert sorted(p["r"] for p in points)[200] > 5.5
    assert {p["n"] for p in points} == {3, 4, 5}


def test_values_are_formatted_as_documented() -> None:
    value = algorithms.ParameterValue
    assert algorithms.trial_args(
        [
            value("units", 64, "integer_value_spec"),
            value("lr", 1e-05, "double_value_spec"),
            value("bs", 128.0, "discrete_value_spec"),
            value("act", "relu", "categorical_value_spec"),
        ]
    ) == ["--units=64", "--lr=1e-05", "--bs=128.0", "--act=relu"]
    assert not math.isnan(algorithms.study_seed(StudySpec(CONDITIONAL)))
