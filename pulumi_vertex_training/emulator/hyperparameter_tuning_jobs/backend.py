"""The emulator's state and API meaning for HyperparameterTuningJobs.

Method names are the RPC names in snake_case. Each job is a :class:`~.study.Study`,
kept in memory and written through to the :class:`~.emulator.store.Store` (kind
``hyperparameterTuningJob``: the job with its trials, the study's seed, how many trials
it started, which failed, why it stops) whenever a poll or an RPC changes it. A thread
polls every ``poll_interval`` seconds and advances each unfinished study
(``study.StudyDriver``); after a restart it simply goes on: running trials are the
CustomJob backend's jobs (reattached or failed by its reconcile), trials not started
yet start later.

The CustomJob backend (``attach_jobs``) runs the trials. Their env comes from
:meth:`TuningBackend.trial_job_runs`, which wraps the CustomJob backend's
``build_job_run``: a CustomJob backing a trial is built with its
``execution.cluster.TrialContext``.
"""

from __future__ import annotations

import logging
import pathlib
import shutil
import threading
from collections.abc import Callable
from typing import Any

from google.cloud.aiplatform_v1 import (
    CustomJob,
    HyperparameterTuningJob,
    JobState,
)
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator import common_validation, filters, records
from pulumi_vertex_training.emulator.exceptions import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from pulumi_vertex_training.emulator.execution.cluster import TrialContext
from pulumi_vertex_training.emulator.execution.types import JobRun
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs import (
    algorithms,
    states,
    validation,
)
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs.study import (
    CustomJobs,
    Study,
    StudyDriver,
    metrics_dir,
    set_state,
)
from pulumi_vertex_training.emulator.store import Store

log = logging.getLogger(__name__)

KIND = "hyperparameterTuningJob"
OPERATION_KIND = "operation"  # the kind operations.py reads (custom_jobs/backend.py's)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_OUTPUT_ONLY = (
    "name", "trials", "state", "create_time", "start_time", "end_time", "update_time",
    "error", "satisfies_pzs", "satisfies_pzi",
)  # fmt: skip

BuildJobRun = Callable[[CustomJob, pathlib.Path, str], JobRun]


class TuningBackend:
    """HyperparameterTuningJobs and their studies, persisted and run.

    Args:
        store: where the job records live (and the delete operations).
        data_dir: the emulator's data dir; trials' metrics folders go under ``hypertune/``.
        poll_interval: seconds between two polls of the studies.
    """

    def __init__(self, store: Store, data_dir: pathlib.Path, poll_interval: float = 0.2) -> None:
        self.store = store
        self.data_dir = pathlib.Path(data_dir)
        self._poll_interval = poll_interval
        self._lock = threading.RLock()
        self._studies: dict[str, Study] = {}
        self._trial_runs: dict[str, TrialContext] = {}
        for data in store.list(KIND):
            study = Study.from_record(data)
            self._studies[study.job.name] = study
            for trial in study.job.trials:
                if trial.custom_job:
                    self._trial_runs[trial.custom_job] = TrialContext(
                        trial.id, metrics_dir(self.data_dir, study.job.name, trial.id)
                    )
        self._jobs: CustomJobs | None = None
        self._driver: StudyDriver | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- wiring and lifecycle ----------------------------------------------------------

    def attach_jobs(self, jobs: CustomJobs) -> None:
        """The CustomJob backend that runs the trials (before :meth:`start`)."""
        self._jobs = jobs
        self._driver = StudyDriver(jobs, self.data_dir, self._register, self._save)

    def trial_job_runs(self, build: BuildJobRun | None = None) -> BuildJobRun:
        """``build`` (default ``execution.cluster.build_job_run``), given each trial's context.

        A custom ``build`` must accept ``trial=TrialContext`` as ``cluster.build_job_run``
        does, for the CustomJobs backing trials.
        """

        def build_job_run(job: CustomJob, data_dir: pathlib.Path, instance_id: str) -> JobRun:
            base: Any = build
            if base is None:
                from pulumi_vertex_training.emulator.execution import cluster

                base = cluster.build_job_run
            with self._lock:  # held while a trial's CustomJob is created and registered
                trial = self._trial_runs.get(job.name)
            if trial is None:
                return base(job, data_dir, instance_id)
            return base(job, data_dir, instance_id, trial=trial)

        return build_job_run

    def start(self) -> None:
        """Start polling the studies."""
        self._thread = threading.Thread(target=self._loop, name="vertex-local-hpt", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling; trials' CustomJobs are left to the CustomJob backend."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stopping.wait(self._poll_interval):
            try:
                self.poll_once()
            except Exception:  # keep polling: one bad study must not stall the others
                log.exception("study poll failed")

    def poll_once(self) -> None:
        """Advance every unfinished study once."""
        if self._driver is None:
            return
        with self._lock:
            names = [n for n, s in self._studies.items() if s.job.state not in states.TERMINAL]
        for name in names:
            with self._lock:
                study = self._studies.get(name)
                if study is None:
                    continue
                before = study.job.SerializeToString(deterministic=True)
                try:
                    self._driver.advance(study)
                finally:
                    if study.job.SerializeToString(deterministic=True) != before:
                        self._save(study)

    # ---- RPCs --------------------------------------------------------------------------

    def create_hyperparameter_tuning_job(
        self, parent: str, hyperparameter_tuning_job: HyperparameterTuningJob
    ) -> HyperparameterTuningJob:
        """Validate and store a new job (QUEUED); its study starts at the next poll.

        Output-only fields are ignored. Raises InvalidArgument.
        """
        common_validation.parse_parent(parent)
        job = HyperparameterTuningJob.pb()()
        job.CopyFrom(HyperparameterTuningJob.pb(hyperparameter_tuning_job))
        validation.validate(job)
        for name in _OUTPUT_ONLY:
            job.ClearField(name)
        job.name = f"{parent}/hyperparameterTuningJobs/{self.store.next_id(KIND)}"
        job.state = states.INITIAL
        now = records.now()
        job.create_time.CopyFrom(now)
        job.update_time.CopyFrom(now)
        study = Study(job=job, seed=algorithms.study_seed(job.study_spec))
        with self._lock:
            self._studies[job.name] = study
            self._save(study)
            return HyperparameterTuningJob.wrap(_copy(job))

    def get_hyperparameter_tuning_job(self, name: str) -> HyperparameterTuningJob:
        """The job named ``name``, trials included. Raises InvalidArgument, NotFound."""
        with self._lock:
            return HyperparameterTuningJob.wrap(_copy(self._get(name).job))

    def list_hyperparameter_tuning_jobs(
        self, parent: str, filter: str = "", page_size: int = 0, page_token: str = ""
    ) -> tuple[list[HyperparameterTuningJob], str]:
        """One page of the jobs under ``parent``, newest first, and the next page token.

        ``filter`` as ListCustomJobs'. Raises InvalidArgument.
        """
        project, location = common_validation.parse_parent(parent)
        matches = filters.compile_filter(filter) if filter.strip() else (lambda _: True)
        if page_size < 0:
            raise InvalidArgument.of("page_size", f"{page_size} must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = int(token) if (token := records.decode_page_token(page_token)) else None
        with self._lock:
            jobs = [
                _copy(s.job)
                for s in sorted(self._studies.values(), key=lambda s: _id(s.job), reverse=True)
                if _in_parent(s.job.name, project, location)
                and (after is None or _id(s.job) < after)
            ]
        page: list[HyperparameterTuningJob] = []
        next_token = ""
        for job in jobs:
            if not matches(job):
                continue
            if len(page) == size:
                last = HyperparameterTuningJob.pb(page[-1])
                next_token = records.encode_page_token(str(_id(last)))
                break
            page.append(HyperparameterTuningJob.wrap(job))
        return page, next_token

    def cancel_hyperparameter_tuning_job(self, name: str) -> None:
        """CANCELLING now; CANCELLED (error code 1) once the running trials are stopped.

        No-op on a CANCELLING job. Raises NotFound, FailedPrecondition (finished).
        """
        with self._lock:
            study = self._get(name)
            state = JobState(study.job.state)
            if state == JobState.JOB_STATE_CANCELLING:
                return
            if state not in states.CANCELLABLE:
                raise FailedPrecondition(
                    f"Cannot cancel {name}: it is {state.name} and has already finished."
                )
            set_state(study.job, JobState.JOB_STATE_CANCELLING)
            self._save(study)

    def delete_hyperparameter_tuning_job(self, name: str) -> operations_pb2.Operation:
        """Delete a finished job and its trials' CustomJobs; the delete Operation, done.

        Raises NotFound, FailedPrecondition (not finished: cancel it first).
        """
        with self._lock:
            study = self._get(name)
            state = JobState(study.job.state)
            if state not in states.TERMINAL:
                raise FailedPrecondition(
                    f"Cannot delete {name}: it is {state.name}. Cancel it and wait for "
                    "JOB_STATE_CANCELLED (or for it to finish) first."
                )
            del self._studies[name]
            self.store.delete(KIND, name)
            children = [t.custom_job for t in study.job.trials if t.custom_job]
            for child in children:
                self._trial_runs.pop(child, None)
        for child in children:
            try:
                if self._jobs is not None:
                    self._jobs.delete_custom_job(child)
            except (FailedPrecondition, NotFound):
                pass
        shutil.rmtree(self.data_dir / "hypertune" / name.rsplit("/", 1)[1], ignore_errors=True)
        return records.deleted_operation(self.store, OPERATION_KIND, name)

    # ---- records -----------------------------------------------------------------------

    def _get(self, name: str) -> Study:
        validation.check_name(name)
        study = self._studies.get(name)
        if study is None:
            raise NotFound(f"HyperparameterTuningJob {name} not found.")
        return study

    def _register(self, child: str, trial: TrialContext) -> None:
        with self._lock:
            self._trial_runs[child] = trial

    def _save(self, study: Study) -> None:
        self.store.put(KIND, study.job.name, study.to_record())


def _copy(job: Any) -> Any:
    clone = HyperparameterTuningJob.pb()()
    clone.CopyFrom(job)
    return clone


def _id(job: Any) -> int:
    return int(job.name.rsplit("/", 1)[1])


def _in_parent(name: str, project: str, location: str) -> bool:
    parts = name.split("/")
    return project in ("-", parts[1]) and location in ("-", parts[3])
