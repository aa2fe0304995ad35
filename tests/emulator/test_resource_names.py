"""Resource names are strict: a parent or name that is not one is INVALID_ARGUMENT naming the
field, over gRPC and REST, and nothing is created.

Reproductions: ``projects/../locations/x`` as a parent created a job of that name; a
trailing newline passed the ``^...$`` patterns (``$`` matches before a final ``\\n``);
``customJobs/\\u0661`` (an Arabic-Indic digit one) passed ``str.isdigit``; control characters
went through to stored names and to ``vertex-local jobs``' output. No Docker: jobs
"run" on an FakeRunner.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.fake_runner import FakeRunner, no_cluster
from tests.emulator.test_rest_security import DRIVE_BY_JOB, JSON, _Emulator, send

GOOD_PARENT = "projects/p/locations/us-central1"

BAD_PARENTS = [
    "projects/../locations/us-central1",
    "projects/p/locations/..",
    "projects/./locations/us-central1",
    "projects/p/locations/us-central1\n",
    "projects/p\x00/locations/us-central1",
    "projects/p/locations/us\x1b[31mcentral1",
    "projects/p q/locations/us-central1",
    "projects/P/locations/us-central1",
    "projects//locations/us-central1",
    "projects/p/locations/us-central1/customJobs/1/..",
]
BAD_JOB_NAMES = [
    f"{GOOD_PARENT}/customJobs/1\n",
    f"{GOOD_PARENT}/customJobs/1\x00",
    f"{GOOD_PARENT}/customJobs/\u0661",  # ARABIC-INDIC DIGIT ONE: str.isdigit() is True
    f"{GOOD_PARENT}/customJobs/ 1",
    f"{GOOD_PARENT}/customJobs/1/../2",
    "projects/../locations/us-central1/customJobs/1",
    "projects/p/locations/../customJobs/1",
]
# Over REST a name is one path variable per template segment: "1/../2" matches no binding.
REST_JOB_NAMES = [n for n in BAD_JOB_NAMES if n.count("/") == 5]
BAD_RESOURCE_NAMES = [
    f"{GOOD_PARENT}/persistentResources/r\n",
    f"{GOOD_PARENT}/persistentResources/r\x07",
    "projects/../locations/us-central1/persistentResources/r",
]
BAD_OPERATION_NAMES = [
    f"{GOOD_PARENT}/customJobs/1/operations/1\n",
    f"{GOOD_PARENT}/customJobs/../operations/1",
    "projects/../locations/x/persistentResources/r/operations/1",
]


@pytest.fixture
def emulator(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    server = EmulatorServer(
        tmp_path / "vertex", runner=FakeRunner(), build_job_run=no_cluster,
        poll_interval=0.05, persistent_resource_delay=0.05,
    )  # fmt: skip
    server.start()
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, server.grpc_address)
    yield server
    server.stop()


def _job() -> aiplatform_v1.CustomJob:
    return aiplatform_v1.CustomJob.from_json(json.dumps(DRIVE_BY_JOB))


def _stored(server: EmulatorServer) -> list[Any]:
    assert server.backend is not None
    return server.backend.list_custom_jobs("projects/-/locations/-", page_size=100)[0]


@pytest.mark.parametrize("parent", [*BAD_PARENTS, "projects/-/locations/us-central1"])
def test_create_over_grpc_raises_invalid_argument_naming_parent_when_parent_is_not_a_name(
    emulator: EmulatorServer, parent: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="parent"):
        client.job_service_client("us-central1").create_custom_job(parent=parent, custom_job=_job())
    assert _stored(emulator) == []


@pytest.mark.parametrize("parent", BAD_PARENTS)
def test_list_over_grpc_raises_invalid_argument_naming_parent_when_parent_is_not_a_name(
    emulator: EmulatorServer, parent: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="parent"):
        list(client.job_service_client("us-central1").list_custom_jobs(parent=parent))


def test_list_accepts_the_wildcard_parent_when_listing_across_projects(
    emulator: EmulatorServer,
) -> None:
    jobs = client.job_service_client("us-central1")
    created = jobs.create_custom_job(parent=GOOD_PARENT, custom_job=_job())
    listed = jobs.list_custom_jobs(parent="projects/-/locations/-")
    assert [j.name for j in listed] == [created.name]


@pytest.mark.parametrize("name", BAD_JOB_NAMES)
@pytest.mark.parametrize("rpc", ["get_custom_job", "cancel_custom_job", "delete_custom_job"])
def test_job_rpcs_over_grpc_raise_invalid_argument_naming_name_when_name_is_not_a_job_name(
    emulator: EmulatorServer, name: str, rpc: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="name"):
        getattr(client.job_service_client("us-central1"), rpc)(name=name)


@pytest.mark.parametrize("name", BAD_RESOURCE_NAMES)
@pytest.mark.parametrize("rpc", ["get_persistent_resource", "delete_persistent_resource"])
def test_resource_rpcs_over_grpc_raise_invalid_argument_when_name_is_not_a_resource_name(
    emulator: EmulatorServer, name: str, rpc: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="name"):
        getattr(client.persistent_resource_client("us-central1"), rpc)(name=name)


@pytest.mark.parametrize("parent", BAD_PARENTS[:4])
def test_create_resource_over_grpc_raises_invalid_argument_when_parent_is_not_a_name(
    emulator: EmulatorServer, parent: str
) -> None:
    resource = aiplatform_v1.PersistentResource(
        resource_pools=[{"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1}]
    )
    with pytest.raises(exceptions.InvalidArgument, match="parent"):
        client.persistent_resource_client("us-central1").create_persistent_resource(
            parent=parent, persistent_resource=resource, persistent_resource_id="r"
        )


@pytest.mark.parametrize("name", BAD_OPERATION_NAMES)
def test_get_operation_over_grpc_raises_invalid_argument_when_name_is_not_an_operation(
    emulator: EmulatorServer, name: str
) -> None:
    jobs = client.job_service_client("us-central1")
    with pytest.raises(exceptions.InvalidArgument, match="name"):
        jobs.get_operation(operations_pb2.GetOperationRequest(name=name))


def _path(name: str) -> str:
    """A name as a REST path: each segment percent-encoded ('/' stays a separator)."""
    return "/".join(quote(part, safe="") for part in name.split("/"))


@pytest.mark.parametrize(
    ("method", "template", "name", "field"),
    [
        *(("POST", "/v1/{}/customJobs", p, "parent") for p in BAD_PARENTS[:7]),
        *(("GET", "/v1/{}/customJobs", p, "parent") for p in BAD_PARENTS[:7]),
        *(("GET", "/v1/{}", n, "name") for n in REST_JOB_NAMES),
        *(("POST", "/v1/{}:cancel", n, "name") for n in REST_JOB_NAMES),
        *(("DELETE", "/v1/{}", n, "name") for n in REST_JOB_NAMES),
        *(("GET", "/v1/{}", n, "name") for n in BAD_RESOURCE_NAMES),
        *(("DELETE", "/v1/{}", n, "name") for n in BAD_RESOURCE_NAMES),
        *(("GET", "/ui/{}", n, "name") for n in BAD_OPERATION_NAMES),
    ],
)
def test_rest_answers_400_naming_the_field_when_a_path_holds_no_valid_name(
    emulator: EmulatorServer, method: str, template: str, name: str, field: str
) -> None:
    body = DRIVE_BY_JOB if method == "POST" and template.endswith("customJobs") else None
    answer = send(
        _Emulator(emulator),  # type: ignore[arg-type]
        method,
        template.format(_path(name)),
        None if body is None else json.dumps(body).encode(),
        {"Content-Type": JSON} if body is not None else {},
    )
    assert answer.status == 400, answer.body
    error = answer.error()
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith(f"{field}: "), error["message"]
    assert _stored(emulator) == []


def test_rest_answers_400_when_dot_segments_are_sent_literally(emulator: EmulatorServer) -> None:
    # http.client sends the path as written: no client-side dot-segment removal.
    answer = send(
        _Emulator(emulator),  # type: ignore[arg-type]
        "POST",
        "/v1/projects/../locations/us-central1/customJobs",
        json.dumps(DRIVE_BY_JOB).encode(),
        {"Content-Type": JSON},
    )
    assert answer.status == 400
    assert answer.error()["message"].startswith("parent: ")
    assert _stored(emulator) == []
