"""ModelService as data: the gRPC RPC table (``server.py`` serves it) and the REST
bindings (``rest.py`` serves them), copied from the installed client's
``model_service/transports/rest_base.py``; GetOperation under ``models/*``."""

from __future__ import annotations

from google.cloud import aiplatform_v1 as _V1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.rest import Binding
from pulumi_vertex_training.emulator.rpcs import Rpc

GRPC_SERVICE = "google.cloud.aiplatform.v1.ModelService"
SERVICE = "models"
"""The servicer's key among the REST gateway's servicers."""

_OPERATION = operations_pb2.Operation.SerializeToString

RPCS = (
    Rpc("UploadModel", "upload_model", _V1.UploadModelRequest.deserialize, _OPERATION),
    Rpc("GetModel", "get_model", _V1.GetModelRequest.deserialize, _V1.Model.serialize),
    Rpc("ListModels", "list_models",
        _V1.ListModelsRequest.deserialize, _V1.ListModelsResponse.serialize),
    Rpc("ListModelVersions", "list_model_versions",
        _V1.ListModelVersionsRequest.deserialize, _V1.ListModelVersionsResponse.serialize),
    Rpc("UpdateModel", "update_model", _V1.UpdateModelRequest.deserialize, _V1.Model.serialize),
    Rpc("MergeVersionAliases", "merge_version_aliases",
        _V1.MergeVersionAliasesRequest.deserialize, _V1.Model.serialize),
    Rpc("DeleteModel", "delete_model", _V1.DeleteModelRequest.deserialize, _OPERATION),
    Rpc("DeleteModelVersion", "delete_model_version",
        _V1.DeleteModelVersionRequest.deserialize, _OPERATION),
)  # fmt: skip

_MODEL = "projects/*/locations/*/models/*"
_PARENT = "projects/*/locations/*"
_M = SERVICE

BINDINGS: tuple[Binding, ...] = (
    Binding("POST", f"/v1/{{parent={_PARENT}}}/models:upload", "*",
            _V1.UploadModelRequest, _M, "upload_model"),
    Binding("GET", f"/v1/{{name={_MODEL}}}", None, _V1.GetModelRequest, _M, "get_model"),
    Binding("GET", f"/v1/{{parent={_PARENT}}}/models", None,
            _V1.ListModelsRequest, _M, "list_models"),
    Binding("GET", f"/v1/{{name={_MODEL}}}:listVersions", None,
            _V1.ListModelVersionsRequest, _M, "list_model_versions"),
    Binding("PATCH", f"/v1/{{model.name={_MODEL}}}", "model",
            _V1.UpdateModelRequest, _M, "update_model"),
    Binding("POST", f"/v1/{{name={_MODEL}}}:mergeVersionAliases", "*",
            _V1.MergeVersionAliasesRequest, _M, "merge_version_aliases"),
    Binding("DELETE", f"/v1/{{name={_MODEL}}}", None, _V1.DeleteModelRequest, _M, "delete_model"),
    Binding("DELETE", f"/v1/{{name={_MODEL}}}:deleteVersion", None,
            _V1.DeleteModelVersionRequest, _M, "delete_model_version"),
    *(Binding("GET", f"/{prefix}/{{name={_MODEL}/operations/*}}", None,
              operations_pb2.GetOperationRequest, "operations", "get_operation")
      for prefix in ("ui", "v1")),
)  # fmt: skip
"""ModelService's HTTP rules, and GetOperation's for ``models/*/operations/*`` (the REST
clients poll ``/ui/``)."""
