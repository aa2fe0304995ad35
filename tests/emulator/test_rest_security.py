"""The REST face under attack: who may reach it, what it reads, what it answers.

Each test is a reproduction of what a web page (a drive-by POST, DNS rebinding), a
careless or hostile local client could send, written with a raw HTTP client
(``http.client`` or a socket) so that nothing normalizes the request on the way. The
gateway runs over an in-test servicer (``StubServicer`` of test_rest.py) that records
every call: "refused" means the servicer was never called, so nothing was stored. The
last tests go through a whole emulator (FakeRunner: no Docker) with Google's own
REST clients, which must keep working under the same rules.
"""

from __future__ import annotations

import http.client
import json
import pathlib
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState

from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.rest import RestGateway
from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.fake_runner import FakeRunner, no_cluster
from tests.emulator.test_rest import JOB, PARENT, StubServicer

CREATE = f"/v1/{PARENT}/customJobs"
BODY = json.dumps(JOB).encode()
JSON = "application/json"
MIB = 1024 * 1024


@pytest.fixture
def stub() -> StubServicer:
    return StubServicer()


@pytest.fixture
def gateway(stub: StubServicer) -> Iterator[RestGateway]:
    gw = RestGateway(stub, stub, "127.0.0.1", 0, persistent_resource_servicer=stub)
    gw.start()
    yield gw
    gw.stop()


class Answer:
    """A response read off the wire: status, headers (lower-case names) and body."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    def error(self) -> dict[str, Any]:
        """The Google error body, checked for shape: code (= the HTTP status), message, status."""
        assert self.headers.get("content-type", "").startswith(JSON), self.headers
        error = json.loads(self.body)["error"]
        assert set(error) >= {"code", "message", "status"}, error
        assert error["code"] == self.status
        return dict(error)


def send(
    gateway: RestGateway,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    host: str | None = None,
) -> Answer:
    """One request with exactly these headers (``host``: the Host header, default the
    gateway's own address; Content-Length is added for a body unless given)."""
    conn = http.client.HTTPConnection(gateway.host, gateway.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else gateway.address)
        given = {k.lower() for k in (headers or {})}
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None and "content-length" not in given:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        return Answer(conn.getresponse())
    finally:
        conn.close()


def send_raw(gateway: RestGateway, data: bytes) -> Answer:
    """Bytes written as they are on a fresh connection; the response read back."""
    with socket.create_connection((gateway.host, gateway.port), timeout=30) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Answer(response)


# --- Host: only loopback names (DNS rebinding) ------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "evil.example",
        "127.0.0.1.evil.example:{port}",
        "localhost.evil.example",
        "192.168.1.20:{port}",
        "[::2]:{port}",
        "",
    ],
)
def test_gateway_refuses_request_when_host_header_is_not_loopback(
    gateway: RestGateway, stub: StubServicer, host: str
) -> None:
    answer = send(gateway, "POST", CREATE, BODY, {"Content-Type": JSON}, host=host.format(
        port=gateway.port))  # fmt: skip
    assert answer.status == 400
    error = answer.error()
    assert error["status"] == "INVALID_ARGUMENT"
    assert "host" in error["message"].lower()
    assert stub.requests == []


def test_gateway_refuses_request_when_host_header_is_missing(
    gateway: RestGateway, stub: StubServicer
) -> None:
    answer = send_raw(gateway, f"GET /v1/{PARENT}/customJobs HTTP/1.0\r\n\r\n".encode())
    assert answer.status == 400
    assert answer.error()["status"] == "INVALID_ARGUMENT"
    assert stub.requests == []


@pytest.mark.parametrize(
    "host", ["localhost:{port}", "LOCALHOST:{port}", "127.0.0.1:{port}", "127.0.0.1",
             "[::1]:{port}", "localhost:1"],
)  # fmt: skip
def test_gateway_answers_request_when_host_header_is_loopback(
    gateway: RestGateway, stub: StubServicer, host: str
) -> None:
    answer = send(gateway, "POST", CREATE, BODY, {"Content-Type": JSON}, host=host.format(
        port=gateway.port))  # fmt: skip
    assert answer.status == 200, answer.body
    assert len(stub.requests) == 1


def test_gateway_answers_request_when_host_header_names_the_bound_host(stub: StubServicer) -> None:
    gw = RestGateway(stub, stub, "127.0.0.2", 0)  # any 127/8 address is loopback on Linux
    gw.start()
    try:
        assert send(gw, "GET", CREATE, host=f"127.0.0.2:{gw.port}").status == 200
        assert send(gw, "GET", CREATE, host=f"127.0.0.3:{gw.port}").status == 400
    finally:
        gw.stop()


def test_gateway_serves_ipv6_loopback_when_bound_to_it(stub: StubServicer) -> None:
    try:
        socket.socket(socket.AF_INET6).close()
        gw = RestGateway(stub, stub, "::1", 0)
        gw.start()
    except OSError as err:
        pytest.skip(f"no IPv6 loopback here: {err}")
    try:
        assert gw.address == f"[::1]:{gw.port}"
        answer = send(gw, "POST", CREATE, BODY, {"Content-Type": JSON})
        assert answer.status == 200, answer.body
    finally:
        gw.stop()


# --- Content-Type: a page cannot send application/json without a CORS preflight -----------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
     "multipart/form-data; boundary=x", "application/jsonp", "application/json-patch+json",
     None],
)  # fmt: skip
def test_gateway_answers_415_when_mutating_request_body_is_not_json(
    gateway: RestGateway, stub: StubServicer, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = send(gateway, "POST", CREATE, BODY, headers)
    assert answer.status == 415
    error = answer.error()
    assert error["status"] == "INVALID_ARGUMENT"
    assert "application/json" in error["message"]
    assert stub.requests == []


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "PUT"])
def test_gateway_answers_415_when_other_mutating_methods_send_text(
    gateway: RestGateway, stub: StubServicer, method: str
) -> None:
    path = f"/v1/{PARENT}/persistentResources/r" if method == "PATCH" else f"{CREATE}/1"
    answer = send(gateway, method, path, b"{}", {"Content-Type": "text/plain"})
    assert answer.status == 415
    assert answer.error()["status"] == "INVALID_ARGUMENT"
    assert stub.requests == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_gateway_accepts_json_when_content_type_says_so(
    gateway: RestGateway, stub: StubServicer, content_type: str
) -> None:
    answer = send(gateway, "POST", CREATE, BODY, {"Content-Type": content_type})
    assert answer.status == 200, answer.body
    assert stub.requests[-1].custom_job.display_name == JOB["displayName"]


@pytest.mark.parametrize("length", ["0", None])
def test_gateway_accepts_bodyless_post_when_it_has_no_content_type(
    gateway: RestGateway, stub: StubServicer, length: str | None
) -> None:
    created = send(gateway, "POST", CREATE, BODY, {"Content-Type": JSON})
    name = json.loads(created.body)["name"]
    headers = {} if length is None else {"Content-Length": length}
    answer = send(gateway, "POST", f"/v1/{name}:cancel", headers=headers)
    assert answer.status == 200, answer.body
    assert stub.requests[-1].name == name


# --- Origin: only the server's own --------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "null", "http://localhost:1", "https://127.0.0.1:{port}",
     "http://127.0.0.1:{port}.evil.example", "http://evil.example:{port}"],
)  # fmt: skip
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_gateway_answers_403_when_origin_is_not_its_own(
    gateway: RestGateway, stub: StubServicer, origin: str, method: str
) -> None:
    body = BODY if method == "POST" else None
    headers = {"Origin": origin.format(port=gateway.port), "Content-Type": JSON}
    answer = send(gateway, method, CREATE, body, headers)
    assert answer.status == 403
    assert answer.error()["status"] == "PERMISSION_DENIED"
    assert not any(k.startswith("access-control-") for k in answer.headers)
    assert stub.requests == []


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "http://localhost:{port}"])
def test_gateway_answers_request_when_origin_is_its_own(
    gateway: RestGateway, stub: StubServicer, origin: str
) -> None:
    headers = {"Origin": origin.format(port=gateway.port), "Content-Type": JSON}
    answer = send(gateway, "POST", CREATE, BODY, headers)
    assert answer.status == 200, answer.body
    assert not any(k.startswith("access-control-") for k in answer.headers)


def test_gateway_grants_no_cors_preflight_when_a_page_asks(
    gateway: RestGateway, stub: StubServicer
) -> None:
    answer = send(gateway, "OPTIONS", CREATE, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})  # fmt: skip
    assert answer.status in (403, 405)
    assert answer.error()["status"] in ("PERMISSION_DENIED", "UNIMPLEMENTED")
    assert not any(k.startswith("access-control-") for k in answer.headers)
    assert stub.requests == []


# --- bounded input ------------------------------------------------------------------------


def test_gateway_answers_413_and_stores_nothing_when_body_exceeds_4_mib(
    gateway: RestGateway, stub: StubServicer
) -> None:
    job = {**JOB, "labels": {"pad": "x" * (20 * MIB)}}
    answer = send(gateway, "POST", CREATE, json.dumps(job).encode(), {"Content-Type": JSON})
    assert answer.status == 413
    error = answer.error()
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert "4194304" in error["message"]
    assert stub.requests == []


def test_gateway_answers_413_at_once_when_declared_length_exceeds_4_mib(
    gateway: RestGateway, stub: StubServicer
) -> None:
    # The body is never sent: the answer must not wait for it.
    head = (
        f"POST {CREATE} HTTP/1.1\r\nHost: {gateway.address}\r\nContent-Type: {JSON}\r\n"
        f"Content-Length: {4 * MIB + 1}\r\n\r\n{{"
    )
    answer = send_raw(gateway, head.encode())
    assert answer.status == 413
    assert answer.error()["status"] == "RESOURCE_EXHAUSTED"
    assert stub.requests == []


def test_gateway_reads_body_when_it_is_just_under_the_limit(
    gateway: RestGateway, stub: StubServicer
) -> None:
    job = {**JOB, "displayName": ""}
    padding = 4 * MIB - len(json.dumps(job).encode()) - 1
    job["displayName"] = "x" * padding
    answer = send(gateway, "POST", CREATE, json.dumps(job).encode(), {"Content-Type": JSON})
    assert answer.status == 200
    assert len(stub.requests[-1].custom_job.display_name) == padding


@pytest.mark.parametrize("length", ["abc", "-1", "1, 2", "0x10", " "])
def test_gateway_answers_400_json_when_content_length_is_malformed(
    gateway: RestGateway, stub: StubServicer, length: str
) -> None:
    head = (
        f"POST {CREATE} HTTP/1.1\r\nHost: {gateway.address}\r\nContent-Type: {JSON}\r\n"
        f"Content-Length: {length}\r\n\r\n{{}}"
    )
    answer = send_raw(gateway, head.encode())
    assert answer.status == 400
    assert answer.error()["status"] == "INVALID_ARGUMENT"
    assert stub.requests == []


def test_gateway_answers_400_json_when_content_length_and_chunked_are_both_sent(
    gateway: RestGateway, stub: StubServicer
) -> None:
    head = (
        f"POST {CREATE} HTTP/1.1\r\nHost: {gateway.address}\r\nContent-Type: {JSON}\r\n"
        "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    answer = send_raw(gateway, head.encode())
    assert answer.status == 400
    assert answer.error()["status"] == "INVALID_ARGUMENT"
    assert stub.requests == []


def test_gateway_refuses_chunked_body_clearly_when_sent_raw(
    gateway: RestGateway, stub: StubServicer
) -> None:
    head = (
        f"POST {CREATE} HTTP/1.1\r\nHost: {gateway.address}\r\nContent-Type: {JSON}\r\n"
        f"Transfer-Encoding: chunked\r\n\r\n{len(BODY):x}\r\n"
    ).encode()
    answer = send_raw(gateway, head + BODY + b"\r\n0\r\n\r\n")
    assert answer.status == 400
    assert "Chunked" in answer.error()["message"]
    assert stub.requests == []


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, '{"labels": ' + "[" * 100_000, '{"jobSpec": ' * 50_000 + "{}" + "}" * 50_000],
    ids=["array", "in-a-field", "object"],
)
def test_gateway_answers_400_when_json_body_is_nested_too_deeply(
    gateway: RestGateway, stub: StubServicer, body: str
) -> None:
    answer = send(gateway, "POST", CREATE, body.encode(), {"Content-Type": JSON})
    assert answer.status == 400
    assert answer.error()["status"] == "INVALID_ARGUMENT"
    assert stub.requests == []


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PROPFIND"])
def test_gateway_answers_405_json_when_method_is_not_served(
    gateway: RestGateway, stub: StubServicer, method: str
) -> None:
    answer = send(gateway, method, CREATE)
    assert answer.status == 405
    assert answer.error()["status"] == "UNIMPLEMENTED"
    assert set(answer.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST", "DELETE"}
    assert stub.requests == []


def test_gateway_answers_head_with_405_headers_and_no_body(
    gateway: RestGateway, stub: StubServicer
) -> None:
    answer = send(gateway, "HEAD", f"{CREATE}/1")
    assert answer.status == 405
    assert answer.headers["content-type"].startswith(JSON)
    assert answer.body == b""
    assert stub.requests == []


def test_gateway_keeps_serving_when_a_request_is_garbage(gateway: RestGateway) -> None:
    answer = send_raw(gateway, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
    assert answer.status == 400
    assert answer.error()["status"] == "INVALID_ARGUMENT"
    assert send(gateway, "GET", CREATE).status == 200


# --- the whole emulator: the drive-by reproduction, and Google's clients ------------------


@pytest.fixture
def emulator(tmp_path: pathlib.Path) -> Iterator[EmulatorServer]:
    """An emulator of the test's own, serving REST; jobs "run" until cancelled (no Docker)."""
    server = EmulatorServer(
        tmp_path / "vertex",
        runner=FakeRunner(RunPhase.RUNNING),
        build_job_run=no_cluster,
        poll_interval=0.05,
        persistent_resource_delay=0.05,
    )
    server.start()
    yield server
    server.stop()


def _stored_jobs(server: EmulatorServer) -> list[Any]:
    assert server.backend is not None
    return server.backend.list_custom_jobs("projects/-/locations/-", page_size=100)[0]


class _Emulator:
    """``send``'s view of a whole emulator's REST endpoint."""

    def __init__(self, server: EmulatorServer) -> None:
        assert server.rest_port is not None
        self.host, self.port = "127.0.0.1", server.rest_port
        self.address = f"127.0.0.1:{self.port}"


DRIVE_BY_JOB = {
    "displayName": "drive-by",
    "jobSpec": {"workerPoolSpecs": [{
        "machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1",
        "containerSpec": {"imageUri": "local/python:3.11",
                          "command": ["sh", "-c", "echo pwned > /gcs/out/owned"]}}]},
}  # fmt: skip


@pytest.mark.parametrize(
    ("host", "headers"),
    [
        # fetch(url, {method: "POST", mode: "no-cors", body: JSON.stringify(job)})
        (
            "{address}",
            {"Origin": "http://evil.example", "Content-Type": "text/plain;charset=UTF-8"},
        ),
        # the same, with a Blob body: no Content-Type at all
        ("{address}", {"Origin": "http://evil.example"}),
        # DNS rebinding: evil.example now resolves to 127.0.0.1, so the page is same-origin
        ("evil.example:{port}", {"Origin": "http://evil.example:{port}", "Content-Type": JSON}),
        # a non-browser client behind a rebound name, without Origin
        ("evil.example:{port}", {"Content-Type": JSON}),
    ],
)
def test_emulator_runs_nothing_when_a_web_page_posts_a_job(
    emulator: EmulatorServer, host: str, headers: dict[str, str]
) -> None:
    target = _Emulator(emulator)
    fmt = {"address": target.address, "port": target.port}
    answer = send(
        target,  # type: ignore[arg-type]
        "POST",
        "/v1/projects/p/locations/us-central1/customJobs",
        json.dumps(DRIVE_BY_JOB).encode(),
        {k: v.format(**fmt) for k, v in headers.items()},
        host=host.format(**fmt),
    )
    assert answer.status in (400, 403, 415)
    answer.error()
    assert _stored_jobs(emulator) == []
    assert emulator.backend is not None
    assert emulator.backend.runner.started == []  # type: ignore[attr-defined]


def test_rest_client_creates_cancels_and_deletes_when_emulator_is_guarded(
    emulator: EmulatorServer,
) -> None:
    assert emulator.rest_address is not None
    client = aiplatform_v1.JobServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint="http://" + emulator.rest_address),
    )
    parent = "projects/p/locations/us-central1"
    wanted = aiplatform_v1.CustomJob.from_json(
        json.dumps({**DRIVE_BY_JOB, "displayName": "guarded"})
    )
    job = client.create_custom_job(parent=parent, custom_job=wanted)
    assert client.get_custom_job(name=job.name).display_name == "guarded"
    assert [j.name for j in client.list_custom_jobs(parent=parent)] == [job.name]
    client.cancel_custom_job(name=job.name)  # a POST with body "{}" and application/json
    deadline = time.monotonic() + 30
    while client.get_custom_job(name=job.name).state != JobState.JOB_STATE_CANCELLED:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    client.delete_custom_job(name=job.name).result(timeout=30)
    assert _stored_jobs(emulator) == []
