"""The Cloud Logging query language over stored replica lines: meaning, precedence, bounds."""

from __future__ import annotations

import pytest

from pulumi_vertex_training.emulator.cloud_logging.query import (
    Bounds,
    QueryError,
    compile_query,
    parse_time,
)
from pulumi_vertex_training.emulator.cloud_logging.query_syntax import MAX_DEPTH, MAX_LENGTH
from pulumi_vertex_training.emulator.cloud_logging.rows import STDERR, STDOUT, LogRow

T0 = parse_time("2026-01-02T03:04:05Z")
S = 1_000_000_000


def _row(
    n: int, text: str, stream: int = STDOUT, task: str = "workerpool0-0", job: str = "12"
) -> LogRow:
    return LogRow(n, "proj", job, task, stream, T0 + n * S, T0 + n * S + 1, text)


ROWS = [
    _row(1, "line 1"),
    _row(2, "line 2", STDERR),
    _row(3, "Epoch 3 loss", task="workerpool1-0"),
    _row(4, "Traceback (most recent call last):", STDERR, task="workerpool1-0"),
    _row(5, "other job", job="99"),
]


def _match(text: str) -> list[int]:
    query = compile_query(text)
    return [r.rowid for r in ROWS if query.matches(r)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [1, 2, 3, 4, 5]),
        ('resource.type="ml_job"', [1, 2, 3, 4, 5]),
        ('resource.type="gce_instance"', []),
        ('resource.labels.job_id="12"', [1, 2, 3, 4]),
        ("resource.labels.task_name=workerpool1-0", [3, 4]),
        ('resource.labels.task_name="WORKERPOOL1-0"', [3, 4]),  # strings ignore case
        ("severity=ERROR", [2, 4]),
        ("severity>=error", [2, 4]),
        ("severity<WARNING", [1, 3, 5]),
        ("severity=200", [1, 3, 5]),
        ('jsonPayload.message:"loss"', [3]),
        ('jsonPayload.message=~"^line \\d$"', [1, 2]),
        ('jsonPayload.message!~"line"', [3, 4, 5]),
        ('jsonPayload.levelname="ERROR"', [2, 4]),
        ("jsonPayload.attrs.tag=workerpool0-0", [1, 2, 5]),
        ('logName="projects/proj/logs/workerpool1-0"', [3, 4]),
        (f'timestamp>="{"2026-01-02T03:04:08Z"}"', [3, 4, 5]),
        ('timestamp>"2026-01-02T03:04:08+00:00"', [4, 5]),
        ('timestamp<"2026-01-02T04:04:07+0100"', [1]),  # the Python wrapper's +0000 form
        ('timestamp="2026-01-02T03:04:06.000000000Z"', [1]),
        ("insertId>0000000000000003", [4, 5]),
        # missing fields: every comparison is false, NOT of one is true
        ('textPayload="line 1"', []),
        ('textPayload!="line 1"', []),
        ('NOT textPayload="line 1"', [1, 2, 3, 4, 5]),
        ('labels."ml.googleapis.com/endpoint":*', []),
        ("jsonPayload.message:*", [1, 2, 3, 4, 5]),
        ("resource.labels.zone:*", []),
        ('trace=""', [1, 2, 3, 4, 5]),  # defined on LogEntry, unset: its default
        # boolean structure
        ('resource.labels.job_id="12" severity=ERROR', [2, 4]),  # side by side: AND
        ("NOT severity=ERROR", [1, 3, 5]),
        ("-severity=ERROR", [1, 3, 5]),
        ('resource.labels.task_name=("workerpool1-0" OR "workerpool0-0")', [1, 2, 3, 4, 5]),
        ('jsonPayload.message:("line" AND "2")', [2]),
        ('"TRACEBACK"', [4]),  # a global restriction
        ("loss", [3]),
        ("and", []),  # lower case: a search term, not the operator
    ],
)
def test_filters_match_what_cloud_logging_would(text: str, expected: list[int]) -> None:
    assert _match(text) == expected


def test_or_binds_tighter_than_and() -> None:
    # Cloud Logging: a AND b OR c means a AND (b OR c), not (a AND b) OR c.
    text = 'resource.labels.job_id="99" AND severity=ERROR OR jsonPayload.message:"other"'
    assert _match(text) == [5]
    text = 'jsonPayload.message:"line 1" OR jsonPayload.message:"line 2" AND severity=ERROR'
    assert _match(text) == [2]
    # NOT binds tightest: NOT a OR b is (NOT a) OR b
    assert _match('NOT severity=ERROR OR jsonPayload.message:"line 2"') == [1, 2, 3, 5]


def test_gcloud_stream_logs_cursor_filter() -> None:
    # gcloud ai custom-jobs stream-logs pages forward with exactly this shape.
    ts = "2026-01-02T03:04:07Z"
    text = (
        'resource.type="ml_job" AND resource.labels.job_id="12" AND '
        f'((timestamp="{ts}" AND insertId>"0000000000000001") OR timestamp>"{ts}") AND '
        'timestamp<"2026-01-02T03:04:09.000000Z"'
    )
    assert _match(text) == [2, 3]


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ('resource.labels.job_id="12"', Bounds(job_id="12")),
        (
            'resource.labels.job_id="12" AND resource.labels.task_name="workerpool1-0"',
            Bounds(job_id="12", task="workerpool1-0"),
        ),
        ('resource.labels.job_id="12" OR resource.labels.job_id="13"', Bounds()),
        ('NOT resource.labels.job_id="12"', Bounds()),
        (
            'timestamp>="1970-01-01T00:00:01Z" timestamp<"1970-01-01T00:00:02Z"',
            Bounds(ts_min=S, ts_end=2 * S),
        ),
        (
            '((timestamp="1970-01-01T00:00:01Z" AND insertId>"9") '
            'OR timestamp>"1970-01-01T00:00:01Z")',
            Bounds(ts_min=S),
        ),
        ('severity>=ERROR OR timestamp>"1970-01-01T00:00:01Z"', Bounds()),
    ],
)
def test_bounds_are_what_every_match_has(text: str, bounds: Bounds) -> None:
    assert compile_query(text).bounds == bounds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo=(", "position"),
        ('jsonPayload.message="unterminated', "unterminated string"),
        ("(severity=ERROR", "unbalanced"),
        ("severity=ERROR)", "unexpected ')'"),
        ("severity=LOUD", "not a severity"),
        ('timestamp>"yesterday"', "not a timestamp"),
        ("thud=1", "unknown field 'thud'"),
        ("resource.labels=1", "unknown field"),
        ('jsonPayload.message=~"("', "bad regular expression"),
        ("severity=", "expected a value"),
        ("AND", "expected a comparison"),
        ('jsonPayload.message:("a" AND "b" OR "c")', "one of AND or OR"),
    ],
)
def test_bad_filters_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_query(text)


def test_length_and_depth_are_bounded() -> None:
    compile_query("(" * MAX_DEPTH + "severity=ERROR" + ")" * MAX_DEPTH)
    with pytest.raises(QueryError, match="deeper than"):
        compile_query("(" * (MAX_DEPTH + 1) + "severity=ERROR" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(QueryError, match="deeper than"):
        compile_query("-" * 100 + "severity=ERROR")
    with pytest.raises(QueryError, match=f"at most {MAX_LENGTH}"):
        compile_query('jsonPayload.message:"' + "x" * MAX_LENGTH + '"')


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000000001Z", 1),
        ("1970-01-01T01:00:00+01:00", 0),
        ("1970-01-01T01:00:00.5+0100", 500_000_000),
        ("1970-01-02", 86400 * S),
        ("1970-01-01 00:00:02", 2 * S),
    ],
)
def test_timestamps_in_the_forms_clients_send(text: str, nanos: int) -> None:
    assert parse_time(text) == nanos
