"""The emulator's own replica_count / autoscaling rules, on raw protobuf requests.

The same table (tests/replica_count_rules.py) runs against check() in
tests/unit/spec/test_persistent_resource_spec.py; this side never touches spec/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from google.cloud.aiplatform_v1.types import persistent_resource as pr_types
from google.protobuf import json_format

from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.persistent_resources import validation as prv
from tests.replica_count_rules import COUNT_CASES, CountCase

_BLAMED = re.compile(r"persistent_resource\.resource_pools\[0\]\.([a-z_.]+?)(?::| is )")


def _resource(counts: dict[str, Any], ray: bool = False) -> Any:
    """A raw PersistentResource, parsed from JSON so that given fields (explicit zeros,
    an empty autoscaling_spec) are present, as on the wire."""
    body: dict[str, Any] = {
        "resourcePools": [
            {"machineSpec": {"machineType": "n1-standard-4"}, **_camel(counts)},
        ]
    }
    if ray:
        body["resourceRuntimeSpec"] = {"raySpec": {"imageUri": "ray-img"}}
    return json_format.ParseDict(
        body, pr_types.PersistentResource.pb(pr_types.PersistentResource())
    )


def _camel(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {re.sub(r"_([a-z])", lambda m: m[1].upper(), k): _camel(v) for k, v in value.items()}


@pytest.mark.parametrize("case", COUNT_CASES, ids=lambda c: c.rule)
def test_replica_count_rules_blame_the_field_at_fault_when_broken(case: CountCase) -> None:
    resource = _resource(case.counts, case.ray)
    try:
        prv.prepare_resource(resource)
    except InvalidArgument as err:
        blamed = set(_BLAMED.findall(str(err)))
        assert blamed == case.blamed, str(err)
        return
    assert case.blamed == frozenset()
    assert resource.resource_pools[0].replica_count == case.replica_count


def test_an_explicit_zero_is_given_and_an_unset_bound_is_absent() -> None:
    resource = _resource({"autoscaling_spec": {"min_replica_count": 0, "max_replica_count": 2}})
    assert prv.autoscaling_bounds(resource.resource_pools[0]) == (0, 2)
    resource = _resource({"autoscaling_spec": {"max_replica_count": 2}})
    assert prv.autoscaling_bounds(resource.resource_pools[0]) == (None, 2)
    assert prv.autoscaling_bounds(_resource({"autoscaling_spec": {}}).resource_pools[0]) is None
    assert prv.autoscaling_bounds(_resource({}).resource_pools[0]) is None


def test_bound_errors_say_what_is_allowed() -> None:
    with pytest.raises(InvalidArgument) as raised:
        prv.prepare_resource(_resource({"autoscaling_spec": {"min_replica_count": 0}}))
    message = str(raised.value)
    assert "min_replica_count: 0 must be 1 or more (0 is allowed only for Ray clusters)" in message
    assert "max_replica_count is required with autoscaling" in message


@pytest.mark.parametrize("name", ["warm\npool", "\x1b[31mwarm", "\t", "a\x00", "b\x85"])
def test_prepare_resource_refuses_display_name_when_it_holds_control_characters(
    name: str,
) -> None:
    resource = _resource({"replica_count": 1})
    resource.display_name = name
    with pytest.raises(InvalidArgument, match=r"persistent_resource\.display_name: .* control"):
        prv.prepare_resource(resource)


@pytest.mark.parametrize("name", ["warm pool", "Warm-Pool 2 (é, 東京)", ""])
def test_prepare_resource_accepts_display_name_when_printable(name: str) -> None:
    resource = _resource({"replica_count": 1})
    resource.display_name = name
    prv.prepare_resource(resource)
