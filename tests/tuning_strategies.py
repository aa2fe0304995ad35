"""Hypothesis strategies for HyperparameterTuningJob inputs, built from spec/study_schema.py.

As ``tests/strategies.py`` does for CustomJobs: every field of every StudySpec message
gets a strategy from its kind (a field added to ``study_schema.MESSAGES`` is fuzzed
without touching this file), ``EXAMPLES`` adds values at and around the rules' edges by
field name, and the structure the rules are about is drawn on purpose: one value spec
per parameter (sometimes none or two), conditional parameters whose condition matches
the parent's kind or not, with parent values inside and outside the parent's values,
ids repeated, grids over doubles. The trial's CustomJobSpec comes from
``strategies.custom_jobs`` half the time (its own edges), else is a valid one.

- :func:`tuning_jobs`: well-formed-ish jobs, for check() vs emulator agreement.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from pulumi_vertex_training.spec.study_schema import ENUMS, MESSAGES
from tests.strategies import EXAMPLES as JOB_EXAMPLES
from tests.strategies import custom_jobs, labels

VALUE_SPECS = (
    "double_value_spec",
    "integer_value_spec",
    "categorical_value_spec",
    "discrete_value_spec",
)
CONDITION_OF = {
    "discrete_value_spec": "parent_discrete_values",
    "integer_value_spec": "parent_int_values",
    "categorical_value_spec": "parent_categorical_values",
}
IDS = ["x", "lr", "units", "a b", "", "x"]
EXAMPLES: dict[str, list[Any]] = {
    "metric_id": ["loss", "accuracy", "my loss", "", "loss"],
    "safety_threshold": [0.0, 0.5],
    "desired_min_safe_trials_fraction": [-0.1, 0.0, 0.5, 1.0, 1.5],
    "min_step_count": [0, 1, 5, 10],
    "max_step_count": [0, 1, 5, 10],
    "min_measurement_count": [0, 3],
    "learning_rate_parameter_name": ["lr", ""],
    "min_num_trials": [0, 1, 5],
    "max_num_trials": [0, 1, 3, 10],
    "max_num_trials_no_progress": [0, 2],
    "max_duration": ["60s", "0s", "-1s", "3600s"],
    "max_duration_no_progress": ["60s", "0s", "-1s"],
    "end_time": ["2030-01-01T00:00:00Z", "2030-01-01T00:00:00", "soon"],
}
_BOUNDS = [(0.001, 1.0), (0.0, 1.0), (-1.0, 1.0), (1.0, 1.0), (2.0, 1.0), (1e-6, 10.0)]
_INT_BOUNDS = [(1, 3), (0, 4), (-2, 2), (3, 3), (4, 1), (1, 1000)]
_CATEGORIES = [["relu", "tanh"], ["a"], [], ["a", "a"], ["a", "b", "c"]]
_DISCRETE = [[1.0, 2.0], [0.5, 1.0, 4.0], [2.0, 1.0], [1.0, 1.0 + 1e-11], [], [-1.0, 2.0]]


def _scalar(name: str, kind: str, enum: str | None) -> st.SearchStrategy[Any]:
    if name in EXAMPLES:
        return st.sampled_from(EXAMPLES[name])
    if kind == "bool":
        return st.booleans()
    if kind in ("int32", "int64"):
        return st.integers(min_value=-2, max_value=5)
    if kind == "double":
        return st.sampled_from([-1.0, 0.0, 0.5, 1.0])
    if kind == "enum" and enum is not None:
        found = ENUMS[enum]
        return st.sampled_from([*found.allowed(), found.unspecified])
    if kind == "duration":
        return st.sampled_from(["1s", "0s", "-1s"])
    if kind == "timestamp":
        return st.sampled_from(EXAMPLES["end_time"])
    return st.sampled_from(["v", ""])


def study_message(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """A few fields of the StudySpec message ``name`` (scalars and nested messages)."""
    table = MESSAGES[name]
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field, spec in table.items():
        if spec.kind == "message":
            if spec.repeated or spec.message not in MESSAGES or spec.message == "ParameterSpec":
                continue
            fields[field] = study_message(spec.message)
        elif spec.repeated:
            fields[field] = st.lists(_scalar(field, spec.kind, spec.enum), max_size=2)
        else:
            fields[field] = _scalar(field, spec.kind, spec.enum)
    return st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({f: fields[f] for f in chosen})
    )


@st.composite
def metric(draw: st.DrawFn) -> dict[str, Any]:
    """A MetricSpec: an id near the rules' edges, a goal (sometimes unset or unspecified)."""
    spec: dict[str, Any] = {"metric_id": draw(st.sampled_from(EXAMPLES["metric_id"]))}
    goal = draw(
        st.sampled_from(["MAXIMIZE", "MINIMIZE", "MINIMIZE", None, "GOAL_TYPE_UNSPECIFIED"])
    )
    if goal is not None:
        spec["goal"] = goal
    if draw(st.integers(0, 5)) == 0:
        spec["safety_config"] = draw(study_message("SafetyMetricConfig"))
    return spec


@st.composite
def value_spec(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """The value spec of ``kind``, bounds or values near the rules' edges."""
    spec: dict[str, Any]
    if kind == "double_value_spec":
        low, high = draw(st.sampled_from(_BOUNDS))
        spec = {"min_value": low, "max_value": high}
    elif kind == "integer_value_spec":
        ilow, ihigh = draw(st.sampled_from(_INT_BOUNDS))
        spec = {"min_value": ilow, "max_value": ihigh}
    elif kind == "categorical_value_spec":
        spec = {"values": list(draw(st.sampled_from(_CATEGORIES)))}
    else:
        spec = {"values": list(draw(st.sampled_from(_DISCRETE)))}
    if kind in ("double_value_spec", "integer_value_spec") and draw(st.integers(0, 6)) == 0:
        del spec[draw(st.sampled_from(["min_value", "max_value"]))]
    if draw(st.integers(0, 8)) == 0:  # of the field's type: a wrong type is another matter
        first = (spec.get("values") or [spec.get("min_value", 1)])[0]
        spec["default_value"] = "a" if kind == "categorical_value_spec" else first
    return spec


def _condition(kind: str, spec: dict[str, Any]) -> st.SearchStrategy[list[Any]]:
    """Parent values for a condition: the parent's own, and some that are not."""
    if kind == "integer_value_spec":
        low, high = spec.get("min_value", 0), spec.get("max_value", 0)
        return st.lists(st.sampled_from([low, high, low - 1, high + 1]), max_size=2)
    values = list(spec.get("values", []))
    outside: list[Any] = ["zzz"] if kind == "categorical_value_spec" else [99.0]
    return st.lists(st.sampled_from(values + outside), max_size=2)


@st.composite
def parameter(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """A ParameterSpec: usually one value spec, sometimes none or two; scale types;
    conditional parameters (one level) matching the parent's kind or not."""
    param: dict[str, Any] = {"parameter_id": draw(st.sampled_from(IDS))}
    count = draw(st.sampled_from([1, 1, 1, 1, 1, 0, 2]))
    kinds = draw(
        st.lists(st.sampled_from(VALUE_SPECS), min_size=count, max_size=count, unique=True)
    )
    for kind in kinds:
        param[kind] = draw(value_spec(kind))
    if draw(st.integers(0, 3)) == 0:
        param["scale_type"] = draw(
            _scalar("scale_type", "enum", "StudySpec.ParameterSpec.ScaleType")
        )
    if depth == 0 and kinds and draw(st.integers(0, 3)) == 0:
        conditionals = []
        for _ in range(draw(st.integers(1, 2))):
            wanted = CONDITION_OF.get(kinds[0], "parent_int_values")
            which = draw(st.sampled_from([wanted, wanted, wanted, *CONDITION_OF.values()]))
            cond: dict[str, Any] = {}
            if draw(st.integers(0, 6)):
                values = draw(_condition(kinds[0], param[kinds[0]]))
                if which == "parent_int_values":
                    values = [int(v) if isinstance(v, float) else v for v in values]
                    values = [v for v in values if isinstance(v, int)]
                elif which == "parent_discrete_values":
                    values = [float(v) for v in values if isinstance(v, (int, float))]
                else:
                    values = [str(v) for v in values]
                cond[which] = {"values": values}
            if draw(st.integers(0, 6)):
                cond["parameter_spec"] = draw(parameter(depth=1))
            conditionals.append(cond)
        param["conditional_parameter_specs"] = conditionals
    return param


@st.composite
def study_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A StudySpec: 0-2 metrics, 0-3 parameters, an algorithm, and a few other fields
    (measurement selection, stopping specs, stopping config, observation noise)."""
    spec = draw(study_message("StudySpec"))
    spec["metrics"] = draw(st.lists(metric(), min_size=0 if draw(st.integers(0, 9)) == 0 else 1,
                                    max_size=2))  # fmt: skip
    spec["parameters"] = draw(st.lists(parameter(), min_size=0 if draw(st.integers(0, 9)) == 0
                                       else 1, max_size=3))  # fmt: skip
    algorithm = draw(
        st.sampled_from(["GRID_SEARCH", "RANDOM_SEARCH", None, "ALGORITHM_UNSPECIFIED"])
    )
    if algorithm is not None:
        spec["algorithm"] = algorithm
    return spec


_VALID_TRIAL = {
    "worker_pool_specs": [
        {
            "machine_spec": {"machine_type": "n1-standard-4"},
            "replica_count": 1,
            "container_spec": {"image_uri": "local/python:3.11"},
        }
    ]
}


@st.composite
def tuning_jobs(draw: st.DrawFn) -> dict[str, Any]:
    """A HyperparameterTuningJob (every input field): right shape and types, values near
    the rules' edges; the trial's CustomJobSpec fuzzed half the time."""
    job: dict[str, Any] = {
        "display_name": draw(st.sampled_from(["tune"] * 4 + JOB_EXAMPLES["display_name"])),
        "study_spec": draw(study_specs()),
        "max_trial_count": draw(st.sampled_from([1, 3, 6, 6, 0, -1])),
        "parallel_trial_count": draw(st.sampled_from([1, 2, 2, 6, 8, 0])),
        "trial_job_spec": (
            draw(custom_jobs())["job_spec"] if draw(st.booleans()) else dict(_VALID_TRIAL)
        ),
    }
    if draw(st.booleans()):
        job["max_failed_trial_count"] = draw(st.sampled_from([0, 1, 3, -1]))
    if draw(st.integers(0, 3)) == 0:
        job["labels"] = draw(labels)
    if draw(st.integers(0, 5)) == 0:
        job["encryption_spec"] = {
            "kms_key_name": draw(st.sampled_from(JOB_EXAMPLES["kms_key_name"]))
        }
    for optional in ("max_trial_count", "parallel_trial_count", "study_spec", "trial_job_spec"):
        if draw(st.integers(0, 30)) == 0:
            del job[optional]
    return job
