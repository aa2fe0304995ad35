"""API calls every long-running Vertex AI job shares: submit or adopt, wait, cancel, delete.

A CustomJob, a HyperparameterTuningJob and a TrainingPipeline are created, watched
and removed the same way, through differently named RPCs; a :class:`JobApi` names
them, and the functions here do the rest, each through a client built per call by
``client.py``. Idempotent calls (get, list, cancel, delete) retry transient errors;
create is never retried blindly: none of these RPCs takes a request id, so after a
transient failure the next attempt lists by the adoption labels first, and a
response lost on the way back never submits a second job.

Example:
    >>> from pulumi_vertex_training.provider.custom_job_api import CUSTOM_JOBS
    >>> live = get(CUSTOM_JOBS, "projects/p/locations/us-central1/customJobs/1")  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import progress
from pulumi_vertex_training.provider.retries import (
    backoff,
    explain,
    explained,
    is_transient,
    transient_retry,
)
from pulumi_vertex_training.spec.resource_names import location_of

SPEC_HASH_LABEL = "pulumi-vertex-spec"
"""Label carrying the hash of the job's canonical spec (adoption key, with the next)."""
RESOURCE_LABEL = "pulumi-vertex-resource"
"""Label carrying a hash of the stack-qualified resource name."""


class JobFailedError(Exception):
    """The job ended FAILED or CANCELLED while we waited for it."""


class WaitTimeoutError(Exception):
    """The wait's own bound ran out before the job reached the state waited for."""


@dataclass(frozen=True)
class JobStates:
    """A job kind's state names (``JOB_STATE_*`` or ``PIPELINE_STATE_*``), by what they mean."""

    running: frozenset[str]
    succeeded: frozenset[str]
    failed: frozenset[str]
    cancelling: frozenset[str]

    @property
    def terminal(self) -> frozenset[str]:
        """Ended, one way or another: nothing will change any more."""
        return self.succeeded | self.failed

    @property
    def started(self) -> frozenset[str]:
        """What ``wait="started"`` waits for: running, or already ended."""
        return self.running | self.terminal

    @property
    def not_adoptable(self) -> frozenset[str]:
        """A job failing or failed is never adopted: the next ``up`` runs it again."""
        return self.failed | self.cancelling


@dataclass(frozen=True)
class JobApi:
    """The RPCs of one kind of long-running job, by method name on its GAPIC client.

    ``noun`` names the kind in messages ("job", "tuning job", "training pipeline");
    ``client`` builds the client for a location; ``create_field`` is the request field
    holding the resource in its Create RPC.
    """

    noun: str
    client: Callable[[str], Any]
    get: str
    list: str
    create: str
    create_field: str
    cancel: str
    delete: str
    states: JobStates


def get(api: JobApi, name: str) -> Any | None:
    """The live job, or None when it does not exist (deleted elsewhere)."""
    from google.api_core import exceptions

    service = api.client(location_of(name))
    try:
        with explained(name):
            return getattr(service, api.get)(name=name, retry=transient_retry())
    except exceptions.NotFound:
        return None


def find_adoptable(
    api: JobApi, service: Any, parent: str, spec_hash: str, resource_hash: str
) -> Any | None:
    """The newest job of ``parent`` with both adoption labels that has not failed, if any."""
    query = f'labels.{SPEC_HASH_LABEL}="{spec_hash}" AND labels.{RESOURCE_LABEL}="{resource_hash}"'
    listed = getattr(service, api.list)(
        request={"parent": parent, "filter": query}, retry=transient_retry()
    )
    found = [job for job in listed if job.state.name not in api.states.not_adoptable]
    found.sort(key=lambda job: job.create_time, reverse=True)
    return found[0] if found else None


def submit_or_adopt(
    api: JobApi, parent: str, resource: Any, spec_hash: str, resource_hash: str, attempts: int = 6
) -> tuple[Any, bool]:
    """Adopt a live job with the same labels, or create ``resource``: (job, adopted)."""
    service = api.client(location_of(parent))
    last: BaseException | None = None
    for attempt in range(attempts):
        try:
            existing = find_adoptable(api, service, parent, spec_hash, resource_hash)
            if existing is not None:
                return existing, True
            created = getattr(service, api.create)(parent=parent, **{api.create_field: resource})
            return created, False
        except Exception as exc:
            if not is_transient(exc):
                raise explain(exc, parent) from exc
            last = exc
            time.sleep(backoff(attempt))
    raise RuntimeError(
        f"could not submit the {api.noun} to {parent} after {attempts} tries: {last}"
    )


def wait_for(
    api: JobApi,
    name: str,
    until: frozenset[str],
    timeout: float,
    on_state: Callable[[Any], None] | None = None,
    on_poll: Callable[[Any], None] | None = None,
) -> Any:
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
        job = get(api, name)
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
                f"The {api.noun} keeps running in Vertex AI; the next `pulumi up` adopts it "
                "and waits again. Raise wait_timeout or use wait='none' to not wait."
            )
        time.sleep(interval)
        interval = min(interval * 1.5, ceiling)


def cancel_and_delete(api: JobApi, name: str, timeout: float) -> None:
    """Cancel the job unless it has ended, wait for it to end, delete it.

    NOT_FOUND at any point means it is already gone: success.
    """
    from google.api_core import exceptions

    service = api.client(location_of(name))
    job = get(api, name)
    if job is None:
        return
    with explained(name):
        try:
            if job.state.name not in api.states.terminal:
                progress.info(f"cancelling {name} ({job.state.name})")
                try:
                    getattr(service, api.cancel)(name=name, retry=transient_retry())
                except exceptions.FailedPrecondition:
                    pass  # it ended between our get and the cancel
                wait_for(api, name, api.states.terminal, timeout)
            operation = getattr(service, api.delete)(name=name, retry=transient_retry())
            client.wait_for_operation(operation, timeout)
        except (exceptions.NotFound, LookupError):
            return


def error_of(job: Any) -> dict[str, Any] | None:
    """``{"code", "message"}`` of a job that failed or was cancelled, else None."""
    if job.error and (job.error.code or job.error.message):
        return {"code": job.error.code, "message": job.error.message}
    return None
