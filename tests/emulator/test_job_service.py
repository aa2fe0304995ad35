"""JobService custom-job RPCs through the official client, jobs run by real Docker."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1 import JobState

PARENT = "projects/test-project/locations/us-central1"

pytestmark = pytest.mark.docker


def _create(job_client: Any, job: dict[str, Any], parent: str = PARENT) -> aiplatform_v1.CustomJob:
    return job_client.create_custom_job(parent=parent, custom_job=job)


def test_create_returns_queued_job_with_numeric_name_when_request_is_valid(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(job_client, make_custom_job(display_name="named", labels={"team": "ml"}))
    assert job.name.startswith(f"{PARENT}/customJobs/")
    assert job.name.rsplit("/", 1)[1].isdigit()
    assert job.state == JobState.JOB_STATE_QUEUED
    assert job.display_name == "named"
    assert dict(job.labels) == {"team": "ml"}
    assert job.create_time and job.update_time
    wait_for_job(job.name)


def test_job_ids_increase_when_jobs_are_created_one_after_another(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    first = _create(job_client, make_custom_job())
    second = _create(job_client, make_custom_job())
    assert int(second.name.rsplit("/", 1)[1]) > int(first.name.rsplit("/", 1)[1])
    wait_for_job(first.name)
    wait_for_job(second.name)


def test_job_succeeds_with_times_set_when_command_exits_zero(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(job_client, make_custom_job("print('ok')"))
    done = wait_for_job(job.name)
    assert done.state == JobState.JOB_STATE_SUCCEEDED, done.error
    assert done.create_time <= done.start_time <= done.end_time
    assert done.update_time >= done.end_time
    assert not done.error.message


def test_job_fails_with_exit_code_and_log_tail_when_command_exits_non_zero(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    code = "import sys; print('the-last-words'); sys.exit(3)"
    job = _create(job_client, make_custom_job(code))
    done = wait_for_job(job.name)
    assert done.state == JobState.JOB_STATE_FAILED
    assert done.error.code != 0
    assert "3" in done.error.message
    assert "the-last-words" in done.error.message
    assert "workerpool0-0" in done.error.message


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
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(job_client, make_custom_job())
    wait_for_job(job.name)
    with pytest.raises(exceptions.FailedPrecondition, match="already finished"):
        job_client.cancel_custom_job(name=job.name)


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
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(job_client, make_custom_job("import time; time.sleep(60)"))
    wait_for_job(job.name, JobState.JOB_STATE_RUNNING)
    with pytest.raises(exceptions.FailedPrecondition, match="JOB_STATE_RUNNING"):
        job_client.delete_custom_job(name=job.name)
    assert job_client.get_custom_job(name=job.name).state == JobState.JOB_STATE_RUNNING
    job_client.cancel_custom_job(name=job.name)
    wait_for_job(job.name)


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


def test_list_pages_newest_first_when_page_size_is_smaller_than_the_job_count(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    parent = "projects/list-project/locations/europe-west4"
    created = [_create(job_client, make_custom_job(), parent=parent).name for _ in range(3)]
    pager = job_client.list_custom_jobs(request={"parent": parent, "page_size": 2})
    pages = list(pager.pages)
    assert [len(p.custom_jobs) for p in pages] == [2, 1]
    assert [j.name for p in pages for j in p.custom_jobs] == created[::-1]
    for name in created:
        wait_for_job(name)


def test_list_filters_by_label_when_filter_is_given(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    tagged = _create(job_client, make_custom_job(labels={"pick": "me"}))
    other = _create(job_client, make_custom_job())
    names = [
        j.name
        for j in job_client.list_custom_jobs(
            request={"parent": PARENT, "filter": 'labels.pick="me"'}
        )
    ]
    assert names == [tagged.name]
    wait_for_job(tagged.name)
    wait_for_job(other.name)


def test_list_raises_invalid_argument_when_page_token_is_not_ours(job_client: Any) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="page_token"):
        list(job_client.list_custom_jobs(request={"parent": PARENT, "page_token": "garbage!"}))


def test_web_access_uris_are_keyed_by_replica_when_web_access_is_enabled(
    job_client: Any, make_custom_job: Any, wait_for_job: Any
) -> None:
    job = _create(
        job_client, make_custom_job("import time; time.sleep(30)", enable_web_access=True)
    )
    running = wait_for_job(job.name, JobState.JOB_STATE_RUNNING)
    assert set(running.web_access_uris) == {"workerpool0-0"}
    job_client.cancel_custom_job(name=job.name)
    wait_for_job(job.name)
