"""PersistentResource rules, defaults and ids; whether a job fits a resource."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vertex_training.spec import (
    UNKNOWN,
    job_fits_resource,
    normalize_custom_job,
    normalize_persistent_resource,
    normalize_resource_id,
)
from pulumi_vertex_training.spec.resource_names import RESOURCE_ID
from tests.replica_count_rules import COUNT_CASES, CountCase
from tests.unit.spec.spec_cases import DELETE, make_job, make_resource, mutate

NET = "projects/123456/global/networks/vpc"
KMS = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
R0 = "resource_pools[0]"
RAY = "resource_runtime_spec.ray_spec"
SAS = "resource_runtime_spec.service_account_spec"

CASES: list[tuple[str, list[tuple[str, Any]], str, str]] = [
    ("id missing", [("resource_id", DELETE)], "resource_id", "required"),
    ("id upper case", [("resource_id", "Warm_Pool")], "resource_id", "'warm-pool'"),
    ("id ends with dash", [("resource_id", "warm-")], "resource_id", "lowercase"),
    ("id too long", [("resource_id", "a" * 64)], "resource_id", "63"),
    ("display name too long", [("display_name", "x" * 129)], "display_name", "128"),
    ("no pools", [("resource_pools", [])], "resource_pools", "required"),
    ("pool without machine", [(f"{R0}.machine_spec", DELETE)], f"{R0}.machine_spec", "required"),
    (
        "pool machine type bad",
        [(f"{R0}.machine_spec.machine_type", "N1")],
        f"{R0}.machine_spec.machine_type",
        "lowercase",
    ),
    (
        "pool accelerator unknown",
        [(f"{R0}.machine_spec.accelerator_type", "A100")],
        f"{R0}.machine_spec.accelerator_type",
        "NVIDIA_TESLA_A100 or NVIDIA_A100_80GB",
    ),
    ("pool id bad", [(f"{R0}.id", "Pool 1")], f"{R0}.id", "lowercase"),
    (
        "pool ids duplicate",
        [
            (f"{R0}.id", "p"),
            ("resource_pools[1]", {"id": "p", "machine_spec": {"machine_type": "n1-standard-8"}}),
        ],
        "resource_pools[1].id",
        "unique",
    ),
    ("replica count zero", [(f"{R0}.replica_count", 0)], f"{R0}.replica_count", "1 or more"),
    (
        "disk size",
        [(f"{R0}.disk_spec", {"boot_disk_size_gb": 10})],
        f"{R0}.disk_spec.boot_disk_size_gb",
        "between",
    ),
    (
        "autoscaling min missing",
        [(f"{R0}.autoscaling_spec", {"max_replica_count": 3})],
        f"{R0}.autoscaling_spec.min_replica_count",
        "both",
    ),
    (
        "autoscaling min zero",
        [(f"{R0}.autoscaling_spec", {"min_replica_count": 0, "max_replica_count": 3})],
        f"{R0}.autoscaling_spec.min_replica_count",
        "0 only for Ray",
    ),
    (
        "autoscaling max not above min",
        [(f"{R0}.autoscaling_spec", {"min_replica_count": 2, "max_replica_count": 2})],
        f"{R0}.autoscaling_spec.max_replica_count",
        "more than min_replica_count",
    ),
    (
        "replica count below min",
        [(f"{R0}.autoscaling_spec", {"min_replica_count": 3, "max_replica_count": 5})],
        f"{R0}.replica_count",
        "at least autoscaling_spec.min_replica_count (3)",
    ),
    (
        "replica count above max",
        [
            (f"{R0}.replica_count", 9),
            (f"{R0}.autoscaling_spec", {"min_replica_count": 1, "max_replica_count": 5}),
        ],
        f"{R0}.replica_count",
        "at most autoscaling_spec.max_replica_count (5)",
    ),
    (
        "network project id",
        [("network", "projects/proj/global/networks/vpc")],
        "network",
        "project number",
    ),
    (
        "network and psc",
        [("network", NET), ("psc_interface_config", {"network_attachment": "att"})],
        "psc_interface_config",
        "not both",
    ),
    (
        "psc domain",
        [
            (
                "psc_interface_config",
                {
                    "dns_peering_configs": [
                        {"domain": "x.com", "target_project": "p", "target_network": "n"}
                    ]
                },
            )
        ],
        "psc_interface_config.dns_peering_configs[0].domain",
        "end with '.'",
    ),
    (
        "reserved ranges without network",
        [("reserved_ip_ranges", ["r"])],
        "reserved_ip_ranges",
        "needs network",
    ),
    ("labels", [("labels", {"A": "b"})], 'labels["A"]', "lowercase letter"),
    (
        "kms",
        [("encryption_spec", {"kms_key_name": "k"})],
        "encryption_spec.kms_key_name",
        "keyRings",
    ),
    (
        "service account not email",
        [(SAS, {"enable_custom_service_account": True, "service_account": "sa"})],
        f"{SAS}.service_account",
        "email",
    ),
    (
        "service account without enable",
        [(SAS, {"service_account": "sa@p.iam.gserviceaccount.com"})],
        f"{SAS}.enable_custom_service_account",
        "must be true",
    ),
    (
        "ray without image",
        [(RAY, {"head_node_resource_pool_id": "pool-0"})],
        f"{RAY}.image_uri",
        "resource_pool_images",
    ),
    (
        "ray images name no pool",
        [(RAY, {"resource_pool_images": {"pool-0": "i", "nope": "i"}})],
        f'{RAY}.resource_pool_images["nope"]',
        "names no pool",
    ),
    (
        "ray images miss a pool",
        [
            ("resource_pools[1]", {"machine_spec": {"machine_type": "n1-standard-8"}}),
            (RAY, {"resource_pool_images": {"pool-0": "i"}}),
        ],
        f"{RAY}.resource_pool_images",
        "missing: pool-1",
    ),
    (
        "ray head names no pool",
        [(RAY, {"image_uri": "i", "head_node_resource_pool_id": "h"})],
        f"{RAY}.head_node_resource_pool_id",
        "pool-0",
    ),
    ("unknown key", [("resourcePool", [])], "resourcePool", "did you mean 'resource_pools'"),
    (
        "display name with a newline",
        [("display_name", "warm\npool")],
        "display_name",
        "control character",
    ),
    ("display name only a tab", [("display_name", "\t")], "display_name", "control character"),
]


@pytest.mark.parametrize(
    ("mutations", "path", "phrase"), [pytest.param(m, p, r, id=i) for i, m, p, r in CASES]
)
def test_failure_is_reported_when_resource_rule_is_broken(
    mutations: list[tuple[str, Any]], path: str, phrase: str
) -> None:
    raw = make_resource()
    for where, value in mutations:
        raw = mutate(raw, where, value)
    failures = {f.path: f.reason for f in normalize_persistent_resource(raw).failures}
    assert path in failures, failures
    assert phrase in failures[path]


def test_base_resource_is_valid() -> None:
    assert normalize_persistent_resource(make_resource()).failures == []


def test_ray_allows_min_replica_count_zero() -> None:
    raw = mutate(
        make_resource(), f"{R0}.autoscaling_spec", {"min_replica_count": 0, "max_replica_count": 3}
    )
    raw = mutate(raw, RAY, {"image_uri": "ray-img"})
    assert normalize_persistent_resource(raw).failures == []


def test_pool_ids_default_to_their_index_skipping_taken_ones() -> None:
    raw = mutate(
        make_resource(),
        "resource_pools[1]",
        {"id": "pool-0", "machine_spec": {"machine_type": "n1-standard-8"}},
    )
    pools = normalize_persistent_resource(raw).value["resource_pools"]
    assert [p["id"] for p in pools] == ["pool-0-1", "pool-0"]


def test_replica_count_defaults_to_autoscaling_min_or_one() -> None:
    raw = mutate(make_resource(), f"{R0}.replica_count", DELETE)
    raw = mutate(
        raw,
        "resource_pools[1]",
        {
            "machine_spec": {"machine_type": "n1-standard-8"},
            "autoscaling_spec": {"min_replica_count": 2, "max_replica_count": 4},
        },
    )
    pools = normalize_persistent_resource(raw).value["resource_pools"]
    assert [p["replica_count"] for p in pools] == [1, 2]


@pytest.mark.parametrize("case", COUNT_CASES, ids=lambda c: c.rule)
def test_replica_count_rules_blame_the_field_at_fault_when_broken(case: CountCase) -> None:
    raw: dict[str, Any] = {
        "resource_id": "warm-pool",
        "resource_pools": [{"machine_spec": {"machine_type": "n1-standard-4"}, **case.counts}],
    }
    if case.ray:
        raw = mutate(raw, RAY, {"image_uri": "ray-img"})
    result = normalize_persistent_resource(raw)
    assert {f.path.removeprefix(f"{R0}.") for f in result.failures} == case.blamed
    assert result.value["resource_pools"][0].get("replica_count") == case.replica_count


def test_replica_count_default_waits_for_an_unknown_autoscaling_min() -> None:
    raw = mutate(make_resource(), f"{R0}.replica_count", DELETE)
    for scaling in (UNKNOWN, {"min_replica_count": UNKNOWN, "max_replica_count": 3}):
        pool = normalize_persistent_resource(mutate(raw, f"{R0}.autoscaling_spec", scaling))
        assert pool.failures == []
        assert pool.value["resource_pools"][0]["replica_count"] is UNKNOWN


def test_an_empty_ray_spec_does_not_allow_a_zero_min() -> None:
    raw = mutate(
        make_resource(), f"{R0}.autoscaling_spec", {"min_replica_count": 0, "max_replica_count": 3}
    )
    raw = mutate(raw, "resource_runtime_spec", {"ray_spec": {}})
    paths = {f.path for f in normalize_persistent_resource(raw).failures}
    assert f"{R0}.autoscaling_spec.min_replica_count" in paths


def test_camel_case_resource_matches_snake_case() -> None:
    camel = {
        "resourceId": "warm-pool",
        "resourcePools": [{"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "2"}],
    }
    assert normalize_persistent_resource(camel).value == (
        normalize_persistent_resource(make_resource()).value
    )


def test_unknown_pool_values_skip_their_checks() -> None:
    raw = mutate(make_resource(), f"{R0}.replica_count", UNKNOWN)
    raw = mutate(
        raw, f"{R0}.autoscaling_spec", {"min_replica_count": UNKNOWN, "max_replica_count": 3}
    )
    raw = mutate(raw, "network", UNKNOWN)
    raw = mutate(raw, RAY, {"resource_pool_images": {"x": "i"}})
    raw = mutate(raw, f"{R0}.id", UNKNOWN)
    assert normalize_persistent_resource(raw).failures == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("warm-pool", "warm-pool"),
        ("Warm_Pool", "warm-pool"),
        ("my pool!!", "my-pool"),
        ("--x--", "x"),
        ("1st-pool", "pr-1st-pool"),
        ("", "pr"),
        ("!!!", "pr"),
    ],
)
def test_resource_id_is_derived_from_a_name(name: str, expected: str) -> None:
    assert normalize_resource_id(name) == expected


@pytest.mark.parametrize("name", ["a" * 100, "x" * 62 + "-y", "ÄÖÜ" * 30, "-" * 70 + "a" * 70])
def test_derived_resource_id_always_matches_the_id_regex(name: str) -> None:
    assert RESOURCE_ID.match(normalize_resource_id(name))


def test_long_names_stay_distinct_when_truncated() -> None:
    assert normalize_resource_id("a" * 80 + "1") != normalize_resource_id("a" * 80 + "2")


# --- job_fits_resource ----------------------------------------------------------------


def _fits(job: dict[str, Any], resource: dict[str, Any]) -> dict[str, str]:
    j = normalize_custom_job(job).raise_for_failures()
    r = normalize_persistent_resource(resource).raise_for_failures()
    return {f.path: f.reason for f in job_fits_resource(j, r)}


def _job_on(pools: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    job = make_job()
    job["job_spec"]["persistent_resource_id"] = "warm-pool"
    job["job_spec"]["worker_pool_specs"] = pools
    job["job_spec"].update(spec)
    return job


def _pool(machine: str = "n1-standard-4", replicas: int = 1, **accel: Any) -> dict[str, Any]:
    return {
        "machine_spec": {"machine_type": machine, **accel},
        "replica_count": replicas,
        "container_spec": {"image_uri": "img"},
    }


def test_job_fits_when_machines_and_replicas_match() -> None:
    assert _fits(_job_on([_pool(), _pool(replicas=1)]), make_resource()) == {}


def test_job_does_not_fit_when_machine_type_differs() -> None:
    failures = _fits(_job_on([_pool("n1-standard-8")]), make_resource())
    reason = failures["job_spec.worker_pool_specs[0].machine_spec"]
    assert "no pool of persistent resource 'warm-pool' has n1-standard-8" in reason
    assert "pool-0: n1-standard-4" in reason


def test_job_does_not_fit_when_accelerators_differ() -> None:
    resource = mutate(make_resource(), f"{R0}.machine_spec.accelerator_type", "NVIDIA_TESLA_T4")
    job = _job_on([_pool(accelerator_type="NVIDIA_TESLA_T4", accelerator_count=2)])
    failures = _fits(job, resource)
    assert "2 x NVIDIA_TESLA_T4" in failures["job_spec.worker_pool_specs[0].machine_spec"]


def test_job_does_not_fit_when_pools_need_more_replicas_than_offered() -> None:
    failures = _fits(_job_on([_pool(), _pool(replicas=2)]), make_resource())
    assert "has room for 1 (of 2)" in failures["job_spec.worker_pool_specs[1].replica_count"]


def test_job_fits_up_to_autoscaling_max() -> None:
    resource = mutate(
        make_resource(), f"{R0}.autoscaling_spec", {"min_replica_count": 1, "max_replica_count": 4}
    )
    assert _fits(_job_on([_pool(), {}, _pool(replicas=3)]), resource) == {}


def test_job_does_not_fit_when_network_differs() -> None:
    failures = _fits(_job_on([_pool()], network=NET), make_resource())
    assert "network of persistent resource 'warm-pool' (none)" in failures["job_spec.network"]


def test_job_does_not_fit_when_cmek_differs() -> None:
    resource = mutate(make_resource(), "encryption_spec", {"kms_key_name": KMS})
    failures = _fits(_job_on([_pool()]), resource)
    assert KMS in failures["encryption_spec.kms_key_name"]


def test_unknown_values_skip_fit_comparisons() -> None:
    job = normalize_custom_job(_job_on([_pool()], network=UNKNOWN)).value
    job["job_spec"]["worker_pool_specs"][0]["machine_spec"]["machine_type"] = UNKNOWN
    resource = normalize_persistent_resource(mutate(make_resource(), "network", NET)).value
    assert job_fits_resource(job, resource) == []
    resource = normalize_persistent_resource(make_resource()).value
    resource["resource_pools"][0]["replica_count"] = UNKNOWN
    job = normalize_custom_job(_job_on([_pool(replicas=1), _pool(replicas=5)])).value
    assert job_fits_resource(job, resource) == []
