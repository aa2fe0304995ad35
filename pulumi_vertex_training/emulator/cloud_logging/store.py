"""The emulator's Cloud Logging: replica lines in one SQLite file (``<data dir>/logs.db``).

A line is stored once: its key is (job, replica, Docker's timestamp, stream, its
place among the lines of that stream with the same timestamp), so reading a
container again from an earlier time (after a restart, from another process such
as ``vertex-local logs``) adds nothing twice. The row id is the entry's
``insertId`` and the order lines are kept in.

Each thread has its own connection (WAL journal): a batch of lines is one
transaction, so a reader sees all of it or none, and readers never wait for a
writer.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from pulumi_vertex_training.emulator.cloud_logging.rows import LogRow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    rowid INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    job_id TEXT NOT NULL,
    task TEXT NOT NULL,
    stream INTEGER NOT NULL,
    ts_ns INTEGER NOT NULL,
    dup INTEGER NOT NULL,
    received_ns INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (job_id, task, ts_ns, stream, dup)
);
CREATE INDEX IF NOT EXISTS entries_job_ts ON entries (job_id, ts_ns);
CREATE TABLE IF NOT EXISTS replicas (
    job_id TEXT NOT NULL,
    task TEXT NOT NULL,
    project TEXT NOT NULL,
    final INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, task)
);
"""
_COLUMNS = "rowid, project, job_id, task, stream, ts_ns, received_ns, text"

Line = tuple[int, int, int, str]
"""``(stream, ts_ns, dup, text)``: one line to store."""


_row = LogRow._make


class LogStore:
    """Stored replica lines, keyed as the module says.

    Args:
        path: the SQLite file (created with its folder when missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._db().executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            if self._closed:
                raise RuntimeError(f"the log store {self.path} is closed")
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # a crash loses no committed line
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def close(self) -> None:
        """Close every connection; the store must not be used afterwards."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for db in connections:
            try:
                db.close()
            except sqlite3.Error:
                pass

    # ---- writes ------------------------------------------------------------------------

    def add(self, project: str, job_id: str, task: str, lines: Iterable[Line]) -> int:
        """Store lines of one replica in one transaction (those already stored are skipped);
        returns the last timestamp among them (0 for none)."""
        batch = list(lines)
        if not batch:
            return 0
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            received = time.time_ns()  # taken under the write lock: grows with the row id
            db.execute(
                "INSERT OR IGNORE INTO replicas (job_id, task, project) VALUES (?, ?, ?)",
                (job_id, task, project),
            )
            db.executemany(
                "INSERT OR IGNORE INTO entries (project, job_id, task, stream, ts_ns, dup, "
                "received_ns, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(project, job_id, task, s, ts, dup, received, text) for s, ts, dup, text in batch],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return max(ts for _, ts, _, _ in batch)

    def mark(self, project: str, job_id: str, task: str, final: bool = True) -> None:
        """Record that a replica exists, and whether every line of it is stored."""
        self._db().execute(
            "INSERT INTO replicas (job_id, task, project, final) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (job_id, task) DO UPDATE SET final = MAX(final, excluded.final)",
            (job_id, task, project, int(final)),
        )

    # ---- reads -------------------------------------------------------------------------

    def last_ts(self, job_id: str, task: str) -> int | None:
        """The newest stored timestamp of a replica (None: nothing stored)."""
        row = (
            self._db()
            .execute("SELECT MAX(ts_ns) FROM entries WHERE job_id = ? AND task = ?", (job_id, task))
            .fetchone()
        )
        return None if row is None or row[0] is None else int(row[0])

    def replicas(self, job_id: str) -> dict[str, bool]:
        """Replica name -> whether every line of it is stored."""
        rows = self._db().execute("SELECT task, final FROM replicas WHERE job_id = ?", (job_id,))
        return {str(task): bool(final) for task, final in rows}

    def ordered(
        self,
        *,
        job_id: str | None = None,
        task: str | None = None,
        projects: Sequence[str] = (),
        ts_min: int | None = None,
        ts_end: int | None = None,
        after: tuple[int, int] | None = None,
        descending: bool = False,
        limit: int = 1000,
    ) -> list[LogRow]:
        """Rows in timestamp order (then row id), after the ``(ts, rowid)`` cursor."""
        where, args = self._where(job_id, task, projects, ts_min, ts_end)
        if after is not None:  # the first condition alone is what an index can start from
            cmp = "<" if descending else ">"
            where.append(f"ts_ns {cmp}= ? AND (ts_ns {cmp} ? OR rowid {cmp} ?)")
            args += [after[0], after[0], after[1]]
        order = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {_COLUMNS} FROM entries WHERE {' AND '.join(where) or '1'} "
            f"ORDER BY ts_ns {order}, rowid {order} LIMIT ?"
        )
        return [_row(r) for r in self._db().execute(sql, [*args, limit])]

    def since_rowid(
        self, rowid: int, *, job_id: str | None = None, limit: int = 1000
    ) -> list[LogRow]:
        """Rows stored after row ``rowid``, in the order they were stored."""
        where, args = self._where(job_id, None, (), None, None)
        where.append("rowid > ?")
        sql = f"SELECT {_COLUMNS} FROM entries WHERE {' AND '.join(where)} ORDER BY rowid LIMIT ?"
        return [_row(r) for r in self._db().execute(sql, [*args, rowid, limit])]

    @staticmethod
    def _where(
        job_id: str | None,
        task: str | None,
        projects: Sequence[str],
        ts_min: int | None,
        ts_end: int | None,
    ) -> tuple[list[str], list[object]]:
        where: list[str] = []
        args: list[object] = []
        if job_id is not None:
            where.append("job_id = ?")
            args.append(job_id)
        if task is not None:
            where.append("task = ?")
            args.append(task.casefold())
        if projects:
            where.append(f"project IN ({', '.join('?' * len(projects))})")
            args.extend(projects)
        if ts_min is not None:
            where.append("ts_ns >= ?")
            args.append(ts_min)
        if ts_end is not None:
            where.append("ts_ns < ?")
            args.append(ts_end)
        return where, args
