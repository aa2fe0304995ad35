"""The HyperparameterTuningJob and PersistentResource pages' data (lists and one of each).

The backends list under one parent (``projects/p/locations/l``); the console shows every
parent, found from the names in the emulator's state (:func:`parents`).
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from google.cloud.aiplatform_v1 import JobState, PersistentResource, StudySpec, Trial

from pulumi_vertex_training.emulator.console import Sources, views
from pulumi_vertex_training.emulator.console.jobs import job_path, row

_TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
_CANCELLABLE = ("QUEUED", "PENDING", "RUNNING")
MAX_ITEMS = 500


def parents(sources: Sources, kind: str, collection: str) -> list[str]:
    """``projects/p/locations/l`` of every stored ``kind`` document naming a ``collection``."""
    pattern = re.compile(rf'"(projects/[^/"]+/locations/[^/"]+)/{collection}/[^/"]+"')
    found: set[str] = set()
    for document in sources.jobs.store.list(kind):
        found.update(pattern.findall(json.dumps(document)))
    return sorted(found)


def all_pages(list_page: Any, parent: str) -> list[Any]:
    """What ``list_page(parent, page_size=, page_token=)`` lists, at most :data:`MAX_ITEMS`."""
    items: list[Any] = []
    token = ""
    while len(items) < MAX_ITEMS:
        page, token = list_page(parent, page_size=100, page_token=token)
        items += page
        if not token:
            break
    return items


# ---- hyperparameter tuning jobs -------------------------------------------------------


def tuning_table(sources: Sources) -> dict[str, Any]:
    """Every HyperparameterTuningJob, newest first."""
    if sources.tuning is None:
        return {"rows": [], "served": False}
    jobs = [
        job
        for parent in parents(sources, "hyperparameterTuningJob", "hyperparameterTuningJobs")
        for job in all_pages(sources.tuning.list_hyperparameter_tuning_jobs, parent)
    ]
    jobs.sort(key=lambda j: j.create_time, reverse=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for job in jobs[:MAX_ITEMS]:
        shown = row(job, now, job.trial_job_spec)
        succeeded = sum(1 for t in job.trials if t.state == Trial.State.SUCCEEDED)
        shown["trials"] = f"{succeeded} / {len(job.trials)} / {job.max_trial_count}"
        rows.append(shown)
    return {"rows": rows, "served": True}


def _value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _objective(job: Any) -> tuple[str, str]:
    metrics = job.study_spec.metrics
    if not metrics:
        return "", ""
    return metrics[0].metric_id, metrics[0].goal.name


def _final(trial: Any, metric: str) -> float | None:
    for value in trial.final_measurement.metrics:
        if value.metric_id == metric:
            return float(value.value)
    return None


def tuning_page(sources: Sources, name: str) -> dict[str, Any]:
    """One HyperparameterTuningJob with its study and trials. Raises EmulatorError."""
    job = sources.tuning.get_hyperparameter_tuning_job(name)
    short = JobState(job.state).name.removeprefix("JOB_STATE_")
    metric, goal = _objective(job)
    finals = {t.id: _final(t, metric) for t in job.trials if t.state == Trial.State.SUCCEEDED}
    scored = {k: v for k, v in finals.items() if v is not None}
    best = ""
    if scored:
        pick = min if goal == "MINIMIZE" else max
        best = pick(scored, key=lambda k: scored[k])
    trials = [
        {
            "id": t.id,
            "state": views.state(Trial.State(t.state).name),
            "parameters": [f"{p.parameter_id}={_value(p.value)}" for p in t.parameters],
            "objective": "" if finals.get(t.id) is None else f"{finals[t.id]:.6g}",
            "best": t.id == best,
            "job_href": job_path(t.custom_job) if t.custom_job else "",
            "duration": views.duration(t.start_time, t.end_time),
            "reason": t.infeasible_reason,
        }
        for t in job.trials
    ]
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "name": job.name,
        "display_name": job.display_name,
        "parts": views.name_parts(job.name),
        "state": views.state(JobState(job.state).name),
        "terminal": short in _TERMINAL,
        "cancellable": short in _CANCELLABLE,
        "cancel_url": f"/v1/{job.name}:cancel",
        "timeline": views.timeline(job, short),
        "duration": views.duration(job.start_time, job.end_time, now),
        "error": views.error(job.error),
        "labels": views.labels(job.labels),
        "metric": metric,
        "goal": goal,
        "algorithm": StudySpec.Algorithm(job.study_spec.algorithm).name,
        "parameters": [_parameter(p) for p in job.study_spec.parameters],
        "counts": {
            "max": job.max_trial_count,
            "parallel": job.parallel_trial_count,
            "max_failed": job.max_failed_trial_count,
        },
        "pools": [
            views.pool_detail(i, p) for i, p in enumerate(job.trial_job_spec.worker_pool_specs)
        ],
        "trials": trials,
    }


def _parameter(spec: Any) -> str:
    which = StudySpec.ParameterSpec.pb(spec).WhichOneof("parameter_value_spec") or ""
    value: Any = getattr(spec, which) if which else None
    if which == "double_value_spec" or which == "integer_value_spec":
        text = f"{_value(value.min_value)} … {_value(value.max_value)}"
    elif which == "categorical_value_spec":
        text = ", ".join(value.values)
    elif which == "discrete_value_spec":
        text = ", ".join(_value(v) for v in value.values)
    else:
        text = ""
    kind = which.removesuffix("_value_spec").upper()
    return f"{spec.parameter_id} ({kind}): {text}"


# ---- persistent resources -------------------------------------------------------------


def _pool(pool: Any) -> dict[str, Any]:
    autoscaling = pool.autoscaling_spec
    bounds = ""
    if "autoscaling_spec" in pool and (
        autoscaling.min_replica_count or autoscaling.max_replica_count
    ):
        bounds = f"{autoscaling.min_replica_count} … {autoscaling.max_replica_count}"
    disk = pool.disk_spec
    return {
        "id": pool.id,
        "machine": views.machine(pool.machine_spec),
        "replicas": pool.replica_count,
        "used": pool.used_replica_count,
        "autoscaling": bounds,
        "disk": f"{disk.boot_disk_size_gb} GB {disk.boot_disk_type}" if disk.boot_disk_type else "",
    }


def _resource_row(resource: Any) -> dict[str, Any]:
    pools = [_pool(p) for p in resource.resource_pools]
    return {
        "name": resource.name,
        "href": job_path(resource.name),
        "display_name": resource.display_name,
        "id": views.name_parts(resource.name).get("id", ""),
        "where": "{project} / {location}".format(**views.name_parts(resource.name)),
        "state": views.state(PersistentResource.State(resource.state).name),
        "created": views.when(resource.create_time),
        "created_iso": views.iso(resource.create_time),
        "pools": ", ".join(
            f"{p['id']}: {p['used']}/{p['replicas']} {views.TIMES} {p['machine']}" for p in pools
        ),
        "labels": views.labels(resource.labels),
    }


def resources_table(sources: Sources) -> dict[str, Any]:
    """Every PersistentResource, by name."""
    if sources.resources is None:
        return {"rows": [], "served": False}
    resources = [
        resource
        for parent in parents(sources, "persistentResource", "persistentResources")
        for resource in all_pages(sources.resources.list_persistent_resources, parent)
    ]
    return {"rows": [_resource_row(r) for r in resources[:MAX_ITEMS]], "served": True}


def resource_page(sources: Sources, name: str) -> dict[str, Any]:
    """One PersistentResource: pools, replicas in use, the jobs on it. Raises EmulatorError."""
    from pulumi_vertex_training.emulator.console.jobs import jobs_on_resource

    resource = sources.resources.get_persistent_resource(name)
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        **_resource_row(resource),
        "parts": views.name_parts(resource.name),
        "pool_rows": [_pool(p) for p in resource.resource_pools],
        "error": views.error(resource.error),
        "network": resource.network,
        "started": views.when(resource.start_time),
        "updated": views.when(resource.update_time),
        "jobs": [row(job, now) for job in jobs_on_resource(sources, resource.name)],
    }
