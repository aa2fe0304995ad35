"""GetOperation by an operation's location-level name, ``projects/p/locations/l/operations/N``
(as Vertex also names them), over gRPC and REST (``/v1/`` and ``/ui/``).

Reproduction: such a name was NOT_FOUND over gRPC and 404 "No REST binding" over REST.
"""

from __future__ import annotations

import time

import pytest
import requests
from google.api_core import exceptions as gexc
from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.front_end_support import (
    LOCATION,
    PARENT,
    TRANSPORTS,
    custom_job,
    gapic,
    jobs,
    local,
)

__all__ = ["local"]  # the module's emulator fixture


def _deleted_job_operation(local: EmulatorServer) -> operations_pb2.Operation:
    client = jobs(local, "grpc")
    job = client.create_custom_job(parent=PARENT, custom_job=custom_job())
    deadline = time.monotonic() + 30
    while client.get_custom_job(name=job.name).state != aiplatform_v1.JobState.JOB_STATE_SUCCEEDED:
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)
    operation: operations_pb2.Operation = client.delete_custom_job(name=job.name).operation
    return operation


def _location_level(name: str) -> str:
    return f"{PARENT}/operations/{name.rsplit('/', 1)[1]}"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_get_operation_resolves_location_level_operation_names(
    local: EmulatorServer, transport: str
) -> None:
    operation = _deleted_job_operation(local)
    client = jobs(local, transport)
    found = client.get_operation(
        operations_pb2.GetOperationRequest(name=_location_level(operation.name))
    )
    assert found.name == operation.name
    assert found.done
    resources = gapic(aiplatform_v1.PersistentResourceServiceClient, local, "grpc")
    pool = {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1}
    created = resources.create_persistent_resource(
        parent=PARENT, persistent_resource={"resource_pools": [pool]},
        persistent_resource_id=f"loc-{transport}",
    ).operation  # fmt: skip
    found = client.get_operation(
        operations_pb2.GetOperationRequest(name=_location_level(created.name))
    )
    assert found.name == created.name
    with pytest.raises(gexc.NotFound):
        client.get_operation(operations_pb2.GetOperationRequest(name=f"{PARENT}/operations/999999"))
    elsewhere = f"projects/other/locations/{LOCATION}/operations/{operation.name.rsplit('/', 1)[1]}"
    with pytest.raises(gexc.NotFound):
        client.get_operation(operations_pb2.GetOperationRequest(name=elsewhere))


@pytest.mark.parametrize("prefix", ["ui", "v1"])
def test_rest_serves_location_level_operation_names_under_ui_and_v1(
    local: EmulatorServer, prefix: str
) -> None:
    operation = _deleted_job_operation(local)
    url = f"http://{local.rest_address}/{prefix}/{_location_level(operation.name)}"
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    assert response.json()["name"] == operation.name
    assert response.json()["done"] is True
