"""The ListCustomJobs filter language: what matches, and the errors for what is not allowed."""

from __future__ import annotations

import pytest
from google.cloud import aiplatform_v1
from google.protobuf import timestamp_pb2

from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.filters import CUSTOM_JOB_FIELDS, FieldSpec, compile_filter


def _job(name: str, display_name: str, state: str, created: str, **labels: str):
    ts = timestamp_pb2.Timestamp()
    ts.FromJsonString(created)
    job = aiplatform_v1.CustomJob(
        name=name,
        display_name=display_name,
        state=state,
        labels=labels,
    )
    aiplatform_v1.CustomJob.pb(job).create_time.CopyFrom(ts)
    return job


JOBS = [
    _job("a", "train-small", "JOB_STATE_SUCCEEDED", "2024-01-01T00:00:00Z", team="ml", env="dev"),
    _job("b", "train-large", "JOB_STATE_FAILED", "2024-02-01T12:00:00.500Z", team="data"),
    _job("c", "eval", "JOB_STATE_RUNNING", "2024-03-01T00:00:00.000000001Z"),
    _job("d", 'quote"d name', "JOB_STATE_SUCCEEDED", "2024-03-01T00:00:00Z", **{"my-key": "x-1"}),
]


def _names(text: str) -> str:
    pred = compile_filter(text)
    return "".join(j.name for j in JOBS if pred(j))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "abcd"),
        ("   ", "abcd"),
        ('display_name="eval"', "c"),
        ("display_name=eval", "c"),
        ('display_name!="eval"', "abd"),
        ('display_name:"train-*"', "ab"),
        ('display_name:"*-large"', "b"),
        ('display_name:"t*n-*"', "ab"),
        ('display_name:"train"', ""),
        ('display_name:"eval"', "c"),
        ('display_name="quote\\"d name"', "d"),
        ("state=JOB_STATE_SUCCEEDED", "ad"),
        ('state="JOB_STATE_SUCCEEDED"', "ad"),
        ("state!=JOB_STATE_SUCCEEDED", "bc"),
        ('create_time>"2024-01-01T00:00:00Z"', "bcd"),
        ('create_time>="2024-01-01T00:00:00Z"', "abcd"),
        ('create_time<"2024-02-01T12:00:00.5Z"', "a"),
        ('create_time<="2024-02-01T12:00:00.5Z"', "ab"),
        ('create_time="2024-03-01T00:00:00Z"', "d"),
        ('create_time!="2024-03-01T00:00:00Z"', "abc"),
        ('create_time>"2024-03-01T00:00:00Z"', "c"),
        ('create_time<"2024-01-01T01:00:00+01:00"', ""),
        ('create_time<"2023-12-31T23:00:01-01:00"', "a"),
        ('create_time>"2023-12-31T22:59:59-01:00"', "abcd"),
        ("labels.team=ml", "a"),
        ('labels.team="data"', "b"),
        ("labels.team!=ml", "bcd"),
        ("labels.team:*", "ab"),
        ('labels.team:"d*"', "b"),
        ("labels.team:ml", "a"),
        ("labels.my-key=x-1", "d"),
        ("labels:team", "ab"),
        ('labels:"my-key"', "d"),
        ("labels.team:* AND state=JOB_STATE_SUCCEEDED", "a"),
        ('state="JOB_STATE_SUCCEEDED" AND display_name:"train_*"', ""),
        ("labels.team:* state=JOB_STATE_FAILED", "b"),
        ("state=JOB_STATE_FAILED OR state=JOB_STATE_RUNNING", "bc"),
        ("labels.env=dev AND state=JOB_STATE_FAILED OR state=JOB_STATE_SUCCEEDED", "a"),
        ("(labels.env=dev AND state=JOB_STATE_FAILED) OR display_name=eval", "c"),
        ("NOT state=JOB_STATE_SUCCEEDED", "bc"),
        ("-state=JOB_STATE_SUCCEEDED", "bc"),
        ("-(labels.team:* OR display_name=eval)", "d"),
        ("NOT labels.team:* AND NOT display_name=eval", "d"),
        # camelCase field names, as the SDK documents them; label keys stay as written
        ('displayName="eval"', "c"),
        ('displayName:"train-*" AND state=JOB_STATE_FAILED', "b"),
        ('createTime>"2024-01-01T00:00:00Z"', "bcd"),
        ('createTime>"2024-01-01T00:00:00Z" AND display_name!=eval', "bd"),
        ("labels.myKey:*", ""),
        ("labels.my-key:*", "d"),
    ],
)
def test_filter_selects_jobs_when_valid(text: str, expected: str) -> None:
    assert _names(text) == expected


def test_filter_accepts_raw_protobuf_when_given_pb() -> None:
    pred = compile_filter("labels.team=ml")
    assert pred(aiplatform_v1.CustomJob.pb(JOBS[0]))
    assert not pred(aiplatform_v1.CustomJob.pb(JOBS[1]))


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("foo=1", ["unknown field 'foo'", "position 0", "display_name", "labels.KEY"]),
        ("display_name.x=1", ["unknown field 'display_name.x'", "position 0"]),
        (
            "state=JOB_STATE_DONE",
            ["unknown state 'JOB_STATE_DONE'", "position 6", "JOB_STATE_SUCCEEDED"],
        ),
        ("state:JOB_STATE_FAILED", ["operator ':'", "'state'", "position 5"]),
        ("state<JOB_STATE_FAILED", ["operator '<'", "position 5"]),
        ("display_name>a", ["operator '>'", "'display_name'"]),
        ("labels=a", ["operator '='", "'labels'", "allowed: ':'"]),
        ("labels.k<a", ["operator '<'", "'labels.k'"]),
        ("create_time>2024", ["quoted RFC 3339", "position 12"]),
        ('create_time>"2024-01-01"', ["not an RFC 3339 timestamp", "position 12"]),
        ('create_time>"2024-02-30T00:00:00Z"', ["not an RFC 3339 timestamp"]),
        ('create_time>"2024-01-01T00:00:00"', ["not an RFC 3339 timestamp"]),
        ('display_name="abc', ["unterminated string", "position 13"]),
        ('display_name="a\\nb"', ["unsupported escape", "position 15"]),
        ("display_name", ["expected a comparison operator", "the end of the filter"]),
        ("display_name=", ["expected a value", "position 13"]),
        ("display_name==a", ["expected a value", "found '='", "position 13"]),
        ("state=JOB_STATE_FAILED AND", ["expected a field name", "the end of the filter"]),
        ("AND state=JOB_STATE_FAILED", ["expected a field name", "'AND'", "position 0"]),
        ("(state=JOB_STATE_FAILED", ["expected ')'", "position 0"]),
        ("state=JOB_STATE_FAILED)", ["unexpected ')'", "position 22"]),
        ("display_name!a", ["'!' must be followed by '='", "position 12"]),
        ("display_name AND x=1", ["expected a comparison operator", "found 'AND'", "position 13"]),
        ("display_name ! = a", ["'!' must be followed by '='", "position 13"]),
        ('"display_name"=a', ["expected a field name", "position 0"]),
        ("NOT", ["expected a field name", "the end of the filter"]),
    ],
)
def test_filter_raises_invalid_argument_when_malformed(text: str, fragments: list[str]) -> None:
    with pytest.raises(InvalidArgument) as info:
        compile_filter(text)
    for fragment in fragments:
        assert fragment in info.value.message
    assert repr(text) in info.value.message


@pytest.mark.parametrize("text", ["colour=red", 'display_name="a', "x" * 9000])
def test_filter_error_carries_one_filter_violation_with_the_message(text: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        compile_filter(text)
    assert info.value.violations == (("filter", info.value.message),)
    assert info.value.message.startswith("Invalid filter")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("labelsMyKey=1", "unknown field 'labelsMyKey'"),
        ("displayName.x=1", "unknown field 'displayName.x'"),
        ("DisplayNames=1", "unknown field 'DisplayNames'"),
    ],
)
def test_filter_refuses_camel_case_names_of_no_field(text: str, fragment: str) -> None:
    with pytest.raises(InvalidArgument, match=fragment):
        compile_filter(text)


def test_filter_uses_given_field_table_when_filtering_other_resources() -> None:
    fields = {
        "display_name": CUSTOM_JOB_FIELDS["display_name"],
        "labels": CUSTOM_JOB_FIELDS["labels"],
        "state": FieldSpec(
            "enum",
            lambda m: m.state,
            frozenset({"=", "!="}),
            enum=aiplatform_v1.PersistentResource.State,
        ),
    }
    pred = compile_filter("state=RUNNING AND labels.team:*", fields)
    running = aiplatform_v1.PersistentResource(state="RUNNING", labels={"team": "ml"})
    assert pred(running)
    assert not pred(aiplatform_v1.PersistentResource(state="ERROR", labels={"team": "ml"}))
    with pytest.raises(InvalidArgument, match="unknown field 'create_time'"):
        compile_filter('create_time>"2024-01-01T00:00:00Z"', fields)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 5000 + "state=JOB_STATE_QUEUED" + ")" * 5000,  # a RecursionError before
        "(" * 33 + "state=JOB_STATE_QUEUED" + ")" * 33,
        "NOT (" * 40 + "state=JOB_STATE_QUEUED" + ")" * 40,
        "(" * 5000,
        'display_name="' + "x" * 9000 + '"',
    ],
    ids=["5000-deep", "33-deep", "40-deep-not", "5000-open", "9000-chars"],
)
def test_compile_filter_raises_invalid_argument_when_filter_is_too_deep_or_long(text: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid filter"):
        compile_filter(text)


def test_compile_filter_accepts_filter_when_at_the_depth_and_length_bounds() -> None:
    from pulumi_vertex_training.emulator.filters import MAX_FILTER_DEPTH, MAX_FILTER_LENGTH

    deep = "(" * MAX_FILTER_DEPTH + 'display_name="eval"' + ")" * MAX_FILTER_DEPTH
    assert "".join(j.name for j in JOBS if compile_filter(deep)(j)) == "c"
    long = 'display_name:"' + "*" * (MAX_FILTER_LENGTH - len('display_name:""')) + '"'
    assert len(long) == MAX_FILTER_LENGTH
    assert len([j for j in JOBS if compile_filter(long)(j)]) == len(JOBS)
