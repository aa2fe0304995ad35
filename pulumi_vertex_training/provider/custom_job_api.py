"""CustomJob API calls: plain functions over the Vertex AI JobService (submit or adopt,
wait, cancel, delete). The job's logs are read by ``job_logs.py``.

The provider class (``custom_job.py``) decides what to do; these do it, each
through a client built per call by ``client.py``. Idempotent calls (get, list,
cancel, delete) retry transient errors; create is never retried blindly:
after a transient failure it goes back through adoption, so a response lost
on the way back never submits a second job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import progress
from pulumi_vertex_training.provider.retries import (
    backoff,
    explain,
    explained,
    is_transient,
    transient_retry,
)
from pulumi_vertex_training.provider.values import time_string
from pulumi_vertex_training.spec.resource_names import location_of

if TYPE_CHECKING:
    from google.cloud.aiplatform_v1 import CustomJob, JobServiceClient

SPEC_HASH_LABEL = "pulumi-vertex-spec"
"""Label carrying the hash of the job's canonical spec (adoption key, with the next)."""
RESOURCE_LABEL = "pulumi-vertex-resource"
"""Label carrying a hash of the stack-qualified resource name."""

TERMINAL_STATES = frozenset(
    {
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_EXPIRED",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
    }
)
FAILED_STATES = frozenset({"JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"})
STARTED_STATES = frozenset({"JOB_STATE_RUNNING"}) | TERMINAL_STATES
# A job that is failing or failed is never adopted: the next `up` re-runs it.
NOT_ADOPTABLE = FAILED_STATES | {"JOB_STATE_CANCELLING"}


class JobFailedError(Exception):
    """The job ended FAILED or CANCELLED while we waited for it."""


class WaitTimeoutError(Exception):
    """The wait's own bound ran out before the job reached the state waited for."""


def get_job(name: str) -> CustomJob | None:
    """The live job, or None when it does not exist (deleted elsewhere)."""
    from google.api_core import exceptions

    jobs = client.job_service_client(location_of(name))
    try:
        with explained(name):
            return jobs.get_custom_job(name=name, retry=transient_retry())
    except exceptions.NotFound:
        return None


def find_adoptable(
    jobs: JobServiceClient, parent: str, spec_hash: str, resource_hash: str
) -> CustomJob | None:
    """The newest job with our labels that has not failed, if any."""
    query = f'labels.{SPEC_HASH_LABEL}="{spec_hash}" AND labels.{RESOURCE_LABEL}="{resource_hash}"'
    found = [
        job
        for job in jobs.list_custom_jobs(
            request={"parent": parent, "filter": query}, retry=transient_retry()
        )
        if job.state.name not in NOT_ADOPTABLE
    ]
    found.sort(key=lambda job: job.create_time, reverse=True)
    return found[0] if found else None


def submit_or_adopt(
    parent: str, job: CustomJob, spec_hash: str, resource_hash: str, attempts: int = 6
) -> tuple[CustomJob, bool]:
    """Adopt a live job with the same labels, or create one. Returns (job, adopted).

    CreateCustomJob takes no request id, so a retry could make a second job. On
    a transient error the next attempt lists by labels first, which finds the
    job if the server did create it before the response was lost.
    """
    jobs = client.job_service_client(location_of(parent))
    last: BaseException | None = None
    for attempt in range(attempts):
        try:
            existing = find_adoptable(jobs, parent, spec_hash, resource_hash)
            if existing is not None:
                return existing, True
            return jobs.create_custom_job(parent=parent, custom_job=job), False
        except Exception as exc:
            if not is_transient(exc):
                raise explain(exc, parent) from exc
            last = exc
            time.sleep(backoff(attempt))
    raise RuntimeError(f"could not submit the job to {parent} after {attempts} tries: {last}")


def wait_for(
    name: str,
    until: frozenset[str],
    timeout: float,
    on_state: Callable[[CustomJob], None] | None = None,
    on_poll: Callable[[CustomJob], None] | None = None,
) -> CustomJob:
    """Poll the job until its state is in ``until``; report each state change
    (``on_state``) and hand every look at it to ``on_poll`` (log streaming).

    Raises:
        WaitTimeoutError: ``timeout`` seconds passed first.
        LookupError: the job was deleted while we waited.
    """
    interval = 0.1 if client.emulator_host() else 5.0
    ceiling = 1.0 if client.emulator_host() else 30.0
    deadline = time.monotonic() + timeout
    seen = ""
    while True:
        job = get_job(name)
        if job is None:
            raise LookupError(f"{name} was deleted while waiting for it")
        state = job.state.name
        if state != seen:
            seen = state
            if on_state:
                on_state(job)
        if state in until:
            return job
        if on_poll:
            on_poll(job)
        if time.monotonic() >= deadline:
            raise WaitTimeoutError(
                f"{name} is still {state} after waiting {timeout:.0f}s (wait_timeout). "
                "The job keeps running in Vertex AI; the next `pulumi up` adopts it and "
                "waits again. Raise wait_timeout or use wait='none' to not wait."
            )
        time.sleep(interval)
        interval = min(interval * 1.5, ceiling)


def cancel_and_delete(name: str, timeout: float) -> None:
    """Cancel the job unless it has ended, wait for it to end, delete it.

    NOT_FOUND at any point means it is already gone: success.
    """
    from google.api_core import exceptions

    jobs = client.job_service_client(location_of(name))
    job = get_job(name)
    if job is None:
        return
    with explained(name):
        try:
            if job.state.name not in TERMINAL_STATES:
                progress.info(f"cancelling {name} ({job.state.name})")
                try:
                    jobs.cancel_custom_job(name=name, retry=transient_retry())
                except exceptions.FailedPrecondition:
                    pass  # it ended between our get and the cancel
                wait_for(name, TERMINAL_STATES, timeout)
            operation = jobs.delete_custom_job(name=name, retry=transient_retry())
            client.wait_for_operation(operation, timeout)
        except (exceptions.NotFound, LookupError):
            return


def job_outputs(job: CustomJob) -> dict[str, Any]:
    """The computed outputs of a CustomJob resource, from the live job."""
    base = job.job_spec.base_output_directory.output_uri_prefix
    if base and not base.endswith("/"):
        base += "/"
    error = None
    if job.error and (job.error.code or job.error.message):
        error = {"code": job.error.code, "message": job.error.message}
    return {
        "job_id": job.name.rsplit("/", 1)[-1],
        "state": job.state.name,
        "error": error,
        "create_time": time_string(job.create_time),
        "start_time": time_string(job.start_time),
        "end_time": time_string(job.end_time),
        "update_time": time_string(job.update_time),
        "console_url": client.console_url(job.name),
        "web_access_uris": dict(job.web_access_uris),
        "model_dir": f"{base}model/" if base else None,
        "checkpoint_dir": f"{base}checkpoints/" if base else None,
        "tensorboard_log_dir": f"{base}logs/" if base else None,
    }
