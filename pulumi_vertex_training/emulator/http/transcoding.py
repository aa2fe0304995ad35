"""From one HTTP request to a request message, a servicer call, and the answer as JSON.

Transcoding as Google's REST clients expect it: path variables, query parameters
(camelCase) and the JSON body become the request message of the matching binding;
its servicer method is called, and its answer is written as JSON (camelCase, enums
as names, or as integers when the client asks with ``$alt=json;enum-encoding=int``).
Unknown fields in a body or unknown query parameters are refused with 400
INVALID_ARGUMENT, as the real service does. Errors are Google's JSON error body
(:func:`error_body`) with the HTTP status of the
:class:`~pulumi_vertex_training.emulator.exceptions.EmulatorError`, and its
details (a ``google.rpc.BadRequest`` with the field violations of an
INVALID_ARGUMENT) in ``details``.

A request no route serves is answered by the HTTP rules of every RPC the emulator
knows (``api_surface.py``): one of those rules matches, 501 UNIMPLEMENTED naming
the RPC; none does, 404 NOT_FOUND.

Pure and blocking: no sockets here (``gateway.py`` serves it, ``guard.py`` decides
which requests get this far).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from google.protobuf import any_pb2, empty_pb2, json_format
from google.protobuf.message import Message

from pulumi_vertex_training.emulator import api_surface
from pulumi_vertex_training.emulator.exceptions import (
    EmulatorError,
    InvalidArgument,
    NotFound,
    Unimplemented,
)
from pulumi_vertex_training.emulator.http.bindings import Route, template_regex

_log = logging.getLogger(__name__)

# Standard system parameters of Google APIs: never fields of the request message.
_SYSTEM_PARAMS = frozenset(
    {"alt", "fields", "key", "prettyPrint", "quotaUser", "access_token", "oauth_token",
     "callback", "upload_protocol", "uploadType", "userIp"}
)  # fmt: skip

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status and JSON body."""

    status: int
    body: bytes


def error_body(
    http_status: int, status: str, message: str, details: Sequence[Message] = ()
) -> bytes:
    """Google's JSON error body: ``{"error": {"code", "message", "status"}}``, and
    ``"details"`` when there are any (each message in its JSON form for an ``Any``:
    ``{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [...]}``).

    ``status`` is the google.rpc.Code name (``INVALID_ARGUMENT``), as Vertex writes it.
    """
    error: dict[str, Any] = {"code": http_status, "message": message, "status": status}
    if details:
        error["details"] = [_any_json(detail) for detail in details]
    return json.dumps({"error": error}).encode()


def _any_json(detail: Message) -> Any:
    holder = any_pb2.Any()
    holder.Pack(detail)
    return json_format.MessageToDict(holder)


def error_reply(error: EmulatorError) -> Reply:
    """The reply for an EmulatorError: its HTTP status and Google's error body."""
    body = error_body(error.http_status, error.code.name, error.message, error.details())
    return Reply(error.http_status, body)


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
    except RecursionError:
        raise InvalidArgument(
            f"Invalid JSON payload received ({where}): nested too deeply."
        ) from None


class Transcoder:
    """Turns one HTTP request into a request message for a route, and the answer into JSON.

    ``known`` are the HTTP rules of the RPCs a request may name besides the routes
    (default: every rule of ``api_surface``); a request matching one of them, and no
    route, is answered UNIMPLEMENTED.
    """

    def __init__(
        self, routes: Sequence[Route], known: Sequence[api_surface.HttpRule] | None = None
    ) -> None:
        self.routes = routes
        rules = api_surface.http_rules() if known is None else known
        self.known = [(rule, template_regex(rule.template)) for rule in rules]

    def handle(self, method: str, target: str, body: bytes) -> Reply:
        """Answers ``method target`` (the raw request target: path and query, still
        percent-encoded) with ``body``; never raises."""
        try:
            return self._dispatch(method, target, body)
        except EmulatorError as e:
            return error_reply(e)
        except Exception as e:  # a servicer bug must still answer, not drop the connection
            _log.exception("REST %s %s failed", method, target)
            return error_reply(EmulatorError(f"Internal error: {type(e).__name__}: {e}"))

    def _dispatch(self, method: str, target: str, body: bytes) -> Reply:
        url = urlsplit(target)
        for route in self.routes:
            if route.binding.http_method != method:
                continue
            match = route.pattern.fullmatch(url.path)
            if match is not None:
                break
        else:
            raise self._unserved(method, url.path)
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
        return Reply(200, text.encode())

    def _unserved(self, method: str, path: str) -> EmulatorError:
        """UNIMPLEMENTED for a known RPC's rule, NOT_FOUND for a path no RPC has."""
        for rule, pattern in self.known:
            if rule.http_method == method and pattern.fullmatch(path):
                via = f"{method} {rule.template}"
                return Unimplemented(api_surface.not_implemented(rule.service, rule.rpc, via))
        return NotFound(f"No REST binding for {method} {path} in the Vertex AI emulator.")

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
            except RecursionError:  # [[[[...: a 400, not a 500
                raise InvalidArgument("Invalid JSON payload received: nested too deeply.") from None
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
