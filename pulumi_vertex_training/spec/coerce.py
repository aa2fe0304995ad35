"""Shape normalization driven by ``schema.MESSAGES``: keys, types, enums, durations.

``coerce_message`` turns what a user (or the Pulumi wire) gives into plain dicts with
snake_case keys and canonical scalars, keeping explicit zero values so the validators
can still see them; ``prune`` then drops what proto3 cannot tell from absent. Neither
raises on bad input: every problem becomes a SpecFailure and the field is left out.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from typing import Any

from . import names
from .durations import DurationError, normalize_duration
from .enums import ENUMS, EnumValueError, parse_enum
from .failures import SpecFailure, is_unknown
from .schema import MESSAGES, Field

_INT_RANGES = {"int32": 2**31, "int64": 2**63}

#: Messages whose ``env`` may be given as a mapping {name: value}.
_ENV_MESSAGES = frozenset({"ContainerSpec", "PythonPackageSpec", "ModelContainerSpec"})

#: Repeated message fields whose empty elements are positional placeholders.
PLACEHOLDER_LISTS = frozenset({("CustomJobSpec", "worker_pool_specs")})


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: getattr(value, f.name)
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    return value


def _kind_of(value: Any) -> str:
    return type(value).__name__


def coerce_message(raw: Any, message: str, path: str, failures: list[SpecFailure]) -> Any:
    """``raw`` as a dict of the named message, or UNKNOWN, or None when unusable.

    Unknown keys, wrong types and bad enum/duration values are appended to ``failures``
    and left out of the result.
    """
    return coerce_fields(_plain(raw), message, MESSAGES[message], path, failures, coerce_field)


FieldCoercer = Callable[[Any, Field, str, str, str, list[SpecFailure]], Any]
"""``(value, field, message, name, path, failures) -> value or None``: one field's value."""


def coerce_fields(
    raw: Any,
    message: str,
    table: Mapping[str, Field],
    path: str,
    failures: list[SpecFailure],
    field: FieldCoercer,
) -> Any:
    """The walk of one message's keys that every schema shares (``schema.py``'s and
    ``study_schema.py``'s): ``raw`` as a dict keyed by the snake_case names of ``table``,
    each value by ``field``; or UNKNOWN, or None when ``raw`` is not an object."""
    if is_unknown(raw):
        return raw
    if not isinstance(raw, Mapping):
        failures.append(
            SpecFailure(path, f"must be an object ({message} fields), not {_kind_of(raw)}", raw)
        )
        return None
    out: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            failures.append(SpecFailure(path or "<root>", "field names must be strings", key))
            continue
        name = names.resolve_key(key, table)
        if name is None:
            hint = names.closest(key, table)
            suggestion = f"did you mean {hint!r}?" if hint else f"known: {', '.join(sorted(table))}"
            failures.append(
                SpecFailure(
                    names.join(path, key), f"unknown field of {message}; {suggestion}", value
                )
            )
            continue
        if name in seen:
            failures.append(
                SpecFailure(
                    names.join(path, name),
                    f"given twice (as {seen[name]!r} and {key!r}); give it once",
                    value,
                )
            )
            continue
        seen[name] = key
        if value is None:
            continue
        result = field(value, table[name], message, name, names.join(path, name), failures)
        if result is not None:
            out[name] = result
    return out


def coerce_field(
    value: Any, field: Field, message: str, name: str, path: str, failures: list[SpecFailure]
) -> Any:
    """One field's value in canonical shape, or None when it is unusable or absent."""
    if is_unknown(value):
        return value
    if field.repeated:
        if message in _ENV_MESSAGES and name == "env":
            value = _env_list(value)
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            failures.append(SpecFailure(path, f"must be a list, not {_kind_of(value)}", value))
            return None
        items: list[Any] = []
        single = dataclasses.replace(field, repeated=False)
        placeholder = (message, name) in PLACEHOLDER_LISTS
        for i, item in enumerate(value):
            item_path = names.index(path, i)
            if item is None:
                if placeholder:
                    items.append({})
                    continue
                failures.append(SpecFailure(item_path, "list items must not be null", None))
                continue
            coerced = coerce_field(item, single, message, name, item_path, failures)
            if coerced is not None:
                items.append(coerced)
            elif placeholder:
                items.append({})  # keep positions stable; the failure is already recorded
        return items
    return _scalar(value, field, path, failures)


def _env_list(value: Any) -> Any:
    """Mapping-form env ({name: value}) -> list form, sorted by name.

    Sorted because a mapping's order does not survive the Pulumi wire (a protobuf
    Struct); give the list form when a value refers to a later variable with $(VAR).
    """
    if isinstance(value, Mapping):
        return [
            {"name": k, "value": v} for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
        ]
    return value


def _scalar(value: Any, field: Field, path: str, failures: list[SpecFailure]) -> Any:
    kind = field.kind
    if kind == "message":
        return coerce_message(value, field.message, path, failures)
    if kind == "string":
        if isinstance(value, str):
            return value
        failures.append(SpecFailure(path, f"must be a string, not {_kind_of(value)}", value))
        return None
    if kind == "text":
        text = as_text(value)
        if text is None:
            failures.append(SpecFailure(path, f"must be a string, not {_kind_of(value)}", value))
        return text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        failures.append(SpecFailure(path, "must be true or false", value))
        return None
    if kind in _INT_RANGES:
        number = as_int(value)
        if number is None:
            failures.append(SpecFailure(path, "must be a whole number", value))
            return None
        bound = _INT_RANGES[kind]
        if not -bound <= number < bound:
            failures.append(SpecFailure(path, f"must fit in {kind}", value))
            return None
        return number
    if kind == "duration":
        try:
            return normalize_duration(value)
        except DurationError as err:
            failures.append(SpecFailure(path, err.reason, value))
            return None
    if kind == "enum":
        try:
            return parse_enum(value, ENUMS[field.enum])
        except EnumValueError as err:
            failures.append(SpecFailure(path, err.reason, value))
            return None
    if kind == "map":
        return _map(value, path, failures)
    raise AssertionError(f"unhandled field kind {kind}")  # pragma: no cover


def _map(value: Any, path: str, failures: list[SpecFailure]) -> Any:
    if not isinstance(value, Mapping):
        failures.append(
            SpecFailure(
                path, f"must be a mapping of strings to strings, not {_kind_of(value)}", value
            )
        )
        return None
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            failures.append(SpecFailure(path, "keys must be strings", key))
            continue
        if item is None:
            continue
        if is_unknown(item):
            out[key] = item
            continue
        text = as_text(item)
        if text is None:
            failures.append(SpecFailure(names.key_path(path, key), "must be a string", item))
            continue
        out[key] = text
    return out


def as_int(value: Any) -> int | None:
    """A whole number from int, whole float (the Pulumi wire sends floats) or digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        body = text[1:] if text[:1] in "+-" else text
        return int(text) if body.isascii() and body.isdigit() else None
    return None


def as_text(value: Any) -> str | None:
    """A string from str or number (whole floats print as ints); None for other types."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, enum.Enum)):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def prune(value: Any, message: str) -> Any:
    """Drop what proto3 cannot tell from absent: zero scalars, empty lists, maps, messages.

    ``optional`` fields keep their zeros, durations keep ``"0s"`` (a set message), and
    empty worker pools stay as ``{}`` placeholders. UNKNOWN is kept everywhere.
    """
    if not isinstance(value, dict):
        return value
    table = MESSAGES[message]
    out: dict[str, Any] = {}
    for name, item in value.items():
        field = table[name]
        if is_unknown(item):
            out[name] = item
            continue
        if field.repeated:
            items = []
            for element in item:
                if field.kind == "message" and isinstance(element, dict):
                    element = prune(element, field.message)
                    if not element and (message, name) not in PLACEHOLDER_LISTS:
                        continue
                items.append(element)
            if items:
                out[name] = items
            continue
        if field.kind == "message":
            item = prune(item, field.message)
            if item:
                out[name] = item
            continue
        if field.kind == "map":
            if item:
                out[name] = item
            continue
        if field.optional or field.kind == "duration":
            out[name] = item
            continue
        if item in ("", 0, False):
            continue
        out[name] = item
    return out
