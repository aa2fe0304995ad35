"""PersistentResourceProvider called directly and through the dynamic-provider host,
against the emulator; and CustomJobProvider.check() against a resource's spec."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_vertex_training import client
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.provider.persistent_resource import (
    PersistentResourceError,
    PersistentResourceProvider,
    get_resource,
)
from pulumi_vertex_training.spec import persistent_resource_to_proto
from pulumi_vertex_training.testing.host import DynamicHost
from tests.provider.conftest import job_props

pytestmark = pytest.mark.docker

MACHINE = {"machine_type": "n1-standard-4"}
PARENT = "projects/test-project/locations/us-central1"


def pr_props(**overrides: Any) -> dict[str, Any]:
    """Raw props as vt.PersistentResource sends them (before check)."""
    props: dict[str, Any] = {
        "project": "test-project",
        "location": "us-central1",
        "resource_id": f"pr-{uuid.uuid4().hex[:10]}",
        "display_name": "warm",
        "resource_pools": [{"machine_spec": dict(MACHINE), "replica_count": 1}],
        "network": None,
        "reserved_ip_ranges": None,
        "psc_interface_config": None,
        "resource_runtime_spec": None,
        "labels": None,
        "encryption_spec": None,
        "reboot_triggers": None,
        "spec": None,
    }
    props.update(overrides)
    return props


@pytest.fixture
def provider(emulator: Any) -> PersistentResourceProvider:
    return PersistentResourceProvider()


def outs_of(result: Any) -> dict[str, Any]:
    assert result.outs is not None
    return dict(result.outs)


def checked(provider: PersistentResourceProvider, props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


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


# -- create / read / update / delete against the emulator -----------------------------


def test_create_scale_reboot_read_delete(provider: PersistentResourceProvider) -> None:
    inputs = checked(provider, pr_props())
    created: Any = provider.create(inputs)
    name = f"{PARENT}/persistentResources/{inputs['resource_id']}"
    assert created.id == name
    outs = created.outs
    assert outs["state"] == "RUNNING" and outs["used_replica_counts"] == {"pool-0": 0}
    assert outs["access_uris"] == {} and outs["start_time"]
    assert outs["console_url"].endswith(
        f"/persistent-resources/{inputs['resource_id']}?project=test-project"
    )

    scaled = {**inputs, "resource_pools": [{**inputs["resource_pools"][0], "replica_count": 2}]}
    updated = outs_of(provider.update(name, outs, scaled))
    assert updated["state"] == "RUNNING" and updated["create_time"] == outs["create_time"]
    assert get_resource(name).resource_pools[0].replica_count == 2

    rebooted = outs_of(provider.update(name, updated, {**scaled, "reboot_triggers": ["1"]}))
    assert rebooted["update_time"] > updated["update_time"]

    read: Any = provider.read(name, rebooted)
    assert read.id == name and read.outs["resource_pools"][0]["replica_count"] == 2

    provider.delete(name, rebooted)
    assert get_resource(name) is None
    provider.delete(name, rebooted)  # already gone: NOT_FOUND is success
    assert provider.read(name, rebooted).id is None


def test_create_fails_with_the_resource_error_then_recreates_on_the_next_try(
    emulator: Any, provider: PersistentResourceProvider
) -> None:
    inputs = checked(provider, pr_props())
    name = f"{PARENT}/persistentResources/{inputs['resource_id']}"
    emulator.persistent_resources.fail_next_provisioning(name, "stockout of n1-standard-4")
    with pytest.raises(PersistentResourceError, match="is ERROR: stockout of n1-standard-4"):
        provider.create(inputs)
    assert get_resource(name).state.name == "ERROR"

    created: Any = provider.create(inputs)  # the ERROR one is deleted and made again
    assert created.outs["state"] == "RUNNING"
    provider.delete(created.id, created.outs)


def test_create_adopts_a_resource_with_the_same_spec_and_refuses_another(
    provider: PersistentResourceProvider,
) -> None:
    inputs = checked(provider, pr_props())
    prs = client.persistent_resource_client("us-central1")
    prs.create_persistent_resource(
        parent=PARENT,
        persistent_resource=persistent_resource_to_proto(inputs["spec"]),
        persistent_resource_id=inputs["resource_id"],
    )
    adopted: Any = provider.create(inputs)
    assert adopted.outs["state"] == "RUNNING"

    other = checked(
        provider,
        pr_props(
            resource_id=inputs["resource_id"],
            resource_pools=[{"machine_spec": dict(MACHINE), "replica_count": 4}],
        ),
    )
    with pytest.raises(PersistentResourceError, match="already exists with another spec"):
        provider.create(other)
    provider.delete(adopted.id, adopted.outs)


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


# -- through the dynamic-provider host ------------------------------------------------


@pytest.fixture(scope="module")
def host(emulator: Any) -> Iterator[DynamicHost]:
    env = {client.EMULATOR_HOST_ENV: emulator.grpc_address}
    config = {"gcp:project": "host-project", "gcp:region": "us-central1"}
    with DynamicHost(config=config, project="tests", env=env) as running:
        yield running


def test_lifecycle_through_the_dynamic_provider_host(host: DynamicHost) -> None:
    pickled = host.serialize(PersistentResourceProvider())
    news = {k: v for k, v in pr_props(project=None, location=None).items() if v is not None}
    inputs, failures = host.check({}, {**news, "__provider": pickled})
    assert failures == []
    assert (
        inputs["project"] == "host-project" and inputs["spec"]["resource_id"] == news["resource_id"]
    )

    _, failures = host.check({}, {**news, "resource_id": "Bad_Id", "__provider": pickled})
    assert [path for path, _ in failures] == ["resource_id"]

    resource_id, outputs = host.create(inputs)
    assert (
        resource_id
        == f"projects/host-project/locations/us-central1/persistentResources/{news['resource_id']}"
    )
    assert outputs["state"] == "RUNNING"

    scaled = {**inputs, "resource_pools": [{**inputs["resource_pools"][0], "replica_count": 2}]}
    diff = host.diff(resource_id, outputs, scaled)
    assert (diff.changes, diff.replaces) == ("some", [])
    replaced = host.diff(resource_id, outputs, {**inputs, "display_name": "renamed"})
    assert replaced.replaces == ["display_name"] and replaced.delete_before_replace

    updated = host.update(resource_id, outputs, scaled)
    assert updated["resource_pools"][0]["replica_count"] == 2 and updated["state"] == "RUNNING"
    read_id, read = host.read(resource_id, updated)
    assert read_id == resource_id and read["used_replica_counts"] == {"pool-0": 0}
    host.delete(resource_id, updated)
    assert host.read(resource_id, updated)[0] == ""
