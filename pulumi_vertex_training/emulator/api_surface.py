"""Every v1 RPC of the services the emulator knows, with its HTTP rules, as Google's
clients know them.

The emulator serves some RPCs of these services (``rpcs.py``, the rooms'
``routes.py``); a client may call any of them. This table is what tells a call
the emulator does not serve (UNIMPLEMENTED: HTTP 501 over REST, and a message
naming the RPC over gRPC) from a path or method no RPC has (HTTP 404 NOT_FOUND).

The rules are read from the installed client, not copied: each service's REST
transport (``aiplatform_v1/services/{service}/transports/rest_base.py``) lists the
``google.api.http`` rules of every RPC (``_get_http_options()``), including the
mixins its clients carry (``google.longrunning.Operations``,
``google.cloud.location.Locations``, ``google.iam.v1.IAMPolicy``). So the table is
the API the clients in use speak, and a client upgrade that adds an RPC makes it
known here without a change. A client too old to have these modules gives an empty
table: then only the served bindings are known, and every other path is a 404.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
from dataclasses import dataclass

_log = logging.getLogger(__name__)

SERVICES = (
    "job_service",
    "pipeline_service",
    "model_service",
    "persistent_resource_service",
)
"""The ``aiplatform_v1.services`` modules whose RPCs are known: JobService,
PipelineService, ModelService, PersistentResourceService (and their mixins)."""

V1_PACKAGE = "google.cloud.aiplatform.v1"

MIXINS: dict[str, str] = {
    **dict.fromkeys(
        ("GetOperation", "ListOperations", "CancelOperation", "DeleteOperation", "WaitOperation"),
        "google.longrunning.Operations",
    ),
    **dict.fromkeys(("GetLocation", "ListLocations"), "google.cloud.location.Locations"),
    **dict.fromkeys(
        ("GetIamPolicy", "SetIamPolicy", "TestIamPermissions"), "google.iam.v1.IAMPolicy"
    ),
}
"""RPCs of the mixin services every Vertex client carries -> their proto service."""


@dataclass(frozen=True)
class HttpRule:
    """One ``google.api.http`` rule of one RPC.

    ``service`` is the proto service (``google.cloud.aiplatform.v1.JobService``),
    ``rpc`` its method (``ListNasJobs``), ``template`` the rule's URI
    (``/v1/{parent=projects/*/locations/*}/nasJobs``), ``body`` the rule's body
    (``None``, ``"*"`` or a field name).
    """

    service: str
    rpc: str
    http_method: str
    template: str
    body: str | None


def _service_rules(module_name: str) -> list[HttpRule]:
    module = importlib.import_module(
        f"google.cloud.aiplatform_v1.services.{module_name}.transports.rest_base"
    )
    service = "".join(part.title() for part in module_name.split("_"))
    base = getattr(module, f"_Base{service}RestTransport")
    rules = []
    for attr, holder in vars(base).items():
        options = getattr(holder, "_get_http_options", None)
        if not attr.startswith("_Base") or options is None:
            continue
        rpc = attr[len("_Base") :]
        owner = MIXINS.get(rpc, f"{V1_PACKAGE}.{service}")
        for option in options():
            rules.append(
                HttpRule(owner, rpc, option["method"].upper(), option["uri"], option.get("body"))
            )
    return rules


@functools.cache
def http_rules() -> tuple[HttpRule, ...]:
    """Every HTTP rule of every RPC of :data:`SERVICES`, each once, in the clients' order."""
    seen: dict[tuple[str, str, str], HttpRule] = {}
    for module_name in SERVICES:
        try:
            rules = _service_rules(module_name)
        except (ImportError, AttributeError) as err:  # a client without rest_base
            _log.warning("HTTP rules of %s unknown: %s", module_name, err)
            continue
        for rule in rules:
            seen.setdefault((rule.rpc, rule.http_method, rule.template), rule)
    return tuple(seen.values())


@functools.cache
def known_rpcs() -> frozenset[tuple[str, str]]:
    """``(service, rpc)`` of every known RPC."""
    return frozenset((rule.service, rule.rpc) for rule in http_rules())


def is_known(service: str, rpc: str) -> bool:
    """Whether ``service.rpc`` is a known RPC (served or not)."""
    return (service, rpc) in known_rpcs()


def not_implemented(service: str, rpc: str, via: str = "") -> str:
    """What UNIMPLEMENTED says for a known RPC the emulator does not serve (``via``: how
    it was reached, e.g. the HTTP rule)."""
    how = f" ({via})" if via else ""
    return (
        f"{service}.{rpc}{how} is not implemented by the Vertex AI emulator (vertex-local); "
        "see its COVERAGE.md for the RPCs it serves."
    )


def rules_of(rpc: str) -> tuple[HttpRule, ...]:
    """The HTTP rules of the RPC named ``rpc`` (``GetOperation``)."""
    return tuple(rule for rule in http_rules() if rule.rpc == rpc)


def snake_case(rpc: str) -> str:
    """The servicer method name of an RPC: ``ListNasJobs`` -> ``list_nas_jobs``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", rpc).lower()
