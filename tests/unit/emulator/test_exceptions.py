"""InvalidArgument's violations: one ``(field, description)`` per problem, the message
built from them as messages read before, and the ``google.rpc.BadRequest`` they make."""

from __future__ import annotations

from google.rpc import error_details_pb2

from pulumi_vertex_training.emulator.exceptions import (
    FailedPrecondition,
    InvalidArgument,
    violation_text,
)


def test_invalid_argument_message_joins_violations_as_messages_read_before() -> None:
    err = InvalidArgument(
        violations=[("job.display_name", "job.display_name is required"), ("job.labels", "bad")]
    )
    assert err.message == "job.display_name is required; job.labels: bad"
    assert InvalidArgument.of("page_size", "-1 must not be negative").message == (
        "page_size: -1 must not be negative"
    )
    assert violation_text("a.b", "a.b has 5 pools") == "a.b has 5 pools"
    [detail] = err.details()
    assert isinstance(detail, error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in detail.field_violations] == list(err.violations)


def test_invalid_argument_keeps_explicit_message_and_has_no_details_without_violations() -> None:
    assert InvalidArgument("Invalid JSON payload").details() == []
    err = InvalidArgument("whole message", [("filter", "whole message")])
    assert err.message == "whole message"
    assert FailedPrecondition("running").details() == []
