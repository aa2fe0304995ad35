"""A job's outcome judged from its replicas' container states (pure: no docker).

Any replica exiting non-zero fails the job; the job succeeds when every
replica exited 0, or when the primary replica (``workerpool0-0``) exited 0 and
no replica failed before it ended, because that is how Vertex ends a job
(parameter servers and TF2 workers serve forever and are stopped when the
primary ends).

The inputs are keyed by replica name: the Docker status of each container
(``created``, ``running``, ``exited``, ...), and for the exited ones their exit
code and ``finished_key`` of their FinishedAt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from pulumi_vertex_training.emulator.execution.types import RunPhase, RunStatus

PRIMARY_REPLICA = "workerpool0-0"
"""The replica whose success ends the job."""


def finished_key(rfc3339: str) -> str:
    """Docker's FinishedAt, made comparable as a string (fixed-width nanoseconds)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", rfc3339)
    return f"{m.group(1)}.{(m.group(2) or '').ljust(9, '0')}" if m else rfc3339


def _primary_end(exit_codes: dict[str, int], finished: dict[str, str]) -> str | None:
    return finished.get(PRIMARY_REPLICA) if exit_codes.get(PRIMARY_REPLICA) == 0 else None


def failed_replica(exit_codes: dict[str, int], finished: dict[str, str]) -> str | None:
    """The first replica (in the given order) whose non-zero exit fails the job, if any."""
    primary_end = _primary_end(exit_codes, finished)
    # Once the primary has succeeded, replicas stopped afterwards (parameter
    # servers, by stop()) do not turn the job into a failure.
    failed = [
        n
        for n, code in exit_codes.items()
        if code != 0 and (primary_end is None or finished[n] <= primary_end)
    ]
    return failed[0] if failed else None


LOGS_VIEWER = "https://console.cloud.google.com/logs/viewer"


def logs_url(job_name: str) -> str:
    """The Logs Explorer link Vertex AI puts in a failed job's error (its replicas' lines).

    >>> logs_url("projects/p/locations/us-central1/customJobs/12")  # doctest: +NORMALIZE_WHITESPACE
    'https://console.cloud.google.com/logs/viewer?project=p&resource=ml_job%2Fjob_id%2F12&advancedFilter=resource.type%3D%22ml_job%22%0Aresource.labels.job_id%3D%2212%22'
    """
    parts = job_name.split("/")
    project, job_id = (parts[1] if len(parts) > 1 else ""), parts[-1]
    query = f'resource.type="ml_job"\nresource.labels.job_id="{job_id}"'
    return (
        f"{LOGS_VIEWER}?project={quote(project, safe='')}"
        f"&resource={quote(f'ml_job/job_id/{job_id}', safe='')}"
        f"&advancedFilter={quote(query, safe='')}"
    )


def failure_message(job_name: str, replica: str, exit_code: int, oom_killed: bool) -> str:
    """What a FAILED job's ``error.message`` says, in Vertex AI's words: which replica
    exited with which status, and where its logs are. The lines themselves are not in
    it (Vertex does not put them there either); they are in Cloud Logging.

    >>> failure_message("projects/p/locations/l/customJobs/1", "workerpool0-0", 3, False)[:71]
    'The replica workerpool0-0 exited with a non-zero status of 3. To find o'
    """
    how = "ran out of memory and exited" if oom_killed else "exited"
    head = f"The replica {replica} {how} with a non-zero status of {exit_code}."
    return (
        f"{head} To find out more about why your job exited please check the logs: "
        f"{logs_url(job_name)}"
    )


def outcome(
    job_name: str,
    states: dict[str, str],
    exit_codes: dict[str, int],
    finished: dict[str, str],
    present: int,
    expected: int,
) -> RunStatus:
    """Where a job is when no replica failed it (``failed_replica`` returned None).

    Args:
        job_name: the job (named in messages).
        states: replica name -> Docker status, for every container present.
        exit_codes: replica name -> exit code, for the exited ones.
        finished: replica name -> ``finished_key``, for the exited ones.
        present: how many containers the job has.
        expected: how many replicas it was started with.
    """
    if _primary_end(exit_codes, finished) is not None:
        return RunStatus(RunPhase.SUCCEEDED, "", exit_codes)
    if present < expected:
        return RunStatus(
            RunPhase.FAILED,
            f"{expected - present} of the {expected} replica containers of "
            f"{job_name} are missing (their start was interrupted, or they were removed "
            f"outside the emulator); present: {', '.join(states)}",
            exit_codes,
        )
    if len(exit_codes) == present:
        return RunStatus(RunPhase.SUCCEEDED, "", exit_codes)
    if any(s in ("created", "restarting") for s in states.values()):
        return RunStatus(RunPhase.STARTING, "", exit_codes)
    return RunStatus(RunPhase.RUNNING, "", exit_codes)


@dataclass(frozen=True)
class ListedReplica:
    """One replica's container as a listing of the engine shows it."""

    name: str  # the replica name, e.g. workerpool0-0
    container_id: str
    state: str  # the engine's status: created, running, exited, ...
    expected: int  # how many replicas the job was started with (a label)


def judge(
    job_name: str,
    replicas: list[ListedReplica],
    exit_of: Callable[[str], tuple[int, str, bool] | None],
) -> RunStatus:
    """Where the job is, from its listed containers.

    Args:
        job_name: the job (named in messages).
        replicas: its containers, in replica order.
        exit_of: container id -> (exit code, FinishedAt, OOMKilled) of an exited
            container, None when it is gone (asked only for exited ones).
    """
    exit_codes: dict[str, int] = {}
    finished: dict[str, str] = {}
    states: dict[str, str] = {}
    oom: dict[str, bool] = {}
    for r in replicas:
        if r.state in ("exited", "dead"):
            details = exit_of(r.container_id)
            if details is None:
                continue  # removed since the listing (a concurrent cleanup)
            exit_codes[r.name], ended, oom[r.name] = details
            finished[r.name] = finished_key(ended)
        states[r.name] = r.state
    if not states:
        return RunStatus(RunPhase.MISSING, f"no containers of {job_name} are left")
    failed = failed_replica(exit_codes, finished)
    if failed is not None:
        message = failure_message(job_name, failed, exit_codes[failed], oom[failed])
        return RunStatus(RunPhase.FAILED, message, exit_codes)
    expected = next(r.expected for r in replicas if r.name in states)
    return outcome(job_name, states, exit_codes, finished, len(states), expected)
