"""How an error leaves the gRPC server: a status code, a message and, when the error
has them, rich details; and the answer to a method the emulator does not serve.

:func:`abort` ends an RPC with an :class:`~.exceptions.EmulatorError`. Its details
(a ``google.rpc.BadRequest`` listing the field violations of an INVALID_ARGUMENT)
travel as Google's servers send them: a ``google.rpc.Status`` in the
``grpc-status-details-bin`` trailer, whose code and message equal the call's, which
``google.api_core`` unpacks into the exception's ``.details`` (through grpcio-status).

Trailers are bounded: gRPC clients refuse more than 8 KiB of metadata (the call then
fails with RESOURCE_EXHAUSTED instead of the error), and the message is in them twice
(``grpc-message`` and the status). An error that would not fit in
:data:`MAX_TRAILER_BYTES` is sent with its first violations only, in the message and
the details alike, and the message says how many more there were; one without
violations has its message cut. (REST has no such bound: its body has them all.)

:class:`UnknownMethods` answers every method no other handler serves with
UNIMPLEMENTED, naming it and saying whether it is a Vertex AI RPC the emulator
does not implement (``api_surface.py``) or no known method at all.
"""

from __future__ import annotations

from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import status_pb2
from grpc_status import rpc_status

from pulumi_vertex_training.emulator import api_surface
from pulumi_vertex_training.emulator.exceptions import (
    EmulatorError,
    InvalidArgument,
    violation_text,
)

MAX_TRAILER_BYTES = 7800
"""The most bytes the message (as gRPC encodes it) and the serialized status take
together: under the clients' 8 KiB metadata limit, with room for the other trailers."""


def _encoded_size(message: str) -> int:
    # grpc-message is percent-encoded: every byte outside printable ASCII, and '%', take 3.
    return sum(1 if 0x20 <= b <= 0x7E and b != 0x25 else 3 for b in message.encode("utf-8"))


def _status(code: grpc.StatusCode, message: str, details: list[Any]) -> status_pb2.Status | None:
    if not details:
        return None
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    return status_pb2.Status(code=code.value[0], message=message, details=packed)


def _fits(message: str, status: status_pb2.Status | None) -> bool:
    size = _encoded_size(message) + (status.ByteSize() if status is not None else 0)
    return size <= MAX_TRAILER_BYTES


def for_grpc(err: EmulatorError) -> tuple[str, status_pb2.Status | None]:
    """The message and the ``google.rpc.Status`` (None: no details) to answer ``err``
    with, within :data:`MAX_TRAILER_BYTES`."""
    status = _status(err.code, err.message, err.details())
    if _fits(err.message, status):
        return err.message, status
    if isinstance(err, InvalidArgument) and len(err.violations) > 1:
        shown = _first_violations(err)
        if shown is not None:
            return shown
    cut = err.message
    while cut and not _fits(cut + _CUT, None):
        cut = cut[: len(cut) * 9 // 10]
    return cut + _CUT, None


_CUT = " [cut: a gRPC error is at most 8 KiB]"
NOT_LISTED = "(not listed: a gRPC error is at most 8 KiB)"
"""Ends the message of an error sent with its first violations only (after "and N more")."""


def _first_violations(err: InvalidArgument) -> tuple[str, status_pb2.Status | None] | None:
    """The most violations (from the first) that fit, as message and status."""
    texts = [violation_text(f, d) for f, d in err.violations]
    joined = err.message == "; ".join(texts)

    def answer(k: int) -> tuple[str, status_pb2.Status | None]:
        more = len(texts) - k
        message = (
            "; ".join(texts[:k]) + f"; and {more} more {NOT_LISTED}" if joined else err.message
        )
        return message, _status(
            err.code, message, InvalidArgument(message, err.violations[:k]).details()
        )

    best, low, high = None, 1, len(texts) - 1
    while low <= high:  # the largest k that fits: sizes grow with k
        k = (low + high) // 2
        candidate = answer(k)
        if _fits(*candidate):
            best, low = candidate, k + 1
        else:
            high = k - 1
    return best


def abort(context: grpc.ServicerContext, err: EmulatorError) -> NoReturn:
    """End the RPC with ``err``: its code and message, and its details when it has any."""
    message, status = for_grpc(err)
    if status is not None:
        context.abort_with_status(rpc_status.to_status(status))
    context.abort(err.code, message)
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover


def unimplemented_message(method: str) -> str:
    """What UNIMPLEMENTED says for ``/{service}/{rpc}``."""
    service, _, rpc = method.lstrip("/").partition("/")
    if api_surface.is_known(service, rpc):
        return api_surface.not_implemented(service, rpc)
    return (
        f"Method not found: {method} is no method of the Vertex AI emulator (vertex-local) "
        "nor of the Vertex AI v1 services it knows."
    )


class UnknownMethods(grpc.GenericRpcHandler):
    """Serves every method: UNIMPLEMENTED with :func:`unimplemented_message`. Register
    it after the real handlers (gRPC asks them in order)."""

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        message = unimplemented_message(handler_call_details.method)

        def refuse(request: bytes, context: grpc.ServicerContext) -> None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, message)

        return grpc.unary_unary_rpc_method_handler(refuse)
