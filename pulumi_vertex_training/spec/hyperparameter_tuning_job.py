"""HyperparameterTuningJob: normalize what the user wrote and check every rule, at preview.

Canonical form (``NormalizedTuningJob.value``): the job's input fields (display_name,
study_spec, max_trial_count, parallel_trial_count, max_failed_trial_count,
trial_job_spec, labels, encryption_spec) with snake_case names, enums by API name,
numbers as int / float, zeros proto3 cannot tell from absent dropped (messages given
are kept: they may select a oneof member), UNKNOWN kept. ``trial_job_spec`` is the
canonical CustomJobSpec of ``normalize_custom_job`` (its defaults applied), and its
failures are reported under ``trial_job_spec.*``.

Rules: the StudySpec's in ``study.py``; here ``display_name`` (1 to 128 characters),
``max_trial_count`` and ``parallel_trial_count`` required and >= 1,
``max_failed_trial_count`` >= 0, labels and CMEK as for a CustomJob. Stricter than the
emulator on purpose: ``parallel_trial_count`` must not exceed ``max_trial_count`` (the
reference is silent; a larger value can only be a mistake), plus ``study.py``'s list.

:func:`best_trial` picks a finished study's best trial the way Google's own pipeline
component does (the objective is the first metric; MAXIMIZE unless MINIMIZE).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import names
from .args import to_plain
from .coerce import coerce_field, coerce_message
from .custom_job import MAX_DISPLAY_NAME, check_encryption_spec, normalize_custom_job
from .failures import Normalized, SpecFailure, is_unknown, missing, without_redundant
from .resource_names import check_labels
from .schema import Field
from .study import check_study_spec
from .study_schema import coerce, prune

if TYPE_CHECKING:
    from google.cloud.aiplatform_v1 import HyperparameterTuningJob

JOB_FIELDS = (
    "display_name",
    "study_spec",
    "max_trial_count",
    "parallel_trial_count",
    "max_failed_trial_count",
    "trial_job_spec",
    "labels",
    "encryption_spec",
)
"""The HyperparameterTuningJob message fields a user gives (the rest are output only)."""

_COUNTS = ("max_trial_count", "parallel_trial_count", "max_failed_trial_count")
_TRIAL_JOB_DISPLAY_NAME = "trial"  # a stand-in: trials' CustomJobs are named by the service


class NormalizedTuningJob(Normalized):
    """The canonical HyperparameterTuningJob fields and every problem found, all at once."""


def normalize_hyperparameter_tuning_job(
    raw: Mapping[str, Any], *, location: str | None = None
) -> NormalizedTuningJob:
    """Normalize and validate HyperparameterTuningJob inputs (snake_case or REST camelCase,
    args dataclasses or dicts; any value may be UNKNOWN).

    Args:
        raw: the job's input fields (see :data:`JOB_FIELDS`).
        location: the job's region, when known; the CMEK key must be in it.

    Returns:
        NormalizedTuningJob with the canonical value and all failures (never raises).
    """
    failures: list[SpecFailure] = []
    plain = to_plain(raw)
    if not isinstance(plain, Mapping):
        return NormalizedTuningJob({}, [SpecFailure("", "must be an object", plain)])
    value: dict[str, Any] = {}
    for key, item in plain.items():
        name = names.resolve_key(key, JOB_FIELDS) if isinstance(key, str) else None
        if name is None:
            hint = names.closest(str(key), JOB_FIELDS)
            suggestion = f"did you mean {hint!r}?" if hint else f"known: {', '.join(JOB_FIELDS)}"
            failures.append(
                SpecFailure(
                    str(key), f"unknown field of HyperparameterTuningJob; {suggestion}", item
                )
            )
        elif item is not None:
            value[name] = item
    _check_display_name(value.get("display_name"), failures)
    for name in _COUNTS:
        if name in value:
            value[name] = coerce_field(value[name], Field("int32"), "", name, name, failures)
    if "labels" in value:
        value["labels"] = coerce_field(
            value["labels"], Field("map"), "", "labels", "labels", failures
        )
    if "encryption_spec" in value:
        value["encryption_spec"] = coerce_message(
            value["encryption_spec"], "EncryptionSpec", "encryption_spec", failures
        )
    _check_counts(value, failures)
    check_labels(value.get("labels"), "labels", failures)
    check_encryption_spec(value.get("encryption_spec"), "encryption_spec", location, failures)
    if "study_spec" in value:
        study = coerce(value["study_spec"], "StudySpec", "study_spec", failures)
        check_study_spec(study, "study_spec", failures)
        value["study_spec"] = prune(study, "StudySpec")
    else:
        failures.append(missing("study_spec", "required: metrics and parameters"))
    if "trial_job_spec" in value:
        value["trial_job_spec"] = _trial_job_spec(value["trial_job_spec"], location, failures)
    else:
        failures.append(missing("trial_job_spec", "required: the CustomJobSpec every trial runs"))
    if value.get("max_failed_trial_count") == 0:
        del value["max_failed_trial_count"]  # proto3 cannot tell 0 from unset
    out = {k: v for k, v in value.items() if is_unknown(v) or v not in (None, {}, "")}
    return NormalizedTuningJob(out, without_redundant(failures))


def _check_display_name(name: Any, failures: list[SpecFailure]) -> None:
    if name is None or name == "":
        failures.append(missing("display_name", "required: 1 to 128 characters"))
    elif isinstance(name, str) and not name.strip():
        failures.append(SpecFailure("display_name", "must not be blank: 1 to 128 characters", name))
    elif isinstance(name, str) and len(name) > MAX_DISPLAY_NAME:
        failures.append(
            SpecFailure(
                "display_name", f"at most {MAX_DISPLAY_NAME} characters, got {len(name)}", name
            )
        )
    elif not isinstance(name, str) and not is_unknown(name):
        failures.append(SpecFailure("display_name", "must be a string", name))


def _check_counts(value: dict[str, Any], failures: list[SpecFailure]) -> None:
    for name in ("max_trial_count", "parallel_trial_count"):
        count = value.get(name)
        if count is None:
            failures.append(missing(name, "required: 1 or more"))
        elif isinstance(count, int) and count < 1:
            failures.append(SpecFailure(name, "must be 1 or more", count))
    failed = value.get("max_failed_trial_count")
    if isinstance(failed, int) and failed < 0:
        failures.append(
            SpecFailure("max_failed_trial_count", "must be 0 (the service decides) or more", failed)
        )
    most, parallel = value.get("max_trial_count"), value.get("parallel_trial_count")
    if isinstance(most, int) and isinstance(parallel, int) and 1 <= most < parallel:
        failures.append(
            SpecFailure(
                "parallel_trial_count",
                f"must be at most max_trial_count ({most}): no more trials can run at once",
                parallel,
            )
        )


def _trial_job_spec(spec: Any, location: str | None, failures: list[SpecFailure]) -> Any:
    """``spec`` through ``normalize_custom_job``, its failures re-pathed to trial_job_spec."""
    if is_unknown(spec):
        return spec
    job = normalize_custom_job(
        {"display_name": _TRIAL_JOB_DISPLAY_NAME, "job_spec": spec}, location=location
    )
    for failure in job.failures:
        path = failure.path
        if path == "job_spec" or path.startswith(("job_spec.", "job_spec[")):
            path = "trial_job_spec" + path[len("job_spec") :]
        failures.append(
            SpecFailure(path, failure.reason, failure.value, has_value=failure.has_value)
        )
    return job.value.get("job_spec")


# ---- to and from the API message --------------------------------------------------------


def tuning_job_to_proto(canonical: dict[str, Any]) -> HyperparameterTuningJob:
    """The HyperparameterTuningJob to send in CreateHyperparameterTuningJobRequest, from
    ``NormalizedTuningJob.value`` (already proto field names, enum names, "Ns" durations).

    >>> job = normalize_hyperparameter_tuning_job({"display_name": "t", "max_trial_count": 2,
    ...     "parallel_trial_count": 1, "study_spec": {
    ...         "metrics": [{"metric_id": "m", "goal": "MAXIMIZE"}],
    ...         "parameters": [{"parameter_id": "p",
    ...                         "integer_value_spec": {"min_value": 1, "max_value": 2}}]},
    ...     "trial_job_spec": {"worker_pool_specs": [{"machine_spec": {
    ...         "machine_type": "n1-standard-4"}, "container_spec": {"image_uri": "i"}}]}})
    >>> tuning_job_to_proto(job.value).study_spec.parameters[0].integer_value_spec.max_value
    2
    """
    from google.cloud.aiplatform_v1 import HyperparameterTuningJob
    from google.protobuf import json_format

    from .hashing import has_unknowns

    if has_unknowns(canonical):
        raise ValueError("cannot build a request from a spec with unknown values")
    job = HyperparameterTuningJob()
    body = {k: v for k, v in canonical.items() if k in JOB_FIELDS}
    json_format.ParseDict(body, HyperparameterTuningJob.pb(job))
    return job


def tuning_job_from_proto(job: Any) -> dict[str, Any]:
    """The canonical form of a live job's input fields (proto-plus or raw protobuf), as
    :func:`normalize_hyperparameter_tuning_job` gives them: what ``.get()`` reads."""
    from google.protobuf import json_format

    pb = job if hasattr(job, "DESCRIPTOR") else type(job).pb(job)
    data = json_format.MessageToDict(pb, preserving_proto_field_name=True)
    # Failures are ignored: a live job is the truth even where it breaks a preview rule.
    raw = {k: v for k, v in data.items() if k in JOB_FIELDS}
    return normalize_hyperparameter_tuning_job(raw).value


# ---- the best trial ----------------------------------------------------------------------

_INFEASIBLE = ("INFEASIBLE", 5)
_MINIMIZE = ("MINIMIZE", 2)


def _get(message: Any, name: str) -> Any:
    if not isinstance(message, Mapping):
        return None
    if name in message:
        return message[name]
    return message.get(names.camel_case(name))


def best_trial(trials: Sequence[Mapping[str, Any]], metrics: Sequence[Mapping[str, Any]]) -> Any:
    """The trial with the best final value of the objective metric, or None.

    Args:
        trials: ``Trial`` dicts (snake_case or REST camelCase; ``state`` by name or number).
        metrics: the study's ``MetricSpec`` dicts; the first is the objective, its ``goal``
            MINIMIZE picks the lowest value, MAXIMIZE or unset ("Goal Type will default to
            maximize") the highest.

    INFEASIBLE trials, and trials without a final value of the objective (still running),
    are ignored; of equal values the first trial wins.
    """
    if not metrics:
        return None
    objective = metrics[0]
    metric_id = _get(objective, "metric_id")
    goal = _get(objective, "goal")
    sign = -1.0 if goal in _MINIMIZE else 1.0
    best: tuple[float, Any] | None = None
    for trial in trials:
        if _get(trial, "state") in _INFEASIBLE:
            continue
        value = _final_value(trial, metric_id)
        if value is not None and (best is None or sign * value > sign * best[0]):
            best = (value, trial)
    return None if best is None else best[1]


def _final_value(trial: Any, metric_id: Any) -> float | None:
    final = _get(trial, "final_measurement")
    for metric in _get(final, "metrics") or ():
        if _get(metric, "metric_id") == metric_id:
            value = _get(metric, "value")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
    return None
