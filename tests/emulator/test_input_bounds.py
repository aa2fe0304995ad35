"""Bounded input at the RPC level: what a hostile or careless request gets instead of a 500
or an emulator out of memory. No Docker: jobs "run" on an FakeRunner (the end-to-end
run of a job without replica_count is in tests/emulator/custom_jobs/test_service.py).
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

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.fake_runner import FakeRunner, no_cluster
from tests.emulator.test_rest_security import DRIVE_BY_JOB, _Emulator, send

PARENT = "projects/p/locations/us-central1"


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


def _stored(server: EmulatorServer) -> list[Any]:
    assert server.backend is not None
    return server.backend.list_custom_jobs("projects/-/locations/-", page_size=100)[0]


def _job(**changes: Any) -> aiplatform_v1.CustomJob:
    return aiplatform_v1.CustomJob.from_json(json.dumps({**DRIVE_BY_JOB, **changes}))


# --- list filters: depth and length ----------------------------------------------------------


@pytest.mark.parametrize("depth", [200, 5000])
def test_list_over_grpc_raises_invalid_argument_when_filter_nests_deeply(
    emulator: EmulatorServer, depth: int
) -> None:
    text = "(" * depth + "state=JOB_STATE_QUEUED" + ")" * depth
    with pytest.raises(exceptions.InvalidArgument, match="Invalid filter"):
        jobs = client.job_service_client("us-central1")
        list(jobs.list_custom_jobs(request={"parent": PARENT, "filter": text}))


def test_list_over_rest_answers_400_when_filter_nests_deeply(emulator: EmulatorServer) -> None:
    text = "(" * 200 + "state=JOB_STATE_QUEUED" + ")" * 200
    answer = send(
        _Emulator(emulator),  # type: ignore[arg-type]
        "GET",
        f"/v1/{PARENT}/customJobs?filter={quote(text, safe='')}",
    )
    assert answer.status == 400, answer.body
    error = answer.error()
    assert error["status"] == "INVALID_ARGUMENT"
    assert "Invalid filter" in error["message"]


# --- display names: printable text ---------------------------------------------------------

CONTROL_NAMES = ["train\nFAILED", "\x1b[2Jtrain", "train\x00", "a\x7fb", "tab\there", "c1\x85"]


@pytest.mark.parametrize("name", CONTROL_NAMES)
def test_create_over_grpc_raises_invalid_argument_naming_display_name_when_it_has_controls(
    emulator: EmulatorServer, name: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument) as raised:
        client.job_service_client("us-central1").create_custom_job(
            parent=PARENT, custom_job=_job(displayName=name)
        )
    assert raised.value.message.startswith("custom_job.display_name: "), raised.value.message
    assert "control character" in raised.value.message
    assert _stored(emulator) == []


@pytest.mark.parametrize("name", CONTROL_NAMES[:2])
def test_create_resource_over_grpc_raises_invalid_argument_when_display_name_has_controls(
    emulator: EmulatorServer, name: str
) -> None:
    resource = aiplatform_v1.PersistentResource(
        display_name=name,
        resource_pools=[{"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1}],
    )
    with pytest.raises(exceptions.InvalidArgument, match=r"persistent_resource\.display_name: "):
        client.persistent_resource_client("us-central1").create_persistent_resource(
            parent=PARENT, persistent_resource=resource, persistent_resource_id="warm"
        )


def test_create_accepts_display_name_when_printable_unicode(emulator: EmulatorServer) -> None:
    name = "Train 東京 — é (v2)"
    job = client.job_service_client("us-central1").create_custom_job(
        parent=PARENT, custom_job=_job(displayName=name)
    )
    assert job.display_name == name


# --- replica counts: capped --------------------------------------------------------------

WORKERS = {
    "machineSpec": {"machineType": "n1-standard-4"},
    "containerSpec": {"imageUri": "local/python:3.11", "command": ["true"]},
}


def _job_with_workers(count: int) -> aiplatform_v1.CustomJob:
    spec = DRIVE_BY_JOB["jobSpec"]
    pools = [*spec["workerPoolSpecs"], {**WORKERS, "replicaCount": str(count)}]
    return _job(jobSpec={"workerPoolSpecs": pools})


@pytest.mark.parametrize("count", [1001, 2**31 - 1, 2**63 - 1])
def test_create_over_grpc_raises_invalid_argument_when_a_pool_asks_too_many_replicas(
    emulator: EmulatorServer, count: int
) -> None:
    with pytest.raises(exceptions.InvalidArgument) as raised:
        client.job_service_client("us-central1").create_custom_job(
            parent=PARENT, custom_job=_job_with_workers(count)
        )
    message = raised.value.message
    assert message.startswith("custom_job.job_spec.worker_pool_specs[1].replica_count: "), message
    assert "1000" in message
    assert _stored(emulator) == []
    assert emulator.backend is not None
    assert emulator.backend.runner.started == []  # type: ignore[attr-defined]


def test_create_accepts_a_pool_of_as_many_replicas_as_the_cap(emulator: EmulatorServer) -> None:
    job = client.job_service_client("us-central1").create_custom_job(
        parent=PARENT, custom_job=_job_with_workers(1000)
    )
    assert job.job_spec.worker_pool_specs[1].replica_count == 1000
