"""Stored lines as Cloud Logging's wire types (raw protobuf: building proto-plus
wrappers for thousands of entries would cost more than the query)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence

from google.cloud.logging_v2.types import (
    ListLogEntriesResponse,
    LogEntry,
    TailLogEntriesResponse,
)

from pulumi_vertex_training.emulator.cloud_logging.rows import RESOURCE_TYPE, LogRow
from pulumi_vertex_training.emulator.exceptions import InvalidArgument

_ENTRY = LogEntry.pb()
_LIST = ListLogEntriesResponse.pb()
_TAIL = TailLogEntriesResponse.pb()


def to_entry(row: LogRow) -> object:
    """A ``google.logging.v2.LogEntry`` message, shaped as Vertex AI writes replica output."""
    entry = _ENTRY(log_name=row.log_name, severity=row.severity, insert_id=row.insert_id)
    entry.resource.type = RESOURCE_TYPE
    entry.resource.labels.update(row.resource_labels)
    entry.timestamp.FromNanoseconds(row.ts_ns)
    entry.receive_timestamp.FromNanoseconds(row.received_ns)
    entry.json_payload.update(row.json_payload)
    return entry


def list_response(rows: Iterable[LogRow], next_page_token: str) -> object:
    """A ``ListLogEntriesResponse`` message."""
    return _LIST(entries=[to_entry(r) for r in rows], next_page_token=next_page_token)


def tail_response(rows: Iterable[LogRow]) -> object:
    """A ``TailLogEntriesResponse`` message (entries in timestamp order, as the API says)."""
    ordered = sorted(rows, key=lambda r: (r.ts_ns, r.rowid))
    return _TAIL(entries=[to_entry(r) for r in ordered])


def serialize(message: object) -> bytes:
    """The wire bytes of a message built here."""
    return message.SerializeToString()  # type: ignore[attr-defined]


def _digest(request_key: Sequence[str]) -> str:
    return hashlib.sha256("\x00".join(request_key).encode()).hexdigest()[:16]


def page_token(cursor: tuple[int, int], horizon: int | None, request_key: Sequence[str]) -> str:
    """An opaque token: where the next page starts, and the horizon the first page was
    read below (so the pages of one listing are one consistent view)."""
    data = {"ts": cursor[0], "row": cursor[1], "below": horizon, "for": _digest(request_key)}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def read_page_token(
    token: str, request_key: Sequence[str]
) -> tuple[tuple[int, int], int | None] | None:
    """``(cursor, horizon)`` of a token this service returned for the same request;
    None for no token.

    Raises:
        InvalidArgument: not such a token, or one given for other parameters.
    """
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = (int(data["ts"]), int(data["row"]))
        horizon = None if data["below"] is None else int(data["below"])
        issued_for = str(data["for"])
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument(
            f"page_token: {token!r} is not a token this service returned"
        ) from None
    if issued_for != _digest(request_key):
        raise InvalidArgument(
            "page_token: the other parameters of the request must be those of the call "
            "that returned the token (resource_names, filter, order_by)"
        )
    return cursor, horizon
