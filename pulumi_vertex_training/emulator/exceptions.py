"""Errors the emulator raises, each carrying the gRPC status code Vertex AI answers with.

The backend raises these; the gRPC and REST layers turn them into the wire
error once (``server.py`` / ``http/transcoding.py``), so the Google client libraries
raise the matching ``google.api_core.exceptions`` class.

An :class:`InvalidArgument` carries the request's problems as data too: one
:data:`Violation` ``(field, description)`` per problem, which both layers send as
a ``google.rpc.BadRequest`` (:meth:`EmulatorError.details`): REST in the error
body's ``details``, gRPC in the ``grpc-status-details-bin`` trailer. The clients
expose it as the exception's ``.details``.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2

Violation = tuple[str, str]
"""``(field, description)``: one problem with one request field, a
``google.rpc.BadRequest.FieldViolation``. ``field`` is the path as the message names it
(``custom_job.job_spec.worker_pool_specs[0].replica_count``, ``labels['k']``)."""


def violation_text(field: str, description: str) -> str:
    """How a violation reads in the error message: the description alone when it
    starts with the field path (``"x.display_name is required"``), else
    ``"{field}: {description}"``."""
    return description if description.startswith(field) else f"{field}: {description}"


class EmulatorError(Exception):
    """Base of every error the emulator answers with. Catch this to catch all."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> list[Message]:
        """The ``google.rpc.Status.details`` sent with the error (none by default)."""
        return []


class InvalidArgument(EmulatorError):
    """The request is malformed; the message names each field and its rule.

    Args:
        message: the error message; by default the violations' texts
            (:func:`violation_text`) joined with ``"; "``.
        violations: every problem found, one ``(field, description)`` each; sent as a
            ``google.rpc.BadRequest`` with one field violation per problem.
    """

    code = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 400

    def __init__(self, message: str | None = None, violations: Iterable[Violation] = ()) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        if message is None:
            message = "; ".join(violation_text(f, d) for f, d in self.violations)
        super().__init__(message)

    @classmethod
    def of(cls, field: str, description: str) -> InvalidArgument:
        """One problem with one field; the message is its :func:`violation_text`."""
        return cls(violations=[(field, description)])

    def details(self) -> list[Message]:
        """A ``google.rpc.BadRequest`` with the violations, when there are any."""
        if not self.violations:
            return []
        return [
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=f, description=d)
                    for f, d in self.violations
                ]
            )
        ]


class NotFound(EmulatorError):
    """The named resource does not exist."""

    code = grpc.StatusCode.NOT_FOUND
    http_status = 404


class AlreadyExists(EmulatorError):
    """A resource with the client-chosen id exists already."""

    code = grpc.StatusCode.ALREADY_EXISTS
    http_status = 409


class FailedPrecondition(EmulatorError):
    """The resource is not in a state that allows the operation."""

    code = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 400


class Unavailable(EmulatorError):
    """Transient: the service could not answer now (used by fault injection)."""

    code = grpc.StatusCode.UNAVAILABLE
    http_status = 503


class DeadlineExceeded(EmulatorError):
    """Transient: the call ran out of time (used by fault injection)."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED
    http_status = 504


class ResourceExhausted(EmulatorError):
    """Quota or rate limit reached (used by fault injection)."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    http_status = 429


class Unimplemented(EmulatorError):
    """The RPC or option is not implemented by the emulator (see COVERAGE.md)."""

    code = grpc.StatusCode.UNIMPLEMENTED
    http_status = 501
