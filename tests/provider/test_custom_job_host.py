"""CustomJobProvider through the Pulumi SDK's own dynamic-provider host, over gRPC."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.testing.host import DynamicHost
from tests.provider.conftest import job_props

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def host(emulator: Any) -> Iterator[DynamicHost]:
    env = {client.EMULATOR_HOST_ENV: emulator.grpc_address}
    config = {"gcp:project": "host-project", "gcp:region": "us-central1"}
    with DynamicHost(config=config, project="tests", env=env) as running:
        yield running


@pytest.fixture(scope="module")
def pickled() -> str:
    return DynamicHost.serialize(CustomJobProvider())


def test_check_diff_create_read_update_delete_through_the_host(
    host: DynamicHost, pickled: str
) -> None:
    news = {**job_props("import time; time.sleep(60)", project=None, location=None)}
    news = {k: v for k, v in news.items() if v is not None}
    inputs, failures = host.check({}, {**news, "__provider": pickled})
    assert failures == []
    assert inputs["project"] == "host-project"  # from Configure (stack config)

    job_id, outputs = host.create(inputs)
    assert job_id.startswith("projects/host-project/locations/us-central1/customJobs/")
    assert outputs["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING")
    assert outputs["__provider"] == pickled

    same = host.diff(job_id, outputs, inputs)
    assert same.changes == "none"
    lifecycle = {**inputs, "wait": "completed"}
    assert host.diff(job_id, outputs, lifecycle).changes == "some"
    assert host.diff(job_id, outputs, lifecycle).replaces == []
    changed = {**inputs, "display_name": "renamed"}
    assert host.diff(job_id, outputs, changed).replaces == ["display_name"]

    updated = host.update(job_id, outputs, lifecycle)
    assert updated["job_id"] == outputs["job_id"] and updated["wait"] == "completed"

    read_id, read = host.read(job_id, updated)
    assert read_id == job_id and read["state"].startswith("JOB_STATE_")

    host.delete(job_id, read)
    gone_id, _ = host.read(job_id, read)
    assert gone_id == ""


def test_check_failures_come_back_with_field_paths(host: DynamicHost, pickled: str) -> None:
    news = job_props(wait="later")
    news["job_spec"]["worker_pool_specs"][0]["replica_count"] = 2
    _, failures = host.check({}, {**news, "__provider": pickled})
    properties = {prop for prop, _ in failures}
    assert "wait" in properties
    assert "job_spec.worker_pool_specs[0].replica_count" in properties


def test_serialized_provider_is_small_and_holds_no_credentials(pickled: str) -> None:
    raw = base64.b64decode(pickled)
    assert len(pickled) < 1024
    for needle in (b"private_key", b"token", b"Credentials", b"grpc", b"Channel"):
        assert needle not in raw


def test_serialized_provider_loads_in_a_fresh_process(pickled: str) -> None:
    code = (
        "import base64, sys, dill; "
        "p = dill.loads(base64.b64decode(sys.argv[1])); "
        "print(type(p).__module__ + '.' + type(p).__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, pickled],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    ).stdout.strip()
    assert out == "pulumi_vertex_training.provider.custom_job.CustomJobProvider"
