"""HyperparameterTuningJob API calls: its JobService RPCs, its outputs, its failure report.

Submit or adopt, wait, cancel and delete are every long-running job's (``job_api.py``),
bound here to HyperparameterTuningJobs, whose states are a CustomJob's ``JobState``.
A trial runs as a child CustomJob (``Trial.custom_job``): a failed tuning job's report
reads the last failed trial's CustomJob and its failing replica's last lines through
``job_logs.py``, as a failed ``vt.CustomJob`` does.

Outputs are shaped for programs rather than copied from the message: a trial is
``{"id", "state", "parameters": {id: value}, "final_measurement": {"step_count",
"metrics": {id: value}}, "custom_job", "infeasible_reason"}``; INTEGER parameters are
ints (the API carries every number as a double).

Example:
    >>> trial_output({"id": "2", "state": "SUCCEEDED",
    ...               "parameters": [{"parameter_id": "units", "value": 64.0}],
    ...               "final_measurement": {"step_count": "3",
    ...                                     "metrics": [{"metric_id": "acc", "value": 0.9}]}},
    ...              integers={"units"})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'id': '2', 'state': 'SUCCEEDED', 'parameters': {'units': 64},
     'final_measurement': {'step_count': 3, 'metrics': {'acc': 0.9}},
     'custom_job': None, 'infeasible_reason': None}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import custom_job_api, job_api, job_logs, progress
from pulumi_vertex_training.provider.custom_job_api import JOB_STATES
from pulumi_vertex_training.provider.job_api import JobApi
from pulumi_vertex_training.provider.values import time_string
from pulumi_vertex_training.spec import best_trial

TUNING_JOBS = JobApi(
    noun="tuning job",
    client=lambda location: client.job_service_client(location),
    get="get_hyperparameter_tuning_job",
    list="list_hyperparameter_tuning_jobs",
    create="create_hyperparameter_tuning_job",
    create_field="hyperparameter_tuning_job",
    cancel="cancel_hyperparameter_tuning_job",
    delete="delete_hyperparameter_tuning_job",
    states=JOB_STATES,
)

INFEASIBLE = "INFEASIBLE"
RUNNING_TRIAL_STATES = ("REQUESTED", "ACTIVE", "STOPPING")
CHILDREN_READ = 5
"""At most this many failed trials' CustomJobs are read to find one that FAILED."""


def _to_dict(message: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    pb = message if hasattr(message, "DESCRIPTOR") else type(message).pb(message)
    result: dict[str, Any] = json_format.MessageToDict(pb, preserving_proto_field_name=True)
    return result


def integer_parameters(study_spec: Mapping[str, Any]) -> set[str]:
    """The ids of a StudySpec dict's INTEGER parameters, conditional ones included."""
    found: set[str] = set()

    def walk(params: Iterable[Mapping[str, Any]]) -> None:
        for param in params:
            if "integer_value_spec" in param:
                found.add(str(param.get("parameter_id", "")))
            walk(c.get("parameter_spec", {}) for c in param.get("conditional_parameter_specs", ()))

    walk(study_spec.get("parameters", ()))
    return found


def _number(value: Any, whole: bool) -> Any:
    if whole and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def trial_dict(trial: Any) -> dict[str, Any]:
    """A live ``Trial`` (proto-plus) as an API-shaped dict, every value present: a metric
    value of 0 is a value (``MessageToDict`` would drop it as proto3's default)."""
    data: dict[str, Any] = {
        "id": trial.id,
        "state": trial.state.name,
        "parameters": [
            {"parameter_id": p.parameter_id, "value": p.value} for p in trial.parameters
        ],
        "custom_job": trial.custom_job,
        "infeasible_reason": trial.infeasible_reason,
    }
    if type(trial).pb(trial).HasField("final_measurement"):
        final = trial.final_measurement
        data["final_measurement"] = {
            "step_count": final.step_count,
            "metrics": [{"metric_id": m.metric_id, "value": m.value} for m in final.metrics],
        }
    return data


def trial_output(
    trial: Mapping[str, Any], integers: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any]:
    """One ``Trial`` dict (proto field names) as the ``trials`` output shows it."""
    parameters = {
        str(p.get("parameter_id")): _number(p.get("value"), p.get("parameter_id") in integers)
        for p in trial.get("parameters", ())
    }
    final = trial.get("final_measurement")
    measurement = None
    if final:
        measurement = {
            "step_count": int(final.get("step_count", 0)),
            "metrics": {str(m.get("metric_id")): m.get("value") for m in final.get("metrics", ())},
        }
    return {
        "id": trial.get("id"),
        "state": trial.get("state", "STATE_UNSPECIFIED"),
        "parameters": parameters,
        "final_measurement": measurement,
        "custom_job": trial.get("custom_job") or None,
        "infeasible_reason": trial.get("infeasible_reason") or None,
    }


def job_outputs(job: Any) -> dict[str, Any]:
    """The computed outputs of a HyperparameterTuningJob resource, from the live job."""
    study = _to_dict(job.study_spec)
    integers = integer_parameters(study)
    trials = [trial_dict(t) for t in job.trials]
    best = best_trial(trials, study.get("metrics", []))
    return {
        "job_id": job.name.rsplit("/", 1)[-1],
        "state": job.state.name,
        "error": job_api.error_of(job),
        "trials": [trial_output(t, integers) for t in trials],
        "best_trial": None if best is None else trial_output(best, integers),
        "create_time": time_string(job.create_time),
        "start_time": time_string(job.start_time),
        "end_time": time_string(job.end_time),
        "update_time": time_string(job.update_time),
        "console_url": client.console_url(job.name),
    }


def _describe(trial: Mapping[str, Any]) -> str:
    values = ", ".join(f"{k}={v}" for k, v in trial["parameters"].items())
    return f"trial {trial['id']}" + (f" ({values})" if values else "")


def last_failed_trial(trials: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, Any]:
    """(the trial to show, its CustomJob or None): of the INFEASIBLE trials, newest first,
    the first whose CustomJob FAILED (among the newest :data:`CHILDREN_READ`), else the
    newest. A study that stops cancels its running trials: those are not the cause."""
    failed = [t for t in trials if t["state"] == INFEASIBLE]
    failed.sort(key=lambda t: int(t["id"]) if str(t["id"]).isdigit() else 0, reverse=True)
    for trial in failed[:CHILDREN_READ]:
        if not trial["custom_job"]:
            continue
        try:
            child = custom_job_api.get_job(trial["custom_job"])
        except Exception:  # the report must not fail on a read
            continue
        if child is not None and child.state.name == "JOB_STATE_FAILED":
            return trial, child
    return (failed[0], None) if failed else (None, None)


def failure_report(job: Any, display_name: str, project: str | None = None) -> str:
    """What a FAILED or CANCELLED tuning job fails the deployment with: the job, its state,
    Vertex's error, how many trials failed, and the last failed trial's CustomJob with its
    failing replica's last lines (``job_logs.failure_report``) and how to see all."""
    outputs = job_outputs(job)
    trials = outputs["trials"]
    lines = [f'HyperparameterTuningJob "{display_name}" ({job.name}) ended {job.state.name}.']
    error = job.error.message or "(no error message)"
    lines.append(f"Vertex AI: {error}" + (f" (code {job.error.code})" if job.error.code else ""))
    failed = sum(1 for t in trials if t["state"] == INFEASIBLE)
    succeeded = sum(1 for t in trials if t["state"] == "SUCCEEDED")
    limit = job.max_failed_trial_count
    lines.append(
        f"Trials: {failed} of {len(trials)} failed (INFEASIBLE), {succeeded} succeeded; "
        f"max_failed_trial_count {limit or '0 (Vertex AI decides)'}."
    )
    trial, child = last_failed_trial(trials)
    if child is not None and trial is not None:  # its CustomJob's report says why
        lines.append(f"Last failed {_describe(trial)}, its CustomJob:")
        report = job_logs.failure_report(child, child.display_name, "failures", project)
        lines.extend(f"    {line}" for line in report.splitlines())
    elif trial is not None:
        lines.append(f"Last failed {_describe(trial)}: {trial['infeasible_reason'] or '?'}")
        if trial["custom_job"]:
            lines.append(f"    Its CustomJob: {trial['custom_job']}")
    lines.append(f"Console: {client.console_url(job.name)}")
    return "\n".join(lines)


class TrialProgress:
    """Reports each trial as it ends while the provider waits (one line per trial).

    Args:
        name: the tuning job's full name.
        label: what prefixes each line (the resource's display name).
        show: where lines go (``progress.info``).
    """

    def __init__(self, name: str, label: str, show: Callable[[str], None] = progress.info) -> None:
        self.name = name
        self.label = label
        self.show = show
        self.reported: set[str] = set()

    def poll(self, final: bool = False) -> None:
        """Show the trials that ended since the last poll; a failed read is skipped
        (``final``, the job has ended, changes nothing: every ended trial is shown)."""
        try:
            job = job_api.get(TUNING_JOBS, self.name)
        except Exception:
            return
        if job is None:
            return
        for trial in job_outputs(job)["trials"]:
            if trial["id"] in self.reported or trial["state"] in RUNNING_TRIAL_STATES:
                continue
            self.reported.add(trial["id"])
            if trial["final_measurement"]:
                metrics = trial["final_measurement"]["metrics"]
                result = ", ".join(f"{k}={v:g}" for k, v in metrics.items())
            else:
                result = trial["infeasible_reason"] or ""
            self.show(f"[{self.label}] {_describe(trial)} {trial['state']}: {result}")
