"""Helpers for the reliability tests: emulators with faults, on the fake runner.

The properties under test here are API-level (no duplicate job after a lost response,
nothing lost across a restart, check() and the emulator agreeing): they live in the
emulator's RPC layer and store, not in Docker, so jobs run on
``tests.emulator.fake_runner.FakeRunner`` and succeed at once. Docker-backed runs are
covered in tests/emulator and tests/e2e.
"""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_vertex_training.client import EMULATOR_HOST_ENV
from pulumi_vertex_training.emulator.faults import FaultPlan
from pulumi_vertex_training.emulator.server import EmulatorServer, FaultHook
from tests.emulator.fake_runner import FakeRunner, no_cluster

PROJECT = "reliability-project"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
CONFIG = {"gcp:project": PROJECT, "gcp:region": LOCATION}


@contextlib.contextmanager
def fault_emulator(
    data_dir: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    plan: FaultPlan | None = None,
    runner: Any = None,
    rest: bool = False,
    hook: FaultHook | None = None,
) -> Iterator[EmulatorServer]:
    """An emulator of the test's own (own data dir, FakeRunner, ``plan`` or ``hook`` as
    fault hook), with ``VERTEX_AI_EMULATOR_HOST`` pointing at it for the test."""
    server = EmulatorServer(
        data_dir,
        rest_port=0 if rest else None,
        runner=runner or FakeRunner(),
        fault_hook=plan.hook if plan is not None else hook,
        build_job_run=no_cluster,
        poll_interval=0.05,
        persistent_resource_delay=0.05,
    )
    server.start()
    monkeypatch.setenv(EMULATOR_HOST_ENV, server.grpc_address)
    try:
        yield server
    finally:
        server.stop()


def trivial_job_spec(tag: str = "") -> dict[str, Any]:
    """A one-replica job_spec running a trivial command (never run by FakeRunner)."""
    return {
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1,
                "container_spec": {
                    "image_uri": "local/python:3.11",
                    "command": ["python", "-c", f"print('job {tag}')"],
                },
            }
        ]
    }


def list_all_jobs(server: EmulatorServer) -> list[Any]:
    """Every job the emulator stores, read from its backend (no RPC, so no faults)."""
    assert server.backend is not None
    jobs, token = [], ""
    while True:
        page, token = server.backend.list_custom_jobs(PARENT, page_size=100, page_token=token)
        jobs.extend(page)
        if not token:
            return jobs
