"""Errors as gRPC carries them: the status details within the clients' 8 KiB of trailers,
and the UNIMPLEMENTED message."""

from __future__ import annotations

import pytest
from google.rpc import code_pb2, error_details_pb2

from pulumi_vertex_training.emulator import rpc_errors
from pulumi_vertex_training.emulator.exceptions import FailedPrecondition, InvalidArgument


def _fields(status: object) -> list[str]:
    bad = error_details_pb2.BadRequest()
    [detail] = status.details  # type: ignore[attr-defined]
    assert detail.Unpack(bad)
    return [v.field for v in bad.field_violations]


def test_for_grpc_sends_everything_when_it_fits() -> None:
    err = InvalidArgument(violations=[("a", "one"), ("b", "two")])
    message, status = rpc_errors.for_grpc(err)
    assert message == err.message
    assert status is not None
    assert (status.code, status.message) == (code_pb2.INVALID_ARGUMENT, message)
    assert _fields(status) == ["a", "b"]
    assert rpc_errors.for_grpc(FailedPrecondition("x")) == ("x", None)


def test_for_grpc_sends_the_first_violations_that_fit_and_says_how_many_more() -> None:
    violations = [(f"custom_job.labels['K{i}']", "x" * 100) for i in range(200)]
    message, status = rpc_errors.for_grpc(InvalidArgument(violations=violations))
    assert status is not None and status.message == message
    fields = _fields(status)
    assert 10 < len(fields) < 200
    assert fields == [field for field, _ in violations[: len(fields)]]
    assert message.endswith(
        f"; and {200 - len(fields)} more (not listed: a gRPC error is at most 8 KiB)"
    )
    assert len(message) + status.ByteSize() <= rpc_errors.MAX_TRAILER_BYTES


@pytest.mark.parametrize("text", ["y" * 20000, "é" * 9000, "%" * 9000])
def test_for_grpc_cuts_a_message_too_long_for_the_trailers(text: str) -> None:
    message, status = rpc_errors.for_grpc(FailedPrecondition(text))
    assert status is None
    assert message.endswith("[cut: a gRPC error is at most 8 KiB]")
    assert rpc_errors._encoded_size(message) <= rpc_errors.MAX_TRAILER_BYTES
    assert text.startswith(message[: -len(" [cut: a gRPC error is at most 8 KiB]")])


def test_unimplemented_message_tells_a_known_rpc_from_no_method() -> None:
    known = rpc_errors.unimplemented_message("/google.cloud.aiplatform.v1.JobService/ListNasJobs")
    assert known.startswith("google.cloud.aiplatform.v1.JobService.ListNasJobs is not implemented")
    assert "COVERAGE.md" in known
    unknown = rpc_errors.unimplemented_message("/foo.Bar/Baz")
    assert unknown.startswith("Method not found: /foo.Bar/Baz")
