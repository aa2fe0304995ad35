"""PersistentResourceService: thin translators from requests to the backend.

Plain Python, no gRPC: ``server.py`` adapts these methods to gRPC and ``rest.py``
to HTTP (``PERSISTENT_RESOURCE_BINDINGS``). Each raises ``exceptions.EmulatorError``
subclasses, which those layers turn into the wire error.
"""

from __future__ import annotations

from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.persistent_resources.backend import PersistentResourceBackend


class PersistentResourceServicer:
    """``google.cloud.aiplatform.v1.PersistentResourceService`` (see COVERAGE.md).

    Args:
        backend: the state and API meaning behind the RPCs.
    """

    def __init__(self, backend: PersistentResourceBackend) -> None:
        self.backend = backend

    def create_persistent_resource(
        self, request: aiplatform_v1.CreatePersistentResourceRequest
    ) -> operations_pb2.Operation:
        """CreatePersistentResource: an Operation, done once the resource is RUNNING."""
        return self.backend.create_persistent_resource(
            request.parent, request.persistent_resource, request.persistent_resource_id
        )

    def get_persistent_resource(
        self, request: aiplatform_v1.GetPersistentResourceRequest
    ) -> aiplatform_v1.PersistentResource:
        """GetPersistentResource."""
        return self.backend.get_persistent_resource(request.name)

    def list_persistent_resources(
        self, request: aiplatform_v1.ListPersistentResourcesRequest
    ) -> aiplatform_v1.ListPersistentResourcesResponse:
        """ListPersistentResources, ordered by name, paginated."""
        resources, token = self.backend.list_persistent_resources(
            request.parent, request.page_size, request.page_token
        )
        return aiplatform_v1.ListPersistentResourcesResponse(
            persistent_resources=resources, next_page_token=token
        )

    def update_persistent_resource(
        self, request: aiplatform_v1.UpdatePersistentResourceRequest
    ) -> operations_pb2.Operation:
        """UpdatePersistentResource: only pool replica counts and autoscaling bounds."""
        return self.backend.update_persistent_resource(
            request.persistent_resource, list(request.update_mask.paths)
        )

    def reboot_persistent_resource(
        self, request: aiplatform_v1.RebootPersistentResourceRequest
    ) -> operations_pb2.Operation:
        """RebootPersistentResource."""
        return self.backend.reboot_persistent_resource(request.name)

    def delete_persistent_resource(
        self, request: aiplatform_v1.DeletePersistentResourceRequest
    ) -> operations_pb2.Operation:
        """DeletePersistentResource: cancels the jobs on it, then deletes it."""
        return self.backend.delete_persistent_resource(request.name)
