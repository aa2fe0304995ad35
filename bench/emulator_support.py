"""Plumbing of ``bench/emulator.py``: emulator processes, gRPC clients, /proc figures, Docker.

The emulator under test always runs in a process of its own (``vertex-local serve``,
or ``emulator.py --serve-fake`` for the runs that need no containers), so the
bench's client threads never share its interpreter. Which emulator code runs is
whatever ``PYTHONPATH`` points at: the same bench measures a baseline tree
(``git archive`` of an older commit) and the working tree alike.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from google.cloud import aiplatform_v1

NEUTRAL_CWD = "/"
"""Where the children run: ``python -m`` puts the working directory first on sys.path,
so from a checkout it would run that checkout's code, whatever PYTHONPATH says."""

LABEL_INSTANCE_ID = "dev.pulumi-vertex-training.instance-id"
LABEL_JOB_NAME = "dev.pulumi-vertex-training.job-name"
JOB_SERVICE = "/google.cloud.aiplatform.v1.JobService/"
_TICKS = os.sysconf("SC_CLK_TCK")


# ---- figures -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


# ---- /proc -------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def pid_of(command: str) -> int | None:
    """The pid of the first process whose comm is ``command`` (read only, never signalled)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    return int(entry.name)
            except OSError:
                continue
    return None


def cpu_percent(pids: dict[str, int | None], seconds: float) -> dict[str, float]:
    """Share of one core each process used over ``seconds`` of wall time."""
    before = {k: cpu_seconds(p) for k, p in pids.items() if p is not None}
    start = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - start
    return {k: 100 * (cpu_seconds(pids[k]) - v) / wall for k, v in before.items()}  # type: ignore[arg-type]


# ---- emulator processes ------------------------------------------------------------------


class EmulatorProcess:
    """An emulator serving in a child process; its addresses come from its pid file."""

    def __init__(self, command: list[str], data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=NEUTRAL_CWD,
        )
        self.grpc_address = ""
        self.rest_address: str | None = None

    @classmethod
    def cli(cls, data_dir: Path) -> EmulatorProcess:
        """``vertex-local serve`` (the Docker runner) on free ports."""
        # The "running jobs" figure holds 20 jobs at once: above the default cap of job
        # networks (16), which would keep 4 of them QUEUED.
        command = [
            sys.executable, "-m", "pulumi_vertex_training.emulator", "serve",
            "--port", "0", "--rest-port", "0", "--data-dir", str(data_dir),
            "--max-job-networks", "24",
        ]  # fmt: skip
        return cls(command, data_dir, data_dir.parent / f"{data_dir.name}.log").wait_ready()

    @classmethod
    def fake(cls, data_dir: Path) -> EmulatorProcess:
        """``emulator.py --serve-fake``: the same server, a runner without containers."""
        command = [sys.executable, str(Path(__file__).with_name("emulator.py")), "--serve-fake",
                   str(data_dir)]  # fmt: skip
        return cls(command, data_dir, data_dir.parent / f"{data_dir.name}.log").wait_ready()

    @classmethod
    def noop(cls, data_dir: Path) -> EmulatorProcess:
        """``emulator.py --serve-noop``: a gRPC server answering GetCustomJob with fixed bytes."""
        data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(Path(__file__).with_name("emulator.py")), "--serve-noop",
                   str(data_dir)]  # fmt: skip
        return cls(command, data_dir, data_dir.parent / f"{data_dir.name}.log").wait_ready()

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60) -> EmulatorProcess:
        deadline = time.monotonic() + timeout
        pid_file = self.data_dir / "emulator.pid"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited ({self.process.returncode}); see its log")
            try:
                info = json.loads(pid_file.read_text())
            except (OSError, ValueError):
                time.sleep(0.05)
                continue
            if info.get("pid") == self.pid:
                self.grpc_address = info["grpc_address"]
                self.rest_address = info.get("rest_address")
                grpc.channel_ready_future(grpc.insecure_channel(self.grpc_address)).result(30)
                return self
            time.sleep(0.05)
        raise RuntimeError("the emulator did not write its pid file in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# ---- clients -----------------------------------------------------------------------------


def job_client(address: str) -> Any:
    """Google's ``JobServiceClient`` over its own insecure channel (what users run)."""
    from google.cloud.aiplatform_v1.services.job_service.transports import (
        JobServiceGrpcTransport,
    )

    channel = grpc.insecure_channel(address)
    return aiplatform_v1.JobServiceClient(
        transport=JobServiceGrpcTransport(channel=channel, host=address)
    )


class RawJobs:
    """JobService over a bare gRPC channel: the lightest client, for latency figures."""

    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)
        v1 = aiplatform_v1
        self._get = self.channel.unary_unary(
            JOB_SERVICE + "GetCustomJob",
            request_serializer=v1.GetCustomJobRequest.pb().SerializeToString,
            response_deserializer=v1.CustomJob.pb().FromString,
        )
        self._list = self.channel.unary_unary(
            JOB_SERVICE + "ListCustomJobs",
            request_serializer=v1.ListCustomJobsRequest.pb().SerializeToString,
            response_deserializer=v1.ListCustomJobsResponse.pb().FromString,
        )
        self._create = self.channel.unary_unary(
            JOB_SERVICE + "CreateCustomJob",
            request_serializer=v1.CreateCustomJobRequest.pb().SerializeToString,
            response_deserializer=v1.CustomJob.pb().FromString,
        )

    def get(self, name: str) -> Any:
        return self._get(aiplatform_v1.GetCustomJobRequest.pb()(name=name), timeout=30)

    def list(self, parent: str, page_size: int = 100, filter: str = "") -> Any:
        request = aiplatform_v1.ListCustomJobsRequest.pb()(
            parent=parent, page_size=page_size, filter=filter
        )
        return self._list(request, timeout=60)

    def create(self, parent: str, job: dict[str, Any]) -> Any:
        request = aiplatform_v1.CreateCustomJobRequest(parent=parent, custom_job=job)
        return self._create(aiplatform_v1.CreateCustomJobRequest.pb(request), timeout=60)

    def close(self) -> None:
        self.channel.close()


def timed_loops(
    count: int, seconds: float, setup: Callable[[int], Any], call: Callable[[Any, int], None]
) -> tuple[list[float], int]:
    """``count`` threads calling ``call(state, i)`` back to back for ``seconds`` after a barrier.

    Returns every call's latency and the number of calls that raised.
    """
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def work(index: int) -> None:
        nonlocal errors
        state = setup(index)
        barrier.wait()
        mine, failed, i = [], 0, 0
        stop = time.perf_counter() + seconds
        while (now := time.perf_counter()) < stop:
            try:
                call(state, i)
                mine.append(time.perf_counter() - now)
            except Exception:
                failed += 1
            i += 1
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def paced_loops(
    count: int,
    seconds: float,
    every: float,
    setup: Callable[[int], Any],
    call: Callable[[Any, int], None],
) -> tuple[list[float], int]:
    """Like ``timed_loops``, but each thread calls once every ``every`` seconds (phases spread)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def work(index: int) -> None:
        nonlocal errors
        state = setup(index)
        barrier.wait()
        start = time.perf_counter() + every * index / count
        mine, failed, i = [], 0, 0
        while (tick := start + i * every) < start + seconds:
            time.sleep(max(0.0, tick - time.perf_counter()))
            now = time.perf_counter()
            try:
                call(state, i)
                mine.append(time.perf_counter() - now)
            except Exception:
                failed += 1
            i += 1
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


# ---- Docker ------------------------------------------------------------------------------


def docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def storage_driver() -> str:
    return docker("info", "--format", "{{.Driver}}")


def docker_run_rm_seconds(image: str, network: str = "") -> float:
    """Wall time of ``docker run --rm IMAGE true`` (create, start, exit, remove).

    On an engine started with ``--bridge=none`` that container has no network; a
    job's replicas are on a bridge network, which costs the engine ~0.1 s more each.
    """
    start = time.perf_counter()
    docker("run", "--rm", *(("--network", network) if network else ()), image, "true")
    return time.perf_counter() - start


def docker_runs_rm_seconds(image: str, count: int) -> float:
    """Wall time of a new bridge network and ``count`` concurrent ``docker run --rm IMAGE
    true`` on it: the engine's own share of starting a ``count``-replica job."""
    start = time.perf_counter()
    network = docker(
        "network", "create", "--label", "vertex-bench=1", f"vertex-bench-{os.getpid()}"
    )
    try:
        threads = [
            threading.Thread(target=docker_run_rm_seconds, args=(image, network))
            for _ in range(count)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start
    finally:
        docker("network", "rm", network)


def leftovers(label: str) -> tuple[list[str], list[str]]:
    """Ids of the containers and networks carrying ``label`` (``key=value``)."""
    containers = docker("ps", "-aq", "--filter", f"label={label}").split()
    networks = docker("network", "ls", "-q", "--filter", f"label={label}").split()
    return containers, networks


def wait_gone(label: str, timeout: float = 60) -> None:
    """Wait until no container or network carries ``label``."""
    deadline = time.monotonic() + timeout
    while any(leftovers(label)) and time.monotonic() < deadline:
        time.sleep(0.05)


def remove_own(instance_id: str) -> None:
    """Remove what the bench's own emulator left (by its instance label only)."""
    containers, networks = leftovers(f"{LABEL_INSTANCE_ID}={instance_id}")
    if containers:
        docker("rm", "-f", *containers)
    if networks:
        docker("network", "rm", *networks)


def instance_id(data_dir: Path) -> str:
    """The emulator's instance id (it labels the containers), read from its state."""
    import sqlite3

    db = sqlite3.connect(data_dir / "state.db")
    try:
        row = db.execute(
            "SELECT data FROM resources WHERE kind = 'meta' AND name = 'instance'"
        ).fetchone()
    finally:
        db.close()
    return str(json.loads(row[0])["instance_id"])
