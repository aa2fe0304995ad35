"""Rules for what a worker pool runs: container or Python package tasks, env, mounts.

Same conventions as validators.py: read shape-normalized dicts, append SpecFailures with
full paths, never raise, skip UNKNOWN values.
"""

from __future__ import annotations

import re
from typing import Any

from . import names
from .failures import SpecFailure, missing
from .resource_names import check_gcs_uri, check_pattern
from .validators import require_fields

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PYTHON_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# ContainerSpec.env / PythonPackageSpec.env: "maximum limit is 100" (field docstring).
MAX_ENV = 100
# PythonPackageSpec.package_uris: "maximum limit is 100" (field docstring).
MAX_PACKAGE_URIS = 100


def check_mounts(pool: dict[str, Any], path: str, failures: list[SpecFailure]) -> None:
    """NFS and Lustre mounts: required fields, absolute NFS paths, unique mount points."""
    points: dict[str, str] = {}
    for field, required in (
        (
            "nfs_mounts",
            {
                "server": "the NFS server IP or host",
                "path": "the exported path, starting with '/'",
                "mount_point": "the directory under /mnt/nfs/",
            },
        ),
        (
            "lustre_mounts",
            {
                "instance_ip": "the Lustre instance IP",
                "volume_handle": "the Lustre volume id",
                "filesystem": "the Lustre filesystem name",
                "mount_point": "the directory under /mnt/lustre/",
            },
        ),
    ):
        mounts = pool.get(field)
        if not isinstance(mounts, list):
            continue
        for i, mount in enumerate(mounts):
            m_path = names.index(names.join(path, field), i)
            if not isinstance(mount, dict):
                continue
            require_fields(mount, required, m_path, failures)
            nfs_path = mount.get("path") if field == "nfs_mounts" else None
            if isinstance(nfs_path, str) and nfs_path and not nfs_path.startswith("/"):
                failures.append(
                    SpecFailure(names.join(m_path, "path"), "must start with '/'", nfs_path)
                )
            point = mount.get("mount_point")
            if isinstance(point, str) and point:
                if "/" in point.strip("/") or point in (".", ".."):
                    failures.append(
                        SpecFailure(
                            names.join(m_path, "mount_point"),
                            "must be one directory name (mounted under /mnt/nfs/ or /mnt/lustre/)",
                            point,
                        )
                    )
                root = "nfs" if field == "nfs_mounts" else "lustre"
                where = f"{root}/{point}"
                if where in points:
                    failures.append(
                        SpecFailure(
                            names.join(m_path, "mount_point"),
                            f"already used by {points[where]}; mount points must be unique",
                            point,
                        )
                    )
                points.setdefault(where, m_path)


def check_env(env: Any, path: str, failures: list[SpecFailure]) -> None:
    """At most 100 variables, names are C identifiers, no name twice."""
    if not isinstance(env, list):
        return
    if len(env) > MAX_ENV:
        failures.append(
            SpecFailure(path, f"at most {MAX_ENV} variables are allowed, got {len(env)}", len(env))
        )
    seen: dict[str, int] = {}
    for i, var in enumerate(env):
        if not isinstance(var, dict):
            continue
        name = var.get("name")
        n_path = names.join(names.index(path, i), "name")
        if name is None or name == "":
            failures.append(missing(n_path, "required: the variable name"))
        elif isinstance(name, str):
            if not ENV_NAME.match(name):
                failures.append(
                    SpecFailure(
                        n_path,
                        "must be a C identifier: letters, digits and '_', "
                        "not starting with a digit",
                        name,
                    )
                )
            elif name in seen:
                failures.append(
                    SpecFailure(
                        n_path, f"duplicate variable name (also at index {seen[name]})", name
                    )
                )
            seen.setdefault(name, i)


def check_container_spec(spec: Any, path: str, failures: list[SpecFailure]) -> None:
    """image_uri required and free of whitespace; env rules."""
    if not isinstance(spec, dict):
        return
    image = spec.get("image_uri")
    if image in (None, ""):
        failures.append(
            missing(
                names.join(path, "image_uri"),
                "required: the training image, e.g. us-docker.pkg.dev/project/repo/trainer:tag",
            )
        )
    elif isinstance(image, str) and (image != image.strip() or any(c.isspace() for c in image)):
        failures.append(
            SpecFailure(
                names.join(path, "image_uri"), "must be an image reference without spaces", image
            )
        )
    check_env(spec.get("env"), names.join(path, "env"), failures)


def check_python_package_spec(spec: Any, path: str, failures: list[SpecFailure]) -> None:
    """executor image, 1..100 gs:// package URIs and a dotted module name are required."""
    if not isinstance(spec, dict):
        return
    require_fields(
        spec,
        {
            "executor_image_uri": "a Vertex prebuilt training image, e.g. "
            "us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-1.py310:latest",
            "python_module": "the module to run, e.g. trainer.task",
        },
        path,
        failures,
    )
    uris = spec.get("package_uris")
    u_path = names.join(path, "package_uris")
    if uris is None or uris == []:
        failures.append(missing(u_path, "required: 1 to 100 gs:// URIs of sdists or wheels"))
    elif isinstance(uris, list):
        if len(uris) > MAX_PACKAGE_URIS:
            failures.append(
                SpecFailure(
                    u_path, f"at most {MAX_PACKAGE_URIS} packages, got {len(uris)}", len(uris)
                )
            )
        for i, uri in enumerate(uris):
            check_gcs_uri(uri, names.index(u_path, i), failures)
            if isinstance(uri, str) and uri.startswith("gs://") and uri.endswith("/"):
                # A folder is not a package: Vertex pip-installs each URI as a file.
                failures.append(
                    SpecFailure(
                        names.index(u_path, i),
                        "must name a package file (sdist or wheel), not a folder",
                        uri,
                    )
                )
    check_pattern(
        spec.get("python_module"),
        PYTHON_MODULE,
        "a dotted Python module name like trainer.task",
        names.join(path, "python_module"),
        failures,
    )
    check_env(spec.get("env"), names.join(path, "env"), failures)
