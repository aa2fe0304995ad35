"""PersistentResourceProvider.check() and diff(), and CustomJobProvider.check() against a
resource's spec: pure, no API call, no Docker."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.provider.persistent_resource import PersistentResourceProvider
from tests.provider.conftest import job_props
from tests.provider.persistent_resource_support import MACHINE, checked, pr_props


@pytest.fixture
def provider() -> PersistentResourceProvider:
    """The provider under test (the package's ``provider`` fixture is CustomJob's)."""
    return PersistentResourceProvider()


# -- check / diff (no API calls) ------------------------------------------------------


BAD = [
    ({"resource_id": "Warm_Pool"}, "resource_id", "lowercase letters"),
    ({"project": None}, "project", "gcp:project"),
    (
        {
            "resource_pools": [
                {"machine_spec": MACHINE, "id": "a"},
                {"machine_spec": MACHINE, "id": "a"},
            ]
        },
        "resource_pools[1].id",
        "unique",
    ),
    ({"resource_pools": [{"replica_count": 1}]}, "resource_pools[0].machine_spec", "machine_type"),
    (
        {
            "resource_pools": [
                {
                    "machine_spec": MACHINE,
                    "replica_count": 9,
                    "autoscaling_spec": {"min_replica_count": 1, "max_replica_count": 4},
                }
            ]
        },
        "resource_pools[0].replica_count",
        "at most autoscaling_spec.max_replica_count (4)",
    ),
    (
        {"network": "projects/my-project/global/networks/vpc"},
        "network",
        "project number",
    ),
]


@pytest.mark.parametrize(("overrides", "path", "reason"), BAD)
def test_check_reports_the_field_path_when_an_input_is_invalid(
    provider: PersistentResourceProvider, overrides: dict[str, Any], path: str, reason: str
) -> None:
    failures = {f.property: f.reason for f in provider.check({}, pr_props(**overrides)).failures}
    assert path in failures, failures
    assert reason in failures[path]


def test_check_normalizes_and_exposes_the_spec_known_at_preview(
    provider: PersistentResourceProvider,
) -> None:
    inputs = checked(
        provider,
        pr_props(
            resource_id="warm",
            resourcePools=None,
            resource_pools=[{"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "2"}],
            labels={"team": Unknown()},
        ),
    )
    assert inputs["resource_pools"] == [
        {"id": "pool-0", "machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 2}
    ]
    assert inputs["spec"]["resource_id"] == "warm"
    assert inputs["spec"]["resource_pools"] == inputs["resource_pools"]
    assert isinstance(inputs["labels"]["team"], Unknown)


def test_diff_scales_and_reboots_in_place_and_replaces_on_anything_else(
    provider: PersistentResourceProvider,
) -> None:
    old = checked(provider, pr_props(resource_id="same"))
    assert provider.diff("id", old, dict(old)).changes is False

    scaled = {**old, "resource_pools": [{**old["resource_pools"][0], "replica_count": 3.0}]}
    diff = provider.diff("id", old, scaled)
    assert (diff.changes, diff.replaces) == (True, [])

    reboot = {**old, "reboot_triggers": ["2024-06-01"]}
    assert (
        provider.diff("id", old, reboot).changes,
        provider.diff("id", old, reboot).replaces,
    ) == (
        True,
        [],
    )

    bigger = {
        **old,
        "resource_pools": [
            {**old["resource_pools"][0], "machine_spec": {"machine_type": "n1-highmem-8"}}
        ],
    }
    diff = provider.diff("id", old, bigger)
    assert diff.replaces == ["resource_pools"] and diff.delete_before_replace is True

    renamed = {**old, "resource_id": "other"}
    diff = provider.diff("id", old, renamed)
    assert "resource_id" in (diff.replaces or []) and diff.delete_before_replace is False

    labelled = {**old, "labels": {"a": "b"}}
    assert provider.diff("id", old, labelled).replaces == ["labels"]

    autoscaled = {
        **old,
        "resource_pools": [
            {
                **old["resource_pools"][0],
                "autoscaling_spec": {"min_replica_count": 1, "max_replica_count": 2},
            }
        ],
    }
    assert provider.diff("id", old, autoscaled).replaces == ["resource_pools"]


# -- CustomJob.check() against a persistent resource's spec ---------------------------


def test_job_check_reports_a_job_that_cannot_fit_the_resource(
    provider: PersistentResourceProvider,
) -> None:
    spec = checked(
        provider, pr_props(resource_id="warm", network="projects/123/global/networks/vpc")
    )["spec"]
    jobs = CustomJobProvider()
    props = job_props(persistent_resource_spec=spec, project="p", location="us-central1")
    props["job_spec"]["worker_pool_specs"][0]["machine_spec"] = {"machine_type": "n1-highmem-8"}
    props["job_spec"]["worker_pool_specs"].append(
        {
            **props["job_spec"]["worker_pool_specs"][0],
            "machine_spec": dict(MACHINE),
            "replica_count": 2,
        }
    )
    failures = {f.property: f.reason for f in jobs.check({}, props).failures}
    assert (
        "no pool of persistent resource 'warm' has n1-highmem-8"
        in failures["job_spec.worker_pool_specs[0].machine_spec"]
    )
    assert "has room for 1" in failures["job_spec.worker_pool_specs[1].replica_count"]
    assert "network of persistent resource 'warm'" in failures["job_spec.network"]

    named = job_props(persistent_resource_spec=spec, project="p", location="us-central1")
    named["job_spec"]["persistent_resource_id"] = "elsewhere"
    named["job_spec"]["network"] = "projects/123/global/networks/vpc"
    failures = {f.property: f.reason for f in jobs.check({}, named).failures}
    assert failures == {
        "job_spec.persistent_resource_id": "must be 'warm', the id of the persistent_resource "
        "given (got 'elsewhere')"
    }


def test_job_check_names_the_resource_when_the_job_spec_does_not(
    provider: PersistentResourceProvider,
) -> None:
    spec = checked(provider, pr_props(resource_id="warm"))["spec"]
    result = CustomJobProvider().check(
        {}, job_props(persistent_resource_spec=spec, project="p", location="us-central1")
    )
    assert result.failures == []
    assert result.inputs["job_spec"]["persistent_resource_id"] == "warm"
