"""The replica_count / autoscaling rules of a resource pool, as one table both sides run.

Rules C1, A0-A4, D1-D2 are written down in spec/persistent_resource.py's docstring and
emulator/COVERAGE.md. check() (spec/) and the emulator implement them independently;
tests/unit/spec/test_persistent_resource_spec.py and
tests/unit/emulator/persistent_resources/test_validation.py run this table against each,
so that both refuse the same inputs and blame the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CountCase:
    """One pool's counts (machine_spec added by the caller), on a Ray cluster or not;
    the fields blamed (relative to the pool), and the replica_count once defaults are
    applied (None: left unset, only for refused pools)."""

    rule: str
    counts: dict[str, Any]
    blamed: frozenset[str] = field(default_factory=frozenset)
    replica_count: int | None = None
    ray: bool = False


COUNT = "replica_count"
MIN = "autoscaling_spec.min_replica_count"
MAX = "autoscaling_spec.max_replica_count"


def _scaling(low: int | None = None, high: int | None = None, **count: int) -> dict[str, Any]:
    bounds = {
        k: v for k, v in (("min_replica_count", low), ("max_replica_count", high)) if v is not None
    }
    return {"autoscaling_spec": bounds, **count}


COUNT_CASES: list[CountCase] = [
    CountCase("C1 replica_count 0", {COUNT: 0}, frozenset({COUNT}), 0),
    CountCase("C1 replica_count 0 on Ray", {COUNT: 0}, frozenset(), 0, ray=True),
    CountCase("C1 replica_count -1 on Ray", {COUNT: -1}, frozenset({COUNT}), -1, ray=True),
    CountCase("C1 replica_count 2", {COUNT: 2}, frozenset(), 2),
    CountCase("A0 autoscaling without bounds", _scaling(replica_count=2), frozenset(), 2),
    CountCase("A1 max missing", _scaling(1), frozenset({MAX})),
    CountCase("A1 min missing", _scaling(None, 3), frozenset({MIN})),
    CountCase(
        "A1 min missing, count given", _scaling(None, 3, replica_count=2), frozenset({MIN}), 2
    ),
    CountCase("A2 min 0", _scaling(0, 3), frozenset({MIN})),
    CountCase("A2 min 0 on Ray", _scaling(0, 3), frozenset(), 0, ray=True),
    CountCase("A2 min -1 under max 0", _scaling(-1, 0), frozenset({MIN})),
    CountCase("A2 min -1 on Ray", _scaling(-1, 2), frozenset({MIN}), ray=True),
    CountCase("A3 max equal to min", _scaling(3, 3), frozenset({MAX})),
    CountCase("A3 max under min", _scaling(3, 2), frozenset({MAX})),
    CountCase("A2+A3 explicit zeros", _scaling(0, 0), frozenset({MIN, MAX})),
    CountCase(
        "C1+A2+A3 explicit zeros everywhere",
        _scaling(0, 0, replica_count=0),
        frozenset({COUNT, MIN, MAX}),
        0,
    ),
    CountCase("A4 count under min", _scaling(2, 4, replica_count=1), frozenset({COUNT}), 1),
    CountCase("A4 count over max", _scaling(2, 4, replica_count=5), frozenset({COUNT}), 5),
    CountCase(
        "A3+A4 count over a max under min",
        _scaling(3, 2, replica_count=3),
        frozenset({MAX, COUNT}),
        3,
    ),
    CountCase("A4 count at min", _scaling(2, 4, replica_count=2), frozenset(), 2),
    CountCase("A4 count at max", _scaling(2, 4, replica_count=4), frozenset(), 4),
    CountCase("D1 nothing given", {}, frozenset(), 1),
    CountCase("D2 autoscaling, count unset", _scaling(2, 4), frozenset(), 2),
]
"""Every rule, its edges, and the blame when several break at once."""
