"""HyperparameterTuningJobProvider: a Vertex AI HyperparameterTuningJob as a Pulumi resource.

What every long-running job does (``job_provider.py``): check() validates every field
at preview with field paths (``spec.normalize_hyperparameter_tuning_job``: the StudySpec's
rules, and the whole CustomJobSpec of ``trial_job_spec`` by the CustomJob rules,
machine catalog included, under ``trial_job_spec.*``); any change to what runs
(display_name, study_spec, the trial counts, trial_job_spec, labels, encryption_spec,
project, location, triggers) replaces the job; ``wait``, ``on_delete`` and
``wait_timeout`` update in place with no API call; create adopts a live job with the
same spec and resource labels (CreateHyperparameterTuningJob takes no request id).

A tuning job adds: trial outputs and the best trial (``spec.best_trial``, by the
objective metric's goal); a line per trial as it ends while the provider waits; and a
failure report naming the last failed trial's CustomJob with its failing replica's
last lines (``hyperparameter_tuning_job_api.failure_report``).

This module path is public API: Pulumi state refers to
``pulumi_vertex_training.provider.hyperparameter_tuning_job.HyperparameterTuningJobProvider``
by name.
"""

from __future__ import annotations

from typing import Any

from pulumi_vertex_training.provider import hyperparameter_tuning_job_api as tuning_api
from pulumi_vertex_training.provider.job_provider import JobProvider, job_label, job_project
from pulumi_vertex_training.spec import (
    SpecFailure,
    normalize_hyperparameter_tuning_job,
    tuning_job_from_proto,
    tuning_job_to_proto,
)
from pulumi_vertex_training.spec.failures import Normalized
from pulumi_vertex_training.spec.hyperparameter_tuning_job import JOB_FIELDS

__all__ = ["LIFECYCLE_KEYS", "OUTPUT_KEYS", "REPLACE_KEYS", "HyperparameterTuningJobProvider"]

REPLACE_KEYS = ("project", "location", *JOB_FIELDS, "triggers")
LIFECYCLE_KEYS = ("wait", "on_delete", "wait_timeout")
OUTPUT_KEYS = (
    "job_id",
    "state",
    "error",
    "trials",
    "best_trial",
    "create_time",
    "start_time",
    "end_time",
    "update_time",
    "console_url",
    "spec_hash",
)


class HyperparameterTuningJobProvider(JobProvider):
    """Dynamic provider for ``vt.HyperparameterTuningJob``. Holds no clients or credentials.

    Example:
        >>> result = HyperparameterTuningJobProvider().check({}, {
        ...     "project": "p", "location": "us-central1", "display_name": "tune",
        ...     "max_trial_count": 4, "parallel_trial_count": 8})
        >>> sorted(f.property for f in result.failures)
        ['parallel_trial_count', 'study_spec', 'trial_job_spec']
    """

    api = tuning_api.TUNING_JOBS
    title = "HyperparameterTuningJob"
    fields = JOB_FIELDS
    output_keys = OUTPUT_KEYS
    lifecycle_keys = LIFECYCLE_KEYS

    def normalize(
        self, values: dict[str, Any], location: str | None
    ) -> tuple[Normalized, list[SpecFailure]]:
        """The job's fields through ``spec.normalize_hyperparameter_tuning_job``."""
        fields = {k: values.get(k) for k in JOB_FIELDS}
        return normalize_hyperparameter_tuning_job(fields, location=location), []

    def to_proto(self, canonical: dict[str, Any]) -> Any:
        """The ``aiplatform_v1.HyperparameterTuningJob`` to submit."""
        return tuning_job_to_proto(canonical)

    def outputs(self, live: Any) -> dict[str, Any]:
        """State, error, trials, the best trial, times and console URL of the live job."""
        return tuning_api.job_outputs(live)

    def inputs_from(self, live: Any) -> dict[str, Any]:
        """``HyperparameterTuningJob.get()``: project, location and every field of the job."""
        parts = live.name.split("/")
        return {"project": parts[1], "location": parts[3], **tuning_job_from_proto(live)}

    def failure_message(self, live: Any, props: dict[str, Any]) -> str:
        """The job, its error, its failed trials and the last one's CustomJob and logs."""
        return tuning_api.failure_report(live, job_label(live.name, props), job_project(props))

    def log_stream(self, name: str, props: dict[str, Any]) -> Any | None:
        """A line per trial as it ends, while waiting."""
        return tuning_api.TrialProgress(name, job_label(name, props))
