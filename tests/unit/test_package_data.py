"""Every data file the package reads ships in the wheel: pyproject's package-data names it."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import tomllib

import pulumi_vertex_training

ROOT = Path(pulumi_vertex_training.__file__).parent
PYPROJECT = ROOT.parent / "pyproject.toml"


def test_every_data_file_in_the_package_is_listed_in_package_data() -> None:
    config = tomllib.loads(PYPROJECT.read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["pulumi_vertex_training"]
    data_files = [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    unlisted = [f for f in data_files if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert not unlisted, f"add these to [tool.setuptools.package-data]: {unlisted}"
