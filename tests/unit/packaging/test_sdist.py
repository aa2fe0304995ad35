"""Package sources: validation, content hash, wrapping, reproducible sdists, builder errors."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from pulumi_vertex_training.packaging.context import PackagingError
from pulumi_vertex_training.packaging.sdist import (
    WRAPPED_DIST_NAME,
    SdistBuildError,
    build_sdist,
    object_name,
    resolve_source,
)

TOP = f"{WRAPPED_DIST_NAME}-0.1"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def trainer(root: Path) -> Path:
    return write(
        root,
        {
            "task.py": "from . import model\nprint(model.W)\n",
            "model.py": "W = 1\n",
            "nets/linear.py": "K = 2\n",
            "nets/config.json": "{}\n",
        },
    )


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {
            m.name: (tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


def test_same_files_in_two_folders_give_the_same_hash_and_the_same_bytes(tmp_path: Path) -> None:
    a = resolve_source(trainer(tmp_path / "a"), script="task.py", requirements=["six"])
    b = resolve_source(trainer(tmp_path / "b"), script="task.py", requirements=["six"])
    os.utime(tmp_path / "b" / "model.py", (1, 1))  # mtimes never count

    assert a.content_hash == b.content_hash
    assert (
        build_sdist(a, tmp_path / "out-a").read_bytes()
        == build_sdist(b, tmp_path / "out-b").read_bytes()
    )


def test_hash_changes_with_a_byte_the_module_or_the_requirements(tmp_path: Path) -> None:
    root = trainer(tmp_path / "t")
    base = resolve_source(root, script="task.py").content_hash

    assert resolve_source(root, script="task.py", requirements=["six"]).content_hash != base
    assert resolve_source(root, script="model.py").content_hash != base
    (root / "model.py").write_text("W = 2\n")
    assert resolve_source(root, script="task.py").content_hash != base


def test_caches_and_ignored_files_do_not_change_the_hash(tmp_path: Path) -> None:
    root = trainer(tmp_path / "t")
    before = resolve_source(root, script="task.py").content_hash
    write(
        root, {"__pycache__/task.cpython-311.pyc": "x", "notes.md": "n", ".gcloudignore": "*.md\n"}
    )

    assert resolve_source(root, script="task.py").content_hash == before


def test_bare_folder_is_wrapped_as_the_sdk_does_with_subpackages_data_and_requirements(
    tmp_path: Path,
) -> None:
    source = resolve_source(trainer(tmp_path / "t"), script="task.py", requirements=["six>=1"])

    sdist = build_sdist(source, tmp_path / "out")

    assert source.kind == "wrapped"
    assert source.python_module == f"{WRAPPED_DIST_NAME}.task"
    assert sdist.name == f"{TOP}.tar.gz"
    files = members(sdist)
    pkg = f"{TOP}/{WRAPPED_DIST_NAME}"
    assert files[f"{pkg}/task.py"].startswith(b"from . import model")
    assert files[f"{pkg}/__init__.py"] == b""
    assert files[f"{pkg}/nets/__init__.py"] == b""
    setup_py = files[f"{TOP}/setup.py"].decode()
    assert f"'{WRAPPED_DIST_NAME}.nets'" in setup_py
    assert "'config.json'" in setup_py
    assert "install_requires=['six>=1']" in setup_py
    assert b"Requires-Dist: six>=1" in files[f"{TOP}/PKG-INFO"]


def test_python_module_of_a_wrapped_folder_is_prefixed_with_the_package(tmp_path: Path) -> None:
    source = resolve_source(trainer(tmp_path / "t"), python_module="nets.linear")

    assert source.python_module == f"{WRAPPED_DIST_NAME}.nets.linear"


def test_a_single_script_becomes_task_py(tmp_path: Path) -> None:
    script = write(tmp_path, {"train.py": "print('x')\n"}) / "train.py"

    source = resolve_source(script)
    files = members(build_sdist(source, tmp_path / "out"))

    assert source.python_module == f"{WRAPPED_DIST_NAME}.task"
    assert files[f"{TOP}/{WRAPPED_DIST_NAME}/task.py"] == b"print('x')\n"


PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "toy-trainer"
version = "1.2.0"
"""


@pytest.mark.slow
def test_project_sdist_is_built_isolated_reproducibly_and_leaves_the_tree_clean(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path / "proj",
        {"pyproject.toml": PYPROJECT, "toy_trainer/__init__.py": "", "toy_trainer/task.py": ""},
    )
    source = resolve_source(root, python_module="toy_trainer.task")

    first = build_sdist(source, tmp_path / "one")
    second = build_sdist(source, tmp_path / "two")

    assert source.kind == "project"
    assert source.python_module == "toy_trainer.task"
    assert first.name == "toy_trainer-1.2.0.tar.gz"
    assert first.read_bytes() == second.read_bytes()
    assert "toy_trainer-1.2.0/toy_trainer/task.py" in members(first)
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml", "toy_trainer"]


def test_failing_build_names_the_project_file_and_shows_the_builder_output(
    tmp_path: Path,
) -> None:
    # An in-tree backend: no download, fails the way a broken setup.py does.
    root = write(
        tmp_path / "broken",
        {
            "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
            'backend-path = ["."]\n',
            "backend.py": "def build_sdist(d, c=None):\n    raise RuntimeError('no version set')\n",
        },
    )
    source = resolve_source(root, script="backend.py")

    with pytest.raises(SdistBuildError) as err:
        build_sdist(source, tmp_path / "out")

    assert str(root / "pyproject.toml") in str(err.value)
    assert "no version set" in str(err.value)
    assert err.value.returncode != 0


def test_missing_source_dir_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match=r"source_dir '.*nowhere' does not exist"):
        resolve_source(tmp_path / "nowhere", script="task.py")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of script and python_module"),
        ({"script": "task.py", "python_module": "task"}, "exactly one of script and python_module"),
        ({"script": "missing.py"}, "script 'missing.py' does not exist"),
        ({"script": "../elsewhere.py"}, "is not under source_dir"),
        ({"script": "run.sh"}, "must be a Python file"),
        ({"python_module": "nets.missing"}, "python_module 'nets.missing': neither"),
        ({"python_module": "not a module"}, "is not a dotted Python module name"),
        ({"script": "task.py", "requirements": ["six", ""]}, r"requirements\[1\] must be"),
        ({"script": "task.py", "requirements": ["six >>> 1"]}, r"requirements\[0\] 'six >>> 1'"),
        ({"script": "task.py", "requirements": "six"}, "must be a list"),
    ],
)
def test_bad_entry_points_and_requirements_are_errors_naming_the_argument(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    root = trainer(tmp_path / "t")
    with pytest.raises(PackagingError, match=message):
        resolve_source(root, **kwargs)  # type: ignore[arg-type]


def test_requirements_for_a_project_are_refused(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"setup.py": "", "m.py": ""})
    with pytest.raises(PackagingError, match=r"declare them in its pyproject\.toml or setup\.py"):
        resolve_source(root, python_module="m", requirements=["six"])


def test_object_name_puts_the_hash_in_the_path() -> None:
    assert object_name("", "ab" * 32, "x-1.tar.gz") == f"{'ab' * 8}/x-1.tar.gz"
    assert object_name("/a/b/", "ab" * 32, "x-1.tar.gz") == f"a/b/{'ab' * 8}/x-1.tar.gz"
