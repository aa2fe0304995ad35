"""Replica logs: the copies ``cleanup`` saves, and reading lines live or saved (no docker).

``cleanup`` saves each replica's full log as ``<data dir>/logs/<job id>/<replica>.log``
before removing its container, so ``vertex-local logs`` still answers after a
job is gone. Reading a live container's log falls back to that copy when the
container is removed mid-read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pulumi_vertex_training.emulator.exceptions import NotFound
from pulumi_vertex_training.emulator.execution.names import replica_order


def log_dir(data_dir: Path, job_id: str) -> Path:
    """The folder of a job's saved logs."""
    return data_dir / "logs" / job_id


def save_log(data_dir: Path, job_id: str, replica: str, log: bytes) -> None:
    """Save one replica's full log under ``log_dir`` (replacing an earlier copy)."""
    folder = log_dir(data_dir, job_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{replica}.log").write_bytes(log)


def file_lines(path: Path) -> Iterator[str]:
    """Lines (without the newline) of a saved log."""
    with path.open("rb") as f:
        for line in f:
            yield line.rstrip(b"\n").decode("utf-8", "replace")


def stream_lines(
    open_stream: Callable[[], Iterable[bytes]],
    saved: Path,
    gone: tuple[type[BaseException], ...],
) -> Iterator[str]:
    """Lines of a live log, finishing from the saved copy if the container goes away.

    Args:
        open_stream: opens the container's log as byte chunks (called on the
            first ``next``, so opening errors are handled like reading errors).
        saved: where ``cleanup`` saves this replica's log.
        gone: the errors meaning the container was removed while being read.
    """
    pending = b""
    seen = 0
    try:
        for chunk in open_stream():
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                seen += 1
                yield line.decode("utf-8", "replace")
    except gone:
        # Removed while we read (cleanup saved its log first): finish from the copy.
        pending = b""
        if saved.is_file():
            for i, text in enumerate(file_lines(saved)):
                if i >= seen:
                    yield text
    if pending:
        yield pending.decode("utf-8", "replace")


def replica_not_found(job_name: str, replica: str, live: Iterable[str], saved: Path) -> NotFound:
    """The error for a replica with neither a container nor a saved log; lists those that exist."""
    known = sorted(
        set(live) | ({p.stem for p in saved.glob("*.log")} if saved.is_dir() else set()),
        key=replica_order,
    )
    if not known:
        return NotFound(f"no logs for {job_name}: it has no containers and no saved logs")
    return NotFound(f"replica {replica!r} of {job_name} not found; replicas: {', '.join(known)}")
