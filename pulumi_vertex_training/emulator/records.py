"""Record-keeping every service shares: timestamps, statuses, stored operations, page tokens."""

from __future__ import annotations

import base64

from google.cloud.aiplatform_v1 import DeleteOperationMetadata
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2, timestamp_pb2
from google.rpc import status_pb2

from pulumi_vertex_training.emulator.exceptions import InvalidArgument, NotFound
from pulumi_vertex_training.emulator.store import Store


def now() -> timestamp_pb2.Timestamp:
    """The current time as a protobuf Timestamp."""
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def status(code: int, message: str) -> status_pb2.Status:
    """A ``google.rpc.Status`` (``code`` from ``google.rpc.code_pb2``)."""
    return status_pb2.Status(code=code, message=message)


def save_operation(store: Store, kind: str, operation: operations_pb2.Operation) -> None:
    """Keep an Operation (done or not) so GetOperation can answer for it later."""
    encoded = base64.b64encode(operation.SerializeToString()).decode()
    store.put(kind, operation.name, {"name": operation.name, "operation": encoded})


def deleted_operation(store: Store, kind: str, resource_name: str) -> operations_pb2.Operation:
    """The Operation a Delete RPC answers with: done at once, response Empty,
    DeleteOperationMetadata stamped now; kept under ``kind`` for GetOperation."""
    stamp = now()
    operation = operations_pb2.Operation(
        name=f"{resource_name}/operations/{store.next_id('operation')}", done=True
    )
    metadata = DeleteOperationMetadata.pb()()
    metadata.generic_metadata.create_time.CopyFrom(stamp)
    metadata.generic_metadata.update_time.CopyFrom(stamp)
    operation.metadata.Pack(metadata)
    operation.response.Pack(empty_pb2.Empty())
    save_operation(store, kind, operation)
    return operation


def load_operation(store: Store, kind: str, name: str) -> operations_pb2.Operation:
    """A stored Operation. Raises NotFound."""
    data = store.get(kind, name)
    if data is None:
        raise NotFound(f"Operation {name} not found.")
    return operations_pb2.Operation.FromString(base64.b64decode(data["operation"]))


def encode_page_token(after: str) -> str:
    """An opaque token meaning "the items after ``after``"."""
    return base64.urlsafe_b64encode(f"after:{after}".encode()).decode()


def decode_page_token(token: str) -> str:
    """What ``encode_page_token`` was given ("" for no token). Raises InvalidArgument."""
    if not token:
        return ""
    try:
        prefix, _, after = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except ValueError:
        prefix, after = "", ""
    if prefix != "after" or not after:
        raise InvalidArgument.of("page_token", f"{token!r} is not a token this service returned")
    return after
