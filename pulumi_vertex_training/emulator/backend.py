"""The emulator's state and API meaning for CustomJobs (moto-style backend).

Method names are the RPC names in snake_case. The backend owns every job record
(kept in memory, written through to the :class:`~.store.Store` on each change),
validates requests (``validation.py``), moves jobs through the state machine in
``states.py``, and drives a :class:`~.runner_types.Runner`:

- CreateCustomJob stores the job QUEUED and hands it to a worker thread, which
  moves it to PENDING and starts its containers.
- A monitor thread polls the runner every ``poll_interval`` seconds for each
  active job: RUNNING once every replica runs, SUCCEEDED / FAILED when they end,
  FAILED when ``job_spec.scheduling.timeout`` passes, CANCELLED after a cancel.
- Slow runner calls (start, stop, cleanup) run on a small thread pool, one at a
  time per job, so one slow ``docker stop`` never delays the others.

On :meth:`JobBackend.start` it reconciles the stored jobs with the containers the
runner still knows (after a restart): live ones are reattached, vanished ones FAILED.
"""

from __future__ import annotations

import logging
import pathlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from google.cloud.aiplatform_v1 import (
    CustomJob,
    DeleteOperationMetadata,
    JobState,
    WorkerPoolSpec,
)
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2, json_format
from google.rpc import code_pb2, status_pb2

from pulumi_vertex_training.emulator import records, states, validation
from pulumi_vertex_training.emulator.exceptions import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unimplemented,
)
from pulumi_vertex_training.emulator.runner_types import JobRun, Runner, RunPhase, RunStatus
from pulumi_vertex_training.emulator.store import Store

log = logging.getLogger(__name__)

JOB_KIND = "customJob"
OPERATION_KIND = "operation"
DEFAULT_TIMEOUT_SECONDS = 7 * 24 * 3600
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

BuildJobRun = Callable[[CustomJob, pathlib.Path, str], JobRun]
"""``cluster.build_job_run``'s signature: the job -> the containers to run."""


def _default_build_job_run(job: CustomJob, data_dir: pathlib.Path, instance_id: str) -> JobRun:
    from pulumi_vertex_training.emulator import cluster

    return cluster.build_job_run(job, data_dir, instance_id)


class JobScheduler(Protocol):
    """Decides where and when a job may run (``PersistentResourceBackend`` is one).

    ``admit`` runs at CreateCustomJob, after validation, with the job's name set; an
    ``EmulatorError`` it raises refuses the job. ``claim`` runs before QUEUED ->
    PENDING, under the backend's lock: False keeps the job QUEUED (retried each poll).
    ``release`` runs when the job reaches a terminal state.
    """

    def admit(self, job: CustomJob) -> None: ...

    def claim(self, job: CustomJob) -> bool: ...

    def release(self, job: CustomJob) -> None: ...


class JobBackend:
    """CustomJobs and their long-running operations, persisted and run.

    Args:
        store: where job and operation records live.
        runner: runs the containers (``runner.DockerRunner`` in production).
        data_dir: the emulator's data dir (handed to ``build_job_run``).
        instance_id: identifies this data dir on container labels.
        build_job_run: turns a CustomJob into a JobRun; default ``cluster.build_job_run``.
        poll_interval: seconds between two polls of the runner.
        scheduler: see :class:`JobScheduler`; None lets every job start at once.
    """

    def __init__(
        self,
        store: Store,
        runner: Runner,
        data_dir: pathlib.Path,
        instance_id: str,
        build_job_run: BuildJobRun | None = None,
        poll_interval: float = 0.2,
        scheduler: JobScheduler | None = None,
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.runner = runner
        self.data_dir = pathlib.Path(data_dir)
        self.instance_id = instance_id
        self._build_job_run = build_job_run or _default_build_job_run
        self._poll_interval = poll_interval
        self._lock = threading.RLock()
        self._jobs: dict[str, Any] = {}  # name -> CustomJob protobuf message
        for data in store.list(JOB_KIND):
            job = json_format.ParseDict(data, CustomJob.pb()(), ignore_unknown_fields=True)
            self._jobs[job.name] = job
        self._busy: set[str] = set()  # jobs with a start/stop/cleanup task in flight
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="vertex-local-job")

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Reconcile stored jobs with the runner, then start the monitor thread."""
        self.reconcile()
        self._monitor = threading.Thread(
            target=self._monitor_loop, name="vertex-local-monitor", daemon=True
        )
        self._monitor.start()

    def stop(self) -> None:
        """Stop monitoring. Running containers are left alone: a restart reattaches them."""
        self._stopping.set()
        if self._monitor is not None:
            self._monitor.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def reconcile(self) -> None:
        """Match stored jobs with the containers the runner still knows (after a restart).

        A job that was running and still has containers is reattached (the monitor
        picks it up); one whose containers are gone is FAILED with the reason;
        a finished job's leftover containers are cleaned up.
        """
        known = self.runner.known_jobs()
        with self._lock:
            jobs = {name: JobState(job.state) for name, job in self._jobs.items()}
        for name, state in jobs.items():
            if state in states.TERMINAL:
                if name in known:
                    self._submit(name, self._cleanup)
            elif state == JobState.JOB_STATE_QUEUED:
                if name in known:  # killed mid-start: the containers exist, watch them
                    self._transition(name, JobState.JOB_STATE_PENDING)
            elif name not in known:
                if state == JobState.JOB_STATE_CANCELLING:
                    self._transition(name, JobState.JOB_STATE_CANCELLED, _cancelled())
                else:
                    self._transition(
                        name,
                        JobState.JOB_STATE_FAILED,
                        records.status(
                            code_pb2.INTERNAL,
                            "The emulator restarted and the job's containers were gone "
                            f"(the job was {state.name}); it cannot be resumed.",
                        ),
                    )
            else:
                log.info("reattached %s (%s)", name, state.name)
        for orphan in known - set(jobs):
            self._submit(orphan, self._cleanup)

    # ---- RPCs ------------------------------------------------------------------------

    def create_custom_job(self, parent: str, custom_job: CustomJob) -> CustomJob:
        """Validate and store a new job (QUEUED), then start it in the background.

        Output-only fields of ``custom_job`` are ignored. Raises InvalidArgument.
        """
        validation.parse_parent(parent)
        job = CustomJob.pb()()
        job.CopyFrom(CustomJob.pb(custom_job))
        validation.validate_custom_job(job)
        for output_only in (
            "name", "state", "create_time", "start_time", "end_time", "update_time", "error",
            "web_access_uris",
        ):  # fmt: skip
            job.ClearField(output_only)
        job_id = self.store.next_id("customJob")
        job.name = f"{parent}/customJobs/{job_id}"
        if self.scheduler is not None:
            self.scheduler.admit(CustomJob.wrap(_copy(job)))
        job.state = states.INITIAL
        now = records.now()
        job.create_time.CopyFrom(now)
        job.update_time.CopyFrom(now)
        with self._lock:
            self._jobs[job.name] = job
            self._save(job)
            created = _copy(job)
        self._submit(job.name, self._start_job)
        return CustomJob.wrap(created)

    def get_custom_job(self, name: str) -> CustomJob:
        """The job named ``name``. Raises InvalidArgument, NotFound."""
        with self._lock:
            return CustomJob.wrap(_copy(self._get(name)))

    def list_custom_jobs(
        self, parent: str, filter: str = "", page_size: int = 0, page_token: str = ""
    ) -> tuple[list[CustomJob], str]:
        """One page of the jobs under ``parent``, newest first, and the next page token.

        ``-`` as project or location lists across all of them (an emulator extension,
        used by ``vertex-local jobs``). Raises InvalidArgument on a bad parent, filter
        or page token.
        """
        project, location = validation.parse_parent(parent)
        matches = _compile_filter(filter)
        if page_size < 0:
            raise InvalidArgument(f"page_size: {page_size} must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = int(token) if (token := records.decode_page_token(page_token)) else None
        with self._lock:
            jobs = sorted(self._jobs.values(), key=_job_id, reverse=True)
            jobs = [
                _copy(j)
                for j in jobs
                if _in_parent(j.name, project, location) and (after is None or _job_id(j) < after)
            ]
        page: list[CustomJob] = []
        next_token = ""
        for job in jobs:
            wrapped = CustomJob.wrap(job)
            if not matches(wrapped):
                continue
            if len(page) == size:
                next_token = records.encode_page_token(str(_job_id(CustomJob.pb(page[-1]))))
                break
            page.append(wrapped)
        return page, next_token

    def cancel_custom_job(self, name: str) -> None:
        """Ask a job to stop: CANCELLING now, CANCELLED once its containers are stopped.

        Cancelling a job that is CANCELLING already does nothing. Raises NotFound, and
        FailedPrecondition for a job that has finished.
        """
        with self._lock:
            state = JobState(self._get(name).state)
            if state == JobState.JOB_STATE_CANCELLING:
                return
            if state not in states.CANCELLABLE:
                raise FailedPrecondition(
                    f"Cannot cancel {name}: it is {state.name} and has already finished."
                )
            self._transition(name, JobState.JOB_STATE_CANCELLING)
        self._submit(name, self._finish_cancel)

    def delete_custom_job(self, name: str) -> operations_pb2.Operation:
        """Delete a finished job; returns the (already done) delete Operation.

        Raises NotFound, and FailedPrecondition for a job that has not finished
        (cancel it first).
        """
        with self._lock:
            state = JobState(self._get(name).state)
            if state not in states.TERMINAL:
                raise FailedPrecondition(
                    f"Cannot delete {name}: it is {state.name}. Cancel it and wait for "
                    "JOB_STATE_CANCELLED (or for it to finish) first."
                )
            del self._jobs[name]
            self.store.delete(JOB_KIND, name)
        now = records.now()
        op = operations_pb2.Operation(
            name=f"{name}/operations/{self.store.next_id('operation')}", done=True
        )
        metadata = DeleteOperationMetadata.pb()()
        metadata.generic_metadata.create_time.CopyFrom(now)
        metadata.generic_metadata.update_time.CopyFrom(now)
        op.metadata.Pack(metadata)
        op.response.Pack(empty_pb2.Empty())
        records.save_operation(self.store, OPERATION_KIND, op)
        return op

    def get_operation(self, name: str) -> operations_pb2.Operation:
        """A long-running operation by name. Raises InvalidArgument, NotFound."""
        validation.check_operation_name(name)
        return records.load_operation(self.store, OPERATION_KIND, name)

    # ---- the monitor -----------------------------------------------------------------

    def _monitor_loop(self) -> None:
        while not self._stopping.wait(self._poll_interval):
            try:
                self.poll_once()
            except Exception:  # keep monitoring: one bad poll must not strand every job
                log.exception("monitor poll failed")

    def poll_once(self) -> None:
        """Look at every active job once: start, advance, time out or finish cancelling it."""
        with self._lock:
            active = [
                (name, JobState(job.state), _copy(job))
                for name, job in self._jobs.items()
                if job.state in states.ACTIVE and name not in self._busy
            ]
        for name, state, job in active:
            if state == JobState.JOB_STATE_QUEUED:
                self._submit(name, self._start_job)
            elif state == JobState.JOB_STATE_CANCELLING:
                self._submit(name, self._finish_cancel)
            elif state == JobState.JOB_STATE_RUNNING and _timed_out(job):
                self._submit(name, self._time_out)
            else:
                try:
                    status = self.runner.status(name)
                except Exception:
                    log.exception("runner.status(%s) failed", name)
                    continue
                self._apply_status(name, status)

    def _apply_status(self, name: str, status: RunStatus) -> None:
        # Decided under the lock against the *current* state: a cancel RPC may have
        # moved the job since the poll began.
        with self._lock:
            job = self._jobs.get(name)
            if job is None or name in self._busy:
                return
            state = JobState(job.state)
            if state not in (JobState.JOB_STATE_PENDING, JobState.JOB_STATE_RUNNING):
                return
            if status.phase in (RunPhase.RUNNING, RunPhase.SUCCEEDED):
                if state == JobState.JOB_STATE_PENDING:  # a fast job still passes RUNNING
                    self._transition(name, JobState.JOB_STATE_RUNNING)
                if status.phase == RunPhase.SUCCEEDED:
                    self._transition(name, JobState.JOB_STATE_SUCCEEDED)
            elif status.phase == RunPhase.FAILED:
                message = status.message or f"A replica exited non-zero: {status.exit_codes}"
                self._transition(
                    name,
                    JobState.JOB_STATE_FAILED,
                    records.status(code_pb2.INVALID_ARGUMENT, message),
                )
            elif status.phase == RunPhase.MISSING:
                self._transition(
                    name,
                    JobState.JOB_STATE_FAILED,
                    records.status(
                        code_pb2.INTERNAL,
                        "The job's containers disappeared while it was "
                        f"{state.name} (removed outside the emulator).",
                    ),
                )
            else:
                return
            finished = JobState(job.state) in states.TERMINAL
        if finished:
            self._submit(name, self._cleanup)

    # ---- tasks (run on the pool, one at a time per job) --------------------------------

    def _submit(self, name: str, task: Callable[[str], None]) -> None:
        with self._lock:
            if name in self._busy or self._stopping.is_set():
                return  # the monitor retries on its next poll
            self._busy.add(name)
        try:
            self._pool.submit(self._run_task, name, task)
        except RuntimeError:  # the pool shut down under us
            with self._lock:
                self._busy.discard(name)

    def _run_task(self, name: str, task: Callable[[str], None]) -> None:
        try:
            task(name)
        except Exception:
            log.exception("%s(%s) failed", task.__name__, name)
        finally:
            with self._lock:
                self._busy.discard(name)

    def _start_job(self, name: str) -> None:
        with self._lock:
            job = self._jobs.get(name)
            if job is None or job.state != JobState.JOB_STATE_QUEUED:
                return
            if self.scheduler is not None and not self.scheduler.claim(CustomJob.wrap(_copy(job))):
                return  # no room yet: stays QUEUED, the monitor retries
            self._transition(name, JobState.JOB_STATE_PENDING)
            job = _copy(job)
        try:
            self.runner.start(
                self._build_job_run(CustomJob.wrap(job), self.data_dir, self.instance_id)
            )
        except Exception as err:
            log.warning("could not start %s: %s", name, err)
            with self._lock:
                if JobState(self._jobs[name].state) in states.TERMINAL:
                    return
                self._transition(
                    name,
                    JobState.JOB_STATE_FAILED,
                    records.status(
                        code_pb2.INVALID_ARGUMENT, f"The job's containers could not start: {err}"
                    ),
                )
            self._cleanup(name)

    def _finish_cancel(self, name: str) -> None:
        self.runner.stop(name)
        with self._lock:
            job = self._jobs.get(name)
            if job is None or job.state != JobState.JOB_STATE_CANCELLING:
                return
            self._transition(name, JobState.JOB_STATE_CANCELLED, _cancelled())
        self._cleanup(name)

    def _time_out(self, name: str) -> None:
        with self._lock:
            job = _copy(self._jobs[name])
        self.runner.stop(name)
        seconds = _timeout_seconds(job)
        with self._lock:
            if JobState(self._jobs[name].state) in states.TERMINAL:
                return
            self._transition(
                name,
                JobState.JOB_STATE_FAILED,
                records.status(
                    code_pb2.DEADLINE_EXCEEDED,
                    f"The job timed out: it ran longer than job_spec.scheduling.timeout "
                    f"({seconds:g}s) and was stopped.",
                ),
            )
        self._cleanup(name)

    def _cleanup(self, name: str) -> None:
        self.runner.cleanup(name)

    # ---- records ---------------------------------------------------------------------

    def _get(self, name: str) -> Any:
        validation.check_custom_job_name(name)
        job = self._jobs.get(name)
        if job is None:
            raise NotFound(f"CustomJob {name} not found.")
        return job

    def _transition(self, name: str, new: int, error: status_pb2.Status | None = None) -> None:
        with self._lock:
            job = self._jobs[name]
            states.check_transition(JobState(job.state), new)
            now = records.now()
            job.state = new
            job.update_time.CopyFrom(now)
            if new == JobState.JOB_STATE_RUNNING:
                job.start_time.CopyFrom(now)
                if job.job_spec.enable_web_access:
                    job.web_access_uris.update(_web_access_uris(job))
            if new in states.TERMINAL:
                job.end_time.CopyFrom(now)
                job.web_access_uris.clear()
                if self.scheduler is not None:
                    self.scheduler.release(CustomJob.wrap(_copy(job)))
            if error is not None:
                job.error.CopyFrom(error)
            self._save(job)
        log.info("%s -> %s", name, JobState(new).name)

    def _save(self, job: Any) -> None:
        self.store.put(JOB_KIND, job.name, json_format.MessageToDict(job))


def _copy(job: Any) -> Any:
    clone = CustomJob.pb()()
    clone.CopyFrom(job)
    return clone


def _cancelled() -> status_pb2.Status:
    return records.status(code_pb2.CANCELLED, "CANCELED")


def _job_id(job: Any) -> int:
    return int(job.name.rsplit("/", 1)[1])


def _in_parent(name: str, project: str, location: str) -> bool:
    parts = name.split("/")
    return project in ("-", parts[1]) and location in ("-", parts[3])


def _timeout_seconds(job: Any) -> float:
    timeout = job.job_spec.scheduling.timeout
    seconds = timeout.seconds + timeout.nanos / 1e9
    return seconds if seconds > 0 else DEFAULT_TIMEOUT_SECONDS


def _timed_out(job: Any) -> bool:
    started = job.start_time.seconds + job.start_time.nanos / 1e9
    return bool(started) and time.time() - started > _timeout_seconds(job)


def _web_access_uris(job: Any) -> dict[str, str]:
    # Keys as Vertex spells them; the hosts end in .invalid because the emulator
    # offers no interactive shell (use `docker exec` on the replica's container).
    job_id = job.name.rsplit("/", 1)[1]
    location = job.name.split("/")[3]
    uris = {}
    for i, pool in enumerate(job.job_spec.worker_pool_specs):
        if pool == WorkerPoolSpec.pb()():
            continue
        for r in range(max(pool.replica_count, 1)):
            key = f"workerpool{i}-{r}"
            uris[key] = (
                f"https://{job_id}-{key}-dot-{location}.aiplatform-training.vertex-local.invalid"
            )
    return uris


def _compile_filter(text: str) -> Callable[[CustomJob], bool]:
    if not text.strip():
        return lambda job: True
    try:
        from pulumi_vertex_training.emulator import filters
    except ImportError as err:  # the filter parser lands separately
        raise Unimplemented(f"filter: filtering is not available in this build ({err})") from err
    return filters.compile_filter(text)
