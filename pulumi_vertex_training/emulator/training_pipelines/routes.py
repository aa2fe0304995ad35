"""PipelineService's TrainingPipeline RPCs as data: the gRPC table (``server.py`` serves
it) and the REST bindings (``rest.py`` serves them), copied from the installed client's
``pipeline_service/transports/rest_base.py``; GetOperation under ``trainingPipelines/*``."""

from __future__ import annotations

from google.cloud import aiplatform_v1 as _V1
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2

from pulumi_vertex_training.emulator.rest import Binding
from pulumi_vertex_training.emulator.rpcs import Rpc

GRPC_SERVICE = "google.cloud.aiplatform.v1.PipelineService"
SERVICE = "training_pipelines"
"""The servicer's key among the REST gateway's servicers."""

_OPERATION = operations_pb2.Operation.SerializeToString


def _empty(_: object) -> bytes:
    return empty_pb2.Empty().SerializeToString()


RPCS = (
    Rpc("CreateTrainingPipeline", "create_training_pipeline",
        _V1.CreateTrainingPipelineRequest.deserialize, _V1.TrainingPipeline.serialize),
    Rpc("GetTrainingPipeline", "get_training_pipeline",
        _V1.GetTrainingPipelineRequest.deserialize, _V1.TrainingPipeline.serialize),
    Rpc("ListTrainingPipelines", "list_training_pipelines",
        _V1.ListTrainingPipelinesRequest.deserialize,
        _V1.ListTrainingPipelinesResponse.serialize),
    Rpc("CancelTrainingPipeline", "cancel_training_pipeline",
        _V1.CancelTrainingPipelineRequest.deserialize, _empty),
    Rpc("DeleteTrainingPipeline", "delete_training_pipeline",
        _V1.DeleteTrainingPipelineRequest.deserialize, _OPERATION),
)  # fmt: skip

_TP = "projects/*/locations/*/trainingPipelines/*"
_PARENT = "projects/*/locations/*"
_K = SERVICE

BINDINGS: tuple[Binding, ...] = (
    Binding("POST", f"/v1/{{parent={_PARENT}}}/trainingPipelines", "training_pipeline",
            _V1.CreateTrainingPipelineRequest, _K, "create_training_pipeline"),
    Binding("GET", f"/v1/{{name={_TP}}}", None,
            _V1.GetTrainingPipelineRequest, _K, "get_training_pipeline"),
    Binding("GET", f"/v1/{{parent={_PARENT}}}/trainingPipelines", None,
            _V1.ListTrainingPipelinesRequest, _K, "list_training_pipelines"),
    Binding("POST", f"/v1/{{name={_TP}}}:cancel", "*",
            _V1.CancelTrainingPipelineRequest, _K, "cancel_training_pipeline"),
    Binding("DELETE", f"/v1/{{name={_TP}}}", None,
            _V1.DeleteTrainingPipelineRequest, _K, "delete_training_pipeline"),
    *(Binding("GET", f"/{prefix}/{{name={_TP}/operations/*}}", None,
              operations_pb2.GetOperationRequest, "operations", "get_operation")
      for prefix in ("ui", "v1")),
)  # fmt: skip
"""PipelineService's TrainingPipeline HTTP rules, and GetOperation's for
``trainingPipelines/*/operations/*`` (the REST clients poll ``/ui/``)."""
