"""Whole programs under faults: no duplicate job, no lost job, no resubmission.

Each test runs its own emulator (own data dir, ``VERTEX_AI_EMULATOR_HOST`` pointed at it
with monkeypatch). The in-process ones use ``FakeRunner`` (tests/reliability/support.py):
what is under test is API-level idempotency of create through label adoption, which
lives in the RPC layer and the store, not in Docker; fifty containers on vfs would take
minutes. The SIGKILL test runs a real ``vertex-local serve`` subprocess with Docker.
"""

from __future__ import annotations

import collections
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
import pulumi
import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training.client import EMULATOR_HOST_ENV
from pulumi_vertex_training.emulator.exceptions import EmulatorError
from pulumi_vertex_training.emulator.faults import FaultPlan
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.provider import custom_job_api
from pulumi_vertex_training.testing import ProgramRunner
from tests.emulator.fake_runner import FakeRunner, no_cluster
from tests.reliability.support import (
    CONFIG,
    PARENT,
    fault_emulator,
    list_all_jobs,
    trivial_job_spec,
)

JOB_COUNT = 50


def many_jobs(count: int, wait: str = "none") -> Callable[[], None]:
    """A program declaring ``count`` CustomJobs job-0..job-N (distinct specs)."""

    def program() -> None:
        for i in range(count):
            job = vt.CustomJob(f"job-{i}", job_spec=trivial_job_spec(str(i)), wait=wait)
            pulumi.export(f"job-{i}", job.id)

    return program


def assert_one_job_per_resource(stack: ProgramRunner, live: list[Any], count: int) -> None:
    """Exactly ``count`` jobs, one per resource, each the one the state records."""
    by_display = collections.Counter(job.display_name for job in live)
    assert len(live) == count, f"{len(live)} jobs for {count} resources: {by_display}"
    assert all(n == 1 for n in by_display.values()), f"duplicated: {by_display}"
    saved = stack.resources("CustomJob")
    assert len(saved) == count
    assert {r["id"] for r in saved.values()} == {job.name for job in live}


def test_fifty_jobs_under_twenty_percent_faults_make_exactly_fifty(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20% of every call fails: before dispatch (nothing happened) or after it (the job
    # exists but the answer was lost), on creates, lists and gets alike.
    plan = FaultPlan(unavailable=0.06, deadline=0.04, lost=0.10, seed=8)
    with fault_emulator(tmp_path / "vertex", monkeypatch, plan) as server:
        stack = ProgramRunner(many_jobs(JOB_COUNT), config=CONFIG)
        result = stack.up()
        assert len(result.ops("create")) == JOB_COUNT
        live = list_all_jobs(server)
        assert_one_job_per_resource(stack, live, JOB_COUNT)
        assert plan.count("lost") >= 5, plan.injected  # the hard case really happened
        assert plan.injected[("lost", "create_custom_job")] >= 1, plan.injected
        assert server.calls["create_custom_job"] > JOB_COUNT  # some creates were retried...
        # ...and each lost create was adopted, not resubmitted.
        for name, out in stack.outputs.items():
            assert out == stack.resources("CustomJob")[name]["id"]

        # Each in the state it should be: FakeRunner jobs succeed; refresh reads it.
        deadline = time.monotonic() + 30
        while any(j.state.name != "JOB_STATE_SUCCEEDED" for j in list_all_jobs(server)):
            assert time.monotonic() < deadline, "jobs did not reach SUCCEEDED"
            time.sleep(0.05)
        stack.refresh()
        states = {r["outputs"]["state"] for r in stack.resources("CustomJob").values()}
        assert states == {"JOB_STATE_SUCCEEDED"}

        again = stack.up()  # a no-op up under the same faults submits nothing
        assert again.changed() == []
        assert len(list_all_jobs(server)) == JOB_COUNT


class DeployKilled(EmulatorError):
    """Stands for the deploy dying after the server accepted the job: answers ABORTED,
    which the provider does not retry, so the step fails with nothing saved."""

    code = grpc.StatusCode.ABORTED
    http_status = 409


def test_deploy_interrupted_after_submit_adopts_on_next_up(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    armed = threading.Event()
    armed.set()

    def kill_after_create(phase: str, method: str, request: Any) -> None:
        if phase == "after" and method == "create_custom_job" and armed.is_set():
            armed.clear()
            raise DeployKilled("the deploy died before it wrote state")

    server = EmulatorServer(
        tmp_path / "vertex",
        rest_port=None,
        runner=FakeRunner(),
        fault_hook=kill_after_create,
        build_job_run=no_cluster,
    ).start()
    monkeypatch.setenv(EMULATOR_HOST_ENV, server.grpc_address)
    try:
        state_file = tmp_path / "state.json"
        stack = ProgramRunner(many_jobs(1), config=CONFIG, state_file=state_file)
        with pytest.raises(Exception, match="the deploy died"):
            stack.up()
        assert stack.resources("CustomJob") == {}  # submitted, but never written to state
        assert len(list_all_jobs(server)) == 1

        # A new process would start from the saved state file: so does this runner.
        creates = server.calls["create_custom_job"]
        rerun = ProgramRunner(many_jobs(1), config=CONFIG, state_file=state_file)
        assert rerun.up().ops() == [("create", "job-0")]
        assert server.calls["create_custom_job"] == creates  # adopted, never resubmitted
        live = list_all_jobs(server)
        assert_one_job_per_resource(rerun, live, 1)
    finally:
        server.stop()


PROGRAM_DIR_MAIN = """
import pulumi
import pulumi_vertex_training as vt

for i in range({count}):
    job = vt.CustomJob(
        f"job-{{i}}",
        job_spec={{"worker_pool_specs": [{{
            "machine_spec": {{"machine_type": "n1-standard-4"}},
            "container_spec": {{"image_uri": "local/python:3.11",
                               "command": ["python", "-c", f"print({{i}})"]}},
        }}]}},
        wait="none",
    )
    pulumi.export(f"job-{{i}}", job.id)
"""


def write_project(root: pathlib.Path, count: int) -> pathlib.Path:
    """A Pulumi project folder declaring ``count`` trivial jobs."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: faults\nruntime: python\n")
    (root / "Pulumi.local.yaml").write_text(
        "config:\n" + "".join(f"  {key}: {value}\n" for key, value in CONFIG.items())
    )
    (root / "__main__.py").write_text(PROGRAM_DIR_MAIN.format(count=count))
    return root


@pytest.mark.slow
def test_killed_program_between_submit_and_state_write_adopts_on_next_up(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deploy process itself is SIGKILLed while the create is answered."""
    created = threading.Event()
    release = threading.Event()

    def hold_create(phase: str, method: str, request: Any) -> None:
        if phase == "after" and method == "create_custom_job" and not created.is_set():
            created.set()
            release.wait(30)  # the job exists; the answer has not left yet

    project = write_project(tmp_path / "project", 1)
    state_file = tmp_path / "state.json"
    server = EmulatorServer(
        tmp_path / "vertex",
        rest_port=None,
        runner=FakeRunner(),
        fault_hook=hold_create,
        build_job_run=no_cluster,
    ).start()
    env = {**os.environ, EMULATOR_HOST_ENV: server.grpc_address}
    command = [
        sys.executable, "-m", "pulumi_vertex_training.testing", "up", str(project),
        "--state-file", str(state_file),
    ]  # fmt: skip
    try:
        deploy = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert created.wait(60), deploy.communicate(timeout=5)[0].decode()
        deploy.send_signal(signal.SIGKILL)
        deploy.wait(10)
        release.set()
        assert not state_file.exists() or not json.loads(state_file.read_text())["resources"]
        assert len(list_all_jobs(server)) == 1

        creates = server.calls["create_custom_job"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert server.calls["create_custom_job"] == creates  # adopted, not resubmitted
        saved = json.loads(state_file.read_text())["resources"]
        assert [r["id"] for r in saved.values()] == [j.name for j in list_all_jobs(server)]
    finally:
        release.set()
        server.stop()


@pytest.mark.docker
@pytest.mark.slow
def test_emulator_sigkilled_mid_deploy_loses_no_job_and_refresh_shows_the_truth(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, docker_client: Any
) -> None:
    count = 3
    data_dir = tmp_path / "vertex"
    serve = ServeProcess(data_dir)
    # Slow creates so the kill lands while the deploy is submitting.
    address = serve.start(faults="latency=300ms,methods=create_custom_job")
    monkeypatch.setenv(EMULATOR_HOST_ENV, address)
    stack = ProgramRunner(many_jobs(count), config=CONFIG)
    outcome: dict[str, Any] = {}

    def deploy() -> None:
        try:
            outcome["result"] = stack.up()
        except Exception as err:  # the first up may fail or ride out the restart
            outcome["error"] = err

    thread = threading.Thread(target=deploy)
    thread.start()
    try:
        serve.wait_for_jobs(1)
        serve.kill()
        serve.start(faults="")  # same data dir and port
        thread.join(120)
        assert not thread.is_alive()
        stack.up()  # adopts whatever the first up submitted, creates the rest
        live = serve.jobs()
        assert_one_job_per_resource(stack, live, count)

        for job in live:  # settle first, so the truth holds still while we compare
            custom_job_api.wait_for(job.name, custom_job_api.TERMINAL_STATES, 120)
        stack.refresh()
        truth = {job.name: job.state.name for job in serve.jobs()}
        saved = {r["id"]: r["outputs"]["state"] for r in stack.resources("CustomJob").values()}
        assert saved == truth
        stack.destroy()
        assert serve.jobs() == []
    finally:
        serve.kill()


class ServeProcess:
    """`vertex-local serve` (as ``python -m``) on one data dir and one port, restartable."""

    def __init__(self, data_dir: pathlib.Path) -> None:
        self.data_dir = data_dir
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, faults: str) -> str:
        """Start serving (on the port of the previous start, if any); returns the address."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pid_file = self.data_dir / "emulator.pid"
        pid_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi_vertex_training.emulator", "serve",
             "--port", str(self.port), "--no-rest", "--data-dir", str(self.data_dir),
             "--faults", faults],
            stdout=subprocess.DEVNULL,
            stderr=open(self.data_dir / "serve.log", "ab"),  # noqa: SIM115 (owned by the child)
            env={k: v for k, v in os.environ.items() if k != "VERTEX_LOCAL_FAULTS"},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert self.process.poll() is None, (self.data_dir / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not write its pid file in 60s"
            time.sleep(0.05)
        address = str(json.loads(pid_file.read_text())["grpc_address"])
        self.port = int(address.rsplit(":", 1)[1])
        return address

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def jobs(self) -> list[Any]:
        """Every job, through a fault-free client of its own."""
        from pulumi_vertex_training.emulator.lifecycle import job_client

        client = job_client(f"127.0.0.1:{self.port}")
        return list(client.list_custom_jobs(request={"parent": PARENT}, timeout=10))

    def wait_for_jobs(self, count: int, timeout: float = 60) -> None:
        """Until at least ``count`` jobs exist."""
        deadline = time.monotonic() + timeout
        while len(self.jobs()) < count:
            assert time.monotonic() < deadline, f"fewer than {count} jobs after {timeout}s"
            time.sleep(0.05)
