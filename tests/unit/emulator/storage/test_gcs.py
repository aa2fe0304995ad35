"""The local Cloud Storage without gcp-storage-emulator (the ``[local]`` extra) installed.

Starting it says how to install the extra, in one line; nothing else of the emulator
(``vertex-local`` included) needs the package to import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pulumi_vertex_training
from pulumi_vertex_training.emulator.storage import gcs

MESSAGE = (
    "the local Cloud Storage needs gcp-storage-emulator: "
    "pip install 'pulumi-vertex-training[local]'"
)


@pytest.fixture
def no_gcp_storage_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import gcp_storage_emulator`` fails, as when the package is not installed."""
    monkeypatch.setitem(sys.modules, "gcp_storage_emulator", None)


@pytest.mark.usefixtures("no_gcp_storage_emulator")
def test_local_gcs_raises_saying_how_to_install_the_extra(tmp_path: Path) -> None:
    with pytest.raises(ModuleNotFoundError) as raised:
        gcs.LocalGcs(tmp_path / "gcs")
    assert str(raised.value) == MESSAGE == gcs.MISSING_MESSAGE
    assert raised.value.name == "gcp_storage_emulator"


@pytest.mark.usefixtures("no_gcp_storage_emulator")
def test_main_prints_one_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gcs.main(["--root", str(tmp_path / "gcs"), "--port", "0"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", MESSAGE + "\n")


def test_vertex_local_imports_and_runs_without_gcp_storage_emulator(tmp_path: Path) -> None:
    # A fresh interpreter, so that no module is already imported: every emulator module
    # but folder_storage (which adapts gcp-storage-emulator) imports, and the CLI runs.
    code = """if True:
        import importlib, pkgutil, sys
        sys.modules["gcp_storage_emulator"] = None
        import pulumi_vertex_training.emulator as emulator
        for module in pkgutil.walk_packages(emulator.__path__, emulator.__name__ + "."):
            if not module.name.endswith(("__main__", ".folder_storage")):
                importlib.import_module(module.name)
        from pulumi_vertex_training.emulator.cli import main
        sys.exit(main(sys.argv[1:]))
    """
    root = Path(pulumi_vertex_training.__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code, "status", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        },
    )
    assert result.stderr == ""
    assert result.returncode == 3, result.stdout
    assert "not running" in result.stdout
