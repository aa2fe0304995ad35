"""Canonical dicts <-> ``google.cloud.aiplatform_v1`` messages (no I/O).

The canonical form already uses proto field names, enum names and "Ns" durations, so
``json_format.ParseDict`` reads it directly. The generated types are imported lazily:
check() and diff() never pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .custom_job import JOB_FIELDS
from .persistent_resource import RESOURCE_FIELDS

if TYPE_CHECKING:
    from google.cloud.aiplatform_v1 import CustomJob, PersistentResource


def _parse(canonical: dict[str, Any], message: Any, fields: tuple[str, ...]) -> None:
    from google.protobuf import json_format

    from .hashing import has_unknowns

    if has_unknowns(canonical):
        raise ValueError("cannot build a request from a spec with unknown values")
    body = {k: v for k, v in canonical.items() if k in fields}
    json_format.ParseDict(body, type(message).pb(message))


def custom_job_to_proto(canonical: dict[str, Any]) -> CustomJob:
    """The CustomJob to send in CreateCustomJobRequest, from ``NormalizedJob.value``."""
    from google.cloud.aiplatform_v1 import CustomJob

    job = CustomJob()
    _parse(canonical, job, JOB_FIELDS)
    return job


def persistent_resource_to_proto(canonical: dict[str, Any]) -> PersistentResource:
    """The PersistentResource to send (its id goes in the request, not the message)."""
    from google.cloud.aiplatform_v1 import PersistentResource

    resource = PersistentResource()
    _parse(canonical, resource, RESOURCE_FIELDS)
    return resource


def _to_dict(message: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    pb = message if hasattr(message, "DESCRIPTOR") else type(message).pb(message)
    result: dict[str, Any] = json_format.MessageToDict(pb, preserving_proto_field_name=True)
    return result


def custom_job_from_proto(job: Any) -> dict[str, Any]:
    """The canonical form of a live job's input fields, to compare with the inputs.

    Accepts a proto-plus ``CustomJob`` or its raw protobuf. What the service filled in
    (e.g. a default disk_spec) shows up as it does in the live job.
    """
    from .custom_job import normalize_custom_job

    raw = {k: v for k, v in _to_dict(job).items() if k in JOB_FIELDS}
    # Failures are ignored: a live job may break a preview-time rule and still be the
    # truth; output-only nested fields (none today) would be dropped as unknown keys.
    return normalize_custom_job(raw).value


def persistent_resource_from_proto(resource: Any) -> dict[str, Any]:
    """The canonical form of a live PersistentResource's input fields (and its id)."""
    from .persistent_resource import normalize_persistent_resource

    data = _to_dict(resource)
    raw = {k: v for k, v in data.items() if k in RESOURCE_FIELDS}
    name = data.get("name", "")
    raw["resource_id"] = name.rsplit("/", 1)[-1] if name else None
    # Output-only nested fields (ResourcePool.used_replica_count) drop out as unknown keys.
    return normalize_persistent_resource(raw).value
