"""normalize_* never raise: arbitrary nested input only ever yields failures."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_vertex_training.spec import (
    UNKNOWN,
    job_fits_resource,
    normalize_custom_job,
    normalize_model,
    normalize_persistent_resource,
    normalize_training_pipeline,
)
from pulumi_vertex_training.spec.schema import MESSAGES

# Real field names (both spellings) make the fuzzer reach the deep rules, not just
# "unknown field"; the leaves are anything JSON-ish plus UNKNOWN.
_NAMES = sorted(
    {n for table in MESSAGES.values() for n in table}
    | {"workerPoolSpecs", "machineSpec", "imageUri", "replicaCount", "jobSpec"}
)
_KEYS = st.one_of(st.sampled_from(_NAMES), st.text(max_size=8), st.integers())
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "2h",
            "NVIDIA_TESLA_T4",
            "n1-standard-4",
            "gs://b/x",
            "SPECIFIC_RESERVATION",
            "FLEX_START",
            "-1s",
        ]
    ),
    st.just(UNKNOWN),
)
_TREES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=6)
    ),
    max_leaves=25,
)
_JOBS = st.fixed_dictionaries(
    {},
    optional={
        "display_name": _TREES,
        "job_spec": _TREES,
        "labels": _TREES,
        "encryption_spec": _TREES,
    },
)
# SPEC_FUZZ_EXAMPLES=5000 for a longer hunt; the default keeps the suite fast.
_SETTINGS = settings(
    max_examples=int(os.environ.get("SPEC_FUZZ_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@_SETTINGS
@given(_JOBS)
def test_normalize_custom_job_never_raises_on_arbitrary_input(raw: dict[str, Any]) -> None:
    result = normalize_custom_job(raw)
    assert isinstance(result.value, dict)
    assert all(f.path is not None and f.reason for f in result.failures)


@_SETTINGS
@given(st.dictionaries(_KEYS, _TREES, max_size=6))
def test_normalize_custom_job_never_raises_on_arbitrary_keys(raw: dict[Any, Any]) -> None:
    normalize_custom_job(raw)


@_SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(sorted(MESSAGES["PersistentResourceInput"])), _TREES, max_size=6
    ),
    _JOBS,
)
def test_normalize_persistent_resource_and_fit_never_raise(
    raw: dict[str, Any], job: dict[str, Any]
) -> None:
    resource = normalize_persistent_resource(raw)
    assert isinstance(resource.value, dict)
    job_fits_resource(normalize_custom_job(job).value, resource.value)


@_SETTINGS
@given(st.dictionaries(st.sampled_from(sorted(MESSAGES["ModelInput"])), _TREES, max_size=6))
def test_normalize_model_never_raises(raw: dict[str, Any]) -> None:
    result = normalize_model(raw)
    assert isinstance(result.value, dict)
    assert all(f.path is not None and f.reason for f in result.failures)


@_SETTINGS
@given(
    st.dictionaries(st.sampled_from(sorted(MESSAGES["TrainingPipelineInput"])), _TREES, max_size=7),
    st.dictionaries(_KEYS, _TREES, max_size=4),
)
def test_normalize_training_pipeline_never_raises(
    raw: dict[str, Any], anything: dict[Any, Any]
) -> None:
    result = normalize_training_pipeline(raw)
    assert isinstance(result.value, dict)
    assert all(f.path is not None and f.reason for f in result.failures)
    normalize_training_pipeline(anything)
