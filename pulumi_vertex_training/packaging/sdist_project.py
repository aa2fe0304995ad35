"""The sdist of a real project (``pyproject.toml``/``setup.py``), built by ``build``.

``python -m build --sdist`` runs in an isolated environment on a private copy
of the file set, so the builder never writes ``*.egg-info`` into the user's
tree; ``SOURCE_DATE_EPOCH`` is exported to it, and whatever it wrote is
re-packed reproducibly (``tarball.repack_tar_gz``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pulumi_vertex_training.packaging.context import (
    SOURCE_DATE_EPOCH,
    ContextFile,
    PackagingError,
)
from pulumi_vertex_training.packaging.tarball import repack_tar_gz

BUILD_TIMEOUT_SECONDS = 600.0
"""How long ``python -m build`` may take (it may download the build backend)."""

_OUTPUT_TAIL_LINES = 40


class SdistBuildError(PackagingError):
    """The builder failed; the message names the project file and quotes the builder's output."""

    def __init__(self, project_file: str, returncode: int, output: str) -> None:
        self.project_file = project_file
        self.returncode = returncode
        self.output = output
        tail = "\n".join(output.rstrip().splitlines()[-_OUTPUT_TAIL_LINES:])
        super().__init__(
            f"building the sdist of {project_file} failed (python -m build --sdist exited "
            f"{returncode}); the builder said:\n{tail}"
        )


def build_project_sdist(
    files: Sequence[ContextFile], root: str, project_file: str | None, out: Path
) -> Path:
    """Build the sdist of the project whose file set is ``files`` into ``out``.

    Args:
        files: the project's files (relative to ``root``), as resolved.
        root: the project folder (named in errors instead of the private copy).
        project_file: its ``pyproject.toml`` or ``setup.py`` (named in errors).
        out: an existing folder for the re-packed ``<name>-<version>.tar.gz``.

    Returns:
        The path of the re-packed sdist.

    Raises:
        SdistBuildError: the builder failed (its output is in the message).
        PackagingError: the builder produced no sdist, or more than one.
    """
    with tempfile.TemporaryDirectory(prefix="vt-sdist-") as tmp:
        tree = Path(tmp) / "src"
        _copy_files(files, tree)
        raw = Path(tmp) / "dist"
        _run_build(root, project_file, tree, raw)
        built = sorted(raw.glob("*.tar.gz"))
        if len(built) != 1:
            raise PackagingError(
                f"building {project_file} produced {[p.name for p in built]!r}, "
                "expected exactly one .tar.gz"
            )
        target = out / built[0].name
        repack_tar_gz(built[0], target)
        return target


def _copy_files(files: Sequence[ContextFile], dest: Path) -> None:
    for f in files:
        target = dest / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if f.link_target is not None:
            os.symlink(f.link_target, target)
        else:
            shutil.copyfile(f.source, target)
            os.chmod(target, f.mode)


def _run_build(root: str, project_file: str | None, tree: Path, out: Path) -> None:
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(SOURCE_DATE_EPOCH), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(tree)]
    named = project_file or root
    try:
        proc = subprocess.run(
            cmd,
            cwd=tree,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        output = err.stdout if isinstance(err.stdout, str) else ""
        raise SdistBuildError(named, -1, f"{output}\n(timed out after {err.timeout}s)") from err
    if proc.returncode != 0:
        # The builder names its temporary copy; point the user at their own files.
        raise SdistBuildError(named, proc.returncode, proc.stdout.replace(str(tree), root))
