"""Jobs requested against jobs created under injected faults; prints, asserts nothing.

For each fault mix (none, 10% UNAVAILABLE, 20% mixed with lost responses, ...), one
in-process ``up`` of a program declaring N CustomJobs (wait="none") against an
emulator of its own with that FaultPlan; jobs run on a runner without containers
(tests/reliability/support.py: the figure is about the API path, not Docker). Prints
jobs requested, jobs created (duplicates would show here), faults injected, the
wall time and the time added against the median of the fault-free runs of the same
invocation (repeated before, between and after the mixes; their spread is printed).

Usage: ``.venv/bin/python bench/faults.py [--jobs 50] [--seed 1]``
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import pulumi

import pulumi_vertex_training as vt
from pulumi_vertex_training.client import EMULATOR_HOST_ENV
from pulumi_vertex_training.emulator.faults import FaultPlan
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.testing import ProgramRunner
from tests.reliability.support import (
    CONFIG,
    InstantRunner,
    list_all_jobs,
    no_cluster,
    trivial_job_spec,
)

MIXES: list[tuple[str, str]] = [
    ("none", ""),
    ("10% unavailable", "unavailable=0.1"),
    ("20% mixed + lost", "unavailable=0.06,deadline=0.04,lost=0.1"),
    ("30% mixed + lost", "unavailable=0.1,deadline=0.05,lost=0.15"),
    ("20% lost creates only", "lost=0.2,methods=create_custom_job"),
    ("10% + 5% rate-limited", "unavailable=0.1,ratelimited=0.05"),
    ("none + 20ms latency", "latency=20ms"),
]


def program(count: int) -> Callable[[], None]:
    """N trivial CustomJobs."""

    def run() -> None:
        for i in range(count):
            job = vt.CustomJob(f"job-{i}", job_spec=trivial_job_spec(str(i)), wait="none")
            pulumi.export(f"job-{i}", job.id)

    return run


def one_run(count: int, spec: str, seed: int) -> tuple[int, int, float, str]:
    """(jobs created, faults injected, seconds, error) for one up under ``spec``."""
    plan = FaultPlan.parse(f"{spec},seed={seed}" if spec else f"seed={seed}")
    with tempfile.TemporaryDirectory() as data_dir:
        server = EmulatorServer(
            pathlib.Path(data_dir),
            rest_port=None,
            runner=InstantRunner(),
            fault_hook=plan.hook if plan.active else None,
            build_job_run=no_cluster,
        ).start()
        os.environ[EMULATOR_HOST_ENV] = server.grpc_address
        error = ""
        started = time.perf_counter()
        try:
            ProgramRunner(program(count), config=CONFIG).up()
        except Exception as err:  # reported in the table, not raised
            error = f"{type(err).__name__}: {str(err)[:60]}"
        elapsed = time.perf_counter() - started
        created = len(list_all_jobs(server))
        server.stop()
    return created, plan.count(), elapsed, error


def main() -> None:
    """Print one row per fault mix."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    one_run(args.jobs, "", args.seed)  # warm-up: imports and first channels, not measured
    # The fault-free run is repeated (before, between and after the mixes): "added" is
    # against its median, and its spread says how much of "added" is noise.
    baselines: list[float] = []
    rows = []
    for i, (label, spec) in enumerate(MIXES):
        if i % 3 == 0:
            baselines.append(one_run(args.jobs, "", args.seed)[2])
        rows.append((label, *one_run(args.jobs, spec, args.seed)))
    baselines.append(one_run(args.jobs, "", args.seed)[2])
    baseline = statistics.median(baselines)
    spread = max(baselines) - min(baselines)

    print(f"{args.jobs} CustomJobs per up (wait='none'), seed {args.seed}\n")
    header = ("fault mix", "requested", "created", "faults", "wall s", "added s", "error")
    print(f"{header[0]:<24}{header[1]:>10}{header[2]:>9}{header[3]:>8}{header[4]:>8}"
          f"{header[5]:>9}  {header[6]}")  # fmt: skip
    for label, created, injected, elapsed, error in rows:
        print(f"{label:<24}{args.jobs:>10}{created:>9}{injected:>8}{elapsed:>8.2f}"
              f"{elapsed - baseline:>+9.2f}  {error}")  # fmt: skip
    print(
        f"\nfault-free baseline: median {baseline:.2f}s of {len(baselines)} runs "
        f"(spread {spread:.2f}s: an 'added' within it is noise)"
    )


if __name__ == "__main__":
    main()
