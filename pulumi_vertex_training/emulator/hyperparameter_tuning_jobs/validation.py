"""CreateHyperparameterTuningJob's validation: the rules the API reference states.

Every rule names the field path (``hyperparameter_tuning_job.study_spec.parameters[1]
.discrete_value_spec.values``), the value and what is allowed; all violations are
reported at once in one INVALID_ARGUMENT. ``trial_job_spec`` gets CreateCustomJob's
rules (``custom_jobs/validation.py``). Sources: the field docs of
``HyperparameterTuningJob`` and ``StudySpec`` (v1 REST reference,
https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.hyperparameterTuningJobs
and .../v1/StudySpec).

Where the reference is silent the emulator is permissive (``emulator/COVERAGE.md``):
``parallel_trial_count`` may exceed ``max_trial_count`` (it is then the cap),
``min_value == max_value`` is allowed, a categorical may repeat a value, the automated
stopping specs and ``study_stopping_config`` are accepted and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from google.cloud.aiplatform_v1 import StudySpec

from pulumi_vertex_training.emulator import common_validation as common
from pulumi_vertex_training.emulator.custom_jobs import validation as custom_job_validation
from pulumi_vertex_training.emulator.exceptions import InvalidArgument, Violation

NAME_RE = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/hyperparameterTuningJobs/(?P<id>[0-9]+)$"
)
MAX_DISCRETE_VALUES = 1000
DISCRETE_MIN_GAP = 1e-10

_P = StudySpec.ParameterSpec
_SCALE = _P.ScaleType
_LOG_SCALES = (_SCALE.UNIT_LOG_SCALE, _SCALE.UNIT_REVERSE_LOG_SCALE)
_GOALS = {int(g) for g in StudySpec.MetricSpec.GoalType.__members__.values()}
_ALGORITHMS = {int(a) for a in StudySpec.Algorithm.__members__.values()}
_SELECTIONS = {int(s) for s in StudySpec.MeasurementSelectionType.__members__.values()}
_SCALES = {int(s) for s in _SCALE.__members__.values()}
_CONDITION_OF = {
    "discrete_value_spec": "parent_discrete_values",
    "integer_value_spec": "parent_int_values",
    "categorical_value_spec": "parent_categorical_values",
}
_VALUE_SPECS = (
    "double_value_spec, integer_value_spec, categorical_value_spec or discrete_value_spec"
)


def check_name(name: str, field: str = "name") -> None:
    """INVALID_ARGUMENT unless ``name`` is ``projects/../hyperparameterTuningJobs/{number}``."""
    if not NAME_RE.match(name):
        raise InvalidArgument.of(
            field,
            f"{name!r} is not a valid HyperparameterTuningJob name; expected "
            "projects/{project}/locations/{location}/hyperparameterTuningJobs/{numeric id}",
        )


def validate(job: Any, f: str = "hyperparameter_tuning_job") -> None:
    """Raise InvalidArgument listing every rule the job (a raw protobuf message) breaks."""
    errors: list[Violation] = []
    if not job.display_name.strip():
        errors.append((f"{f}.display_name", f"{f}.display_name is required"))
    elif len(job.display_name) > common.MAX_DISPLAY_NAME:
        errors.append(
            (
                f"{f}.display_name",
                f"{f}.display_name is {len(job.display_name)} characters; "
                f"at most {common.MAX_DISPLAY_NAME} are allowed",
            )
        )
    common.check_labels(dict(job.labels), f"{f}.labels", errors)
    kms = job.encryption_spec.kms_key_name
    if job.HasField("encryption_spec") and not common.KMS_KEY_RE.match(kms):
        errors.append(
            (
                f"{f}.encryption_spec.kms_key_name",
                f"{kms!r} must be projects/{{p}}/locations/{{l}}/keyRings/{{kr}}/cryptoKeys/{{k}}",
            )
        )
    for name in ("max_trial_count", "parallel_trial_count"):
        if getattr(job, name) <= 0:
            errors.append(
                (f"{f}.{name}", f"{getattr(job, name)} must be at least 1 (it is required)")
            )
    if job.max_failed_trial_count < 0:
        errors.append((f"{f}.max_failed_trial_count", f"{job.max_failed_trial_count} is negative"))
    if not job.HasField("study_spec"):
        errors.append((f"{f}.study_spec", f"{f}.study_spec is required"))
    else:
        _check_study(job.study_spec, f"{f}.study_spec", errors)
    if not job.HasField("trial_job_spec"):
        errors.append((f"{f}.trial_job_spec", f"{f}.trial_job_spec is required"))
    else:
        custom_job_validation.check_job_spec(job.trial_job_spec, f"{f}.trial_job_spec", errors)
    if errors:
        raise InvalidArgument(violations=errors)


def _check_study(study: Any, f: str, errors: list[Violation]) -> None:
    metrics = list(study.metrics)
    if not metrics:
        errors.append((f"{f}.metrics", f"{f}.metrics must list at least one MetricSpec"))
    seen: set[str] = set()
    for i, metric in enumerate(metrics):
        m = f"{f}.metrics[{i}]"
        _check_id(metric.metric_id, f"{m}.metric_id", seen, errors)
        if metric.goal not in _GOALS:
            errors.append((f"{m}.goal", f"{metric.goal} is not a GoalType (MAXIMIZE or MINIMIZE)"))
        fraction = metric.safety_config.desired_min_safe_trials_fraction
        if metric.safety_config.HasField("desired_min_safe_trials_fraction") and not (
            0.0 <= fraction <= 1.0
        ):
            errors.append(
                (
                    f"{m}.safety_config.desired_min_safe_trials_fraction",
                    f"{fraction} is not in [0, 1]",
                )
            )
    if study.algorithm not in _ALGORITHMS:
        errors.append((f"{f}.algorithm", f"{study.algorithm} is not a StudySpec.Algorithm"))
    if study.measurement_selection_type not in _SELECTIONS:
        errors.append(
            (
                f"{f}.measurement_selection_type",
                f"{study.measurement_selection_type} is not a MeasurementSelectionType",
            )
        )
    if study.observation_noise:
        errors.append(
            (
                f"{f}.observation_noise",
                f"{f}.observation_noise is not supported by HyperparameterTuningJob "
                "(leave it unset)",
            )
        )
    params = list(study.parameters)
    if not params:
        errors.append((f"{f}.parameters", f"{f}.parameters must list at least one ParameterSpec"))
    grid = study.algorithm == StudySpec.Algorithm.GRID_SEARCH
    ids: dict[str, str] = {}
    for i, param in enumerate(params):
        _check_param(param, f"{f}.parameters[{i}]", grid, ids, errors)


def _check_id(value: str, f: str, seen: set[str], errors: list[Violation]) -> None:
    if not value:
        errors.append((f, f"{f} is required"))
    elif any(c.isspace() for c in value):
        errors.append((f, f"{value!r} must not contain whitespace"))
    elif value in seen:
        errors.append((f, f"{value!r} is given twice; ids must be unique"))
    seen.add(value)


def _check_param(
    param: Any, f: str, grid: bool, ids: dict[str, str], errors: list[Violation]
) -> None:
    pid = param.parameter_id
    if not pid:
        errors.append((f"{f}.parameter_id", f"{f}.parameter_id is required"))
    elif any(c.isspace() for c in pid):
        errors.append((f"{f}.parameter_id", f"{pid!r} must not contain whitespace"))
    elif pid in ids:
        errors.append((f"{f}.parameter_id", f"{pid!r} is also {ids[pid]}; ids must be unique"))
    else:
        ids[pid] = f
    kind = param.WhichOneof("parameter_value_spec")
    if param.scale_type not in _SCALES:
        errors.append((f"{f}.scale_type", f"{param.scale_type} is not a ScaleType"))
    if kind is None:
        errors.append((f, f"one of {_VALUE_SPECS} is required"))
        return
    spec = getattr(param, kind)
    if spec.HasField("default_value"):
        errors.append(
            (
                f"{f}.{kind}.default_value",
                f"{f}.{kind}.default_value is not supported by HyperparameterTuningJob",
            )
        )
    if kind in ("double_value_spec", "integer_value_spec"):
        if spec.min_value > spec.max_value:
            errors.append(
                (
                    f"{f}.{kind}",
                    f"min_value {spec.min_value} is greater than max_value {spec.max_value}",
                )
            )
        low = spec.min_value
    elif kind == "discrete_value_spec":
        _check_discrete(list(spec.values), f"{f}.{kind}.values", errors)
        low = min(spec.values, default=1)
    else:
        if not spec.values:
            errors.append((f"{f}.{kind}.values", f"{f}.{kind}.values must list at least one value"))
        if param.scale_type:
            errors.append(
                (f"{f}.scale_type", f"{f}.scale_type must be unset for a CATEGORICAL parameter")
            )
        low = 1
    if param.scale_type in _LOG_SCALES and low <= 0:
        errors.append(
            (
                f"{f}.scale_type",
                f"{_SCALE(param.scale_type).name} needs a strictly positive "
                f"feasible space, but its minimum is {low}",
            )
        )
    if grid and kind == "double_value_spec":
        errors.append(
            (
                f,
                f"GRID_SEARCH needs INTEGER, CATEGORICAL or DISCRETE parameters; "
                f"{pid!r} is DOUBLE (use a discrete_value_spec)",
            )
        )
    _check_conditionals(param, kind, f, grid, ids, errors)


def _check_discrete(values: Sequence[float], f: str, errors: list[Violation]) -> None:
    if not values:
        errors.append((f, f"{f} must list at least one value"))
    elif len(values) > MAX_DISCRETE_VALUES:
        errors.append(
            (f, f"{f} has {len(values)} values; at most {MAX_DISCRETE_VALUES} are allowed")
        )
    for j in range(1, len(values)):
        if values[j] - values[j - 1] < DISCRETE_MIN_GAP:
            errors.append(
                (
                    f"{f}[{j}]",
                    f"{values[j]} must be greater than {values[j - 1]} by at least "
                    f"{DISCRETE_MIN_GAP} (values in increasing order)",
                )
            )


def _check_conditionals(
    param: Any, kind: str, f: str, grid: bool, ids: dict[str, str], errors: list[Violation]
) -> None:
    taken: dict[str, list[Any]] = {}  # child id -> the parent values it is active under
    for j, cond in enumerate(param.conditional_parameter_specs):
        c = f"{f}.conditional_parameter_specs[{j}]"
        which = cond.WhichOneof("parent_value_condition")
        expected = _CONDITION_OF.get(kind)
        if expected is None:
            errors.append((c, "a DOUBLE parameter cannot have conditional parameters"))
            continue
        if which is None:
            errors.append((f"{c}.{expected}", f"{c}.{expected} is required (the parent is {kind})"))
        elif which != expected:
            errors.append(
                (f"{c}.{which}", f"{c}.{which} does not match the parent's {kind}; use {expected}")
            )
        else:
            allowed = _parent_values(param, kind)
            values = list(getattr(cond, which).values)
            if not values:
                errors.append(
                    (f"{c}.{which}.values", f"{c}.{which}.values must list at least one value")
                )
            for v in values:
                if not allowed(v):
                    errors.append((f"{c}.{which}.values", f"{v!r} is not a value of the parent"))
            child_id = cond.parameter_spec.parameter_id
            previous = taken.setdefault(child_id, [])
            if any(_same(v, p, kind) for v in values for p in previous):
                errors.append(
                    (
                        c,
                        f"conditions of parameters named {child_id!r} under the same parent "
                        "must be disjoint",
                    )
                )
            previous.extend(values)
        if not cond.HasField("parameter_spec"):
            errors.append((f"{c}.parameter_spec", f"{c}.parameter_spec is required"))
            continue
        child = cond.parameter_spec
        # A same-named sibling (disjoint conditions, checked above) is not a duplicate.
        sibling = ids.get(child.parameter_id, "").startswith(f"{f}.conditional_parameter_specs[")
        first = ids.pop(child.parameter_id) if sibling else None
        _check_param(child, f"{c}.parameter_spec", grid, ids, errors)
        if first is not None:
            ids[child.parameter_id] = first


def _same(a: Any, b: Any, kind: str) -> bool:
    return abs(a - b) <= DISCRETE_MIN_GAP if kind == "discrete_value_spec" else bool(a == b)


def _parent_values(param: Any, kind: str) -> Any:
    if kind == "discrete_value_spec":
        known = list(param.discrete_value_spec.values)
        return lambda v: any(abs(v - k) <= DISCRETE_MIN_GAP for k in known)
    if kind == "integer_value_spec":
        spec = param.integer_value_spec
        return lambda v: spec.min_value <= v <= spec.max_value
    categories = set(param.categorical_value_spec.values)
    return lambda v: v in categories
