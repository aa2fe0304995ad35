"""The long-running Operations of PersistentResource Create, Update, Reboot and Delete.

Each is stored (``records.save_operation``) as ``{resource name}/operations/{id}``,
not done at first, with the metadata message Vertex uses for its kind; the
resource backend finishes it (done, with a response or an error) when the change
it stands for is over.
"""

from __future__ import annotations

from typing import Any

from google.cloud.aiplatform_v1 import (
    CreatePersistentResourceOperationMetadata,
    DeleteOperationMetadata,
    RebootPersistentResourceOperationMetadata,
    UpdatePersistentResourceOperationMetadata,
)
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator import records
from pulumi_vertex_training.emulator.store import Store

OPERATION_KIND = "persistentResourceOperation"

METADATA: dict[str, Any] = {
    "create": CreatePersistentResourceOperationMetadata,
    "update": UpdatePersistentResourceOperationMetadata,
    "reboot": RebootPersistentResourceOperationMetadata,
    "delete": DeleteOperationMetadata,
}
"""Operation kind -> its metadata message type."""


def begin_operation(
    store: Store, resource_name: str, kind: str, message: str
) -> operations_pb2.Operation:
    """Store and return a new, not done, operation of ``kind`` on ``resource_name``.

    ``message`` is the metadata's ``progress_message`` (Delete's metadata has none).
    """
    op_name = f"{resource_name}/operations/{store.next_id('operation')}"
    op = operations_pb2.Operation(name=op_name, done=False)
    now = records.now()
    metadata = METADATA[kind].pb()()
    metadata.generic_metadata.create_time.CopyFrom(now)
    metadata.generic_metadata.update_time.CopyFrom(now)
    if kind != "delete":
        metadata.progress_message = message
    op.metadata.Pack(metadata)
    records.save_operation(store, OPERATION_KIND, op)
    return op


def finish_operation(
    store: Store, name: str, kind: str, response: Any = None, error: Any = None
) -> None:
    """Mark operation ``name`` done with ``response`` or, when given, ``error``."""
    op = get_operation(store, name)
    metadata = METADATA[kind].pb()()
    op.metadata.Unpack(metadata)
    metadata.generic_metadata.update_time.CopyFrom(records.now())
    if kind != "delete":
        done = "Done: the resource is RUNNING."
        metadata.progress_message = f"Failed: {error.message}" if error is not None else done
    op.metadata.Pack(metadata)
    op.done = True
    if error is not None:
        op.error.CopyFrom(error)
    else:
        op.response.Pack(response)
    records.save_operation(store, OPERATION_KIND, op)


def get_operation(store: Store, name: str) -> operations_pb2.Operation:
    """The stored operation ``name``. Raises NotFound."""
    return records.load_operation(store, OPERATION_KIND, name)
