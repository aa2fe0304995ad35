"""CustomJob API calls: the JobService RPCs of CustomJobs, and the job's outputs.

Submit or adopt, wait, cancel and delete are the same for every long-running job
(``job_api.py``); here they are bound to CustomJobs. The provider class
(``custom_job.py``) decides what to do; these do it. The job's logs are read by
``job_logs.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import job_api
from pulumi_vertex_training.provider.job_api import (
    RESOURCE_LABEL,
    SPEC_HASH_LABEL,
    JobApi,
    JobFailedError,
    JobStates,
    WaitTimeoutError,
)
from pulumi_vertex_training.provider.values import time_string

if TYPE_CHECKING:
    from google.cloud.aiplatform_v1 import CustomJob

JOB_STATES = JobStates(
    running=frozenset({"JOB_STATE_RUNNING"}),
    succeeded=frozenset({"JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED"}),
    failed=frozenset({"JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}),
    cancelling=frozenset({"JOB_STATE_CANCELLING"}),
)
"""The ``JobState`` names of JobService's jobs (CustomJob, HyperparameterTuningJob)."""

CUSTOM_JOBS = JobApi(
    noun="job",
    client=lambda location: client.job_service_client(location),
    get="get_custom_job",
    list="list_custom_jobs",
    create="create_custom_job",
    create_field="custom_job",
    cancel="cancel_custom_job",
    delete="delete_custom_job",
    states=JOB_STATES,
)

TERMINAL_STATES = JOB_STATES.terminal
FAILED_STATES = JOB_STATES.failed
STARTED_STATES = JOB_STATES.started

__all__ = [
    "CUSTOM_JOBS",
    "FAILED_STATES",
    "JOB_STATES",
    "RESOURCE_LABEL",
    "SPEC_HASH_LABEL",
    "STARTED_STATES",
    "TERMINAL_STATES",
    "JobFailedError",
    "WaitTimeoutError",
    "cancel_and_delete",
    "get_job",
    "job_outputs",
    "submit_or_adopt",
    "wait_for",
]


def get_job(name: str) -> CustomJob | None:
    """The live job, or None when it does not exist (deleted elsewhere)."""
    return job_api.get(CUSTOM_JOBS, name)


def submit_or_adopt(
    parent: str, job: CustomJob, spec_hash: str, resource_hash: str
) -> tuple[CustomJob, bool]:
    """Adopt a live job with the same labels, or create ``job``: (job, adopted)."""
    return job_api.submit_or_adopt(CUSTOM_JOBS, parent, job, spec_hash, resource_hash)


def wait_for(
    name: str,
    until: frozenset[str],
    timeout: float,
    on_state: Callable[[CustomJob], None] | None = None,
    on_poll: Callable[[CustomJob], None] | None = None,
) -> CustomJob:
    """Poll the job until its state is in ``until`` (see :func:`job_api.wait_for`)."""
    return job_api.wait_for(CUSTOM_JOBS, name, until, timeout, on_state, on_poll)


def cancel_and_delete(name: str, timeout: float) -> None:
    """Cancel the job unless it has ended, wait for it to end, delete it."""
    job_api.cancel_and_delete(CUSTOM_JOBS, name, timeout)


def output_dirs(base: str) -> dict[str, Any]:
    """The directories Vertex gives a job with ``base_output_directory`` ``base``:
    ``AIP_MODEL_DIR`` and its siblings (None each when there is no base)."""
    if base and not base.endswith("/"):
        base += "/"
    return {
        "model_dir": f"{base}model/" if base else None,
        "checkpoint_dir": f"{base}checkpoints/" if base else None,
        "tensorboard_log_dir": f"{base}logs/" if base else None,
    }


def job_outputs(job: CustomJob) -> dict[str, Any]:
    """The computed outputs of a CustomJob resource, from the live job."""
    return {
        "job_id": job.name.rsplit("/", 1)[-1],
        "state": job.state.name,
        "error": job_api.error_of(job),
        "create_time": time_string(job.create_time),
        "start_time": time_string(job.start_time),
        "end_time": time_string(job.end_time),
        "update_time": time_string(job.update_time),
        "console_url": client.console_url(job.name),
        "web_access_uris": dict(job.web_access_uris),
        **output_dirs(job.job_spec.base_output_directory.output_uri_prefix),
    }
