"""`vertex-local` commands, run as a user runs them (a subprocess per command)."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState
from google.cloud.aiplatform_v1.services.job_service.transports import JobServiceGrpcTransport

pytestmark = pytest.mark.docker

PARENT = "projects/cli-project/locations/us-central1"


def vertex_local(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """Run ``vertex-local ARGS`` (as ``python -m pulumi_vertex_training.emulator``)."""
    return subprocess.run(
        [sys.executable, "-m", "pulumi_vertex_training.emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, docker_client: Any) -> pathlib.Path:
    return tmp_path_factory.mktemp("cli") / "state"


@pytest.fixture(scope="module")
def started(data_dir: pathlib.Path) -> Iterator[dict[str, Any]]:
    """A background emulator started by `vertex-local start`; its pid file's content."""
    result = vertex_local("start", "--port", "0", "--rest-port", "0", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
    yield json.loads((data_dir / "emulator.pid").read_text())
    vertex_local("stop", "--data-dir", str(data_dir))


@pytest.fixture(scope="module")
def finished_job(started: dict[str, Any], make_custom_job: Any) -> Any:
    """A job run to SUCCEEDED on the background emulator; it printed two lines."""
    address = started["grpc_address"]
    channel = grpc.insecure_channel(address)
    client = aiplatform_v1.JobServiceClient(
        transport=JobServiceGrpcTransport(channel=channel, host=address)
    )
    job = client.create_custom_job(
        parent=PARENT,
        custom_job=make_custom_job("print('line one'); print('line two')", display_name="cli-job"),
    )
    deadline = time.monotonic() + 90
    while (job := client.get_custom_job(name=job.name)).state != JobState.JOB_STATE_SUCCEEDED:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    channel.close()
    return job


def test_status_exits_3_when_no_emulator_runs(tmp_path: pathlib.Path) -> None:
    result = vertex_local("status", "--data-dir", str(tmp_path))
    assert result.returncode == 3
    assert "not running" in result.stdout


def test_stop_says_so_and_exits_0_when_no_emulator_runs(tmp_path: pathlib.Path) -> None:
    result = vertex_local("stop", "--data-dir", str(tmp_path))
    assert result.returncode == 0
    assert "no emulator is running" in result.stdout


def test_start_reuses_the_running_emulator_when_one_is_healthy(
    started: dict[str, Any], data_dir: pathlib.Path
) -> None:
    result = vertex_local("start", "--port", "0", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "reusing" in result.stdout
    assert f"VERTEX_AI_EMULATOR_HOST={started['grpc_address']}" in result.stdout


def test_status_reports_address_when_emulator_runs(
    started: dict[str, Any], data_dir: pathlib.Path
) -> None:
    result = vertex_local("status", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stdout
    assert f"running (pid {started['pid']})" in result.stdout
    assert started["grpc_address"] in result.stdout


def test_jobs_prints_a_table_row_per_job_when_jobs_exist(
    started: dict[str, Any], finished_job: Any
) -> None:
    host, port = started["grpc_address"].rsplit(":", 1)
    result = vertex_local("jobs", "--host", host, "--port", port)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "DISPLAY", "NAME", "STATE", "AGE"]
    row = next(r for r in rows if r.startswith(finished_job.name))
    assert "cli-job" in row
    assert "SUCCEEDED" in row


def test_jobs_exits_1_when_nothing_listens(tmp_path: pathlib.Path) -> None:
    with socket.socket() as s:  # a port nobody serves
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = vertex_local("jobs", "--port", str(port))
    assert result.returncode == 1
    assert "cannot list jobs" in result.stderr


@pytest.mark.parametrize(
    ("job_ref", "flags"), [("name", []), ("id", []), ("id", ["--follow"])], ids=str
)
def test_logs_prints_the_replica_log_when_given_a_name_or_id(
    data_dir: pathlib.Path, finished_job: Any, job_ref: str, flags: list[str]
) -> None:
    ref = finished_job.name if job_ref == "name" else finished_job.name.rsplit("/", 1)[1]
    result = vertex_local("logs", ref, *flags, "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["line one", "line two"]


def test_logs_exits_1_naming_replicas_when_replica_is_unknown(
    data_dir: pathlib.Path, finished_job: Any
) -> None:
    result = vertex_local(
        "logs", finished_job.name, "--replica", "workerpool3-7", "--data-dir", str(data_dir)
    )
    assert result.returncode == 1
    assert "workerpool0-0" in result.stderr


def test_logs_exits_1_when_job_is_unknown(data_dir: pathlib.Path, started: dict[str, Any]) -> None:
    result = vertex_local("logs", "987654321", "--data-dir", str(data_dir))
    assert result.returncode == 1
    assert "no job '987654321'" in result.stderr


def test_serve_exits_1_when_port_is_taken(tmp_path: pathlib.Path, started: dict[str, Any]) -> None:
    port = started["grpc_address"].rsplit(":", 1)[1]
    result = vertex_local("serve", "--port", port, "--no-rest", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "cannot serve" in result.stderr


def test_serve_exits_1_naming_the_emulator_that_serves_the_data_dir_even_without_its_pid_file(
    started: dict[str, Any], data_dir: pathlib.Path
) -> None:
    pid_file = data_dir / "emulator.pid"
    aside = pid_file.with_suffix(".aside")
    pid_file.rename(aside)  # a stale or deleted pid file must not let a second one in
    try:
        result = vertex_local("serve", "--port", "0", "--no-rest", "--data-dir", str(data_dir))
    finally:
        aside.rename(pid_file)
    assert result.returncode == 1
    assert f"another emulator (pid {started['pid']}) serves {data_dir}" in result.stderr
    assert "vertex-local stop --data-dir" in result.stderr


def test_start_never_starts_a_second_emulator_beside_one_that_does_not_answer(
    tmp_path: pathlib.Path,
) -> None:
    data_dir = tmp_path / "busy"
    assert (
        vertex_local("start", "--port", "0", "--no-rest", "--data-dir", str(data_dir)).returncode
        == 0
    )
    first = json.loads((data_dir / "emulator.pid").read_text())
    os.kill(first["pid"], signal.SIGSTOP)  # alive, holding the data dir, answering nothing
    try:
        result = vertex_local("start", "--port", "0", "--no-rest", "--wait", "1",
                              "--data-dir", str(data_dir))  # fmt: skip
    finally:
        os.kill(first["pid"], signal.SIGCONT)
    try:
        assert result.returncode == 1, result.stdout
        assert (
            f"an emulator (pid {first['pid']}) holds {data_dir} but did not answer within 1s"
            in result.stderr
        )
        assert json.loads((data_dir / "emulator.pid").read_text()) == first
        again = vertex_local("start", "--port", "0", "--no-rest", "--data-dir", str(data_dir))
        assert again.returncode == 0 and "reusing" in again.stdout, again.stderr
    finally:
        vertex_local("stop", "--data-dir", str(data_dir))


def test_status_and_stop_find_the_emulator_by_its_lock_when_its_pid_file_is_gone(
    tmp_path: pathlib.Path,
) -> None:
    data_dir = tmp_path / "no-pid-file"
    assert (
        vertex_local("start", "--port", "0", "--no-rest", "--data-dir", str(data_dir)).returncode
        == 0
    )
    pid = json.loads((data_dir / "emulator.pid").read_text())["pid"]
    (data_dir / "emulator.pid").unlink()

    status = vertex_local("status", "--data-dir", str(data_dir))
    assert status.returncode == 1
    assert f"pid {pid} holds {data_dir} but wrote no pid file" in status.stdout
    stopped = vertex_local("stop", "--data-dir", str(data_dir))
    assert stopped.returncode == 0 and f"stopped the emulator (pid {pid})" in stopped.stdout
    assert vertex_local("status", "--data-dir", str(data_dir)).returncode == 3


def test_stop_stops_the_background_emulator_when_one_runs(tmp_path: pathlib.Path) -> None:
    data_dir = str(tmp_path / "own")
    assert vertex_local("start", "--port", "0", "--no-rest", "--data-dir", data_dir).returncode == 0
    result = vertex_local("stop", "--data-dir", data_dir)
    assert result.returncode == 0
    assert "stopped the emulator" in result.stdout
    assert vertex_local("status", "--data-dir", data_dir).returncode == 3


_IMPORTS_AIPLATFORM = """
import sys
from pulumi_vertex_training.emulator.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("aiplatform imported" if "google.cloud.aiplatform_v1" in sys.modules else "light", code)
"""


@pytest.mark.parametrize("command", ["--help", "status", "stop", "jobs"])
def test_command_answers_without_importing_the_vertex_client_library(
    command: str, started: dict[str, Any], data_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    args = {
        "--help": ["--help"],
        "status": ["status", "--data-dir", str(data_dir)],  # asks the running one over gRPC
        "stop": ["stop", "--data-dir", str(tmp_path)],  # none runs there
        "jobs": ["jobs", "--port", started["grpc_address"].rsplit(":", 1)[1]],
    }[command]
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTS_AIPLATFORM, *args], capture_output=True, text=True
    )

    assert result.stdout.splitlines()[-1] == "light 0", result.stdout + result.stderr


def test_jobs_prints_what_the_client_library_lists_when_jobs_exist(
    started: dict[str, Any], finished_job: Any
) -> None:
    address = started["grpc_address"]
    channel = grpc.insecure_channel(address)
    client = aiplatform_v1.JobServiceClient(
        transport=JobServiceGrpcTransport(channel=channel, host=address)
    )
    listed = list(client.list_custom_jobs(parent="projects/-/locations/-"))
    channel.close()

    result = vertex_local("jobs", "--port", address.rsplit(":", 1)[1])

    header, *rows = result.stdout.splitlines()
    width = header.index("DISPLAY NAME")
    assert [row[:width].rstrip() for row in rows] == [job.name for job in listed]
    assert [row.split()[1:3] for row in rows] == [
        [job.display_name, job.state.name.removeprefix("JOB_STATE_")] for job in listed
    ]
    assert all(row.split()[3][-1] in "smhd" for row in rows)


def test_serve_exits_2_saying_why_when_max_job_networks_is_below_1(tmp_path: pathlib.Path) -> None:
    result = vertex_local("serve", "--max-job-networks", "0", "--data-dir", str(tmp_path))

    assert result.returncode == 2
    assert "--max-job-networks=0: at least 1 job network is needed" in result.stderr


def test_start_hands_max_job_networks_to_the_background_emulator(tmp_path: pathlib.Path) -> None:
    data_dir = tmp_path / "capped"
    result = vertex_local(
        "start", "--port", "0", "--no-rest", "--max-job-networks", "3", "--data-dir", str(data_dir)
    )
    assert result.returncode == 0, result.stderr
    try:
        pid = json.loads((data_dir / "emulator.pid").read_text())["pid"]
        argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert argv[argv.index(b"--max-job-networks") + 1] == b"3"
    finally:
        vertex_local("stop", "--data-dir", str(data_dir))
