"""PersistentResourceProvider under injected faults: the same policy as CustomJob
(provider/retries.py). Its id is client-chosen, so a create whose answer was lost is
retried and meets ALREADY_EXISTS, which adopts the resource it made."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from pulumi_vertex_training.emulator.faults import FaultPlan
from pulumi_vertex_training.provider.persistent_resource import (
    PersistentResourceProvider,
    get_resource,
)
from tests.reliability.support import PARENT, PROJECT, fault_emulator
from tests.reliability.test_provider_faults import PermissionDeniedFault, Refuse

PR_METHODS = frozenset(
    {
        "create_persistent_resource",
        "get_persistent_resource",
        "update_persistent_resource",
        "delete_persistent_resource",
        "get_operation",
    }
)


def checked(resource_id: str, replica_count: int = 1) -> dict[str, Any]:
    """Checked inputs of a one-pool PersistentResource."""
    props = {
        "project": PROJECT,
        "location": "us-central1",
        "resource_id": resource_id,
        "display_name": "warm",
        "resource_pools": [
            {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": replica_count}
        ],
    }
    result = PersistentResourceProvider().check({}, props)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


def resources(server: Any) -> list[Any]:
    """Every PersistentResource the emulator stores (through the backend: no faults)."""
    return list(server.persistent_resources.list_persistent_resources(PARENT)[0])


def test_lost_create_adopts_the_resource_it_made(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(lost=1.0, methods=frozenset({"create_persistent_resource"}))
    with fault_emulator(tmp_path, monkeypatch, plan) as server:
        created = PersistentResourceProvider().create(checked("lost-create"))
        assert created.outs["state"] == "RUNNING"
        assert [r.name for r in resources(server)] == [created.id]
        assert plan.count("lost") == 1


def test_create_scale_read_delete_ride_out_thirty_percent_faults(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(unavailable=0.1, deadline=0.05, lost=0.15, methods=PR_METHODS, seed=5)
    provider = PersistentResourceProvider()
    with fault_emulator(tmp_path, monkeypatch, plan) as server:
        for i in range(3):
            inputs = checked(f"flaky-{i}")
            created = provider.create(inputs)
            scaled = {
                **inputs,
                "resource_pools": [{**inputs["resource_pools"][0], "replica_count": 2}],
            }
            updated = provider.update(created.id, created.outs, scaled)
            assert get_resource(created.id).resource_pools[0].replica_count == 2
            assert provider.read(created.id, updated.outs).id == created.id
            provider.delete(created.id, updated.outs)
            assert get_resource(created.id) is None
        assert resources(server) == []
        assert plan.count() >= 3, plan.injected


def test_quota_on_create_is_not_retried_and_says_what_to_ask_for(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(exhausted=1.0, methods=frozenset({"create_persistent_resource"}))
    with fault_emulator(tmp_path, monkeypatch, plan) as server:
        with pytest.raises(RuntimeError, match="Ask for more quota"):
            PersistentResourceProvider().create(checked("quota"))
        assert server.calls["create_persistent_resource"] == 1
        assert resources(server) == []


def test_permission_denied_names_the_role_on_read_update_and_delete(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse = Refuse()
    provider = PersistentResourceProvider()
    with fault_emulator(tmp_path, monkeypatch, hook=refuse.hook) as server:
        inputs = checked("perm")
        created = provider.create(inputs)
        refuse.error = PermissionDeniedFault
        scaled = {**inputs, "resource_pools": [{**inputs["resource_pools"][0], "replica_count": 3}]}
        for method, call in (
            ("get_persistent_resource", lambda: provider.read(created.id, created.outs)),
            (
                "update_persistent_resource",
                lambda: provider.update(created.id, created.outs, scaled),
            ),
            ("delete_persistent_resource", lambda: provider.delete(created.id, created.outs)),
        ):
            refuse.methods = {method}
            before = server.calls[method]
            with pytest.raises(PermissionError, match=r"roles/aiplatform\.user"):
                call()
            assert server.calls[method] == before + 1
