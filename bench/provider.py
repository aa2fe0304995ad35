"""Benchmark: the CustomJob provider's no-op pass through the real dynamic-provider host.

Prints, each measured in this run:
- check+diff per resource for 50 unchanged jobs through ``python -m pulumi.dynamic``,
  against a trivial provider's check+diff round trip in the same kind of host (ratio);
- the number of Vertex API calls that no-op pass makes (must be 0);
- the host's cold start (spawn to the first CustomJob check answered) against a bare
  ``python -c "import google.cloud.aiplatform_v1"``;
- with ``logs="stream"``, the time from a line printed in a container to the same line
  on the host's stderr (where the Pulumi CLI reads it), median and p95, against the
  interval between the waiting provider's polls.

Run: ``.venv/bin/python bench/provider.py`` (starts its own emulator; needs Docker).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.testing.host import DynamicHost, EchoProvider, encode

JOBS = 50
TICKS = 40
TICKER = f"""
import time
for i in range({TICKS}):
    print("tick", i, time.time_ns(), flush=True)
    time.sleep(0.25)
"""


class StderrHost(DynamicHost):
    """The host with its stderr read line by line, as the Pulumi CLI reads it, each line
    stamped when read."""

    def start(self) -> StderrHost:
        self.read: list[tuple[int, str]] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        port = int(self.process.stdout.readline().strip())
        stderr = self.process.stderr
        threading.Thread(
            target=lambda: self.read.extend((time.time_ns(), raw.decode()) for raw in stderr),
            daemon=True,
        ).start()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=encode(self.config)))
        return self


def job_props(i: int) -> dict[str, Any]:
    return {
        "project": "bench",
        "location": "us-central1",
        "display_name": f"bench-{i}",
        "job_spec": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {
                        "image_uri": "local/python:3.11",
                        "command": ["python", "-c", "print(1)"],
                        "env": [{"name": "EPOCHS", "value": str(i)}],
                    },
                }
            ],
            "scheduling": {"timeout": "2h", "strategy": "SPOT"},
        },
        "wait": "none",
        "on_delete": "cancel",
        "resource_key": f"bench/dev/job-{i}",
    }


def no_op_pass(host: DynamicHost, provider: str, states: list[dict[str, Any]]) -> float:
    """check + diff for every resource; returns seconds per resource."""
    start = time.perf_counter()
    for outputs in states:
        inputs, failures = host.check(outputs, {**outputs, "__provider": provider})
        assert not failures, failures
        diff = host.diff("id", outputs, inputs)
        assert diff.changes == "none", diff
    return (time.perf_counter() - start) / len(states)


def cold_start() -> float:
    """Spawn the host and get the first check of a CustomJob answered."""
    start = time.perf_counter()
    with DynamicHost() as host:
        provider = DynamicHost.serialize(CustomJobProvider())
        host.check({}, {**job_props(0), "__provider": provider})
    return time.perf_counter() - start


def bare_import() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import google.cloud.aiplatform_v1"], check=True)
    return time.perf_counter() - start


def stream_latency(emulator: EmulatorServer) -> tuple[list[float], float]:
    """(seconds from print in the container to the host's stderr, per line; mean seconds
    between the provider's polls)."""
    props = job_props(0)
    props["job_spec"]["worker_pool_specs"][0]["container_spec"]["command"] = [
        "python", "-c", TICKER,
    ]  # fmt: skip
    props.update(wait="completed", logs="stream", display_name="ticker")
    env = {client.EMULATOR_HOST_ENV: emulator.grpc_address}
    with StderrHost(env=env) as host:
        provider = DynamicHost.serialize(CustomJobProvider())
        inputs, _ = host.check({}, {**props, "__provider": provider})
        polls = emulator.calls["list_log_entries"]
        start = time.perf_counter()
        job_id, outputs = host.create(inputs)
        waited = time.perf_counter() - start
        polls = emulator.calls["list_log_entries"] - polls
        host.delete(job_id, outputs)
    latencies = []
    for read_ns, line in host.read:
        if "[ticker workerpool0-0] tick " in line:
            printed_ns = int(line.split()[-1])
            latencies.append((read_ns - printed_ns) / 1e9)
    assert len(latencies) == TICKS, f"{len(latencies)} of {TICKS} lines shown"
    return latencies, waited / max(polls, 1)


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, EmulatorServer(Path(data_dir)) as emulator:
        latencies, poll_interval = stream_latency(emulator)
        env = {client.EMULATOR_HOST_ENV: emulator.grpc_address}
        with DynamicHost(env=env) as host:
            provider = DynamicHost.serialize(CustomJobProvider())
            # outputs as the state would hold them: checked inputs + computed outputs
            states = []
            for i in range(JOBS):
                inputs, _ = host.check({}, {**job_props(i), "__provider": provider})
                states.append({**inputs, "state": "JOB_STATE_RUNNING", "spec_hash": "x"})
            echo = DynamicHost.serialize(EchoProvider())
            echo_states = [{**s, "__provider": echo} for s in states]
            calls_before = sum(emulator.calls.values())
            ours_runs, echo_runs = [], []
            for _ in range(5):  # interleaved, so load on the machine hits both alike
                ours_runs.append(no_op_pass(host, provider, states))
                echo_runs.append(no_op_pass(host, echo, echo_states))
            calls = sum(emulator.calls.values()) - calls_before
            ours, baseline = statistics.median(ours_runs), statistics.median(echo_runs)

    # Alternated, each first in turn, after one unmeasured run of each: neither is
    # measured cold from disk nor warmed by the other.
    cold_start()
    bare_import()
    colds, imports = [], []
    for i in range(4):
        for measure in (cold_start, bare_import) if i % 2 == 0 else (bare_import, cold_start):
            (colds if measure is cold_start else imports).append(measure())
    print(f"no-op check+diff per job ({JOBS} jobs, real host): {ours * 1000:.2f} ms")
    print(f"trivial provider check+diff round trip:          {baseline * 1000:.2f} ms")
    print(f"ratio (ours / trivial):                          {ours / baseline:.2f}x")
    print(f"Vertex API calls during the no-op pass:          {calls}")
    print(f"host cold start to first CustomJob check:       {statistics.median(colds):.2f} s")
    print(f"bare `import google.cloud.aiplatform_v1`:        {statistics.median(imports):.2f} s")
    print(
        f"ratio (host cold start / bare import):           "
        f"{statistics.median(colds) / statistics.median(imports):.2f}x"
    )
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"logs=stream: container print -> CLI, median:     {statistics.median(latencies):.2f} s")
    print(f"logs=stream: container print -> CLI, p95:        {p95:.2f} s")
    print(f"mean interval between the provider's polls:      {poll_interval:.2f} s")
    print(
        f"ratio (median latency / poll interval):          "
        f"{statistics.median(latencies) / poll_interval:.2f}x"
    )


if __name__ == "__main__":
    main()
