"""One emulator per data dir: an exclusive lock held while it serves.

Two emulators on one data dir would each reconcile the other's jobs: the second
one's start takes the first one's fresh job networks and containers for leftovers
and removes them, and the first one's job fails ("network ... not found"). The
pid file cannot prevent it: it is written once the emulator serves, can be stale
after a crash, and its pid may belong to another process by then.

The lock is an ``flock`` on ``emulator.lock`` in the data dir. The kernel drops it
when the holder exits, however it exits (SIGKILL included), so a crashed emulator
never blocks the next one; the file holds the holder's pid, for the messages.
"""

from __future__ import annotations

import fcntl
import os
import pathlib

LOCK_FILE = "emulator.lock"


def who(pid: int | None) -> str:
    """``"emulator (pid N)"``, or ``"emulator"`` when the pid is not known (0 or None)."""
    return f"emulator (pid {pid})" if pid else "emulator"


class DataDirInUse(Exception):
    """Another emulator serves the data dir; the message names its pid and what to do."""

    def __init__(self, data_dir: pathlib.Path, pid: int | None) -> None:
        super().__init__(
            f"another {who(pid)} serves {data_dir}; stop it first (vertex-local stop --data-dir "
            f"{data_dir}) or pass another --data-dir"
        )
        self.data_dir, self.pid = data_dir, pid


class DataDirLock:
    """The held lock of one data dir; :meth:`release` (or the process's exit) frees it.

    Example::

        lock = DataDirLock.acquire(data_dir)  # raises DataDirInUse when it is taken
        try:
            ...  # serve
        finally:
            lock.release()
    """

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, data_dir: pathlib.Path) -> DataDirLock:
        """Take the data dir's lock without waiting. Raises DataDirInUse."""
        fd = _open(data_dir)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _pid_in(fd)
            os.close(fd)
            raise DataDirInUse(data_dir, pid) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        return cls(fd)

    def release(self) -> None:
        """Free the lock (idempotent)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def holder(data_dir: pathlib.Path) -> int | None:
    """The pid of the emulator serving ``data_dir`` (0 when it is not known), or None
    when none does. Does not create the data dir."""
    if not (data_dir / LOCK_FILE).exists():
        return None
    fd = _open(data_dir)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _pid_in(fd) or 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _open(data_dir: pathlib.Path) -> int:
    # Not inherited (Python's default): a job's docker child must not keep the lock.
    return os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)


def _pid_in(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
