"""gateway_forward.py without Docker: a "job network" whose gateway is 127.0.0.2.

The forwarder listens on the gateway at the target's port and relays to the loopback
target; it closes with the network (``close``) and the emulator (``close_all``), ends
the connections still open, and leaves no listener, thread or descriptor behind.
"""

from __future__ import annotations

import logging
import os
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_vertex_training.emulator.execution.gateway_forward import (
    GatewayForwards,
    gateway,
    storage_target,
)
from pulumi_vertex_training.emulator.execution.runner import DockerRunner
from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.fake_runner import FakeRunner
from tests.listening import listeners

GATEWAY = "127.0.0.2"
NETWORK = {"IPAM": {"Config": [{"Subnet": "fd00::/64"}, {"Gateway": GATEWAY}]}}
THREAD = "vertex-local-gateway-forward"


class _Upper(socketserver.StreamRequestHandler):
    """Reads until EOF, answers the bytes upper-cased, closes."""

    def handle(self) -> None:
        self.wfile.write(self.rfile.read().upper())


@pytest.fixture
def target() -> Iterator[tuple[str, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Upper)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def forwards(target: tuple[str, int]) -> Iterator[GatewayForwards]:
    forwards = GatewayForwards(lambda: target)
    yield forwards
    forwards.close_all()


def on_gateway(port: int) -> list[str]:
    return [str(s) for s in listeners() if s.address == GATEWAY and s.port == port]


def sockets_on_gateway(port: int) -> list[str]:
    """TCP sockets of ``GATEWAY:port`` still open (listening, connected or half closed),
    from /proc/net/tcp; TIME_WAIT is no open socket."""
    address = f"{socket.htonl(int.from_bytes(socket.inet_aton(GATEWAY), 'big')):08X}:{port:04X}"
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return [" ".join(r[1:4]) for r in rows if address in r[1:3] and r[3] in ("01", "08", "0A")]


def ask(port: int, data: bytes) -> bytes:
    with socket.create_connection((GATEWAY, port), timeout=10) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_relays_both_ways_to_the_loopback_target_while_open(
    forwards: GatewayForwards, target: tuple[str, int]
) -> None:
    port = target[1]
    forwards.open("job-1", NETWORK)
    assert forwards.listening() == {"job-1": (GATEWAY, port)}
    assert on_gateway(port) == [f"{GATEWAY}:{port}"]
    assert ask(port, b"hello") == b"HELLO"
    big = os.urandom(3 * 1024 * 1024)  # more than one buffer, both ways
    assert ask(port, big) == big.upper()


def test_close_stops_listening_and_ends_open_connections(
    forwards: GatewayForwards, target: tuple[str, int]
) -> None:
    port = target[1]
    forwards.open("job-1", NETWORK)
    idle = socket.create_connection((GATEWAY, port), timeout=10)
    idle.sendall(b"half a request")
    forwards.close("job-1")
    assert forwards.listening() == {} and on_gateway(port) == []
    try:  # the forwarder ended it: closed, or reset (aborted, or never accepted)
        assert idle.recv(100) == b""
    except ConnectionResetError:
        pass
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((GATEWAY, port), timeout=10).close()
    forwards.close("job-1")  # idempotent


def test_open_is_idempotent_per_network(forwards: GatewayForwards, target: tuple[str, int]) -> None:
    forwards.open("job-1", NETWORK)
    forwards.open("job-1", NETWORK)
    assert on_gateway(target[1]) == [f"{GATEWAY}:{target[1]}"]


def test_close_all_leaves_no_listener_thread_or_descriptor(
    forwards: GatewayForwards, target: tuple[str, int]
) -> None:
    for round_ in range(20):
        forwards.open(f"job-{round_}", NETWORK)
        assert ask(target[1], b"x") == b"X"
        forwards.close(f"job-{round_}")
    forwards.open("still-open", NETWORK)
    # This instance's thread: other forwarders (an emulator of the session) may run here.
    thread = next(t for t in threading.enumerate() if t is forwards._thread)
    assert thread.name == THREAD
    assert sockets_on_gateway(target[1])  # its listener
    forwards.close_all()
    assert forwards.listening() == {} and on_gateway(target[1]) == []
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert sockets_on_gateway(target[1]) == []
    forwards.open("again", NETWORK)  # reusable: the loop starts again
    assert ask(target[1], b"y") == b"Y"


def test_nothing_opens_without_a_loopback_target_or_a_gateway(target: tuple[str, int]) -> None:
    for forwards, network in (
        (GatewayForwards(lambda: None), NETWORK),
        (GatewayForwards(lambda: target), {"IPAM": {"Config": []}}),
        (GatewayForwards(lambda: target), {}),
    ):
        forwards.open("job-1", network)
        assert forwards.listening() == {}
        assert forwards._thread is None  # no loop was started for nothing
    with pytest.raises(ValueError, match="not loopback"):
        GatewayForwards(lambda: ("192.0.2.1", 9023)).open("job-1", NETWORK)


def test_a_taken_port_is_logged_not_raised(
    forwards: GatewayForwards, target: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    with socket.create_server((GATEWAY, target[1])), caplog.at_level(logging.INFO):
        forwards.open("job-1", NETWORK)
    assert forwards.listening() == {}
    assert "is taken" in caplog.text


def test_storage_target_forwards_only_a_loopback_storage_emulator_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9023")
    assert storage_target() == ("127.0.0.1", 9023)
    assert storage_target("http://localhost:7000/") == ("127.0.0.1", 7000)
    assert storage_target("http://[::1]:7000") == ("::1", 7000)
    assert storage_target("http://127.0.0.1") == ("127.0.0.1", 80)
    assert storage_target("http://0.0.0.0:9023") == ("127.0.0.1", 9023)  # as cluster.py rewrites
    for other in ("", "http://10.0.0.5:9023", "https://storage.example"):
        assert storage_target(other) is None
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    assert storage_target() is None
    assert gateway(NETWORK) == GATEWAY


def test_the_emulator_closes_its_runners_forwarders_when_it_stops(tmp_path: Path) -> None:
    closed = []

    class Runner(FakeRunner):
        def close(self) -> None:
            closed.append(True)

    EmulatorServer(tmp_path, port=0, rest_port=None, runner=Runner()).start().stop()
    assert closed == [True]
    runner = DockerRunner(tmp_path, "instance")  # no engine needed to close
    runner.gateway_forwards = GatewayForwards(lambda: ("127.0.0.1", 1))
    runner.gateway_forwards.open("job-1", NETWORK)
    assert runner.gateway_forwards.listening()
    runner.close()
    assert runner.gateway_forwards.listening() == {} and on_gateway(1) == []
