"""``vertex-local``: run the local Vertex AI and look at its jobs.

Commands::

    vertex-local serve  [--host 127.0.0.1] [--port 8470] [--rest-port 8471]
                        [--data-dir .vertex-local] [--no-rest] [--faults SPEC]
    vertex-local start  (the same options; in the background: pid file + log in the data dir)
    vertex-local stop   [--data-dir .vertex-local]
    vertex-local status [--data-dir .vertex-local]
    vertex-local jobs   [--host 127.0.0.1] [--port 8470]
    vertex-local logs JOB [--replica workerpool0-0] [--follow] [--data-dir .vertex-local]

Exit codes: 0 success; 1 failure (the message says why); 2 bad usage;
``status`` answers 3 when no emulator runs.
"""

from __future__ import annotations

import argparse
import datetime
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

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8470
DEFAULT_REST_PORT = 8471
DEFAULT_DATA_DIR = ".vertex-local"
PID_FILE = "emulator.pid"
LOG_FILE = "emulator.log"
LIST_PARENT = "projects/-/locations/-"  # every project and location (emulator extension)
EXIT_NOT_RUNNING = 3


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``vertex-local`` and ``python -m pulumi_vertex_training.emulator``."""
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vertex-local",
        description="A local Vertex AI (custom jobs) that runs training jobs in Docker.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir",
            default=DEFAULT_DATA_DIR,
            type=pathlib.Path,
            help=f"state, logs and /gcs folders (default {DEFAULT_DATA_DIR})",
        )

    def serving(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default loopback)")
        p.add_argument("--port", type=int, default=DEFAULT_PORT, help="gRPC port (0: any free)")
        p.add_argument(
            "--rest-port", type=int, default=DEFAULT_REST_PORT, help="REST port (0: any free)"
        )
        p.add_argument("--no-rest", action="store_true", help="serve gRPC only")
        p.add_argument(
            "--image-map",
            action="append",
            default=[],
            metavar="URI_PREFIX=LOCAL_IMAGE",
            help="run python_package_spec executor images under URI_PREFIX ('*' allowed) in "
            "LOCAL_IMAGE (repeatable; Vertex's prebuilt training images default to "
            "local/python:3.11)",
        )
        p.add_argument(
            "--faults",
            default=None,
            metavar="SPEC",
            help="inject faults (tests only), e.g. 'unavailable=0.1,lost=0.05,latency=20ms'; "
            "default: $VERTEX_LOCAL_FAULTS, else none (see emulator/faults.py)",
        )
        data_dir(p)

    p = sub.add_parser("serve", help="serve in the foreground (Ctrl-C stops)")
    serving(p)
    p.set_defaults(func=_serve)
    p = sub.add_parser("start", help="serve in the background (reuses a healthy one)")
    serving(p)
    p.add_argument("--wait", type=float, default=60.0, help="seconds to wait for it to answer")
    p.set_defaults(func=_start)
    p = sub.add_parser("stop", help="stop the background emulator of the data dir")
    data_dir(p)
    p.set_defaults(func=_stop)
    p = sub.add_parser("status", help="say whether an emulator serves the data dir")
    data_dir(p)
    p.set_defaults(func=_status)
    p = sub.add_parser("jobs", help="list jobs: name, display name, state, age")
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="the emulator's gRPC port")
    p.set_defaults(func=_jobs)
    p = sub.add_parser("logs", help="print a replica's log")
    p.add_argument("job", help="full job name or its numeric id")
    p.add_argument("--replica", default="workerpool0-0", help="default workerpool0-0")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new lines")
    data_dir(p)
    p.set_defaults(func=_logs)
    return parser


# ---- serve / start / stop / status -------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from pulumi_vertex_training.emulator.server import EmulatorServer

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    data_dir: pathlib.Path = args.data_dir.resolve()
    running = _read_pid_file(data_dir)
    if running is not None and _alive(running["pid"]) and running["pid"] != os.getpid():
        _err(
            f"an emulator (pid {running['pid']}) already serves {data_dir} on "
            f"{running['grpc_address']}; stop it first "
            f"(vertex-local stop --data-dir {args.data_dir})"
        )
        return 1
    from pulumi_vertex_training.emulator.execution.executor import parse_image_map

    try:
        image_map = parse_image_map(args.image_map)
    except ValueError as err:
        _err(str(err))
        return 2
    from pulumi_vertex_training.emulator import faults

    source = "--faults" if args.faults else f"${faults.ENV_VAR}"
    try:
        plan = faults.FaultPlan.parse(args.faults) if args.faults else None
        plan = plan or faults.from_environment(os.environ)
    except faults.FaultSpecError as err:
        _err(f"{source}: {err}")
        return 2
    if plan is not None and plan.active:
        print(f"vertex-local: injecting faults: {plan}", flush=True)
    server = EmulatorServer(
        data_dir,
        host=args.host,
        port=args.port,
        rest_port=None if args.no_rest else args.rest_port,
        image_map=image_map,
        fault_hook=plan.hook if plan is not None and plan.active else None,
    )
    try:
        server.start()
    except OSError as err:
        _err(f"cannot serve: {err}")
        return 1
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    info = {
        "pid": os.getpid(),
        "grpc_address": server.grpc_address,
        "rest_address": server.rest_address,
    }
    (data_dir / PID_FILE).write_text(json.dumps(info))
    rest = f" and http://{server.rest_address} (REST)" if server.rest_address else ""
    print(f"vertex-local: serving on {server.grpc_address} (gRPC){rest}; data in {data_dir}")
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


def _start(args: argparse.Namespace) -> int:
    data_dir: pathlib.Path = args.data_dir.resolve()
    running = _running(data_dir)
    if running is not None:
        print(
            f"vertex-local: reusing the emulator already running (pid {running['pid']}) on "
            f"{running['grpc_address']}"
        )
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
            _err(f"the emulator exited with code {process.returncode}; its log ({log_path}):")
            _err(_tail(log_path))
            return 1
        running = _running(data_dir)
        if running is not None and running["pid"] == process.pid:
            print(f"vertex-local: started (pid {process.pid}) on {running['grpc_address']}")
            print(f"export VERTEX_AI_EMULATOR_HOST={running['grpc_address']}")
            return 0
        time.sleep(0.2)
    _err(f"the emulator (pid {process.pid}) did not answer within {args.wait:g}s; log: {log_path}")
    return 1


def _stop(args: argparse.Namespace) -> int:
    data_dir: pathlib.Path = args.data_dir.resolve()
    info = _read_pid_file(data_dir)
    if info is None or not _alive(info["pid"]):
        (data_dir / PID_FILE).unlink(missing_ok=True)
        print(f"vertex-local: no emulator is running for {data_dir}")
        return 0
    pid = int(info["pid"])
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


def _status(args: argparse.Namespace) -> int:
    data_dir: pathlib.Path = args.data_dir.resolve()
    info = _read_pid_file(data_dir)
    if info is None or not _alive(info["pid"]):
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
    from google.api_core import exceptions

    try:
        client = _job_client(address)
        client.list_custom_jobs(request={"parent": LIST_PARENT, "page_size": 1}, timeout=timeout)
    except exceptions.GoogleAPICallError:
        return False
    return True


# ---- jobs / logs -----------------------------------------------------------------------


def _jobs(args: argparse.Namespace) -> int:
    from google.api_core import exceptions

    address = f"{args.host}:{args.port}"
    try:
        jobs = list(
            _job_client(address).list_custom_jobs(request={"parent": LIST_PARENT}, timeout=10)
        )
    except exceptions.GoogleAPICallError as err:
        _err(f"cannot list jobs at {address}: {err.message} (is `vertex-local start` running?)")
        return 1
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = [("NAME", "DISPLAY NAME", "STATE", "AGE")]
    for job in jobs:
        rows.append(
            (job.name, job.display_name, job.state.name.removeprefix("JOB_STATE_"),
             _age(now - job.create_time))
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
        )
    return 0


def _logs(args: argparse.Namespace) -> int:
    from pulumi_vertex_training.emulator.exceptions import EmulatorError
    from pulumi_vertex_training.emulator.execution.runner import DockerRunner
    from pulumi_vertex_training.emulator.server import STATE_FILE, instance_id
    from pulumi_vertex_training.emulator.store import Store

    data_dir: pathlib.Path = args.data_dir.resolve()
    if not (data_dir / STATE_FILE).exists():
        _err(f"no emulator state in {data_dir} (pass --data-dir)")
        return 1
    store = Store(data_dir / STATE_FILE)
    try:
        name = _resolve_job(store, args.job)
        ident = instance_id(store)
    finally:
        store.close()
    if name is None:
        _err(f"no job {args.job!r} in {data_dir}; `vertex-local jobs` lists them")
        return 1
    try:
        for line in DockerRunner(data_dir, ident).logs(name, args.replica, follow=args.follow):
            print(line.rstrip("\n"), flush=args.follow)
    except EmulatorError as err:
        _err(err.message)
        return 1
    return 0


def _resolve_job(store: Any, job: str) -> str | None:
    names = [str(d.get("name", "")) for d in store.list("customJob")]
    if job in names:
        return job
    if job.isdigit():
        return next((n for n in names if n.rsplit("/", 1)[1] == job), None)
    return None


def _job_client(address: str) -> Any:
    import grpc
    from google.cloud import aiplatform_v1
    from google.cloud.aiplatform_v1.services.job_service.transports import (
        JobServiceGrpcTransport,
    )

    channel = grpc.insecure_channel(address)
    return aiplatform_v1.JobServiceClient(
        transport=JobServiceGrpcTransport(channel=channel, host=address)
    )


def _age(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _tail(path: pathlib.Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _err(message: str) -> None:
    print(f"vertex-local: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
