"""HyperparameterTuningJobProvider through the Pulumi SDK's own dynamic-provider host, over
gRPC (what the CLI starts): check, create, diff, update, read, delete; and the module path
Pulumi state names, loaded in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.provider.hyperparameter_tuning_job import (
    HyperparameterTuningJobProvider,
)
from pulumi_vertex_training.testing.host import DynamicHost
from tests.provider.tuning_props import tuning_props

pytestmark = pytest.mark.docker

PATH = "pulumi_vertex_training.provider.hyperparameter_tuning_job.HyperparameterTuningJobProvider"


@pytest.fixture(scope="module")
def host(emulator: Any) -> Iterator[DynamicHost]:
    env = {client.EMULATOR_HOST_ENV: emulator.grpc_address}
    config = {"gcp:project": "host-project", "gcp:region": "us-central1"}
    with DynamicHost(config=config, project="tests", env=env) as running:
        yield running


@pytest.fixture(scope="module")
def pickled() -> str:
    return DynamicHost.serialize(HyperparameterTuningJobProvider())


def test_check_create_diff_update_read_delete_through_the_host(
    host: DynamicHost, pickled: str
) -> None:
    news = tuning_props("x", project=None, location=None)
    news = {k: v for k, v in news.items() if v is not None}
    inputs, failures = host.check({}, {**news, "__provider": pickled})
    assert failures == []
    assert inputs["project"] == "host-project"  # from Configure (stack config)

    job_id, outputs = host.create(inputs)
    assert job_id.startswith(
        "projects/host-project/locations/us-central1/hyperparameterTuningJobs/"
    )
    assert outputs["state"].startswith("JOB_STATE_")
    assert outputs["__provider"] == pickled

    assert host.diff(job_id, outputs, inputs).changes == "none"
    lifecycle = {**inputs, "wait": "completed"}
    assert host.diff(job_id, outputs, lifecycle).changes == "some"
    assert host.diff(job_id, outputs, lifecycle).replaces == []
    study = {**inputs["study_spec"], "algorithm": "RANDOM_SEARCH"}
    assert host.diff(job_id, outputs, {**inputs, "study_spec": study}).replaces == ["study_spec"]

    updated = host.update(job_id, outputs, lifecycle)
    assert updated["job_id"] == outputs["job_id"] and updated["wait"] == "completed"

    read_id, read = host.read(job_id, updated)
    assert read_id == job_id and read["state"].startswith("JOB_STATE_")
    assert isinstance(read["trials"], list)

    host.delete(job_id, read)
    gone_id, _ = host.read(job_id, read)
    assert gone_id == ""


def test_check_failures_come_back_with_field_paths(host: DynamicHost, pickled: str) -> None:
    news = tuning_props(wait="later", parallel_trial_count=5)
    news["trial_job_spec"]["worker_pool_specs"][0]["replica_count"] = 2
    _, failures = host.check({}, {**news, "__provider": pickled})
    properties = {prop for prop, _ in failures}
    assert {
        "wait",
        "parallel_trial_count",
        "trial_job_spec.worker_pool_specs[0].replica_count",
    } <= properties


def test_the_serialized_provider_loads_by_its_public_path_in_a_fresh_process(
    pickled: str,
) -> None:
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
    assert out == PATH
    assert len(pickled) < 1024
