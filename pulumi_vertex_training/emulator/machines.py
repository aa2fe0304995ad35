"""Machines as Vertex AI custom training accepts them: the emulator's reading of the catalog.

The facts are in ``pulumi_vertex_training/data/machine_catalog.json`` (dated, with the
public Google pages they come from), the same file check() reads; the code here is the
emulator's own (it imports nothing of spec/), so one bug cannot pass on both sides.
Only refusals live here: a fact under a ``warn*`` key is uncertain, so what it covers
is accepted, and so is a machine family the catalog does not list (as Vertex accepts a
type it knows that the catalog does not). The rules and the fields they blame are in
COVERAGE.md ("Machines"). Each check appends ``"<field path>: <why>"`` to ``errors``.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from google.cloud.aiplatform_v1 import AcceleratorType, ReservationAffinity, Scheduling

from pulumi_vertex_training.emulator.exceptions import Violation

CATALOG_PATH = Path(__file__).resolve().parent.parent / "data" / "machine_catalog.json"
TPU_TOPOLOGY_RE = re.compile(r"^\d+x\d+(x\d+)?$")
_RESERVED = {
    int(ReservationAffinity.Type.ANY_RESERVATION),
    int(ReservationAffinity.Type.SPECIFIC_RESERVATION),
}


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, Any]:
    """The catalog's JSON, read once (``catalog.cache_clear()`` after changing the file)."""
    data: dict[str, Any] = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    return data


def _families() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = catalog().get("machine_families", {})
    return found


def find_family(machine_type: str) -> tuple[str, dict[str, Any]] | None:
    """The catalog family ``machine_type`` is (or claims to be) of: listed among its
    types, named after it (``n1-standard-3``), or the family's bare name."""
    families = _families()
    for name, family in families.items():
        if machine_type in family.get("types", ()):
            return name, family
    for name in (machine_type, machine_type.rsplit("-", 1)[0]):
        if name in families:
            return name, families[name]
    return None


def _accelerator_name(value: int) -> str:
    try:
        return AcceleratorType(value).name
    except ValueError:
        return str(value)


def _allowed(rule: Any, count: int) -> bool:
    """``rule``: a list of counts, or {counts, pod_min, pod_multiple_of} for TPUs."""
    if isinstance(rule, list):
        return count in rule
    if count in rule.get("counts", ()):
        return True
    step = rule.get("pod_multiple_of") or 1
    return "pod_min" in rule and count >= rule["pod_min"] and count % step == 0


def _describe(rule: Any) -> str:
    if isinstance(rule, list):
        return "/".join(str(n) for n in rule)
    text = "/".join(str(n) for n in rule.get("counts", ()))
    if "pod_min" in rule:
        step = rule.get("pod_multiple_of")
        text += f" or a Pod of >= {rule['pod_min']}" + (f" in steps of {step}" if step else "")
    return text


def check_machine(pool: Any, f: str, errors: list[Violation]) -> None:
    """One pool (``f`` its path): machine type, accelerators, TPU topology, boot disk."""
    machine = pool.machine_spec
    topology = machine.tpu_topology
    if topology and not TPU_TOPOLOGY_RE.match(topology):
        errors.append(
            (
                f"{f}.machine_spec.tpu_topology",
                f"{topology!r} is not a TPU topology like 2x2 or 2x2x1",
            )
        )
    _check_disk(pool.disk_spec, f"{f}.disk_spec", errors)
    mtype = machine.machine_type
    found = find_family(mtype) if mtype else None
    if found is None:
        return  # not in the catalog: Vertex may well know it
    name, family = found
    if mtype not in family.get("types", ()):
        errors.append(
            (
                f"{f}.machine_spec.machine_type",
                f"{mtype!r} is not offered for custom training; "
                f"the {name} types are {', '.join(family.get('types', ()))}",
            )
        )
        return
    _check_accelerator(machine, family, f"{f}.machine_spec", errors)
    topologies = family.get("tpu_topologies", {})
    mine = topologies.get(mtype, {})
    if topologies and not topology and family.get("tpu_topology") == "required":
        errors.append(
            (
                f"{f}.machine_spec.tpu_topology",
                f"{f}.machine_spec.tpu_topology is required for {mtype} (one of {', '.join(mine)})",
            )
        )
    elif topologies and TPU_TOPOLOGY_RE.match(topology) and topology not in mine:
        errors.append(
            (
                f"{f}.machine_spec.tpu_topology",
                f"{topology!r} is not a topology of {mtype} (one of {', '.join(mine)})",
            )
        )


def _check_accelerator(
    machine: Any, family: dict[str, Any], f: str, errors: list[Violation]
) -> None:
    mtype, kind, count = machine.machine_type, machine.accelerator_type, machine.accelerator_count
    tables: dict[str, dict[str, Any]] = family.get("accelerators", {})
    if not kind:
        if family.get("accelerator") == "required":
            offers = [f"{n} x {_describe(t[mtype])}" for n, t in tables.items() if t.get(mtype)]
            errors.append(
                (
                    f"{f}.accelerator_type",
                    f"{mtype} must be used with an accelerator: " + "; ".join(offers),
                )
            )
        return
    name = _accelerator_name(kind)
    retired = catalog().get("accelerators", {}).get(name, {}).get("refuse")
    if retired:
        errors.append((f"{f}.accelerator_type", f"{name} {retired}"))
        return
    if name in family.get("warn_accelerators", {}):
        return
    table = tables.get(name)
    if table is None:
        takes = sorted(n for n, t in tables.items() if t.get(mtype))
        errors.append(
            (
                f"{f}.accelerator_type",
                f"{name} cannot be attached to {mtype}"
                + (f"; it takes {', '.join(takes)}" if takes else "; it takes no accelerators"),
            )
        )
        return
    rule = table.get(mtype)
    if not rule:
        errors.append((f"{f}.accelerator_type", f"{name} cannot be attached to {mtype}"))
    elif count >= 1 and not _allowed(rule, count):
        errors.append(
            (
                f"{f}.accelerator_count",
                f"{count} x {name} is not a configuration of {mtype} (it takes {_describe(rule)})",
            )
        )


def _check_disk(disk: Any, f: str, errors: list[Violation]) -> None:
    facts = catalog().get("boot_disk", {})
    kinds = facts.get("types", ())
    if disk.boot_disk_type and kinds and disk.boot_disk_type not in kinds:
        errors.append(
            (f"{f}.boot_disk_type", f"{disk.boot_disk_type!r} is not one of {', '.join(kinds)}")
        )
    size, bounds = disk.boot_disk_size_gb, facts.get("size_gb", {})
    low, high = bounds.get("min", 0), bounds.get("max", 2**31)
    if size and not low <= size <= high:
        errors.append((f"{f}.boot_disk_size_gb", f"{size} is outside {low}..{high}"))


def check_reservation_need(machine: Any, f: str, errors: list[Violation]) -> None:
    """An accelerator the catalog says needs a reservation (GB200), without one."""
    need = catalog().get("accelerators", {}).get(_accelerator_name(machine.accelerator_type), {})
    affinity = machine.reservation_affinity.reservation_affinity_type
    if "needs_reservation" in need and affinity not in _RESERVED:
        errors.append((f"{f}.machine_spec.reservation_affinity", f"{need['needs_reservation']}"))


def _is_tpu(machine_type: str) -> bool:
    found = find_family(machine_type)
    return bool(found and found[1].get("tpu") and machine_type in found[1].get("types", ()))


def _pod(pool: Any) -> str | None:
    """How the pool is a TPU Pod slice ("32 x TPU_V2", "2 VMs of ct5lp-hightpu-4t"), if so."""
    machine = pool.machine_spec
    found = find_family(machine.machine_type)
    if found is None or not found[1].get("tpu"):
        return None
    family = found[1]
    name = _accelerator_name(machine.accelerator_type)
    rule = family.get("accelerators", {}).get(name, {}).get(machine.machine_type)
    if isinstance(rule, dict) and machine.accelerator_count >= rule.get("pod_min", 2**31):
        return f"{machine.accelerator_count} x {name}"
    vms = family.get("tpu_topologies", {}).get(machine.machine_type, {}).get(machine.tpu_topology)
    return f"{vms} VMs of {machine.machine_type}" if vms and vms > 1 else None


def check_job(spec: Any, f: str, errors: list[Violation]) -> None:
    """Across a CustomJobSpec's pools: TPU jobs, Spot, FLEX_START, reservations."""
    pools = [(i, p) for i, p in enumerate(spec.worker_pool_specs) if p.ByteSize()]
    try:
        strategy = Scheduling.Strategy(spec.scheduling.strategy).name
    except ValueError:
        strategy = str(spec.scheduling.strategy)
    for i, pool in pools:
        if not spec.persistent_resource_id:  # a resource brings its own capacity
            check_reservation_need(pool.machine_spec, f"{f}.worker_pool_specs[{i}]", errors)
    tpus = [i for i, p in pools if _is_tpu(p.machine_spec.machine_type)]
    if tpus and len(pools) > 1:
        mtype = spec.worker_pool_specs[tpus[0]].machine_spec.machine_type
        for i, _ in pools[1:]:
            errors.append(
                (
                    f"{f}.worker_pool_specs[{i}]",
                    f"a TPU job ({mtype} in worker_pool_specs"
                    f"[{tpus[0]}]) runs in exactly one worker pool",
                )
            )
    pods = [(i, why) for i, p in pools if (why := _pod(p))]
    if pods and strategy == "SPOT":
        errors.append(
            (
                f"{f}.scheduling.strategy",
                f"SPOT is not supported with TPU Pods "
                f"(worker_pool_specs[{pods[0][0]}] is {pods[0][1]})",
            )
        )
    if strategy == "FLEX_START":
        _check_flex_start(spec, pools, f, errors)


def _check_flex_start(
    spec: Any, pools: list[tuple[int, Any]], f: str, errors: list[Violation]
) -> None:
    flex = catalog().get("flex_start", {})
    gpus = [*flex.get("accelerators", ()), *flex.get("warn_accelerators", {})]
    for i, pool in pools:
        name = _accelerator_name(pool.machine_spec.accelerator_type)
        if name not in gpus:
            errors.append(
                (
                    f"{f}.worker_pool_specs[{i}].machine_spec.accelerator_type",
                    f"strategy FLEX_START "
                    f"runs on {', '.join(flex.get('accelerators', ()))} only (got {name})",
                )
            )
        if pool.machine_spec != pools[0][1].machine_spec:
            errors.append(
                (
                    f"{f}.worker_pool_specs[{i}].machine_spec",
                    f"{f}.worker_pool_specs[{i}].machine_spec differs from worker_pool_specs"
                    f"[{pools[0][0]}]'s; FLEX_START runs one machine configuration for all pools",
                )
            )
    limit = flex.get("max_timeout_seconds")
    timeout = spec.scheduling.timeout
    if (
        limit
        and spec.scheduling.HasField("timeout")
        and timeout.seconds + timeout.nanos / 1e9 > limit
    ):
        errors.append(
            (
                f"{f}.scheduling.timeout",
                f"{timeout.seconds}s is more than FLEX_START allows ({limit}s)",
            )
        )
