"""Rules shared by CustomJob and PersistentResource: machines, disks, networking.

Each ``check_*`` reads an already shape-normalized dict (see coerce.py), appends
SpecFailures with full field paths and never raises. A value that is UNKNOWN (not known
at preview) skips exactly the checks that need it.
"""

from __future__ import annotations

import re
from typing import Any

from . import names
from .catalog import current
from .enums import ACCELERATOR_TYPE
from .failures import SpecFailure, is_unknown, missing
from .machines import MACHINE_TYPE, TPU_TOPOLOGY
from .resource_names import NETWORK_ATTACHMENT, RESERVATION, check_pattern

GPU_PARTITION = re.compile(r"^\d+g\.\d+gb$")

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
    """boot_disk_type and boot_disk_size_gb as the machine catalog allows (``boot_disk``)."""
    if not isinstance(disk, dict):
        return
    facts = current().boot_disk
    kinds, size_gb = facts.get("types", []), facts.get("size_gb", {})
    kind = disk.get("boot_disk_type")
    if isinstance(kind, str) and kind and kinds and kind not in kinds:
        failures.append(
            SpecFailure(
                names.join(path, "boot_disk_type"), f"must be one of {', '.join(kinds)}", kind
            )
        )
    size = disk.get("boot_disk_size_gb")
    low, high = size_gb.get("min", 0), size_gb.get("max", 2**31)
    if isinstance(size, int) and size != 0 and not low <= size <= high:
        failures.append(
            SpecFailure(
                names.join(path, "boot_disk_size_gb"), f"must be between {low} and {high} GB", size
            )
        )


def require_fields(
    obj: dict[str, Any], fields: dict[str, str], path: str, failures: list[SpecFailure]
) -> None:
    """A "required" failure for each of ``fields`` (name -> what it is) not given."""
    for name, what in fields.items():
        if obj.get(name) in (None, ""):
            failures.append(missing(names.join(path, name), f"required: {what}"))


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
        require_fields(
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
