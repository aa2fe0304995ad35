"""CustomJobProvider: a Vertex AI CustomJob as a Pulumi dynamic resource.

What every long-running job does (``job_provider.py``): a change to what runs
(display_name, job_spec, labels, encryption_spec, project, location, triggers)
replaces the job; lifecycle inputs (wait, on_delete, wait_timeout, logs) update in
place with no API call; create adopts a live job with the same spec and resource
labels instead of submitting a second one. A CustomJob adds ``logs``, what of the
replicas' logs the wait shows (``job_logs.py``), and ``persistent_resource_spec``,
the spec of the persistent resource it runs on, whose fit check() checks.

This module path is public API: Pulumi state refers to
``pulumi_vertex_training.provider.custom_job.CustomJobProvider`` by name.
"""

from __future__ import annotations

from typing import Any

from pulumi_vertex_training.provider import custom_job_api, job_logs
from pulumi_vertex_training.provider.job_provider import (
    DEFAULT_WAIT_TIMEOUT,
    DELETE_TIMEOUT,
    ON_DELETE,
    WAIT_MODES,
    JobProvider,
    job_label,
    job_project,
)
from pulumi_vertex_training.provider.values import secret_where
from pulumi_vertex_training.spec import (
    SpecFailure,
    custom_job_from_proto,
    custom_job_to_proto,
    job_fits_resource,
    normalize_custom_job,
    with_resource_id,
)
from pulumi_vertex_training.spec.custom_job import JOB_FIELDS
from pulumi_vertex_training.spec.failures import Normalized

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "DELETE_TIMEOUT",
    "LIFECYCLE_KEYS",
    "ON_DELETE",
    "OUTPUT_KEYS",
    "REPLACE_KEYS",
    "WAIT_MODES",
    "CustomJobProvider",
    "job_identity",
]

REPLACE_KEYS = ("project", "location", *JOB_FIELDS, "triggers")
LIFECYCLE_KEYS = ("wait", "on_delete", "wait_timeout", "logs")
OUTPUT_KEYS = (
    "job_id",
    "state",
    "error",
    "create_time",
    "start_time",
    "end_time",
    "update_time",
    "console_url",
    "web_access_uris",
    "model_dir",
    "checkpoint_dir",
    "tensorboard_log_dir",
    "spec_hash",
)
OUTPUT_DIRS = ("model_dir", "checkpoint_dir", "tensorboard_log_dir")
"""Outputs derived from ``job_spec.base_output_directory``: secret when it was."""


class CustomJobProvider(JobProvider):
    """Dynamic provider for ``vt.CustomJob``. Holds no clients or credentials."""

    api = custom_job_api.CUSTOM_JOBS
    title = "CustomJob"
    fields = JOB_FIELDS
    output_keys = OUTPUT_KEYS
    lifecycle_keys = LIFECYCLE_KEYS
    lifecycle_defaults = {"logs": job_logs.DEFAULT_LOGS}  # stacks from before `logs` have none
    logs_why = (
        " (what of the replicas' logs the wait shows: nothing, the failing replica's "
        "last lines when the job fails, or every line as it comes)"
    )

    def normalize(
        self, values: dict[str, Any], location: str | None
    ) -> tuple[Normalized, list[SpecFailure]]:
        """The job's fields, and why it cannot run on its persistent resource (if one is
        given: ``vt.CustomJob(persistent_resource=pr)`` passes pr's spec, which names it)."""
        resource_spec = values.get("persistent_resource_spec")
        fields = {k: values.get(k) for k in JOB_FIELDS}
        fields["job_spec"] = with_resource_id(fields.get("job_spec"), resource_spec)
        normalized = normalize_custom_job(fields, location=location)
        return normalized, job_fits_resource(normalized.value, resource_spec)

    def to_proto(self, canonical: dict[str, Any]) -> Any:
        """The ``aiplatform_v1.CustomJob`` to submit."""
        return custom_job_to_proto(canonical)

    def outputs(self, live: Any) -> dict[str, Any]:
        """State, times, console URL and output directories of the live job."""
        return custom_job_api.job_outputs(live)

    def mark_outputs(self, outputs: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """The output directories are secret when ``base_output_directory`` was."""
        return secret_where(outputs, props, OUTPUT_DIRS, "job_spec", "base_output_directory")

    def inputs_from(self, live: Any) -> dict[str, Any]:
        """``CustomJob.get()``: project, location and every field of the live job."""
        parts = live.name.split("/")
        return {"project": parts[1], "location": parts[3], **custom_job_from_proto(live)}

    def failure_message(self, live: Any, props: dict[str, Any]) -> str:
        """The job, its error, the failing replica's last lines (``logs``) and where to look."""
        return job_logs.failure_report(
            live, job_label(live.name, props), job_logs.logs_mode(props), job_project(props)
        )

    def log_stream(self, name: str, props: dict[str, Any]) -> Any | None:
        """Every replica's new lines while waiting, when ``logs="stream"``."""
        if job_logs.logs_mode(props) != "stream":
            return None
        return job_logs.LogStream(name, job_label(name, props), project=job_project(props))


def job_identity(props: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(canonical job fields, spec hash, resource hash): what adoption matches on."""
    return CustomJobProvider().identity(props)
