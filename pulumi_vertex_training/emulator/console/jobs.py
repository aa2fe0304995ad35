"""The CustomJob pages' data: the jobs table, a job's summary, pools, replicas and logs.

Each function reads the backends (blocking: the routes call them in a worker thread)
and returns the plain context a template lays out.
"""

from __future__ import annotations

import collections
import datetime
import json
import re
from typing import Any

from google.cloud.aiplatform_v1 import JobState

from pulumi_vertex_training.emulator.console import Sources, views
from pulumi_vertex_training.emulator.console.files import output_root
from pulumi_vertex_training.emulator.console.streams import MAX_REPLICAS
from pulumi_vertex_training.emulator.exceptions import EmulatorError

LIST_PARENT = "projects/-/locations/-"
PAGE_SIZE = 50
LOG_TAIL = 1000
"""Lines of each replica's log a page carries (the stream then follows from there)."""

_TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED", "PARTIALLY_SUCCEEDED")
_CANCELLABLE = ("QUEUED", "PENDING", "RUNNING", "PAUSED", "UPDATING")


def short_state(job: Any) -> str:
    """``RUNNING`` of a job in ``JOB_STATE_RUNNING``."""
    return JobState(job.state).name.removeprefix("JOB_STATE_")


def job_path(name: str) -> str:
    """The console path of a job (or any resource): ``/console/projects/.../customJobs/1``."""
    return f"/console/{name}"


def row(job: Any, now: datetime.datetime, spec: Any = None) -> dict[str, Any]:
    """One row of the jobs table (``spec``: the CustomJobSpec, default ``job.job_spec``)."""
    parts = views.name_parts(job.name)
    spec = job.job_spec if spec is None else spec
    return {
        "name": job.name,
        "href": job_path(job.name),
        "display_name": job.display_name,
        "id": parts.get("id", ""),
        "where": f"{parts.get('project', '')} / {parts.get('location', '')}",
        "state": views.state(JobState(job.state).name),
        "created": views.when(job.create_time),
        "created_iso": views.iso(job.create_time),
        "duration": views.duration(job.start_time, job.end_time, now),
        "pools": views.pools_summary(list(spec.worker_pool_specs)),
        "labels": views.labels(job.labels),
    }


def table(sources: Sources, state: str, label: str, page_token: str) -> dict[str, Any]:
    """The jobs table: newest first, filtered by state and label, one page."""
    label_part, error = views.label_filter(label)
    text = " AND ".join(p for p in (views.state_filter(state), label_part) if p)
    jobs: list[Any] = []
    next_token = ""
    if not error:
        try:
            jobs, next_token = sources.jobs.list_custom_jobs(
                LIST_PARENT, filter=text, page_size=PAGE_SIZE, page_token=page_token
            )
        except EmulatorError as err:
            error = err.message
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "rows": [row(job, now) for job in jobs],
        "next_token": next_token,
        "error": error,
        "state": state if state in views.JOB_STATES else "",
        "label": label,
        "states": views.JOB_STATES,
        "filtered": bool(text or error),
    }


def summary(job: Any, why_queued: str = "") -> dict[str, Any]:
    """The live part of a job page: state (and why it is still queued), timeline, error,
    Cancel."""
    short = short_state(job)
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "name": job.name,
        "state": views.state(JobState(job.state).name),
        "terminal": short in _TERMINAL,
        "cancellable": short in _CANCELLABLE,
        "cancel_url": f"/v1/{job.name}:cancel",
        "timeline": views.timeline(job, short),
        "duration": views.duration(job.start_time, job.end_time, now),
        "updated": views.when(job.update_time),
        "error": views.error(job.error),
        "web_access": dict(job.web_access_uris),
        "why_queued": why_queued if short == "QUEUED" else "",
    }


def replicas(sources: Sources, job: Any) -> tuple[list[dict[str, Any]], str]:
    """The first :data:`MAX_REPLICAS` replicas' names and environments (masked), and an
    error (when the job's replicas cannot be built)."""
    build = sources.build_job_run
    if build is None:
        from pulumi_vertex_training.emulator.execution.cluster import build_job_run

        build = build_job_run
    try:
        run = build(job, sources.data_dir, sources.jobs.instance_id)
    except Exception as err:  # a job that could not start shows why, not a 500
        return [], f"{type(err).__name__}: {err}"
    shown = []
    for replica in run.replicas[:MAX_REPLICAS]:
        env = views.mask_env_pairs(replica.env)
        shown.append(
            {
                "name": replica.replica_name,
                "pool": replica.pool_index,
                "image": replica.image,
                "command": [views.redact(a) for a in replica.command],
                "args": [views.redact(a) for a in replica.args],
                "env": env,
                "task": _task(replica.env),
            }
        )
    return shown, ""


def _task(env: Any) -> str:
    for name, value in env:
        if name == "TF_CONFIG":
            try:
                task = json.loads(value)["task"]
                return f"{task['type']} {task['index']}"
            except (ValueError, KeyError, TypeError):
                return ""
    return ""


def replica_names(job: Any) -> list[str]:
    """``workerpool{i}-{r}`` of every replica, in replica order (as ``execution/cluster.py``)."""
    names = []
    for i, pool in enumerate(job.job_spec.worker_pool_specs):
        if pool.machine_spec.machine_type:
            count = pool.replica_count or (1 if i == 0 else 0)
            names += [f"workerpool{i}-{r}" for r in range(count)]
    return names


def logs(sources: Sources, job: Any, names: list[str]) -> list[dict[str, Any]]:
    """The last :data:`LOG_TAIL` lines of each followed replica, and how many it has."""
    shown = []
    for replica in names[:MAX_REPLICAS]:
        tail: collections.deque[str] = collections.deque(maxlen=LOG_TAIL)
        total = 0
        try:
            for line in sources.jobs.runner.logs(job.name, replica, follow=False):
                tail.append(line)
                total += 1
        except Exception:  # EmulatorError (no log yet), an engine hiccup
            pass
        shown.append(
            {"replica": replica, "lines": list(tail), "total": total, "cut": total - len(tail)}
        )
    return shown


def page(sources: Sources, name: str) -> dict[str, Any]:
    """Everything on a job page. Raises EmulatorError (NotFound, InvalidArgument)."""
    job = sources.jobs.get_custom_job(name)
    spec = job.job_spec
    replica_rows, env_error = replicas(sources, job)
    names = replica_names(job)
    output = spec.base_output_directory.output_uri_prefix
    root = output_root(sources.data_dir, output) if output else None
    log_rows = logs(sources, job, names)
    return {
        "job": job,
        "name": job.name,
        "display_name": job.display_name,
        "id": views.name_parts(job.name).get("id", ""),
        "parts": views.name_parts(job.name),
        "summary": summary(job, sources.jobs.why_queued(job.name)),
        "labels": views.labels(job.labels),
        "pools": [views.pool_detail(i, p) for i, p in enumerate(spec.worker_pool_specs)],
        "replicas": replica_rows,
        "env_error": env_error,
        "output": output,
        "files_href": f"{job_path(job.name)}/files/" if root is not None else "",
        "scheduling": _scheduling(spec),
        "persistent_resource": _resource_link(job.name, spec.persistent_resource_id),
        "service_account": spec.service_account,
        "logs": log_rows,
        "logs_cut": max(len(names) - MAX_REPLICAS, 0),
        "positions": ",".join(f"{r['replica']}:{r['total']}" for r in log_rows),
        "stream_href": f"{job_path(job.name)}/logs",
        "summary_href": f"{job_path(job.name)}/summary",
    }


def _scheduling(spec: Any) -> str:
    parts = []
    if spec.scheduling.timeout:
        parts.append(f"timeout {views.span(spec.scheduling.timeout.total_seconds())}")
    if spec.scheduling.strategy:
        parts.append(spec.scheduling.strategy.name)
    return ", ".join(parts)


def _resource_link(job_name: str, resource_id: str) -> dict[str, str] | None:
    if not resource_id:
        return None
    parent = re.sub(r"/customJobs/[^/]+$", "", job_name)
    name = f"{parent}/persistentResources/{resource_id}"
    return {"id": resource_id, "href": job_path(name)}


def jobs_on_resource(sources: Sources, resource_name: str, limit: int = 200) -> list[Any]:
    """The newest jobs (at most ``limit``) whose ``persistent_resource_id`` names the resource."""
    parent, _, resource_id = resource_name.partition("/persistentResources/")
    found: list[Any] = []
    token = ""
    while len(found) < limit:
        page_jobs, token = sources.jobs.list_custom_jobs(parent, page_size=500, page_token=token)
        found += [j for j in page_jobs if j.job_spec.persistent_resource_id == resource_id]
        if not token:
            break
    return found[:limit]
