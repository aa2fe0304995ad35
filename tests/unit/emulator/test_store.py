"""The SQLite store: insertion order kept by a durable counter, across restarts and old files."""

from __future__ import annotations

import pathlib
import sqlite3

import pytest

from pulumi_vertex_training.emulator.store import Store, WriteBehindLock


def test_insertion_order_continues_after_reopen_when_documents_are_replaced_and_deleted(
    tmp_path: pathlib.Path,
) -> None:
    store = Store(tmp_path / "s.db")
    for name in ("a", "b", "c"):
        store.put("k", name, {"n": name})
    store.put("k", "a", {"n": "a2"})  # replacing keeps its place
    store.delete("k", "c")
    store.close()

    again = Store(tmp_path / "s.db")
    again.put("k", "c", {"n": "c2"})  # inserted again: last
    again.put("other", "z", {"n": "z"})

    assert again.list("k") == [{"n": "a2"}, {"n": "b"}, {"n": "c2"}]
    assert again.list("other") == [{"n": "z"}]
    again.close()


def test_documents_of_a_file_written_before_the_counter_keep_their_order_when_new_ones_come(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE resources (kind TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL,"
        " data TEXT NOT NULL, PRIMARY KEY (kind, name));"
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "INSERT INTO resources VALUES ('k', 'old-1', 7, '{\"n\": 1}');"
        "INSERT INTO resources VALUES ('k', 'old-2', 9, '{\"n\": 2}');"
        "INSERT INTO counters VALUES ('customJob', 2);"
    )
    db.commit()
    db.close()

    store = Store(path)
    store.put("k", "new", {"n": 3})

    assert store.list("k") == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert store.next_id("customJob") == 3
    store.close()


def test_next_id_starts_at_start_and_never_repeats_when_reopened(tmp_path: pathlib.Path) -> None:
    store = Store(tmp_path / "s.db")
    assert [store.next_id("op", start=5), store.next_id("op")] == [5, 6]
    store.close()
    again = Store(tmp_path / "s.db")
    assert again.next_id("op", start=5) == 7
    again.close()


def test_a_batch_whose_commit_failed_goes_out_with_the_next_one() -> None:
    applied: list[list[str]] = []
    fail = [True]

    def apply(batch: list[str]) -> None:
        if fail.pop() if fail else False:
            raise OSError("disk full")
        applied.append(batch)

    lock = WriteBehindLock(apply)
    with pytest.raises(OSError, match="disk full"), lock:
        lock.defer("a")
    with lock:
        lock.defer("b")
    with lock:  # a reader: nothing to write, nothing applied
        pass

    assert applied == [["a", "b"]]


def test_counters_only_grow_when_written_with_documents(tmp_path: pathlib.Path) -> None:
    store = Store(tmp_path / "s.db")
    store.write([("k", "a", {"n": 1})], counters={"ids": 7})
    store.write([("k", "b", {"n": 2})], counters={"ids": 5})

    assert store.counter("ids") == 7
    assert store.next_id("ids") == 8
    assert store.counter("absent") == 0
    store.close()
