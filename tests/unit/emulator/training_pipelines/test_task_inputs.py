"""training_task_inputs as the SDK sends them (a Struct) -> a CustomJobSpec (task_inputs.py)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from google.cloud.aiplatform_v1 import Scheduling
from google.protobuf import json_format, struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_vertex_training.emulator.training_pipelines.task_inputs import to_custom_job_spec

F = "training_pipeline.training_task_inputs"


def value(data: Any) -> struct_pb2.Value:
    return json_format.ParseDict(data, struct_pb2.Value())


# What CustomContainerTrainingJob.run(replica_count=2, args=["--x", 1, "--lr", 0.5]) sends.
SDK_INPUTS = {
    "base_output_directory": {"output_uri_prefix": "gs://out-bkt/run1"},
    "worker_pool_specs": [
        {
            "containerSpec": {"args": ["--x", 1.0, "--lr", 0.5], "imageUri": "img:1"},
            "disk_spec": {"boot_disk_size_gb": 100.0, "boot_disk_type": "pd-ssd"},
            "machine_spec": {"machine_type": "n1-standard-4", "accelerator_count": 0.0},
            "replica_count": 1.0,
        },
        {
            "container_spec": {"image_uri": "img:1"},
            "machine_spec": {"machine_type": "n1-standard-4"},
            "replica_count": 1.0,
        },
    ],
    "scheduling": {"timeout": 7200.0, "strategy": "SPOT", "restart_job_on_worker_restart": True},
    "enable_web_access": True,
}


def test_sdk_struct_becomes_the_job_spec_with_numbers_where_they_belong() -> None:
    spec, errors = to_custom_job_spec(value(SDK_INPUTS), F)
    assert errors == []
    pool = spec.worker_pool_specs[0]
    assert list(pool.container_spec.args) == ["--x", "1", "--lr", "0.5"]
    assert pool.replica_count == 1
    assert pool.disk_spec.boot_disk_size_gb == 100
    assert spec.worker_pool_specs[1].container_spec.image_uri == "img:1"
    assert spec.scheduling.timeout.seconds == 7200
    assert Scheduling.Strategy(spec.scheduling.strategy).name == "SPOT"
    assert spec.enable_web_access
    assert spec.base_output_directory.output_uri_prefix == "gs://out-bkt/run1"


def test_enum_numbers_and_int64_strings_are_read() -> None:
    inputs = {
        "workerPoolSpecs": [
            {
                "machineSpec": {"machineType": "a2-highgpu-1g", "acceleratorType": 8.0},
                "replicaCount": "1",
                "containerSpec": {"imageUri": "i"},
            }
        ]
    }
    spec, errors = to_custom_job_spec(value(inputs), F)
    assert errors == []
    assert spec.worker_pool_specs[0].machine_spec.accelerator_type == 8


@pytest.mark.parametrize(
    ("inputs", "path"),
    [
        ({"worker_pool_specs": {"a": 1.0}}, f"{F}.worker_pool_specs must be a list"),
        ({"worker_pool_specs": [{"replica_count": 1.5}]},
         f"{F}.worker_pool_specs[0].replica_count"),
        ({"worker_pool_specs": [{"containerSpec": {"args": [True]}}]},
         f"{F}.worker_pool_specs[0].container_spec.args[0] must be a string"),
        ({"worker_pool_specs": [{"machine_spec": "n1"}]},
         f"{F}.worker_pool_specs[0].machine_spec must be an object"),
        ({"workerPools": []}, f"{F}.workerPools: unknown field of CustomJobSpec"),
        ({"network": "a", "network ": "b"}, f"{F}.network : unknown field"),
        ({"enable_web_access": "yes"}, f"{F}.enable_web_access must be true or false"),
        ({"worker_pool_specs": [{"machine_spec": {"accelerator_type": "NO_SUCH_GPU"}}]},
         f"{F}: Failed to parse"),
        ({"scheduling": {"timeout": "2 hours"}}, f"{F}: Failed to parse"),
    ],
)  # fmt: skip
def test_what_does_not_fit_is_an_error_naming_its_path(inputs: dict[str, Any], path: str) -> None:
    _, errors = to_custom_job_spec(value(inputs), F)
    assert any(path in text for _, text in errors), errors


def test_key_given_in_both_spellings_is_an_error() -> None:
    _, errors = to_custom_job_spec(value({"enable_web_access": True, "enableWebAccess": True}), F)
    assert errors == [
        (
            f"{F}.enable_web_access",
            f"{F}.enable_web_access is given twice (as enable_web_access and enableWebAccess)",
        )
    ]


@pytest.mark.parametrize("data", [[1.0], "spec", 3.0])
def test_inputs_must_be_an_object(data: Any) -> None:
    _, errors = to_custom_job_spec(value(data), F)
    assert errors and errors[0] == (F, errors[0][1])
    assert errors[0][1].startswith(f"{F} must be an object")


_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
        st.sampled_from(["n1-standard-4", "gs://b/x", "3600s", "SPOT", "NVIDIA_TESLA_T4"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(
                    ["worker_pool_specs", "workerPoolSpecs", "machine_spec", "containerSpec",
                     "imageUri", "args", "replica_count", "scheduling", "timeout", "strategy",
                     "env", "name", "value", "disk_spec", "boot_disk_size_gb"]
                ),
                st.text(max_size=6),
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)  # fmt: skip


@settings(
    max_examples=int(os.environ.get("SPEC_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_JSON)
def test_any_json_yields_a_spec_or_errors_never_an_exception(data: Any) -> None:
    spec, errors = to_custom_job_spec(value(data), F)
    assert all(field.startswith(F) and text.startswith(F) for field, text in errors)
    if not errors:
        assert spec.ByteSize() >= 0
