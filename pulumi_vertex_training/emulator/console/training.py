"""The TrainingPipeline and Model pages' data (lists and one of each).

A pipeline links to the CustomJob it runs (``training_task_metadata``, where the
pipeline backend records it) and, once uploaded, to its model; a model's versions link
back to the pipeline that made each. Read-only: these pages have no actions.

A model version is an anchor on its model's page: each version's row is
``id="version-{version_id}"`` and each of its aliases ``id="version-{alias}"`` (an alias
starts with a letter, so the two never clash); ``/console/.../models/{id}@{ref}``
redirects there (``app.py``).
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

from google.cloud.aiplatform_v1 import JobState, Model, PipelineState, TrainingPipeline

from pulumi_vertex_training.emulator.console import Sources, views
from pulumi_vertex_training.emulator.console.jobs import job_path
from pulumi_vertex_training.emulator.console.pages import MAX_ITEMS, all_pages, parents
from pulumi_vertex_training.emulator.exceptions import EmulatorError
from pulumi_vertex_training.emulator.training_pipelines.backend import BACKING_JOB

_ACTIVE = ("QUEUED", "PENDING", "RUNNING", "CANCELLING")


def version_href(model: str, ref: str) -> str:
    """The console path of version (or alias) ``ref`` of ``model`` (``.../models/{id}``)."""
    return f"{job_path(model)}#version-{quote(ref, safe='')}"


# ---- training pipelines ---------------------------------------------------------------


def _short(pipeline: Any) -> str:
    return PipelineState(pipeline.state).name.removeprefix("PIPELINE_STATE_")


def _backing_job(pipeline: Any) -> str:
    fields = TrainingPipeline.pb(pipeline).training_task_metadata.struct_value.fields
    return fields[BACKING_JOB].string_value if BACKING_JOB in fields else ""


def _uploaded(pipeline: Any) -> dict[str, str] | None:
    """The model the pipeline uploaded (its ``model_to_upload`` is then the stored Model,
    named), or None before the upload."""
    model = pipeline.model_to_upload
    if not model.name:
        return None
    return {
        "name": model.name,
        "display_name": model.display_name,
        "version": model.version_id,
        "href": version_href(model.name, model.version_id) if model.version_id else "",
    }


def _pipeline_row(pipeline: Any, now: datetime.datetime) -> dict[str, Any]:
    parts = views.name_parts(pipeline.name)
    job = _backing_job(pipeline)
    return {
        "name": pipeline.name,
        "href": job_path(pipeline.name),
        "display_name": pipeline.display_name,
        "id": parts.get("id", ""),
        "where": f"{parts.get('project', '')} / {parts.get('location', '')}",
        "state": views.state(PipelineState(pipeline.state).name),
        "created": views.when(pipeline.create_time),
        "created_iso": views.iso(pipeline.create_time),
        "duration": views.duration(pipeline.start_time, pipeline.end_time, now),
        "job": {"id": views.name_parts(job).get("id", job), "href": job_path(job)} if job else None,
        "model": _uploaded(pipeline),
        "labels": views.labels(pipeline.labels),
    }


def pipelines_table(sources: Sources) -> dict[str, Any]:
    """Every TrainingPipeline, newest first."""
    if sources.pipelines is None:
        return {"rows": [], "served": False}
    found = [
        pipeline
        for parent in parents(sources, "trainingPipeline", "trainingPipelines")
        for pipeline in all_pages(sources.pipelines.list_training_pipelines, parent)
    ]
    found.sort(key=lambda p: p.create_time, reverse=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"rows": [_pipeline_row(p, now) for p in found[:MAX_ITEMS]], "served": True}


def _job_facts(sources: Sources, name: str) -> dict[str, Any]:
    """What the pipeline page shows of its backing CustomJob (it may have been deleted)."""
    try:
        job = sources.jobs.get_custom_job(name)
    except EmulatorError:
        return {"name": name, "href": "", "state": None, "pools": ""}
    return {
        "name": name,
        "href": job_path(name),
        "state": views.state(JobState(job.state).name),
        "pools": views.pools_summary(list(job.job_spec.worker_pool_specs)),
    }


def pipeline_page(sources: Sources, name: str) -> dict[str, Any]:
    """One TrainingPipeline: state, times, error, its CustomJob and its model. Raises
    EmulatorError (NotFound, InvalidArgument)."""
    pipeline = sources.pipelines.get_training_pipeline(name)
    short = _short(pipeline)
    now = datetime.datetime.now(datetime.timezone.utc)
    job = _backing_job(pipeline)
    request = pipeline.model_to_upload
    wants_model = "model_to_upload" in pipeline
    return {
        **_pipeline_row(pipeline, now),
        "parts": views.name_parts(pipeline.name),
        "terminal": short not in _ACTIVE,
        "timeline": views.timeline(pipeline, short),
        "started": views.when(pipeline.start_time),
        "ended": views.when(pipeline.end_time),
        "error": views.error(pipeline.error),
        "task": pipeline.training_task_definition,
        "backing_job": _job_facts(sources, job) if job else None,
        "wants_model": wants_model,
        "model_request": {
            "display_name": request.display_name,
            "artifact_uri": request.artifact_uri,
            "image": request.container_spec.image_uri,
        },
        "parent_model": (
            {"name": pipeline.parent_model, "href": job_path(pipeline.parent_model)}
            if pipeline.parent_model
            else None
        ),
        "model_id": pipeline.model_id,
    }


# ---- models -----------------------------------------------------------------------------


def _all_versions(sources: Sources, name: str) -> list[Any]:
    return all_pages(lambda _, **page: sources.models.list_model_versions(name, **page), name)


def _model_row(model: Any) -> dict[str, Any]:
    parts = views.name_parts(model.name)
    return {
        "name": model.name,
        "href": job_path(model.name),
        "display_name": model.display_name,
        "id": parts.get("id", ""),
        "where": f"{parts.get('project', '')} / {parts.get('location', '')}",
        "created": views.when(model.create_time),
        "created_iso": views.iso(model.create_time),
        "updated": views.when(model.update_time),
        "default_version": model.version_id,
        "default_href": version_href(model.name, model.version_id),
        "artifact_uri": model.artifact_uri,
        "labels": views.labels(model.labels),
    }


def models_table(sources: Sources) -> dict[str, Any]:
    """Every Model (as its default version), newest first, with how many versions it has."""
    if sources.models is None:
        return {"rows": [], "served": False}
    found = [
        model
        for parent in parents(sources, "model", "models")
        for model in all_pages(sources.models.list_models, parent)
    ]
    found.sort(key=lambda m: m.create_time, reverse=True)
    rows = []
    for model in found[:MAX_ITEMS]:
        row = _model_row(model)
        row["versions"] = len(_all_versions(sources, model.name))
        rows.append(row)
    return {"rows": rows, "served": True}


def _version(version: Any) -> dict[str, Any]:
    pipeline = version.training_pipeline
    return {
        "id": version.version_id,
        "aliases": list(version.version_aliases),
        "artifact_uri": version.artifact_uri,
        "image": version.container_spec.image_uri,
        "description": version.version_description,
        "pipeline": (
            {"id": views.name_parts(pipeline).get("id", pipeline), "href": job_path(pipeline)}
            if pipeline
            else None
        ),
        "created": views.when(version.version_create_time),
        "created_iso": views.iso(version.version_create_time),
        "labels": views.labels(version.labels),
    }


def model_page(sources: Sources, name: str) -> dict[str, Any]:
    """One Model (``.../models/{id}``) and its versions, newest first. Raises EmulatorError
    (NotFound, InvalidArgument)."""
    model = sources.models.get_model(name)
    versions = _all_versions(sources, name)
    return {
        **_model_row(model),
        "parts": views.name_parts(model.name),
        "description": model.description,
        "versions": [_version(v) for v in versions],
    }


def resolve_version(sources: Sources, name: str) -> str:
    """The version id ``.../models/{id}@{ref}`` names (an id or an alias). Raises
    EmulatorError."""
    return str(Model.pb(sources.models.get_model(name)).version_id)
