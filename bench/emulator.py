"""Benchmark of the local Vertex AI (``vertex-local``); prints figures, asserts nothing.

The emulator runs in a process of its own, as users run it; each figure is printed
next to a baseline measured in the same run:

1. the machine (cores, load average: the figures scale with it) and the engine's
   storage driver; ``docker run --rm IMAGE true`` (the baseline);
2. a one-replica job: submit -> RUNNING (a trainer that sleeps and exits on SIGTERM,
   then cancelled) and submit -> SUCCEEDED (``true``), each job finished and its
   containers gone before the next pair starts; a second baseline is a new network
   and ``docker run --rm`` on it (the engine's share of a job: a replica needs both);
3. a 4-pool distributed job (one replica per pool), the same way (the second
   baseline: a new network and 4 ``docker run`` at once on it);
4. 20 running jobs: idle CPU of the emulator process and of dockerd (against both
   with no job); GetCustomJob with 50 concurrent clients back to back, p50/p99,
   against a no-op gRPC server of the same kind (the floor of any Python gRPC
   server on this machine), and with the 50 clients each calling every 50 ms;
5. ``vertex-local jobs``, ``status`` and ``--help`` wall time;
6. ListCustomJobs (first page of 100) at 5,000 jobs, on an emulator whose runner
   runs no containers (``--serve-fake``: the figure is about the API path);
7. load: 50 concurrent create loops + 50 Get loops for 30 s (loopback, runner
   without containers): jobs created, errors, Get p50/p99, RSS and open fds.

Usage: ``.venv/bin/python bench/emulator.py [--quick]`` (needs the Docker engine and
``local/python:3.11``: scripts/services.sh). ``--quick`` runs everything small (< 1 min).
The emulator code measured is the one on ``PYTHONPATH`` (the children run from ``/``):
``PYTHONPATH=/tmp/old-checkout python bench/emulator.py`` measures an older commit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if len(sys.argv) == 3 and sys.argv[1] in ("--serve-fake", "--serve-noop"):  # EmulatorProcess
    import emulator_children

    fake = sys.argv[1] == "--serve-fake"
    (emulator_children.serve_fake if fake else emulator_children.serve_noop)(Path(sys.argv[2]))
    sys.exit(0)

from emulator_support import (
    LABEL_INSTANCE_ID,
    LABEL_JOB_NAME,
    NEUTRAL_CWD,
    EmulatorProcess,
    RawJobs,
    cpu_percent,
    docker_run_rm_seconds,
    docker_runs_rm_seconds,
    instance_id,
    job_client,
    median,
    ms,
    open_fds,
    paced_loops,
    percentile,
    pid_of,
    remove_own,
    rss_mib,
    storage_driver,
    timed_loops,
    wait_gone,
)
from google.cloud.aiplatform_v1 import JobState

IMAGE = "local/python:3.11"
PARENT = "projects/bench/locations/us-central1"
QUICK = ["true"]
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]  # exits at once on SIGTERM
S = JobState


@dataclass(frozen=True)
class Sizes:
    runs: int
    distributed_runs: int
    running_jobs: int
    idle_seconds: float
    clients: int
    get_seconds: float
    list_jobs: int
    load_threads: int
    load_seconds: float
    cli_runs: int


FULL = Sizes(5, 3, 20, 10, 50, 5, 5000, 50, 30, 3)
SMALL = Sizes(2, 1, 3, 1.0, 10, 1.0, 200, 10, 3, 1)


def pool(command: list[str]) -> dict[str, Any]:
    return {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "container_spec": {"image_uri": IMAGE, "command": command},
    }


def job(primary: list[str], pools: int = 1) -> dict[str, Any]:
    others = [pool(SLEEPER) for _ in range(pools - 1)]
    return {"display_name": "bench", "job_spec": {"worker_pool_specs": [pool(primary), *others]}}


def wait_state(client: Any, name: str, states: tuple[int, ...], timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while True:
        got = client.get_custom_job(name=name)
        if got.state in states:
            return int(got.state)
        if got.state in (S.JOB_STATE_FAILED, S.JOB_STATE_CANCELLED) or time.monotonic() > deadline:
            raise RuntimeError(f"{name} is {got.state.name}: {got.error.message}")
        time.sleep(0.005)


def submit_until(client: Any, spec: dict[str, Any], state: int) -> tuple[float, str]:
    """Seconds from CreateCustomJob until GetCustomJob answers ``state``; and the job name."""
    start = time.perf_counter()
    name = client.create_custom_job(parent=PARENT, custom_job=spec).name
    wait_state(client, name, (state,))
    return time.perf_counter() - start, name


def finish(client: Any, name: str, cancel: bool) -> None:
    """Let the job end (cancel it first if asked) and its containers and network go."""
    if cancel:
        client.cancel_custom_job(name=name)
        wait_state(client, name, (S.JOB_STATE_CANCELLED,))
    wait_gone(f"{LABEL_JOB_NAME}={name}")


def job_latencies(client: Any, runs: int, pools: int) -> None:
    base, parallel, running, succeeded = [], [], [], []
    for _ in range(runs):  # interleaved, so each sees the same engine load
        base.append(docker_run_rm_seconds(IMAGE))
        parallel.append(docker_runs_rm_seconds(IMAGE, pools))
        seconds, name = submit_until(client, job(SLEEPER, pools), S.JOB_STATE_RUNNING)
        running.append(seconds)
        finish(client, name, cancel=True)
        seconds, name = submit_until(client, job(QUICK, pools), S.JOB_STATE_SUCCEEDED)
        succeeded.append(seconds)
        finish(client, name, cancel=False)
    b = median(base)
    print(f"  docker run --rm {IMAGE} true: {ms(b)}")
    what = "it" if pools == 1 else f"{pools} of them at once"
    print(f"  a new network and {what} on it: {ms(median(parallel))} (the engine's share of a job)")
    for label, values in (("submit -> RUNNING", running), ("submit -> SUCCEEDED", succeeded)):
        m = median(values)
        print(f"  {label:<20} {ms(m)}  ({(m - b) * 1000:+.0f} ms vs baseline, x{m / b:.2f})")


def get_latency(root: Path, address: str, name: str, sizes: Sizes) -> None:
    clients, seconds = sizes.clients, sizes.get_seconds
    spec = job(SLEEPER)["job_spec"]
    (root / "noop").mkdir(exist_ok=True)
    (root / "noop" / "job.json").write_text(json.dumps(spec))
    noop = EmulatorProcess.noop(root / "noop")
    try:
        figures = {}
        for who, where in (("vertex-local", address), ("no-op gRPC server", noop.grpc_address)):
            figures[who] = timed_loops(
                clients, seconds, lambda _, a=where: RawJobs(a), lambda c, _: c.get(name)
            )
    finally:
        noop.stop()
    print(f"  GetCustomJob, {clients} clients (own channels) back to back for {seconds:g}s:")
    for who, (lat, errors) in figures.items():
        print(f"    {who:<18} {len(lat) / seconds:6.0f}/s, p50 {ms(percentile(lat, 0.5))}, "
              f"p99 {ms(percentile(lat, 0.99))}, errors {errors}")  # fmt: skip
    every = 0.05
    lat, errors = paced_loops(
        clients, seconds, every, lambda _: RawJobs(address), lambda c, _: c.get(name)
    )
    print(f"  GetCustomJob, {clients} clients each every {every * 1000:g} ms "
          f"({clients / every:.0f}/s offered): p50 {ms(percentile(lat, 0.5))}, "
          f"p99 {ms(percentile(lat, 0.99))}, errors {errors}")  # fmt: skip


def running_jobs(em: EmulatorProcess, client: Any, sizes: Sizes) -> None:
    dockerd = pid_of("dockerd")
    idle = cpu_percent({"emulator": em.pid, "dockerd": dockerd}, sizes.idle_seconds)
    names = [
        client.create_custom_job(parent=PARENT, custom_job=job(SLEEPER)).name
        for _ in range(sizes.running_jobs)
    ]
    for name in names:
        wait_state(client, name, (S.JOB_STATE_RUNNING,))
    time.sleep(2)  # idle: past the brisk polls that follow containers starting
    busy = cpu_percent({"emulator": em.pid, "dockerd": dockerd}, sizes.idle_seconds)
    print(f"  CPU over {sizes.idle_seconds:g}s (% of one core), no job -> "
          f"{sizes.running_jobs} running jobs:")  # fmt: skip
    for who in busy:
        print(f"    {who:<9} {idle[who]:6.1f}% -> {busy[who]:6.1f}%")
    get_latency(em.data_dir.parent, em.grpc_address, names[0], sizes)
    for name in names:
        client.cancel_custom_job(name=name)
    for name in names:
        finish(client, name, cancel=False)


def cli_seconds(*args: str, runs: int = 3) -> tuple[float, int]:
    """Median wall time of ``vertex-local ARGS`` and the lines it printed."""
    times, lines = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "pulumi_vertex_training.emulator", *args],
            capture_output=True,
            text=True,
            cwd=NEUTRAL_CWD,
        )
        times.append(time.perf_counter() - start)
        lines = len(out.stdout.splitlines())
    return median(times), lines


def cli_figures(em: EmulatorProcess, runs: int) -> None:
    port = em.grpc_address.rsplit(":", 1)[1]
    jobs, lines = cli_seconds("jobs", "--port", port, runs=runs)
    status, _ = cli_seconds("status", "--data-dir", str(em.data_dir), runs=runs)
    helps, _ = cli_seconds("--help", runs=runs)
    print(f"  vertex-local jobs ({lines - 1} jobs): {ms(jobs)}; status: {ms(status)}; "
          f"--help: {ms(helps)}")  # fmt: skip


def docker_phases(root: Path, sizes: Sizes) -> None:
    em = EmulatorProcess.cli(root / "docker")
    ident = instance_id(em.data_dir)
    try:
        client = job_client(em.grpc_address)
        print(f"one-replica job, median of {sizes.runs} (each pair after the last job ended):")
        job_latencies(client, sizes.runs, 1)
        print(f"4-pool distributed job (4 replicas), median of {sizes.distributed_runs}:")
        job_latencies(client, sizes.distributed_runs, 4)
        print(f"{sizes.running_jobs} running jobs:")
        running_jobs(em, client, sizes)
        print("CLI:")
        cli_figures(em, sizes.cli_runs)
    finally:
        em.stop()
        wait_gone(f"{LABEL_INSTANCE_ID}={ident}", timeout=10)
        remove_own(ident)


def seed(address: str, count: int) -> float:
    """Create ``count`` jobs from 8 threads; returns creates per second."""
    per = -(-count // 8)
    start = time.perf_counter()

    def work(n: int) -> None:
        c = RawJobs(address)
        for i in range(n):
            c.create(PARENT, {**job(QUICK), "labels": {"tenth": str(i % 10)}})
        c.close()

    threads = [threading.Thread(target=work, args=(min(per, count - k * per),)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - start)


def list_phase(root: Path, sizes: Sizes) -> None:
    em = EmulatorProcess.fake(root / "list")
    try:
        rate = seed(em.grpc_address, sizes.list_jobs)
        raw = RawJobs(em.grpc_address)
        print(f"  {sizes.list_jobs} jobs created through gRPC at {rate:.0f}/s (8 clients)")
        for label, flt in (("newest 100", ""), ("filter labels.tenth=3", "labels.tenth=3")):
            times = []
            for _ in range(20):
                start = time.perf_counter()
                page = raw.list(PARENT, 100, flt)
                times.append(time.perf_counter() - start)
            print(f"  ListCustomJobs {label} ({len(page.custom_jobs)} jobs): "
                  f"median {ms(median(times))}, max {ms(max(times))}")  # fmt: skip
        jobs, lines = cli_seconds("jobs", "--port", em.grpc_address.rsplit(":", 1)[1], runs=1)
        print(f"  vertex-local jobs ({lines - 1} jobs): {ms(jobs)}")
    finally:
        em.stop()


def load_phase(root: Path, sizes: Sizes) -> None:
    em = EmulatorProcess.fake(root / "load")
    try:
        raw = RawJobs(em.grpc_address)
        target = raw.create(PARENT, job(QUICK)).name
        rss, fds = rss_mib(em.pid), open_fds(em.pid)
        results: dict[str, tuple[list[float], int]] = {}

        def creates() -> None:
            results["create"] = timed_loops(
                sizes.load_threads, sizes.load_seconds,
                lambda _: RawJobs(em.grpc_address), lambda c, _: c.create(PARENT, job(QUICK)),
            )  # fmt: skip

        def gets() -> None:
            results["get"] = timed_loops(
                sizes.load_threads, sizes.load_seconds,
                lambda _: RawJobs(em.grpc_address), lambda c, _: c.get(target),
            )  # fmt: skip

        threads = [threading.Thread(target=creates), threading.Thread(target=gets)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(1)
        created, create_errors = results["create"]
        got, get_errors = results["get"]
        print(f"  {sizes.load_threads} create loops + {sizes.load_threads} Get loops for "
              f"{sizes.load_seconds:g}s: {len(created)} jobs created, errors "
              f"{create_errors + get_errors}; create p50 {ms(percentile(created, 0.5))}; "
              f"{len(got)} Gets, p50 {ms(percentile(got, 0.5))}, "
              f"p99 {ms(percentile(got, 0.99))}")  # fmt: skip
        print(f"  emulator RSS {rss:.0f} -> {rss_mib(em.pid):.0f} MiB, open fds {fds} -> "
              f"{open_fds(em.pid)}")  # fmt: skip
    finally:
        em.stop()


def emulator_code() -> str:
    """Where the measured emulator code comes from (the children import it the same way)."""
    found = subprocess.run(
        [sys.executable, "-c", "import pulumi_vertex_training as p; print(p.__path__[0])"],
        capture_output=True, text=True, cwd=NEUTRAL_CWD,
    )  # fmt: skip
    return found.stdout.strip() or found.stderr.strip()[-200:]


def main() -> None:
    """Run every figure and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="everything small (< 1 min)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sizes = SMALL if args.quick else FULL
    root = Path(tempfile.mkdtemp(prefix="vertex-bench-"))
    started = time.monotonic()
    load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, {load}; emulator code: {emulator_code()}")
    try:
        print(f"storage driver: {storage_driver()}", flush=True)
        docker_phases(root, sizes)
        print(f"ListCustomJobs at {sizes.list_jobs} jobs (runner without containers):")
        list_phase(root, sizes)
        print("load (runner without containers):")
        load_phase(root, sizes)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    print(f"bench took {time.monotonic() - started:.0f}s; {load}")


if __name__ == "__main__":
    main()
