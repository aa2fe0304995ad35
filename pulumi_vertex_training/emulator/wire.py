"""ListCustomJobs over a bare gRPC channel, for ``vertex-local status`` and ``jobs``.

Importing ``google.cloud.aiplatform_v1`` takes seconds (every service and type of
the API); these commands need one RPC and four fields of a job. So the messages
are described here by hand, with the field numbers of the v1 protos and only
the fields read (protobuf skips the others on the wire), in a descriptor pool of
their own (``tests/unit/emulator/test_wire.py`` checks them against the real
messages). The server side never uses this module.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

LIST_CUSTOM_JOBS = "/google.cloud.aiplatform.v1.JobService/ListCustomJobs"

JOB_STATES = (
    "JOB_STATE_UNSPECIFIED", "JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING",
    "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED",
    "JOB_STATE_PAUSED", "JOB_STATE_EXPIRED", "JOB_STATE_UPDATING",
    "JOB_STATE_PARTIALLY_SUCCEEDED",
)  # fmt: skip
"""``google.cloud.aiplatform.v1.JobState`` names, by number."""

# (message, [(field, number, type, label, type name)]); types: 9 string, 5 int32,
# 3 int64, 11 message; labels: 1 optional, 3 repeated.
_MESSAGES = (
    ("Timestamp", [("seconds", 1, 3, 1, ""), ("nanos", 2, 5, 1, "")]),
    ("CustomJob", [
        ("name", 1, 9, 1, ""), ("display_name", 2, 9, 1, ""), ("state", 5, 5, 1, ""),
        ("create_time", 6, 11, 1, ".vertex_local.wire.Timestamp"),
    ]),
    ("ListCustomJobsRequest", [
        ("parent", 1, 9, 1, ""), ("filter", 2, 9, 1, ""), ("page_size", 3, 5, 1, ""),
        ("page_token", 4, 9, 1, ""),
    ]),
    ("ListCustomJobsResponse", [
        ("custom_jobs", 1, 11, 3, ".vertex_local.wire.CustomJob"),
        ("next_page_token", 2, 9, 1, ""),
    ]),
)  # fmt: skip

_classes: dict[str, Any] = {}


def messages() -> dict[str, Any]:
    """The hand-described message classes, by name (built on first use)."""
    if not _classes:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

        proto = descriptor_pb2.FileDescriptorProto(
            name="vertex_local_wire.proto", package="vertex_local.wire", syntax="proto3"
        )
        for message, fields in _MESSAGES:
            described = proto.message_type.add(name=message)
            for name, number, kind, label, type_name in fields:
                field = described.field.add(name=name, number=number, type=kind, label=label)
                if type_name:
                    field.type_name = type_name
        pool = descriptor_pool.DescriptorPool()
        pool.Add(proto)
        for message, _ in _MESSAGES:
            descriptor = pool.FindMessageTypeByName(f"vertex_local.wire.{message}")
            _classes[message] = message_factory.GetMessageClass(descriptor)
    return _classes


@dataclass(frozen=True)
class JobSummary:
    """What ``vertex-local jobs`` prints of a job."""

    name: str
    display_name: str
    state: str  # the JobState name
    create_time: datetime.datetime


def list_custom_jobs(
    address: str, parent: str, page_size: int = 0, timeout: float = 10.0, all_pages: bool = True
) -> Iterator[JobSummary]:
    """The jobs under ``parent`` at ``address``, newest first, page after page.

    Raises:
        grpc.RpcError: the call failed (``details()`` says why).
    """
    import grpc

    m = messages()
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(
            LIST_CUSTOM_JOBS,
            request_serializer=m["ListCustomJobsRequest"].SerializeToString,
            response_deserializer=m["ListCustomJobsResponse"].FromString,
        )
        token = ""
        while True:
            request = m["ListCustomJobsRequest"](
                parent=parent, page_size=page_size, page_token=token
            )
            response = call(request, timeout=timeout)
            for job in response.custom_jobs:
                yield _summary(job)
            token = response.next_page_token
            if not token or not all_pages:
                return


def _summary(job: Any) -> JobSummary:
    state = JOB_STATES[job.state] if 0 <= job.state < len(JOB_STATES) else str(job.state)
    seconds = job.create_time.seconds + job.create_time.nanos / 1e9
    created = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return JobSummary(job.name, job.display_name, state, created)
