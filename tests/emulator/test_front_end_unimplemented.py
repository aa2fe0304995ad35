"""A call the emulator does not serve is UNIMPLEMENTED, over REST too, and says which.

Reproductions: over REST, Operations List/Wait/Cancel/Delete and JobService.ListNasJobs
answered 404 NOT_FOUND "No REST binding" (the REST clients raised ``NotFound``, as if the
resource were missing); over gRPC an unserved method said only "Method not found!".
Now every v1 RPC of JobService, PipelineService, ModelService, PersistentResourceService
and their mixins (``api_surface.py``) is known: unserved, it is HTTP 501 UNIMPLEMENTED
naming the RPC; a path no RPC has stays 404.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
import requests
from google.api_core import exceptions as gexc
from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.front_end_support import PARENT, TRANSPORTS, gapic, local

__all__ = ["local"]  # the module's emulator fixture

OPERATION = f"{PARENT}/customJobs/1/operations/2"
UNSERVED = [
    (aiplatform_v1.JobServiceClient, "list_nas_jobs", {"parent": PARENT},
     "google.cloud.aiplatform.v1.JobService.ListNasJobs"),
    (aiplatform_v1.JobServiceClient, "get_batch_prediction_job",
     {"name": f"{PARENT}/batchPredictionJobs/1"},
     "google.cloud.aiplatform.v1.JobService.GetBatchPredictionJob"),
    (aiplatform_v1.PipelineServiceClient, "batch_delete_pipeline_jobs",
     {"parent": PARENT, "names": [f"{PARENT}/pipelineJobs/p"]},
     "google.cloud.aiplatform.v1.PipelineService.BatchDeletePipelineJobs"),
    (aiplatform_v1.ModelServiceClient, "list_model_evaluation_slices",
     {"parent": f"{PARENT}/models/1/evaluations/2"},
     "google.cloud.aiplatform.v1.ModelService.ListModelEvaluationSlices"),
]  # fmt: skip
OPERATIONS = [
    ("list_operations", operations_pb2.ListOperationsRequest(name=PARENT), "ListOperations"),
    ("wait_operation", operations_pb2.WaitOperationRequest(name=OPERATION), "WaitOperation"),
    ("cancel_operation", operations_pb2.CancelOperationRequest(name=OPERATION), "CancelOperation"),
    ("delete_operation", operations_pb2.DeleteOperationRequest(name=OPERATION), "DeleteOperation"),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("client_class", "method", "request_", "rpc"), UNSERVED)
def test_gapic_client_raises_method_not_implemented_naming_rpc_when_rpc_is_not_served(
    local: EmulatorServer, transport: str, client_class: Any, method: str, request_: Any, rpc: str
) -> None:
    client = gapic(client_class, local, transport)
    with pytest.raises(gexc.MethodNotImplemented) as info:
        getattr(client, method)(request=request_)
    assert rpc in str(info.value)
    assert "is not implemented by the Vertex AI emulator" in str(info.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("method", "request_", "rpc"), OPERATIONS)
def test_operations_mixin_raises_method_not_implemented_when_not_get_operation(
    local: EmulatorServer, transport: str, method: str, request_: Any, rpc: str
) -> None:
    client = gapic(aiplatform_v1.JobServiceClient, local, transport)
    with pytest.raises(gexc.MethodNotImplemented) as info:
        getattr(client, method)(request_)
    assert f"google.longrunning.Operations.{rpc}" in str(info.value)
    assert "is not implemented by the Vertex AI emulator" in str(info.value)


@pytest.mark.parametrize(
    ("method", "path", "rpc"),
    [
        ("GET", f"/ui/{PARENT}/operations", "google.longrunning.Operations.ListOperations"),
        ("GET", f"/v1/{PARENT}/operations", "google.longrunning.Operations.ListOperations"),
        ("POST", f"/v1/{OPERATION}:wait", "google.longrunning.Operations.WaitOperation"),
        ("POST", f"/ui/{OPERATION}:cancel", "google.longrunning.Operations.CancelOperation"),
        ("DELETE", f"/v1/{OPERATION}", "google.longrunning.Operations.DeleteOperation"),
        ("GET", f"/v1/{PARENT}/nasJobs", "google.cloud.aiplatform.v1.JobService.ListNasJobs"),
        (
            "POST",
            f"/v1/{PARENT}/models:copy",
            "google.cloud.aiplatform.v1.ModelService.CopyModel",
        ),
        ("GET", f"/v1/{PARENT}", "google.cloud.location.Locations.GetLocation"),
    ],
)
def test_rest_answers_501_unimplemented_naming_rpc_when_path_is_an_unserved_rpc(
    local: EmulatorServer, method: str, path: str, rpc: str
) -> None:
    response = requests.request(method, f"http://{local.rest_address}{path}", timeout=30)
    assert response.status_code == 501
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (501, "UNIMPLEMENTED")
    assert error["message"].startswith(f"{rpc} ({method} /")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/v1/{PARENT}/fooBars"),
        ("GET", f"/v2/{PARENT}/customJobs"),
        ("GET", f"/v1/{PARENT}/customJobs/1:cancel"),
        ("PUT", f"/v1/{PARENT}/customJobs/1"),
        ("GET", f"/v1/{PARENT}/fooBars/1/operations/2"),
        ("GET", "/v1/projects/p"),
    ],
)
def test_rest_answers_404_not_found_when_no_rpc_has_the_path(
    local: EmulatorServer, method: str, path: str
) -> None:
    response = requests.request(method, f"http://{local.rest_address}{path}", timeout=30)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"


def test_grpc_answers_unimplemented_naming_method_when_no_service_has_it(
    local: EmulatorServer,
) -> None:
    with grpc.insecure_channel(local.grpc_address) as channel:
        call = channel.unary_unary("/google.cloud.aiplatform.v1.JobService/NoSuchRpc")
        with pytest.raises(grpc.RpcError) as info:
            call(b"", timeout=30)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED  # type: ignore[attr-defined]
    details = info.value.details()  # type: ignore[attr-defined]
    assert "Method not found: /google.cloud.aiplatform.v1.JobService/NoSuchRpc" in details
