"""``vertex-local``: run the local Vertex AI and look at its jobs.

Commands::

    vertex-local serve  [--host 127.0.0.1] [--port 8470] [--rest-port 8471]
                        [--data-dir .vertex-local] [--no-rest] [--faults SPEC]
                        [--max-job-networks N]
    vertex-local start  (the same options; in the background: pid file + log in the data dir)
    vertex-local stop   [--data-dir .vertex-local]
    vertex-local status [--data-dir .vertex-local]
    vertex-local jobs   [--host 127.0.0.1] [--port 8470]
    vertex-local logs JOB [--replica workerpool0-0] [--follow] [--data-dir .vertex-local]
    vertex-local console [--data-dir .vertex-local]   (prints the web console's URL)

Exit codes: 0 success; 1 failure (the message says why); 2 bad usage;
``status`` and ``console`` answer 3 when no emulator runs.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import pathlib
import sys
from typing import Any

from pulumi_vertex_training.emulator import lifecycle
from pulumi_vertex_training.emulator.console import urls as console_urls
from pulumi_vertex_training.emulator.lifecycle import LIST_PARENT, print_error

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8470
DEFAULT_REST_PORT = 8471
DEFAULT_DATA_DIR = ".vertex-local"


SERVING_MODULES = ("docker", "starlette", "uvicorn", "jinja2")
"""What serving needs beyond the core install: the ``local`` extra's packages."""


def missing_serving_modules() -> list[str]:
    """The packages of the ``local`` extra that are not installed (serving needs them all)."""
    return [name for name in SERVING_MODULES if importlib.util.find_spec(name) is None]


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``vertex-local`` and ``python -m pulumi_vertex_training.emulator``."""
    args = _parser().parse_args(argv)
    missing = missing_serving_modules() if args.command in ("serve", "start") else []
    if missing:
        print_error(
            f"serving needs the local extra ({', '.join(missing)} not installed): "
            "pip install 'pulumi-vertex-training[local]'"
        )
        return 2
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
        p.add_argument(
            "--max-job-networks",
            type=int,
            default=None,
            metavar="N",
            help="how many jobs may hold a Docker network at once; the others wait in "
            "JOB_STATE_QUEUED (default: $VERTEX_LOCAL_MAX_JOB_NETWORKS, else 16)",
        )
        data_dir(p)

    p = sub.add_parser("serve", help="serve in the foreground (Ctrl-C stops)")
    serving(p)
    p.set_defaults(func=lifecycle.serve)
    p = sub.add_parser("start", help="serve in the background (reuses a healthy one)")
    serving(p)
    p.add_argument("--wait", type=float, default=60.0, help="seconds to wait for it to answer")
    p.set_defaults(func=lifecycle.start)
    p = sub.add_parser("stop", help="stop the background emulator of the data dir")
    data_dir(p)
    p.set_defaults(func=lifecycle.stop)
    p = sub.add_parser("status", help="say whether an emulator serves the data dir")
    data_dir(p)
    p.set_defaults(func=lifecycle.status)
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
    p = sub.add_parser("console", help="print the URL of the web console (on the REST port)")
    data_dir(p)
    p.set_defaults(func=console_urls.command)
    return parser


# ---- jobs / logs -----------------------------------------------------------------------


def _jobs(args: argparse.Namespace) -> int:
    import grpc

    from pulumi_vertex_training.emulator import wire

    address = f"{args.host}:{args.port}"
    try:
        # The largest page the API allows: fewer round trips, the same rows.
        jobs = list(wire.list_custom_jobs(address, LIST_PARENT, page_size=1000, timeout=10))
    except grpc.RpcError as err:
        details = err.details() if isinstance(err, grpc.Call) else str(err)
        print_error(f"cannot list jobs at {address}: {details} (is `vertex-local start` running?)")
        return 1
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = [("NAME", "DISPLAY NAME", "STATE", "AGE")]
    for job in jobs:
        rows.append(
            (job.name, job.display_name, job.state.removeprefix("JOB_STATE_"),
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
    from pulumi_vertex_training.emulator.store import STATE_FILE, Store, instance_id

    data_dir: pathlib.Path = args.data_dir.resolve()
    if not (data_dir / STATE_FILE).exists():
        print_error(f"no emulator state in {data_dir} (pass --data-dir)")
        return 1
    store = Store(data_dir / STATE_FILE)
    try:
        name = _resolve_job(store, args.job)
        ident = instance_id(store)
    finally:
        store.close()
    if name is None:
        print_error(f"no job {args.job!r} in {data_dir}; `vertex-local jobs` lists them")
        return 1
    try:
        for line in DockerRunner(data_dir, ident).logs(name, args.replica, follow=args.follow):
            print(line.rstrip("\n"), flush=args.follow)
    except EmulatorError as err:
        print_error(err.message)
        return 1
    return 0


def _resolve_job(store: Any, job: str) -> str | None:
    names = [str(d.get("name", "")) for d in store.list("customJob")]
    if job in names:
        return job
    if job.isdigit():
        return next((n for n in names if n.rsplit("/", 1)[1] == job), None)
    return None


def _age(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


if __name__ == "__main__":
    sys.exit(main())
