"""The search algorithms: which parameters trial N gets. Pure, deterministic, no I/O.

Both algorithms answer ``suggest(index)`` for the 0-based trial index alone, so a
restarted emulator suggests exactly what it would have suggested, whatever order the
trials finished in.

GRID_SEARCH (INTEGER, CATEGORICAL and DISCRETE parameters only; validation refuses a
DOUBLE): the Cartesian product of every top-level parameter's points, in the order the
parameters are listed in ``study_spec.parameters``, the **last parameter varying
fastest** (``itertools.product`` order). A parameter's points, in order: INTEGER every
whole number from ``min_value`` to ``max_value``; DISCRETE and CATEGORICAL their
``values`` as listed. A parent's value carries the points of the conditional
parameters active under it (``conditional_parameter_specs`` whose parent condition
holds that value, in listed order), as a nested product (again the last varying
fastest) that varies faster than the parent. Trial ``N`` (1-based id) is grid point
``N - 1``; the study ends when the grid is exhausted, even below ``max_trial_count``
("The study is done when the service exhausts the parameter search space or
max_trial_count is reached", ``Study.State.COMPLETED``). Nothing is materialised: a
point is computed from its index (mixed radix).

RANDOM_SEARCH, and ALGORITHM_UNSPECIFIED (Vertex's default is Bayesian optimisation;
the emulator runs random search instead): each active parameter is drawn
independently, uniformly in its scaled space. DOUBLE: ``u`` uniform in [0, 1) mapped
back through the scale (UNIT_LINEAR_SCALE or unset: ``min + u (max - min)``;
UNIT_LOG_SCALE: ``exp(ln min + u (ln max - ln min))``; UNIT_REVERSE_LOG_SCALE:
``min + max - exp(ln max - u (ln max - ln min))``, the inverse of open-source
Vizier's reverse-log scaler). INTEGER: linear or unset scale, every whole number in
[min, max] equally likely; a log scale draws the real number as for DOUBLE and rounds
it. DISCRETE and CATEGORICAL: one of ``values``, each equally likely (whatever the
scale type). Conditional parameters are drawn only under a matching parent value.
Trial ``N`` uses ``random.Random(f"{seed}/{N - 1}")``; the seed is :func:`study_seed`,
a hash of the study spec, so the same spec gives the same trials in any emulator.

Values reach the trainer as ``--<parameter_id>=<value>`` appended to every worker
pool's args (:func:`trial_args`); see :func:`format_value`.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.cloud.aiplatform_v1 import StudySpec

EPSILON = 1e-10
"""How close a DISCRETE value must be to a parent condition's value to match (the API's)."""

_SCALE = StudySpec.ParameterSpec.ScaleType
_ALGORITHM = StudySpec.Algorithm


@dataclass(frozen=True)
class ParameterValue:
    """One parameter of a trial: its id, value and the kind of its value spec."""

    parameter_id: str
    value: float | int | str
    kind: str  # "double_value_spec", "integer_value_spec", "discrete_value_spec", ...


def raw_study_spec(study_spec: Any) -> Any:
    """The raw protobuf of a StudySpec given as proto-plus or raw."""
    return StudySpec.pb(study_spec) if isinstance(study_spec, StudySpec) else study_spec


def study_seed(study_spec: Any) -> int:
    """The random-search seed of a study: 63 bits of SHA-256 of its deterministic bytes."""
    data = raw_study_spec(study_spec).SerializeToString(deterministic=True)
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big") >> 1


def format_value(value: ParameterValue) -> str:
    """The text of a value on the command line.

    INTEGER as a whole number (``64``); DOUBLE and DISCRETE as Python's shortest
    round-trip float text (``0.01``, ``1e-05``, ``128.0``: Vertex passes DISCRETE values
    as floats); CATEGORICAL as is.
    """
    if value.kind == "integer_value_spec":
        return str(int(value.value))
    if value.kind == "categorical_value_spec":
        return str(value.value)
    return repr(float(value.value))


def trial_args(values: Sequence[ParameterValue]) -> list[str]:
    """``--<parameter_id>=<value>`` for each value, in order (one token each)."""
    return [f"--{v.parameter_id}={format_value(v)}" for v in values]


def suggest(study_spec: Any, index: int, seed: int) -> list[ParameterValue] | None:
    """The parameters of the trial with 0-based ``index``; None when the grid is exhausted."""
    pb = raw_study_spec(study_spec)
    if pb.algorithm == _ALGORITHM.GRID_SEARCH:
        params = list(pb.parameters)
        if index >= _product_count(params):
            return None
        return _product_nth(params, index)
    rng = random.Random(f"{seed}/{index}")
    return [v for p in pb.parameters for v in _sample(p, rng)]


def grid_size(study_spec: Any) -> int:
    """How many points a GRID_SEARCH study has."""
    return _product_count(list(raw_study_spec(study_spec).parameters))


# ---- the grid -------------------------------------------------------------------------


def _points(param: Any) -> list[Any] | range:
    kind = param.WhichOneof("parameter_value_spec")
    if kind == "integer_value_spec":
        spec = param.integer_value_spec
        return range(spec.min_value, spec.max_value + 1)
    if kind == "discrete_value_spec":
        return list(param.discrete_value_spec.values)
    if kind == "categorical_value_spec":
        return list(param.categorical_value_spec.values)
    raise ValueError(f"{param.parameter_id}: {kind} has no grid points")


def _children(param: Any, value: Any) -> list[Any]:
    return [c.parameter_spec for c in param.conditional_parameter_specs if _holds(c, value)]


def _holds(conditional: Any, value: Any) -> bool:
    kind = conditional.WhichOneof("parent_value_condition")
    if kind == "parent_discrete_values":
        return any(abs(value - v) <= EPSILON for v in conditional.parent_discrete_values.values)
    if kind == "parent_int_values":
        return int(value) in conditional.parent_int_values.values
    if kind == "parent_categorical_values":
        return value in conditional.parent_categorical_values.values
    return False


def _count(param: Any) -> int:
    points = _points(param)
    if not param.conditional_parameter_specs:
        return len(points)
    return sum(_product_count(_children(param, value)) for value in points)


def _product_count(params: Sequence[Any]) -> int:
    return math.prod(_count(p) for p in params)


def _nth(param: Any, k: int) -> list[ParameterValue]:
    points = _points(param)
    kind = param.WhichOneof("parameter_value_spec")
    if not param.conditional_parameter_specs:
        return [ParameterValue(param.parameter_id, points[k], kind)]
    for value in points:
        children = _children(param, value)
        size = _product_count(children)
        if k < size:
            return [ParameterValue(param.parameter_id, value, kind), *_product_nth(children, k)]
        k -= size
    raise IndexError(k)


def _product_nth(params: Sequence[Any], k: int) -> list[ParameterValue]:
    parts: list[list[ParameterValue]] = []
    for param in reversed(params):  # the last parameter varies fastest
        k, r = divmod(k, _count(param))
        parts.append(_nth(param, r))
    return [v for part in reversed(parts) for v in part]


# ---- random ---------------------------------------------------------------------------


def _unscale(u: float, low: float, high: float, scale: int) -> float:
    if high <= low:
        return low
    if scale == _SCALE.UNIT_LOG_SCALE:
        x = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    elif scale == _SCALE.UNIT_REVERSE_LOG_SCALE:
        x = low + high - math.exp(math.log(high) - u * (math.log(high) - math.log(low)))
    else:
        x = low + u * (high - low)
    return min(max(x, low), high)


def _sample(param: Any, rng: random.Random) -> list[ParameterValue]:
    kind = param.WhichOneof("parameter_value_spec")
    value: float | int | str
    if kind == "double_value_spec":
        spec = param.double_value_spec
        value = _unscale(rng.random(), spec.min_value, spec.max_value, param.scale_type)
    elif kind == "integer_value_spec":
        spec = param.integer_value_spec
        if param.scale_type in (_SCALE.UNIT_LOG_SCALE, _SCALE.UNIT_REVERSE_LOG_SCALE):
            x = _unscale(rng.random(), spec.min_value, spec.max_value, param.scale_type)
            value = min(max(round(x), spec.min_value), spec.max_value)
        else:
            value = rng.randint(spec.min_value, spec.max_value)
    elif kind == "discrete_value_spec":
        value = rng.choice(list(param.discrete_value_spec.values))
    else:
        value = rng.choice(list(param.categorical_value_spec.values))
    out = [ParameterValue(param.parameter_id, value, kind)]
    for child in _children(param, value):
        out.extend(_sample(child, rng))
    return out
