"""``read_mask``: a list answers with only the fields the client asked for.

ListCustomJobs and ListHyperparameterTuningJobs take a ``read_mask``
(``google.protobuf.FieldMask``; GetCustomJob, GetHyperparameterTuningJob and the
PersistentResource RPCs have none). Over gRPC its paths are the proto's snake_case
names (``display_name``, ``job_spec.base_output_directory``); over REST the query
parameter is camelCase and comma-separated (``readMask=displayName,state``), which
transcoding turns into the same paths. An empty mask reads every field. A path that
is no field of the resource (or goes through a repeated field) is INVALID_ARGUMENT,
one ``read_mask`` violation per path, before anything is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf import field_mask_pb2

from pulumi_vertex_training.emulator.exceptions import InvalidArgument

M = TypeVar("M")


def read_mask(mask: field_mask_pb2.FieldMask, resource_type: type[M]) -> Callable[[M], M]:
    """A function giving a copy of a ``resource_type`` message (proto-plus) with only the
    fields of ``mask``; the identity when the mask is empty. Raises InvalidArgument
    naming every path that is not a field of ``resource_type``."""
    paths = list(mask.paths)
    if not paths:
        return lambda message: message
    pb_type: Any = resource_type.pb()  # type: ignore[attr-defined]
    descriptor = pb_type.DESCRIPTOR
    bad = [p for p in paths if not _is_field(p, descriptor)]
    if bad:
        raise InvalidArgument(
            violations=[("read_mask", f"{p!r} is not a field of {descriptor.name}") for p in bad]
        )
    only = field_mask_pb2.FieldMask(paths=paths)

    def apply(message: M) -> M:
        masked = pb_type()
        only.MergeMessage(resource_type.pb(message), masked)  # type: ignore[attr-defined]
        return resource_type.wrap(masked)  # type: ignore[attr-defined]

    return apply


def _is_field(path: str, descriptor: Any) -> bool:
    return bool(field_mask_pb2.FieldMask(paths=[path]).IsValidForDescriptor(descriptor))
