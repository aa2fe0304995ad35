"""Local validation of a package: every error raises at once, naming the field and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_vertex_training.packaging.context import PackagingError
from pulumi_vertex_training.packaging.package import prepare_image, resolve_package


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    (tmp_path / "trainer").mkdir()
    (tmp_path / "trainer/__init__.py").write_text("")
    (tmp_path / "trainer/task.py").write_text("print(1)\n")
    (tmp_path / "requirements.txt").write_text("six\n")
    (tmp_path / "configs").mkdir()
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist/lib-0.1.tar.gz").write_bytes(b"x")
    return tmp_path


def test_resolve_finds_requirements_txt_and_relativizes_paths_when_valid(pkg: Path):
    spec = resolve_package(
        str(pkg),
        script=str(pkg / "trainer/task.py"),
        extra_dirs=["configs"],
        extra_packages=["dist/lib-0.1.tar.gz"],
    )
    assert spec.script == "trainer/task.py"
    assert spec.requirements_txt == "requirements.txt" and spec.setup_py is None
    prepared = prepare_image(spec, "local/python:3.11")
    assert prepared.context.paths == [
        "dist/lib-0.1.tar.gz",
        "requirements.txt",
        "trainer/__init__.py",
        "trainer/task.py",
    ]
    assert 'COPY ["trainer", "trainer"]' in prepared.dockerfile


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"source_dir": "/nonexistent/x", "script": "t.py"},
            "source_dir '/nonexistent/x' does not exist",
        ),
        ({"script": "../outside.py"}, "script '../outside.py' is not under source_dir"),
        ({"script": "/etc/passwd"}, "script '/etc/passwd' is not under source_dir"),
        ({"script": "trainer/missing.py"}, "script 'trainer/missing.py' does not exist"),
        ({}, "exactly one of script or python_module"),
        ({"script": "trainer/task.py", "python_module": "trainer.task"}, "exactly one of"),
        ({"python_module": "trainer.nope"}, "trainer/nope.py does not exist"),
        ({"python_module": "trainer/task"}, "is not a dotted module name"),
        (
            {"python_module": "trainer.task", "extra_packages": ["dist/nope.whl"]},
            "extra_packages entry 'dist/nope.whl' is not a file",
        ),
        (
            {"python_module": "trainer.task", "extra_dirs": ["nodir"]},
            "extra_dirs entry 'nodir' is not a directory",
        ),
        (
            {"python_module": "trainer.task", "extra_dirs": ["../.."]},
            "extra_dirs entry '../..' is not under source_dir",
        ),
        ({"python_module": "trainer.task", "requirements": "six"}, "requirements must be a list"),
        (
            {"python_module": "trainer.task", "include_files": ["sa.json"]},
            "include_files entry 'sa.json' is not a file",
        ),
    ],
)
def test_resolve_raises_naming_field_when_invalid(pkg: Path, kwargs, message):
    source = kwargs.pop("source_dir", str(pkg))
    with pytest.raises(PackagingError, match=message.replace("(", r"\(").replace(".", r"\.")):
        resolve_package(source, **kwargs)


def test_resolve_raises_when_source_dir_is_a_file(pkg: Path):
    with pytest.raises(PackagingError, match="is not a directory"):
        resolve_package(str(pkg / "requirements.txt"), script="x.py")


def test_prepare_raises_when_base_image_empty(pkg: Path):
    with pytest.raises(PackagingError, match="base_image"):
        prepare_image(resolve_package(str(pkg), python_module="trainer.task"), "")
