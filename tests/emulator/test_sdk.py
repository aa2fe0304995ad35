"""The high-level Vertex SDK (``google.cloud.aiplatform``) over REST against the emulator.

How the SDK is pointed at the emulator: ``aiplatform.init(api_endpoint="http://HOST:PORT",
api_transport="rest", credentials=AnonymousCredentials())``. The initializer hands
``api_endpoint`` unchanged to every client as ``ClientOptions(api_endpoint=...)`` and the
REST transport honours the ``http://`` scheme; anonymous credentials skip ADC.

Two things the SDK needs that a test must supply:

* ``CustomJob(...)`` raises RuntimeError without a staging bucket, but for a plain
  container job it only uses the bucket's *name*, to default ``base_output_dir`` to
  ``gs://BUCKET/aiplatform-custom-job-<timestamp>``; no GCS call is made. So a made-up
  ``staging_bucket="gs://vertex-local-staging"`` is enough (the emulator maps the output
  dir to a local folder mounted at ``/gcs/...``). ``base_output_dir=None`` does not avoid
  it: the constructor checks the bucket first.
* ``run(sync=True)`` polls GetCustomJob every ``google.cloud.aiplatform.jobs._JOB_WAIT_TIME``
  seconds (5). No public option changes that; the module constant is read at each poll,
  so the tests monkeypatch it to 0.1 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform import initializer, jobs

pytestmark = pytest.mark.docker

PROJECT = "test-project"
IMAGE = "local/python:3.11"


@pytest.fixture
def sdk(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``aiplatform.init`` aimed at the emulator's REST port; restores the global config after."""
    monkeypatch.setattr(jobs, "_JOB_WAIT_TIME", 0.1)
    saved = dict(initializer.global_config.__dict__)
    aiplatform.init(
        project=PROJECT,
        location="us-central1",
        api_transport="rest",
        api_endpoint="http://" + emulator.rest_address,
        credentials=AnonymousCredentials(),
        staging_bucket="gs://vertex-local-staging",
    )
    try:
        yield
    finally:
        initializer.global_config.__dict__.clear()
        initializer.global_config.__dict__.update(saved)


def _pools(code: str) -> list[dict[str, Any]]:
    return [
        {
            "machine_spec": {"machine_type": "n1-standard-4"},
            "replica_count": 1,
            "container_spec": {"image_uri": IMAGE, "command": ["python", "-c", code]},
        }
    ]


def test_sdk_runs_container_job_to_succeeded_when_using_rest_transport(sdk: None) -> None:
    job = aiplatform.CustomJob(
        display_name="sdk-succeeds",
        worker_pool_specs=_pools("print('hello from the SDK')"),
        labels={"via": "sdk"},
    )
    job.run(sync=True)
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
    assert job.resource_name.startswith(f"projects/{PROJECT}/locations/us-central1/customJobs/")
    assert type(job.api_client.transport).__name__ == "JobServiceRestTransport"
    output = job.gca_resource.job_spec.base_output_directory.output_uri_prefix
    assert output.startswith("gs://vertex-local-staging/aiplatform-custom-job-")

    fetched = aiplatform.CustomJob.get(job.resource_name)
    assert fetched.display_name == "sdk-succeeds"
    listed = aiplatform.CustomJob.list(filter='labels.via="sdk" AND display_name="sdk-succeeds"')
    assert job.resource_name in [j.resource_name for j in listed]


def test_sdk_run_raises_with_job_error_when_container_exits_non_zero(sdk: None) -> None:
    job = aiplatform.CustomJob(
        display_name="sdk-fails",
        worker_pool_specs=_pools("import sys; print('about to fail'); sys.exit(3)"),
    )
    with pytest.raises(RuntimeError, match="Job failed with") as info:
        job.run(sync=True)
    assert "The replica workerpool0-0 exited with a non-zero status of 3." in str(info.value)
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_FAILED
