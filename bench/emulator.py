"""Benchmark of the local Vertex AI; prints figures, asserts nothing.

1. Submit-to-RUNNING: CreateCustomJob until GetCustomJob says JOB_STATE_RUNNING,
   against ``docker run -d`` of the same image and command (returns once the
   container runs), measured in the same run; prints both medians and the ratio.
2. GetCustomJob latency with 50 concurrent clients (each its own channel): p50/p99.

Usage: ``.venv/bin/python bench/emulator.py [--runs 5] [--clients 50] [--calls 40]``
(needs the Docker engine and ``local/python:3.11``: scripts/services.sh).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState
from google.cloud.aiplatform_v1.services.job_service.transports import JobServiceGrpcTransport

from pulumi_vertex_training.emulator.server import EmulatorServer

IMAGE = "local/python:3.11"
COMMAND = ["python", "-c", "import time; time.sleep(30)"]
PARENT = "projects/bench/locations/us-central1"


def _client(address: str) -> Any:
    channel = grpc.insecure_channel(address)
    return aiplatform_v1.JobServiceClient(
        transport=JobServiceGrpcTransport(channel=channel, host=address)
    )


def _job() -> dict[str, Any]:
    return {
        "display_name": "bench",
        "job_spec": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": IMAGE, "command": COMMAND},
                }
            ]
        },
    }


def docker_run_seconds() -> float:
    """Seconds for ``docker run -d`` to return (the container is running then)."""
    start = time.perf_counter()
    out = subprocess.run(
        ["docker", "run", "-d", IMAGE, *COMMAND], check=True, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    subprocess.run(["docker", "rm", "-f", out.stdout.strip()], check=True, capture_output=True)
    return elapsed


def emulator_running_seconds(client: Any) -> tuple[float, str]:
    """Seconds from CreateCustomJob until GetCustomJob reports RUNNING; and the job name."""
    start = time.perf_counter()
    job = client.create_custom_job(parent=PARENT, custom_job=_job())
    while client.get_custom_job(name=job.name).state != JobState.JOB_STATE_RUNNING:
        time.sleep(0.01)
    return time.perf_counter() - start, job.name


def get_latencies(address: str, name: str, clients: int, calls: int) -> list[float]:
    """Every GetCustomJob latency (seconds) of ``clients`` threads making ``calls`` calls each."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def work() -> None:
        client = _client(address)
        client.get_custom_job(name=name)  # connect before the clock starts
        barrier.wait()
        mine = []
        for _ in range(calls):
            start = time.perf_counter()
            client.get_custom_job(name=name)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    """Run both benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="jobs / docker runs to time")
    parser.add_argument("--clients", type=int, default=50, help="concurrent GetCustomJob clients")
    parser.add_argument("--calls", type=int, default=40, help="GetCustomJob calls per client")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(Path(tmp), rest_port=None) as em:
        client = _client(em.grpc_address)
        docker_times, emulator_times, names = [], [], []
        for _ in range(args.runs):  # interleaved, so both see the same engine load
            docker_times.append(docker_run_seconds())
            seconds, name = emulator_running_seconds(client)
            emulator_times.append(seconds)
            names.append(name)
            client.cancel_custom_job(name=name)
        docker_median = statistics.median(docker_times)
        emulator_median = statistics.median(emulator_times)
        print(f"submit-to-RUNNING over {args.runs} runs (median):")
        print(f"  docker run -d {IMAGE}: {docker_median * 1000:8.1f} ms")
        print(f"  vertex-local CustomJob: {emulator_median * 1000:8.1f} ms")
        print(f"  ratio emulator / docker run: {emulator_median / docker_median:.2f}")

        latencies = get_latencies(em.grpc_address, names[0], args.clients, args.calls)
        print(f"GetCustomJob, {args.clients} concurrent clients x {args.calls} calls:")
        print(f"  p50 {_percentile(latencies, 0.50) * 1000:.2f} ms")
        print(f"  p99 {_percentile(latencies, 0.99) * 1000:.2f} ms")

        for name in names:  # let the cancels finish before the emulator stops
            while client.get_custom_job(name=name).state != JobState.JOB_STATE_CANCELLED:
                time.sleep(0.1)


if __name__ == "__main__":
    main()
