"""PersistentResourceProvider called directly and through the dynamic-provider host,
against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.provider.persistent_resource import (
    PersistentResourceError,
    PersistentResourceProvider,
    get_resource,
)
from pulumi_vertex_training.spec import persistent_resource_to_proto
from pulumi_vertex_training.testing.host import DynamicHost
from tests.provider.persistent_resource_support import (
    MACHINE,
    PARENT,
    checked,
    outs_of,
    pr_props,
)

pytestmark = pytest.mark.usefixtures("emulator")


@pytest.fixture
def provider() -> PersistentResourceProvider:
    """The provider under test (the package's ``provider`` fixture is CustomJob's)."""
    return PersistentResourceProvider()


# -- create / read / update / delete against the emulator -----------------------------


def test_create_scale_reboot_read_delete(provider: PersistentResourceProvider) -> None:
    inputs = checked(provider, pr_props())
    created: Any = provider.create(inputs)
    name = f"{PARENT}/persistentResources/{inputs['resource_id']}"
    assert created.id == name
    outs = created.outs
    assert outs["state"] == "RUNNING" and outs["used_replica_counts"] == {"pool-0": 0}
    assert outs["access_uris"] == {} and outs["start_time"]
    assert outs["console_url"] == f"{client.emulator_console()}/{name}"

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
