"""docker-py is needed only to build and push: never at import, and when it is missing
``vt.TrainingImage`` says what to install when the program constructs it (so preview does)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.testing import ProgramRunner

MESSAGE = "vt.TrainingImage builds with Docker: pip install docker"


@pytest.fixture
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the ``docker`` package were not installed (``import docker`` raises)."""
    monkeypatch.setitem(sys.modules, "docker", None)


def test_importing_the_package_imports_no_docker() -> None:
    code = (
        "import sys; sys.modules['docker'] = None\n"
        "import pulumi_vertex_training as vt, pulumi_vertex_training.provider.image\n"
        "import pulumi_vertex_training.packaging.registry\n"
        "print(vt.TrainingImage.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "TrainingImage"


@pytest.mark.usefixtures("no_docker")
def test_building_without_docker_py_names_what_to_install() -> None:
    for call in (registry.require_docker, registry.docker_client):
        with pytest.raises(registry.DockerNotInstalledError, match=MESSAGE) as err:
            call()
        assert "pulumi-vertex-training[image]" in str(err.value)
    with pytest.raises(registry.DockerNotInstalledError, match=MESSAGE):
        registry.pull_if_missing("127.0.0.1:5000/vt-none/x:y")


@pytest.mark.usefixtures("no_docker")
def test_training_image_says_what_to_install_at_preview(
    make_package: Callable[..., Path],
) -> None:
    import pulumi_vertex_training as vt

    source = make_package()

    def program() -> None:
        vt.TrainingImage(
            "trainer",
            source_dir=str(source),
            python_module="trainer.task",
            base_image="local/python:3.11",
            repository="us-central1-docker.pkg.dev/p/r",
        )

    with pytest.raises(registry.DockerNotInstalledError, match=MESSAGE):
        ProgramRunner(program, config={"gcp:project": "p", "gcp:region": "us-central1"}).preview()
