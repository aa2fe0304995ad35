"""The child processes of ``bench/emulator.py`` that are not ``vertex-local serve``.

- ``serve_fake``: the emulator's server with a runner that runs no containers (a job
  succeeds at once), for the figures about the API path (list, load);
- ``serve_noop``: a gRPC server of the emulator's kind answering GetCustomJob with
  fixed bytes: the floor any Python gRPC server pays for that call.

Each writes ``<data dir>/emulator.pid`` as ``vertex-local serve`` does and serves
until SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from google.cloud import aiplatform_v1

JOB_SERVICE = "google.cloud.aiplatform.v1.JobService"


def serve_fake(data_dir: Path) -> None:
    """Serve with a runner whose jobs succeed at once (no Docker); writes the pid file."""
    from pulumi_vertex_training.emulator.execution.types import JobRun, RunPhase, RunStatus
    from pulumi_vertex_training.emulator.server import EmulatorServer

    class InstantRunner:
        def __init__(self) -> None:
            self._lock = threading.Lock()
            self._jobs: set[str] = set()

        def start(self, run: JobRun) -> None:
            with self._lock:
                self._jobs.add(run.job_name)

        def status(self, job_name: str) -> RunStatus:
            with self._lock:
                known = job_name in self._jobs
            return RunStatus(RunPhase.SUCCEEDED if known else RunPhase.MISSING)

        def stop(self, job_name: str) -> None:
            pass

        def cleanup(self, job_name: str) -> None:
            with self._lock:
                self._jobs.discard(job_name)

        def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
            return iter(())

        def known_jobs(self) -> set[str]:
            with self._lock:
                return set(self._jobs)

    def no_cluster(job: Any, data_dir: Path, instance_id: str) -> JobRun:
        return JobRun(job_name=job.name, job_id=job.name.rsplit("/", 1)[1], replicas=())

    server = EmulatorServer(data_dir, runner=InstantRunner(), build_job_run=no_cluster).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    info = {"pid": os.getpid(), "grpc_address": server.grpc_address,
            "rest_address": server.rest_address}  # fmt: skip
    (data_dir / "emulator.pid").write_text(json.dumps(info))
    done.wait()
    server.stop()


def serve_noop(data_dir: Path) -> None:
    """The floor of any Python gRPC server for GetCustomJob: the emulator's kind of server
    (sync, as many threads), answering every call with one fixed job's bytes."""
    from concurrent import futures

    from pulumi_vertex_training.emulator import server as emulator_server

    spec = json.loads((data_dir / "job.json").read_text())
    job = aiplatform_v1.CustomJob(name="projects/p/locations/l/customJobs/1", job_spec=spec)
    answer = aiplatform_v1.CustomJob.serialize(job)
    workers = getattr(emulator_server, "GRPC_WORKERS", 64)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: answer)
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(JOB_SERVICE, {"GetCustomJob": handler})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    info = {"pid": os.getpid(), "grpc_address": f"127.0.0.1:{port}"}
    (data_dir / "emulator.pid").write_text(json.dumps(info))
    done.wait()
    server.stop(0)
