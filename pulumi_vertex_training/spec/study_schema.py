"""The StudySpec messages as data, their enums, and a shape normalizer for them.

The same scheme as ``schema.py`` / ``coerce.py`` (snake_case or REST camelCase keys,
canonical scalars, every problem a SpecFailure, nothing raised), kept apart so that the
CustomJob tables stay as they are. Kinds added here: ``double`` (a finite number; REST
sends numbers, the Pulumi wire floats) and ``timestamp`` (RFC 3339 text). Scalar kinds
shared with ``schema.py`` are read by ``coerce.coerce_field``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from . import names
from .coerce import coerce_field, coerce_fields
from .enums import EnumType, EnumValueError, parse_enum
from .failures import SpecFailure, is_unknown
from .schema import Field

GOAL_TYPE = EnumType(
    "StudySpec.MetricSpec.GoalType",
    {"GOAL_TYPE_UNSPECIFIED": 0, "MAXIMIZE": 1, "MINIMIZE": 2},
    aliases={"MAX": "MAXIMIZE", "MIN": "MINIMIZE"},
)
ALGORITHM = EnumType(
    "StudySpec.Algorithm",
    {"ALGORITHM_UNSPECIFIED": 0, "GRID_SEARCH": 2, "RANDOM_SEARCH": 3},
    aliases={"GRID": "GRID_SEARCH", "RANDOM": "RANDOM_SEARCH"},
)
OBSERVATION_NOISE = EnumType(
    "StudySpec.ObservationNoise", {"OBSERVATION_NOISE_UNSPECIFIED": 0, "LOW": 1, "HIGH": 2}, {}
)
MEASUREMENT_SELECTION = EnumType(
    "StudySpec.MeasurementSelectionType",
    {"MEASUREMENT_SELECTION_TYPE_UNSPECIFIED": 0, "LAST_MEASUREMENT": 1, "BEST_MEASUREMENT": 2},
    aliases={"LAST": "LAST_MEASUREMENT", "BEST": "BEST_MEASUREMENT"},
)
SCALE_TYPE = EnumType(
    "StudySpec.ParameterSpec.ScaleType",
    {
        "SCALE_TYPE_UNSPECIFIED": 0,
        "UNIT_LINEAR_SCALE": 1,
        "UNIT_LOG_SCALE": 2,
        "UNIT_REVERSE_LOG_SCALE": 3,
    },
    aliases={"LINEAR": "UNIT_LINEAR_SCALE", "LOG": "UNIT_LOG_SCALE"},
)
ENUMS = {e.name: e for e in (GOAL_TYPE, ALGORITHM, OBSERVATION_NOISE, MEASUREMENT_SELECTION)}
ENUMS[SCALE_TYPE.name] = SCALE_TYPE


def _msg(name: str, repeated: bool = False) -> Field:
    return Field("message", message=name, repeated=repeated)


def _enum(name: str) -> Field:
    return Field("enum", enum=name)


S, B, I64, D = Field("string"), Field("bool"), Field("int64"), Field("double")
OPT_D, OPT_I32, OPT_B = (Field(k, optional=True) for k in ("double", "int32", "bool"))

MESSAGES: dict[str, dict[str, Field]] = {
    "StudySpec": {
        "decay_curve_stopping_spec": _msg("DecayCurveAutomatedStoppingSpec"),
        "median_automated_stopping_spec": _msg("MedianAutomatedStoppingSpec"),
        "convex_automated_stopping_spec": _msg("ConvexAutomatedStoppingSpec"),
        "metrics": _msg("MetricSpec", repeated=True),
        "parameters": _msg("ParameterSpec", repeated=True),
        "algorithm": _enum(ALGORITHM.name),
        "observation_noise": _enum(OBSERVATION_NOISE.name),
        "measurement_selection_type": _enum(MEASUREMENT_SELECTION.name),
        "study_stopping_config": _msg("StudyStoppingConfig"),
    },
    "MetricSpec": {
        "metric_id": S,
        "goal": _enum(GOAL_TYPE.name),
        "safety_config": _msg("SafetyMetricConfig"),
    },
    "SafetyMetricConfig": {"safety_threshold": D, "desired_min_safe_trials_fraction": OPT_D},
    "ParameterSpec": {
        "double_value_spec": _msg("DoubleValueSpec"),
        "integer_value_spec": _msg("IntegerValueSpec"),
        "categorical_value_spec": _msg("CategoricalValueSpec"),
        "discrete_value_spec": _msg("DiscreteValueSpec"),
        "parameter_id": S,
        "scale_type": _enum(SCALE_TYPE.name),
        "conditional_parameter_specs": _msg("ConditionalParameterSpec", repeated=True),
    },
    "DoubleValueSpec": {"min_value": D, "max_value": D, "default_value": OPT_D},
    "IntegerValueSpec": {
        "min_value": I64,
        "max_value": I64,
        "default_value": Field("int64", optional=True),
    },
    "CategoricalValueSpec": {
        "values": Field("string", repeated=True),
        "default_value": Field("string", optional=True),
    },
    "DiscreteValueSpec": {"values": Field("double", repeated=True), "default_value": OPT_D},
    "ConditionalParameterSpec": {
        "parent_discrete_values": _msg("DiscreteValueCondition"),
        "parent_int_values": _msg("IntValueCondition"),
        "parent_categorical_values": _msg("CategoricalValueCondition"),
        "parameter_spec": _msg("ParameterSpec"),
    },
    "DiscreteValueCondition": {"values": Field("double", repeated=True)},
    "IntValueCondition": {"values": Field("int64", repeated=True)},
    "CategoricalValueCondition": {"values": Field("string", repeated=True)},
    "DecayCurveAutomatedStoppingSpec": {"use_elapsed_duration": B},
    "MedianAutomatedStoppingSpec": {"use_elapsed_duration": B},
    "ConvexAutomatedStoppingSpec": {
        "max_step_count": I64,
        "min_step_count": I64,
        "min_measurement_count": I64,
        "learning_rate_parameter_name": S,
        "use_elapsed_duration": B,
        "update_all_stopped_trials": OPT_B,
    },
    "StudyStoppingConfig": {
        # Wrapper types (BoolValue, Int32Value): presence is tracked, as for optional.
        "should_stop_asap": OPT_B,
        "minimum_runtime_constraint": _msg("StudyTimeConstraint"),
        "maximum_runtime_constraint": _msg("StudyTimeConstraint"),
        "min_num_trials": OPT_I32,
        "max_num_trials": OPT_I32,
        "max_num_trials_no_progress": OPT_I32,
        "max_duration_no_progress": Field("duration"),
    },
    "StudyTimeConstraint": {"max_duration": Field("duration"), "end_time": Field("timestamp")},
}
"""Input fields of the StudySpec messages (all of them: StudySpec has no output-only field)."""


def coerce(raw: Any, message: str, path: str, failures: list[SpecFailure]) -> Any:
    """``raw`` as a dict of the named message, or UNKNOWN, or None when unusable."""
    from .args import to_plain

    return coerce_fields(to_plain(raw), message, MESSAGES[message], path, failures, _field)


def _field(
    value: Any, field: Field, message: str, name: str, path: str, failures: list[SpecFailure]
) -> Any:
    if is_unknown(value):
        return value
    if field.repeated:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            failures.append(SpecFailure(path, f"must be a list, not {type(value).__name__}", value))
            return None
        single = Field(field.kind, field.message, field.enum)
        items = [
            _field(v, single, message, name, names.index(path, i), failures)
            for i, v in enumerate(value)
        ]
        return [item for item in items if item is not None]
    if field.kind == "message":
        return coerce(value, field.message, path, failures)
    if field.kind == "enum":
        try:
            return parse_enum(value, ENUMS[field.enum])
        except EnumValueError as err:
            failures.append(SpecFailure(path, err.reason, value))
            return None
    if field.kind == "double":
        return _double(value, path, failures)
    if field.kind == "timestamp":
        return _timestamp(value, path, failures)
    return coerce_field(value, field, message, name, path, failures)


def _double(value: Any, path: str, failures: list[SpecFailure]) -> float | None:
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        failures.append(SpecFailure(path, "must be a finite number", value))
        return None
    return number


def _timestamp(value: Any, path: str, failures: list[SpecFailure]) -> str | None:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return value.strip()
    failures.append(
        SpecFailure(path, "must be an RFC 3339 time with a zone, e.g. 2030-01-01T00:00:00Z", value)
    )
    return None


def prune(value: Any, message: str) -> Any:
    """Drop the zero scalars and empty lists proto3 cannot tell from absent (optional and
    wrapper fields keep their zeros; messages given are kept, empty or not)."""
    if not isinstance(value, dict):
        return value
    table = MESSAGES[message]
    out: dict[str, Any] = {}
    for name, item in value.items():
        field = table[name]
        if is_unknown(item):
            out[name] = item
        elif field.kind == "message" and field.repeated:
            items = [prune(v, field.message) if isinstance(v, dict) else v for v in item]
            if items:
                out[name] = items
        elif field.repeated:
            if item:
                out[name] = item
        elif field.kind == "message":
            # Kept even when empty: a message given is set (it may select a oneof member).
            out[name] = prune(item, field.message)
        elif field.optional or field.kind == "duration" or item not in ("", 0, False):
            out[name] = item
    return out
