"""The machine catalog, read from data: machine families, accelerators, TPUs, boot disks.

``pulumi_vertex_training/data/machine_catalog.json`` holds every fact (with its ``as_of``
date and the public Google pages it was taken from); this module reads it once (cached)
and answers questions about it in the words check() prints. The rules that use it are
in ``machines.py``. The emulator reads the same file with its own code.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from .names import closest

CATALOG_FILE = Path(__file__).resolve().parent.parent / "data" / "machine_catalog.json"
"""The data file; tests point it elsewhere (then call ``current.cache_clear()``)."""

_SIZE = re.compile(r"^(\d+)")


@functools.lru_cache(maxsize=1)
def current() -> Catalog:
    """The catalog in ``CATALOG_FILE``, read once."""
    return Catalog(json.loads(Path(CATALOG_FILE).read_text(encoding="utf-8")))


def either(items: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


class Catalog:
    """Lookups over the catalog's JSON (``data``); missing optional keys are empty."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.as_of: str = data.get("as_of", "")
        self.families: dict[str, dict[str, Any]] = data.get("machine_families", {})
        self.accelerators: dict[str, dict[str, Any]] = data.get("accelerators", {})
        self.flex_start: dict[str, Any] = data.get("flex_start", {})
        self.boot_disk: dict[str, Any] = data.get("boot_disk", {})
        self._type_family = {t: n for n, f in self.families.items() for t in f.get("types", [])}

    def family_of(self, machine_type: str) -> tuple[str | None, bool]:
        """(family name, whether ``machine_type`` is one of its types). A type not listed
        belongs to the family its name starts with (``n1-standard-3`` -> ``n1-standard``;
        a bare family name is its own family); (None, False) when no family matches."""
        if machine_type in self._type_family:
            return self._type_family[machine_type], True
        if machine_type in self.families:
            return machine_type, False
        prefix = machine_type.rsplit("-", 1)[0]
        return (prefix, False) if prefix in self.families else (None, False)

    def nearest_types(self, machine_type: str, family: str) -> list[str]:
        """The family's types closest in size to ``machine_type`` (all ties), else the
        closest by spelling, else the smallest."""
        types = self.families[family].get("types", [])
        size = _size(machine_type) if machine_type != family else None
        if size is not None:
            sized = [(abs(s - size), t) for t in types if (s := _size(t)) is not None]
            if sized:
                best = min(d for d, _ in sized)
                return [t for d, t in sized if d == best]
        hit = closest(machine_type, types) if machine_type != family else None
        return [hit] if hit else types[:1]

    def sizes(self, family: str) -> str:
        """``4, 8, 16`` for ``n1-standard`` (the types without the family prefix)."""
        return ", ".join(t.removeprefix(family + "-") for t in self.families[family]["types"])

    def table(self, family: str, accelerator: str) -> dict[str, Any] | None:
        """Machine type -> counts for ``accelerator`` on ``family``; None if it takes none."""
        found: dict[str, Any] | None = (
            self.families[family].get("accelerators", {}).get(accelerator)
        )
        return found

    def taken_by(self, family: str, machine_type: str) -> list[str]:
        """The accelerators ``machine_type`` takes (in at least one count)."""
        return [
            name
            for name, by_type in self.families[family].get("accelerators", {}).items()
            if by_type.get(machine_type)
        ]

    def families_taking(self, accelerator: str) -> list[str]:
        """The families any type of which takes ``accelerator``."""
        return [
            name
            for name, family in self.families.items()
            if any(family.get("accelerators", {}).get(accelerator, {}).values())
        ]

    def tpu_topology_families(self) -> list[str]:
        """The families whose machine types take a ``tpu_topology``."""
        return [n for n, f in self.families.items() if f.get("tpu_topologies")]

    def n1_limit(self, accelerator: str, count: int) -> tuple[int, int] | None:
        """(vCPUs, GB) an N1 machine may have at most with ``count`` x ``accelerator``."""
        limits = self.data.get("n1_gpu_limits", {})
        key = str(count)
        found = limits.get("vertex_overrides", {}).get(accelerator, {}).get(key) or limits.get(
            "limits", {}
        ).get(accelerator, {}).get(key)
        return (found["max_vcpus"], found["max_memory_gb"]) if found else None


def counts_allow(counts: Any, count: int) -> bool:
    """Whether ``count`` is among ``counts`` (a list, or TPU counts plus Pod sizes)."""
    if isinstance(counts, list):
        return count in counts
    if count in counts.get("counts", []):
        return True
    multiple = counts.get("pod_multiple_of")
    return (
        "pod_min" in counts and count >= counts["pod_min"] and not (multiple and count % multiple)
    )


def counts_text(counts: Any, unit: str = "") -> str:
    """``1, 2 or 4 {unit}``; ``8 {unit} (or a TPU Pod: 32 or more, a multiple of 32)``."""
    listed = counts if isinstance(counts, list) else counts.get("counts", [])
    text = either([str(n) for n in listed]) + (f" {unit}" if unit else "")
    if isinstance(counts, dict) and "pod_min" in counts:
        multiple = counts.get("pod_multiple_of")
        pod = f"{counts['pod_min']} or more" + (f", a multiple of {multiple}" if multiple else "")
        text += f" (or a TPU Pod: {pod})"
    return text


def is_pod_count(counts: Any, count: int) -> bool:
    """Whether ``count`` accelerators make a TPU Pod by ``counts``' ``pod_min``."""
    return isinstance(counts, dict) and "pod_min" in counts and count >= counts["pod_min"]


def _size(machine_type: str) -> int | None:
    match = _SIZE.match(machine_type.rsplit("-", 1)[-1])
    return int(match[1]) if match else None
