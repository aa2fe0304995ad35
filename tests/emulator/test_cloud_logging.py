"""google.logging.v2.LoggingServiceV2 through the official client: replica lines as Vertex
AI writes them, filters, paging, tailing, and reading across an emulator killed mid-job."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import threading
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import grpc
import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import JobState
from google.cloud.logging_v2.services.logging_service_v2 import LoggingServiceV2Client
from google.cloud.logging_v2.services.logging_service_v2.transports import (
    LoggingServiceV2GrpcTransport,
)
from google.cloud.logging_v2.types import TailLogEntriesRequest
from google.logging.type import log_severity_pb2

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.execution.cluster import gcs_root
from tests.emulator.test_restart import ServeProcess

pytestmark = pytest.mark.docker

PROJECT = "logs-project"
PARENT = f"projects/{PROJECT}/locations/us-central1"
IMAGE = "local/python:3.11"

GATED = """
import pathlib, sys, time
print("before", flush=True)
print("warned", file=sys.stderr, flush=True)
while not pathlib.Path("/gcs/{bucket}/go").exists():
    time.sleep(0.05)
print("after", flush=True)
"""


def _pool(code: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": replicas,
        "container_spec": {"image_uri": IMAGE, "command": ["python", "-c", code]},
    }


def _job(*pools: dict[str, Any], bucket: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"worker_pool_specs": list(pools)}
    if bucket:
        spec["base_output_directory"] = {"output_uri_prefix": f"gs://{bucket}/out"}
    return {"display_name": "logs", "job_spec": spec}


def _job_filter(name: str) -> str:
    return f'resource.type="ml_job" AND resource.labels.job_id="{name.rsplit("/", 1)[1]}"'


def _messages(entries: Any) -> list[str]:
    return [e.json_payload["message"] for e in entries]


def _list(logs: LoggingServiceV2Client, flt: str, **request: Any) -> list[Any]:
    return list(
        logs.list_log_entries(
            request={"resource_names": [f"projects/{PROJECT}"], "filter": flt, **request}
        )
    )


def _eventually(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _at_least(n: int, found: list[str]) -> list[str] | None:
    return found if len(found) >= n else None


@pytest.fixture(scope="module")
def logs(emulator: Any) -> LoggingServiceV2Client:
    # The session emulator's, whatever another test of this worker left in the environment.
    with mock.patch.dict(os.environ, {client.EMULATOR_HOST_ENV: emulator.grpc_address}):
        return client.logging_client()


@pytest.fixture(scope="module")
def finished(job_client: Any, wait_for_job: Any) -> Any:
    """A finished job: 3 pools, stdout and stderr lines, then a traceback from pool 0."""
    code = (
        "import os, sys, time\n"
        "task = __import__('json').loads(os.environ['CLUSTER_SPEC'])['task']\n"
        "name = f\"{task['type']}-{task['index']}\"\n"
        "for i in range(3):\n"
        "    print(name, 'out', i, flush=True)\n"
        "    print(name, 'err', i, file=sys.stderr, flush=True)\n"
        "    time.sleep(0.05)\n"
        "if name == 'workerpool0-0':\n"
        "    time.sleep(0.5)\n"
        "    raise SystemExit('the end')\n"
    )
    job = job_client.create_custom_job(
        parent=PARENT, custom_job=_job(_pool(code), _pool(code, 2), _pool(code))
    )
    started = datetime.datetime.now(datetime.timezone.utc)
    done = wait_for_job(job.name)
    return job, done, started


def test_replica_lines_are_shaped_as_vertex_writes_them(logs: Any, finished: Any) -> None:
    job, done, started = finished
    job_id = job.name.rsplit("/", 1)[1]
    entries = _list(logs, _job_filter(job.name))
    assert len(entries) == 4 * 6 + 1  # 4 replicas x 6 lines, and the exit message
    first = entries[0]
    assert first.resource.type == "ml_job"
    tasks = {e.resource.labels["task_name"] for e in entries}
    assert tasks == {"workerpool0-0", "workerpool1-0", "workerpool1-1", "workerpool2-0"}
    for e in entries:
        task = e.resource.labels["task_name"]
        assert dict(e.resource.labels) == {
            "project_id": PROJECT,
            "job_id": job_id,
            "task_name": task,
        }
        assert e.log_name == f"projects/{PROJECT}/logs/{task}"
        message = e.json_payload["message"]
        stream = "err" if " err " in message or message == "the end" else "out"
        assert e.severity == (log_severity_pb2.ERROR if stream == "err" else log_severity_pb2.INFO)
        assert dict(e.json_payload) == {
            "message": message,
            "levelname": "ERROR" if stream == "err" else "INFO",
            "attrs": {"tag": task},
        }
        assert not e.text_payload
        # the time the container wrote it, not the time it was read
        assert started <= e.timestamp <= done.end_time
        assert e.timestamp <= e.receive_timestamp
    assert len({e.insert_id for e in entries}) == len(entries)
    keys = [(e.timestamp, e.insert_id) for e in entries]
    assert keys == sorted(keys)
    per_task = [m for m in _messages(entries) if m.startswith("workerpool1-1")]
    assert [m for m in per_task if " out " in m] == [f"workerpool1-1 out {i}" for i in range(3)]


def test_filters_pick_task_severity_and_time(logs: Any, finished: Any) -> None:
    job, _, _ = finished
    base = _job_filter(job.name)
    mine = _list(logs, f'{base} AND resource.labels.task_name="workerpool2-0"')
    assert {e.resource.labels["task_name"] for e in mine} == {"workerpool2-0"}
    errors = _list(
        logs, f'{base} AND resource.labels.task_name="workerpool0-0" AND severity>=ERROR'
    )
    assert _messages(errors) == [f"workerpool0-0 err {i}" for i in range(3)] + ["the end"]
    everything = _list(logs, base)
    middle = everything[10].timestamp.rfc3339()
    later = _list(logs, f'{base} timestamp>="{middle}"')
    assert [e.insert_id for e in later] == [e.insert_id for e in everything[10:]]
    # gcloud's precedence quirk: OR binds tighter than AND
    quirk = _list(logs, f'{base} AND severity=ERROR OR jsonPayload.message:"out 0"')
    assert all(
        e.severity == log_severity_pb2.ERROR or "out 0" in e.json_payload["message"] for e in quirk
    )
    assert {e.resource.labels["job_id"] for e in quirk} == {job.name.rsplit("/", 1)[1]}


def test_pages_follow_each_other_in_both_orders(logs: Any, finished: Any) -> None:
    job, _, _ = finished
    flt = _job_filter(job.name)
    everything = _messages(_list(logs, flt))
    pager = logs.list_log_entries(
        request={"resource_names": [f"projects/{PROJECT}"], "filter": flt, "page_size": 7}
    )
    pages = [_messages(p.entries) for p in pager.pages]
    assert [len(p) for p in pages] == [7, 7, 7, 4]
    assert [m for page in pages for m in page] == everything
    newest = logs.list_log_entries(
        request={
            "resource_names": [f"projects/{PROJECT}"],
            "filter": f'{flt} resource.labels.task_name="workerpool0-0"',
            "order_by": "timestamp desc",
            "page_size": 3,
        }
    )
    last_three = _messages(next(iter(newest.pages)).entries)
    assert last_three[0] == "the end"
    assert sorted(last_three[1:]) == ["workerpool0-0 err 2", "workerpool0-0 out 2"]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"filter": "foo=("}, "filter"),
        ({"filter": "thud=1"}, "unknown field"),
        ({"filter": "x" * 20_001}, "at most 20000"),
        ({"page_size": 1001}, "page_size"),
        ({"order_by": "severity"}, "order_by"),
        ({"resource_names": []}, "resource_names"),
        ({"resource_names": ["my-project"]}, "resource_names"),
        ({"page_token": "bm90LWEtdG9rZW4="}, "page_token"),
    ],
)
def test_bad_requests_are_invalid_argument(
    logs: Any, request_: dict[str, Any], message: str
) -> None:
    request = {"resource_names": [f"projects/{PROJECT}"], **request_}
    with pytest.raises(exceptions.InvalidArgument, match=message):
        list(logs.list_log_entries(request=request))


def test_tail_sends_the_saved_lines_then_live_ones_until_cancelled(
    logs: Any, job_client: Any, emulator: Any, wait_for_job: Any
) -> None:
    bucket = "tail-logs"
    job = job_client.create_custom_job(
        parent=PARENT, custom_job=_job(_pool(GATED.format(bucket=bucket)), bucket=bucket)
    )
    flt = _job_filter(job.name)
    _eventually(lambda: "warned" in _messages(_list(logs, flt)))
    request = TailLogEntriesRequest(
        resource_names=[f"projects/{PROJECT}"], filter=flt, buffer_window={"seconds": 0}
    )
    stream = logs.tail_log_entries(requests=iter([request]))
    seen: list[str] = []

    def read() -> None:
        try:
            for response in stream:
                seen.extend(_messages(response.entries))
        except exceptions.Cancelled:
            pass

    reader = threading.Thread(target=read)
    reader.start()
    _eventually(lambda: "warned" in seen)
    assert sorted(seen) == ["before", "warned"]
    (gcs_root(emulator.data_dir) / bucket / "go").touch()
    _eventually(lambda: "after" in seen)
    assert wait_for_job(job.name).state == JobState.JOB_STATE_SUCCEEDED
    stream.cancel()
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert sorted(seen) == ["after", "before", "warned"]


@pytest.mark.slow
def test_lines_read_across_an_emulator_killed_mid_job(
    tmp_path: pathlib.Path, docker_client: Any
) -> None:
    data_dir = tmp_path / "vertex-local"
    data_dir.mkdir()
    bucket = "restart-logs"
    code = (
        "import pathlib, time\n"
        "for i in range(30):\n"
        "    print('line', i, flush=True); time.sleep(0.02)\n"
        f"while not pathlib.Path('/gcs/{bucket}/go').exists():\n"
        "    time.sleep(0.05)\n"
        "for i in range(30, 60):\n"
        "    print('line', i, flush=True)\n"
    )
    serves = [ServeProcess(data_dir).start()]
    try:
        job = serves[0].client.create_custom_job(
            parent=PARENT, custom_job=_job(_pool(code), bucket=bucket)
        )

        def logs_of(serve: ServeProcess) -> LoggingServiceV2Client:
            address = json.loads((data_dir / "emulator.pid").read_text())["grpc_address"]
            channel = grpc.insecure_channel(address)
            return LoggingServiceV2Client(transport=LoggingServiceV2GrpcTransport(channel=channel))

        flt = _job_filter(job.name)
        first = logs_of(serves[0])
        early = _eventually(lambda: _at_least(10, _messages(_list(first, flt))))
        serves[0].kill()  # SIGKILL mid-job: followers die with it, the container keeps writing

        serves.append(ServeProcess(data_dir).start())
        again = logs_of(serves[1])
        _eventually(lambda: len(_list(again, flt)) >= 30)
        (gcs_root(data_dir) / bucket / "go").touch()
        assert serves[1].wait(job.name).state == JobState.JOB_STATE_SUCCEEDED
        everything = _messages(_list(again, flt, page_size=1000))
        assert everything == [f"line {i}" for i in range(60)]  # all, once each, in order
        assert everything[: len(early)] == early
    finally:
        for serve in serves:
            serve.stop()
