"""The log store's intake, without Docker: frames, timestamps, followers, restarts, settling."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_vertex_training.emulator.cloud_logging.collector import Collector, numbered
from pulumi_vertex_training.emulator.execution.logs import frames, lines, parse_time


def _frame(stream: int, payload: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


def test_frames_survive_any_chunking() -> None:
    data = _frame(1, b"2026-01-02T03:04:05.1Z out\n") + _frame(2, b"2026-01-02T03:04:05Z err\n")
    for size in (1, 3, 8, 9, len(data)):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert list(frames(chunks)) == [
            (1, b"2026-01-02T03:04:05.1Z out\n"),
            (2, b"2026-01-02T03:04:05Z err\n"),
        ]


def test_lines_join_the_pieces_docker_splits_and_keep_the_first_time() -> None:
    base = parse_time(b"2026-01-02T03:04:05Z")
    got = list(
        lines(
            [
                (1, b"2026-01-02T03:04:05.000000001Z first half "),
                (2, b"2026-01-02T03:04:05.5Z an error\n"),
                (1, b"2026-01-02T03:04:05.000000002Z second half\n"),
                (1, b"2026-01-02T03:04:06Z no newline at the end"),
            ]
        )
    )
    assert got == [
        (2, base + 500_000_000, "an error"),
        (1, base + 1, "first half second half"),
        (1, base + 1_000_000_000, "no newline at the end"),
    ]


def test_docker_stamps_with_trimmed_zeros() -> None:
    assert parse_time(b"1970-01-01T00:00:01.000000001Z") == 1_000_000_001
    assert parse_time(b"1970-01-01T00:00:01.25Z") == 1_250_000_000
    assert parse_time(b"1970-01-01T00:00:01Z") == 1_000_000_000
    with pytest.raises(ValueError):
        parse_time(b"hello world")


def test_lines_of_one_instant_are_numbered_per_stream() -> None:
    got = list(numbered(iter([(1, 5, "a"), (1, 5, "b"), (2, 5, "c"), (1, 6, "d"), (1, 6, "e")])))
    assert got == [(1, 5, 0, "a"), (1, 5, 1, "b"), (2, 5, 0, "c"), (1, 6, 0, "d"), (1, 6, 1, "e")]


class FakeContainer:
    """A LogSource: lines appended by the test, read like Docker reads them."""

    gone = (OSError,)

    def __init__(self, replica: str = "workerpool0-0", state: str = "running") -> None:
        self.replica = replica
        self.state = state
        self.written: list[tuple[int, int, str]] = []
        self.reads: list[int | None] = []
        self._changed = threading.Condition()
        self._closed = False

    @property
    def live(self) -> bool:
        return self.state not in ("exited", "dead")

    @property
    def started(self) -> bool:
        return self.state != "created"

    def write(self, text: str, stream: int = 1) -> None:
        with self._changed:
            ts = max(time.time_ns(), self.written[-1][1] + 1 if self.written else 0)
            self.written.append((stream, ts, text))
            self._changed.notify_all()

    def exit(self) -> None:
        with self._changed:
            self.state = "exited"
            self._changed.notify_all()

    def read(self, since_ns: int | None, follow: bool) -> Iterator[tuple[int, int, str]]:
        self.reads.append(since_ns)
        i = 0
        while True:
            with self._changed:
                while follow and i >= len(self.written) and self.live and not self._closed:
                    self._changed.wait(0.05)
                batch = self.written[i:]
                i = len(self.written)
                done = not follow or not self.live or self._closed
            for line in batch:
                if since_ns is None or line[1] >= since_ns:
                    yield line
            if done:
                return

    def newest_ns(self) -> int | None:
        return self.written[-1][1] if self.written else None

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


JOB = "projects/p/locations/us-central1/customJobs/7"


def _texts(collector: Collector, horizon: int | None = None) -> list[str]:
    return list(collector.lines(JOB, "workerpool0-0", horizon))


def test_a_stopped_container_is_read_to_its_end_once(tmp_path: Path) -> None:
    collector = Collector(tmp_path)
    container = FakeContainer(state="exited")
    for i in range(3):
        container.write(f"line {i}", stream=1 + i % 2)
    try:
        assert collector.sync(JOB, [container], settle=True) == {}
        assert collector.sync(JOB, [container], settle=True) == {}
        assert container.reads == [None]  # complete: never read again
        assert _texts(collector) == ["line 0", "line 1", "line 2"]
        assert collector.store.replicas("7") == {"workerpool0-0": True}
    finally:
        collector.close()


def test_a_running_container_is_followed_and_settled_reads_see_every_line(tmp_path: Path) -> None:
    collector = Collector(tmp_path)
    container = FakeContainer()
    try:
        container.write("before")
        horizons = collector.sync(JOB, [container], settle=True)
        assert _texts(collector, horizons["workerpool0-0"]) == ["before"]
        for i in range(50):
            container.write(f"live {i}")
        horizons = collector.sync(JOB, [container], settle=True)
        assert len(container.reads) == 1  # one follower, one connection
        assert _texts(collector, horizons["workerpool0-0"]) == ["before"] + [
            f"live {i}" for i in range(50)
        ]
        container.exit()
        deadline = time.monotonic() + 10
        while not collector.store.replicas("7").get("workerpool0-0"):
            assert time.monotonic() < deadline, "the follower never saw the container stop"
            time.sleep(0.02)
    finally:
        collector.close()


def test_a_restarted_collector_resumes_without_duplicates(tmp_path: Path) -> None:
    container = FakeContainer()
    first = Collector(tmp_path)
    for i in range(5):
        container.write(f"line {i}")
    first.sync(JOB, [container], settle=True)
    first.close()  # the emulator stops; the container keeps writing
    for i in range(5, 8):
        container.write(f"line {i}")
    container._closed = False
    again = Collector(tmp_path)
    try:
        horizon = again.sync(JOB, [container], settle=True)["workerpool0-0"]
        assert container.reads[-1] is not None  # resumed from the newest stored line
        assert _texts(again, horizon) == [f"line {i}" for i in range(8)]
    finally:
        again.close()


def test_finish_stores_what_is_left_and_a_follow_read_ends_with_the_container(
    tmp_path: Path,
) -> None:
    collector = Collector(tmp_path)
    container = FakeContainer()
    try:
        container.write("one")
        horizons = collector.sync(JOB, [container], settle=True)
        followed: list[str] = []

        def refresh() -> list[FakeContainer]:
            return [container] if container.live else []

        reader = threading.Thread(
            target=lambda: followed.extend(
                collector.lines(JOB, "workerpool0-0", horizons["workerpool0-0"], refresh)
            )
        )
        reader.start()
        container.write("two")
        container.exit()
        collector.finish(JOB, [container])
        reader.join(timeout=10)
        assert not reader.is_alive()
        assert followed == ["one", "two"]
    finally:
        collector.close()


def test_logs_saved_as_files_by_earlier_versions_are_still_read(tmp_path: Path) -> None:
    saved = tmp_path / "logs" / "7"
    saved.mkdir(parents=True)
    (saved / "workerpool0-0.log").write_text("old 1\nold 2\n")
    collector = Collector(tmp_path)
    try:
        collector.sync(JOB, [], settle=True)
        assert _texts(collector) == ["old 1", "old 2"]
    finally:
        collector.close()
