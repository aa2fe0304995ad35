"""Rules across a job's pools and its scheduling: reservations, Spot, FLEX_START, TPUs.

Facts from the machine catalog (``catalog.py``); each pool's own machine rules are in
``machines.py`` and applied from here. Warnings go to ``Normalized.warnings``.

==  ==========================================================  =====================
R1  an accelerator needing a reservation, without one (not for   reservation_affinity
    a job on a persistent resource: the resource brings it)
R2  capacity recommended through reservations or Spot: warning   accelerator_type
R3  a reservation with FLEX_START or a persistent resource:      reservation_affinity
    warning (the docs support both "except when using Compute
    Engine reservations")
J1  a TPU job has one worker pool                                the other pools
J2  no Spot VMs with a TPU Pod                                   scheduling.strategy
J3  FLEX_START: its GPUs (one uncertain: warning), the same      accelerator_type,
    machine_spec in every pool, a timeout of at most 7 days      machine_spec, timeout
==  ==========================================================  =====================
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import names
from .catalog import current, is_pod_count
from .coerce import prune
from .durations import duration_seconds
from .failures import UNKNOWN, SpecFailure, is_unknown
from .machines import Findings, check_pool_machine, say

RESERVED = ("ANY_RESERVATION", "SPECIFIC_RESERVATION")


def check_capacity(
    machine: Any,
    path: str,
    strategy: Any,
    on_resource: bool,
    failures: Findings,
    warnings: Findings,
) -> None:
    """Rules R1-R3 on one machine_spec (``path``). ``strategy`` is the job's scheduling
    strategy (None on a persistent resource); ``on_resource``: a job on a persistent
    resource, or a persistent resource's pool."""
    if not isinstance(machine, dict):
        return
    accel = machine.get("accelerator_type")
    affinity = machine.get("reservation_affinity")
    kind = affinity.get("reservation_affinity_type") if isinstance(affinity, dict) else None
    if is_unknown(accel) or is_unknown(affinity) or is_unknown(kind) or is_unknown(strategy):
        return
    cat = current()
    facts = cat.accelerators.get(accel, {}) if isinstance(accel, str) else {}
    r_path = names.join(path, "reservation_affinity")
    reserved = kind in RESERVED
    job_on_resource = strategy is not None and on_resource  # the resource brings capacity
    if "needs_reservation" in facts and not reserved and not job_on_resource:
        failures.append(say(r_path, f"{accel}: {facts['needs_reservation']}", affinity))
    recommended = facts.get("warn_without_reservation_or_spot")
    if recommended and not on_resource and not reserved and strategy not in ("SPOT", "FLEX_START"):
        warnings.append(
            say(
                names.join(path, "accelerator_type"),
                f"{accel}: {recommended} (machine_spec.reservation_affinity, or "
                "scheduling.strategy SPOT or FLEX_START)",
                accel,
            )
        )
    notes = cat.data.get("reservations", {})
    if reserved and strategy == "FLEX_START" and "warn_with_flex_start" in notes:
        warnings.append(
            say(
                r_path,
                f"a reservation with strategy FLEX_START: {notes['warn_with_flex_start']}",
                affinity,
            )
        )
    elif reserved and on_resource and "warn_with_persistent_resource" in notes:
        warnings.append(
            say(
                r_path,
                f"a reservation on a persistent resource: {notes['warn_with_persistent_resource']}",
                affinity,
            )
        )


def check_job_machines(spec: Any, path: str, failures: Findings, warnings: Findings) -> None:
    """Every rule of this module on a CustomJobSpec (``path`` is ``job_spec``)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("worker_pool_specs"), list):
        return
    given = spec.get("scheduling")
    sched = given if isinstance(given, dict) else {}
    strategy = UNKNOWN if is_unknown(given) else sched.get("strategy") or "STANDARD"
    resource = spec.get("persistent_resource_id")
    on_resource = resource is not None and resource != ""
    pools = _pools(spec, path)
    for p_path, pool in pools:
        check_pool_machine(pool, p_path, failures, warnings)
        check_capacity(
            pool.get("machine_spec"),
            names.join(p_path, "machine_spec"),
            strategy,
            on_resource,
            failures,
            warnings,
        )
    _check_tpu_job(pools, path, strategy, failures)
    if strategy == "FLEX_START":
        _check_flex_start(pools, sched, path, failures, warnings)


def _pools(spec: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, pool) of each non-empty worker pool."""
    p_path = names.join(path, "worker_pool_specs")
    return [
        (names.index(p_path, i), pool)
        for i, pool in enumerate(spec["worker_pool_specs"])
        if isinstance(pool, dict) and prune(pool, "WorkerPoolSpec")
    ]


def _tpu_pool(pool: dict[str, Any]) -> tuple[str, str | None] | None:
    """(machine_type, why it is a Pod or None) when the pool runs on TPUs."""
    machine = pool.get("machine_spec")
    machine_type = machine.get("machine_type") if isinstance(machine, dict) else None
    if not isinstance(machine_type, str):
        return None
    cat = current()
    family, listed = cat.family_of(machine_type)
    if family is None or not listed or not cat.families[family].get("tpu"):
        return None
    assert isinstance(machine, dict)
    accel, count = machine.get("accelerator_type"), machine.get("accelerator_count", 1)
    counts = (cat.table(family, accel) or {}).get(machine_type) if isinstance(accel, str) else None
    if isinstance(count, int) and is_pod_count(counts, count):
        return machine_type, f"{count} {accel}"
    topology = machine.get("tpu_topology")
    vms = cat.families[family].get("tpu_topologies", {}).get(machine_type, {}).get(topology, 1)
    if vms > 1:
        return machine_type, f"{machine_type} {topology}, {vms} VMs"
    return machine_type, None


def _check_tpu_job(
    pools: list[tuple[str, dict[str, Any]]], path: str, strategy: Any, failures: Findings
) -> None:
    """J1 and J2."""
    tpus = [(p, found) for p, pool in pools if (found := _tpu_pool(pool)) is not None]
    if not tpus:
        return
    first_path, (machine_type, _) = tpus[0]
    where = first_path.rsplit(".", 1)[-1]
    rule = current().data.get("tpu", {}).get("single_worker_pool")
    for p_path, _ in pools[1:] if rule else []:
        failures.append(say(p_path, f"{rule} ({where} is {machine_type}); drop this pool", None))
    pods = [(p, why) for p, (_, why) in tpus if why]
    refusal = current().data.get("spot", {}).get("refuse_tpu_pods")
    if pods and strategy == "SPOT" and refusal:
        pod_path, why = pods[0]
        failures.append(
            say(
                names.join(path, "scheduling.strategy"),
                f"{refusal} ({pod_path.rsplit('.', 1)[-1]}: {why})",
                strategy,
            )
        )


def _check_flex_start(
    pools: list[tuple[str, dict[str, Any]]],
    sched: dict[str, Any],
    path: str,
    failures: Findings,
    warnings: Findings,
) -> None:
    """J3: the GPUs FLEX_START serves, one machine_spec for all pools, the timeout."""
    flex = current().flex_start
    allowed, unsure = flex.get("accelerators", []), flex.get("warn_accelerators", {})
    first: tuple[str, Any] | None = None
    for p_path, pool in pools:
        machine = pool.get("machine_spec")
        if not isinstance(machine, dict):
            continue
        m_path = names.join(p_path, "machine_spec")
        accel = machine.get("accelerator_type")
        a_path = names.join(m_path, "accelerator_type")
        if accel in unsure:
            warnings.append(
                say(a_path, f"strategy FLEX_START with {accel}: {unsure[accel]}", accel)
            )
        elif not is_unknown(accel) and accel not in allowed:
            reason = f"strategy FLEX_START needs GPUs: one of {', '.join(allowed)}"
            failures.append(SpecFailure(a_path, reason, accel, has_value=accel is not None))
        if first is None:
            first = (p_path, machine)
        elif prune(machine, "MachineSpec") != prune(first[1], "MachineSpec"):
            failures.append(
                SpecFailure(
                    m_path,
                    "with strategy FLEX_START every worker pool must use the "
                    f"same machine_spec as {first[0].rsplit('.', 1)[-1]}",
                    machine,
                )
            )
    timeout, limit = sched.get("timeout"), flex.get("max_timeout_seconds")
    seconds = duration_seconds(timeout) if isinstance(timeout, str) else None
    if seconds is not None and limit and seconds > Decimal(limit):
        failures.append(
            SpecFailure(
                names.join(path, "scheduling.timeout"),
                f"must be at most {limit // 86400} days ({limit}s) with strategy FLEX_START",
                timeout,
            )
        )


def check_resource_machines(res: Any, failures: Findings, warnings: Findings) -> None:
    """The pool rules (M1-M2, A1-A4, T1, D1, R1, R3) on a PersistentResource's pools."""
    pools = res.get("resource_pools") if isinstance(res, dict) else None
    if not isinstance(pools, list):
        return
    for i, pool in enumerate(pools):
        if not isinstance(pool, dict):
            continue
        p_path = names.index("resource_pools", i)
        check_pool_machine(pool, p_path, failures, warnings)
        machine = pool.get("machine_spec")
        check_capacity(machine, names.join(p_path, "machine_spec"), None, True, failures, warnings)
