"""read_mask: only the masked fields, and INVALID_ARGUMENT for a path of no field."""

from __future__ import annotations

import pytest
from google.cloud import aiplatform_v1
from google.protobuf import field_mask_pb2

from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.masks import read_mask

JOB = aiplatform_v1.CustomJob(
    name="projects/p/locations/l/customJobs/1",
    display_name="a",
    labels={"k": "v"},
    state="JOB_STATE_RUNNING",
    job_spec={"base_output_directory": {"output_uri_prefix": "gs://b/o"}, "network": "n"},
)


def _set(job: aiplatform_v1.CustomJob) -> list[str]:
    return sorted(f.name for f, _ in aiplatform_v1.CustomJob.pb(job).ListFields())


def test_empty_mask_reads_every_field() -> None:
    assert read_mask(field_mask_pb2.FieldMask(), aiplatform_v1.CustomJob)(JOB) is JOB


def test_mask_keeps_only_its_fields_nested_paths_too() -> None:
    mask = field_mask_pb2.FieldMask(paths=["labels", "job_spec.network"])
    masked = read_mask(mask, aiplatform_v1.CustomJob)(JOB)
    assert _set(masked) == ["job_spec", "labels"]
    assert masked.labels == {"k": "v"}
    assert aiplatform_v1.CustomJobSpec.pb(masked.job_spec).ListFields()[0][1] == "n"
    assert _set(JOB) == ["display_name", "job_spec", "labels", "name", "state"]  # untouched


@pytest.mark.parametrize(
    "paths",
    [["colour"], ["displayName"], ["job_spec.worker_pool_specs.machine_spec"], ["name", "x.y"]],
)
def test_unknown_path_is_invalid_argument_naming_read_mask(paths: list[str]) -> None:
    with pytest.raises(InvalidArgument) as info:
        read_mask(field_mask_pb2.FieldMask(paths=paths), aiplatform_v1.CustomJob)
    [(field, description)] = info.value.violations
    assert field == "read_mask"
    assert description.startswith(repr(paths[-1]))
    assert "is not a field of CustomJob" in description
