"""Errors the emulator raises, each carrying the gRPC status code Vertex AI answers with.

The backend raises these; the gRPC and REST layers turn them into the wire
error once (``server.py`` / ``rest.py``), so the Google client libraries raise
the matching ``google.api_core.exceptions`` class.
"""

from __future__ import annotations

import grpc


class EmulatorError(Exception):
    """Base of every error the emulator answers with. Catch this to catch all."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(EmulatorError):
    """The request is malformed; the message names the field and the rule."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 400


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
