"""Vertex AI's v1 HTTP bindings: which HTTP method and path reach which servicer method.

:data:`JOB_BINDINGS`, :data:`OPERATION_BINDINGS` and :data:`PERSISTENT_RESOURCE_BINDINGS`
are the ``google.api.http`` rules of the protos, copied from the installed client's
``transports/rest_base.py`` (GetOperation's are read from it: ``api_surface.py``);
:func:`template_regex` compiles a rule's URI template and :func:`routes` binds each
rule to a servicer's method (one it lacks answers UNIMPLEMENTED).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator import api_surface
from pulumi_vertex_training.emulator.exceptions import Unimplemented


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
    # The REST clients poll /ui/ first (observed); /v1/ is in the same http rule. Every
    # collection's form is served (an operation the emulator cannot have is NOT_FOUND, as
    # over gRPC); the forms of the operations it makes are listed for a client without
    # rest_base (api_surface.py).
    served = [
        f"/{prefix}/{{name=projects/*/locations/*{collection}/operations/*}}"
        for collection in ("", "/customJobs/*", "/persistentResources/*")
        for prefix in ("ui", "v1")
    ]
    templates = dict.fromkeys(
        [*served, *(rule.template for rule in api_surface.rules_of("GetOperation"))]
    )
    return tuple(
        Binding(
            "GET", template, None, operations_pb2.GetOperationRequest, "operations", "get_operation"
        )
        for template in templates
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
"""google.longrunning.Operations.GetOperation: every http rule of it (location-level
``projects/*/locations/*/operations/*`` and under each collection, ``/ui/`` and ``/v1/``)."""

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


def routes(servicers: Mapping[str, Any], bindings: Iterable[Binding]) -> list[Route]:
    """Each binding compiled and bound to the method of ``servicers[binding.service]``."""
    return [
        Route(b, template_regex(b.template), _method(servicers[b.service], b)) for b in bindings
    ]


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
