"""``google.longrunning.Operations``: GetOperation, which LRO clients poll.

Shared by the services: an operation under ``.../persistentResources/`` is the
PersistentResource backend's; every other one (DeleteCustomJob's,
DeleteHyperparameterTuningJob's, and CreateRepository's, which
``storage/artifact_registry.py`` stores under the same kind) is read by the
CustomJob backend. Plain Python, no gRPC (see ``custom_jobs/service.py``).

Operations are named after their resource (``{resource}/operations/{id}``), and
also answer to their location-level name ``projects/{p}/locations/{l}/operations/{id}``
(ids are unique in the emulator, as in a Vertex location): GetOperation of that name
returns the operation as stored, under its resource-scoped name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator import common_validation
from pulumi_vertex_training.emulator.custom_jobs.backend import OPERATION_KIND, JobBackend
from pulumi_vertex_training.emulator.exceptions import NotFound
from pulumi_vertex_training.emulator.persistent_resources import operations as pr_operations

LOCATION_OPERATION_RE = re.compile(
    rf"(?P<parent>{common_validation.PARENT_PATTERN})/operations/(?P<id>[A-Za-z0-9_-]{{1,128}})"
)
"""A location-level operation name; matched with ``fullmatch``."""


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
        """GetOperation: the operation as last recorded, by either of its names."""
        name = request.name
        location_level = LOCATION_OPERATION_RE.fullmatch(name)
        if location_level is not None:
            name = self._scoped_name(location_level["parent"], location_level["id"])
        if self.persistent_resources is not None and "/persistentResources/" in name:
            result: operations_pb2.Operation = self.persistent_resources.get_operation(name)
            return result
        for segment, owner in self.routes.items():
            if segment in name:
                routed: operations_pb2.Operation = owner.get_operation(name)
                return routed
        return self.backend.get_operation(name)

    def _scoped_name(self, parent: str, operation_id: str) -> str:
        """The stored name of operation ``operation_id`` in ``parent``. Raises NotFound."""
        kinds = [(self.backend.store, OPERATION_KIND)]
        if self.persistent_resources is not None:
            kinds.append((self.persistent_resources.store, pr_operations.OPERATION_KIND))
        kinds += [(owner.store, owner.operation_kind) for owner in self.routes.values()]
        prefix, suffix = f"{parent}/", f"/operations/{operation_id}"
        for store, kind in kinds:
            for record in store.list(kind):
                stored = str(record["name"])
                if stored.startswith(prefix) and stored.endswith(suffix):
                    return stored
        raise NotFound(f"Operation {parent}{suffix} not found.")
