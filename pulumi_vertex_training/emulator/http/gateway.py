"""Serving the REST face: a Starlette application on uvicorn, in a background thread.

The application has one endpoint for every path, which hands the request to the
:class:`~.transcoding.Transcoder` (in Starlette's thread pool: the servicers block).
Around it, outermost first:

1. :class:`~.errors.GoogleErrors`: plain-text errors of the layers below become
   Google's JSON error body;
2. Starlette's ``TrustedHostMiddleware``: the Host rule (``guard.py``);
3. :class:`~.guard.RequestGuard`: the Origin, framing and Content-Type rules;
4. Starlette's ``RequestBodyLimitMiddleware``: 413 past :data:`~.guard.MAX_BODY_BYTES`,
   before the body is stored anywhere.

uvicorn parses HTTP (h11; :class:`~.errors.H11Protocol` answers unparsable
requests in JSON). The listening socket is bound by :meth:`RestGateway.start`
itself, so a taken port raises ``OSError`` there and port 0 is known at once.

Given a ``console`` (``emulator/console/``), paths under ``/console`` go to the web
console instead, behind the same guard (2-4 above; its errors are HTML pages).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response
from starlette.types import Scope

from pulumi_vertex_training.emulator.http import guard
from pulumi_vertex_training.emulator.http.bindings import (
    JOB_BINDINGS,
    OPERATION_BINDINGS,
    PERSISTENT_RESOURCE_BINDINGS,
    Binding,
    Route,
    routes,
)
from pulumi_vertex_training.emulator.http.errors import GoogleErrors, H11Protocol, status_name
from pulumi_vertex_training.emulator.http.transcoding import (
    JSON_CONTENT_TYPE,
    Transcoder,
    error_body,
)

_log = logging.getLogger(__name__)

SERVED_METHODS = ("GET", "POST", "PATCH", "DELETE", "PUT")
"""Methods handed to the transcoder (PUT has no binding: 404); others are 405."""

_ALLOW = ", ".join(m for m in SERVED_METHODS if m != "PUT")
_STARTUP_TIMEOUT = 30.0


def _json(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = error_body(status, status_name(status), message)
    return Response(body, status, headers={**(headers or {}), "content-type": JSON_CONTENT_TYPE})


def guard_middleware(bound_host: str, port: int) -> list[Middleware]:
    """The guard's layers (2-4 in the module docstring), for REST and the console alike."""
    return [
        Middleware(
            TrustedHostMiddleware, allowed_hosts=guard.allowed_hosts(bound_host), www_redirect=False
        ),
        Middleware(guard.RequestGuard, bound_host=bound_host, port=port),
        Middleware(RequestBodyLimitMiddleware, max_body_size=guard.MAX_BODY_BYTES),
    ]


def build_app(transcoder: Transcoder, bound_host: str, port: int) -> Starlette:
    """The ASGI application serving ``transcoder`` under the rules of ``guard.py``."""

    async def endpoint(request: Request) -> Response:
        if request.method not in SERVED_METHODS:
            raise HTTPException(405, headers={"Allow": _ALLOW})
        body = b"".join([chunk async for chunk in request.stream()])
        target = request.scope["raw_path"].decode("latin-1")
        if request.scope["query_string"]:
            target += "?" + request.scope["query_string"].decode("latin-1")
        reply = await run_in_threadpool(transcoder.handle, request.method, target, body)
        return Response(reply.body, reply.status, headers={"content-type": JSON_CONTENT_TYPE})

    def describe(scope: Scope, status: int, text: str) -> str:
        if status == 400 and text == "Invalid host header":
            host = Headers(scope=scope).get("host")
            return (
                f"Host header {host!r} is not allowed: the Vertex AI emulator answers only "
                f"requests addressed to {guard.describe_hosts(bound_host)} (this refuses "
                "DNS rebinding)."
            )
        if status == 405:
            return (
                f"{scope['method']} is not served by the Vertex AI emulator's REST API "
                f"(methods: {_ALLOW})."
            )
        if status == 413:
            return (
                f"The request body is larger than {guard.MAX_BODY_BYTES} bytes (4 MiB, "
                "gRPC's default maximum message size); nothing was stored."
            )
        return text

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = describe(request.scope, exc.status_code, str(exc.detail))
        return _json(exc.status_code, message, dict(exc.headers or {}))

    async def internal_error(request: Request, exc: Exception) -> Response:
        _log.exception("REST %s %s failed", request.method, request.url.path, exc_info=exc)
        return _json(500, f"Internal error: {type(exc).__name__}: {exc}")

    app = Starlette(
        middleware=[
            Middleware(GoogleErrors, describe=describe),
            *guard_middleware(bound_host, port),
        ],
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )
    # No Starlette routes: every request reaches the endpoint, which routes by the
    # bindings. (A path pattern would not match a decoded newline, and a name holding
    # one must be refused as INVALID_ARGUMENT naming the field, not a 404.)
    app.router.default = request_response(endpoint)
    return app


class RestGateway:
    """Serves the v1 HTTP bindings of the emulator on ``host:port`` (port 0 picks one).

    Args:
        job_servicer: object with ``create_custom_job``, ``get_custom_job``,
            ``list_custom_jobs``, ``cancel_custom_job``, ``delete_custom_job``, each
            taking the proto-plus request and returning the proto-plus answer (or a
            longrunning ``Operation`` / ``None``), raising ``EmulatorError``.
        operations_servicer: object with ``get_operation(GetOperationRequest) -> Operation``.
        host: address to bind (``127.0.0.1`` unless told otherwise); requests may be
            addressed to it besides the loopback names (see ``guard.py``).
        port: port to bind; 0 lets the OS choose (read :attr:`port` after :meth:`start`).
        persistent_resource_servicer: when given, also serves
            :data:`PERSISTENT_RESOURCE_BINDINGS` with methods named as the RPCs in snake_case.
        extra_services: ``(key, servicer, bindings)`` triples: bindings a room defines
            (``hyperparameter_tuning_jobs/routes.py``) whose ``service`` is ``key``.
        console: a ``console.Sources``: serve the web console under ``/console/``.
    """

    def __init__(
        self,
        job_servicer: Any,
        operations_servicer: Any,
        host: str,
        port: int,
        *,
        persistent_resource_servicer: Any = None,
        extra_services: Sequence[tuple[str, Any, Sequence[Binding]]] = (),
        console: Any = None,
    ) -> None:
        self.host = host
        self._console = console
        self._requested_port = port
        servicers = {"jobs": job_servicer, "operations": operations_servicer}
        bindings = [*JOB_BINDINGS, *OPERATION_BINDINGS]
        if persistent_resource_servicer is not None:
            servicers["persistent_resources"] = persistent_resource_servicer
            bindings.extend(PERSISTENT_RESOURCE_BINDINGS)
        for key, servicer, extra in extra_services:  # a room's own table
            servicers[key] = servicer
            bindings.extend(extra)
        self.routes: list[Route] = routes(servicers, bindings)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the chosen one when constructed with port 0)."""
        if self._socket is None:
            raise RuntimeError("RestGateway is not started")
        return int(self._socket.getsockname()[1])

    @property
    def address(self) -> str:
        """``host:port`` to give a client as its endpoint (after ``http://``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def start(self) -> None:
        """Binds the port and serves in a background thread; returns once it accepts.

        Raises:
            OSError: the port is taken (or the host is not an address of this machine).
        """
        if self._server is not None:
            return
        sock = _listen(self.host, self._requested_port)
        port = int(sock.getsockname()[1])
        app: Any = build_app(Transcoder(self.routes), self.host, port)
        if self._console is not None:
            from pulumi_vertex_training.emulator import console

            app = console.mount(app, self._console, guard_middleware(self.host, port))
        config = uvicorn.Config(
            app,
            http=H11Protocol,
            loop="asyncio",
            ws="none",
            lifespan="off",
            interface="asgi3",
            log_config=None,
            log_level="warning",
            access_log=False,
            proxy_headers=False,  # X-Forwarded-* would let a client pose as another
            server_header=False,
            timeout_keep_alive=30,  # the Google clients keep a session between polls
            timeout_graceful_shutdown=5,  # stop() waits this long for calls in flight
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"vertex-local-rest-{port}",
            daemon=True,
        )
        self._socket, self._server, self._thread = sock, server, thread
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the REST server on {self.host}:{port} did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stops accepting, closes the listening socket and open connections. Idempotent."""
        server, self._server = self._server, None
        thread, self._thread = self._thread, None
        sock, self._socket = self._socket, None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join()
        if sock is not None:
            sock.close()  # uvicorn closed it already, unless it never started


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server did
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock
