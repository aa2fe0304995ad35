"""What Vertex AI custom training accepts in one pool's MachineSpec and boot disk.

Every fact comes from the machine catalog (``catalog.py`` reads
``data/machine_catalog.json``: its ``as_of`` date and the public Google pages it was
taken from); this module holds the rules only, so the catalog follows Google without
code changes. A fact under a ``warn*`` key is uncertain and yields a warning
(``Normalized.warnings``), never a failure. UNKNOWN values skip the rules needing them.
The rules across a job's pools and its scheduling (reservations, Spot, FLEX_START, TPU
jobs) are in ``capacity.py``, which applies these to every pool.

Per pool (a well-formed machine_type; the format rules are in validators.py):

==  ==========================================================  =====================
M1  a type of a family the catalog lists, but not one of its     machine_type
    types: refused with the nearest sizes and the family's sizes
M2  a family the catalog does not list: warning (a new Google    machine_type
    machine never blocks a job)
A1  a retired accelerator (``refuse``): refused; ``warn``: warn  accelerator_type
A2  no accelerator on a family that needs one                    accelerator_type
A3  an accelerator the family (or this type) does not take       accelerator_type
A4  a count the type does not take (TPU v3 Pod sizes: warning)   accelerator_count
T1  a TPU topology missing or not the type's; on a family        tpu_topology
    without topologies: warning
D1  a boot disk type the series may not take: warning            disk_spec.boot_disk_type
==  ==========================================================  =====================
"""

from __future__ import annotations

import re
from typing import Any

from . import names
from .catalog import Catalog, counts_allow, counts_text, current, either, is_pod_count
from .failures import SpecFailure, is_unknown

# Machine types are family-series-size (n1-standard-4, a2-highgpu-1g, ct5lp-hightpu-4t,
# n1-custom-8-32768) or cloud-tpu: lowercase words joined by '-'. Deliberately
# permissive (new families appear often); it catches case and spacing mistakes.
MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
TPU_TOPOLOGY = re.compile(r"^\d+x\d+(x\d+)?$")

Findings = list[SpecFailure]


def say(path: str, reason: str, value: Any) -> SpecFailure:
    """A finding whose reason names the value already (printed without "(got ...)")."""
    return SpecFailure(path, reason, value, has_value=False)


def check_pool_machine(
    pool: dict[str, Any], path: str, failures: Findings, warnings: Findings
) -> None:
    """Rules M1-M2, A1-A4, T1 and D1 on one pool's machine_spec and disk_spec."""
    machine = pool.get("machine_spec")
    machine_type = machine.get("machine_type") if isinstance(machine, dict) else None
    if not isinstance(machine_type, str) or not MACHINE_TYPE.match(machine_type):
        return
    assert isinstance(machine, dict)
    m_path = names.join(path, "machine_spec")
    cat = current()
    family, listed = cat.family_of(machine_type)
    mt_path = names.join(m_path, "machine_type")
    if family is None:
        warnings.append(
            say(
                mt_path,
                f"{machine_type} is not in the machine catalog (custom training machine types "
                f"as of {cat.as_of}); if Vertex AI does not offer it, creating the job fails",
                machine_type,
            )
        )
    elif not listed:
        nearest = either(cat.nearest_types(machine_type, family))
        failures.append(
            say(
                mt_path,
                f"{machine_type} is not a machine type for custom training; did you mean "
                f"{nearest}? ({family} sizes: {cat.sizes(family)})",
                machine_type,
            )
        )
        return
    _check_accelerator(cat, machine, machine_type, family, m_path, failures, warnings)
    if family is None:
        return
    _check_topology(cat, machine, machine_type, family, m_path, failures, warnings)
    disk = pool.get("disk_spec")
    kind = disk.get("boot_disk_type") if isinstance(disk, dict) else None
    why = cat.families[family].get("warn_boot_disk_types", {}).get(kind)
    if why:
        warnings.append(
            say(
                names.join(path, "disk_spec.boot_disk_type"),
                f"{machine_type} with {kind}: {why}",
                kind,
            )
        )


def _check_accelerator(
    cat: Catalog,
    machine: dict[str, Any],
    machine_type: str,
    family: str | None,
    path: str,
    failures: Findings,
    warnings: Findings,
) -> None:
    accel = machine.get("accelerator_type")
    a_path = names.join(path, "accelerator_type")
    if is_unknown(accel):
        return
    if accel is None:
        if family is not None and cat.families[family].get("accelerator") == "required":
            offers = [
                f"{name} x {counts_text(cat.families[family]['accelerators'][name][machine_type])}"
                for name in cat.taken_by(family, machine_type)
            ]
            failures.append(
                say(a_path, f"{machine_type} needs an accelerator: {either(offers)}", None)
            )
        return
    facts = cat.accelerators.get(accel, {})
    if "refuse" in facts:
        failures.append(say(a_path, f"{accel} {facts['refuse']}", accel))
        return
    if "warn" in facts:
        warnings.append(say(a_path, f"{accel}: {facts['warn']}", accel))
    if family is None:
        return
    unsure = cat.families[family].get("warn_accelerators", {}).get(accel)
    if unsure:
        warnings.append(say(a_path, f"{machine_type}: {accel}: {unsure}", accel))
        return
    table = cat.table(family, accel)
    if table is None:
        takes = cat.taken_by(family, machine_type)
        where = cat.families_taking(accel)
        runs = (
            f"{accel} runs on {', '.join(where)}"
            if where
            else (f"{accel} is not offered for custom training")
        )
        head = f"takes {either(takes)}, not {accel}" if takes else "takes no accelerators"
        failures.append(say(a_path, f"{machine_type} {head}; {runs}", accel))
        return
    counts = table.get(machine_type)
    if not counts:
        fits = either([t for t, c in table.items() if c])
        failures.append(say(a_path, f"{accel} does not fit {machine_type}; it fits {fits}", accel))
        return
    count = machine.get("accelerator_count", 1)
    if isinstance(count, int) and not isinstance(count, bool) and count >= 1:
        _check_count(cat, family, machine_type, accel, counts, count, path, failures, warnings)


def _check_count(
    cat: Catalog,
    family: str,
    machine_type: str,
    accel: str,
    counts: Any,
    count: int,
    path: str,
    failures: Findings,
    warnings: Findings,
) -> None:
    c_path = names.join(path, "accelerator_count")
    if not counts_allow(counts, count):
        reason = f"{machine_type} takes {counts_text(counts, accel)}, not {count}"
        others = [t for t, c in (cat.table(family, accel) or {}).items() if c and count in c]
        if others:
            reason += f"; {count} {'fits' if count == 1 else 'fit'} {either(others)}"
        limit = cat.n1_limit(accel, count) if family.startswith("n1-") else None
        if others and limit:
            reason += f" ({count} {accel} serves at most {limit[0]} vCPUs and {limit[1]} GB)"
        failures.append(say(c_path, reason, count))
        return
    multiple = counts.get("warn_pod_multiple_of") if isinstance(counts, dict) else None
    if multiple and is_pod_count(counts, count) and count % multiple:
        warnings.append(
            say(
                c_path,
                f"{machine_type}: {count} {accel} is not a multiple of {multiple}; "
                f"{counts.get('notes', 'TPU Pod sizes are uncertain')}",
                count,
            )
        )


def _check_topology(
    cat: Catalog,
    machine: dict[str, Any],
    machine_type: str,
    family: str,
    path: str,
    failures: Findings,
    warnings: Findings,
) -> None:
    topology = machine.get("tpu_topology")
    t_path = names.join(path, "tpu_topology")
    if is_unknown(topology):
        return
    facts = cat.families[family]
    topologies = list(facts.get("tpu_topologies", {}).get(machine_type, {}))
    if not facts.get("tpu_topologies"):
        if topology:
            which = ", ".join(cat.tpu_topology_families())
            warnings.append(
                say(
                    t_path,
                    f"{machine_type} is not a machine type with TPU topologies ({which}): "
                    "Vertex AI may refuse or ignore tpu_topology",
                    topology,
                )
            )
    elif not topology:
        if facts.get("tpu_topology") == "required":
            failures.append(
                say(t_path, f"{machine_type} needs a tpu_topology: {either(topologies)}", None)
            )
    elif isinstance(topology, str) and TPU_TOPOLOGY.match(topology) and topology not in topologies:
        failures.append(
            say(
                t_path,
                f"{machine_type} takes tpu_topology {either(topologies)}, not {topology}",
                topology,
            )
        )
