"""Rules shared by CustomJob and PersistentResource: machines, disks, mounts, tasks, PSC-I.

Each ``check_*`` reads an already shape-normalized dict (see coerce.py), appends
SpecFailures with full field paths and never raises. A value that is UNKNOWN (not known
at preview) skips exactly the checks that need it.
"""

from __future__ import annotations

import re
from typing import Any

from . import names
from .enums import ACCELERATOR_TYPE
from .failures import SpecFailure, is_unknown, missing
from .resource_names import (
    NETWORK_ATTACHMENT,
    RESERVATION,
    check_gcs_uri,
    check_pattern,
)

# Machine types are family-series-size (n1-standard-4, a2-highgpu-1g, ct5lp-hightpu-4t,
# n1-custom-8-32768) or cloud-tpu: lowercase words joined by '-'. Deliberately
# permissive (new families appear often); it catches case and spacing mistakes.
MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
GPU_PARTITION = re.compile(r"^\d+g\.\d+gb$")
TPU_TOPOLOGY = re.compile(r"^\d+x\d+(x\d+)?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PYTHON_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

# DiskSpec.boot_disk_type docstring: "pd-ssd", "pd-standard" or "hyperdisk-balanced".
BOOT_DISK_TYPES = ("pd-ssd", "pd-standard", "hyperdisk-balanced")
# DiskSpec.boot_disk_size_gb: the default (100) is the documented floor; 64,000 GB is the
# Persistent Disk maximum. Not confirmed in the Vertex reference: conservative bounds.
BOOT_DISK_MIN_GB, BOOT_DISK_MAX_GB = 100, 64_000
# ContainerSpec.env / PythonPackageSpec.env: "maximum limit is 100" (field docstring).
MAX_ENV = 100
# PythonPackageSpec.package_uris: "maximum limit is 100" (field docstring).
MAX_PACKAGE_URIS = 100

RESERVATION_KEY = "compute.googleapis.com/reservation-name"


def known(value: Any) -> bool:
    """True when ``value`` is given and known at this point."""
    return value is not None and not is_unknown(value)


def check_machine_spec(spec: Any, path: str, failures: list[SpecFailure]) -> None:
    """machine_type present and well-formed; accelerators, MIG, TPU topology, reservations."""
    if is_unknown(spec):
        return
    if spec is None:
        failures.append(
            missing(
                path,
                "required: machine_spec with a machine_type, e.g. {machine_type: 'n1-standard-4'}",
            )
        )
        return
    machine_type = spec.get("machine_type")
    mt_path = names.join(path, "machine_type")
    if machine_type is None or machine_type == "":
        failures.append(missing(mt_path, "required: a machine type like n1-standard-4"))
    elif isinstance(machine_type, str) and not MACHINE_TYPE.match(machine_type):
        fixed = re.sub(r"[\s_]+", "-", machine_type.strip()).lower()
        hint = f"; did you mean {fixed!r}?" if MACHINE_TYPE.match(fixed) else ""
        failures.append(
            SpecFailure(
                mt_path,
                "must be a lowercase machine type like n1-standard-4, "
                f"a2-highgpu-1g or ct5lp-hightpu-4t{hint}",
                machine_type,
            )
        )
    accel = spec.get("accelerator_type")
    count = spec.get("accelerator_count")
    count_path = names.join(path, "accelerator_count")
    if isinstance(count, int) and count < 0:
        failures.append(SpecFailure(count_path, "must be 1 or more", count))
    elif isinstance(count, int) and count > 0 and accel is None:
        failures.append(
            SpecFailure(
                count_path,
                "an accelerator_count needs an accelerator_type "
                f"(one of {', '.join(ACCELERATOR_TYPE.allowed())})",
                count,
            )
        )
    elif isinstance(count, int) and count == 0 and known(accel):
        failures.append(
            SpecFailure(
                count_path,
                f"must be 1 or more with accelerator_type {accel} "
                "(omit it for 1, or drop accelerator_type)",
                count,
            )
        )
    partition = spec.get("gpu_partition_size")
    if known(partition):
        p_path = names.join(path, "gpu_partition_size")
        check_pattern(
            partition, GPU_PARTITION, "an NVIDIA MIG size like '1g.10gb'", p_path, failures
        )
        if accel is None:
            failures.append(
                SpecFailure(p_path, "a gpu_partition_size needs an accelerator_type", partition)
            )
    check_pattern(
        spec.get("tpu_topology"),
        TPU_TOPOLOGY,
        "a TPU topology like '2x2' or '2x2x1'",
        names.join(path, "tpu_topology"),
        failures,
    )
    check_reservation_affinity(
        spec.get("reservation_affinity"), names.join(path, "reservation_affinity"), failures
    )


def check_reservation_affinity(aff: Any, path: str, failures: list[SpecFailure]) -> None:
    """Type required; key and values only (and both) with SPECIFIC_RESERVATION."""
    if not isinstance(aff, dict):
        return
    kind = aff.get("reservation_affinity_type")
    if kind is None:
        failures.append(
            missing(
                names.join(path, "reservation_affinity_type"),
                "required: NO_RESERVATION, ANY_RESERVATION or SPECIFIC_RESERVATION",
            )
        )
    if is_unknown(kind):
        return
    key, values = aff.get("key"), aff.get("values")
    if kind == "SPECIFIC_RESERVATION":
        if not key:
            failures.append(
                missing(
                    names.join(path, "key"),
                    f"required with SPECIFIC_RESERVATION: use {RESERVATION_KEY!r}",
                )
            )
        if not values:
            failures.append(
                missing(
                    names.join(path, "values"),
                    "required with SPECIFIC_RESERVATION: the reservation's full name "
                    "projects/{project}/zones/{zone}/reservations/{name}",
                )
            )
        elif key == RESERVATION_KEY and isinstance(values, list):
            for i, value in enumerate(values):
                check_pattern(
                    value,
                    RESERVATION,
                    "projects/{project}/zones/{zone}/reservations/{name}",
                    names.index(names.join(path, "values"), i),
                    failures,
                )
    elif kind is not None:
        for name in ("key", "values"):
            if aff.get(name):
                failures.append(
                    SpecFailure(
                        names.join(path, name),
                        f"only allowed with SPECIFIC_RESERVATION, not {kind}",
                        aff[name],
                    )
                )


def check_disk_spec(disk: Any, path: str, failures: list[SpecFailure]) -> None:
    """boot_disk_type among the documented ones; boot_disk_size_gb within bounds."""
    if not isinstance(disk, dict):
        return
    kind = disk.get("boot_disk_type")
    if isinstance(kind, str) and kind and kind not in BOOT_DISK_TYPES:
        failures.append(
            SpecFailure(
                names.join(path, "boot_disk_type"),
                f"must be one of {', '.join(BOOT_DISK_TYPES)}",
                kind,
            )
        )
    size = disk.get("boot_disk_size_gb")
    if isinstance(size, int) and size != 0 and not BOOT_DISK_MIN_GB <= size <= BOOT_DISK_MAX_GB:
        failures.append(
            SpecFailure(
                names.join(path, "boot_disk_size_gb"),
                f"must be between {BOOT_DISK_MIN_GB} and {BOOT_DISK_MAX_GB} GB",
                size,
            )
        )


def _require(
    obj: dict[str, Any], fields: dict[str, str], path: str, failures: list[SpecFailure]
) -> None:
    for name, what in fields.items():
        if obj.get(name) in (None, ""):
            failures.append(missing(names.join(path, name), f"required: {what}"))


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
            _require(mount, required, m_path, failures)
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
    _require(
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
    check_pattern(
        spec.get("python_module"),
        PYTHON_MODULE,
        "a dotted Python module name like trainer.task",
        names.join(path, "python_module"),
        failures,
    )
    check_env(spec.get("env"), names.join(path, "env"), failures)


def check_psc_interface_config(psc: Any, path: str, failures: list[SpecFailure]) -> None:
    """network_attachment as a name or full name; DNS peering entries complete."""
    if not isinstance(psc, dict):
        return
    attachment = psc.get("network_attachment")
    if isinstance(attachment, str) and attachment and "/" in attachment:
        check_pattern(
            attachment,
            NETWORK_ATTACHMENT,
            "an attachment name or projects/{project}/regions/{region}/networkAttachments/{name}",
            names.join(path, "network_attachment"),
            failures,
        )
    configs = psc.get("dns_peering_configs")
    if not isinstance(configs, list):
        return
    for i, config in enumerate(configs):
        c_path = names.index(names.join(path, "dns_peering_configs"), i)
        if not isinstance(config, dict):
            continue
        _require(
            config,
            {
                "domain": "the DNS name suffix to peer, ending with '.'",
                "target_project": "the project hosting the Cloud DNS zone",
                "target_network": "the VPC network where the zone is visible",
            },
            c_path,
            failures,
        )
        domain = config.get("domain")
        if isinstance(domain, str) and domain and not domain.endswith("."):
            failures.append(
                SpecFailure(
                    names.join(c_path, "domain"),
                    f"must end with '.', e.g. {domain + '.'!r}",
                    domain,
                )
            )


def check_reserved_ip_ranges(
    ranges: Any, path: str, network: Any, failures: list[SpecFailure]
) -> None:
    """Names of ranges reserved in the peered VPC: non-empty, and only with a network."""
    if not isinstance(ranges, list):
        return
    for i, name in enumerate(ranges):
        if name == "" or (isinstance(name, str) and not name.strip()):
            failures.append(
                SpecFailure(names.index(path, i), "must be a reserved range name", name)
            )
    # reserved_ip_ranges docstring: "reserved ip ranges under the VPC network".
    if ranges and network is None:
        failures.append(
            SpecFailure(path, "needs network: the ranges are reserved in the peered VPC", ranges)
        )
