"""The typed args read like pulumi-gcp's input types: keyword-only, required fields required.

Which fields are required is read from the client library's own field docs ("Required."),
so the dataclasses follow the API rather than a list kept by hand.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from google.cloud import aiplatform_v1

import pulumi_vertex_training.spec as spec

_P = "StudySpec.ParameterSpec"
MESSAGE_OF = {
    "AutoscalingSpecArgs": "ResourcePool.AutoscalingSpec",
    "MetricSpecArgs": "StudySpec.MetricSpec",
    "SafetyMetricConfigArgs": "StudySpec.MetricSpec.SafetyMetricConfig",
    "ParameterSpecArgs": _P,
    "DoubleValueSpecArgs": f"{_P}.DoubleValueSpec",
    "IntegerValueSpecArgs": f"{_P}.IntegerValueSpec",
    "CategoricalValueSpecArgs": f"{_P}.CategoricalValueSpec",
    "DiscreteValueSpecArgs": f"{_P}.DiscreteValueSpec",
    "ConditionalParameterSpecArgs": f"{_P}.ConditionalParameterSpec",
    "DiscreteValueConditionArgs": f"{_P}.ConditionalParameterSpec.DiscreteValueCondition",
    "IntValueConditionArgs": f"{_P}.ConditionalParameterSpec.IntValueCondition",
    "CategoricalValueConditionArgs": f"{_P}.ConditionalParameterSpec.CategoricalValueCondition",
    "DecayCurveAutomatedStoppingSpecArgs": "StudySpec.DecayCurveAutomatedStoppingSpec",
    "MedianAutomatedStoppingSpecArgs": "StudySpec.MedianAutomatedStoppingSpec",
    "ConvexAutomatedStoppingSpecArgs": "StudySpec.ConvexAutomatedStoppingSpec",
    "StudyStoppingConfigArgs": "StudySpec.StudyStoppingConfig",
}
ARGS = [name for name in spec.__all__ if name.endswith("Args")]
# Training needs a machine although the API leaves these optional (a pool may be empty
# in the API's list; in the typed API an empty pool is written {} or None).
# A Port is its number (the API's doc gives no "Required." but nothing else is in it).
ALSO_REQUIRED = {
    "WorkerPoolSpecArgs": {"machine_spec"},
    "MachineSpecArgs": {"machine_type"},
    "PortArgs": {"container_port"},
}
# Required by the API but implied by the args: the custom task's definition URI.
IMPLIED = {"TrainingPipelineArgs": {"training_task_definition"}}


def _api_required(name: str) -> set[str]:
    message = aiplatform_v1
    for part in MESSAGE_OF.get(name, name.removesuffix("Args")).split("."):
        message = getattr(message, part)
    return set(re.findall(r"^\s+(\w+) \([^)]*\):\n\s+Required\.", message.__doc__ or "", re.M))


@pytest.mark.parametrize("name", ARGS)
def test_args_fields_without_default_are_the_required_ones(name: str) -> None:
    cls = getattr(spec, name)
    no_default = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    required = _api_required(name) - IMPLIED.get(name, set())
    assert no_default == required | ALSO_REQUIRED.get(name, set())


@pytest.mark.parametrize("name", ARGS)
def test_args_are_keyword_only(name: str) -> None:
    assert all(f.kw_only for f in dataclasses.fields(getattr(spec, name)))


def test_a_missing_required_field_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="image_uri"):
        spec.ContainerSpecArgs()  # type: ignore[call-arg]
