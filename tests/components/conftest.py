"""Fixtures for image tests: the local registry, unique repositories, tiny packages.

Builds run on a vfs-storage engine, where every layer is a full copy of the
base image: packages stay tiny and share their dependency layers so the
engine's cache serves most steps.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REGISTRY = "127.0.0.1:5000"
BASE_IMAGE = "local/python:3.11"


@pytest.fixture(scope="session")
def registry(docker_client: Any) -> str:
    """The local registry's address; skips when it does not answer."""
    import requests

    try:
        requests.get(f"http://{REGISTRY}/v2/", timeout=5).raise_for_status()
    except requests.RequestException as err:
        pytest.skip(f"no registry at {REGISTRY} ({err}); start it with scripts/services.sh")
    return REGISTRY


@pytest.fixture
def repository(registry: str) -> str:
    """A repository path no other test pushes to: ``127.0.0.1:5000/vt-<random>``."""
    return f"{registry}/vt-{uuid.uuid4().hex[:10]}"


def write_package(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


TRAINER = {
    # A requirements.txt without packages: a real `pip install -r` layer that needs no index.
    "requirements.txt": "# no third-party packages\n",
    "trainer/__init__.py": "",
    "trainer/task.py": "import sys\nprint('training', sys.argv[1:])\n",
}


@pytest.fixture
def make_package(tmp_path: Path) -> Callable[..., Path]:
    """``make_package(**overrides)``: a tiny trainer package (module ``trainer.task``)."""

    def make(name: str = "pkg", **files: str) -> Path:
        extra = {k.replace("__", "/"): v for k, v in files.items()}
        return write_package(tmp_path / name, {**TRAINER, **extra})

    return make
