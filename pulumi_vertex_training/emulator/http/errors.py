"""Every error the REST face answers is Google's JSON error body, whoever answers it.

The emulator's own refusals are written as JSON where they are made; Starlette's
middleware (``TrustedHostMiddleware``, the body-size limit, the router's 405) and
uvicorn's HTTP parser answer in plain text. :class:`GoogleErrors` rewrites those
answers, and :class:`H11Protocol` makes uvicorn's answer to a request it cannot
parse (a malformed Content-Length, garbage, headers too large) JSON too, so a
client always gets ``{"error": {"code", "message", "status"}}`` with the
google.rpc.Code name for the HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable

import h11
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol as _UvicornH11Protocol

from pulumi_vertex_training.emulator.http.transcoding import JSON_CONTENT_TYPE, error_body

STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",  # as grpc-gateway answers a method a path does not serve
    409: "ABORTED",
    413: "RESOURCE_EXHAUSTED",  # gRPC's answer to a message over the size limit
    415: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""google.rpc.Code name written for an HTTP status (Google's HTTP mapping)."""

Describe = Callable[[Scope, int, str], str]
"""``describe(scope, http_status, plain_text) -> message``: the message for a plain-text
error (the text itself when there is nothing better to say)."""


def status_name(http_status: int) -> str:
    """The google.rpc.Code name for an HTTP status (``UNKNOWN`` when there is none)."""
    return STATUS_NAMES.get(http_status, "INTERNAL" if http_status >= 500 else "UNKNOWN")


class GoogleErrors:
    """ASGI middleware: a non-JSON error answer (status >= 400) becomes Google's JSON
    error body, with the same status and headers (``Allow`` kept), and the message
    ``describe`` gives for its text."""

    def __init__(self, app: ASGIApp, *, describe: Describe) -> None:
        self.app = app
        self.describe = describe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def send_json(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                if message["status"] >= 400 and not content_type.startswith("application/json"):
                    held = message
                    return
            elif held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                status = int(held["status"])
                text = b"".join(chunks).decode("utf-8", "replace").strip()
                body = error_body(status, status_name(status), self.describe(scope, status, text))
                headers = [
                    (k, v)
                    for k, v in held.get("headers", [])
                    if k.lower() not in (b"content-type", b"content-length")
                ]
                headers += [
                    (b"content-type", JSON_CONTENT_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, send_json)


MALFORMED_REQUEST = (
    "Malformed HTTP request: the request line, a header (Content-Length, Transfer-Encoding, "
    "Host), or the headers' size (16 KiB at most) is not HTTP/1.1 as the emulator reads it."
)


class H11Protocol(_UvicornH11Protocol):
    """uvicorn's h11 protocol, answering a request it cannot parse with Google's JSON error
    body (uvicorn's own answer is plain text); the connection is closed after it."""

    def send_400_response(self, msg: str) -> None:
        body = error_body(400, "INVALID_ARGUMENT", MALFORMED_REQUEST)
        headers = [
            (b"content-type", JSON_CONTENT_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self.transport.close()
