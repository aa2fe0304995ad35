"""``vertex-local`` without the ``local`` extra: serving says what to install, the rest works."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pulumi_vertex_training.emulator import cli


@pytest.mark.parametrize("command", ["serve", "start"])
def test_serving_without_the_local_extra_names_the_missing_packages_and_the_extra(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A None entry in sys.modules is how Python marks a module as not importable.
    monkeypatch.setitem(sys.modules, "starlette", None)
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert cli.main([command]) == 2
    err = capsys.readouterr().err
    assert "starlette, uvicorn not installed" in err
    assert "pip install 'pulumi-vertex-training[local]'" in err


def test_commands_that_only_ask_an_emulator_do_not_need_the_local_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "starlette", None)
    cli.main(["status", "--data-dir", str(tmp_path)])  # no emulator there: says so
    assert "local extra" not in capsys.readouterr().err
