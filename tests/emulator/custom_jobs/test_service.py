"""JobService custom-job RPCs through the official client, jobs run by real Docker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState

from pulumi_vertex_training import client

PARENT = "projects/test-project/locations/us-central1"

pytestmark = pytest.mark.docker


def _create(job_client: Any, job: dict[str, Any], parent: str = PARENT) -> aiplatform_v1.CustomJob:
    return job_client.create_custom_job(parent=parent, custom_job=job)


@pytest.fixture(scope="module")
def finished_job(job_client: Any, make_custom_job: Any, wait_for_job: Any) -> tuple[Any, Any]:
    """(as created, as finished) of a job that prints and exits 0; shared to save containers."""
    created = _create(
        job_client, make_custom_job("print('ok')", display_name="named", labels={"pick": "me"})
    )
    return created, wait_for_job(created.name)


@pytest.fixture(scope="module")
def failed_job(job_client: Any, make_custom_job: Any, wait_for_job: Any) -> Any:
    """A finished job whose command printed a marker and exited 3."""
    code = "import sys; print('the-last-words'); sys.exit(3)"
    return wait_for_job(_create(job_client, make_custom_job(code)).name)


@pytest.fixture(scope="module")
def running_job(job_client: Any, make_custom_job: Any, wait_for_job: Any) -> Iterator[Any]:
    """A RUNNING job with web access enabled; cancelled after the module."""
    created = _create(
        job_client, make_custom_job("import time; time.sleep(300)", enable_web_access=True)
    )
    yield wait_for_job(created.name, JobState.JOB_STATE_RUNNING)
    job_client.cancel_custom_job(name=created.name)
    wait_for_job(created.name)


def test_create_returns_queued_job_with_numeric_name_when_request_is_valid(
    finished_job: tuple[Any, Any],
) -> None:
    job, _ = finished_job
    assert job.name.startswith(f"{PARENT}/customJobs/")
    assert job.name.rsplit("/", 1)[1].isdigit()
    assert job.state == JobState.JOB_STATE_QUEUED
    assert job.display_name == "named"
    assert dict(job.labels) == {"pick": "me"}
    assert job.create_time and job.update_time


def test_job_succeeds_with_times_set_when_command_exits_zero(
    finished_job: tuple[Any, Any],
) -> None:
    _, done = finished_job
    assert done.state == JobState.JOB_STATE_SUCCEEDED, done.error
    assert done.create_time <= done.start_time <= done.end_time
    assert done.update_time >= done.end_time
    assert not done.error.message


def test_job_fails_in_vertex_words_and_its_last_words_are_in_cloud_logging(
    failed_job: Any,
) -> None:
    assert failed_job.state == JobState.JOB_STATE_FAILED
    assert failed_job.error.code == 3
    job_id = failed_job.name.rsplit("/", 1)[1]
    assert failed_job.error.message == (
        "The replica workerpool0-0 exited with a non-zero status of 3. To find out more about "
        "why your job exited please check the logs: https://console.cloud.google.com/logs/viewer"
        f"?project=test-project&resource=ml_job%2Fjob_id%2F{job_id}&advancedFilter="
        f"resource.type%3D%22ml_job%22%0Aresource.labels.job_id%3D%22{job_id}%22"
    )
    logs = client.logging_client().list_log_entries(
        resource_names=["projects/test-project"],
        filter=f'resource.type="ml_job" resource.labels.job_id="{job_id}"',
    )
    assert [e.json_payload["message"] for e in logs] == ["the-last-words"]


def test_job_fails_with_timeout_message_when_scheduling_timeout_passes(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(
        job_client,
        make_custom_job("import time; time.sleep(60)", scheduling={"timeout": "1s"}),
    )
    done = wait_for_job(job.name, timeout=60)
    assert done.state == JobState.JOB_STATE_FAILED
    assert "timed out" in done.error.message
    assert "scheduling.timeout" in done.error.message


def test_cancel_ends_cancelled_with_code_1_when_job_is_running(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(job_client, make_custom_job("import time; time.sleep(60)"))
    wait_for_job(job.name, JobState.JOB_STATE_RUNNING)
    job_client.cancel_custom_job(name=job.name)
    assert job_client.get_custom_job(name=job.name).state in (
        JobState.JOB_STATE_CANCELLING,
        JobState.JOB_STATE_CANCELLED,
    )
    done = wait_for_job(job.name)
    assert done.state == JobState.JOB_STATE_CANCELLED
    assert done.error.code == 1
    assert done.end_time


def test_cancel_ends_cancelled_when_job_was_just_created(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(job_client, make_custom_job("import time; time.sleep(60)"))
    job_client.cancel_custom_job(name=job.name)
    assert wait_for_job(job.name).state == JobState.JOB_STATE_CANCELLED


def test_cancel_raises_failed_precondition_when_job_has_finished(
    job_client: Any, finished_job: tuple[Any, Any]
) -> None:
    with pytest.raises(exceptions.FailedPrecondition, match="already finished"):
        job_client.cancel_custom_job(name=finished_job[0].name)


def test_delete_removes_job_through_a_done_operation_when_job_has_finished(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(job_client, make_custom_job())
    wait_for_job(job.name)
    operation = job_client.delete_custom_job(name=job.name)
    assert operation.operation.name.startswith(f"{job.name}/operations/")
    operation.result(timeout=10)
    assert operation.metadata.generic_metadata.create_time
    with pytest.raises(exceptions.NotFound):
        job_client.get_custom_job(name=job.name)
    polled = job_client._transport.operations_client.get_operation(operation.operation.name)
    assert polled.done


def test_delete_raises_failed_precondition_when_job_is_running(
    job_client: Any, running_job: Any
) -> None:
    with pytest.raises(exceptions.FailedPrecondition, match="JOB_STATE_RUNNING"):
        job_client.delete_custom_job(name=running_job.name)
    assert job_client.get_custom_job(name=running_job.name).state == JobState.JOB_STATE_RUNNING


@pytest.mark.parametrize(
    "call",
    [
        lambda c, n: c.get_custom_job(name=n),
        lambda c, n: c.cancel_custom_job(name=n),
        lambda c, n: c.delete_custom_job(name=n),
    ],
    ids=["get", "cancel", "delete"],
)
def test_rpc_raises_not_found_when_job_does_not_exist(job_client: Any, call: Any) -> None:
    with pytest.raises(exceptions.NotFound, match="customJobs/999999999"):
        call(job_client, f"{PARENT}/customJobs/999999999")


def test_get_operation_raises_not_found_when_operation_does_not_exist(job_client: Any) -> None:
    with pytest.raises(exceptions.NotFound):
        job_client._transport.operations_client.get_operation(
            f"{PARENT}/customJobs/1/operations/424242"
        )


def test_list_pages_newest_first_with_increasing_ids_when_page_size_is_below_job_count(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    parent = "projects/list-project/locations/europe-west4"
    created = [_create(job_client, make_custom_job(), parent=parent).name for _ in range(3)]
    pager = job_client.list_custom_jobs(request={"parent": parent, "page_size": 2})
    pages = list(pager.pages)
    assert [len(p.custom_jobs) for p in pages] == [2, 1]
    assert [j.name for p in pages for j in p.custom_jobs] == created[::-1]
    ids = [int(name.rsplit("/", 1)[1]) for name in created]
    assert ids == sorted(ids) and len(set(ids)) == 3
    for name in created:
        wait_for_job(name)


def test_list_filters_by_label_when_filter_is_given(
    job_client: Any, finished_job: tuple[Any, Any], failed_job: Any
) -> None:
    request = {"parent": PARENT, "filter": 'labels.pick="me"'}
    assert [j.name for j in job_client.list_custom_jobs(request=request)] == [finished_job[0].name]


def test_list_raises_invalid_argument_when_page_token_is_not_ours(job_client: Any) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="page_token"):
        list(job_client.list_custom_jobs(request={"parent": PARENT, "page_token": "garbage!"}))


def test_web_access_uris_are_keyed_by_replica_when_web_access_is_enabled(
    running_job: Any,
) -> None:
    assert set(running_job.web_access_uris) == {"workerpool0-0"}


def test_job_without_replica_count_runs_its_primary_replica_and_check_agrees(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    # Pool 0's replica_count unset (0 on the wire): validation and check() read 1, and the
    # runner must run that one replica (it failed the job: "no pool has replica_count > 0").
    from pulumi_vertex_training.spec import normalize_custom_job

    code = "import json, os; print(json.loads(os.environ['CLUSTER_SPEC'])['cluster'])"
    job = make_custom_job(code)
    del job["job_spec"]["worker_pool_specs"][0]["replica_count"]
    normalized = normalize_custom_job(job)
    assert normalized.failures == []
    assert normalized.value["job_spec"]["worker_pool_specs"][0]["replica_count"] == 1
    created = _create(job_client, job)
    assert created.job_spec.worker_pool_specs[0].replica_count == 0  # stored as sent
    done = wait_for_job(created.name)
    assert done.state == JobState.JOB_STATE_SUCCEEDED, done.error
