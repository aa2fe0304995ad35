"""Crossing between Pulumi's property values and spec/'s plain values.

spec/ never imports the Pulumi runtime: here ``pulumi.output.Unknown`` (a value
not known at preview) becomes ``spec.UNKNOWN`` and back, spec failures become
``CheckFailure``s, and old and new values are compared as the engine sees them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from pulumi_vertex_training.spec.failures import UNKNOWN, SpecFailure, is_unknown


def to_spec(value: Any) -> Any:
    """Replace every ``pulumi.output.Unknown`` with ``spec.UNKNOWN`` (recursively)."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: to_spec(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_spec(v) for v in value]
    return value


def from_spec(value: Any) -> Any:
    """Replace every ``spec.UNKNOWN`` with ``pulumi.output.Unknown`` (recursively)."""
    if is_unknown(value):
        return Unknown()
    if isinstance(value, dict):
        return {k: from_spec(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [from_spec(v) for v in value]
    return value


def contains_unknown(value: Any) -> bool:
    """True when the value is, or holds, a value not known yet."""
    if isinstance(value, Unknown) or is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def check_failures(failures: Iterable[SpecFailure]) -> list[CheckFailure]:
    """spec failures as the ``CheckFailure``s ``pulumi preview`` prints."""
    return [CheckFailure(f.path, f.message) for f in failures]


def same_value(a: Any, b: Any) -> bool:
    """Equality that ignores what a gRPC trip changes (ints turned floats)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b)


def unchanged(old: Any, new: Any) -> bool:
    """Whether an input kept its value: a new value not known yet counts as changed."""
    return not contains_unknown(new) and same_value(old, new)


def changed_paths(old: Any, new: Any, path: str = "") -> list[str]:
    """Field paths whose values differ, e.g. ``worker_pool_specs[0].container_spec.args``."""
    if isinstance(new, Unknown) or is_unknown(new):
        return [path or "(all)"]
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(sub)
            else:
                out.extend(changed_paths(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(changed_paths(a, b, f"{path}[{i}]"))
        return out
    return [] if same_value(old, new) else [path or "(all)"]


def time_string(value: Any) -> str | None:
    """A proto Timestamp field as RFC 3339, or None when unset."""
    return value.rfc3339() if value else None
