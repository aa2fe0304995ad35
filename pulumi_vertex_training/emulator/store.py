"""The emulator's durable state: one SQLite file in the data dir.

Generic on purpose: every resource kind (custom jobs, persistent resources,
Artifact Registry repositories, long-running operations, the data dir's id) is
a JSON document keyed by ``(kind, name)``, so a new kind needs no schema change.
Every write commits at once (WAL journal), so a SIGKILL loses nothing that an
RPC already answered for.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""
STATE_FILE = "state.db"
"""The store's file name in the data dir."""

_SEQ_COUNTER = "resources.seq"  # insertion order of the documents (not a resource kind)


class Store:
    """A thread-safe key-value store of JSON documents, grouped by kind.

    Args:
        path: the SQLite file; its folder is created when missing.

    Example:
        >>> import tempfile, pathlib
        >>> s = Store(pathlib.Path(tempfile.mkdtemp()) / "state.db")
        >>> s.put("customJob", "projects/p/locations/l/customJobs/1", {"displayName": "a"})
        >>> s.get("customJob", "projects/p/locations/l/customJobs/1")
        {'displayName': 'a'}
        >>> s.next_id("customJob")
        1
    """

    def __init__(self, path: pathlib.Path) -> None:
        self.path = pathlib.Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # One connection shared under a lock: SQLite serialises writers anyway,
        # and a single connection keeps reads consistent with our own writes.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a write the RPC answered for must survive a SIGKILL of the process
            # (NORMAL would too, but FULL also survives a power cut; the cost is small).
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            # The insertion order is a counter, so a write never scans the table for it;
            # a state file from before the counter starts it after its highest seq.
            self._db.execute(
                "INSERT OR IGNORE INTO counters (name, value) "
                "SELECT ?, COALESCE(MAX(seq), 0) FROM resources",
                (_SEQ_COUNTER,),
            )

    def put(self, kind: str, name: str, data: dict[str, Any]) -> None:
        """Insert or replace the document ``name`` of ``kind``; keeps its first insertion order."""
        self.write([(kind, name, data)])

    def write(
        self,
        changes: Sequence[tuple[str, str, dict[str, Any] | None]],
        counters: dict[str, int] | None = None,
    ) -> None:
        """Apply ``(kind, name, document or None to delete)`` changes in order, in one commit.

        ``counters``: durable counters raised to at least these values in the same commit.
        """
        texts = [
            (k, n, None if d is None else json.dumps(d, sort_keys=True)) for k, n, d in changes
        ]
        with self._lock, self._transaction():
            for kind, name, text in texts:
                if text is None:
                    self._db.execute(
                        "DELETE FROM resources WHERE kind = ? AND name = ?", (kind, name)
                    )
                elif not self._db.execute(
                    "UPDATE resources SET data = ? WHERE kind = ? AND name = ?", (text, kind, name)
                ).rowcount:
                    self._db.execute(
                        "INSERT INTO resources (kind, name, seq, data) VALUES (?, ?, ?, ?)",
                        (kind, name, self._bump(_SEQ_COUNTER), text),
                    )
            for counter, value in (counters or {}).items():
                self._db.execute(
                    "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) "
                    "DO UPDATE SET value = MAX(value, excluded.value)",
                    (counter, value),
                )

    def counter(self, counter: str) -> int:
        """The last value ``next_id`` gave for ``counter`` (0 if none)."""
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM counters WHERE name = ?", (counter,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        """The document ``name`` of ``kind``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM resources WHERE kind = ? AND name = ?", (kind, name)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def list(self, kind: str) -> list[dict[str, Any]]:
        """Every document of ``kind``, in insertion order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM resources WHERE kind = ? ORDER BY seq", (kind,)
            ).fetchall()
        return [dict(json.loads(row[0])) for row in rows]

    def delete(self, kind: str, name: str) -> None:
        """Remove the document ``name`` of ``kind``; no error when absent."""
        with self._lock:
            self._db.execute("DELETE FROM resources WHERE kind = ? AND name = ?", (kind, name))

    def next_id(self, counter: str, start: int = 1) -> int:
        """The next value of a durable counter (``start`` first); never repeats across restarts."""
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO counters (name, value) VALUES (?, ?)", (counter, start - 1)
            )
            return self._bump(counter)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One commit for the statements inside (the caller holds ``_lock``)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _bump(self, counter: str) -> int:
        # No UPSERT ... RETURNING: it needs SQLite 3.35, older than some Python 3.10 builds.
        self._db.execute("UPDATE counters SET value = value + 1 WHERE name = ?", (counter,))
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (counter,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the database; the store must not be used afterwards."""
        with self._lock:
            self._db.close()


class WriteBehindLock:
    """A re-entrant lock over in-memory state whose store writes wait for its release.

    A backend changes its records under the lock and hands each store write to
    :meth:`defer`, which queues it in the order the state changed. When the
    outermost holder that deferred something releases the lock, it waits until
    its writes are durable, *outside* the lock, so readers of the state never wait
    for a disk flush: the first writer in line applies everything queued so far
    (``apply``, one commit) and the writers whose changes that batch held return
    without a commit of their own (a group commit).
    """

    def __init__(self, apply: Callable[[list[Any]], None]) -> None:
        self._state = threading.RLock()
        self._flushing = threading.Lock()  # one batch at a time, in queue order
        self._apply = apply
        self._depth = 0  # the owning thread alone touches it
        self._queue: list[Any] = []
        self._queued = 0  # changes ever queued
        self._flushed = 0  # changes ever made durable (under _flushing)
        self._queued_at_entry = 0

    def defer(self, change: Any) -> None:
        """Queue a change for ``apply`` (call with the lock held)."""
        self._queue.append(change)
        self._queued += 1

    def __enter__(self) -> WriteBehindLock:
        self._state.acquire()
        self._depth += 1
        if self._depth == 1:
            self._queued_at_entry = self._queued
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        wrote = not self._depth and self._queued > self._queued_at_entry
        target = self._queued
        self._state.release()
        if wrote:
            self._flush(target)

    def _flush(self, target: int) -> None:
        with self._flushing:
            if self._flushed >= target:
                return  # a batch flushed by another writer held ours
            with self._state:
                batch, self._queue = self._queue, []
                upto = self._queued
            try:
                self._apply(batch)
            except BaseException:
                with self._state:
                    self._queue[:0] = batch  # the next writer tries them again
                raise
            self._flushed = upto


def instance_id(store: Store) -> str:
    """The data dir's stable id (created on first use); it labels the containers."""
    data = store.get("meta", "instance")
    if data is None:
        data = {"instance_id": uuid.uuid4().hex[:12]}
        store.put("meta", "instance", data)
    return str(data["instance_id"])
