"""``wire.py``'s hand-described messages read what the real API writes, page after page."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud import aiplatform_v1
from google.protobuf import timestamp_pb2

from pulumi_vertex_training.emulator import wire
from pulumi_vertex_training.emulator.execution.types import JobRun, RunPhase, RunStatus
from pulumi_vertex_training.emulator.server import EmulatorServer

PARENT = "projects/wire/locations/us-central1"


@pytest.mark.parametrize(
    "message", ["CustomJob", "ListCustomJobsRequest", "ListCustomJobsResponse"]
)
def test_each_described_field_has_the_number_and_wire_type_of_the_real_field(message: str) -> None:
    real = getattr(aiplatform_v1, message).pb().DESCRIPTOR.fields_by_name
    ours = wire.messages()[message].DESCRIPTOR.fields

    for field in ours:
        assert field.number == real[field.name].number, field.name
        enum_as_int = real[field.name].type == real[field.name].TYPE_ENUM
        assert enum_as_int or field.type == real[field.name].type, field.name


def test_job_state_names_are_the_api_enum_by_number() -> None:
    assert tuple(s.name for s in sorted(aiplatform_v1.JobState, key=int)) == wire.JOB_STATES


def test_a_real_response_reads_back_with_the_fields_jobs_prints() -> None:
    created = timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=500_000_000)
    real = aiplatform_v1.ListCustomJobsResponse.pb()(next_page_token="next")
    job = real.custom_jobs.add(name=f"{PARENT}/customJobs/7", display_name="d", state=4)
    job.create_time.CopyFrom(created)
    job.labels["a"] = "b"
    job.job_spec.worker_pool_specs.add().container_spec.image_uri = "img"

    read = wire.messages()["ListCustomJobsResponse"].FromString(real.SerializeToString())
    [summary] = [wire._summary(j) for j in read.custom_jobs]

    assert read.next_page_token == "next"
    assert (summary.name, summary.display_name, summary.state) == (
        f"{PARENT}/customJobs/7",
        "d",
        "JOB_STATE_SUCCEEDED",
    )
    assert summary.create_time.timestamp() == 1_700_000_000.5


class _Idle:
    def start(self, run: JobRun) -> None:
        pass

    def status(self, job_name: str) -> RunStatus:
        return RunStatus(RunPhase.STARTING)

    def stop(self, job_name: str) -> None:
        pass

    def cleanup(self, job_name: str) -> None:
        pass

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        return iter(())

    def known_jobs(self) -> set[str]:
        return set()


def test_listing_follows_page_tokens_newest_first_when_jobs_span_pages(
    tmp_path: pathlib.Path,
) -> None:
    def no_cluster(job: Any, data_dir: pathlib.Path, instance: str) -> JobRun:
        return JobRun(job_name=job.name, job_id=job.name.rsplit("/", 1)[1], replicas=())

    with EmulatorServer(tmp_path, rest_port=None, runner=_Idle(), build_job_run=no_cluster) as em:
        assert em.backend is not None
        spec = {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "local/python:3.11"},
                }
            ]
        }
        names = [
            em.backend.create_custom_job(
                PARENT, aiplatform_v1.CustomJob(display_name=f"j{i}", job_spec=spec)
            ).name
            for i in range(130)
        ]

        listed = list(wire.list_custom_jobs(em.grpc_address, "projects/-/locations/-"))

    assert [j.name for j in listed] == list(reversed(names))
    assert [j.display_name for j in listed[:2]] == ["j129", "j128"]
    assert {j.state for j in listed} <= {"JOB_STATE_QUEUED", "JOB_STATE_PENDING"}
