"""PersistentResource: normalize and check its inputs; check that a job fits one.

Canonical form as for CustomJob (see custom_job.py), plus these defaults:
- ``resource_pools[i].id`` = ``pool-{i}`` (next free ``pool-{i}-{n}`` on a clash) when
  not given. Vertex would generate one, but a deterministic id keeps the live resource
  equal to the inputs and names pools in ``resource_pool_images`` and update requests;
- ``resource_pools[i].replica_count``: rules D1/D2 below;
- ``machine_spec.accelerator_count`` = 1 when only a type is given (as for jobs).
``resource_id`` is the CreatePersistentResourceRequest id; the provider defaults it to
``normalize_resource_id(<pulumi resource name>)``.

Replica counts of a pool (the same table is in emulator/COVERAGE.md; the emulator
implements it on its own). ``floor`` is 0 when a RaySpec is given, else 1. Given means
present (proto3 ``optional``: an explicit 0 is given); unknown values skip their rules.

==  ===================================================  ===========================
#   rule (per resource pool)                             field blamed / default
==  ===================================================  ===========================
C1  ``replica_count``, when given, >= floor              replica_count
A0  ``autoscaling_spec`` with no bound: no autoscaling   (dropped; nothing checked)
A1  autoscaling: min and max both given                  the missing bound
A2  ``min_replica_count`` >= floor                       min_replica_count
A3  ``max_replica_count`` > ``min_replica_count``        max_replica_count
A4  min <= ``replica_count`` <= max (each given bound)   replica_count
D1  ``replica_count`` unset, no autoscaling              1
D2  ``replica_count`` unset, autoscaling                 ``min_replica_count`` (left
                                                         unset when A1-A3 fail: only
                                                         the bounds are blamed)
==  ===================================================  ===========================

Sources: AutoscalingSpec field docs ("min ... must be <= replica_count and <
max_replica_count", "max ... must be >= replica_count and > min_replica_count"; min
may be 0 for Ray on Vertex and must be > 0 for a PersistentResource); the Vertex SDK
sends autoscaled pools without replica_count (vertex_ray/cluster_init.py), so unset
is valid. A3 blames max and A4 blames replica_count by choice: the docs state each
inequality from both sides; replica_count is the field one updates in place.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from . import names
from .args import to_plain
from .capacity import check_resource_machines
from .coerce import coerce_message, prune
from .custom_job import (
    check_display_name_characters,
    check_encryption_spec,
    default_accelerator_count,
)
from .failures import UNKNOWN, Normalized, SpecFailure, is_unknown, missing, without_redundant
from .resource_names import (
    RESOURCE_ID,
    check_email,
    check_label_warnings,
    check_labels,
    check_network,
)
from .validators import (
    check_disk_spec,
    check_machine_spec,
    check_psc_interface_config,
    check_reserved_ip_ranges,
)

MAX_DISPLAY_NAME = 128
_ID_FORM = (
    "lowercase letters, digits and '-', starting with a letter, not ending with '-', "
    "at most 63 characters"
)


RESOURCE_FIELDS = (
    "display_name",
    "resource_pools",
    "network",
    "reserved_ip_ranges",
    "psc_interface_config",
    "resource_runtime_spec",
    "labels",
    "encryption_spec",
)
"""The PersistentResource message fields a user gives (the id travels beside them)."""


class NormalizedResource(Normalized):
    """The canonical PersistentResource inputs (with ``resource_id``) and all failures."""


def normalize_resource_id(name: str) -> str:
    """A valid persistent resource id derived from ``name`` (e.g. the Pulumi name).

    Lowercased; runs of other characters become one '-'; a leading non-letter gets a
    ``pr-`` prefix; ids past 63 characters are cut and end in 8 hex chars of the full
    name's sha256, so distinct long names stay distinct.
    """
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not text or not text[0].isalpha():
        text = f"pr-{text}".rstrip("-")
    if len(text) > 63:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        text = f"{text[:54].rstrip('-')}-{digest}"
    return text


def normalize_persistent_resource(
    raw: Mapping[str, Any], *, location: str | None = None
) -> NormalizedResource:
    """Normalize and validate PersistentResource inputs (resource_id, display_name,
    resource_pools, network, reserved_ip_ranges, psc_interface_config,
    resource_runtime_spec, labels, encryption_spec).

    Args:
        raw: the inputs, snake_case or REST camelCase; may hold UNKNOWN leaves.
        location: the resource's region, when known; the CMEK key must be in it.

    Returns:
        NormalizedResource with the canonical value and all failures (never raises).
    """
    failures: list[SpecFailure] = []
    warnings: list[SpecFailure] = []
    value = coerce_message(to_plain(raw), "PersistentResourceInput", "", failures)
    if not isinstance(value, dict):
        return NormalizedResource({}, failures)
    _check_resource(value, location, failures)
    check_resource_machines(value, failures, warnings)
    check_label_warnings(value.get("labels"), "labels", warnings)
    _apply_defaults(value)
    _check_ray(value, failures)
    return NormalizedResource(
        prune(value, "PersistentResourceInput"), without_redundant(failures), warnings
    )


def _check_resource(res: dict[str, Any], location: str | None, failures: list[SpecFailure]) -> None:
    rid = res.get("resource_id")
    if rid is None or rid == "":
        failures.append(missing("resource_id", f"required: {_ID_FORM}"))
    elif isinstance(rid, str) and not RESOURCE_ID.match(rid):
        failures.append(
            SpecFailure(
                "resource_id", f"must be {_ID_FORM}; e.g. {normalize_resource_id(rid)!r}", rid
            )
        )
    name = res.get("display_name")
    if isinstance(name, str) and len(name) > MAX_DISPLAY_NAME:
        failures.append(
            SpecFailure(
                "display_name", f"at most {MAX_DISPLAY_NAME} characters, got {len(name)}", name
            )
        )
    check_display_name_characters(name, "display_name", failures)
    network = res.get("network")
    check_network(network, "network", failures)
    psc = res.get("psc_interface_config")
    check_psc_interface_config(psc, "psc_interface_config", failures)
    if network is not None and isinstance(psc, dict) and prune(psc, "PscInterfaceConfig"):
        failures.append(
            SpecFailure(
                "psc_interface_config",
                "give either network (VPC peering) or "
                "psc_interface_config (Private Service Connect interface), not both",
                psc,
            )
        )
    check_reserved_ip_ranges(res.get("reserved_ip_ranges"), "reserved_ip_ranges", network, failures)
    check_labels(res.get("labels"), "labels", failures)
    check_encryption_spec(res.get("encryption_spec"), "encryption_spec", location, failures)
    runtime = res.get("resource_runtime_spec")
    if isinstance(runtime, dict):
        _check_service_account_spec(
            runtime.get("service_account_spec"),
            "resource_runtime_spec.service_account_spec",
            failures,
        )
    pools = res.get("resource_pools")
    if pools is None or pools == []:
        failures.append(
            missing("resource_pools", "required: at least one pool with a machine_spec")
        )
    elif isinstance(pools, list):
        seen: dict[str, int] = {}
        for i, pool in enumerate(pools):
            _check_pool(pool, names.index("resource_pools", i), _has_ray(res), seen, i, failures)


def _has_ray(res: dict[str, Any]) -> bool:
    """Whether the request will carry a RaySpec (an empty one is pruned away; an unknown
    one may be Ray, so the looser Ray floor applies)."""
    runtime = res.get("resource_runtime_spec")
    if is_unknown(runtime):
        return True
    ray = runtime.get("ray_spec") if isinstance(runtime, dict) else None
    return is_unknown(ray) or (isinstance(ray, dict) and bool(prune(ray, "RaySpec")))


def _check_pool(
    pool: Any, path: str, has_ray: bool, seen: dict[str, int], i: int, failures: list[SpecFailure]
) -> None:
    if not isinstance(pool, dict):
        return
    pid = pool.get("id")
    if isinstance(pid, str) and pid:
        if not RESOURCE_ID.match(pid):
            failures.append(SpecFailure(names.join(path, "id"), f"must be {_ID_FORM}", pid))
        elif pid in seen:
            failures.append(
                SpecFailure(
                    names.join(path, "id"),
                    f"pool ids must be unique (also resource_pools[{seen[pid]}])",
                    pid,
                )
            )
        seen.setdefault(pid, i)
    check_machine_spec(pool.get("machine_spec"), names.join(path, "machine_spec"), failures)
    check_disk_spec(pool.get("disk_spec"), names.join(path, "disk_spec"), failures)
    _check_counts(pool, path, 0 if has_ray else 1, failures)


def _bounds(pool: dict[str, Any]) -> tuple[Any, Any] | None:
    """(min, max) of the pool's autoscaling, None when it has none (rule A0)."""
    scaling = pool.get("autoscaling_spec")
    if not isinstance(scaling, dict):
        return None
    low, high = scaling.get("min_replica_count"), scaling.get("max_replica_count")
    return None if low is None and high is None else (low, high)


def _check_counts(pool: dict[str, Any], path: str, floor: int, failures: list[SpecFailure]) -> None:
    """Rules C1 and A1-A4 of the module docstring (unknown values skip theirs)."""
    count = pool.get("replica_count")
    c_path = names.join(path, "replica_count")
    if isinstance(count, int) and count < floor:
        failures.append(SpecFailure(c_path, f"must be {floor} or more", count))
    bounds = _bounds(pool)
    if bounds is None:
        return
    low, high = bounds
    s_path = names.join(path, "autoscaling_spec")
    for name, bound in (("min_replica_count", low), ("max_replica_count", high)):
        if bound is None:
            failures.append(
                missing(
                    names.join(s_path, name),
                    "required with autoscaling: give both min_replica_count and max_replica_count",
                )
            )
    if isinstance(low, int) and low < floor:
        failures.append(
            SpecFailure(
                names.join(s_path, "min_replica_count"),
                f"must be {floor} or more" + ("" if floor == 0 else " (0 only for Ray clusters)"),
                low,
            )
        )
    if isinstance(low, int) and isinstance(high, int) and high <= low:
        failures.append(
            SpecFailure(
                names.join(s_path, "max_replica_count"),
                f"must be more than min_replica_count ({low})",
                high,
            )
        )
    if isinstance(count, int) and isinstance(low, int) and count < low:
        failures.append(
            SpecFailure(
                c_path, f"must be at least autoscaling_spec.min_replica_count ({low})", count
            )
        )
    if isinstance(count, int) and isinstance(high, int) and count > high:
        failures.append(
            SpecFailure(
                c_path, f"must be at most autoscaling_spec.max_replica_count ({high})", count
            )
        )


def _default_replica_count(pool: dict[str, Any], floor: int) -> Any:
    """Rules D1/D2: 1, or the autoscaling min; None (leave unset) when the bounds are
    wrong, so that only the bounds are blamed; UNKNOWN when the min is."""
    if is_unknown(pool.get("autoscaling_spec")):
        return UNKNOWN
    bounds = _bounds(pool)
    if bounds is None:
        return 1
    low, high = bounds
    if is_unknown(low):
        return UNKNOWN
    bounds_hold = isinstance(low, int) and low >= floor and high is not None
    if not bounds_hold or (isinstance(high, int) and high <= low):
        return None
    return low


def _check_service_account_spec(spec: Any, path: str, failures: list[SpecFailure]) -> None:
    if not isinstance(spec, dict):
        return
    account = spec.get("service_account")
    check_email(account, names.join(path, "service_account"), failures)
    enabled = spec.get("enable_custom_service_account")
    if account and enabled is not True and not is_unknown(enabled):
        failures.append(
            SpecFailure(
                names.join(path, "enable_custom_service_account"),
                "must be true when service_account is given",
                enabled,
            )
        )


def _apply_defaults(res: dict[str, Any]) -> None:
    pools = res.get("resource_pools")
    if not isinstance(pools, list):
        return
    floor = 0 if _has_ray(res) else 1
    taken = {p.get("id") for p in pools if isinstance(p, dict)}
    for i, pool in enumerate(pools):
        if not isinstance(pool, dict):
            continue
        if pool.get("id") in (None, ""):
            candidate, n = f"pool-{i}", 1
            while candidate in taken:
                candidate, n = f"pool-{i}-{n}", n + 1
            pool["id"] = candidate
            taken.add(candidate)
        if "replica_count" not in pool:
            count = _default_replica_count(pool, floor)
            if count is not None:
                pool["replica_count"] = count
        default_accelerator_count(pool.get("machine_spec"))


def _check_ray(res: dict[str, Any], failures: list[SpecFailure]) -> None:
    """RaySpec (after pool ids are defaulted): an image for every pool, a real head."""
    runtime = res.get("resource_runtime_spec")
    ray = runtime.get("ray_spec") if isinstance(runtime, dict) else None
    if not isinstance(ray, dict):
        return
    path = "resource_runtime_spec.ray_spec"
    pools = res.get("resource_pools")
    given = [p.get("id") for p in pools if isinstance(p, dict)] if isinstance(pools, list) else []
    # Unknown pools or pool ids skip the checks that name pools.
    ids: list[str] | None = (
        [i for i in given if isinstance(i, str)]
        if isinstance(pools, list) and all(isinstance(i, str) for i in given)
        else None
    )
    images = ray.get("resource_pool_images")
    if ray.get("image_uri") in (None, "") and not images:
        failures.append(
            missing(
                names.join(path, "image_uri"),
                "give image_uri (one Ray image "
                "for all pools) or resource_pool_images (one per pool id)",
            )
        )
    if isinstance(images, dict) and images and ids is not None:
        i_path = names.join(path, "resource_pool_images")
        for key in images:
            if key not in ids:
                failures.append(
                    SpecFailure(
                        names.key_path(i_path, key),
                        f"names no pool; pool ids: {', '.join(ids)}",
                        key,
                    )
                )
        absent = [i for i in ids if i not in images]
        if absent and ray.get("image_uri") in (None, ""):
            failures.append(
                SpecFailure(
                    i_path, f"must cover every pool; missing: {', '.join(absent)}", sorted(images)
                )
            )
    head = ray.get("head_node_resource_pool_id")
    if isinstance(head, str) and head and ids is not None and head not in ids:
        failures.append(
            SpecFailure(
                names.join(path, "head_node_resource_pool_id"),
                f"must be one of the pool ids: {', '.join(ids)}",
                head,
            )
        )
