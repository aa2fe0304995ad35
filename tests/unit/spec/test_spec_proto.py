"""Canonical dicts to aiplatform_v1 messages and back, for a spec using every field."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import aiplatform_v1

from pulumi_vertex_training.spec import (
    UNKNOWN,
    custom_job_from_proto,
    custom_job_to_proto,
    normalize_custom_job,
    normalize_persistent_resource,
    persistent_resource_from_proto,
    persistent_resource_to_proto,
)
from tests.unit.spec.spec_cases import KMS, NET, full_job, full_job_psc, full_job_tpu, make_resource


@pytest.mark.parametrize("make", [full_job, full_job_psc, full_job_tpu])
def test_round_trip_keeps_every_field_when_going_through_proto(make: Any) -> None:
    normalized = normalize_custom_job(make())
    assert normalized.failures == []
    job = custom_job_to_proto(normalized.value)
    assert isinstance(job, aiplatform_v1.CustomJob)
    assert custom_job_from_proto(job) == normalized.value
    # and the raw protobuf message is accepted too
    assert custom_job_from_proto(aiplatform_v1.CustomJob.pb(job)) == normalized.value


def test_proto_has_typed_values_when_built_from_canonical() -> None:
    job = custom_job_to_proto(normalize_custom_job(full_job()).value)
    pool = job.job_spec.worker_pool_specs[1]
    assert pool.replica_count == 2
    assert pool.machine_spec.accelerator_type == aiplatform_v1.AcceleratorType.NVIDIA_TESLA_A100
    assert job.job_spec.scheduling.timeout.total_seconds() == 7200
    assert job.job_spec.scheduling.strategy == aiplatform_v1.Scheduling.Strategy.FLEX_START
    assert len(job.job_spec.worker_pool_specs) == 4
    assert job.job_spec.worker_pool_specs[2] == aiplatform_v1.WorkerPoolSpec()


def test_from_proto_ignores_output_fields_when_reading_a_live_job() -> None:
    job = custom_job_to_proto(normalize_custom_job(full_job()).value)
    job.name = "projects/p/locations/us-central1/customJobs/1"
    job.state = aiplatform_v1.JobState.JOB_STATE_RUNNING
    job.web_access_uris["workerpool0-0"] = "https://x"
    assert custom_job_from_proto(job) == normalize_custom_job(full_job()).value


def test_to_proto_refuses_when_values_are_unknown() -> None:
    with pytest.raises(ValueError, match="unknown"):
        custom_job_to_proto({"display_name": UNKNOWN})


def test_persistent_resource_round_trip_keeps_every_field() -> None:
    raw = make_resource()
    raw.update(
        display_name="warm",
        network=NET,
        reserved_ip_ranges=["r"],
        labels={"team": "ml"},
        encryption_spec={"kms_key_name": KMS},
        resource_runtime_spec={
            "service_account_spec": {
                "enable_custom_service_account": True,
                "service_account": "sa@p.iam.gserviceaccount.com",
            },
            "ray_spec": {
                "image_uri": "us-docker.pkg.dev/vertex-ai/training/ray-cpu.2-9.py310:latest",
                "resource_pool_images": {"head": "img-a", "workers": "img-b"},
                "head_node_resource_pool_id": "head",
                "ray_metric_spec": {"disabled": True},
                "ray_logs_spec": {"disabled": True},
            },
        },
        resource_pools=[
            {
                "id": "head",
                "machine_spec": {"machine_type": "n1-standard-8"},
                "replica_count": 1,
                "disk_spec": {"boot_disk_type": "pd-ssd", "boot_disk_size_gb": 150},
            },
            {
                "id": "workers",
                "machine_spec": {
                    "machine_type": "g2-standard-12",
                    "accelerator_type": "NVIDIA_L4",
                    "accelerator_count": 1,
                },
                "replica_count": 2,
                "autoscaling_spec": {"min_replica_count": 1, "max_replica_count": 4},
            },
        ],
    )
    normalized = normalize_persistent_resource(raw)
    assert normalized.failures == []
    resource = persistent_resource_to_proto(normalized.value)
    assert resource.resource_pools[1].autoscaling_spec.max_replica_count == 4
    resource.name = "projects/p/locations/us-central1/persistentResources/warm-pool"
    resource.resource_pools[1].used_replica_count = 1  # output only: dropped on the way back
    assert persistent_resource_from_proto(resource) == normalized.value
