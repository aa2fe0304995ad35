"""A CustomJob's replica logs, read from Cloud Logging where Vertex AI writes them.

Vertex AI writes each replica's output to Cloud Logging: resource ``ml_job`` with
labels ``job_id`` (the numeric id) and ``task_name`` (``workerpool0-0``), stdout at
INFO and stderr at ERROR, the line in ``jsonPayload.message`` (some entries carry
``textPayload`` instead: both are read, as gcloud does). ``gcloud ai custom-jobs
stream-logs`` reads them with the filter :func:`job_filter` builds; so does this
module, through ``client.logging_client()``, the emulator's Cloud Logging included.

- :func:`failure_report`: what a FAILED or CANCELLED job fails the deployment
  with: the job, its state, Vertex's error, the failing replica's exit status, its
  last :data:`TAIL_LINES` lines, the console URL and how to see everything.
- :class:`LogStream`: every replica's new lines while the provider waits, each
  prefixed with the job and task, at most :data:`RATE` lines a second (a
  :data:`BURST` at once); the others are counted and a line says how many.

Reading is gcloud's: ListLogEntries oldest first, from a ``(timestamp, insertId)``
cursor, holding back the newest :data:`HOLD_BACK_SECONDS` (Cloud Logging may
store a line a few seconds after a newer one; the emulator answers only lines
nothing older can still follow, so nothing is held back there). A poll reads at
most :data:`MAX_PAGES` pages of :data:`PAGE_SIZE` entries; one that falls behind
a trainer printing faster than that carries on from its cursor at the next poll.
Logs never fail a deployment: a read that fails is reported once and skipped.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from typing import Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import progress

LOG_MODES = ("none", "failures", "stream")
DEFAULT_LOGS = "failures"
TAIL_LINES = 30
STDERR_KEPT = 10
PAGE_SIZE = 1000
MAX_PAGES = 3
RATE = 20.0
BURST = 100
HOLD_BACK_SECONDS = 5.0
PRIMARY = "workerpool0-0"


def logs_mode(props: dict[str, Any]) -> str:
    """A resource's ``logs`` input (:data:`DEFAULT_LOGS` when not given).

    >>> logs_mode({})
    'failures'
    """
    return str(props.get("logs") or DEFAULT_LOGS)


_FAILED_REPLICA = re.compile(
    r"The replica (?P<task>\S+) (?P<how>exited|ran out of memory and exited) "
    r"with a non-zero status of (?P<code>-?\d+)"
)


def job_filter(job_name: str, task: str | None = None) -> str:
    """The Cloud Logging filter of a job's replica lines (gcloud's), optionally one task's.

    >>> job_filter("projects/p/locations/us-central1/customJobs/12")
    'resource.type="ml_job" AND resource.labels.job_id="12"'
    """
    parts = ['resource.type="ml_job"', f'resource.labels.job_id="{job_name.rsplit("/", 1)[-1]}"']
    if task:
        parts.append(f'resource.labels.task_name="{task}"')
    return " AND ".join(parts)


def _project_resource(job_name: str, project: str | None) -> str:
    # The job's name says projects/{number} on Vertex; the project id, when known, is the
    # form Cloud Logging documents for resource_names.
    return f"projects/{project}" if project else "/".join(job_name.split("/")[:2])


def entry_lines(entry: Any) -> list[str]:
    """The text of an entry, as lines: ``jsonPayload.message``, else ``textPayload``."""
    payload = entry.json_payload
    text = payload.get("message") if payload else None
    if not isinstance(text, str):
        text = entry.text_payload or ""
    return text.splitlines() or [""]


def failing_replica(message: str) -> tuple[str | None, int | None]:
    """``(task, exit status)`` Vertex's error names, e.g. from "The replica workerpool0-0
    exited with a non-zero status of 3. ..."; ``(None, None)`` when it names none."""
    m = _FAILED_REPLICA.search(message or "")
    return (m["task"], int(m["code"])) if m else (None, None)


def _newest(job_name: str, project: str | None, flt: str, count: int) -> list[Any]:
    pager = client.logging_client().list_log_entries(
        request={
            "resource_names": [_project_resource(job_name, project)],
            "filter": flt,
            "order_by": "timestamp desc",
            "page_size": count,
        }
    )
    return list(next(iter(pager.pages)).entries)  # one call: the newest page only


def last_lines(
    job_name: str, task: str, count: int = TAIL_LINES, project: str | None = None
) -> list[str]:
    """The last ``count`` lines one replica wrote, its last stderr lines always among them.

    The container runtime stamps each stream's lines as it reads them, so under load
    a traceback written last to stderr can be stamped before the last stdout lines;
    the last :data:`STDERR_KEPT` ERROR lines (where a traceback goes) are kept even
    then, and the oldest other lines make room for them. Two ListLogEntries calls.
    """
    flt = job_filter(job_name, task)
    latest = _newest(job_name, project, flt, count)
    errors = _newest(job_name, project, f"{flt} AND severity>=ERROR", STDERR_KEPT)
    kept = {e.insert_id for e in errors}
    entries = {e.insert_id: e for e in [*latest, *errors]}
    ordered = sorted(entries.values(), key=lambda e: (e.timestamp, e.insert_id))
    lines = [(line, e.insert_id in kept) for e in ordered for line in entry_lines(e)]
    while len(lines) > count:
        drop = next((i for i, (_, protected) in enumerate(lines) if not protected), 0)
        del lines[drop]
    return [line for line, _ in lines]


def how_to_see(job_name: str, task: str | None) -> str:
    """What to run to see every line of the job."""
    parts = job_name.split("/")
    job_id, location = parts[-1], parts[3] if len(parts) > 3 else "REGION"
    if client.emulator_host():
        return f"vertex-local logs {job_id} --replica {task or PRIMARY}"
    flags = f" --task-name={task}" if task else ""
    return (
        f"gcloud ai custom-jobs stream-logs {job_id} --region={location}{flags}, or Logs "
        f"Explorer with the filter: {job_filter(job_name)}"
    )


def _reason(err: BaseException) -> str:
    text = str(getattr(err, "message", None) or err).strip().splitlines()
    what = f"{type(err).__name__}: {text[0] if text else ''}"
    if type(err).__name__ == "PermissionDenied":
        what += " (reading logs needs roles/logging.viewer)"
    return what


def failure_report(job: Any, display_name: str, mode: str, project: str | None = None) -> str:
    """The message a FAILED or CANCELLED job fails the deployment with (``project``: the
    project id, for reading its logs)."""
    name = job.name
    error = job.error.message or "(no error message)"
    task, status = failing_replica(job.error.message)
    lines = [f'CustomJob "{display_name}" ({name}) ended {job.state.name}.']
    lines.append(f"Vertex AI: {error}" + (f" (code {job.error.code})" if job.error.code else ""))
    if status is not None:
        lines.append(f"Replica {task} exited with status {status}.")
    if mode != "none":
        shown = task or PRIMARY
        try:
            tail = last_lines(name, shown, project=project)
        except Exception as err:  # the job's own error matters more than its logs
            lines.append(f"Could not read the logs of {shown}: {_reason(err)}")
        else:
            if tail:
                count = f"{len(tail)} lines" if len(tail) > 1 else "line"
                lines.append(f"Last {count} of {shown}:")
                lines.extend(f"    {line}" for line in tail)
            else:
                lines.append(f"{shown} logged nothing.")
    lines.append(f"Console: {client.console_url(name)}")
    lines.append(f"All logs: {how_to_see(name, task)}")
    return "\n".join(lines)


def _rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LogStream:
    """New replica lines of one job, shown while the provider waits for it.

    Args:
        job_name: the job's full name.
        label: what prefixes each line with the task name (the resource's display name).
        show: where lines go (``progress.info``: the Pulumi CLI).
        clock: seconds, for the rate limit (``time.monotonic``).
        project: the project id (else the project of ``job_name``).
    """

    def __init__(
        self,
        job_name: str,
        label: str,
        show: Callable[[str], None] = progress.info,
        clock: Callable[[], float] = time.monotonic,
        project: str | None = None,
    ) -> None:
        self.job_name = job_name
        self.project = project
        self.label = label
        self.show = show
        self.clock = clock
        self.cursor: tuple[str, str] | None = None  # (timestamp, insertId) of the last entry
        self.shown = 0
        self.skipped = 0
        self.most_held = 0  # the most entries held at once (one page): memory stays bounded
        self._tokens = float(BURST)
        self._refilled = clock()
        self._failed = False

    def _filter(self, final: bool) -> str:
        parts = [job_filter(self.job_name)]
        if self.cursor is not None:
            ts, insert_id = self.cursor
            parts.append(f'((timestamp="{ts}" AND insertId>"{insert_id}") OR timestamp>"{ts}")')
        hold = 0.0 if client.emulator_host() else HOLD_BACK_SECONDS
        if hold and not final:
            upper = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=hold)
            parts.append(f'timestamp<"{_rfc3339(upper)}"')
        return " AND ".join(parts)

    def _allow(self) -> bool:
        now = self.clock()
        self._tokens = min(float(BURST), self._tokens + (now - self._refilled) * RATE)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def poll(self, final: bool = False) -> None:
        """Show the lines written since the last poll (``final``: the job has ended)."""
        skipped = 0
        try:
            pager = client.logging_client().list_log_entries(
                request={
                    "resource_names": [_project_resource(self.job_name, self.project)],
                    "filter": self._filter(final),
                    "order_by": "timestamp asc",
                    "page_size": PAGE_SIZE,
                }
            )
            for pages, page in enumerate(pager.pages, start=1):
                self.most_held = max(self.most_held, len(page.entries))
                for entry in page.entries:
                    self.cursor = (entry.timestamp.rfc3339(), entry.insert_id)
                    task = entry.resource.labels.get("task_name", "unknown_task")
                    for line in entry_lines(entry):
                        if self._allow():
                            self.shown += 1
                            self.show(f"[{self.label} {task}] {line}")
                        else:
                            skipped += 1
                if pages >= MAX_PAGES:
                    break
        except Exception as err:
            if not self._failed:
                self._failed = True
                progress.warn(f"{self.label}: could not read the job's logs: {_reason(err)}")
        if skipped:
            self.skipped += skipped
            self.show(
                f"[{self.label}] ... {skipped} lines not shown (more than {RATE:g} a second); "
                f"{how_to_see(self.job_name, None)} shows them all"
            )
