"""Listening TCP sockets, from ``/proc/net/tcp`` and ``/proc/net/tcp6`` (Linux).

``listeners()`` lists every socket in LISTEN state with its owning processes (found
through ``/proc/<pid>/fd``, so the tests must run as the user of those processes or
root); ``is_loopback`` tells 127.0.0.0/8 and ::1 (and ::ffff:127.x) from the rest.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

_LISTEN = "0A"


@dataclass(frozen=True)
class Listener:
    address: str
    port: int
    inode: int

    def __str__(self) -> str:
        return (
            f"[{self.address}]:{self.port}"
            if ":" in self.address
            else f"{self.address}:{self.port}"
        )


def is_loopback(address: str) -> bool:
    """``127.0.0.0/8``, ``::1`` and ``::ffff:127.x``; ``0.0.0.0``/``::`` are not."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def listeners() -> list[Listener]:
    """Every TCP socket listening in this network namespace."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != _LISTEN:
                continue
            hex_address, hex_port = fields[1].split(":")
            found.append(Listener(_address(hex_address), int(hex_port, 16), int(fields[9])))
    return found


def listeners_of(pids: set[int]) -> list[Listener]:
    """The listening sockets that one of ``pids`` holds open."""
    inodes = set()
    for pid in pids:
        inodes |= _socket_inodes(pid)
    return [s for s in listeners() if s.inode in inodes]


def owners(port: int) -> set[int]:
    """The pids holding a socket that listens on ``port`` (any address)."""
    inodes = {s.inode for s in listeners() if s.port == port}
    return {pid for pid in _pids() if _socket_inodes(pid) & inodes}


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw))
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]  # 4-byte words, little-endian
    return str(ipaddress.IPv6Address(b"".join(words)))
