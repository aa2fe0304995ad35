"""Running one study: trials as child CustomJobs, observed and judged each poll.

:class:`StudyDriver.advance` is called by the backend's loop under the backend's lock.
It talks to the CustomJob backend only through its public RPC methods
(``create_custom_job``, ``get_custom_job``, ``cancel_custom_job``), so the child jobs
are ordinary CustomJobs: listed by ListCustomJobs, run, reconciled after a restart and
cleaned up by ``custom_jobs/``.

A trial is created when it starts (state ACTIVE, parameters from ``algorithms.suggest``
for its index) and saved before its CustomJob is created; once the CustomJob exists its
name is in ``Trial.custom_job``. When the CustomJob ends:

* SUCCEEDED: the final measurement is chosen from the trial's measurements
  (``measurements.final_measurement``); the trial is SUCCEEDED, or INFEASIBLE when no
  measurement has the objective metric;
* FAILED (or CANCELLED by someone else, or deleted): INFEASIBLE with the reason.

Each of those INFEASIBLE trials counts as failed. When ``max_failed_trial_count`` (> 0)
failed trials are reached, the study stops: running trials are cancelled (they end
INFEASIBLE, "stopped", not counted) and the job FAILS saying so. With
``max_failed_trial_count`` 0 ("Vertex AI decides") the study never stops early. A study
that ends (``max_trial_count`` trials, or the grid exhausted) SUCCEEDS when at least one
trial SUCCEEDED, and FAILS otherwise.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from google.cloud.aiplatform_v1 import CustomJob, HyperparameterTuningJob, JobState, Trial
from google.protobuf import json_format
from google.rpc import code_pb2, status_pb2

from pulumi_vertex_training.emulator import records
from pulumi_vertex_training.emulator.exceptions import EmulatorError, FailedPrecondition, NotFound
from pulumi_vertex_training.emulator.execution.cluster import TrialContext
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs import (
    algorithms,
    measurements,
    states,
)

_S = JobState
_T = Trial.State
MAX_DISPLAY_NAME = 128


class CustomJobs(Protocol):
    """The CustomJob backend's public methods a study uses (``custom_jobs.backend.JobBackend``)."""

    def create_custom_job(self, parent: str, custom_job: CustomJob) -> CustomJob: ...

    def get_custom_job(self, name: str) -> CustomJob: ...

    def cancel_custom_job(self, name: str) -> None: ...

    def delete_custom_job(self, name: str) -> Any: ...


@dataclass
class Study:
    """A HyperparameterTuningJob (raw protobuf) and what its study needs to go on."""

    job: Any
    seed: int
    suggested: int = 0  # trials created so far (the next trial's index)
    failed: list[str] = field(default_factory=list)  # ids of the trials counted as failed
    stop: status_pb2.Status | None = None  # the error the job FAILS with once trials stop
    exhausted: bool = False  # the grid has no more points

    def to_record(self) -> dict[str, Any]:
        """A JSON document for the store."""
        return {
            "job": json_format.MessageToDict(self.job),
            "seed": str(self.seed),
            "suggested": self.suggested,
            "failed": list(self.failed),
            "stop": None if self.stop is None else json_format.MessageToDict(self.stop),
            "exhausted": self.exhausted,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Study:
        """The inverse of :meth:`to_record`."""
        job = json_format.ParseDict(
            data["job"], HyperparameterTuningJob.pb()(), ignore_unknown_fields=True
        )
        stop = data.get("stop")
        return cls(
            job=job,
            seed=int(data["seed"]),
            suggested=int(data.get("suggested", 0)),
            failed=list(data.get("failed", [])),
            stop=None if stop is None else json_format.ParseDict(stop, status_pb2.Status()),
            exhausted=bool(data.get("exhausted", False)),
        )


def metrics_dir(data_dir: pathlib.Path, job_name: str, trial_id: str) -> pathlib.Path:
    """The host folder mounted at ``/tmp/hypertune`` in a trial's primary replica."""
    return pathlib.Path(data_dir) / "hypertune" / job_name.rsplit("/", 1)[1] / trial_id


def set_state(job: Any, new: int, error: status_pb2.Status | None = None) -> None:
    """Move a job along the state table, stamping its times (and error)."""
    if new == _S.JOB_STATE_SUCCEEDED and job.state == _S.JOB_STATE_PENDING:
        set_state(job, _S.JOB_STATE_RUNNING)
    states.check_transition(job.state, new)
    now = records.now()
    job.state = new
    job.update_time.CopyFrom(now)
    if new == _S.JOB_STATE_RUNNING:
        job.start_time.CopyFrom(now)
    if new in states.TERMINAL:
        job.end_time.CopyFrom(now)
    if error is not None:
        job.error.CopyFrom(error)


class StudyDriver:
    """Advances studies: starts trials, reads their metrics, judges them, ends the job.

    Args:
        jobs: the CustomJob backend.
        data_dir: the emulator's data dir (the trials' metrics folders are under it).
        register: told each trial CustomJob's name and its :class:`TrialContext`.
        save: persists a study (called before a trial's CustomJob is created).
    """

    def __init__(
        self,
        jobs: CustomJobs,
        data_dir: pathlib.Path,
        register: Callable[[str, TrialContext], None],
        save: Callable[[Study], None],
    ) -> None:
        self._jobs = jobs
        self._data_dir = pathlib.Path(data_dir)
        self._register = register
        self._save = save

    def advance(self, study: Study) -> None:
        """One step of the study (see the module docstring)."""
        job = study.job
        if job.state in states.TERMINAL:
            return
        if job.state == _S.JOB_STATE_QUEUED:
            set_state(job, _S.JOB_STATE_PENDING)
        stopping = job.state == _S.JOB_STATE_CANCELLING or study.stop is not None
        for trial in _active(job):
            if trial.custom_job:
                self._observe(study, trial, stopping)
            elif stopping:
                _end(trial, _T.INFEASIBLE, "The study stopped before the trial started.")
            else:  # saved, but its CustomJob was not created (the emulator stopped)
                self._create_child(study, trial)
        if not stopping:
            limit = job.max_failed_trial_count
            if limit > 0 and len(study.failed) >= limit:
                study.stop = records.status(
                    code_pb2.INVALID_ARGUMENT,
                    f"{len(study.failed)} trials failed, which reaches max_failed_trial_count "
                    f"({limit}): the study stopped. {_last_failure(job, study)}",
                )
                stopping = True
        if stopping:
            self._stop_trials(study)
            return
        while (
            len(_active(job)) < job.parallel_trial_count
            and study.suggested < job.max_trial_count
            and not study.exhausted
        ):
            if not self._start_trial(study):
                break
        if not _active(job) and (study.suggested >= job.max_trial_count or study.exhausted):
            self._finish(study)

    # ---- trials -----------------------------------------------------------------------

    def _start_trial(self, study: Study) -> bool:
        job = study.job
        values = algorithms.suggest(job.study_spec, study.suggested, study.seed)
        if values is None:
            study.exhausted = True
            return False
        study.suggested += 1
        trial = job.trials.add()
        trial.id = str(study.suggested)
        trial.state = _T.ACTIVE
        trial.start_time.CopyFrom(records.now())
        for value in values:
            parameter = trial.parameters.add()
            parameter.parameter_id = value.parameter_id
            if value.kind == "categorical_value_spec":
                parameter.value.string_value = str(value.value)
            else:
                parameter.value.number_value = float(value.value)
        self._save(study)
        return self._create_child(study, trial)

    def _create_child(self, study: Study, trial: Any) -> bool:
        job = study.job
        values = algorithms.suggest(job.study_spec, int(trial.id) - 1, study.seed) or []
        child = _child_job(job, trial.id, algorithms.trial_args(values))
        parent = job.name.rsplit("/hyperparameterTuningJobs/", 1)[0]
        try:
            created = self._jobs.create_custom_job(parent, CustomJob.wrap(child))
        except EmulatorError as err:
            _end(trial, _T.INFEASIBLE, f"The trial's CustomJob could not be created: {err.message}")
            study.failed.append(trial.id)
            return False
        trial.custom_job = created.name
        self._register(
            created.name, TrialContext(trial.id, metrics_dir(self._data_dir, job.name, trial.id))
        )
        return True

    def _observe(self, study: Study, trial: Any, stopping: bool) -> None:
        job = study.job
        try:
            child = self._jobs.get_custom_job(trial.custom_job)
        except NotFound:
            _end(trial, _T.INFEASIBLE, f"The trial's CustomJob {trial.custom_job} was deleted.")
            study.failed.append(trial.id)
            return
        self._read_metrics(study, trial)
        state = JobState(child.state)
        started = state not in (_S.JOB_STATE_QUEUED, _S.JOB_STATE_PENDING)
        if started and job.state == _S.JOB_STATE_PENDING:
            set_state(job, _S.JOB_STATE_RUNNING)
        if state == _S.JOB_STATE_SUCCEEDED:
            final = measurements.final_measurement(list(trial.measurements), job.study_spec)
            if final is not None:
                trial.final_measurement.CopyFrom(final)
                _end(trial, _T.SUCCEEDED)
                return
            metric = job.study_spec.metrics[0].metric_id
            _end(
                trial,
                _T.INFEASIBLE,
                f"The trial reported no value of metric {metric!r} (cloudml-hypertune's "
                "/tmp/hypertune/output.metrics in the primary replica).",
            )
        elif state == _S.JOB_STATE_FAILED:
            _end(trial, _T.INFEASIBLE, f"The trial's CustomJob failed: {child.error.message}")
        elif state == _S.JOB_STATE_CANCELLED and stopping:
            _end(trial, _T.INFEASIBLE, "The trial was stopped: the study stopped.")
            return
        elif state == _S.JOB_STATE_CANCELLED:
            _end(trial, _T.INFEASIBLE, f"The trial's CustomJob {trial.custom_job} was cancelled.")
        else:
            return
        if trial.state == _T.INFEASIBLE:
            study.failed.append(trial.id)

    def _read_metrics(self, study: Study, trial: Any) -> None:
        metric_ids = [m.metric_id for m in study.job.study_spec.metrics]
        start = trial.start_time.seconds + trial.start_time.nanos / 1e9
        folder = metrics_dir(self._data_dir, study.job.name, trial.id)
        found = measurements.read_measurements(folder, start, metric_ids)
        merged = measurements.merge(list(trial.measurements), found)
        if len(merged) != len(trial.measurements):
            del trial.measurements[:]
            trial.measurements.extend(merged)

    def _stop_trials(self, study: Study) -> None:
        job = study.job
        active = _active(job)
        for trial in active:
            try:
                self._jobs.cancel_custom_job(trial.custom_job)
            except (FailedPrecondition, NotFound):
                pass  # finished meanwhile: judged at the next poll
        if active:
            return
        if job.state == _S.JOB_STATE_CANCELLING:
            set_state(job, _S.JOB_STATE_CANCELLED, records.status(code_pb2.CANCELLED, "CANCELED"))
        else:
            assert study.stop is not None
            set_state(job, _S.JOB_STATE_FAILED, study.stop)

    def _finish(self, study: Study) -> None:
        job = study.job
        if any(t.state == _T.SUCCEEDED for t in job.trials):
            set_state(job, _S.JOB_STATE_SUCCEEDED)
            return
        set_state(
            job,
            _S.JOB_STATE_FAILED,
            records.status(
                code_pb2.INVALID_ARGUMENT,
                f"No trial succeeded: all {len(job.trials)} trials are INFEASIBLE. "
                f"{_last_failure(job, study)}",
            ),
        )


def _active(job: Any) -> list[Any]:
    return [t for t in job.trials if t.state in (_T.REQUESTED, _T.ACTIVE, _T.STOPPING)]


def _end(trial: Any, state: int, reason: str = "") -> None:
    trial.state = state
    trial.end_time.CopyFrom(records.now())
    if reason:
        trial.infeasible_reason = reason


def _last_failure(job: Any, study: Study) -> str:
    if not study.failed:
        return ""
    trial = next(t for t in job.trials if t.id == study.failed[-1])
    return f"Last failure, trial {trial.id}: {trial.infeasible_reason}"


def _child_job(job: Any, trial_id: str, args: list[str]) -> Any:
    """The CustomJob backing a trial: the trial spec plus the trial's args and output dir."""
    child = CustomJob.pb()()
    suffix = f"-trial-{trial_id}"
    child.display_name = job.display_name[: MAX_DISPLAY_NAME - len(suffix)] + suffix
    child.labels.update(dict(job.labels))
    if job.HasField("encryption_spec"):
        child.encryption_spec.CopyFrom(job.encryption_spec)
    spec = child.job_spec
    spec.CopyFrom(job.trial_job_spec)
    for pool in spec.worker_pool_specs:
        task = pool.WhichOneof("task")
        if pool.ByteSize() and task is not None:
            getattr(pool, task).args.extend(args)
    base = spec.base_output_directory.output_uri_prefix
    if base:
        spec.base_output_directory.output_uri_prefix = f"{base.rstrip('/')}/{trial_id}"
    return child
