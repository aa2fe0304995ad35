"""The HyperparameterTuningJob RPCs as data: the gRPC table and Vertex's HTTP bindings.

``server.py`` registers :data:`RPCS` under ``google.cloud.aiplatform.v1.JobService``
(beside the custom-job table) and hands :data:`BINDINGS` to ``rest.RestGateway``. The
bindings are the ``google.api.http`` rules of the installed client
(``job_service/transports/rest_base.py``), plus GetOperation under
``hyperparameterTuningJobs`` in its ``/ui/`` and ``/v1/`` forms, served by the shared
``operations`` servicer.
"""

from __future__ import annotations

from google.cloud import aiplatform_v1 as v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.rest import Binding
from pulumi_vertex_training.emulator.rpcs import Rpc

SERVICE = "tuning"
"""The key of the servicer in the REST gateway."""

_OPERATION = operations_pb2.Operation.SerializeToString


def _empty(_: object) -> bytes:
    return b""  # google.protobuf.Empty serializes to no bytes


RPCS = (
    Rpc("CreateHyperparameterTuningJob", "create_hyperparameter_tuning_job",
        v1.CreateHyperparameterTuningJobRequest.deserialize,
        v1.HyperparameterTuningJob.serialize),
    Rpc("GetHyperparameterTuningJob", "get_hyperparameter_tuning_job",
        v1.GetHyperparameterTuningJobRequest.deserialize, v1.HyperparameterTuningJob.serialize),
    Rpc("ListHyperparameterTuningJobs", "list_hyperparameter_tuning_jobs",
        v1.ListHyperparameterTuningJobsRequest.deserialize,
        v1.ListHyperparameterTuningJobsResponse.serialize),
    Rpc("CancelHyperparameterTuningJob", "cancel_hyperparameter_tuning_job",
        v1.CancelHyperparameterTuningJobRequest.deserialize, _empty),
    Rpc("DeleteHyperparameterTuningJob", "delete_hyperparameter_tuning_job",
        v1.DeleteHyperparameterTuningJobRequest.deserialize, _OPERATION),
)  # fmt: skip

_JOB = "projects/*/locations/*/hyperparameterTuningJobs/*"
_PARENT = "projects/*/locations/*"

BINDINGS: tuple[Binding, ...] = (
    Binding("POST", f"/v1/{{parent={_PARENT}}}/hyperparameterTuningJobs",
            "hyperparameter_tuning_job", v1.CreateHyperparameterTuningJobRequest, SERVICE,
            "create_hyperparameter_tuning_job"),
    Binding("GET", f"/v1/{{name={_JOB}}}", None,
            v1.GetHyperparameterTuningJobRequest, SERVICE, "get_hyperparameter_tuning_job"),
    Binding("GET", f"/v1/{{parent={_PARENT}}}/hyperparameterTuningJobs", None,
            v1.ListHyperparameterTuningJobsRequest, SERVICE, "list_hyperparameter_tuning_jobs"),
    Binding("POST", f"/v1/{{name={_JOB}}}:cancel", "*",
            v1.CancelHyperparameterTuningJobRequest, SERVICE,
            "cancel_hyperparameter_tuning_job"),
    Binding("DELETE", f"/v1/{{name={_JOB}}}", None,
            v1.DeleteHyperparameterTuningJobRequest, SERVICE,
            "delete_hyperparameter_tuning_job"),
    *(
        Binding("GET", f"/{prefix}/{{name={_JOB}/operations/*}}", None,
                operations_pb2.GetOperationRequest, "operations", "get_operation")
        for prefix in ("ui", "v1")
    ),
)  # fmt: skip
"""JobService HyperparameterTuningJob RPCs and their operations (see COVERAGE.md)."""
