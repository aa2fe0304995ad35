"""Replica logs as Docker keeps them, read for the log store (no ``import docker`` here).

Docker's logs endpoint (``GET /containers/{id}/logs``) answers, for a container
without a TTY (the runner never allocates one), frames of ``[stream, 0, 0, 0,
size (4 bytes, big endian)]`` followed by ``size`` bytes: one log message of
stdout (1) or stderr (2). With ``timestamps=1`` each message starts with the
time Docker read it from the container, RFC 3339 with nanoseconds and the
trailing zeros cut (``2026-01-02T03:04:05.12345Z``). A line longer than 16 KiB
comes as several messages, all but the last without the newline.

:class:`ContainerLog` reads one container that way over the engine's HTTP API
(the runner hands it its ``docker.APIClient``, a ``requests`` session), so one
connection carries both streams with their times, and ``since=`` resumes where
the store stopped. The store (``cloud_logging/``) keeps what is read; the
runner calls :func:`save_final` before removing a container and reads through
:func:`replica_lines` (``vertex-local logs``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pulumi_vertex_training.emulator.exceptions import NotFound
from pulumi_vertex_training.emulator.execution.names import replica_order

LogLine = tuple[int, int, str]
"""``(stream, nanoseconds since the epoch, text without the newline)``."""

_EXITED = frozenset({"exited", "dead"})
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
"""Seconds a read (not a follow) waits for the engine to send more."""


def frames(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(stream, payload)`` of each frame in Docker's multiplexed log stream."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        start = 0
        while len(buffer) - start >= 8:
            size = int.from_bytes(buffer[start + 4 : start + 8], "big")
            if len(buffer) - start < 8 + size:
                break
            yield buffer[start], bytes(buffer[start + 8 : start + 8 + size])
            start += 8 + size
        del buffer[:start]


def parse_time(stamp: bytes) -> int:
    """Nanoseconds since the epoch of Docker's RFC 3339 UTC stamp.

    >>> parse_time(b"1970-01-01T00:00:01.5Z")
    1500000000

    Raises:
        ValueError: not such a stamp.
    """
    import calendar

    if len(stamp) < 20 or stamp[4:5] != b"-" or stamp[10:11] not in (b"T", b"t"):
        raise ValueError(f"not a timestamp: {stamp[:40]!r}")
    fields = (stamp[0:4], stamp[5:7], stamp[8:10], stamp[11:13], stamp[14:16], stamp[17:19])
    seconds = calendar.timegm(tuple(int(f) for f in fields))
    fraction = stamp[20:].rstrip(b"Zz") if stamp[19:20] == b"." else b""
    return seconds * 1_000_000_000 + int(fraction.ljust(9, b"0")[:9] or b"0")


def lines(frame_iter: Iterable[tuple[int, bytes]]) -> Iterator[LogLine]:
    """Log lines of timestamped frames, joining the pieces of a line Docker split."""
    pending: dict[int, tuple[int, bytes]] = {}
    for stream, payload in frame_iter:
        stamp, _, message = payload.partition(b" ")
        try:
            ts = parse_time(stamp)
        except ValueError:  # not timestamped: keep the text, with the time of the last piece
            ts, message = pending.get(stream, (0, b""))[0], payload
        if stream in pending:
            first_ts, head = pending.pop(stream)
            ts, message = first_ts, head + message
        if not message.endswith(b"\n"):
            pending[stream] = (ts, message)
            continue
        yield stream, ts, message[:-1].decode("utf-8", "replace")
    for stream, (ts, message) in pending.items():  # the last line had no newline
        yield stream, ts, message.decode("utf-8", "replace")


class ContainerLog:
    """One replica container's log, read over the engine's HTTP API.

    Args:
        api: the runner's ``docker.APIClient`` (a ``requests.Session``).
        container_id: the container.
        replica: its replica name (``workerpool0-0``).
        state: Docker's state when listed (``created``, ``running``, ``exited``, ...).
        gone: the errors meaning the container or the engine went away while reading.
    """

    def __init__(
        self,
        api: Any,
        container_id: str,
        replica: str,
        state: str,
        gone: tuple[type[BaseException], ...] = (OSError,),
    ) -> None:
        self.api = api
        self.container_id = container_id
        self.replica = replica
        self.state = state
        self.gone = gone
        self._response: Any = None
        self._lock = threading.Lock()

    @property
    def live(self) -> bool:
        """Whether it may still write (it has not exited)."""
        return self.state not in _EXITED

    @property
    def started(self) -> bool:
        """Whether it ran at all (a ``created`` container has no log yet)."""
        return self.state != "created"

    def _get(self, params: dict[str, Any], read_timeout: float | None) -> Any:
        url = f"{self.api.base_url}/v{self.api.api_version}/containers/{self.container_id}/logs"
        response = self.api.get(
            url,
            params={"stdout": 1, "stderr": 1, "timestamps": 1, **params},
            stream=True,
            timeout=(CONNECT_TIMEOUT, read_timeout),
        )
        response.raise_for_status()
        return response

    def read(self, since_ns: int | None, follow: bool) -> Iterator[LogLine]:
        """Lines from ``since_ns`` on (every line when None); ``follow`` waits for more
        until the container stops or :meth:`close` is called."""
        params: dict[str, Any] = {"follow": int(follow)}
        if since_ns:
            params["since"] = f"{since_ns // 1_000_000_000}.{since_ns % 1_000_000_000:09d}"
        # Following waits for lines as long as the container is quiet; a plain read
        # gives up on an engine that stops answering.
        response = self._get(params, None if follow else READ_TIMEOUT)
        with self._lock:
            self._response = response
        try:
            yield from lines(frames(response.iter_content(chunk_size=None)))
        finally:
            with self._lock:
                self._response = None
            response.close()

    def newest_ns(self) -> int | None:
        """The time of the last line Docker holds for it (None: no line yet)."""
        response = self._get({"tail": 1}, READ_TIMEOUT)
        try:
            found = [ts for _, ts, _ in lines(frames(response.iter_content(chunk_size=None)))]
        finally:
            response.close()
        return found[-1] if found else None

    def close(self) -> None:
        """Stop a :meth:`read` with ``follow`` (it ends at its next line or at once)."""
        with self._lock:
            response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:  # closing from another thread: best effort
                pass


def save_final(data_dir: Path, job_name: str, sources: list[ContainerLog]) -> None:
    """Store every line of the job's containers before they are removed (``cleanup``)."""
    from pulumi_vertex_training.emulator.cloud_logging.collector import collector_for

    collector_for(data_dir).finish(job_name, sources)


def replica_lines(
    data_dir: Path,
    job_name: str,
    replica: str,
    list_sources: Callable[[], list[ContainerLog]],
    follow: bool = False,
) -> Iterator[str]:
    """One replica's lines from the log store, caught up with its container first;
    ``follow`` keeps reading until the container has stopped and every line is out.

    Raises:
        NotFound: the job has no replica of that name (the message lists those it has).
    """
    from pulumi_vertex_training.emulator.cloud_logging.collector import collector_for

    collector = collector_for(data_dir)
    sources = list_sources()
    horizons = collector.sync(job_name, list(sources), settle=True)
    known = collector.replicas(job_name) | {s.replica for s in sources}
    if replica not in known:
        raise replica_not_found(job_name, replica, known)
    refresh = (lambda: list(list_sources())) if follow else None
    return collector.lines(job_name, replica, horizons.get(replica), refresh)


def replica_not_found(job_name: str, replica: str, known: Iterable[str]) -> NotFound:
    """The error for a replica the job does not have; lists those it has."""
    names = sorted(set(known), key=replica_order)
    if not names:
        return NotFound(f"no logs for {job_name}: it has no containers and no saved logs")
    return NotFound(f"replica {replica!r} of {job_name} not found; replicas: {', '.join(names)}")
