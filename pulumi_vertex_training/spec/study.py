"""The rules of a HyperparameterTuningJob's ``study_spec``, on its shape-normalized dict.

The API reference's rules (StudySpec field docs), as the emulator applies them
(``emulator/hyperparameter_tuning_jobs/validation.py``), plus these, stricter on purpose
(each is likely a mistake and the reference is silent or the API docs say Required):

* ``metrics[].goal`` is required (the field doc says "Required."; the service, and the
  emulator, read unset as MAXIMIZE);
* ``min_value`` and ``max_value`` must both be given (proto3 cannot tell 0 from unset,
  so the emulator reads a missing bound as 0);
* a categorical parameter may not repeat a value;
* at most one automated stopping spec (a oneof: on the wire the last one given wins);
* ``study_stopping_config.min_num_trials`` <= ``max_num_trials``, and a convex stopping
  spec's ``min_step_count`` <= ``max_step_count``.

Each check appends SpecFailures with full field paths and never raises; UNKNOWN values
skip the checks that need them.
"""

from __future__ import annotations

from typing import Any

from . import names
from .failures import SpecFailure, is_unknown, missing

MAX_DISCRETE_VALUES = 1000
DISCRETE_MIN_GAP = 1e-10
VALUE_SPECS = (
    "double_value_spec",
    "integer_value_spec",
    "categorical_value_spec",
    "discrete_value_spec",
)
STOPPING_SPECS = (
    "decay_curve_stopping_spec",
    "median_automated_stopping_spec",
    "convex_automated_stopping_spec",
)
_CONDITION_OF = {
    "discrete_value_spec": "parent_discrete_values",
    "integer_value_spec": "parent_int_values",
    "categorical_value_spec": "parent_categorical_values",
}
_LOG_SCALES = ("UNIT_LOG_SCALE", "UNIT_REVERSE_LOG_SCALE")


def _known(value: Any) -> bool:
    return value is not None and not is_unknown(value)


def check_study_spec(study: Any, path: str, failures: list[SpecFailure]) -> None:
    """Every rule of a StudySpec dict (see the module docstring)."""
    if not isinstance(study, dict):
        return
    _check_metrics(study.get("metrics"), names.join(path, "metrics"), failures)
    if study.get("observation_noise") is not None:
        failures.append(
            SpecFailure(
                names.join(path, "observation_noise"),
                "not supported by HyperparameterTuningJob (Vertex AI Vizier only); leave it unset",
                study["observation_noise"],
            )
        )
    given = [s for s in STOPPING_SPECS if s in study]
    if len(given) > 1:
        failures.append(
            SpecFailure(
                names.join(path, given[1]),
                f"give at most one automated stopping spec (also given: {given[0]})",
                study[given[1]],
            )
        )
    _check_stopping(study, path, failures)
    params = study.get("parameters")
    p_path = names.join(path, "parameters")
    if params is None or params == []:
        failures.append(missing(p_path, "required: at least one ParameterSpec"))
    if not isinstance(params, list):
        return
    grid = study.get("algorithm") == "GRID_SEARCH"
    ids: dict[str, str] = {}
    for i, param in enumerate(params):
        _check_param(param, names.index(p_path, i), grid, ids, failures)


def _check_metrics(metrics: Any, path: str, failures: list[SpecFailure]) -> None:
    if metrics is None or metrics == []:
        failures.append(missing(path, "required: at least one MetricSpec (the first is the goal)"))
    if not isinstance(metrics, list):
        return
    seen: set[str] = set()
    for i, metric in enumerate(metrics):
        if not isinstance(metric, dict):
            continue
        m_path = names.index(path, i)
        _check_id(metric.get("metric_id"), names.join(m_path, "metric_id"), seen, failures)
        if metric.get("goal") is None:
            failures.append(missing(names.join(m_path, "goal"), "required: MAXIMIZE or MINIMIZE"))
        safety = metric.get("safety_config")
        fraction = (
            safety.get("desired_min_safe_trials_fraction") if isinstance(safety, dict) else None
        )
        if isinstance(fraction, float) and not 0.0 <= fraction <= 1.0:
            failures.append(
                SpecFailure(
                    names.join(m_path, "safety_config.desired_min_safe_trials_fraction"),
                    "must be between 0 and 1",
                    fraction,
                )
            )


def _check_id(value: Any, path: str, seen: set[str], failures: list[SpecFailure]) -> None:
    if value is None or value == "":
        failures.append(missing(path, "required: an id without whitespace"))
    elif isinstance(value, str) and any(c.isspace() for c in value):
        failures.append(SpecFailure(path, "must not contain whitespace", value))
    elif isinstance(value, str) and value in seen:
        failures.append(SpecFailure(path, "must be unique; it is given twice", value))
    if isinstance(value, str):
        seen.add(value)


def _check_stopping(study: dict[str, Any], path: str, failures: list[SpecFailure]) -> None:
    convex = study.get("convex_automated_stopping_spec")
    if isinstance(convex, dict):
        low, high = convex.get("min_step_count"), convex.get("max_step_count")
        if isinstance(low, int) and isinstance(high, int) and high and low > high:
            failures.append(
                SpecFailure(
                    names.join(path, "convex_automated_stopping_spec.min_step_count"),
                    f"must be at most max_step_count ({high})",
                    low,
                )
            )
    config = study.get("study_stopping_config")
    if isinstance(config, dict):
        low, high = config.get("min_num_trials"), config.get("max_num_trials")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            failures.append(
                SpecFailure(
                    names.join(path, "study_stopping_config.min_num_trials"),
                    f"must be at most max_num_trials ({high})",
                    low,
                )
            )


def _check_param(
    param: Any, path: str, grid: bool, ids: dict[str, str], failures: list[SpecFailure]
) -> None:
    if not isinstance(param, dict):
        return
    pid = param.get("parameter_id")
    id_path = names.join(path, "parameter_id")
    if pid is None or pid == "":
        failures.append(missing(id_path, "required: the flag name trials get (--id=value)"))
    elif isinstance(pid, str) and any(c.isspace() for c in pid):
        failures.append(SpecFailure(id_path, "must not contain whitespace", pid))
    elif isinstance(pid, str) and pid in ids:
        failures.append(SpecFailure(id_path, f"must be unique; {ids[pid]} has it too", pid))
    elif isinstance(pid, str):
        ids[pid] = path
    kinds = [k for k in VALUE_SPECS if k in param]
    if not kinds:  # blamed on the parameter, as the service does: no one spec is missing
        failures.append(missing(path, f"required: one of {', '.join(VALUE_SPECS)}"))
        return
    if len(kinds) > 1:
        failures.append(
            SpecFailure(
                names.join(path, kinds[1]),
                f"give exactly one value spec (also given: {kinds[0]})",
                param[kinds[1]],
            )
        )
    kind = kinds[0]
    spec = param[kind]
    if not isinstance(spec, dict):
        return
    s_path = names.join(path, kind)
    scale = param.get("scale_type")
    if "default_value" in spec:
        failures.append(
            SpecFailure(
                names.join(s_path, "default_value"),
                "not supported by HyperparameterTuningJob; leave it unset",
                spec["default_value"],
            )
        )
    low = _check_values(kind, spec, s_path, failures)
    if kind == "categorical_value_spec" and _known(scale):
        failures.append(
            SpecFailure(
                names.join(path, "scale_type"), "leave it unset for a categorical parameter", scale
            )
        )
    if scale in _LOG_SCALES and isinstance(low, (int, float)) and low <= 0:
        failures.append(
            SpecFailure(
                names.join(path, "scale_type"),
                f"{scale} needs a strictly positive feasible space; the minimum is {low}",
                scale,
            )
        )
    if grid and kind == "double_value_spec":  # the parameter's kind is wrong (the service's path)
        failures.append(
            SpecFailure(
                path,
                "GRID_SEARCH needs INTEGER, CATEGORICAL or DISCRETE parameters; "
                "use a discrete_value_spec",
                spec,
            )
        )
    _check_conditionals(param, kind, path, grid, ids, failures)


def _check_values(kind: str, spec: dict[str, Any], path: str, failures: list[SpecFailure]) -> Any:
    """The rules of one value spec; returns the lowest value (for log scales) when known."""
    if kind in ("double_value_spec", "integer_value_spec"):
        low: Any = spec.get("min_value")
        high: Any = spec.get("max_value")
        for name, value in (("min_value", low), ("max_value", high)):
            if value is None:
                failures.append(missing(names.join(path, name), "required: an inclusive bound"))
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            failures.append(  # both bounds are in it: the spec is blamed, as the service does
                SpecFailure(path, f"min_value {low} is greater than max_value {high}", spec)
            )
        if low is None:  # reported above; on the wire a bound left out is 0
            return 0
        return low if _known(low) else None
    values = spec.get("values")
    v_path = names.join(path, "values")
    if values is None or values == []:
        failures.append(missing(v_path, "required: at least one value"))
        return None
    if not isinstance(values, list):
        return None
    if kind == "categorical_value_spec":
        for j, value in enumerate(values):
            if value in values[:j]:
                failures.append(SpecFailure(names.index(v_path, j), "is given twice", value))
        return None
    if len(values) > MAX_DISCRETE_VALUES:
        failures.append(SpecFailure(v_path, f"at most {MAX_DISCRETE_VALUES} values", len(values)))
    numbers = [v for v in values if isinstance(v, float)]
    for j in range(1, len(numbers)):
        if numbers[j] - numbers[j - 1] < DISCRETE_MIN_GAP:
            failures.append(
                SpecFailure(
                    names.index(v_path, j),
                    f"values must increase, at least {DISCRETE_MIN_GAP} apart "
                    f"(after {numbers[j - 1]})",
                    numbers[j],
                )
            )
    return min(numbers) if numbers and len(numbers) == len(values) else None


def _check_conditionals(
    param: dict[str, Any],
    kind: str,
    path: str,
    grid: bool,
    ids: dict[str, str],
    failures: list[SpecFailure],
) -> None:
    conditionals = param.get("conditional_parameter_specs")
    if not isinstance(conditionals, list):
        return
    c_root = names.join(path, "conditional_parameter_specs")
    taken: dict[str, list[Any]] = {}
    for j, cond in enumerate(conditionals):
        if not isinstance(cond, dict):
            continue
        c_path = names.index(c_root, j)
        expected = _CONDITION_OF.get(kind)
        if expected is None:
            failures.append(
                SpecFailure(c_path, "a DOUBLE parameter cannot have conditional parameters", cond)
            )
            continue
        given = [k for k in _CONDITION_OF.values() if k in cond]
        for other in given:
            if other != expected:
                failures.append(
                    SpecFailure(
                        names.join(c_path, other),
                        f"the parent is a {kind}: use {expected}",
                        cond[other],
                    )
                )
        condition = cond.get(expected)
        if not given:  # a condition of the wrong kind is reported above, naming this one
            failures.append(
                missing(names.join(c_path, expected), f"required: the parent's values ({kind})")
            )
        elif expected in given and isinstance(condition, dict):
            child = cond.get("parameter_spec")
            child_id = child.get("parameter_id") if isinstance(child, dict) else None
            _check_condition(param, kind, condition, names.join(c_path, expected), failures)
            found = condition.get("values")
            values: list[Any] = found if isinstance(found, list) else []
            previous = taken.setdefault(str(child_id), [])
            if any(v == p for v in values for p in previous):
                failures.append(
                    SpecFailure(
                        c_path,
                        f"conditions of the parameters named {child_id!r} must be disjoint",
                        values,
                    )
                )
            previous.extend(values)
        child = cond.get("parameter_spec")
        if child is None:
            failures.append(
                missing(names.join(c_path, "parameter_spec"), "required: the ParameterSpec")
            )
            continue
        child_id = child.get("parameter_id") if isinstance(child, dict) else None
        sibling = isinstance(child_id, str) and ids.get(child_id, "").startswith(c_root + "[")
        first = ids.pop(child_id) if sibling and isinstance(child_id, str) else None
        _check_param(child, names.join(c_path, "parameter_spec"), grid, ids, failures)
        if first is not None and isinstance(child_id, str):
            ids[child_id] = first


def _check_condition(
    param: dict[str, Any],
    kind: str,
    condition: dict[str, Any],
    path: str,
    failures: list[SpecFailure],
) -> None:
    values = condition.get("values")
    v_path = names.join(path, "values")
    if values is None or values == []:
        failures.append(missing(v_path, "required: at least one parent value"))
        return
    spec = param.get(kind)
    if not isinstance(values, list) or not isinstance(spec, dict):
        return
    for j, value in enumerate(values):
        if kind == "integer_value_spec":
            # a bound left out is reported already; on the wire it is 0
            low, high = (0 if spec.get(k) is None else spec[k] for k in ("min_value", "max_value"))
            ok = not (isinstance(low, int) and isinstance(high, int)) or low <= value <= high
        else:
            known = spec.get("values")
            if not isinstance(known, list):
                continue
            if kind == "discrete_value_spec":
                ok = any(abs(value - k) <= DISCRETE_MIN_GAP for k in known if isinstance(k, float))
            else:
                ok = value in known
        if not ok:
            failures.append(
                SpecFailure(names.index(v_path, j), "is not a value of the parent parameter", value)
            )
