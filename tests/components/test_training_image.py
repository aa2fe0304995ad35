"""TrainingImage as a whole program (in-process engine): preview, up, no-op up, change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_vertex_training.components.training_image import TrainingImage, default_image_name
from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.packaging.context import (
    CredentialFileError,
    PackagingError,
)
from pulumi_vertex_training.testing import ProgramRunner

BASE_IMAGE = "local/python:3.11"


def image_program(source: Path, repository: str, **kwargs: Any) -> Callable[[], None]:
    def program() -> None:
        image = TrainingImage(
            "Trainer Image",
            source_dir=str(source),
            python_module="trainer.task",
            base_image=BASE_IMAGE,
            repository=repository,
            **kwargs,
        )
        pulumi.export("image_uri", image.image_uri)
        pulumi.export("context_hash", image.context_hash)
        pulumi.export("digest", image.digest)

    return program


def image_steps(result: Any) -> list[str]:
    return [op for op, name in result.ops() if name == "Trainer Image" and op != "read"]


@pytest.mark.docker
def test_preview_knows_hash_and_up_builds_once_when_source_unchanged(
    make_package: Callable[..., Path], repository: str
) -> None:
    source = make_package()
    stack = ProgramRunner(image_program(source, repository))
    builds = registry.builds_started()

    preview = stack.preview()
    assert registry.builds_started() == builds  # preview never builds
    assert len(preview.outputs["context_hash"]) == 64  # known without building
    assert not isinstance(preview.outputs["image_uri"], str)  # unknown until up

    up = stack.up()
    uri = up.outputs["image_uri"]
    assert uri.startswith(f"{repository}/trainer-image@sha256:")
    assert up.outputs["digest"] == uri.split("@")[1]
    built = registry.builds_started()

    again = stack.up()
    assert "same" in image_steps(again) and not [s for s in image_steps(again) if s != "same"]
    assert again.outputs["image_uri"] == uri
    assert registry.builds_started() == built  # nothing built, nothing pushed

    (source / "README.md").write_text("not copied: task.py's parent is trainer/\n")
    assert stack.preview().outputs["context_hash"] == up.outputs["context_hash"]

    (source / "trainer/task.py").write_text("print('v2')\n")
    changed = stack.preview()
    assert changed.outputs["context_hash"] != up.outputs["context_hash"]
    assert "replace" in image_steps(changed)


def test_component_raises_before_registering_when_source_dir_missing(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="does not exist"):
        TrainingImage(
            "t",
            source_dir=str(tmp_path / "nope"),
            script="task.py",
            base_image=BASE_IMAGE,
            repository="127.0.0.1:5000/x",
        )


def test_component_raises_when_source_dir_is_an_output() -> None:
    with pytest.raises(PackagingError, match="plain string"):
        TrainingImage(
            "t",
            source_dir=pulumi.Output.from_input("x"),  # type: ignore[arg-type]
            script="task.py",
            base_image=BASE_IMAGE,
            repository="127.0.0.1:5000/x",
        )


def test_component_refuses_credentials_unless_named_when_in_copied_dir(
    make_package: Callable[..., Path],
) -> None:
    source = make_package(trainer__key_pem="-----BEGIN PRIVATE KEY-----")
    (source / "trainer/key_pem").rename(source / "trainer/service.pem")
    kwargs: dict[str, Any] = {
        "source_dir": str(source),
        "python_module": "trainer.task",
        "base_image": BASE_IMAGE,
        "repository": "127.0.0.1:5000/x",
    }
    with pytest.raises(CredentialFileError, match=r"trainer/service\.pem"):
        TrainingImage("t", **kwargs)


def test_component_refuses_a_key_by_content_unless_named_when_its_name_is_innocent(
    make_package: Callable[..., Path],
) -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ" * 2
    source = make_package(trainer__deploy_key=key)
    kwargs: dict[str, Any] = {
        "source_dir": str(source),
        "python_module": "trainer.task",
        "base_image": BASE_IMAGE,
        "repository": "127.0.0.1:5000/x",
    }
    with pytest.raises(
        CredentialFileError, match=r"trainer/deploy_key \(a PEM private key\)"
    ) as err:
        TrainingImage("t", **kwargs)
    assert "include_files=" in str(err.value)

    program = image_program(source, "127.0.0.1:5000/x", include_files=["trainer/deploy_key"])
    assert len(ProgramRunner(program).preview().outputs["context_hash"]) == 64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repository": "nohost"}, "repository: must start with a registry host"),
        ({"image_name": "Bad Name"}, "image_name: not a valid image name"),
        ({"create_repository": True}, "create_repository: needs an Artifact Registry"),
    ],
)
def test_component_raises_at_once_when_target_is_invalid(
    make_package: Callable[..., Path], kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {
        "source_dir": str(make_package()),
        "python_module": "trainer.task",
        "base_image": BASE_IMAGE,
        "repository": "127.0.0.1:5000/x",
        **kwargs,
    }
    with pytest.raises(PackagingError, match=message):
        TrainingImage("t", **args)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Trainer Image", "trainer-image"), ("a__b", "a-b"), ("!!!", "training-image")],
)
def test_default_image_name_is_sanitized_when_derived_from_resource_name(name, expected) -> None:
    assert default_image_name(name) == expected
