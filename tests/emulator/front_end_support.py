"""One emulator per test module as Google's clients see it: GAPIC over gRPC and over REST,
and the high-level SDK over REST. No Docker: jobs "run" on an FakeRunner (what is
under test is the front end: routing, errors, filters, masks, operation names).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform, aiplatform_v1
from google.cloud.aiplatform import initializer

from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.fake_runner import FakeRunner, no_cluster

PROJECT = "front-end"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
TRANSPORTS = ("grpc", "rest")
_ids = itertools.count()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """The module's emulator: gRPC and REST on free ports, FakeRunner."""
    server = EmulatorServer(
        tmp_path_factory.mktemp("front-end"), runner=FakeRunner(), build_job_run=no_cluster,
        poll_interval=0.05, persistent_resource_delay=0.05,
    )  # fmt: skip
    server.start()
    yield server
    server.stop()


def gapic(client_class: Any, server: EmulatorServer, transport: str) -> Any:
    """``client_class`` (an ``aiplatform_v1`` client) talking ``transport`` to ``server``."""
    if transport == "grpc":
        transport_class = client_class.get_transport_class("grpc")
        channel = grpc.insecure_channel(server.grpc_address)
        return client_class(transport=transport_class(channel=channel))
    return client_class(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://{server.rest_address}"),
    )


def jobs(server: EmulatorServer, transport: str) -> aiplatform_v1.JobServiceClient:
    """The JobServiceClient over ``transport``."""
    return gapic(aiplatform_v1.JobServiceClient, server, transport)


@pytest.fixture
def sdk(local: EmulatorServer) -> Iterator[None]:
    """``aiplatform.init`` aimed at the emulator's REST port; the global config restored after."""
    saved = dict(initializer.global_config.__dict__)
    aiplatform.init(
        project=PROJECT,
        location=LOCATION,
        api_transport="rest",
        api_endpoint=f"http://{local.rest_address}",
        credentials=AnonymousCredentials(),
        staging_bucket="gs://vertex-local-staging",
    )
    try:
        yield
    finally:
        initializer.global_config.__dict__.clear()
        initializer.global_config.__dict__.update(saved)


def custom_job(display_name: str = "", **labels: str) -> dict[str, Any]:
    """A valid CustomJob dict (never really run: FakeRunner)."""
    return {
        "display_name": display_name or f"front-end-{next(_ids)}",
        "labels": labels,
        "job_spec": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "local/python:3.11"},
                }
            ],
            "base_output_directory": {"output_uri_prefix": "gs://front-end/out"},
        },
    }


def tuning_job(display_name: str = "", **labels: str) -> dict[str, Any]:
    """A valid HyperparameterTuningJob dict (its trials succeed at once, with no metric)."""
    return {
        "display_name": display_name or f"front-end-hpt-{next(_ids)}",
        "labels": labels,
        "max_trial_count": 1,
        "parallel_trial_count": 1,
        "study_spec": {
            "algorithm": "GRID_SEARCH",
            "metrics": [{"metric_id": "score", "goal": "MAXIMIZE"}],
            "parameters": [
                {"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 1}}
            ],
        },
        "trial_job_spec": custom_job()["job_spec"],
    }


def run_id() -> str:
    """A fresh label value, so a test lists only what it created."""
    return f"r{next(_ids)}"
