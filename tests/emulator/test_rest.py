"""The REST gateway: Vertex AI's HTTP bindings, as Google's own REST clients use them.

The first part drives the gateway over an in-test servicer (the gateway's own
behaviour: transcoding, enum encoding, errors, routes); the second part goes
through the whole emulator (real backend, real Docker) with the official
``JobServiceClient(transport="rest")``.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2, field_mask_pb2, json_format

from pulumi_vertex_training.emulator import exceptions as emx
from pulumi_vertex_training.emulator.filters import compile_filter
from pulumi_vertex_training.emulator.rest import RestGateway, template_regex

PARENT = "projects/p/locations/us-central1"
EMULATOR_PARENT = "projects/test-project/locations/us-central1"
ENUM_INT = "%24alt=json%3Benum-encoding%3Dint"
JOB = {
    "displayName": "rest-job",
    "labels": {"team": "ml"},
    "jobSpec": {
        "workerPoolSpecs": [
            {
                "machineSpec": {"machineType": "n1-standard-4"},
                "replicaCount": "1",
                "containerSpec": {"imageUri": "local/python:3.11"},
            }
        ]
    },
}


class StubServicer:
    """Jobs and operations in a dict, recording each request; ``fail`` makes every call raise."""

    def __init__(self) -> None:
        self.jobs: dict[str, aiplatform_v1.CustomJob] = {}
        self.operations: dict[str, operations_pb2.Operation] = {}
        self.requests: list[Any] = []
        self.fail: Exception | None = None
        self._ids = itertools.count(100)

    def _record(self, request: Any) -> None:
        self.requests.append(request)
        if self.fail is not None:
            raise self.fail

    def create_custom_job(self, request: aiplatform_v1.CreateCustomJobRequest) -> Any:
        self._record(request)
        job = aiplatform_v1.CustomJob(request.custom_job)
        job.name = f"{request.parent}/customJobs/{next(self._ids)}"
        job.state = aiplatform_v1.JobState(aiplatform_v1.JobState.JOB_STATE_QUEUED)
        self.jobs[job.name] = job
        return job

    def get_custom_job(self, request: aiplatform_v1.GetCustomJobRequest) -> Any:
        self._record(request)
        if request.name not in self.jobs:
            raise emx.NotFound(f"CustomJob {request.name!r} not found.")
        return self.jobs[request.name]

    def list_custom_jobs(self, request: aiplatform_v1.ListCustomJobsRequest) -> Any:
        self._record(request)
        matches = compile_filter(request.filter)
        jobs = [j for j in self.jobs.values() if matches(j)]
        return aiplatform_v1.ListCustomJobsResponse(custom_jobs=jobs)

    def cancel_custom_job(self, request: aiplatform_v1.CancelCustomJobRequest) -> None:
        self._record(request)
        self.get_custom_job(aiplatform_v1.GetCustomJobRequest(name=request.name))
        self.jobs[request.name].state = aiplatform_v1.JobState(
            aiplatform_v1.JobState.JOB_STATE_CANCELLED
        )

    def delete_custom_job(self, request: aiplatform_v1.DeleteCustomJobRequest) -> Any:
        self._record(request)
        self.jobs.pop(request.name)
        op = operations_pb2.Operation(name=f"{request.name}/operations/7", done=False)
        op.metadata.Pack(
            aiplatform_v1.DeleteOperationMetadata.pb(aiplatform_v1.DeleteOperationMetadata())
        )
        self.operations[op.name] = op
        return op

    def get_operation(self, request: operations_pb2.GetOperationRequest) -> Any:
        self._record(request)
        if request.name not in self.operations:
            raise emx.NotFound(f"Operation {request.name!r} not found.")
        op = self.operations[request.name]
        op.done = True  # not done when returned by Delete, done at the first poll
        op.response.Pack(empty_pb2.Empty())
        return op

    # PersistentResourceService, to show those bindings transcode too.
    def create_persistent_resource(self, request: Any) -> Any:
        self._record(request)
        resource = aiplatform_v1.PersistentResource(request.persistent_resource)
        resource.name = f"{request.parent}/persistentResources/{request.persistent_resource_id}"
        op = operations_pb2.Operation(name=f"{resource.name}/operations/1", done=True)
        op.response.Pack(aiplatform_v1.PersistentResource.pb(resource))
        return op

    def update_persistent_resource(self, request: Any) -> Any:
        self._record(request)
        op = operations_pb2.Operation(name=f"{request.persistent_resource.name}/operations/2",
                                      done=True)  # fmt: skip
        op.response.Pack(aiplatform_v1.PersistentResource.pb(request.persistent_resource))
        return op


@pytest.fixture
def stub() -> StubServicer:
    return StubServicer()


@pytest.fixture
def gateway(stub: StubServicer) -> Iterator[RestGateway]:
    gw = RestGateway(stub, stub, "127.0.0.1", 0, persistent_resource_servicer=stub)
    gw.start()
    yield gw
    gw.stop()


def _client(address: str) -> aiplatform_v1.JobServiceClient:
    return aiplatform_v1.JobServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint="http://" + address),
    )


def _url(gateway: RestGateway, path: str) -> str:
    return f"http://{gateway.address}{path}"


def test_rest_client_transcodes_every_job_rpc_when_talking_to_gateway(
    gateway: RestGateway, stub: StubServicer
) -> None:
    client = _client(gateway.address)
    job = client.create_custom_job(parent=PARENT, custom_job=aiplatform_v1.CustomJob(
        display_name="a", labels={"team": "ml"},
        job_spec={"worker_pool_specs": [{"machine_spec": {
            "machine_type": "n1-standard-4", "accelerator_type": "NVIDIA_TESLA_T4",
            "accelerator_count": 1}, "replica_count": 1,
            "container_spec": {"image_uri": "local/python:3.11"}}]}))  # fmt: skip
    assert stub.requests[-1].parent == PARENT
    spec = job.job_spec.worker_pool_specs[0].machine_spec
    assert spec.accelerator_type == aiplatform_v1.AcceleratorType.NVIDIA_TESLA_T4
    assert job.state == aiplatform_v1.JobState.JOB_STATE_QUEUED
    assert client.get_custom_job(name=job.name).display_name == "a"

    mask = field_mask_pb2.FieldMask(paths=["display_name", "state"])
    listed = client.list_custom_jobs(request={
        "parent": PARENT, "filter": 'labels.team="ml" AND display_name:"a*"',
        "page_size": 5, "page_token": "t1", "read_mask": mask})  # fmt: skip
    assert [j.name for j in listed] == [job.name]
    sent = stub.requests[-1]
    assert (sent.parent, sent.filter, sent.page_size, sent.page_token) == (
        PARENT, 'labels.team="ml" AND display_name:"a*"', 5, "t1")  # fmt: skip
    assert list(sent.read_mask.paths) == ["display_name", "state"]

    client.cancel_custom_job(name=job.name)
    assert client.get_custom_job(name=job.name).state == aiplatform_v1.JobState.JOB_STATE_CANCELLED

    operation = client.delete_custom_job(name=job.name)
    assert operation.result(timeout=30, polling=_fast_polling()) == empty_pb2.Empty()
    assert isinstance(operation.metadata, aiplatform_v1.DeleteOperationMetadata)
    with pytest.raises(gexc.NotFound, match="not found"):
        client.get_custom_job(name=job.name)


def _fast_polling() -> Any:
    from google.api_core import retry

    return retry.Retry(initial=0.01, maximum=0.05, multiplier=1.5, timeout=30)


def test_gateway_writes_enums_as_integers_when_client_asks_enum_encoding_int(
    gateway: RestGateway,
) -> None:
    created = requests.post(_url(gateway, f"/v1/{PARENT}/customJobs?{ENUM_INT}"), json=JOB)
    assert created.status_code == 200
    assert created.json()["state"] == 1
    name = created.json()["name"]
    assert requests.get(_url(gateway, f"/v1/{name}")).json()["state"] == "JOB_STATE_QUEUED"
    assert requests.get(_url(gateway, f"/v1/{name}?alt=json")).json()["jobSpec"] == JOB["jobSpec"]


@pytest.mark.parametrize("prefix", ["ui", "v1"])
def test_gateway_serves_operation_polls_when_path_has_ui_or_v1_prefix(
    gateway: RestGateway, stub: StubServicer, prefix: str
) -> None:
    name = requests.post(_url(gateway, f"/v1/{PARENT}/customJobs"), json=JOB).json()["name"]
    op = requests.delete(_url(gateway, f"/v1/{name}")).json()
    assert "done" not in op  # false, the default, is not written
    polled = requests.get(_url(gateway, f"/{prefix}/{op['name']}"))
    assert polled.status_code == 200
    assert polled.json()["done"] is True
    assert stub.requests[-1].name == op["name"]
    missing = requests.get(_url(gateway, f"/{prefix}/{PARENT}/persistentResources/x/operations/1"))
    assert missing.json()["error"]["status"] == "NOT_FOUND"


def test_gateway_decodes_path_variables_when_percent_encoded(
    gateway: RestGateway, stub: StubServicer
) -> None:
    requests.get(_url(gateway, f"/v1/{PARENT}/customJobs/a%20b"))
    assert stub.requests[-1].name == f"{PARENT}/customJobs/a b"


@pytest.mark.parametrize(
    ("method", "path", "body", "fragment"),
    [
        ("POST", f"/v1/{PARENT}/customJobs", {**JOB, "colour": "red"}, "colour"),
        ("POST", f"/v1/{PARENT}/customJobs", {**JOB, "state": "JOB_STATE_NOPE"}, "JOB_STATE_NOPE"),
        (
            "POST",
            f"/v1/{PARENT}/customJobs",
            {"jobSpec": {"workerPoolSpecs": [{"replicaCount": "x"}]}},
            "replicaCount",
        ),
        ("POST", f"/v1/{PARENT}/customJobs", "[1]", "must be an object"),
        ("POST", f"/v1/{PARENT}/customJobs", "{not json", "Invalid JSON payload"),
        ("GET", f"/v1/{PARENT}/customJobs?pageSize=ten", None, "pageSize"),
        ("GET", f"/v1/{PARENT}/customJobs?colour=red", None, "colour"),
        ("GET", f"/v1/{PARENT}/customJobs?filter.x=1", None, "filter"),
        ("GET", f"/v1/{PARENT}/customJobs?alt=proto", None, "alt='proto'"),
        ("POST", f"/v1/{PARENT}/customJobs/1:cancel", {"force": True}, "force"),
        ("GET", f"/v1/{PARENT}/customJobs/1", {"name": "x"}, "takes no body"),
    ],
)
def test_gateway_answers_400_invalid_argument_when_request_is_malformed(
    gateway: RestGateway, stub: StubServicer, method: str, path: str, body: Any, fragment: str
) -> None:
    data = body if isinstance(body, str) else json.dumps(body) if body is not None else None
    # As every real client does: a body without Content-Type is refused (415) before this.
    headers = {"Content-Type": "application/json"} if data is not None else {}
    response = requests.request(method, _url(gateway, path), data=data, headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert fragment in error["message"]
    assert stub.requests == []  # refused before any servicer call: nothing created


def test_gateway_ignores_system_parameters_when_present_in_query(
    gateway: RestGateway, stub: StubServicer
) -> None:
    response = requests.get(
        _url(gateway, f"/v1/{PARENT}/customJobs?prettyPrint=false&key=k&%24fields=x&pageSize=3")
    )
    assert response.status_code == 200
    assert stub.requests[-1].page_size == 3


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/projects/p/locations/l/fooBars/1"),
        ("GET", "/v2/projects/p/locations/l/customJobs/1"),
        ("PUT", f"/v1/{PARENT}/customJobs/1"),
        ("GET", f"/v1/{PARENT}/customJobs/1:cancel"),
        ("GET", f"/v1/{PARENT}/customJobs/1/extra"),
        ("GET", "/"),
    ],
)
def test_gateway_answers_404_when_no_binding_matches(
    gateway: RestGateway, stub: StubServicer, method: str, path: str
) -> None:
    response = requests.request(method, _url(gateway, path))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["status"] == "NOT_FOUND"
    assert error["code"] == 404
    assert method in error["message"]
    assert stub.requests == []


@pytest.mark.parametrize(
    ("error", "exception"),
    [
        (emx.InvalidArgument("bad display_name"), gexc.BadRequest),
        (emx.FailedPrecondition("job is running"), gexc.BadRequest),
        (emx.NotFound("no such job"), gexc.NotFound),
        (emx.AlreadyExists("exists"), gexc.Conflict),
        (emx.Unavailable("try again"), gexc.ServiceUnavailable),
        (emx.DeadlineExceeded("slow"), gexc.GatewayTimeout),
        (emx.ResourceExhausted("quota"), gexc.TooManyRequests),
        (emx.Unimplemented("not here"), gexc.MethodNotImplemented),
        (RuntimeError("servicer bug"), gexc.InternalServerError),
    ],
)
def test_rest_client_raises_matching_exception_when_servicer_raises(
    gateway: RestGateway, stub: StubServicer, error: Exception, exception: type[Exception]
) -> None:
    stub.fail = error
    with pytest.raises(exception) as info:
        _client(gateway.address).get_custom_job(name=f"{PARENT}/customJobs/1")
    assert str(error) in str(info.value)
    body = info.value.response.json()["error"]  # type: ignore[attr-defined]
    code = getattr(error, "code", None)
    assert body["status"] == (code.name if code is not None else "INTERNAL")
    assert body["code"] == info.value.response.status_code  # type: ignore[attr-defined]


def test_rest_client_transcodes_persistent_resource_rpcs_when_servicer_given(
    gateway: RestGateway, stub: StubServicer
) -> None:
    client = aiplatform_v1.PersistentResourceServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint="http://" + gateway.address),
    )
    pool = {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1}
    created = client.create_persistent_resource(
        parent=PARENT,
        persistent_resource=aiplatform_v1.PersistentResource(resource_pools=[pool]),
        persistent_resource_id="my-pr",
    ).result(timeout=30)
    assert created.name == f"{PARENT}/persistentResources/my-pr"
    assert stub.requests[-1].persistent_resource_id == "my-pr"

    created.resource_pools[0].replica_count = 3
    client.update_persistent_resource(
        persistent_resource=created,
        update_mask=field_mask_pb2.FieldMask(paths=["resource_pools.replica_count"]),
    ).result(timeout=30)
    sent = stub.requests[-1]
    assert sent.persistent_resource.name == created.name
    assert sent.persistent_resource.resource_pools[0].replica_count == 3
    assert list(sent.update_mask.paths) == ["resource_pools.replica_count"]


def test_gateway_answers_unimplemented_for_persistent_resources_when_no_servicer(
    stub: StubServicer,
) -> None:
    gw = RestGateway(stub, stub, "127.0.0.1", 0)
    gw.start()
    try:
        response = requests.get(_url(gw, f"/v1/{PARENT}/persistentResources/x"))
        assert response.status_code == 501
        error = response.json()["error"]
        assert error["status"] == "UNIMPLEMENTED"
        assert "PersistentResourceService.GetPersistentResource" in error["message"]
        assert stub.requests == []
    finally:
        gw.stop()


def test_gateway_reports_port_and_stops_idempotently_when_started_on_port_zero(
    stub: StubServicer,
) -> None:
    gw = RestGateway(stub, stub, "127.0.0.1", 0)
    with pytest.raises(RuntimeError, match="not started"):
        _ = gw.port
    gw.start()
    assert gw.port > 0
    port = gw.port
    assert gw.address == f"127.0.0.1:{port}"
    gw.stop()
    gw.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=5)


def test_gateway_refuses_chunked_bodies_when_sent(gateway: RestGateway) -> None:
    response = requests.post(
        _url(gateway, f"/v1/{PARENT}/customJobs"), data=iter([json.dumps(JOB).encode()])
    )
    assert response.status_code == 400
    assert "Chunked" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("template", "path", "groups"),
    [
        (
            "/v1/{name=projects/*/locations/*/customJobs/*}",
            "/v1/projects/p/locations/l/customJobs/1",
            {"name": "projects/p/locations/l/customJobs/1"},
        ),
        (
            "/v1/{name=projects/*/locations/*/customJobs/*}",
            "/v1/projects/p/locations/l/customJobs/1:x",
            None,
        ),
        (
            "/v1/{name=projects/*/locations/*/customJobs/*}:cancel",
            "/v1/projects/p/locations/l/customJobs/1:cancel",
            {"name": "projects/p/locations/l/customJobs/1"},
        ),
        (
            "/v1/{parent=projects/*/locations/*}/customJobs",
            "/v1/projects/p/locations/l/x/customJobs",
            None,
        ),
        (
            "/v1/{persistent_resource.name=projects/*/persistentResources/*}",
            "/v1/projects/p/persistentResources/r",
            {"persistent_resource__name": "projects/p/persistentResources/r"},
        ),
        ("/v1/{name=projects/**}", "/v1/projects/a/b/c", {"name": "projects/a/b/c"}),
        ("/v1/{name}", "/v1/abc", {"name": "abc"}),
    ],
)
def test_template_regex_matches_http_rule_when_path_fits(
    template: str, path: str, groups: dict[str, str] | None
) -> None:
    match = template_regex(template).fullmatch(path)
    assert (match.groupdict() if match else None) == groups


def test_gateway_answers_501_unimplemented_when_servicer_lacks_the_method(
    gateway: RestGateway,
) -> None:
    response = requests.get(_url(gateway, f"/v1/{PARENT}/persistentResources/x"))
    assert response.status_code == 501
    error = response.json()["error"]
    assert error["status"] == "UNIMPLEMENTED"
    assert "get_persistent_resource" in error["message"]


# --- through the whole emulator (real backend, jobs in Docker) ------------------------------


@pytest.fixture(scope="module")
def rest_client(emulator: Any) -> aiplatform_v1.JobServiceClient:
    """The official JobServiceClient over REST to the session's emulator."""
    return _client(emulator.rest_address)


def _error_status(error: gexc.GoogleAPICallError) -> str:
    return str(error.response.json()["error"]["status"])


@pytest.mark.docker
def test_rest_client_creates_lists_cancels_and_deletes_jobs_when_talking_to_emulator(
    rest_client: aiplatform_v1.JobServiceClient, make_custom_job: Any, wait_for_job: Any
) -> None:
    run = uuid.uuid4().hex[:8]
    names = []
    for display_name in ("rest-a1", "rest-a2"):
        job = rest_client.create_custom_job(
            parent=EMULATOR_PARENT,
            custom_job=make_custom_job(display_name=display_name, labels={"run": run}),
        )
        assert job.state == aiplatform_v1.JobState.JOB_STATE_QUEUED
        names.append(job.name)
    sleeper = rest_client.create_custom_job(
        parent=EMULATOR_PARENT,
        custom_job=make_custom_job(
            # PID 1 has no default SIGTERM action: exit on it, so cancel needs no SIGKILL wait.
            "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *_: sys.exit(143)); "
            "time.sleep(300)",
            display_name="rest-b1",
            labels={"run": run},
        ),
    )
    assert rest_client.get_custom_job(name=names[0]).display_name == "rest-a1"

    pager = rest_client.list_custom_jobs(
        request={"parent": EMULATOR_PARENT, "filter": f"labels.run={run}", "page_size": 2}
    )
    pages = list(pager.pages)
    assert [len(p.custom_jobs) for p in pages] == [2, 1]
    assert {j.name for p in pages for j in p.custom_jobs} == {*names, sleeper.name}
    wildcard = f'labels.run="{run}" AND display_name:"rest-a*"'
    listed = rest_client.list_custom_jobs(request={"parent": EMULATOR_PARENT, "filter": wildcard})
    assert sorted(j.name for j in listed) == sorted(names[:2])

    for name in names:
        wait_for_job(name)
    succeeded = f"labels.run={run} AND state=JOB_STATE_SUCCEEDED"
    listed = rest_client.list_custom_jobs(request={"parent": EMULATOR_PARENT, "filter": succeeded})
    assert sorted(j.name for j in listed) == sorted(names)

    wait_for_job(sleeper.name, aiplatform_v1.JobState.JOB_STATE_RUNNING)
    with pytest.raises(gexc.BadRequest) as refused:
        rest_client.delete_custom_job(name=sleeper.name)
    assert _error_status(refused.value) == "FAILED_PRECONDITION"
    assert "Cancel it" in str(refused.value)
    rest_client.cancel_custom_job(name=sleeper.name)
    cancelled = wait_for_job(sleeper.name)
    assert cancelled.state == aiplatform_v1.JobState.JOB_STATE_CANCELLED
    assert cancelled.error.code == 1

    operation = rest_client.delete_custom_job(name=names[0])
    assert operation.result(timeout=30, polling=_fast_polling()) == empty_pb2.Empty()
    assert isinstance(operation.metadata, aiplatform_v1.DeleteOperationMetadata)
    polled = rest_client.get_operation(
        operations_pb2.GetOperationRequest(name=operation.operation.name)
    )
    assert polled.done
    with pytest.raises(gexc.NotFound):
        rest_client.get_custom_job(name=names[0])
    for name in [*names[1:], sleeper.name]:
        rest_client.delete_custom_job(name=name).result(timeout=30)


@pytest.mark.docker
def test_rest_client_raises_not_found_when_job_is_unknown(
    rest_client: aiplatform_v1.JobServiceClient,
) -> None:
    name = f"{EMULATOR_PARENT}/customJobs/987654321"
    with pytest.raises(gexc.NotFound) as info:
        rest_client.get_custom_job(name=name)
    assert _error_status(info.value) == "NOT_FOUND"
    with pytest.raises(gexc.NotFound):
        rest_client.cancel_custom_job(name=name)
    with pytest.raises(gexc.NotFound):
        rest_client.get_operation(operations_pb2.GetOperationRequest(name=f"{name}/operations/1"))


@pytest.mark.docker
def test_rest_client_raises_invalid_argument_when_job_or_filter_is_bad(
    rest_client: aiplatform_v1.JobServiceClient, make_custom_job: Any
) -> None:
    job = make_custom_job()
    del job["display_name"]
    run = uuid.uuid4().hex[:8]
    job["labels"] = {"run": run}
    with pytest.raises(gexc.BadRequest) as info:
        rest_client.create_custom_job(parent=EMULATOR_PARENT, custom_job=job)
    assert _error_status(info.value) == "INVALID_ARGUMENT"
    assert "display_name" in str(info.value)
    listed = rest_client.list_custom_jobs(
        request={"parent": EMULATOR_PARENT, "filter": f"labels.run={run}"}
    )
    assert list(listed) == []  # nothing created

    with pytest.raises(gexc.BadRequest) as info:
        list(
            rest_client.list_custom_jobs(
                request={"parent": EMULATOR_PARENT, "filter": "colour=red"}
            )
        )
    assert _error_status(info.value) == "INVALID_ARGUMENT"
    assert "unknown field 'colour'" in str(info.value)


@pytest.mark.docker
def test_emulator_rejects_unknown_json_fields_when_posted_over_rest(
    emulator: Any, make_custom_job: Any
) -> None:
    body = json_format.MessageToDict(
        aiplatform_v1.CustomJob.pb(aiplatform_v1.CustomJob(make_custom_job()))
    )
    body["jobSpec"]["colour"] = "red"
    response = requests.post(
        f"http://{emulator.rest_address}/v1/{EMULATOR_PARENT}/customJobs", json=body
    )
    assert response.status_code == 400
    assert "colour" in response.json()["error"]["message"]
