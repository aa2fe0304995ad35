"""``google.logging.v2.LoggingServiceV2``: ListLogEntries and TailLogEntries over replica logs.

The official client (``google.cloud.logging_v2``'s GAPIC ``LoggingServiceV2Client``)
speaks gRPC only, so this is served over gRPC only. What is read is what Vertex AI
writes for custom jobs (``rows.py``); see ``COVERAGE.md`` for what is honoured.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from pulumi_vertex_training.emulator.cloud_logging import entries
from pulumi_vertex_training.emulator.cloud_logging.collector import Collector, job_parts
from pulumi_vertex_training.emulator.cloud_logging.query import Query, QueryError, compile_query
from pulumi_vertex_training.emulator.cloud_logging.rows import LogRow
from pulumi_vertex_training.emulator.exceptions import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_RESOURCE_NAMES = 100
SCAN_LIMIT = 50_000
"""Rows one ListLogEntries call looks at; past it, the page ends early with a token
(the API allows fewer entries than ``page_size``, even none, with a token)."""
DEFAULT_BUFFER_WINDOW = 2.0
TAIL_POLL_SECONDS = 0.1
TAIL_SYNC_SECONDS = 1.0


def projects_of(resource_names: Sequence[str]) -> list[str]:
    """The projects named by ``resource_names`` (``projects/P``, ``projects/P/locations/...``);
    organizations, folders and billing accounts hold no job logs here.

    Raises:
        InvalidArgument: none given, too many, or one of no known form.
    """
    if not resource_names:
        raise InvalidArgument(
            "resource_names: at least one is required, e.g. 'projects/my-project'"
        )
    if len(resource_names) > MAX_RESOURCE_NAMES:
        raise InvalidArgument(f"resource_names: at most {MAX_RESOURCE_NAMES} are allowed")
    projects = []
    for name in resource_names:
        parts = name.split("/")
        if (
            len(parts) >= 2
            and parts[0] in ("organizations", "folders", "billingAccounts")
            and parts[1]
        ):
            continue
        if len(parts) < 2 or parts[0] != "projects" or not parts[1]:
            raise InvalidArgument(
                f"resource_names: {name!r} is not 'projects/[PROJECT_ID]' (or an organization, "
                "folder, billing account or log view)"
            )
        projects.append(parts[1])
    return projects


def _query(text: str) -> Query:
    try:
        return compile_query(text)
    except QueryError as err:
        raise InvalidArgument(f"filter: {err}") from None


class LoggingServicer:
    """ListLogEntries and TailLogEntries over the log store of a :class:`Collector`.

    Args:
        collector: the data dir's collector (store, followers).
        runner: the job runner; ``known_jobs()`` and ``log_sources(job)`` say which
            containers still write (a runner without ``log_sources`` has none).
    """

    def __init__(self, collector: Collector, runner: Any) -> None:
        self._collector = collector
        self._runner = runner

    def _sync(self, job_id: str | None, settle: bool) -> int | None:
        """Catch up the live jobs (those with ``job_id`` only, when given); returns the
        horizon below which the store is complete for them (None: no bound)."""
        list_sources = getattr(self._runner, "log_sources", None)
        if list_sources is None:
            return None
        horizon: int | None = None
        for name in self._runner.known_jobs():
            if job_id is not None and job_parts(name)[1] != job_id:
                continue
            for edge in self._collector.sync(name, list_sources(name), settle).values():
                horizon = edge if horizon is None else min(horizon, edge)
        return horizon

    def list_log_entries(self, request: Any) -> object:
        """One page of matching entries, oldest first (``order_by="timestamp desc"``: newest)."""
        projects = projects_of(list(request.resource_names))
        page_size = request.page_size or DEFAULT_PAGE_SIZE
        if not 0 < page_size <= MAX_PAGE_SIZE:
            raise InvalidArgument(f"page_size: must be between 0 and {MAX_PAGE_SIZE}")
        order = " ".join(request.order_by.lower().split()) or "timestamp asc"
        if order not in ("timestamp asc", "timestamp desc"):
            raise InvalidArgument(
                f"order_by: {request.order_by!r}; only 'timestamp asc' and 'timestamp desc'"
            )
        query = _query(request.filter)
        key = (*request.resource_names, request.filter, order)
        bounds = query.bounds
        continued = entries.read_page_token(request.page_token, key)
        if continued is None:
            cursor, horizon = None, self._sync(bounds.job_id, settle=True)
        else:
            cursor, horizon = continued
        ends = [e for e in (bounds.ts_end, horizon) if e is not None]
        found: list[LogRow] = []
        scanned, exhausted = 0, False
        while len(found) < page_size and scanned < SCAN_LIMIT:
            rows = self._collector.store.ordered(
                job_id=bounds.job_id,
                task=bounds.task,
                projects=projects,
                ts_min=bounds.ts_min,
                ts_end=min(ends) if ends else None,
                after=cursor,
                descending=order == "timestamp desc",
                limit=MAX_PAGE_SIZE,
            )
            consumed = 0
            for row in rows:
                consumed += 1
                cursor = (row.ts_ns, row.rowid)
                if query.matches(row):
                    found.append(row)
                    if len(found) == page_size:
                        break
            scanned += consumed
            if len(rows) < MAX_PAGE_SIZE and consumed == len(rows):
                exhausted = True
                break
        token = "" if exhausted or cursor is None else entries.page_token(cursor, horizon, key)
        return entries.list_response(found, token)

    def tail_log_entries(
        self, requests: Iterator[Any], stopped: threading.Event
    ) -> Iterator[object]:
        """Matching entries already stored, then new ones as replicas write them, until
        the client cancels (or the server stops)."""
        first = next(iter(requests), None)
        if first is None:
            return
        projects = set(projects_of(list(first.resource_names)))
        query = _query(first.filter)
        window = DEFAULT_BUFFER_WINDOW
        if "buffer_window" in first:
            window = first.buffer_window.total_seconds()
        if not 0 <= window <= 60:
            raise InvalidArgument("buffer_window: must be between 0 and 60 seconds")
        job_id = query.bounds.job_id
        cursor, synced = 0, 0.0
        while not stopped.is_set():
            if time.monotonic() - synced >= TAIL_SYNC_SECONDS:
                self._sync(job_id, settle=False)
                synced = time.monotonic()
            release = time.time_ns() - int(window * 1e9)
            batch: list[LogRow] = []
            for row in self._collector.store.since_rowid(
                cursor, job_id=job_id, limit=MAX_PAGE_SIZE
            ):
                if row.received_ns > release:
                    break  # held back to order what arrives within the window
                cursor = row.rowid
                if row.project in projects and query.matches(row):
                    batch.append(row)
            if batch:
                yield entries.tail_response(batch)
            else:
                stopped.wait(TAIL_POLL_SECONDS)
