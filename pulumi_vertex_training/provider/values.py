"""Crossing between Pulumi's property values and spec/'s plain values.

spec/ never imports the Pulumi runtime: here ``pulumi.output.Unknown`` (a value
not known at preview) becomes ``spec.UNKNOWN`` and back, spec failures become
``CheckFailure``s, and old and new values are compared as the engine sees them.

Secrets. The Pulumi engine strips secrets before it calls a dynamic provider: the
SDK's provider host (``python -m pulumi.dynamic``) answers Configure with
``acceptSecrets=False``, so the engine sends plain values, and afterwards copies the
secret bit back onto the properties the provider returns, by name (its
``annotateSecrets``: objects walked, anything else marked whole). check() alone cannot
tell which values it must not print, so every resource class sends ``SECRETS_KEY``:
the paths of its inputs that are secret in the program (:func:`secret_paths`, an
ordinary input the engine passes as it is). :func:`reveal` reads them (and any secret
wrapper a host might pass), :func:`secrets_at` gives their values to spec's
``Secrets``, which masks failures; :func:`mark_secrets` marks them in check()'s
result where it renamed or reshaped what the engine's by-name copy would miss.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime import rpc

from pulumi_vertex_training.spec.failures import UNKNOWN, Secrets, SpecFailure, is_unknown
from pulumi_vertex_training.spec.names import snake_case

SECRETS_KEY = "__secrets"
"""The input holding the paths of the inputs that are secret in the program."""

Path = tuple[str | int, ...]
"""Keys and list indices from a top-level input down, e.g. ``("labels", "token")``."""


def secret_paths(props: Mapping[str, Any]) -> pulumi.Output[list[list[str | int]]]:
    """The paths of the values in ``props`` that are secret (``pulumi.Output.secret``, or an
    Output derived from one), at any depth, as a plain (not secret) input for check().

    Called by the resource classes in the program, where secrets are still marked. Only
    the inputs given now are walked (the result goes into the same dict).
    """
    given = [(key, value) for key, value in props.items() if key != SECRETS_KEY]

    async def find() -> list[list[str | int]]:
        found: list[list[str | int]] = []

        async def walk(value: Any, path: list[str | int]) -> None:
            if isinstance(value, pulumi.Output):
                if await value.is_secret():
                    found.append(path)
                    return
                value = await value.future(with_unknowns=True)
            if isinstance(value, Mapping):
                for key, item in value.items():
                    await walk(item, [*path, str(key)])
            elif isinstance(value, list | tuple):
                for i, item in enumerate(value):
                    await walk(item, [*path, i])

        for key, value in given:
            await walk(value, [key])
        return found

    return pulumi.Output.from_input(find())


def reveal(props: Mapping[str, Any]) -> tuple[dict[str, Any], list[Path]]:
    """``props`` without secret wrappers, and the paths that were secret.

    The paths are those the program sent in ``SECRETS_KEY`` (through the Pulumi CLI, the
    only way check() learns of them) and those of secret wrappers, should a host pass
    any (the SDK's host would hand them over pushed up to the top-level property).
    """
    paths = [_path(p) for p in props.get(SECRETS_KEY) or () if isinstance(p, list | tuple)]
    plain = {key: _unwrap(value, (key,), paths) for key, value in props.items()}
    return plain, paths


def secrets_at(props: Mapping[str, Any], paths: Iterable[Path]) -> Secrets:
    """The values at ``paths`` in ``props``, for spec's failures to mask. A path that goes
    deeper than ``props`` does (check() reshaped the value) stops at the deepest part."""
    return Secrets.of(_at(props, path) for path in paths)


def under_secret(paths: Iterable[Path], *prefix: str | int) -> bool:
    """True when the value at ``prefix`` was secret, or holds something that was."""
    want = _canonical(prefix)
    for path in paths:
        have = _canonical(path)
        n = min(len(have), len(want))
        if have[:n] == want[:n]:
            return True
    return False


def mark_secrets(inputs: Mapping[str, Any], paths: Iterable[Path]) -> dict[str, Any]:
    """``inputs`` with the value at each path wrapped as a Pulumi secret (what the engine
    keeps secret in state and shows as ``[secret]``).

    Where check() renamed a key (camelCase input, snake_case result) the value holding
    it is wrapped; a list is wrapped whole, as the engine does, since check() may
    reorder or reshape its items (env given as a mapping becomes a list).
    """
    marked = dict(inputs)
    for path in paths:
        key = _key_in(marked, path[0]) if path else None
        if key is not None:
            marked[key] = _mark(marked[key], path[1:])
    return marked


def secret(value: Any) -> Any:
    """``value`` wrapped as a Pulumi secret (None and unknowns are left as they are)."""
    if value is None or isinstance(value, Unknown) or is_unknown(value):
        return value
    return rpc.wrap_rpc_secret(value)


def secret_where(
    outputs: dict[str, Any], props: dict[str, Any], keys: Iterable[str], *prefix: str | int
) -> dict[str, Any]:
    """``outputs`` with those in ``keys`` (derived from the input at ``prefix``) marked
    secret when that input was secret or held a secret."""
    if not under_secret(reveal(props)[1], *prefix):
        return outputs
    derived = set(keys)
    return {k: secret(v) if k in derived else v for k, v in outputs.items()}


def _mark(value: Any, path: Path) -> Any:
    if not path or rpc.is_rpc_secret(value) or not isinstance(value, dict):
        return secret(value)
    key = _key_in(value, path[0])
    if key is None:
        return secret(value)
    return {**value, key: _mark(value[key], path[1:])}


def _unwrap(value: Any, path: Path, found: list[Path]) -> Any:
    if rpc.is_rpc_secret(value):
        found.append(path)
        return _unwrap(rpc.unwrap_rpc_secret(value), path, found)
    if isinstance(value, dict):
        return {k: _unwrap(v, (*path, k), found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_unwrap(v, (*path, i), found) for i, v in enumerate(value)]
    return value


def _path(raw: Iterable[Any]) -> Path:
    """A path as it came through gRPC (indices as floats) as keys and ints."""
    return tuple(int(s) if isinstance(s, float) else s for s in raw)


def _canonical(path: Iterable[str | int]) -> Path:
    return tuple(snake_case(s) if isinstance(s, str) else s for s in path)


def _key_in(value: Mapping[str, Any], segment: str | int) -> str | None:
    """The key of ``value`` that ``segment`` names: itself, or its snake_case spelling."""
    if not isinstance(segment, str):
        return None
    if segment in value:
        return segment
    converted = snake_case(segment)
    return converted if converted in value else None


def _at(props: Mapping[str, Any], path: Path) -> Any:
    key = _key_in(props, path[0]) if path else None
    if key is None:
        return None
    value = props[key]
    for segment in path[1:]:
        if isinstance(value, dict) and (found := _key_in(value, segment)) is not None:
            value = value[found]
        elif isinstance(value, list) and isinstance(segment, int) and 0 <= segment < len(value):
            value = value[segment]
        else:
            break
    return value


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


def check_failures(
    failures: Iterable[SpecFailure], secrets: Secrets | None = None
) -> list[CheckFailure]:
    """spec failures as the ``CheckFailure``s ``pulumi preview`` prints, showing nothing
    of ``secrets`` (the values that were secret on input)."""
    shown = secrets.mask(failures) if secrets else list(failures)
    return [CheckFailure(f.path, f.message) for f in shown]


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


def changed_paths(
    old: Any, new: Any, path: str = "", secret: Collection[Path] = (), at: Path = ()
) -> list[str]:
    """Field paths whose values differ, e.g. ``worker_pool_specs[0].container_spec.args``.

    Paths only, never values; and never into a value that was secret (``secret``: paths
    from :func:`reveal`, ``at``: where ``path`` is among them), whose keys are secret too.
    """
    if isinstance(new, Unknown) or is_unknown(new):
        return [path or "(all)"]
    hidden = at and _canonical(at) in {_canonical(p) for p in secret}
    if isinstance(old, dict) and isinstance(new, dict) and not hidden:
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(sub)
            else:
                out.extend(changed_paths(old[key], new[key], sub, secret, (*at, key)))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and not hidden:
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(changed_paths(a, b, f"{path}[{i}]", secret, (*at, i)))
        return out
    return [] if same_value(old, new) else [path or "(all)"]


def time_string(value: Any) -> str | None:
    """A proto Timestamp field as RFC 3339, or None when unset."""
    return value.rfc3339() if value else None
