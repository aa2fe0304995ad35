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

Only programs on this machine may call it: requests addressed to another host,
from another origin (a web page), with a body that is not ``application/json``,
or with more than 4 MiB of body are refused (``http/guard.py``). The code is in
``emulator/http/``: bindings, transcoding, the guard, and the server (Starlette
on uvicorn, in a background thread).
"""

from __future__ import annotations

from pulumi_vertex_training.emulator.http.bindings import (
    JOB_BINDINGS,
    OPERATION_BINDINGS,
    PERSISTENT_RESOURCE_BINDINGS,
    Binding,
    Route,
    template_regex,
)
from pulumi_vertex_training.emulator.http.gateway import RestGateway

__all__ = [
    "JOB_BINDINGS",
    "OPERATION_BINDINGS",
    "PERSISTENT_RESOURCE_BINDINGS",
    "Binding",
    "RestGateway",
    "Route",
    "template_regex",
]
