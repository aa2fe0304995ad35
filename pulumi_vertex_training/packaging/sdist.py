"""Source distributions for ``python_package_spec`` jobs: resolve, hash, build.

Two kinds of source, as the Vertex tools take them:

* a **project** (``source_dir`` holds ``pyproject.toml`` or ``setup.py``): its
  sdist is built by the ``build`` package in an isolated environment
  (``python -m build --sdist``, ``sdist_project.py``), from a private copy of
  the file set, so the builder never writes ``*.egg-info`` into the user's tree;
* a **bare script or folder**: wrapped the way the Vertex SDK's
  ``CustomJob.from_local_script`` does (``sdist_wrapped.py``):
  the folder (or the script, copied as ``task.py``) becomes the package
  ``aiplatform_custom_trainer_script`` of the distribution
  ``aiplatform_custom_trainer_script-0.1`` with ``requirements`` as
  ``install_requires``. ``script="task.py"`` runs
  ``aiplatform_custom_trainer_script.task``; ``python_module="x.y"`` runs
  ``aiplatform_custom_trainer_script.x.y``. Every sub-folder becomes a
  sub-package (an empty ``__init__.py`` is added where missing) and every
  non-Python file travels as package data. The sdist is written directly
  (no builder): ``setup.py``, ``PKG-INFO`` and the files.

Determinism (decided): the **content hash is computed from the source, not
from the tarball**: the sorted relative paths, executable bits and bytes of
the file set (the same file set, ignore rules and file hashing as
``TrainingImage``, ``context.py``: ``.dockerignore``/``.gcloudignore``, no VCS
folders, venvs or caches, the same credential guard (names and content, a
bare script included) and the same digest cache; for projects also no
``build/``, ``dist/``, ``*.egg-info``), plus the kind, the module and the requirements. It is cheap,
so the program computes it and preview knows whether the package changes
without building. The tarball is made reproducible as well (``tarball.py``):
whatever the builder wrote is re-packed with sorted entries, a fixed mtime
(``SOURCE_DATE_EPOCH``, also exported to the builder), owner 0 and a gzip
header without name or time, so the same source gives the same bytes on one
machine. (Builders may still differ across setuptools versions, which is why
the hash does not depend on the bytes.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pulumi_vertex_training.packaging.context import (
    ContextFile,
    CredentialFileError,
    PackagingError,
    collect_context,
    hash_inputs,
    single_file_context,
)
from pulumi_vertex_training.packaging.sdist_project import (
    SdistBuildError,
    build_project_sdist,
)
from pulumi_vertex_training.packaging.sdist_wrapped import (
    WRAPPED_DIST_NAME,
    write_wrapped_sdist,
)

__all__ = [
    "WRAPPED_DIST_NAME",
    "SdistBuildError",
    "SdistSource",
    "build_sdist",
    "object_name",
    "resolve_source",
]

_HASH_VERSION = b"pulumi-vertex-training/sdist/v1\n"
_MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PROJECT_FILES = ("pyproject.toml", "setup.py")
_BUILD_OUTPUT_DIRS = ("build", "dist")
_NO_INCLUDE = (
    "Leave them out with .dockerignore or .gcloudignore: a package on Cloud Storage is "
    "readable by whoever reads the bucket, so PythonPackage takes no include_files; "
    "give jobs secrets through Secret Manager instead."
)


@dataclass(frozen=True)
class SdistSource:
    """A validated package source: what to build and which module the job runs.

    Attributes:
        root: absolute path of ``source_dir`` (a folder, or a single script).
        kind: ``"project"`` (pyproject.toml/setup.py) or ``"wrapped"``.
        files: the file set, sorted (for a single script: just that file).
        python_module: the module a job runs (``python -m``), after wrapping.
        requirements: ``install_requires`` of a wrapped source.
        content_hash: sha256 hex of everything above that shapes the package.
    """

    root: str
    kind: str
    files: tuple[ContextFile, ...]
    python_module: str
    requirements: tuple[str, ...]
    content_hash: str

    @property
    def project_file(self) -> str | None:
        """The ``pyproject.toml`` or ``setup.py`` a project is built from (absolute)."""
        if self.kind != "project":
            return None
        for name in _PROJECT_FILES:
            path = os.path.join(self.root, name)
            if os.path.isfile(path):
                return path
        return None


def _check_module(module: str, field: str) -> str:
    if not _MODULE_RE.match(module):
        raise PackagingError(
            f"{field} {module!r} is not a dotted Python module name (e.g. trainer.task)"
        )
    return module


def _script_module(root: str, script: str) -> str:
    full = os.path.normpath(os.path.join(root, script))
    rel = os.path.relpath(full, root)
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        raise PackagingError(f"script {script!r} is not under source_dir {root!r}")
    if not rel.endswith(".py"):
        raise PackagingError(
            f"script {script!r} must be a Python file (.py): the job runs it as a module"
        )
    if not os.path.isfile(full):
        raise PackagingError(f"script {script!r} does not exist in source_dir {root!r}")
    return _check_module(rel[: -len(".py")].replace(os.sep, "."), "script")


def _requirements(requirements: Sequence[str] | None) -> tuple[str, ...]:
    if requirements is None:
        return ()
    if isinstance(requirements, str):
        raise PackagingError(
            f"requirements must be a list of requirement strings, not the string {requirements!r}"
        )
    from packaging.requirements import InvalidRequirement, Requirement

    out: list[str] = []
    for i, req in enumerate(requirements):
        if not isinstance(req, str) or not req.strip():
            raise PackagingError(f"requirements[{i}] must be a non-empty string, got {req!r}")
        try:
            Requirement(req)
        except InvalidRequirement as err:
            raise PackagingError(
                f"requirements[{i}] {req!r} is not a valid requirement: {err}"
            ) from err
        out.append(req.strip())
    return tuple(out)


def _is_build_output(path: str) -> bool:
    parts = path.split("/")
    return parts[0] in _BUILD_OUTPUT_DIRS or any(p.endswith(".egg-info") for p in parts[:-1])


def _hash(
    kind: str, module: str, requirements: tuple[str, ...], files: Sequence[ContextFile]
) -> str:
    return hash_inputs(_HASH_VERSION, (kind, module, "\n".join(requirements)), files)


def resolve_source(
    source_dir: str | os.PathLike[str],
    *,
    script: str | None = None,
    python_module: str | None = None,
    requirements: Sequence[str] | None = None,
) -> SdistSource:
    """Validate a package source and hash it (reads files; builds nothing).

    Args:
        source_dir: a project folder (with pyproject.toml or setup.py), a bare
            folder, or a single ``.py`` script.
        script: path of the entry script relative to ``source_dir`` (turned
            into a module as gcloud does: ``trainer/task.py`` -> ``trainer.task``).
        python_module: the module to run; exactly one of ``script`` and
            ``python_module`` for folders; neither for a single script.
        requirements: ``install_requires`` of a wrapped source; a project
            declares its own dependencies.

    Raises:
        PackagingError: the source is missing, the entry point is missing or
            ambiguous, requirements are given to a project, or a requirement
            is malformed (each message names the argument and the value).
    """
    root = os.path.abspath(os.fspath(source_dir))
    reqs = _requirements(requirements)
    if not os.path.exists(root):
        raise PackagingError(f"source_dir {os.fspath(source_dir)!r} does not exist")
    if python_module is not None:
        _check_module(python_module, "python_module")

    if os.path.isfile(root):
        if script is not None or python_module is not None:
            raise PackagingError(
                f"source_dir {os.fspath(source_dir)!r} is a single script: it runs as "
                f"{WRAPPED_DIST_NAME}.task; leave script and python_module unset"
            )
        if not root.endswith(".py"):
            raise PackagingError(f"source_dir {os.fspath(source_dir)!r} must be a .py script")
        files: tuple[ContextFile, ...] = (single_file_context(root, "task.py"),)
        module = f"{WRAPPED_DIST_NAME}.task"
        return SdistSource(
            root, "wrapped", files, module, reqs, _hash("wrapped", module, reqs, files)
        )

    if (script is None) == (python_module is None):
        raise PackagingError(
            "exactly one of script and python_module is required for a folder source "
            f"(got script={script!r}, python_module={python_module!r})"
        )
    is_project = any(os.path.isfile(os.path.join(root, n)) for n in _PROJECT_FILES)
    module = python_module if python_module is not None else _script_module(root, str(script))
    try:
        context = collect_context(root)
    except CredentialFileError as err:
        raise CredentialFileError(err.reasons, _NO_INCLUDE) from None
    if is_project:
        if reqs:
            raise PackagingError(
                f"requirements {list(reqs)!r} cannot be added to the project in {root!r}: "
                "declare them in its pyproject.toml or setup.py"
            )
        files = tuple(f for f in context.files if not _is_build_output(f.path))
        return SdistSource(root, "project", files, module, (), _hash("project", module, (), files))

    if python_module is not None:
        rel = python_module.replace(".", "/")
        if not (
            os.path.isfile(os.path.join(root, rel + ".py"))
            or os.path.isfile(os.path.join(root, rel, "__main__.py"))
        ):
            raise PackagingError(
                f"python_module {python_module!r}: neither {rel}.py nor {rel}/__main__.py "
                f"exists in source_dir {root!r}"
            )
    wrapped_module = f"{WRAPPED_DIST_NAME}.{module}"
    files = context.files
    if not files:
        raise PackagingError(f"source_dir {root!r} holds no files to package")
    return SdistSource(
        root, "wrapped", files, wrapped_module, reqs, _hash("wrapped", wrapped_module, reqs, files)
    )


def build_sdist(source: SdistSource, out_dir: str | os.PathLike[str]) -> Path:
    """Build the sdist of ``source`` into ``out_dir``; same source -> same bytes.

    Returns:
        The path of ``<name>-<version>.tar.gz``.

    Raises:
        SdistBuildError: the builder failed (its output is in the message).
        PackagingError: the builder produced no sdist.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if source.kind == "wrapped":
        return write_wrapped_sdist(source.files, source.requirements, out)
    return build_project_sdist(source.files, source.root, source.project_file, out)


def object_name(prefix: str, content_hash: str, filename: str) -> str:
    """The GCS object name of a package: ``<prefix>/<hash[:16]>/<sdist file name>``.

    The hash in the path makes the object content-addressed (upload only when
    missing); the sdist keeps its own file name so pip sees ``name-version.tar.gz``.

    >>> object_name("staging/pkgs", "0123456789abcdef" * 4, "x-0.1.tar.gz")
    'staging/pkgs/0123456789abcdef/x-0.1.tar.gz'
    """
    prefix = prefix.strip("/")
    return f"{prefix + '/' if prefix else ''}{content_hash[:16]}/{filename}"
