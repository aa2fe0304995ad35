"""A local training package, validated the way gcloud validates ``local-package-path``.

Everything here raises :class:`PackagingError` at once, in the program, before
any resource registers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from pulumi_vertex_training.packaging.context import (
    BuildContext,
    PackagingError,
    collect_context,
    hash_context,
)
from pulumi_vertex_training.packaging.dockerfile import (
    copied_paths,
    module_script_path,
    render_dockerfile,
)


def _relative_inside(source_dir: str, path: str, field: str) -> str:
    # Paths are relative to source_dir (as gcloud takes them); an absolute
    # path is accepted when it lies inside.
    full = os.path.normpath(os.path.join(source_dir, path))
    rel = os.path.relpath(full, source_dir)
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        raise PackagingError(
            f"{field} {path!r} is not under source_dir {source_dir!r}: "
            "only files inside the package directory can go into the image"
        )
    return rel.replace(os.sep, "/")


@dataclass(frozen=True)
class PackageSpec:
    """A validated local package: what gcloud's ``--worker-pool-spec`` software keys describe.

    All paths are POSIX paths relative to ``source_dir`` (which is absolute).
    """

    source_dir: str
    script: str | None = None
    python_module: str | None = None
    setup_py: str | None = None
    requirements_txt: str | None = None
    requirements: tuple[str, ...] = ()
    extra_packages: tuple[str, ...] = ()
    extra_dirs: tuple[str, ...] = ()
    include_files: tuple[str, ...] = ()

    def render_dockerfile(self, base_image: str) -> str:
        """The Dockerfile gcloud would render for this package on ``base_image``."""
        return render_dockerfile(
            base_image,
            script=self.script,
            python_module=self.python_module,
            setup_py=self.setup_py,
            requirements_txt=self.requirements_txt,
            extra_packages=self.extra_packages,
            requirements=self.requirements,
            extra_dirs=self.extra_dirs,
        )

    def collect_context(self) -> BuildContext:
        """The files the Dockerfile copies (see :func:`collect_context`)."""
        roots = copied_paths(
            script=self.script,
            python_module=self.python_module,
            setup_py=self.setup_py,
            requirements_txt=self.requirements_txt,
            extra_packages=self.extra_packages,
            extra_dirs=self.extra_dirs,
        )
        return collect_context(self.source_dir, roots=roots, include=self.include_files)


def _existing_entries(
    root: str, values: Sequence[str] | None, argument: str, *, directory: bool
) -> list[str]:
    """Each entry of a path-list argument, relative to ``root``, checked to exist there."""
    kind, exists = ("a directory", os.path.isdir) if directory else ("a file", os.path.isfile)
    entries = []
    for value in _string_list(values, argument):
        rel = _relative_inside(root, value, f"{argument} entry")
        if not exists(os.path.join(root, rel)):
            raise PackagingError(f"{argument} entry {value!r} is not {kind} in {root!r}")
        entries.append(rel)
    return entries


def _string_list(value: Sequence[str] | None, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
        raise PackagingError(f"{field} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def resolve_package(
    source_dir: str,
    *,
    script: str | None = None,
    python_module: str | None = None,
    requirements: Sequence[str] | None = None,
    extra_packages: Sequence[str] | None = None,
    extra_dirs: Sequence[str] | None = None,
    include_files: Sequence[str] | None = None,
) -> PackageSpec:
    """Validate a local package the way gcloud does, and find setup.py / requirements.txt.

    Args:
        source_dir: the package directory (gcloud's ``local-package-path``).
        script: entry script relative to ``source_dir``.
        python_module: entry module, e.g. ``trainer.task`` (exactly one of the two).
        requirements: PyPI requirement specifiers.
        extra_packages: package files relative to ``source_dir``.
        extra_dirs: directories relative to ``source_dir``.
        include_files: files allowed past the credential guard.

    Returns:
        The validated package.

    Raises:
        PackagingError: naming the field, the value and what is allowed.
    """
    if not isinstance(source_dir, (str, os.PathLike)):
        raise PackagingError(
            "source_dir must be a plain string path (it is read in the program), "
            f"got {source_dir!r}"
        )
    root = os.path.abspath(os.fspath(source_dir))
    if not os.path.exists(root):
        raise PackagingError(f"source_dir {str(source_dir)!r} does not exist")
    if not os.path.isdir(root):
        raise PackagingError(f"source_dir {str(source_dir)!r} is not a directory")
    if (script is None) == (python_module is None):
        raise PackagingError(
            "exactly one of script or python_module must be given "
            f"(got script={script!r}, python_module={python_module!r})"
        )
    rel_script: str | None = None
    if script is not None:
        rel_script = _relative_inside(root, script, "script")
        if not os.path.isfile(os.path.join(root, rel_script)):
            raise PackagingError(f"script {script!r} does not exist in source_dir {root!r}")
    if python_module is not None:
        parts = python_module.split(".")
        if not all(p.isidentifier() for p in parts):
            raise PackagingError(
                f"python_module {python_module!r} is not a dotted module name like 'trainer.task'"
            )
        module_file = module_script_path(python_module)
        if not os.path.isfile(os.path.join(root, module_file)):
            raise PackagingError(
                f"python_module {python_module!r}: {module_file} does not exist in "
                f"source_dir {root!r}"
            )
    packages = _existing_entries(root, extra_packages, "extra_packages", directory=False)
    dirs = _existing_entries(root, extra_dirs, "extra_dirs", directory=True)
    included = _existing_entries(root, include_files, "include_files", directory=False)
    return PackageSpec(
        source_dir=root,
        script=rel_script,
        python_module=python_module,
        setup_py="setup.py" if os.path.isfile(os.path.join(root, "setup.py")) else None,
        requirements_txt=(
            "requirements.txt" if os.path.isfile(os.path.join(root, "requirements.txt")) else None
        ),
        requirements=_string_list(requirements, "requirements"),
        extra_packages=tuple(packages),
        extra_dirs=tuple(dirs),
        include_files=tuple(included),
    )


@dataclass(frozen=True)
class PreparedImage:
    """Everything known about an image before building it."""

    package: PackageSpec
    base_image: str
    dockerfile: str
    context: BuildContext
    context_hash: str


def prepare_image(package: PackageSpec, base_image: str) -> PreparedImage:
    """Render the Dockerfile, collect the context and hash them with the base image."""
    if not isinstance(base_image, str) or not base_image.strip():
        raise PackagingError(f"base_image must be an image reference, got {base_image!r}")
    dockerfile = package.render_dockerfile(base_image)
    context = package.collect_context()
    return PreparedImage(
        package, base_image, dockerfile, context, hash_context(context, dockerfile, base_image)
    )
