"""Every RPC the emulator serves, as data: service, RPC name, servicer method, wire types.

``server.py`` turns these tables into gRPC handlers (the only place that knows
grpc); servicers stay plain Python objects whose methods take and return
messages. ``google.cloud.aiplatform_v1`` ships proto-plus types only (no
``*_pb2_grpc``), hence the explicit (de)serializers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.cloud import aiplatform_v1, artifactregistry_v1
from google.cloud.logging_v2 import types as logging_v2
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2

from pulumi_vertex_training.emulator.cloud_logging import entries


@dataclass(frozen=True)
class Rpc:
    """One RPC: ``/{service}/{name}`` is served by ``servicer.{method}(request)``.

    A ``streaming`` RPC (requests and responses both streamed) is served by
    ``servicer.{method}(requests, stopped)``: an iterator of requests and an event set
    when the call ends; it returns an iterator of responses.
    """

    name: str
    method: str
    deserialize: Callable[[bytes], Any]
    serialize: Callable[[Any], bytes]
    streaming: bool = False


_OPERATION = operations_pb2.Operation.SerializeToString


def _empty(_: Any) -> bytes:
    return empty_pb2.Empty().SerializeToString()


_V1 = aiplatform_v1
_AR = artifactregistry_v1

JOB_SERVICE = "google.cloud.aiplatform.v1.JobService"
JOB_RPCS = (
    Rpc("CreateCustomJob", "create_custom_job",
        _V1.CreateCustomJobRequest.deserialize, _V1.CustomJob.serialize),
    # The read RPCs take the raw protobuf request (the servicer reads plain fields of
    # it): proto-plus's wrapping costs more than the rest of a GetCustomJob.
    Rpc("GetCustomJob", "get_custom_job",
        _V1.GetCustomJobRequest.pb().FromString, _V1.CustomJob.serialize),
    Rpc("ListCustomJobs", "list_custom_jobs",
        _V1.ListCustomJobsRequest.pb().FromString, _V1.ListCustomJobsResponse.serialize),
    Rpc("CancelCustomJob", "cancel_custom_job",
        _V1.CancelCustomJobRequest.deserialize, _empty),
    Rpc("DeleteCustomJob", "delete_custom_job",
        _V1.DeleteCustomJobRequest.deserialize, _OPERATION),
)  # fmt: skip

OPERATIONS_SERVICE = "google.longrunning.Operations"
OPERATIONS_RPCS = (
    Rpc("GetOperation", "get_operation",
        operations_pb2.GetOperationRequest.FromString, _OPERATION),
)  # fmt: skip

PERSISTENT_RESOURCE_SERVICE = "google.cloud.aiplatform.v1.PersistentResourceService"
PERSISTENT_RESOURCE_RPCS = (
    Rpc("CreatePersistentResource", "create_persistent_resource",
        _V1.CreatePersistentResourceRequest.deserialize, _OPERATION),
    Rpc("GetPersistentResource", "get_persistent_resource",
        _V1.GetPersistentResourceRequest.deserialize, _V1.PersistentResource.serialize),
    Rpc("ListPersistentResources", "list_persistent_resources",
        _V1.ListPersistentResourcesRequest.deserialize,
        _V1.ListPersistentResourcesResponse.serialize),
    Rpc("UpdatePersistentResource", "update_persistent_resource",
        _V1.UpdatePersistentResourceRequest.deserialize, _OPERATION),
    Rpc("RebootPersistentResource", "reboot_persistent_resource",
        _V1.RebootPersistentResourceRequest.deserialize, _OPERATION),
    Rpc("DeletePersistentResource", "delete_persistent_resource",
        _V1.DeletePersistentResourceRequest.deserialize, _OPERATION),
)  # fmt: skip

ARTIFACT_REGISTRY_SERVICE = "google.devtools.artifactregistry.v1.ArtifactRegistry"
ARTIFACT_REGISTRY_RPCS = (
    Rpc("GetRepository", "get_repository",
        _AR.GetRepositoryRequest.deserialize, _AR.Repository.serialize),
    Rpc("CreateRepository", "create_repository",
        _AR.CreateRepositoryRequest.deserialize, _OPERATION),
)  # fmt: skip

LOGGING_SERVICE = "google.logging.v2.LoggingServiceV2"
LOGGING_RPCS = (
    Rpc("ListLogEntries", "list_log_entries",
        logging_v2.ListLogEntriesRequest.deserialize, entries.serialize),
    Rpc("TailLogEntries", "tail_log_entries",
        logging_v2.TailLogEntriesRequest.deserialize, entries.serialize, streaming=True),
)  # fmt: skip
