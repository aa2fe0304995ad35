"""``google.longrunning.Operations``: GetOperation, which LRO clients poll.

Plain Python, no gRPC (see ``job_service.py``).
"""

from __future__ import annotations

from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.backend import JobBackend


class OperationsServicer:
    """The Operations methods the Google clients call while waiting on an LRO.

    Args:
        backend: keeps the operations (created by DeleteCustomJob, ...).
    """

    def __init__(self, backend: JobBackend) -> None:
        self.backend = backend

    def get_operation(
        self, request: operations_pb2.GetOperationRequest
    ) -> operations_pb2.Operation:
        """GetOperation: the operation as last recorded."""
        return self.backend.get_operation(request.name)
