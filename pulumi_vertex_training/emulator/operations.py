"""``google.longrunning.Operations``: GetOperation, which LRO clients poll.

Shared by the services: an operation under ``.../persistentResources/`` is the
PersistentResource backend's; every other one (DeleteCustomJob's, and
CreateRepository's, which ``storage/artifact_registry.py`` stores under the same
kind) is read by the CustomJob backend. Plain Python, no gRPC (see
``custom_jobs/service.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend


class OperationsServicer:
    """The Operations methods the Google clients call while waiting on an LRO.

    Args:
        backend: keeps the operations (created by DeleteCustomJob, ...).
        persistent_resources: keeps the operations under ``.../persistentResources/``
            (a ``PersistentResourceBackend``); None when that service is not served.
        routes: more collections, ``{"/trainingPipelines/": backend, ...}``: an operation
            whose name holds the key is that backend's (``get_operation(name)``).
    """

    def __init__(
        self,
        backend: JobBackend,
        persistent_resources: Any = None,
        routes: Mapping[str, Any] | None = None,
    ) -> None:
        self.backend = backend
        self.persistent_resources = persistent_resources
        self.routes = dict(routes or {})
        """``"/{collection}/"`` -> the backend keeping that collection's operations."""

    def get_operation(
        self, request: operations_pb2.GetOperationRequest
    ) -> operations_pb2.Operation:
        """GetOperation: the operation as last recorded."""
        if self.persistent_resources is not None and "/persistentResources/" in request.name:
            result: operations_pb2.Operation = self.persistent_resources.get_operation(request.name)
            return result
        for segment, owner in self.routes.items():
            if segment in request.name:
                routed: operations_pb2.Operation = owner.get_operation(request.name)
                return routed
        return self.backend.get_operation(request.name)
