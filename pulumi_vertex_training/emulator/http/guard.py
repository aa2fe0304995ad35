"""Who may reach the REST face, and what it reads: the rules against drive-by requests.

The emulator runs a request's containers as the user it runs as, so a request it
should not take is a command run on this machine. A web page can make a browser
send a request to ``http://127.0.0.1:8471`` (a "simple" cross-origin POST needs no
permission: ``text/plain``, a form, or a body without Content-Type), or rebind
its own name to 127.0.0.1 so that its requests are same-origin. The rules:

- **Host** (checked by Starlette's ``TrustedHostMiddleware`` with
  :func:`allowed_hosts`): only ``localhost``, ``127.0.0.1``, ``[::1]`` (any port)
  and the host the server was bound to. A rebound name is refused (400).
- **Origin** (:meth:`RequestGuard.refusal`): a request that carries one must come
  from the server's own origin, ``http://{an allowed host}:{its port}``; any other
  (``null`` included) is refused (403). No CORS header is ever sent, so a browser
  lets no page read an answer either.
- **Content-Type**: POST, PATCH, PUT and DELETE with a body need
  ``application/json`` (parameters such as ``charset`` allowed); a browser can
  only send that after a CORS preflight, which is refused. A body-less request
  needs no Content-Type (Google's REST clients send ``application/json`` anyway).
  Anything else is 415.
- **Size**: at most :data:`MAX_BODY_BYTES` (4 MiB, gRPC's default maximum
  message size) are read; more is 413 and nothing is stored. Chunked bodies are
  refused (400): no Google client sends them.

Every refusal is Google's JSON error body; ``errors.py`` turns the plain-text
answers of Starlette's own middleware into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from pulumi_vertex_training.emulator.http.transcoding import JSON_CONTENT_TYPE, error_body

MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest request body read: gRPC's default maximum receive message size."""

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Host names every request may use, whatever address the server is bound to."""

MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def host_names(bound_host: str) -> tuple[str, ...]:
    """The host names (IPv6 without brackets) a request may be addressed to: the
    loopback ones and ``bound_host`` (what ``--host`` was given)."""
    bound = bound_host.strip("[]").lower()
    return LOOPBACK_HOSTS if not bound or bound in LOOPBACK_HOSTS else (*LOOPBACK_HOSTS, bound)


def allowed_hosts(bound_host: str) -> list[str]:
    """:func:`host_names` as ``TrustedHostMiddleware`` patterns (IPv6 in brackets)."""
    return [f"[{h}]" if ":" in h else h for h in host_names(bound_host)]


def describe_hosts(bound_host: str) -> str:
    """``localhost, 127.0.0.1 or [::1]`` (and the bound host), for messages."""
    *first, last = allowed_hosts(bound_host)
    return f"{', '.join(first)} or {last}"


@dataclass(frozen=True)
class Refusal:
    """Why a request is not served: HTTP status, google.rpc.Code name, message."""

    http_status: int
    status: str
    message: str

    async def send(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Writes the refusal as Google's JSON error body."""
        body = error_body(self.http_status, self.status, self.message)
        headers = [
            (b"content-type", JSON_CONTENT_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": self.http_status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def media_type(content_type: str) -> str:
    """``application/json`` of ``Application/JSON; charset=utf-8``."""
    return content_type.split(";", 1)[0].strip().lower()


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip() != "0")


class RequestGuard:
    """ASGI middleware applying the Origin, framing and Content-Type rules (see the
    module docstring); the Host rule runs before it, the size limit after it.

    Args:
        app: the application guarded.
        bound_host: the host the server is bound to (``--host``).
        port: the port it listens on (its own origin's port).
    """

    def __init__(self, app: ASGIApp, *, bound_host: str, port: int) -> None:
        self.app = app
        self.hosts = frozenset(host_names(bound_host))
        self.port = port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(scope["method"], Headers(scope=scope))
            if refusal is not None:
                await refusal.send(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def own_origin(self, origin: str) -> bool:
        """Whether ``origin`` is ``http://{an allowed host}:{our port}``."""
        try:
            url = urlsplit(origin.strip())
            port = url.port or 80
        except ValueError:  # a port that is no number
            return False
        return (
            url.scheme == "http"
            and url.hostname in self.hosts
            and port == self.port
            and not (url.username or url.password or url.path or url.query or url.fragment)
        )

    def refusal(self, method: str, headers: Headers) -> Refusal | None:
        """The first rule the request breaks, or None."""
        origin = headers.get("origin")
        if origin is not None and not self.own_origin(origin):
            return Refusal(
                403,
                "PERMISSION_DENIED",
                f"Origin {origin!r} may not call the Vertex AI emulator: it answers only "
                "programs on this machine, not web pages (no CORS). Requests from a "
                "browser page are refused.",
            )
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return Refusal(
                400,
                "INVALID_ARGUMENT",
                "Chunked request bodies are not supported: send Content-Length.",
            )
        if method in MUTATING_METHODS:
            content_type = headers.get("content-type")
            if content_type is None and not _has_body(headers):
                return None
            if content_type is None or media_type(content_type) != "application/json":
                return Refusal(
                    415,
                    "INVALID_ARGUMENT",
                    f"{method} needs Content-Type: application/json (got "
                    f"{content_type or 'none'}); the body must be the request as JSON.",
                )
        return None
