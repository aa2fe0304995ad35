"""The RPCs the emulator knows, read from the installed client: the served bindings are
among them, and every other rule of them answers 501 UNIMPLEMENTED (404 stays for a path
no RPC has)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from pulumi_vertex_training.emulator import api_surface
from pulumi_vertex_training.emulator.http.bindings import (
    JOB_BINDINGS,
    OPERATION_BINDINGS,
    PERSISTENT_RESOURCE_BINDINGS,
    routes,
)
from pulumi_vertex_training.emulator.http.transcoding import Transcoder
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs import routes as tuning_routes

SERVED = [
    *JOB_BINDINGS,
    *OPERATION_BINDINGS,
    *PERSISTENT_RESOURCE_BINDINGS,
    *tuning_routes.BINDINGS,
]


def test_table_holds_every_service_the_emulator_knows() -> None:
    services = {rule.service for rule in api_surface.http_rules()}
    assert services == {
        "google.cloud.aiplatform.v1.JobService",
        "google.cloud.aiplatform.v1.PipelineService",
        "google.cloud.aiplatform.v1.ModelService",
        "google.cloud.aiplatform.v1.PersistentResourceService",
        "google.longrunning.Operations",
        "google.cloud.location.Locations",
        "google.iam.v1.IAMPolicy",
    }
    assert api_surface.is_known("google.cloud.aiplatform.v1.JobService", "ListNasJobs")
    assert api_surface.is_known("google.longrunning.Operations", "WaitOperation")
    assert not api_surface.is_known("google.cloud.aiplatform.v1.JobService", "WaitOperation")


@pytest.mark.parametrize("binding", SERVED, ids=lambda b: f"{b.http_method} {b.template}")
def test_every_served_binding_is_an_http_rule_of_the_client(binding: Any) -> None:
    rules = {(r.http_method, r.template, r.body) for r in api_surface.http_rules()}
    served_operation = binding.method == "get_operation"
    body = None if served_operation else binding.body
    assert (binding.http_method, binding.template, body) in rules
    rpc = "".join(part.title() for part in binding.method.split("_"))
    assert api_surface.snake_case(rpc) == binding.method


class _Anything:
    """A servicer whose every method records the call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return lambda request: self.calls.append(name)


def _concrete(template: str) -> str:
    return re.sub(
        r"\{[\w.]+(?:=([^}]*))?\}",
        lambda m: (m.group(1) or "*").replace("**", "a/b").replace("*", "x1"),
        template,
    )


def test_every_known_rule_not_served_answers_501_unimplemented() -> None:
    servicer = _Anything()
    keys = ("jobs", "operations", "persistent_resources", tuning_routes.SERVICE)
    transcoder = Transcoder(routes(dict.fromkeys(keys, servicer), SERVED))
    served = {(b.http_method, b.template) for b in SERVED}
    answered = 0
    for rule in api_surface.http_rules():
        if (rule.http_method, rule.template) in served:
            continue
        body = b"{}" if rule.body else b""
        reply = transcoder.handle(rule.http_method, _concrete(rule.template), body)
        error = json.loads(reply.body)["error"]
        assert (reply.status, error["status"]) == (501, "UNIMPLEMENTED"), (rule, error)
        assert error["message"].startswith(f"{rule.service}.{rule.rpc} (")
        answered += 1
    assert servicer.calls == []
    assert answered > 100


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/projects/p/locations/l/fooBars"),
        ("POST", "/v1/projects/p/locations/l/customJobs/1"),
        ("GET", "/v1beta1/projects/p/locations/l/customJobs"),
        ("PUT", "/v1/projects/p/locations/l"),
    ],
)
def test_a_path_no_rpc_has_is_404_not_found(method: str, path: str) -> None:
    reply = Transcoder(routes({}, [])).handle(method, path, b"")
    assert (reply.status, json.loads(reply.body)["error"]["status"]) == (404, "NOT_FOUND")
