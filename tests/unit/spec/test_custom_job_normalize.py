"""The canonical form: key spellings, durations, enums, numbers, defaults, unknowns."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pulumi_vertex_training.spec import UNKNOWN, normalize_custom_job, spec_hash
from tests.unit.spec.spec_cases import full_job, make_job, mutate

P0 = "job_spec.worker_pool_specs[0]"

REST_JOB = {
    "displayName": "train",
    "jobSpec": {
        "workerPoolSpecs": [
            {
                "machineSpec": {
                    "machineType": "n1-standard-4",
                    "acceleratorType": "NVIDIA_TESLA_T4",
                    "acceleratorCount": 1,
                },
                "replicaCount": "1",
                "containerSpec": {
                    "imageUri": "img",
                    "env": [{"name": "A", "value": "1"}],
                },
                "diskSpec": {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100},
            }
        ],
        "scheduling": {"timeout": "7200s", "strategy": "SPOT"},
        "baseOutputDirectory": {"outputUriPrefix": "gs://my-bucket/out"},
        "enableWebAccess": True,
    },
}
SNAKE_JOB = {
    "display_name": "train",
    "job_spec": {
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4", "accelerator_type": "t4"},
                "container_spec": {"image_uri": "img", "env": {"A": 1}},
                "disk_spec": {"boot_disk_type": "pd-ssd", "boot_disk_size_gb": 100.0},
            }
        ],
        "scheduling": {"timeout": datetime.timedelta(hours=2), "strategy": 4},
        "base_output_directory": {"output_uri_prefix": "gs://my-bucket/out"},
        "enable_web_access": "true",
    },
}


def gpu_job() -> dict[str, Any]:
    """make_job on an L4 GPU: what strategy FLEX_START needs."""
    machine = {"machine_type": "g2-standard-4", "accelerator_type": "NVIDIA_L4"}
    return mutate(make_job(), f"{P0}.machine_spec", machine)


def _value(job: dict[str, Any]) -> dict[str, Any]:
    normalized = normalize_custom_job(job)
    assert normalized.failures == []
    return normalized.value


def test_rest_camel_case_and_snake_case_normalize_identically() -> None:
    assert _value(REST_JOB) == _value(SNAKE_JOB)


def test_canonical_keys_are_snake_case_when_input_is_camel_case() -> None:
    value = _value(REST_JOB)
    pool = value["job_spec"]["worker_pool_specs"][0]
    assert set(pool) == {"machine_spec", "replica_count", "container_spec", "disk_spec"}
    assert value["job_spec"]["base_output_directory"] == {"output_uri_prefix": "gs://my-bucket/out"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2h", "7200s"),
        ("120m", "7200s"),
        ("1h30m", "5400s"),
        ("7200s", "7200s"),
        ("7200", "7200s"),
        (7200, "7200s"),
        (7200.0, "7200s"),
        (datetime.timedelta(hours=2), "7200s"),
        ("1d", "86400s"),
        ("1.5s", "1.5s"),
        ("1500ms", "1.5s"),
        (" 2H ", "7200s"),
        (0.000000001, "0.000000001s"),
    ],
)
def test_durations_normalize_to_seconds_when_given_in_any_form(given: Any, expected: str) -> None:
    value = _value(mutate(make_job(), "job_spec.scheduling.timeout", given))
    assert value["job_spec"]["scheduling"]["timeout"] == expected


@pytest.mark.parametrize("given", [True, "2 hours", "h", "", [1], float("nan"), 10**20])
def test_durations_are_failures_when_not_durations(given: Any) -> None:
    failures = normalize_custom_job(mutate(make_job(), "job_spec.scheduling.timeout", given))
    assert [f.path for f in failures.failures] == ["job_spec.scheduling.timeout"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("NVIDIA_TESLA_T4", "NVIDIA_TESLA_T4"),
        ("nvidia-tesla-t4", "NVIDIA_TESLA_T4"),
        ("nvidia_tesla_t4", "NVIDIA_TESLA_T4"),
        ("AcceleratorType.NVIDIA_TESLA_T4", "NVIDIA_TESLA_T4"),
        (5, "NVIDIA_TESLA_T4"),
        (5.0, "NVIDIA_TESLA_T4"),
        ("T4", "NVIDIA_TESLA_T4"),
        ("h200", "NVIDIA_H200_141GB"),
    ],
)
def test_accelerator_type_normalizes_to_api_name(given: Any, expected: str) -> None:
    # The H200 runs on a3-ultragpu-8g only, 8 at a time (the machine catalog).
    h200 = expected == "NVIDIA_H200_141GB"
    machine = {
        "machine_type": "a3-ultragpu-8g" if h200 else "n1-standard-4",
        "accelerator_type": given,
        "accelerator_count": 8 if h200 else 1,
    }
    value = _value(mutate(make_job(), f"{P0}.machine_spec", machine))
    assert value["job_spec"]["worker_pool_specs"][0]["machine_spec"]["accelerator_type"] == expected


def test_proto_plus_enum_member_is_accepted_when_given() -> None:
    from google.cloud import aiplatform_v1

    strategy = aiplatform_v1.Scheduling.Strategy.FLEX_START
    value = _value(mutate(gpu_job(), "job_spec.scheduling.strategy", strategy))
    assert value["job_spec"]["scheduling"]["strategy"] == "FLEX_START"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("spot", "SPOT"),
        ("Scheduling.Strategy.SPOT", "SPOT"),
        ("dws-flex-start", "FLEX_START"),
        ("standard", "STANDARD"),
        (6, "FLEX_START"),
    ],
)
def test_strategy_normalizes_to_api_name(given: Any, expected: str) -> None:
    value = _value(mutate(gpu_job(), "job_spec.scheduling.strategy", given))
    assert value["job_spec"]["scheduling"]["strategy"] == expected


def test_unspecified_enum_is_dropped_when_given() -> None:
    job = mutate(make_job(), "job_spec.scheduling", {"strategy": "STRATEGY_UNSPECIFIED"})
    assert "scheduling" not in _value(job)["job_spec"]


def test_replica_count_defaults_to_one_when_not_given() -> None:
    job = mutate(make_job(), f"{P0}.replica_count", None)
    assert _value(job)["job_spec"]["worker_pool_specs"][0]["replica_count"] == 1


def test_accelerator_count_defaults_to_one_when_type_given_alone() -> None:
    job = mutate(make_job(), f"{P0}.machine_spec.accelerator_type", "NVIDIA_TESLA_T4")
    spec = _value(job)["job_spec"]["worker_pool_specs"][0]["machine_spec"]
    assert spec["accelerator_count"] == 1


def test_int64_strings_and_whole_floats_become_ints() -> None:
    job = mutate(
        make_job(),
        "job_spec.worker_pool_specs[1]",
        {
            "machine_spec": {"machine_type": "n1-standard-4"},
            "replica_count": "3",
            "container_spec": {"image_uri": "img"},
            "disk_spec": {"boot_disk_size_gb": 200.0},
        },
    )
    pool = _value(job)["job_spec"]["worker_pool_specs"][1]
    assert pool["replica_count"] == 3
    assert pool["disk_spec"]["boot_disk_size_gb"] == 200


def test_empty_values_are_dropped_so_equivalent_inputs_match() -> None:
    noisy = mutate(make_job(), "job_spec.scheduling", {"restart_job_on_worker_restart": False})
    noisy = mutate(noisy, "job_spec.service_account", "")
    noisy = mutate(noisy, "job_spec.reserved_ip_ranges", [])
    noisy = mutate(noisy, "labels", {})
    noisy = mutate(noisy, "encryption_spec", None)
    noisy = mutate(noisy, f"{P0}.container_spec.args", [])
    noisy = mutate(noisy, f"{P0}.disk_spec", {})
    assert _value(noisy) == _value(make_job())


def test_empty_pools_stay_as_placeholders_in_place() -> None:
    worker = {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "container_spec": {"image_uri": "img"},
    }
    job = mutate(make_job(), "job_spec.worker_pool_specs[1]", {})
    job = mutate(job, "job_spec.worker_pool_specs[2]", None)
    job = mutate(job, "job_spec.worker_pool_specs[3]", worker)
    pools = _value(job)["job_spec"]["worker_pool_specs"]
    assert pools[1:3] == [{}, {}]
    assert pools[3]["replica_count"] == 1


def test_pool_of_only_zero_values_is_a_placeholder() -> None:
    job = mutate(
        make_job(), "job_spec.worker_pool_specs[1]", {"replica_count": 0, "nfs_mounts": []}
    )
    assert _value(job)["job_spec"]["worker_pool_specs"][1] == {}


def test_env_mapping_becomes_a_sorted_list_of_strings() -> None:
    job = mutate(make_job(), f"{P0}.container_spec.env", {"B": 2.0, "A": "x", "C": 0.5})
    env = _value(job)["job_spec"]["worker_pool_specs"][0]["container_spec"]["env"]
    assert env == [
        {"name": "A", "value": "x"},
        {"name": "B", "value": "2"},
        {"name": "C", "value": "0.5"},
    ]


def test_env_list_keeps_its_order() -> None:
    env = [{"name": "B", "value": "1"}, {"name": "A", "value": "$(B)"}]
    job = mutate(make_job(), f"{P0}.container_spec.env", env)
    assert _value(job)["job_spec"]["worker_pool_specs"][0]["container_spec"]["env"] == env


def test_args_numbers_become_strings_when_given() -> None:
    job = mutate(make_job(), f"{P0}.container_spec.args", ["--epochs", 3, "--lr", 0.1, 4.0])
    args = _value(job)["job_spec"]["worker_pool_specs"][0]["container_spec"]["args"]
    assert args == ["--epochs", "3", "--lr", "0.1", "4"]


def test_max_wait_zero_is_kept_when_given() -> None:
    job = mutate(
        gpu_job(), "job_spec.scheduling", {"strategy": "FLEX_START", "max_wait_duration": 0}
    )
    assert _value(job)["job_spec"]["scheduling"]["max_wait_duration"] == "0s"


def test_normalizing_twice_changes_nothing() -> None:
    once = _value(full_job())
    assert _value(once) == once


def _wire(value: Any) -> Any:
    """What the Pulumi wire does to a value: ints become floats."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def test_canonical_value_survives_the_pulumi_wire() -> None:
    once = _value(full_job())
    assert _value(_wire(once)) == once


def test_args_dataclasses_and_dicts_normalize_identically() -> None:
    from pulumi_vertex_training.spec import (
        ContainerSpecArgs,
        CustomJobSpecArgs,
        EnvVarArgs,
        MachineSpecArgs,
        SchedulingArgs,
        WorkerPoolSpecArgs,
    )

    spec = CustomJobSpecArgs(
        worker_pool_specs=[
            WorkerPoolSpecArgs(
                machine_spec=MachineSpecArgs(machine_type="n1-standard-4"),
                container_spec=ContainerSpecArgs(
                    image_uri="img", env=[EnvVarArgs(name="A", value="1")]
                ),
            ),
            {},
        ],
        scheduling=SchedulingArgs(timeout="1h"),
    )
    as_dict = {
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "container_spec": {"image_uri": "img", "env": {"A": "1"}},
            },
            {},
        ],
        "scheduling": {"timeout": 3600},
    }
    assert _value({"display_name": "d", "job_spec": spec}) == _value(
        {"display_name": "d", "job_spec": as_dict}
    )


# --- UNKNOWN -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "display_name",
        "job_spec",
        "labels",
        "encryption_spec",
        "job_spec.worker_pool_specs",
        P0,
        f"{P0}.replica_count",
        f"{P0}.machine_spec",
        f"{P0}.machine_spec.machine_type",
        f"{P0}.container_spec",
        f"{P0}.container_spec.image_uri",
        f"{P0}.container_spec.env",
        "job_spec.scheduling",
        "job_spec.scheduling.timeout",
        "job_spec.network",
        "job_spec.service_account",
        "labels.team",
    ],
)
def test_unknown_value_is_kept_and_skips_its_checks(path: str) -> None:
    normalized = normalize_custom_job(mutate(make_job(), path, UNKNOWN))
    assert normalized.failures == []
    node: Any = normalized.value
    assert UNKNOWN in _leaves(node)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def test_unknown_accelerator_type_skips_count_checks() -> None:
    job = mutate(make_job(), f"{P0}.machine_spec.accelerator_type", UNKNOWN)
    job = mutate(job, f"{P0}.machine_spec.accelerator_count", 0)
    assert normalize_custom_job(job).failures == []


def test_unknown_strategy_skips_flex_start_checks() -> None:
    job = mutate(
        make_job(),
        "job_spec.scheduling",
        {"strategy": UNKNOWN, "timeout": "30d", "max_wait_duration": "1h"},
    )
    assert normalize_custom_job(job).failures == []


def test_unknown_leaf_does_not_hide_other_failures() -> None:
    job = mutate(make_job(), f"{P0}.container_spec.image_uri", UNKNOWN)
    job = mutate(job, "job_spec.service_account", "bob")
    paths = [f.path for f in normalize_custom_job(job).failures]
    assert paths == ["job_spec.service_account"]


def test_unknown_values_refuse_a_hash() -> None:
    value = normalize_custom_job(mutate(make_job(), "display_name", UNKNOWN)).value
    with pytest.raises(ValueError, match="unknown"):
        spec_hash(value)


def test_non_mapping_input_is_a_failure_not_an_exception() -> None:
    normalized = normalize_custom_job(["not", "a", "job"])  # type: ignore[arg-type]
    assert normalized.value == {}
    assert "must be an object" in normalized.failures[0].reason
