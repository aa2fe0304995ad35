"""The REST face of the emulator: Vertex AI's v1 HTTP bindings over the same servicers as gRPC.

Google's REST clients (``JobServiceClient(transport="rest")``, the high-level SDK
with ``api_transport="rest"``) transcode each RPC to an HTTP request by the
``google.api.http`` rules of the proto; :data:`JOB_BINDINGS`,
:data:`OPERATION_BINDINGS` and :data:`PERSISTENT_RESOURCE_BINDINGS` are those
rules, copied from the installed client's ``transports/rest_base.py``, and the
gateway transcodes back: path variables, query parameters (camelCase) and the
JSON body become the request message, the servicer method of the binding's name
is called, and its answer is written as JSON (camelCase, enums as names, or as
integers when the client asks with ``$alt=json;enum-encoding=int``).

Unknown fields in a body or unknown query parameters are refused with 400
INVALID_ARGUMENT, as the real service does. Errors are written as Google's
JSON error body ``{"error": {"code", "message", "status"}}`` with the HTTP status
of the :class:`~pulumi_vertex_training.emulator.exceptions.EmulatorError`, so the
client raises the ``google.api_core.exceptions`` class for that HTTP status (a
REST client maps 400 to ``BadRequest`` whatever the gRPC code; the ``status``
field keeps the gRPC name, as Vertex's does).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2, json_format
from google.protobuf.message import Message

from pulumi_vertex_training.emulator.exceptions import (
    EmulatorError,
    InvalidArgument,
    NotFound,
    Unimplemented,
)

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Binding:
    """One ``google.api.http`` rule: an HTTP method and URI template mapped to a servicer method.

    ``template`` is the rule's URI (``/v1/{name=projects/*/locations/*/customJobs/*}:cancel``);
    ``body`` is the rule's body (``None``, ``"*"`` or the request field the body fills);
    ``service`` names the servicer (a key of the gateway's servicers) and ``method`` the
    servicer method that takes ``request_type`` (proto-plus or plain protobuf).
    """

    http_method: str
    template: str
    body: str | None
    request_type: Any
    service: str
    method: str


def _operation_bindings() -> tuple[Binding, ...]:
    # The REST clients poll /ui/ first (observed); /v1/ is in the same http rule.
    return tuple(
        Binding(
            "GET",
            f"/{prefix}/{{name=projects/*/locations/*/{collection}/*/operations/*}}",
            None,
            operations_pb2.GetOperationRequest,
            "operations",
            "get_operation",
        )
        for collection in ("customJobs", "persistentResources")
        for prefix in ("ui", "v1")
    )


_JOB = "projects/*/locations/*/customJobs/*"
_PR = "projects/*/locations/*/persistentResources/*"
_PARENT = "projects/*/locations/*"

JOB_BINDINGS: tuple[Binding, ...] = (
    Binding("POST", f"/v1/{{parent={_PARENT}}}/customJobs", "custom_job",
            aiplatform_v1.CreateCustomJobRequest, "jobs", "create_custom_job"),
    Binding("GET", f"/v1/{{name={_JOB}}}", None,
            aiplatform_v1.GetCustomJobRequest, "jobs", "get_custom_job"),
    Binding("GET", f"/v1/{{parent={_PARENT}}}/customJobs", None,
            aiplatform_v1.ListCustomJobsRequest, "jobs", "list_custom_jobs"),
    Binding("POST", f"/v1/{{name={_JOB}}}:cancel", "*",
            aiplatform_v1.CancelCustomJobRequest, "jobs", "cancel_custom_job"),
    Binding("DELETE", f"/v1/{{name={_JOB}}}", None,
            aiplatform_v1.DeleteCustomJobRequest, "jobs", "delete_custom_job"),
)  # fmt: skip
"""JobService custom-job RPCs (the JobService table of COVERAGE.md)."""

OPERATION_BINDINGS: tuple[Binding, ...] = _operation_bindings()
"""google.longrunning.Operations.GetOperation under custom jobs and persistent resources."""

PERSISTENT_RESOURCE_BINDINGS: tuple[Binding, ...] = (
    Binding("POST", f"/v1/{{parent={_PARENT}}}/persistentResources", "persistent_resource",
            aiplatform_v1.CreatePersistentResourceRequest, "persistent_resources",
            "create_persistent_resource"),
    Binding("GET", f"/v1/{{name={_PR}}}", None,
            aiplatform_v1.GetPersistentResourceRequest, "persistent_resources",
            "get_persistent_resource"),
    Binding("GET", f"/v1/{{parent={_PARENT}}}/persistentResources", None,
            aiplatform_v1.ListPersistentResourcesRequest, "persistent_resources",
            "list_persistent_resources"),
    Binding("DELETE", f"/v1/{{name={_PR}}}", None,
            aiplatform_v1.DeletePersistentResourceRequest, "persistent_resources",
            "delete_persistent_resource"),
    Binding("PATCH", f"/v1/{{persistent_resource.name={_PR}}}", "persistent_resource",
            aiplatform_v1.UpdatePersistentResourceRequest, "persistent_resources",
            "update_persistent_resource"),
    Binding("POST", f"/v1/{{name={_PR}}}:reboot", "*",
            aiplatform_v1.RebootPersistentResourceRequest, "persistent_resources",
            "reboot_persistent_resource"),
)  # fmt: skip
"""PersistentResourceService RPCs (see COVERAGE.md); served when that servicer is given."""

# Standard system parameters of Google APIs: never fields of the request message.
_SYSTEM_PARAMS = frozenset(
    {"alt", "fields", "key", "prettyPrint", "quotaUser", "access_token", "oauth_token",
     "callback", "upload_protocol", "uploadType", "userIp"}
)  # fmt: skip


def template_regex(template: str) -> re.Pattern[str]:
    """Compiles an http-rule URI template to a regex with one named group per variable.

    ``{a.b=projects/*}`` becomes group ``a__b``; ``*`` is one path segment (no ``/``
    and no ``:``, which starts the custom verb), ``**`` any number of segments.
    """
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"\{([\w.]+)(?:=([^}]*))?\}", template):
        out.append(re.escape(template[pos : m.start()]))
        segments = (m.group(2) or "*").split("/")
        inner = "/".join(
            "[^/:]+" if s == "*" else ".+" if s == "**" else re.escape(s) for s in segments
        )
        out.append(f"(?P<{m.group(1).replace('.', '__')}>{inner})")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


@dataclass(frozen=True)
class Route:
    """A binding made callable: the compiled path regex and the servicer method to call."""

    binding: Binding
    pattern: re.Pattern[str]
    call: Callable[[Any], Any]


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes


def _error_body(error: EmulatorError) -> _Response:
    payload = {
        "error": {"code": error.http_status, "message": error.message, "status": error.code.name}
    }
    return _Response(error.http_status, json.dumps(payload).encode())


def _nest(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = target.setdefault(part, {})
        if not isinstance(child, dict):
            raise InvalidArgument(f"Invalid query parameter {dotted!r}: {part!r} is not a message.")
        target = child
    target[leaf] = value


def _parse_into(data: Any, message: Message, where: str) -> None:
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=False)
    except json_format.ParseError as e:
        raise InvalidArgument(f"Invalid JSON payload received ({where}): {e}") from None


class _Transcoder:
    """Turns one HTTP request into a request message for a route, and the answer into JSON."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = routes

    def handle(self, method: str, target: str, body: bytes) -> _Response:
        try:
            return self._dispatch(method, target, body)
        except EmulatorError as e:
            return _error_body(e)
        except Exception as e:  # a servicer bug must still answer, not drop the connection
            _log.exception("REST %s %s failed", method, target)
            return _error_body(EmulatorError(f"Internal error: {type(e).__name__}: {e}"))

    def _dispatch(self, method: str, target: str, body: bytes) -> _Response:
        url = urlsplit(target)
        for route in self.routes:
            if route.binding.http_method != method:
                continue
            match = route.pattern.fullmatch(url.path)
            if match is not None:
                break
        else:
            raise NotFound(f"No REST binding for {method} {url.path} in the Vertex AI emulator.")
        enum_ints = False
        flat: dict[str, list[str]] = {}
        for key, value in parse_qsl(url.query, keep_blank_values=True):
            name = key.lstrip("$")
            if name == "alt":
                fmt, *options = value.split(";")
                if fmt != "json":
                    raise InvalidArgument(f"Unsupported response format alt={value!r} (only json).")
                enum_ints = "enum-encoding=int" in options
            elif name not in _SYSTEM_PARAMS and not key.startswith("$"):
                flat.setdefault(key, []).append(value)
        fields: dict[str, Any] = {}
        for key, values in flat.items():
            # A repeated query parameter fills a repeated field.
            _nest(fields, key, values[0] if len(values) == 1 else values)
        request = self._request(route, match, fields, body)
        answer = route.call(request)
        raw = empty_pb2.Empty() if answer is None else _raw(answer)
        text = json_format.MessageToJson(raw, use_integers_for_enums=enum_ints, indent=None)
        return _Response(200, text.encode())

    @staticmethod
    def _request(route: Route, match: re.Match[str], fields: dict[str, Any], body: bytes) -> Any:
        binding = route.binding
        proto_plus = hasattr(binding.request_type, "pb")
        raw = binding.request_type.pb(binding.request_type()) if proto_plus else (
            binding.request_type())  # fmt: skip
        _parse_into(fields, raw, "query parameters")
        if binding.body is not None:
            try:
                data = json.loads(body or b"{}")
            except ValueError as e:
                raise InvalidArgument(f"Invalid JSON payload received: {e}") from None
            if not isinstance(data, dict):
                raise InvalidArgument("Invalid JSON payload received: the body must be an object.")
            target = raw if binding.body == "*" else getattr(raw, binding.body)
            _parse_into(data, target, "body")
        elif body.strip():
            raise InvalidArgument(f"{binding.http_method} {binding.template} takes no body.")
        for group, value in match.groupdict().items():
            *parents, leaf = group.split("__")
            holder = raw
            for part in parents:
                holder = getattr(holder, part)
            setattr(holder, leaf, unquote(value))
        return binding.request_type.wrap(raw) if proto_plus else raw


def _raw(message: Any) -> Message:
    pb = getattr(type(message), "pb", None)
    return pb(message) if pb is not None else message


def _handler_class(transcoder: _Transcoder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Reads one request, lets the transcoder answer it, writes the JSON back."""

        protocol_version = "HTTP/1.1"  # keep-alive: the Google clients reuse a session
        server_version = "vertex-local"
        timeout = 60  # idle keep-alive connections let go of their thread

        def _serve(self) -> None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                response = _error_body(InvalidArgument("Chunked request bodies are not supported."))
                self.close_connection = True
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length > 0 else b""
                response = transcoder.handle(self.command, self.path, body)
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            _log.debug("REST %s " + format, self.address_string(), *args)

    return Handler


class RestGateway:
    """Serves the v1 HTTP bindings of the emulator on ``host:port`` (port 0 picks one).

    Args:
        job_servicer: object with ``create_custom_job``, ``get_custom_job``,
            ``list_custom_jobs``, ``cancel_custom_job``, ``delete_custom_job``, each
            taking the proto-plus request and returning the proto-plus answer (or a
            longrunning ``Operation`` / ``None``), raising ``EmulatorError``.
        operations_servicer: object with ``get_operation(GetOperationRequest) -> Operation``.
        host: address to bind (``127.0.0.1`` unless told otherwise).
        port: port to bind; 0 lets the OS choose (read :attr:`port` after :meth:`start`).
        persistent_resource_servicer: when given, also serves
            :data:`PERSISTENT_RESOURCE_BINDINGS` with methods named as the RPCs in snake_case.
        extra_services: ``(key, servicer, bindings)`` triples: bindings a room defines
            (``hyperparameter_tuning_jobs/routes.py``) whose ``service`` is ``key``.
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
    ) -> None:
        self.host = host
        self._requested_port = port
        servicers = {"jobs": job_servicer, "operations": operations_servicer}
        bindings = [*JOB_BINDINGS, *OPERATION_BINDINGS]
        if persistent_resource_servicer is not None:
            servicers["persistent_resources"] = persistent_resource_servicer
            bindings.extend(PERSISTENT_RESOURCE_BINDINGS)
        for key, servicer, extra in extra_services:  # a room's own table (hyperparameter tuning)
            servicers[key] = servicer
            bindings.extend(extra)
        self.routes: list[Route] = [
            Route(b, template_regex(b.template), _method(servicers[b.service], b)) for b in bindings
        ]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the chosen one when constructed with port 0)."""
        if self._server is None:
            raise RuntimeError("RestGateway is not started")
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """``host:port`` to give a client as its endpoint (after ``http://``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def start(self) -> None:
        """Binds the port and serves in a background thread; returns once it accepts."""
        if self._server is not None:
            return
        handler = _handler_class(_Transcoder(self.routes))
        server_class = _IPv6Server if ":" in self.host else ThreadingHTTPServer
        self._server = server_class((self.host, self._requested_port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits for the loop
            name=f"vertex-local-rest-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stops accepting and closes the listening socket. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def _method(servicer: Any, binding: Binding) -> Callable[[Any], Any]:
    """The servicer's method for a binding; one it lacks answers UNIMPLEMENTED."""
    method = getattr(servicer, binding.method, None)
    if callable(method):
        return method

    def unimplemented(request: Any) -> Any:
        raise Unimplemented(
            f"{binding.http_method} {binding.template} ({binding.method}) is not implemented "
            "by the Vertex AI emulator."
        )

    return unimplemented


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


__all__ = [
    "JOB_BINDINGS",
    "OPERATION_BINDINGS",
    "PERSISTENT_RESOURCE_BINDINGS",
    "Binding",
    "RestGateway",
    "Route",
    "template_regex",
]
