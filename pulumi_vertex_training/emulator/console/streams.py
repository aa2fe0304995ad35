"""A job's replica logs as server-sent events, following them while the job runs.

One stream per job page carries every replica (browsers allow six connections per host
over HTTP/1.1: one stream per replica would starve the page). Each replica is read by a
daemon thread through the runner's ``logs(job, replica, follow=True)``; lines reach the
event loop through a bounded queue, so a fast writer waits for a slow reader instead of
filling memory. Events::

    id: workerpool0-0:12,workerpool1-0:3      (lines sent so far, per replica)
    event: log
    data: {"replica": "workerpool0-0", "lines": ["..."]}

    event: end                                (the job ended and every log was read)

A reconnecting ``EventSource`` sends the last ``id`` back as ``Last-Event-ID`` and
the stream resumes after those lines. A replica with no container yet (the job is
queued or pending) is retried until it has one or the job ends. When the browser goes
away the threads stop at their next line (or when their container stops: a blocking
read of a silent container cannot be interrupted).
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

MAX_REPLICAS = 16
"""Replicas followed live on one page (the first ones, in replica order)."""
MAX_STREAMS = 32
"""Streams served at once; past that a stream sends :data:`BUSY` and ends."""
BUSY = "retry: 5000\n: too many log streams are open\n\n"
"""What a stream past :data:`MAX_STREAMS` sends: the EventSource reconnects in 5 s."""
_QUEUE_SIZE = 2000
_BATCH = 500
_KEEPALIVE_SECONDS = 15.0

Logs = Callable[[str, bool], Iterator[str]]
"""``logs(replica, follow)``: lines of one replica (raises when it has no log yet)."""
Ended = Callable[[], bool]
"""Whether the job has ended (or is gone)."""

_active = threading.BoundedSemaphore(MAX_STREAMS)


def parse_positions(text: str, replicas: Sequence[str]) -> dict[str, int]:
    """``{"workerpool0-0": 12}`` of ``workerpool0-0:12,...``; unknown or bad parts ignored."""
    positions = dict.fromkeys(replicas, 0)
    for part in text.split(","):
        name, _, count = part.strip().rpartition(":")
        if name in positions and count.isdigit():
            positions[name] = int(count)
    return positions


def _event_id(positions: dict[str, int]) -> str:
    return ",".join(f"{name}:{count}" for name, count in positions.items())


def try_acquire() -> bool:
    """Take one of the :data:`MAX_STREAMS` slots (release with :func:`release`)."""
    return _active.acquire(blocking=False)


def release() -> None:
    """Give back a slot taken by :func:`try_acquire`."""
    _active.release()


def _follow(
    replica: str,
    skip: int,
    logs: Logs,
    ended: Ended,
    out: queue.Queue[tuple[str, str | None]],
    stop: threading.Event,
) -> None:
    """Put ``(replica, line)`` for each line after the first ``skip``; ``(replica, None)`` last."""
    seen = 0
    pause = 0.3

    def put(item: tuple[str, str | None]) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    try:
        while not stop.is_set():
            finished = ended()  # read before the log: lines written until then are in it
            try:
                for line in logs(replica, not finished):
                    seen += 1
                    if seen > skip and not put((replica, line)):
                        return
                    if stop.is_set():
                        return
            except Exception:  # no container or saved log yet (queued, pending)
                pass
            if finished:
                return
            skip, seen = max(skip, seen), 0
            stop.wait(pause)
            pause = min(pause * 1.5, 3.0)  # an exited replica of a running job: read less
    finally:
        put((replica, None))


async def events(
    replicas: Sequence[str],
    positions: dict[str, int],
    logs: Logs,
    ended: Ended,
) -> AsyncIterator[str]:
    """The event stream (see the module docstring); stops its threads when closed."""
    out: queue.Queue[tuple[str, str | None]] = queue.Queue(_QUEUE_SIZE)
    stop = threading.Event()
    for replica in replicas:
        threading.Thread(
            target=_follow,
            args=(replica, positions[replica], logs, ended, out, stop),
            name=f"vertex-local-console-logs-{replica}",
            daemon=True,
        ).start()
    open_replicas = set(replicas)
    last_sent = time.monotonic()
    try:
        yield "retry: 2000\n\n"
        while open_replicas:
            batch: dict[str, list[str]] = {}
            for _ in range(_BATCH):
                try:
                    replica, line = out.get_nowait()
                except queue.Empty:
                    break
                if line is None:
                    open_replicas.discard(replica)
                else:
                    batch.setdefault(replica, []).append(line)
            for replica, lines in batch.items():
                positions[replica] += len(lines)
                data = json.dumps({"replica": replica, "lines": lines}, ensure_ascii=False)
                yield f"id: {_event_id(positions)}\nevent: log\ndata: {data}\n\n"
                last_sent = time.monotonic()
            if not batch:
                if time.monotonic() - last_sent > _KEEPALIVE_SECONDS:
                    yield ": keepalive\n\n"
                    last_sent = time.monotonic()
                await asyncio.sleep(0.1)
        yield "event: end\ndata: {}\n\n"
    finally:
        stop.set()
