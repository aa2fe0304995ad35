"""Where the console is: ``vertex-local start/serve`` say it, ``vertex-local console`` prints it."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import httpx
import pytest

from pulumi_vertex_training.emulator.console import urls


def vertex_local(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulumi_vertex_training.emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_banner_names_the_console_and_the_variable_only_when_rest_is_not_the_next_port() -> None:
    assert urls.banner("127.0.0.1:8470", "127.0.0.1:8471") == [
        "vertex-local: console http://127.0.0.1:8471/console/"
    ]
    assert urls.banner("127.0.0.1:9000", "127.0.0.1:8471") == [
        "vertex-local: console http://127.0.0.1:8471/console/",
        "export VERTEX_AI_EMULATOR_CONSOLE=http://127.0.0.1:8471",
    ]
    assert "no console" in urls.banner("127.0.0.1:8470", None)[0]


def _pid_file(folder: pathlib.Path, **info: Any) -> argparse.Namespace:
    (folder / "emulator.pid").write_text(json.dumps(info))
    return argparse.Namespace(data_dir=folder)


def test_console_command_prints_the_url_or_says_why_not(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert urls.command(argparse.Namespace(data_dir=tmp_path)) == urls.EXIT_NOT_RUNNING
    assert "no emulator is running" in capsys.readouterr().err
    running = _pid_file(tmp_path, pid=os.getpid(), rest_address="127.0.0.1:41234")
    assert urls.command(running) == 0
    assert capsys.readouterr().out == "http://127.0.0.1:41234/console/\n"
    no_rest = _pid_file(tmp_path, pid=os.getpid(), rest_address=None)
    assert urls.command(no_rest) == 1
    assert "--no-rest" in capsys.readouterr().err


def test_start_prints_the_console_and_console_prints_a_url_that_answers(
    tmp_path: pathlib.Path, docker_client: Any
) -> None:
    data_dir = str(tmp_path / "state")
    started = vertex_local("start", "--port", "0", "--rest-port", "0", "--data-dir", data_dir)
    try:
        assert started.returncode == 0, started.stderr
        info = json.loads((tmp_path / "state" / "emulator.pid").read_text())
        url = f"http://{info['rest_address']}/console/"
        assert f"vertex-local: console {url}" in started.stdout
        # free ports: REST is not the gRPC port + 1, so the variable to export is printed
        assert f"export VERTEX_AI_EMULATOR_CONSOLE=http://{info['rest_address']}" in started.stdout
        printed = vertex_local("console", "--data-dir", data_dir)
        assert printed.returncode == 0 and printed.stdout == f"{url}\n"
        page = httpx.get(url, timeout=30)
        assert page.status_code == 200 and "Training jobs" in page.text
    finally:
        vertex_local("stop", "--data-dir", data_dir)
