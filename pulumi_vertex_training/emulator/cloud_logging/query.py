"""The Cloud Logging query language, meant: a filter compiled to a predicate on stored lines.

``compile_query('resource.labels.job_id="12" AND severity>=ERROR')`` returns a
:class:`Query`: ``query.matches(row)`` says whether a :class:`~.rows.LogRow`
matches, and ``query.bounds`` says what every match must have (a job id, a task
name, a time range), so the store reads only those rows.

Meaning, as the query-language page documents it:

- string comparisons ignore case (``=``, ``!=``, ``<``..., ``:`` is "has": a
  substring); ``=~`` / ``!~`` are regular expressions and keep case;
- ``severity`` compares by level (``severity>=ERROR``), names in any case, or numbers;
- ``timestamp`` / ``receiveTimestamp`` take RFC 3339 (``Z``, ``+hh:mm`` or
  ``+hhmm``, up to nanoseconds) or a bare date, and compare at nanoseconds;
- a comparison on a field the entry does not have is false, ``!=`` included;
  ``NOT`` of it is true. ``field:*`` says whether the field is there;
- ``field = ("a" OR "b")`` applies the operator to each value;
- a bare word or string (a global restriction) matches when any field holds it;
- a field the LogEntry type does not have is an error.

Fields: ``resource.type``, ``resource.labels.{project_id,job_id,task_name}``,
``logName``, ``severity``, ``timestamp``, ``receiveTimestamp``, ``insertId``,
``jsonPayload.message``, ``jsonPayload.levelname``, ``jsonPayload.attrs.tag``; the
other LogEntry fields (``textPayload``, ``labels.*``, ``trace``, ...) exist but are
not set on these entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from google.logging.type import log_severity_pb2

from pulumi_vertex_training.emulator.cloud_logging import query_syntax as syntax
from pulumi_vertex_training.emulator.cloud_logging.rows import RESOURCE_TYPE, LogRow

_MISSING = object()
Getter = Callable[[LogRow], object]
Predicate = Callable[[LogRow], bool]

_SEVERITIES = {name: int(number) for name, number in log_severity_pb2.LogSeverity.items()}
_UNSET_FIELDS = frozenset(
    {"trace", "spanId", "span_id", "traceSampled", "trace_sampled", "operation",
     "sourceLocation", "source_location", "httpRequest", "http_request", "split"}
)  # fmt: skip
_ABSENT_FIELDS = frozenset(
    {"textPayload", "text_payload", "protoPayload", "proto_payload", "labels", "errorGroups"}
)


class QueryError(ValueError):
    """The filter cannot be run: bad syntax, an unknown field or a value of the wrong kind."""


@dataclass(frozen=True)
class Bounds:
    """What every match has, for reading less: None where the filter does not say."""

    job_id: str | None = None
    task: str | None = None
    ts_min: int | None = None  # inclusive, nanoseconds since the epoch
    ts_end: int | None = None  # exclusive


@dataclass(frozen=True)
class Query:
    """A compiled filter."""

    matches: Predicate
    bounds: Bounds


def compile_query(text: str) -> Query:
    """Compile a filter (empty: everything).

    Raises:
        QueryError: saying what is wrong and where.
    """
    try:
        node = syntax.parse(text)
    except syntax.QuerySyntaxError as err:
        raise QueryError(str(err)) from err
    if node is None:
        return Query(lambda _row: True, Bounds())
    return Query(_compile(node), _bounds(node))


# ---- fields ------------------------------------------------------------------------------


def _json_field(path: tuple[str, ...]) -> Getter:
    def get(row: LogRow) -> object:
        value: object = row.json_payload
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return _MISSING
            value = value[key]
        return value

    return get


def _field(path: tuple[str, ...], pos: int) -> tuple[str, Getter]:
    """``(kind, getter)`` of a field path; kind is "string", "severity" or "time"."""
    head, rest = path[0], path[1:]
    dotted = ".".join(path)
    if dotted == "resource.type":
        return "string", lambda _row: RESOURCE_TYPE
    if head == "resource" and len(rest) == 2 and rest[0] == "labels":
        key = rest[1]
        return "string", lambda row: row.resource_labels.get(key, _MISSING)
    if not rest:
        simple: dict[str, tuple[str, Getter]] = {
            "logName": ("string", lambda row: row.log_name),
            "severity": ("severity", lambda row: row.severity),
            "timestamp": ("time", lambda row: row.ts_ns),
            "receiveTimestamp": ("time", lambda row: row.received_ns),
            "insertId": ("string", lambda row: row.insert_id),
        }
        aliases = {"log_name": "logName", "receive_timestamp": "receiveTimestamp"}
        found = simple.get(aliases.get(head, head))
        if found is not None:
            return found
    if head in ("jsonPayload", "json_payload") and rest:
        return "string", _json_field(rest)
    if head in _ABSENT_FIELDS:
        return "string", lambda _row: _MISSING
    if head in _UNSET_FIELDS:
        return "string", lambda _row: ""
    raise QueryError(f"unknown field {dotted!r} at position {pos}")


# ---- values ------------------------------------------------------------------------------

_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?"
)


def parse_time(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 timestamp or a date (UTC when no zone).

    >>> parse_time("1970-01-01T00:00:01.5Z"), parse_time("1970-01-02")
    (1500000000, 86400000000000)

    Raises:
        ValueError: not a timestamp.
    """
    m = _TIME.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp")
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    h, mi, s = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    moment = datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc)
    if m[9]:
        offset = timedelta(hours=int(m[10]), minutes=int(m[11]))
        moment = moment - offset if m[9] == "+" else moment + offset
    seconds = int(moment.timestamp())
    return seconds * 1_000_000_000 + int((m[7] or "0").ljust(9, "0"))


def _convert(kind: str, value: syntax.Value, pos: int) -> object:
    try:
        if kind == "severity":
            upper = value.text.upper()
            return int(value.text) if value.text.isdigit() else _SEVERITIES[upper]
        if kind == "time":
            return parse_time(value.text)
    except (KeyError, ValueError):
        what = "a severity" if kind == "severity" else "a timestamp"
        raise QueryError(f"{value.text!r} is not {what} (position {pos})") from None
    return value.text.casefold()


def _test(op: str, actual: object, wanted: object) -> bool:
    if actual is _MISSING:
        return False
    if isinstance(actual, str):
        actual = actual.casefold()
    elif not isinstance(actual, int):
        actual = str(actual).casefold()
    if op == ":":
        return str(wanted) in str(actual) if isinstance(actual, str) else actual == wanted
    try:
        return {
            "=": actual == wanted,
            "!=": actual != wanted,
            "<": actual < wanted,  # type: ignore[operator]
            "<=": actual <= wanted,  # type: ignore[operator]
            ">": actual > wanted,  # type: ignore[operator]
            ">=": actual >= wanted,  # type: ignore[operator]
        }[op]
    except TypeError:
        return False


def _regex(op: str, kind: str, get: Getter, value: syntax.Value) -> Predicate:
    try:
        pattern = re.compile(value.text)
    except re.error as err:
        raise QueryError(f"bad regular expression {value.text!r}: {err}") from None
    negate = op == "!~"

    def test(row: LogRow) -> bool:
        actual = get(row)
        if actual is _MISSING:
            return False
        if kind == "severity" and isinstance(actual, int):
            actual = log_severity_pb2.LogSeverity.Name(actual)
        return (pattern.search(str(actual)) is not None) != negate

    return test


def _plain(op: str, get: Getter, wanted: object) -> Predicate:
    return lambda row: _test(op, get(row), wanted)


def _comparison(node: syntax.Comparison) -> Predicate:
    kind, get = _field(node.path, node.pos)
    values = node.value.items if isinstance(node.value, syntax.ValueList) else (node.value,)
    if node.op == ":" and len(values) == 1 and values[0].text == "*" and not values[0].quoted:
        return lambda row: get(row) is not _MISSING
    tests = [
        _regex(node.op, kind, get, v)
        if node.op in ("=~", "!~")
        else _plain(node.op, get, _convert(kind, v, node.pos))
        for v in values
    ]
    if len(tests) == 1:
        return tests[0]
    join = all if isinstance(node.value, syntax.ValueList) and node.value.join == "AND" else any
    return lambda row: join(test(row) for test in tests)


def _term(text: str) -> Predicate:
    needle = text.casefold()

    def anywhere(row: LogRow) -> bool:
        fields = (row.text, row.log_name, row.task, row.job_id, row.project, row.level_name)
        return any(needle in field.casefold() for field in fields)

    return anywhere


def _compile(node: syntax.Node) -> Predicate:
    if isinstance(node, syntax.Comparison):
        return _comparison(node)
    if isinstance(node, syntax.Term):
        return _term(node.text)
    if isinstance(node, syntax.Not):
        inner = _compile(node.child)
        return lambda row: not inner(row)
    children = [_compile(child) for child in node.children]
    if isinstance(node, syntax.And):
        return lambda row: all(child(row) for child in children)
    return lambda row: any(child(row) for child in children)


# ---- bounds: what every match has ----------------------------------------------------------


def _label_value(node: syntax.Node, key: str) -> str | None:
    """The value ``resource.labels.<key>`` must equal for ``node`` to hold, if one."""
    if isinstance(node, syntax.Comparison):
        exact = node.path == ("resource", "labels", key) and node.op == "="
        return node.value.text if exact and isinstance(node.value, syntax.Value) else None
    if isinstance(node, syntax.And):
        return next((v for c in node.children if (v := _label_value(c, key)) is not None), None)
    if isinstance(node, syntax.Or):
        found = {_label_value(c, key) for c in node.children}
        return found.pop() if len(found) == 1 else None
    return None


def _time_range(node: syntax.Node) -> tuple[int | None, int | None]:
    """(inclusive start, exclusive end) of ``timestamp`` that ``node`` implies."""
    if isinstance(node, syntax.Comparison):
        if node.path != ("timestamp",) or not isinstance(node.value, syntax.Value):
            return None, None
        try:
            t = parse_time(node.value.text)
        except ValueError:
            return None, None
        return {
            "=": (t, t + 1),
            ">": (t + 1, None),
            ">=": (t, None),
            "<": (None, t),
            "<=": (None, t + 1),
        }.get(node.op, (None, None))
    if isinstance(node, syntax.And):
        ranges = [_time_range(c) for c in node.children]
        starts = [s for s, _ in ranges if s is not None]
        ends = [e for _, e in ranges if e is not None]
        return (max(starts) if starts else None), (min(ends) if ends else None)
    if isinstance(node, syntax.Or):  # a bound only when every branch has one
        ranges = [_time_range(c) for c in node.children]
        starts = [s for s, _ in ranges if s is not None]
        ends = [e for _, e in ranges if e is not None]
        start = min(starts) if len(starts) == len(ranges) else None
        end = max(ends) if len(ends) == len(ranges) else None
        return start, end
    return None, None


def _bounds(node: syntax.Node) -> Bounds:
    start, end = _time_range(node)
    return Bounds(_label_value(node, "job_id"), _label_value(node, "task_name"), start, end)
