"""PersistentResource requests validated as Vertex AI does, and where a job's pools go.

Independent of ``spec/`` (the emulator never imports provider or spec code). Every
rule names the field path, the value and what is allowed; all violations of a
request come back at once in one INVALID_ARGUMENT.

Decisions (see COVERAGE.md):
- a pool without ``id`` gets ``pool-{index}`` (next free ``pool-{index}-{n}`` on a
  clash); Vertex generates ids too, in a form it does not document;
- replica counts follow the table in COVERAGE.md (rules C1, A0-A4, D1-D2), judged by
  proto3 presence: an explicit 0 is given, never read as unset; an unset
  ``replica_count`` defaults to the autoscaling ``min_replica_count``, else 1;
- a pool's *capacity* for jobs is ``autoscaling_spec.max_replica_count`` when
  autoscaling is set (Vertex scales up for jobs), else ``replica_count``.
"""

from __future__ import annotations

import re
from typing import Any

from google.cloud.aiplatform_v1 import AcceleratorType

from pulumi_vertex_training.emulator import common_validation as common
from pulumi_vertex_training.emulator import machines
from pulumi_vertex_training.emulator.exceptions import InvalidArgument, Violation

RESOURCE_ID_RE = re.compile(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
"""A persistent resource (or pool) id; matched with ``fullmatch``."""
PERSISTENT_RESOURCE_NAME_RE = re.compile(
    rf"{common.PARENT_PATTERN}/persistentResources/(?P<id>{RESOURCE_ID_RE.pattern})"
)
UPDATABLE_PATHS = frozenset(
    {
        "resource_pools.replica_count",
        "resource_pools.autoscaling_spec.min_replica_count",
        "resource_pools.autoscaling_spec.max_replica_count",
    }
)
"""update_mask paths UpdatePersistentResource accepts (all else: INVALID_ARGUMENT)."""

_ID_RULE = (
    "lowercase letters, digits and '-', starting with a letter, not ending with '-', "
    "at most 63 characters"
)


def check_resource_id(resource_id: str, field: str = "persistent_resource_id") -> None:
    """INVALID_ARGUMENT unless ``resource_id`` matches ``^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$``."""
    if not resource_id:
        raise InvalidArgument.of(field, f"{field} is required ({_ID_RULE})")
    if not RESOURCE_ID_RE.fullmatch(resource_id):
        raise InvalidArgument.of(field, f"{resource_id!r} must be {_ID_RULE}")


def check_name(name: str, field: str = "name") -> None:
    """INVALID_ARGUMENT unless ``name`` is ``projects/{p}/locations/{l}/persistentResources/{id}``
    with a valid id."""
    if not PERSISTENT_RESOURCE_NAME_RE.fullmatch(name):
        raise InvalidArgument.of(
            field,
            f"{name!r} is not a valid PersistentResource name; expected "
            "projects/{project}/locations/{location}/persistentResources/{id}",
        )


def has_ray(resource: Any) -> bool:
    """Whether the resource asks for a Ray cluster (pools may then scale to 0)."""
    return bool(
        resource.HasField("resource_runtime_spec")
        and resource.resource_runtime_spec.HasField("ray_spec")
    )


def prepare_resource(resource: Any, field: str = "persistent_resource") -> None:
    """Validate a PersistentResource to create (raw protobuf, modified in place).

    Fills in what Vertex fills in (pool ids, replica counts) and raises one
    InvalidArgument listing every rule broken.
    """
    errors: list[Violation] = []
    common.check_display_name(
        resource.display_name, f"{field}.display_name", errors, required=False
    )
    common.check_labels(dict(resource.labels), f"{field}.labels", errors)
    kms = resource.encryption_spec.kms_key_name
    if resource.HasField("encryption_spec") and not common.KMS_KEY_RE.match(kms):
        errors.append(
            (
                f"{field}.encryption_spec.kms_key_name",
                f"{kms!r} must be projects/{{p}}/locations/{{l}}/keyRings/{{kr}}/cryptoKeys/{{k}}",
            )
        )
    network = resource.network
    if network and not common.NETWORK_RE.match(network):
        errors.append(
            (
                f"{field}.network",
                f"{network!r} must be projects/{{project_number}}/global/networks/"
                "{network_name} (a numeric project number, not a project id)",
            )
        )
    if network and resource.psc_interface_config.network_attachment:
        errors.append(
            (
                f"{field}.psc_interface_config",
                "give either network (VPC peering) or psc_interface_config, not both",
            )
        )
    if resource.reserved_ip_ranges and not network:
        errors.append(
            (
                f"{field}.reserved_ip_ranges",
                f"{field}.reserved_ip_ranges needs {field}.network (VPC peering)",
            )
        )
    pools = list(resource.resource_pools)
    if not pools:
        errors.append(
            (
                f"{field}.resource_pools",
                f"{field}.resource_pools must contain at least one resource pool",
            )
        )
    floor = 0 if has_ray(resource) else 1
    seen: dict[str, int] = {}
    for i, pool in enumerate(pools):
        _check_pool(pool, f"{field}.resource_pools[{i}]", floor, i, seen, errors)
    if errors:
        raise InvalidArgument(violations=errors)
    taken = {p.id for p in pools if p.id}
    for i, pool in enumerate(pools):
        if not pool.id:
            candidate, n = f"pool-{i}", 1
            while candidate in taken:
                candidate, n = f"pool-{i}-{n}", n + 1
            pool.id = candidate
            taken.add(candidate)
        if not pool.HasField("replica_count"):
            # Valid bounds here (check_counts passed): start at the autoscaling min.
            bounds = autoscaling_bounds(pool)
            pool.replica_count = 1 if bounds is None or bounds[0] is None else bounds[0]


def _check_pool(
    pool: Any, f: str, floor: int, i: int, seen: dict[str, int], errors: list[Violation]
) -> None:
    if pool.id:
        if not RESOURCE_ID_RE.fullmatch(pool.id):
            errors.append((f"{f}.id", f"{pool.id!r} must be {_ID_RULE}"))
        elif pool.id in seen:
            errors.append(
                (
                    f"{f}.id",
                    f"{pool.id!r} is already the id of resource_pools[{seen[pool.id]}]; "
                    "pool ids must be unique",
                )
            )
        seen.setdefault(pool.id, i)
    if not pool.HasField("machine_spec") or not pool.machine_spec.machine_type:
        errors.append(
            (f"{f}.machine_spec.machine_type", f"{f}.machine_spec.machine_type is required")
        )
    elif not common.MACHINE_TYPE_RE.match(pool.machine_spec.machine_type):
        errors.append(
            (
                f"{f}.machine_spec.machine_type",
                f"{pool.machine_spec.machine_type!r} is not a machine "
                "type (expected a Compute Engine name like n1-standard-4)",
            )
        )
    common.check_accelerator(pool.machine_spec, f"{f}.machine_spec", errors)
    machines.check_machine(pool, f, errors)
    machines.check_reservation_need(pool.machine_spec, f, errors)
    check_counts(pool, f, floor, errors)


def autoscaling_bounds(pool: Any) -> tuple[int | None, int | None] | None:
    """(min, max) of a pool's autoscaling by proto3 presence (an explicit 0 is given,
    an unset bound is None); None when the pool has no autoscaling, i.e. no
    ``autoscaling_spec`` or one with neither bound (rule A0)."""
    if not pool.HasField("autoscaling_spec"):
        return None
    scaling = pool.autoscaling_spec
    low = scaling.min_replica_count if scaling.HasField("min_replica_count") else None
    high = scaling.max_replica_count if scaling.HasField("max_replica_count") else None
    return None if low is None and high is None else (low, high)


def check_counts(pool: Any, f: str, floor: int, errors: list[Violation]) -> None:
    """replica_count and autoscaling bounds, rules C1 and A1-A4 of COVERAGE.md.

    ``floor`` is 0 for a Ray cluster, else 1. Each error names the field at fault:
    a missing or too small bound names itself, min >= max names max_replica_count,
    a replica_count outside the bounds names replica_count.
    """
    count = pool.replica_count if pool.HasField("replica_count") else None
    if count is not None and count < floor:
        errors.append((f"{f}.replica_count", f"{count} must be {floor} or more"))
    bounds = autoscaling_bounds(pool)
    if bounds is None:
        return
    low, high = bounds
    s = f"{f}.autoscaling_spec"
    for name, bound in (("min_replica_count", low), ("max_replica_count", high)):
        if bound is None:
            errors.append(
                (
                    f"{s}.{name}",
                    f"{s}.{name} is required with autoscaling (give both min_replica_count "
                    "and max_replica_count)",
                )
            )
    if low is not None and low < floor:
        ray = "" if floor == 0 else " (0 is allowed only for Ray clusters)"
        errors.append((f"{s}.min_replica_count", f"{low} must be {floor} or more{ray}"))
    if low is not None and high is not None and high <= low:
        errors.append(
            (f"{s}.max_replica_count", f"{high} must be more than min_replica_count ({low})")
        )
    if count is not None and low is not None and count < low:
        errors.append((f"{f}.replica_count", f"{count} must be at least min_replica_count ({low})"))
    if count is not None and high is not None and count > high:
        errors.append((f"{f}.replica_count", f"{count} must be at most max_replica_count ({high})"))


def check_update_mask(paths: list[str]) -> None:
    """INVALID_ARGUMENT naming each path UpdatePersistentResource does not update."""
    updatable = ", ".join(sorted(UPDATABLE_PATHS))
    if not paths:
        raise InvalidArgument.of(
            "update_mask", f"update_mask is required; updatable paths: {updatable}"
        )
    bad = [p for p in paths if p not in UPDATABLE_PATHS]
    if bad:
        rule = f"updatable paths: {updatable} (create a new resource to change anything else)"
        raise InvalidArgument(
            f"update_mask: {', '.join(repr(p) for p in bad)} cannot be updated; {rule}",
            [("update_mask", f"{p!r} cannot be updated; {rule}") for p in bad],
        )


def apply_update_mask(given: Any, target: Any, paths: set[str]) -> None:
    """Copy the masked counts (``paths``, checked) of a requested pool onto the stored one."""
    if "resource_pools.replica_count" in paths and given.HasField("replica_count"):
        target.replica_count = given.replica_count
    for bound in ("min_replica_count", "max_replica_count"):
        if f"resource_pools.autoscaling_spec.{bound}" in paths and given.autoscaling_spec.HasField(
            bound
        ):
            setattr(target.autoscaling_spec, bound, getattr(given.autoscaling_spec, bound))


def capacity(pool: Any) -> int:
    """How many replicas jobs may use in a pool (see the module docstring)."""
    if pool.HasField("autoscaling_spec") and pool.autoscaling_spec.max_replica_count:
        return int(pool.autoscaling_spec.max_replica_count)
    return int(pool.replica_count)


def machine_key(spec: Any) -> tuple[str, int, int]:
    """(machine_type, accelerator_type, accelerator_count): what must match exactly."""
    return spec.machine_type, int(spec.accelerator_type), int(spec.accelerator_count)


def describe(key: tuple[str, int, int]) -> str:
    """``n1-standard-4`` or ``a2-highgpu-1g + 1 x NVIDIA_TESLA_A100``."""
    machine, accelerator, count = key
    if not accelerator:
        return machine
    return f"{machine} + {count} x {AcceleratorType(accelerator).name}"


def place_job(job: Any, resource: Any) -> dict[str, int]:
    """Where each non-empty worker pool of ``job`` runs: ``{resource pool id: replicas}``.

    A worker pool goes to a resource pool with the same machine type and accelerators
    (the one with the most room left, counting the job's other pools). Raises
    InvalidArgument when a pool matches none, or needs more replicas than its
    resource pool can ever hold.
    """
    pools = list(resource.resource_pools)
    rid = resource.name.rsplit("/", 1)[-1]
    placement: dict[str, int] = {}
    errors: list[Violation] = []
    for i, wps in enumerate(job.job_spec.worker_pool_specs):
        if wps.ByteSize() == 0:
            continue
        f = f"custom_job.job_spec.worker_pool_specs[{i}]"
        key = machine_key(wps.machine_spec)
        matches = [p for p in pools if machine_key(p.machine_spec) == key]
        if not matches:
            offered = "; ".join(f"{p.id}: {describe(machine_key(p.machine_spec))}" for p in pools)
            errors.append(
                (
                    f"{f}.machine_spec",
                    f"no resource pool of persistent resource {rid!r} has "
                    f"{describe(key)}; its pools: {offered}",
                )
            )
            continue
        want = max(int(wps.replica_count), 1)
        target = max(matches, key=lambda p: capacity(p) - placement.get(p.id, 0))
        room = capacity(target) - placement.get(target.id, 0)
        if want > room:
            errors.append(
                (
                    f"{f}.replica_count",
                    f"{want} replicas do not fit resource pool {target.id!r} of "
                    f"persistent resource {rid!r} (room for {room} of {capacity(target)})",
                )
            )
            continue
        placement[target.id] = placement.get(target.id, 0) + want
    if errors:
        raise InvalidArgument(violations=errors)
    return placement
