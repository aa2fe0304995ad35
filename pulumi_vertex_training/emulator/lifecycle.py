"""``vertex-local serve``, ``start``, ``stop`` and ``status``: the emulator's process.

``serve`` runs an :class:`~.server.EmulatorServer` in the foreground and writes
``<data dir>/emulator.pid`` (pid and addresses) while it serves (one emulator per
data dir: ``data_dir_lock.py``); ``start`` runs
``serve`` in the background (its output in ``<data dir>/emulator.log``) and waits
until it answers; ``stop`` and ``status`` find it through the pid file. An
emulator counts as running when its pid is alive and its gRPC port answers a
ListCustomJobs call.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from pulumi_vertex_training.emulator import data_dir_lock
from pulumi_vertex_training.emulator.console.urls import banner as console_banner

PID_FILE = "emulator.pid"
LOG_FILE = "emulator.log"
LIST_PARENT = "projects/-/locations/-"  # every project and location (emulator extension)
EXIT_NOT_RUNNING = 3


def serve(args: argparse.Namespace) -> int:
    """``vertex-local serve``: serve in the foreground until SIGTERM or SIGINT."""
    from pulumi_vertex_training.emulator.server import EmulatorServer

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    data_dir: pathlib.Path = args.data_dir.resolve()
    running = _read_pid_file(data_dir)
    if running is not None and _alive(running["pid"]) and running["pid"] != os.getpid():
        print_error(
            f"an emulator (pid {running['pid']}) already serves {data_dir} on "
            f"{running['grpc_address']}; stop it first "
            f"(vertex-local stop --data-dir {args.data_dir})"
        )
        return 1
    from pulumi_vertex_training.emulator.execution.executor import parse_image_map

    try:
        image_map = parse_image_map(args.image_map)
    except ValueError as err:
        print_error(str(err))
        return 2
    from pulumi_vertex_training.emulator import faults

    source = "--faults" if args.faults else f"${faults.ENV_VAR}"
    try:
        plan = faults.FaultPlan.parse(args.faults) if args.faults else None
        plan = plan or faults.from_environment(os.environ)
    except faults.FaultSpecError as err:
        print_error(f"{source}: {err}")
        return 2
    if plan is not None and plan.active:
        print(f"vertex-local: injecting faults: {plan}", flush=True)
    from pulumi_vertex_training.emulator import crash

    try:
        crash_point = crash.from_environment(os.environ)
        server = EmulatorServer(
            data_dir,
            host=args.host,
            port=args.port,
            rest_port=None if args.no_rest else args.rest_port,
            image_map=image_map,
            fault_hook=plan.hook if plan is not None and plan.active else None,
            max_job_networks=args.max_job_networks,
            crash=crash_point,
        )
    except ValueError as err:  # a bad cap or crash spec (CrashSpecError is one)
        print_error(str(err))
        return 2
    try:
        server.start()
    except data_dir_lock.DataDirInUse as err:
        print_error(str(err))
        return 1
    except OSError as err:
        print_error(f"cannot serve: {err}")
        return 1
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    info = {
        "pid": os.getpid(),
        "grpc_address": server.grpc_address,
        "rest_address": server.rest_address,
    }
    # Readers poll for this file: it appears whole (rename) or not at all.
    partial = data_dir / f"{PID_FILE}.{os.getpid()}.tmp"
    partial.write_text(json.dumps(info))
    os.replace(partial, data_dir / PID_FILE)
    rest = f" and http://{server.rest_address} (REST)" if server.rest_address else ""
    print(f"vertex-local: serving on {server.grpc_address} (gRPC){rest}; data in {data_dir}")
    print(*console_banner(server.grpc_address, server.rest_address), sep="\n")
    print(f"export VERTEX_AI_EMULATOR_HOST={server.grpc_address}", flush=True)
    try:
        while not done.wait(1.0):
            pass
    finally:
        server.stop()
        current = _read_pid_file(data_dir)
        if current is not None and current["pid"] == os.getpid():
            (data_dir / PID_FILE).unlink(missing_ok=True)
    print("vertex-local: stopped", flush=True)
    return 0


def start(args: argparse.Namespace) -> int:
    """``vertex-local start``: ``serve`` in the background, or reuse a healthy one."""
    data_dir: pathlib.Path = args.data_dir.resolve()
    running = _running(data_dir)
    holder = data_dir_lock.holder(data_dir) if running is None else None
    if holder is not None:
        # It holds the data dir but did not answer: starting up, or busy. A second
        # emulator there would take the first one's jobs for leftovers (data_dir_lock.py).
        running = _answering_within(data_dir, args.wait)
        if running is None:
            print_error(
                f"an {data_dir_lock.who(holder)} holds {data_dir} but did not answer within "
                f"{args.wait:g}s; stop it first (vertex-local stop --data-dir {data_dir})"
            )
            return 1
    if running is not None:
        print(
            f"vertex-local: reusing the emulator already running (pid {running['pid']}) on "
            f"{running['grpc_address']}"
        )
        print(*console_banner(running["grpc_address"], running.get("rest_address")), sep="\n")
        print(f"export VERTEX_AI_EMULATOR_HOST={running['grpc_address']}")
        return 0
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / PID_FILE).unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "pulumi_vertex_training.emulator", "serve",
        "--host", args.host, "--port", str(args.port), "--rest-port", str(args.rest_port),
        "--data-dir", str(data_dir),
    ]  # fmt: skip
    if args.no_rest:
        command.append("--no-rest")
    for entry in args.image_map:
        command += ["--image-map", entry]
    if args.faults:
        command += ["--faults", args.faults]
    if args.max_job_networks is not None:
        command += ["--max-job-networks", str(args.max_job_networks)]
    log_path = data_dir / LOG_FILE
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the shell that started it
        )
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print_error(
                f"the emulator exited with code {process.returncode}; its log ({log_path}):"
            )
            print_error(_tail(log_path))
            return 1
        running = _running(data_dir)
        if running is not None and running["pid"] == process.pid:
            print(f"vertex-local: started (pid {process.pid}) on {running['grpc_address']}")
            print(*console_banner(running["grpc_address"], running.get("rest_address")), sep="\n")
            print(f"export VERTEX_AI_EMULATOR_HOST={running['grpc_address']}")
            return 0
        time.sleep(0.2)
    print_error(
        f"the emulator (pid {process.pid}) did not answer within {args.wait:g}s; log: {log_path}"
    )
    return 1


def stop(args: argparse.Namespace) -> int:
    """``vertex-local stop``: SIGTERM the data dir's emulator (SIGKILL after 20 s)."""
    data_dir: pathlib.Path = args.data_dir.resolve()
    info = _read_pid_file(data_dir)
    # Without a pid file (deleted, or not written yet), the data dir's lock names it.
    pid = int(info["pid"]) if info is not None and _alive(info["pid"]) else None
    pid = pid or data_dir_lock.holder(data_dir) or None
    if pid is None:
        (data_dir / PID_FILE).unlink(missing_ok=True)
        print(f"vertex-local: no emulator is running for {data_dir}")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)  # state is committed per write: nothing is lost
        print(f"vertex-local: pid {pid} did not stop within 20s; killed it")
    (data_dir / PID_FILE).unlink(missing_ok=True)
    print(f"vertex-local: stopped the emulator (pid {pid})")
    return 0


def status(args: argparse.Namespace) -> int:
    """``vertex-local status``: 0 running, 1 alive but not answering, 3 not running."""
    data_dir: pathlib.Path = args.data_dir.resolve()
    info = _read_pid_file(data_dir)
    if info is None or not _alive(info["pid"]):
        holder = data_dir_lock.holder(data_dir)
        if holder is not None:
            who = f"pid {holder}" if holder else "an emulator"
            print(f"vertex-local: {who} holds {data_dir} but wrote no pid file (starting up?)")
            return 1
        print(f"vertex-local: not running (data dir {data_dir})")
        return EXIT_NOT_RUNNING
    if not _healthy(info["grpc_address"]):
        print(
            f"vertex-local: pid {info['pid']} is alive but {info['grpc_address']} does not answer"
        )
        return 1
    rest = f", REST http://{info['rest_address']}" if info.get("rest_address") else ""
    print(f"vertex-local: running (pid {info['pid']}) on {info['grpc_address']} (gRPC){rest}")
    return 0


def _running(data_dir: pathlib.Path) -> dict[str, Any] | None:
    info = _read_pid_file(data_dir)
    if info is None or not _alive(info["pid"]) or not _healthy(info["grpc_address"]):
        return None
    return info


def _answering_within(data_dir: pathlib.Path, seconds: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + seconds
    while (running := _running(data_dir)) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return running


def _read_pid_file(data_dir: pathlib.Path) -> dict[str, Any] | None:
    try:
        info = json.loads((data_dir / PID_FILE).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child (ours, not yet reaped) is not serving.
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _healthy(address: str, timeout: float = 3.0) -> bool:
    """Whether the emulator at ``address`` answers a ListCustomJobs call."""
    import grpc

    from pulumi_vertex_training.emulator import wire

    try:
        list(wire.list_custom_jobs(address, LIST_PARENT, 1, timeout, all_pages=False))
    except grpc.RpcError:
        return False
    return True


def job_client(address: str) -> Any:
    """A ``JobServiceClient`` over an insecure channel to the emulator at ``address``.

    Imports ``google.cloud.aiplatform_v1`` (seconds): the CLI itself uses ``wire.py``.
    """
    import grpc
    from google.cloud import aiplatform_v1
    from google.cloud.aiplatform_v1.services.job_service.transports import (
        JobServiceGrpcTransport,
    )

    channel = grpc.insecure_channel(address)
    return aiplatform_v1.JobServiceClient(
        transport=JobServiceGrpcTransport(channel=channel, host=address)
    )


def _tail(path: pathlib.Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def print_error(message: str) -> None:
    """Print ``vertex-local: message`` on stderr."""
    print(f"vertex-local: {message}", file=sys.stderr, flush=True)
