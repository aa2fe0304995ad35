"""Brings replica lines from Docker into the log store, and says how far the store is complete.

Reading a live container costs little once it is being followed: one
connection streams its new lines (both streams, with Docker's timestamps) for as
long as it runs. So a container is followed from the first time someone reads
its job's logs (ListLogEntries, TailLogEntries, ``vertex-local logs``) until it
stops; a stopped one is read once to its end and marked complete. Nobody
reading costs nothing: before removing a job's containers the runner has every
line stored (:meth:`Collector.finish`). A restarted emulator follows again from
the newest stored line; the store's key drops what it already has.

Followers only parse; one writer thread stores their lines in batches (a line
reaches the store within about :data:`FLUSH_SECONDS`), through a bounded queue,
so a trainer printing faster than the store writes is slowed down by Docker's
buffering, never by memory.

**Settled reads.** :meth:`Collector.sync` with ``settle=True`` returns a
*horizon*: every line the job's containers wrote before it is stored. It asks
Docker for each running replica's newest line and waits (briefly) until the
follower has stored it. ListLogEntries answers only lines older than the
horizon, so a reader that pages forward by timestamp (gcloud's way, the
provider's way) never skips a line stored late.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from pulumi_vertex_training.emulator.cloud_logging.store import Line, LogStore

log = logging.getLogger(__name__)

DB_FILE = "logs.db"
FLUSH_SECONDS = 0.05
SETTLE_NS = 250_000_000
"""Docker stamps a line a little before it can be read back: lines this much older
than the moment we asked for the newest one count as settled (and so does every
line up to the newest one, once stored)."""
SETTLE_WAIT_SECONDS = 1.0
FINISH_WAIT_SECONDS = 60.0
_QUEUE_LINES = 10_000
_BATCH_LINES = 2_000


class LogSource(Protocol):
    """A replica container as the collector reads it (``execution.logs.ContainerLog``)."""

    replica: str
    gone: tuple[type[BaseException], ...]

    @property
    def live(self) -> bool: ...

    @property
    def started(self) -> bool: ...

    def read(self, since_ns: int | None, follow: bool) -> Iterator[tuple[int, int, str]]: ...

    def newest_ns(self) -> int | None: ...

    def close(self) -> None: ...


def job_parts(job_name: str) -> tuple[str, str]:
    """``(project, job id)`` of ``projects/{p}/locations/{l}/customJobs/{id}``."""
    parts = job_name.split("/")
    return (parts[1] if len(parts) > 1 else ""), parts[-1]


def numbered(lines: Iterator[tuple[int, int, str]]) -> Iterator[Line]:
    """Lines with their place among same-stream lines of the same timestamp (the key's ``dup``)."""
    last: dict[int, tuple[int, int]] = {}
    for stream, ts, text in lines:
        prev_ts, dup = last.get(stream, (-1, -1))
        dup = dup + 1 if ts == prev_ts else 0
        last[stream] = (ts, dup)
        yield stream, ts, dup, text


class _Follower:
    def __init__(self, source: LogSource) -> None:
        self.source = source
        self.thread: threading.Thread | None = None
        self.stored_ts = 0  # newest timestamp the writer has stored for it
        self.stopped = False  # told to stop (finish, close): it stores nothing more
        self.complete = False  # read to the container's end and all of it stored

    def reading(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class Collector:
    """Followers, the writer thread and reads of one data dir's log store."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.store = LogStore(self.data_dir / DB_FILE)
        self._lock = threading.Lock()
        self._stored = threading.Condition(self._lock)
        self._job_locks: dict[str, threading.Lock] = {}
        self._followers: dict[tuple[str, str], _Follower] = {}
        self._queue: queue.Queue[tuple[str, str, str, Line | None]] = queue.Queue(_QUEUE_LINES)
        self._closing = threading.Event()
        self._writer = threading.Thread(target=self._write, name="vertex-local-logs", daemon=True)
        self._writer.start()

    # ---- reading containers ---------------------------------------------------------------

    def _job_lock(self, job_name: str) -> threading.Lock:
        with self._lock:
            return self._job_locks.setdefault(job_name, threading.Lock())

    def _since(self, job_id: str, task: str) -> int | None:
        last = self.store.last_ts(job_id, task)
        return None if last is None else max(last - 1_000, 0)  # re-read the last instant

    def _read_to_end(self, project: str, job_id: str, source: LogSource) -> None:
        lines = numbered(source.read(self._since(job_id, source.replica), follow=False))
        batch: list[Line] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= _BATCH_LINES:
                self.store.add(project, job_id, source.replica, batch)
                batch = []
        self.store.add(project, job_id, source.replica, batch)
        self.store.mark(project, job_id, source.replica, final=True)

    def _follow(self, key: tuple[str, str], project: str, follower: _Follower) -> None:
        job_id, task = key
        source = follower.source
        final = False
        try:
            for line in numbered(source.read(self._since(job_id, task), follow=True)):
                if follower.stopped:
                    return
                self._queue.put((project, job_id, task, line))
            final = not follower.stopped  # the stream ends when the container stops
        except Exception as err:
            if not follower.stopped and not isinstance(err, source.gone):
                log.exception("following the log of %s/%s failed", job_id, task)
            # else: removed, or the engine went away: finish() or the next sync reads the rest
        finally:
            if final:  # the writer marks it complete once the lines before are stored
                self._queue.put((project, job_id, task, None))
            with self._lock:
                if not final and self._followers.get(key) is follower:
                    del self._followers[key]
                self._stored.notify_all()

    def _ensure_follower(self, project: str, job_id: str, source: LogSource) -> _Follower:
        key = (job_id, source.replica)
        with self._lock:
            follower = self._followers.get(key)
            if follower is None:
                follower = self._followers[key] = _Follower(source)
                follower.thread = threading.Thread(
                    target=self._follow,
                    args=(key, project, follower),
                    name=f"vertex-local-log-{job_id}-{source.replica}",
                    daemon=True,
                )
                follower.thread.start()
            return follower

    def _write(self) -> None:
        while not (self._closing.is_set() and self._queue.empty()):
            try:
                first = self._queue.get(timeout=FLUSH_SECONDS)
            except queue.Empty:
                continue
            items = [first]
            while len(items) < _BATCH_LINES:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._store_items(items)
            except Exception:
                log.exception("storing %d log lines failed", len(items))

    def _store_items(self, items: list[tuple[str, str, str, Line | None]]) -> None:
        groups: dict[tuple[str, str, str], list[Line]] = {}
        finals = []
        for project, job_id, task, line in items:
            if line is None:
                finals.append((project, job_id, task))
            else:
                groups.setdefault((project, job_id, task), []).append(line)
        stored = {key: self.store.add(*key, lines) for key, lines in groups.items()}
        for project, job_id, task in finals:
            self.store.mark(project, job_id, task, final=True)
        with self._lock:
            for (_, job_id, task), ts in stored.items():
                follower = self._followers.get((job_id, task))
                if follower is not None:
                    follower.stored_ts = max(follower.stored_ts, ts)
            for _, job_id, task in finals:
                follower = self._followers.pop((job_id, task), None)
                if follower is not None:
                    follower.complete = True
            self._stored.notify_all()

    # ---- what readers call ----------------------------------------------------------------

    def sync(self, job_name: str, sources: Sequence[LogSource], settle: bool) -> dict[str, int]:
        """Catch the store up with the job's containers.

        Stopped replicas are read to their end; running ones are followed. With
        ``settle``, returns each incomplete replica's horizon (module docstring):
        every line it wrote before that time is stored; a complete replica is not
        in it. Without, returns an empty dict at once.
        """
        project, job_id = job_parts(job_name)
        horizons: dict[str, int] = {}
        waits: list[tuple[str, _Follower, bool]] = []  # (replica, follower, still running)
        with self._job_lock(job_name):
            complete = self.store.replicas(job_id)
            if not sources and not complete:
                self._import_saved_files(project, job_id)
            for source in sources:
                if complete.get(source.replica):
                    continue
                if not source.started:
                    self.store.mark(project, job_id, source.replica, final=False)
                    horizons[source.replica] = time.time_ns() - SETTLE_NS
                elif source.live:
                    follower = self._ensure_follower(project, job_id, source)
                    waits.append((source.replica, follower, True))
                else:
                    with self._lock:
                        ending = self._followers.get((job_id, source.replica))
                    if ending is not None:  # it reaches the end by itself
                        waits.append((source.replica, ending, False))
                        continue
                    try:
                        self._read_to_end(project, job_id, source)
                    except source.gone:
                        pass  # removed meanwhile: finish() stored it
        if not settle:
            return {}
        for replica, follower, running in waits:  # other readers of the job go on meanwhile
            edge = (
                self._settle(follower) if running else self._complete(follower, SETTLE_WAIT_SECONDS)
            )
            if edge is not None:
                horizons[replica] = edge
        return horizons

    def _settle(self, follower: _Follower) -> int:
        asked = time.time_ns()
        try:
            newest = follower.source.newest_ns()
        except follower.source.gone:
            newest = None
        deadline = time.monotonic() + SETTLE_WAIT_SECONDS
        with self._lock:
            while newest is not None and follower.stored_ts < newest:
                alive = follower.thread is not None and follower.thread.is_alive()
                if not alive or time.monotonic() > deadline:
                    return follower.stored_ts + 1  # complete up to what is stored
                self._stored.wait(0.05)
        # Stored in file order up to its newest line; before ``asked - SETTLE_NS`` nothing
        # can still be on its way.
        return max(asked - SETTLE_NS, (newest or 0) + 1)

    def _complete(self, follower: _Follower, seconds: float) -> int | None:
        """Wait for a stopped container's follower to store its last line: None once it
        has, else the horizon of what it stored so far."""
        deadline = time.monotonic() + seconds
        with self._lock:
            while not follower.complete and follower.reading() and time.monotonic() < deadline:
                self._stored.wait(0.05)
            return None if follower.complete else follower.stored_ts + 1

    def finish(self, job_name: str, sources: Sequence[LogSource]) -> None:
        """Store every line of the job's containers now (they are about to be removed)."""
        project, job_id = job_parts(job_name)
        for source in sources:  # the followers of stopped containers finish by themselves
            with self._lock:
                follower = self._followers.get((job_id, source.replica))
            if follower is not None and not source.live:
                self._complete(follower, FINISH_WAIT_SECONDS)
        with self._job_lock(job_name):
            for source in sources:
                with self._lock:
                    follower = self._followers.get((job_id, source.replica))
                if follower is not None and not follower.complete:
                    follower.stopped = True  # still running (a server the job no longer needs)
                    follower.source.close()
                if self.store.replicas(job_id).get(source.replica):
                    continue
                try:
                    self._read_to_end(project, job_id, source)
                except source.gone as err:
                    log.warning(
                        "the log of %s/%s was gone before it was stored: %s",
                        job_id,
                        source.replica,
                        err,
                    )

    def _import_saved_files(self, project: str, job_id: str) -> None:
        # Data dirs from before the store kept each replica's log as <job id>/<replica>.log
        # (no times, no streams): they become stdout lines stamped with the file's mtime.
        folder = self.data_dir / "logs" / job_id
        for path in sorted(folder.glob("*.log")) if folder.is_dir() else []:
            stamp = path.stat().st_mtime_ns
            with path.open("rb") as f:
                texts = [raw.rstrip(b"\n").decode("utf-8", "replace") for raw in f]
            lines = [(1, stamp, i, text) for i, text in enumerate(texts)]
            self.store.add(project, job_id, path.stem, lines)
            self.store.mark(project, job_id, path.stem, final=True)

    def replicas(self, job_name: str) -> set[str]:
        """The replicas the store knows for the job."""
        return set(self.store.replicas(job_parts(job_name)[1]))

    def lines(
        self,
        job_name: str,
        replica: str,
        horizon: int | None,
        refresh: Callable[[], Sequence[LogSource]] | None = None,
    ) -> Iterator[str]:
        """A replica's stored lines older than ``horizon`` (all: None), in time order.

        With ``refresh`` (the job's containers, listed again), new lines follow until
        the replica is complete: its container stopped and was read to the end, or is gone.
        """
        job_id = job_parts(job_name)[1]
        cursor: tuple[int, int] | None = None
        while True:
            while True:
                rows = self.store.ordered(job_id=job_id, task=replica, after=cursor, ts_end=horizon)
                for row in rows:
                    yield row.text
                if rows:
                    cursor = (rows[-1].ts_ns, rows[-1].rowid)
                if len(rows) < 1000:
                    break
            if refresh is None or horizon is None or self._closing.wait(0.2):
                return
            sources = refresh()
            horizon = self.sync(job_name, sources, settle=True).get(replica)
            if all(s.replica != replica for s in sources):
                horizon = None  # no container any more: what is stored is all there is

    def close(self) -> None:
        """Stop following, store what is queued, close the store."""
        self._closing.set()
        with self._lock:
            followers = list(self._followers.values())
        for follower in followers:
            follower.stopped = True
            follower.source.close()
        self._writer.join(timeout=10)
        self.store.close()


_collectors: dict[Path, Collector] = {}
_collectors_lock = threading.Lock()


def collector_for(data_dir: Path) -> Collector:
    """The process's collector of a data dir (created on first use)."""
    key = Path(data_dir).resolve()
    with _collectors_lock:
        found = _collectors.get(key)
        if found is None or found._closing.is_set():
            found = _collectors[key] = Collector(key)
        return found


def close_collector(data_dir: Path) -> None:
    """Close the data dir's collector, if this process has one."""
    with _collectors_lock:
        found = _collectors.pop(Path(data_dir).resolve(), None)
    if found is not None:
        found.close()
