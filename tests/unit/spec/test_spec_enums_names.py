"""Enum tables match the generated types; key spellings; args to_plain."""

from __future__ import annotations

import dataclasses

import pytest
from google.cloud import aiplatform_v1

from pulumi_vertex_training import spec
from pulumi_vertex_training.spec import UNKNOWN, to_plain
from pulumi_vertex_training.spec.enums import (
    ACCELERATOR_TYPE,
    RESERVATION_AFFINITY_TYPE,
    STRATEGY,
    EnumType,
)
from pulumi_vertex_training.spec.names import camel_case, closest, resolve_key, snake_case
from pulumi_vertex_training.spec.schema import MESSAGES


@pytest.mark.parametrize(
    ("table", "generated"),
    [
        (ACCELERATOR_TYPE, aiplatform_v1.AcceleratorType),
        (STRATEGY, aiplatform_v1.Scheduling.Strategy),
        (RESERVATION_AFFINITY_TYPE, aiplatform_v1.ReservationAffinity.Type),
    ],
)
def test_enum_tables_match_the_generated_types(table: EnumType, generated: type) -> None:
    assert table.values == {m.name: m.value for m in generated}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("message", "generated"),
    [
        ("CustomJobSpec", aiplatform_v1.CustomJobSpec),
        ("WorkerPoolSpec", aiplatform_v1.WorkerPoolSpec),
        ("MachineSpec", aiplatform_v1.MachineSpec),
        ("Scheduling", aiplatform_v1.Scheduling),
        ("ContainerSpec", aiplatform_v1.ContainerSpec),
        ("PythonPackageSpec", aiplatform_v1.PythonPackageSpec),
        ("ResourceRuntimeSpec", aiplatform_v1.ResourceRuntimeSpec),
        ("RaySpec", aiplatform_v1.RaySpec),
    ],
)
def test_schema_tables_cover_every_field_of_the_generated_message(
    message: str, generated: type
) -> None:
    fields = set(generated.pb().DESCRIPTOR.fields_by_name)  # type: ignore[attr-defined]
    assert set(MESSAGES[message]) == fields


def test_resource_pool_table_lists_every_input_field() -> None:
    fields = set(aiplatform_v1.ResourcePool.pb().DESCRIPTOR.fields_by_name)
    assert set(MESSAGES["ResourcePool"]) == fields - {"used_replica_count"}


@pytest.mark.parametrize(
    ("camel", "snake"),
    [
        ("workerPoolSpecs", "worker_pool_specs"),
        ("bootDiskSizeGb", "boot_disk_size_gb"),
        ("imageUri", "image_uri"),
        ("outputUriPrefix", "output_uri_prefix"),
    ],
)
def test_camel_and_snake_case_convert_both_ways(camel: str, snake: str) -> None:
    assert snake_case(camel) == snake
    assert camel_case(snake) == camel


def test_only_exact_spellings_resolve() -> None:
    known = ["worker_pool_specs"]
    assert resolve_key("workerPoolSpecs", known) == "worker_pool_specs"
    assert resolve_key("Worker_Pool_Specs", known) is None
    assert resolve_key("WorkerPoolSpecs", known) is None


def test_closest_suggests_the_nearest_name_or_nothing() -> None:
    assert closest("imageUrl", ["image_uri", "command"]) == "image_uri"
    assert closest("zzzz", ["image_uri"]) is None


def test_to_plain_drops_none_fields_and_keeps_other_values() -> None:
    marker = object()
    value = spec.WorkerPoolSpecArgs(
        machine_spec=spec.MachineSpecArgs(machine_type="n1-standard-4", accelerator_count=UNKNOWN),
        container_spec={"image_uri": marker, "args": (spec.DiskSpecArgs(boot_disk_type="x"),)},
    )
    assert to_plain(value) == {
        "machine_spec": {"machine_type": "n1-standard-4", "accelerator_count": UNKNOWN},
        "container_spec": {"image_uri": marker, "args": [{"boot_disk_type": "x"}]},
    }


ALL_ARGS = [
    "CustomJobSpecArgs",
    "WorkerPoolSpecArgs",
    "MachineSpecArgs",
    "ReservationAffinityArgs",
    "DiskSpecArgs",
    "NfsMountArgs",
    "LustreMountArgs",
    "ContainerSpecArgs",
    "PythonPackageSpecArgs",
    "EnvVarArgs",
    "SchedulingArgs",
    "EncryptionSpecArgs",
    "GcsDestinationArgs",
    "PscInterfaceConfigArgs",
    "DnsPeeringConfigArgs",
    "ResourcePoolArgs",
    "AutoscalingSpecArgs",
    "ResourceRuntimeSpecArgs",
    "ServiceAccountSpecArgs",
    "RaySpecArgs",
    "RayMetricSpecArgs",
    "RayLogsSpecArgs",
]
MESSAGE_OF = {
    "GcsDestinationArgs": "GcsDestination",
    "EnvVarArgs": "EnvVar",
    "AutoscalingSpecArgs": "AutoscalingSpec",
}


@pytest.mark.parametrize("name", ALL_ARGS)
def test_args_dataclass_fields_are_the_message_fields(name: str) -> None:
    cls = getattr(spec, name)
    message = MESSAGE_OF.get(name, name.removesuffix("Args"))
    assert {f.name for f in dataclasses.fields(cls)} == set(MESSAGES[message])
