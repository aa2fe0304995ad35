"""check() knows what Vertex AI custom training accepts: the machine catalog's rules.

The table is tests/unit/spec/machine_cases.py (the emulator runs it too). Refusals are
failures naming the field, the value and the nearest valid choices; uncertain facts and
unknown machine families are warnings (``Normalized.warnings``), never failures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pulumi_vertex_training
from pulumi_vertex_training.spec import normalize_custom_job, normalize_persistent_resource
from tests.unit.spec.machine_cases import CASES, VALID, MachineCase, job_for
from tests.unit.spec.spec_cases import make_job, make_resource, mutate

CATALOG = Path(pulumi_vertex_training.__file__).parent / "data" / "machine_catalog.json"
R0 = "resource_pools[0]"


def _findings(job: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    normalized = normalize_custom_job(job)
    failures = {f.path: f.message for f in normalized.failures}
    warnings = {w.path: w.message for w in getattr(normalized, "warnings", [])}
    return failures, warnings


@pytest.mark.parametrize("case", [c for c in CASES if not c.warns], ids=lambda c: c.id)
def test_check_refuses_what_the_catalog_forbids_naming_field_value_and_choices(
    case: MachineCase,
) -> None:
    failures, _ = _findings(job_for(case))
    assert failures == {case.blamed: case.message}


@pytest.mark.parametrize("case", [c for c in CASES if c.warns], ids=lambda c: c.id)
def test_check_warns_but_accepts_when_the_catalog_is_unsure(case: MachineCase) -> None:
    failures, warnings = _findings(job_for(case))
    assert failures == {}
    assert warnings == {case.blamed: case.message}


@pytest.mark.parametrize(("machine", "job_spec"), [pytest.param(m, j, id=i) for i, m, j in VALID])
def test_check_accepts_valid_machines_without_warnings(
    machine: dict[str, Any], job_spec: dict[str, Any]
) -> None:
    case = MachineCase("valid", machine, "", "", job_spec=job_spec)
    assert _findings(job_for(case)) == ({}, {})


def _every_valid_triple() -> list[tuple[str, str | None, int | None]]:
    data = json.loads(CATALOG.read_text())
    triples: list[tuple[str, str | None, int | None]] = []
    for family in data["machine_families"].values():
        for machine_type in family["types"]:
            if family["accelerator"] != "required" and not family.get("tpu_topologies"):
                triples.append((machine_type, None, None))
        for accelerator, by_type in family.get("accelerators", {}).items():
            for machine_type, counts in by_type.items():
                listed = counts["counts"] if isinstance(counts, dict) else counts
                triples += [(machine_type, accelerator, n) for n in listed]
    return triples


@pytest.mark.parametrize(("machine_type", "accelerator", "count"), _every_valid_triple())
def test_every_machine_the_catalog_lists_is_accepted_with_each_allowed_count(
    machine_type: str, accelerator: str | None, count: int | None
) -> None:
    machine: dict[str, Any] = {"machine_type": machine_type}
    if accelerator:
        machine |= {"accelerator_type": accelerator, "accelerator_count": count}
    if accelerator == "NVIDIA_GB200":
        machine["reservation_affinity"] = {"reservation_affinity_type": "ANY_RESERVATION"}
    job = mutate(make_job(), "job_spec.worker_pool_specs[0].machine_spec", machine)
    job["job_spec"]["scheduling"] = {"strategy": "SPOT"}  # no capacity warnings
    failures, _ = _findings(job)
    assert failures == {}


@pytest.mark.parametrize(
    ("machine_type", "topology"),
    [
        (t, topo)
        for fam in json.loads(CATALOG.read_text())["machine_families"].values()
        for t, topologies in fam.get("tpu_topologies", {}).items()
        for topo in topologies
    ],
)
def test_every_tpu_topology_the_catalog_lists_is_accepted(machine_type: str, topology: str) -> None:
    machine = {"machine_type": machine_type, "tpu_topology": topology}
    job = mutate(make_job(), "job_spec.worker_pool_specs[0].machine_spec", machine)
    assert _findings(job) == ({}, {})


@pytest.mark.parametrize(
    ("machine", "path", "message"),
    [
        (
            {"machine_type": "n1-standard-3"},
            f"{R0}.machine_spec.machine_type",
            "n1-standard-3 is not a machine type for custom training; did you mean "
            "n1-standard-4? (n1-standard sizes: 4, 8, 16, 32, 64, 96)",
        ),
        (
            {"machine_type": "a2-highgpu-1g", "accelerator_type": "NVIDIA_TESLA_T4"},
            f"{R0}.machine_spec.accelerator_type",
            "a2-highgpu-1g takes NVIDIA_TESLA_A100, not NVIDIA_TESLA_T4; NVIDIA_TESLA_T4 runs "
            "on n1-standard, n1-highmem, n1-highcpu",
        ),
        (
            {"machine_type": "n1-standard-4", "accelerator_type": "T4", "accelerator_count": 3},
            f"{R0}.machine_spec.accelerator_count",
            "n1-standard-4 takes 1, 2 or 4 NVIDIA_TESLA_T4, not 3",
        ),
        (
            {"machine_type": "a4x-highgpu-4g", "accelerator_type": "GB200", "accelerator_count": 4},
            f"{R0}.machine_spec.reservation_affinity",
            "NVIDIA_GB200: GB200 capacity must be obtained through shared reservations: set "
            "machine_spec.reservation_affinity to ANY_RESERVATION or SPECIFIC_RESERVATION",
        ),
    ],
)
def test_persistent_resource_pools_follow_the_catalog_too(
    machine: dict[str, Any], path: str, message: str
) -> None:
    resource = mutate(make_resource(), f"{R0}.machine_spec", machine)
    failures = {f.path: f.message for f in normalize_persistent_resource(resource).failures}
    assert failures == {path: message}


def test_persistent_resource_pool_of_an_unknown_family_is_a_warning() -> None:
    resource = mutate(make_resource(), f"{R0}.machine_spec", {"machine_type": "zz-fake-9"})
    normalized = normalize_persistent_resource(resource)
    assert normalized.failures == []
    assert [w.path for w in normalized.warnings] == [f"{R0}.machine_spec.machine_type"]


def test_a_job_on_a_persistent_resource_needs_no_reservation_of_its_own() -> None:
    case = MachineCase("gb200", {"machine_type": "a4x-highgpu-4g",
                                 "accelerator_type": "NVIDIA_GB200", "accelerator_count": 4},
                       "", "", job_spec={"persistent_resource_id": "warm"})  # fmt: skip
    failures, _ = _findings(job_for(case))
    assert failures == {}


def test_unknown_values_skip_the_catalog_rules() -> None:
    from pulumi_vertex_training.spec import UNKNOWN

    for machine in (
        {"machine_type": UNKNOWN, "accelerator_type": "NVIDIA_TESLA_T4", "accelerator_count": 3},
        {"machine_type": "n1-standard-4", "accelerator_type": UNKNOWN, "accelerator_count": 3},
        {"machine_type": "n1-standard-4", "accelerator_type": "T4", "accelerator_count": UNKNOWN},
    ):
        job = mutate(make_job(), "job_spec.worker_pool_specs[0].machine_spec", machine)
        assert _findings(job) == ({}, {}), machine


def test_the_catalog_can_change_without_code_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulumi_vertex_training.spec import catalog

    data = json.loads(CATALOG.read_text())
    data["machine_families"]["zz-fake"] = {"types": ["zz-fake-9"], "accelerator": "none"}
    edited = tmp_path / "machine_catalog.json"
    edited.write_text(json.dumps(data))
    monkeypatch.setattr(catalog, "CATALOG_FILE", edited)
    catalog.current.cache_clear()
    try:
        job = mutate(
            make_job(), "job_spec.worker_pool_specs[0].machine_spec.machine_type", "zz-fake-9"
        )
        assert _findings(job) == ({}, {})
        job = mutate(
            make_job(), "job_spec.worker_pool_specs[0].machine_spec.machine_type", "zz-fake-8"
        )
        assert (
            "did you mean zz-fake-9?"
            in _findings(job)[0]["job_spec.worker_pool_specs[0].machine_spec.machine_type"]
        )
    finally:
        catalog.current.cache_clear()


def test_the_catalog_cites_public_pages_and_has_a_date() -> None:
    data = json.loads(CATALOG.read_text())
    assert data["as_of"] == "2026-11-30"
    urls = [s["url"] for s in data["sources"].values()]
    assert urls and all(u.startswith("https://") for u in urls)
    assert "/work" not in CATALOG.read_text()
    for family in data["machine_families"].values():
        assert family.get("source", "configure-compute") in data["sources"]
