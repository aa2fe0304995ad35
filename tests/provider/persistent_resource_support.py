"""What the PersistentResource provider tests share: raw props, a check that must pass."""

from __future__ import annotations

import uuid
from typing import Any

from pulumi_vertex_training.provider.persistent_resource import PersistentResourceProvider

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


def outs_of(result: Any) -> dict[str, Any]:
    assert result.outs is not None
    return dict(result.outs)


def checked(provider: PersistentResourceProvider, props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)
