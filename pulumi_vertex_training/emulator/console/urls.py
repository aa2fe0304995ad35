"""Where the console is: its URL for an emulator's addresses, and ``vertex-local console``.

A client knows the emulator by its gRPC address (``VERTEX_AI_EMULATOR_HOST``); the
console is on the REST port. ``client.emulator_console`` takes
``VERTEX_AI_EMULATOR_CONSOLE`` when set, else the port after the gRPC one (8470 -> 8471,
``vertex-local``'s defaults). :func:`banner` says so when an emulator starts: it prints
the console's URL and, when the REST port is not the next one, the variable to export.
No heavy imports: the CLI imports this module.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib

PATH = "/console"
"""The console's path on the REST port."""

CONSOLE_ENV = "VERTEX_AI_EMULATOR_CONSOLE"
"""Read by ``client.emulator_console`` (client.py, which imports nothing of the emulator)."""

EXIT_NOT_RUNNING = 3


def console_url(rest_address: str) -> str:
    """``http://127.0.0.1:8471/console/`` for the REST address ``127.0.0.1:8471``."""
    return f"http://{rest_address}{PATH}/"


def banner(grpc_address: str, rest_address: str | None) -> list[str]:
    """Lines ``vertex-local start/serve`` print about the console."""
    if not rest_address:
        return ["vertex-local: no console (REST is off: --no-rest)"]
    lines = [f"vertex-local: console {console_url(rest_address)}"]
    grpc_port = grpc_address.rpartition(":")[2]
    rest_port = rest_address.rpartition(":")[2]
    if not (grpc_port.isdigit() and rest_port.isdigit() and int(rest_port) == int(grpc_port) + 1):
        # console_url outputs count the REST port as the gRPC port + 1 unless told otherwise
        lines.append(f"export {CONSOLE_ENV}=http://{rest_address}")
    return lines


def command(args: argparse.Namespace) -> int:
    """``vertex-local console``: print the console's URL of the data dir's emulator.

    Exit 0 with the URL; 3 when no emulator runs for the data dir; 1 when it serves no REST.
    """
    from pulumi_vertex_training.emulator.lifecycle import PID_FILE, print_error

    data_dir = pathlib.Path(args.data_dir).resolve()
    try:
        info = json.loads((data_dir / PID_FILE).read_text())
        pid = int(info["pid"])
        os.kill(pid, 0)
    except PermissionError:
        pass  # alive, another user's
    except (OSError, ValueError, KeyError, TypeError):
        print_error(f"no emulator is running for {data_dir} (vertex-local start)")
        return EXIT_NOT_RUNNING
    rest = info.get("rest_address")
    if not rest:
        print_error(f"the emulator (pid {pid}) serves no REST (--no-rest): no console")
        return 1
    print(console_url(str(rest)))
    return 0
