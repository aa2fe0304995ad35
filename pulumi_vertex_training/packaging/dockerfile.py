"""The Dockerfile gcloud's autopackaging renders (``gcloud ai custom-jobs create
--worker-pool-spec=...,local-package-path=,script=``), as a pure function.

Same instructions, comments and order as gcloud's ``_MakeDockerfile``: the
dependency layers (setup.py, requirements.txt, extra packages, requirements,
extra dirs) come before the code, so a code change rebuilds and pushes only
the code layer. gcloud's text carries stray indentation left by
``textwrap.dedent``; Docker ignores leading whitespace, so we render it flush.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Sequence

DEFAULT_WORKDIR = "/usr/app"
"""Working directory inside the image (the Vertex SDK's port of gcloud uses the same)."""

DEFAULT_HOME = "/home"
"""``$HOME`` inside the image."""

_PREBUILT_BASE = re.compile(
    r"^(us|europe|asia)-docker.pkg.dev/vertex-ai/training/(tf|scikit-learn|pytorch|xgboost)-.+$"
)


def is_prebuilt_training_image(base_image: str) -> bool:
    """True for Vertex AI's prebuilt training images (they ship ``python3``/``pip3`` only).

    >>> is_prebuilt_training_image("us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-15.py310:latest")
    True
    >>> is_prebuilt_training_image("python:3.11")
    False
    """
    return _PREBUILT_BASE.fullmatch(base_image) is not None


def module_script_path(python_module: str) -> str:
    """The script path gcloud derives from a module: ``trainer.task`` -> ``trainer/task.py``."""
    return python_module.replace(".", "/") + ".py"


def _copy(source: str, destination: str, comment: str | None = None) -> str:
    # JSON-array form, as gcloud writes it: paths with spaces survive.
    line = f"COPY {json.dumps([source, destination])}\n"
    if comment is None:
        return line
    return "# " + "\n# ".join(comment.split("\n")) + "\n" + line


def render_dockerfile(
    base_image: str,
    *,
    script: str | None = None,
    python_module: str | None = None,
    setup_py: str | None = None,
    requirements_txt: str | None = None,
    extra_packages: Sequence[str] = (),
    requirements: Sequence[str] = (),
    extra_dirs: Sequence[str] = (),
    workdir: str = DEFAULT_WORKDIR,
    home: str = DEFAULT_HOME,
) -> str:
    """Render the Dockerfile gcloud generates for a local package.

    All paths are POSIX paths relative to the build context (the package dir).

    Args:
        base_image: the executor image (``FROM``).
        script: the script to run, e.g. ``trainer/task.py`` (``.py`` runs with
            python, anything else with ``/bin/bash``). Exactly one of
            ``script`` / ``python_module``.
        python_module: the module to run with ``python -m``, e.g. ``trainer.task``.
        setup_py: ``setup.py`` when the package has one (pip-installed first).
        requirements_txt: ``requirements.txt`` when the package has one.
        extra_packages: local package files (wheels, sdists) to copy and pip-install.
        requirements: PyPI requirement specifiers, each pip-installed with ``--upgrade``.
        extra_dirs: further directories of the package to copy into the image.
        workdir: working directory in the image.
        home: ``$HOME`` in the image.

    Returns:
        The Dockerfile text.

    Raises:
        ValueError: both or neither of ``script`` / ``python_module``.
    """
    if (script is None) == (python_module is None):
        raise ValueError("exactly one of script or python_module must be given")
    prebuilt = is_prebuilt_training_image(base_image)
    pip = "pip3" if prebuilt else "pip"
    python = "python3" if prebuilt else "python"

    parts = [
        f"FROM {base_image}\n"
        "# The directory is created by root. This sets permissions so that any user can\n"
        "# access the folder.\n"
        f"RUN mkdir -m 777 -p {shlex.quote(workdir)} {shlex.quote(home)}\n"
        f"WORKDIR {shlex.quote(workdir)}\n"
        f"ENV HOME={shlex.quote(home)}\n"
        "\n"
        "# Keeps Python from generating .pyc files in the container\n"
        "ENV PYTHONDONTWRITEBYTECODE=1\n"
    ]
    if prebuilt:
        # Prebuilt training images ship /var/sitecustomize for Vertex's own
        # python_package_spec runs; gcloud removes it for custom code. The exact
        # line gcloud writes is not public: this is our reading.
        parts.append(
            "\n# Remove the sitecustomize of the prebuilt image: it is meant for\n"
            "# python package runs, not for custom containers.\n"
            "RUN rm -rf /var/sitecustomize\n"
        )
    if setup_py is not None:
        parts.append(
            "\n"
            + _copy(
                setup_py,
                "./setup.py",
                "Found setup.py file, thus copy it to the docker container.",
            )
            + f"RUN {pip} install --no-cache-dir .\n"
        )
    if requirements_txt is not None:
        parts.append(
            "\n"
            + _copy(
                requirements_txt,
                "./requirements.txt",
                "Found requirements.txt file, thus to the docker container.",
            )
            + f"RUN {pip} install --no-cache-dir -r ./requirements.txt\n"
        )
    for package in extra_packages:
        name = posixpath.basename(package)
        parts.append(
            "\n" + _copy(package, name) + f"RUN {pip} install --no-cache-dir {shlex.quote(name)}\n"
        )
    for requirement in requirements:
        parts.append(f"\nRUN {pip} install --no-cache-dir --upgrade {shlex.quote(requirement)}\n")
    for directory in extra_dirs:
        parts.append("\n" + _copy(directory, directory))

    # Only the parent directory of the entry script goes in (gcloud's
    # _PreparePackageEntry): files beside it at the package root do not.
    entry_script = script if script is not None else module_script_path(str(python_module))
    parent = posixpath.dirname(entry_script) or "."
    parts.append(
        "\n" + _copy(parent, parent, "Copy the source directory into the docker container.")
    )

    if python_module is not None:
        entrypoint = [python, "-m", python_module]
    elif posixpath.splitext(str(script))[1] == ".py":
        entrypoint = [python, str(script)]
    else:
        entrypoint = ["/bin/bash", str(script)]
    parts.append(f"\nENTRYPOINT {json.dumps(entrypoint)}\n")
    return "".join(parts)


def copied_paths(
    *,
    script: str | None = None,
    python_module: str | None = None,
    setup_py: str | None = None,
    requirements_txt: str | None = None,
    extra_packages: Sequence[str] = (),
    extra_dirs: Sequence[str] = (),
) -> list[str]:
    """The context paths (files or directories) the rendered Dockerfile COPYs.

    The build context is cut down to these, so a file the image never sees
    cannot change the image's hash.
    """
    entry_script = script if script is not None else module_script_path(str(python_module))
    paths = [p for p in (setup_py, requirements_txt) if p is not None]
    paths += [*extra_packages, *extra_dirs, posixpath.dirname(entry_script) or "."]
    return paths
