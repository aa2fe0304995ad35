"""Lets a job's containers reach the local Cloud Storage, which listens on loopback only.

The local Cloud Storage (``emulator/storage/gcs.py``) is unauthenticated and holds the
packages jobs install, so it binds ``127.0.0.1``. Replicas reach the host as
``host.docker.internal``, which the runner maps to their job network's gateway (the
engine here runs with ``--iptables=false --bridge=none``: no NAT, no ``host-gateway``,
but the gateway address is the host's own address on the job's bridge). Nothing
listens there, so for each job network, while it exists, the emulator opens a TCP
forwarder on ``<gateway>:<port>`` that connects every connection it accepts to
``127.0.0.1:<port>``, where ``port`` is the one of ``STORAGE_EMULATOR_HOST`` (the URL
the replicas get, rewritten to ``host.docker.internal:<port>`` by ``cluster.py``).

Bounds:

* the only target is the local Cloud Storage, and only when ``STORAGE_EMULATOR_HOST``
  names this host (``127.0.0.1``, ``localhost``, ``::1``, ``0.0.0.0``, the hosts
  ``cluster.py`` rewrites), always reached on loopback: a job cannot ask for
  any other port, and a Cloud Storage elsewhere needs no forwarder;
* a forwarder listens on one job network's gateway address only, from the moment the
  runner has ensured the network (:meth:`GatewayForwards.open`) until it has removed it
  (:meth:`GatewayForwards.close`, which also ends the connections still open), and
  every forwarder closes when the emulator stops (:meth:`GatewayForwards.close_all`);
* a port already taken on the gateway (a Cloud Storage still bound to ``0.0.0.0``
  answers there itself) or a bind that fails is logged, never raised: the job starts,
  and reaches the storage if something answers.

One asyncio event loop, in one daemon thread started on first use, serves every
forwarder and connection: no thread per connection, and closing a forwarder is closing
its socket and aborting its connections, on the loop. The runner's threads call in
through ``asyncio.run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

STORAGE_EMULATOR_HOST_ENV = "STORAGE_EMULATOR_HOST"
# The hosts executor.container_storage_host rewrites to host.docker.internal.
_LOOPBACK = {
    "127.0.0.1": "127.0.0.1",
    "localhost": "127.0.0.1",
    "0.0.0.0": "127.0.0.1",
    "::1": "::1",
}
_BUFFER = 64 * 1024
_CONNECT_TIMEOUT = 10.0
_CALL_TIMEOUT = 30.0


def storage_target(url: str | None = None) -> tuple[str, int] | None:
    """The loopback ``(address, port)`` of the local Cloud Storage, or None.

    ``url`` defaults to ``STORAGE_EMULATOR_HOST``; None when it is unset or names a
    host that is not loopback (nothing to forward then).

    >>> storage_target("http://127.0.0.1:9023")
    ('127.0.0.1', 9023)
    >>> storage_target("localhost:9023")
    ('127.0.0.1', 9023)
    >>> storage_target("http://storage.example:9023") is None
    True
    """
    url = (os.environ.get(STORAGE_EMULATOR_HOST_ENV, "") if url is None else url).strip()
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    address = _LOOPBACK.get(parts.hostname or "")
    if address is None:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return address, port or (443 if parts.scheme == "https" else 80)


def gateway(network: dict[str, Any]) -> str | None:
    """The network's IPv4 gateway (the address ``host.docker.internal`` names), if any."""
    configs = (network.get("IPAM") or {}).get("Config") or []
    found = [c["Gateway"] for c in configs if c.get("Gateway") and "." in c["Gateway"]]
    return found[0] if found else None


@dataclass
class _Forward:
    listen: tuple[str, int]
    target: tuple[str, int]
    sock: socket.socket
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    writers: set[asyncio.StreamWriter] = field(default_factory=set)
    closed: bool = False


class GatewayForwards:
    """The forwarders of one runner, one per job network (module docstring).

    Args:
        target: returns where to forward (a loopback ``(address, port)``) or None;
            called when a network is opened. Default :func:`storage_target`.

    Thread-safe; reusable after :meth:`close_all` (the loop starts again on demand).
    """

    def __init__(self, target: Callable[[], tuple[str, int] | None] = storage_target) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._forwards: dict[str, _Forward] = {}

    # -- what the runner calls ----------------------------------------------------------

    def open(self, key: str, network: dict[str, Any]) -> None:
        """Forward ``<network's gateway>:<port>`` to the target while ``key``'s network exists.

        Idempotent. A bind that fails is logged, not raised.

        Raises:
            ValueError: the target is not a loopback address (a bad ``target``).
        """
        target = self._target()
        address = gateway(network)
        if target is None or address is None:
            return
        if target[0] not in ("127.0.0.1", "::1"):
            raise ValueError(f"forward target {target} is not loopback")
        listen = (address, target[1])
        with self._lock:
            known = self._forwards.get(key)
            if known is not None and known.listen == listen and known.target == target:
                return
            loop = self._ensure_loop()
        if known is not None:
            self.close(key)
        try:
            server = self._call(loop, self._listen(listen, target))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                log.info(
                    "%s:%s is taken (a local Cloud Storage bound beyond loopback?): "
                    "not forwarding it for %s",
                    *listen,
                    key,
                )
            else:
                log.warning("cannot forward %s:%s for %s: %s", *listen, key, err)
            return
        with self._lock:
            self._forwards[key] = server
        log.debug("forwarding %s:%s -> %s:%s for %s", *listen, *target, key)

    def close(self, key: str) -> None:
        """Stop ``key``'s forwarder and end its connections. Idempotent."""
        with self._lock:
            forward = self._forwards.pop(key, None)
            loop = self._loop
        if forward is not None and loop is not None:
            self._call(loop, _shut(forward))

    def close_all(self) -> None:
        """Close every forwarder and stop the loop's thread (the emulator stops)."""
        with self._lock:
            keys = list(self._forwards)
        for key in keys:
            self.close(key)
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=_CALL_TIMEOUT)
            loop.close()

    def listening(self) -> dict[str, tuple[str, int]]:
        """``key -> (gateway, port)`` of the forwarders open now."""
        with self._lock:
            return {key: f.listen for key, f in self._forwards.items()}

    # -- the loop -------------------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="vertex-local-gateway-forward", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    @staticmethod
    def _call(loop: asyncio.AbstractEventLoop, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=_CALL_TIMEOUT)

    @staticmethod
    async def _listen(listen: tuple[str, int], target: tuple[str, int]) -> _Forward:
        family = socket.AF_INET6 if ":" in listen[0] else socket.AF_INET
        sock = socket.create_server(listen, family=family)
        sock.setblocking(False)
        forward = _Forward(listen, target, sock)
        asyncio.get_running_loop().add_reader(sock.fileno(), _accept, forward)
        return forward


# Accepting here rather than with asyncio.start_server: closing an asyncio Server races
# the connections it has accepted but not yet wrapped (Python 3.11 drops them unclosed),
# while a socket accepted here is a task of the forwarder from the start.
def _accept(forward: _Forward) -> None:
    try:
        conn, _ = forward.sock.accept()
    except (BlockingIOError, InterruptedError, ConnectionAbortedError):
        return
    except OSError as err:  # out of descriptors: pause accepting for a second
        log.warning("forwarder on %s:%s cannot accept: %s", *forward.listen, err)
        loop = asyncio.get_running_loop()
        loop.remove_reader(forward.sock.fileno())
        loop.call_later(1.0, _resume, forward)
        return
    task = asyncio.get_running_loop().create_task(_connection(forward, conn))
    forward.tasks.add(task)
    task.add_done_callback(forward.tasks.discard)


def _resume(forward: _Forward) -> None:
    if not forward.closed:
        asyncio.get_running_loop().add_reader(forward.sock.fileno(), _accept, forward)


async def _shut(forward: _Forward) -> None:
    forward.closed = True
    asyncio.get_running_loop().remove_reader(forward.sock.fileno())
    forward.sock.close()
    for writer in list(forward.writers):
        writer.transport.abort()
    await asyncio.gather(*forward.tasks, return_exceptions=True)
    for _ in range(3):  # let the aborted transports release their sockets
        await asyncio.sleep(0)


async def _connection(forward: _Forward, conn: socket.socket) -> None:
    """Relay one accepted connection to the target, both ways, until both ends close."""
    writers: list[asyncio.StreamWriter] = []
    try:
        if forward.closed:
            return
        reader, writer = await asyncio.open_connection(sock=conn)
        writers.append(writer)
        forward.writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*forward.target), _CONNECT_TIMEOUT
            )
        except (OSError, asyncio.TimeoutError) as err:
            log.debug("cannot reach %s:%s: %s", *forward.target, err)
            return
        writers.append(up_writer)
        forward.writers.add(up_writer)
        if forward.closed:
            return
        pipes = {
            asyncio.ensure_future(_pipe(reader, up_writer)),
            asyncio.ensure_future(_pipe(up_reader, writer)),
        }
        try:
            # Each pipe half-closes its side on EOF; an error ends the pair.
            await asyncio.wait(pipes, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for pipe in pipes:
                pipe.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)
    except OSError as err:
        log.debug("forwarded connection ended: %s", err)
    finally:
        for writer in writers:
            writer.close()
            forward.writers.discard(writer)
        if not writers:
            conn.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(_BUFFER):
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        with contextlib.suppress(OSError):
            writer.write_eof()
