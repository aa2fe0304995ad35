"""CustomJobProvider called directly against the emulator (real Docker)."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import aiplatform_v1

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import custom_job_api
from pulumi_vertex_training.provider.custom_job import job_identity
from pulumi_vertex_training.spec import custom_job_to_proto
from tests.provider.conftest import job_props, python_job_spec

pytestmark = pytest.mark.usefixtures("emulator")

LONG = "import time; time.sleep(120)"


# -- create / wait ------------------------------------------------------------------


def test_create_with_wait_none_returns_once_submitted(provider, checked, emulator) -> None:  # type: ignore[no-untyped-def]
    result = provider.create(checked(job_props(LONG, wait="none")))
    try:
        assert result.id.startswith("projects/test-project/locations/us-central1/customJobs/")
        assert result.outs["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING")
        # against the emulator, the console URL is the emulator's own console page
        assert result.outs["console_url"] == f"http://{emulator.rest_address}/console/{result.id}"
        assert len(result.outs["spec_hash"]) == 32
    finally:
        provider.delete(result.id, result.outs)


def test_create_with_wait_completed_outputs_the_finished_job(provider, checked) -> None:  # type: ignore[no-untyped-def]
    props = job_props(
        "print('done')",
        wait="completed",
        job_spec=python_job_spec(
            "print('done')", base_output_directory={"output_uri_prefix": "gs://bucket-b/run"}
        ),
    )
    result = provider.create(checked(props))
    outs = result.outs
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert outs["model_dir"] == "gs://bucket-b/run/model/"
    assert outs["checkpoint_dir"] == "gs://bucket-b/run/checkpoints/"
    assert outs["tensorboard_log_dir"] == "gs://bucket-b/run/logs/"
    assert outs["start_time"] and outs["end_time"] and outs["error"] is None
    provider.delete(result.id, outs)
    assert custom_job_api.get_job(result.id) is None


def test_create_with_wait_completed_fails_with_the_jobs_error(provider, checked, emulator) -> None:  # type: ignore[no-untyped-def]
    props = job_props("import sys; print('boom'); sys.exit(3)", wait="completed")
    with pytest.raises(custom_job_api.JobFailedError, match="JOB_STATE_FAILED") as raised:
        provider.create(checked(props))
    assert f"Console: http://{emulator.rest_address}/console/projects/" in str(raised.value)


def test_create_with_wait_started_returns_when_running(provider, checked) -> None:  # type: ignore[no-untyped-def]
    result = provider.create(checked(job_props(LONG, wait="started")))
    try:
        assert result.outs["state"] == "JOB_STATE_RUNNING"
    finally:
        provider.delete(result.id, result.outs)


def test_wait_says_so_when_its_bound_runs_out(provider, checked) -> None:  # type: ignore[no-untyped-def]
    props = checked(job_props(LONG, wait="completed", wait_timeout="1s"))
    with pytest.raises(custom_job_api.WaitTimeoutError, match="wait_timeout"):
        provider.create(props)
    # the job was left running; the next create adopts it rather than submitting again
    adopted = provider.create({**props, "wait": "none"})
    assert _jobs_labelled(props) == [adopted.id]
    provider.delete(adopted.id, adopted.outs)


# -- adoption -----------------------------------------------------------------------


def _jobs_labelled(props: dict[str, Any]) -> list[str]:
    _, digest, resource_hash = job_identity(props)
    query = (
        f'labels.{custom_job_api.SPEC_HASH_LABEL}="{digest}" AND '
        f'labels.{custom_job_api.RESOURCE_LABEL}="{resource_hash}"'
    )
    listing = client.job_service_client("us-central1").list_custom_jobs(
        request={"parent": "projects/test-project/locations/us-central1", "filter": query}
    )
    return [job.name for job in listing]


def test_create_adopts_the_job_a_crashed_run_submitted(provider, checked) -> None:  # type: ignore[no-untyped-def]
    props = checked(job_props(LONG))
    # a previous `up` submitted this job and crashed before writing state
    canonical, digest, resource_hash = job_identity(props)
    job = custom_job_to_proto(canonical)
    job.labels[custom_job_api.SPEC_HASH_LABEL] = digest
    job.labels[custom_job_api.RESOURCE_LABEL] = resource_hash
    first = client.job_service_client("us-central1").create_custom_job(
        parent="projects/test-project/locations/us-central1", custom_job=job
    )
    result = provider.create(props)
    assert result.id == first.name
    assert _jobs_labelled(props) == [first.name]
    provider.delete(result.id, result.outs)


def test_create_reruns_a_job_whose_earlier_run_failed(provider, checked) -> None:  # type: ignore[no-untyped-def]
    props = checked(job_props("import sys; sys.exit(1)", wait="completed"))
    with pytest.raises(custom_job_api.JobFailedError):
        provider.create(props)
    with pytest.raises(custom_job_api.JobFailedError):
        provider.create(props)
    assert len(_jobs_labelled(props)) == 2


def test_same_spec_under_another_resource_name_is_a_separate_job(provider, checked) -> None:  # type: ignore[no-untyped-def]
    props = checked(job_props(LONG))
    first = provider.create(props)
    second = provider.create({**props, "resource_key": props["resource_key"] + "-other"})
    assert first.id != second.id
    provider.delete(first.id, first.outs)
    provider.delete(second.id, second.outs)


# -- read / update / delete ---------------------------------------------------------


def test_read_returns_live_state_and_drops_a_job_deleted_elsewhere(provider, checked) -> None:  # type: ignore[no-untyped-def]
    created = provider.create(checked(job_props("print(1)", wait="completed")))
    read = provider.read(created.id, created.outs)
    assert read.id == created.id and read.outs["state"] == "JOB_STATE_SUCCEEDED"
    client.job_service_client("us-central1").delete_custom_job(name=created.id).result(timeout=30)
    gone = provider.read(created.id, created.outs)
    assert not gone.id


def test_update_keeps_every_output_and_calls_nothing(provider, checked) -> None:  # type: ignore[no-untyped-def]
    olds = {**checked(job_props()), "state": "JOB_STATE_RUNNING", "job_id": "7", "spec_hash": "h"}
    news = checked({**olds, "wait": "completed"})
    outs = provider.update("projects/p/locations/l/customJobs/7", olds, news).outs
    assert outs["state"] == "JOB_STATE_RUNNING" and outs["job_id"] == "7"
    assert outs["wait"] == "completed"


def test_delete_cancels_a_running_job_then_deletes_it(provider, checked) -> None:  # type: ignore[no-untyped-def]
    created = provider.create(checked(job_props(LONG, wait="started")))
    provider.delete(created.id, created.outs)
    assert custom_job_api.get_job(created.id) is None


def test_delete_with_on_delete_keep_leaves_the_job(provider, checked) -> None:  # type: ignore[no-untyped-def]
    created = provider.create(checked(job_props("print(1)", on_delete="keep")))
    provider.delete(created.id, created.outs)
    live = custom_job_api.get_job(created.id)
    assert live is not None
    custom_job_api.cancel_and_delete(created.id, 60)


def test_delete_of_a_job_already_gone_succeeds(provider) -> None:  # type: ignore[no-untyped-def]
    provider.delete("projects/test-project/locations/us-central1/customJobs/999999", {})


def test_created_jobs_carry_the_adoption_labels(provider, checked) -> None:  # type: ignore[no-untyped-def]
    created = provider.create(checked(job_props(labels={"team": "ml"})))
    live = custom_job_api.get_job(created.id)
    assert isinstance(live, aiplatform_v1.CustomJob)
    assert live.labels["team"] == "ml"
    assert live.labels[custom_job_api.SPEC_HASH_LABEL] == created.outs["spec_hash"]
    assert custom_job_api.RESOURCE_LABEL in live.labels
    provider.delete(created.id, created.outs)
