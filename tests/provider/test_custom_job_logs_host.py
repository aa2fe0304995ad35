"""What the provider writes while it waits reaches the Pulumi CLI.

The CLI starts the SDK's dynamic-provider host (``python -m pulumi.dynamic``), reads
the port from its stdout, and from then on reads its stdout and stderr line by line,
showing each line as an info diagnostic of the stack (pulumi's
sdk/go/common/resource/plugin/plugin.go, for dynamic providers). The host has no
engine attached, so the provider's lines must be on those streams, whole, while
Create is still running. This test reads the streams as the CLI does.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.execution.cluster import gcs_root
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.testing.host import DynamicHost, encode
from tests.provider.conftest import job_props, python_job_spec

pytestmark = pytest.mark.docker

BUCKET = "host-logs"
GATED = f"""
import pathlib, sys, time
print("first line", flush=True)
print("to stderr", file=sys.stderr, flush=True)
while not pathlib.Path("/gcs/{BUCKET}/go").exists():
    time.sleep(0.05)
print("second line", flush=True)
"""


class CliReadHost(DynamicHost):
    """The host, with its stdout (after the port) and stderr read line by line as the CLI does."""

    def start(self) -> CliReadHost:
        self.lines: list[tuple[str, str]] = []  # (stream, line), in the order read
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        port = int(self.process.stdout.readline().strip())
        for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr)):
            threading.Thread(target=self._read, args=(name, stream), daemon=True).start()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=encode(self.config)))
        return self

    def _read(self, name: str, stream: IO[bytes]) -> None:
        for raw in stream:
            self.lines.append((name, raw.decode().rstrip("\n")))

    def shown(self) -> list[str]:
        return [line for _, line in self.lines]


@pytest.fixture
def host(emulator: Any) -> Iterator[CliReadHost]:
    env = {client.EMULATOR_HOST_ENV: emulator.grpc_address}
    with CliReadHost(config={"gcp:project": "p", "gcp:region": "us-central1"}, env=env) as running:
        yield running


def _until(check: Any, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_streamed_lines_reach_the_cli_while_create_waits(host: CliReadHost, emulator: Any) -> None:
    spec = python_job_spec(GATED, base_output_directory={"output_uri_prefix": f"gs://{BUCKET}/o"})
    props = job_props(wait="completed", logs="stream", job_spec=spec, display_name="hosted")
    provider = DynamicHost.serialize(CustomJobProvider())
    inputs, failures = host.check({}, {**props, "__provider": provider})
    assert failures == []
    created: dict[str, Any] = {}
    creating = threading.Thread(target=lambda: created.update(result=host.create(inputs)))
    creating.start()

    _until(lambda: "info: [hosted workerpool0-0] first line" in host.shown())
    assert creating.is_alive()  # shown while Create still waits for the job
    assert "info: [hosted workerpool0-0] to stderr" in host.shown()
    assert {stream for stream, line in host.lines if "[hosted " in line} == {"stderr"}
    (gcs_root(emulator.data_dir) / BUCKET / "go").touch()
    creating.join(timeout=120)
    job_id, outs = created["result"]
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert "info: [hosted workerpool0-0] second line" in host.shown()
    # every line whole: no two messages interleaved on one line
    assert all(line.count("info: ") <= 1 for line in host.shown())
    host.delete(job_id, outs)
