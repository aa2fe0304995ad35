"""One emulator per data dir: the lock, its holder's pid, and its release on any exit."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

import pytest

from pulumi_vertex_training.emulator.data_dir_lock import DataDirInUse, DataDirLock, holder

_HOLD = """
import pathlib, sys
from pulumi_vertex_training.emulator.data_dir_lock import DataDirLock
DataDirLock.acquire(pathlib.Path(sys.argv[1]))
print("held", flush=True)
sys.stdin.read()
"""


def test_a_second_lock_on_the_data_dir_is_refused_naming_the_holder(tmp_path: pathlib.Path) -> None:
    lock = DataDirLock.acquire(tmp_path)
    try:
        assert holder(tmp_path) == os.getpid()
        with pytest.raises(DataDirInUse, match=rf"another emulator \(pid {os.getpid()}\) serves"):
            DataDirLock.acquire(tmp_path)
    finally:
        lock.release()
    assert holder(tmp_path) is None
    DataDirLock.acquire(tmp_path).release()  # free again


def test_a_data_dir_never_served_has_no_holder_and_is_left_as_it_is(tmp_path: pathlib.Path) -> None:
    assert holder(tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_the_lock_of_a_killed_emulator_is_free_for_the_next_one(tmp_path: pathlib.Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "held\n"
        assert holder(tmp_path) == process.pid
        with pytest.raises(DataDirInUse, match=rf"pid {process.pid}"):
            DataDirLock.acquire(tmp_path)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    assert holder(tmp_path) is None
    DataDirLock.acquire(tmp_path).release()
