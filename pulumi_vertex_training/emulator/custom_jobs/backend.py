"""The emulator's state and API meaning for CustomJobs (moto-style backend).

Method names are the RPC names in snake_case. The backend owns every job record
(kept in memory, written through to the :class:`~.emulator.store.Store` on each change,
after the lock is released: ``store.WriteBehindLock``),
validates requests (``validation.py``) and moves jobs through the state machine in
``states.py``; :meth:`JobBackend.transition` is the one way a job's state changes.

Running the jobs is :class:`~.monitor.JobMonitor`'s job (the monitor thread,
the runner tasks, reconcile after a restart): the backend composes one, asks it to
start a created job or finish a cancel, and the monitor reports back only through
``transition``. A :class:`JobScheduler` (``PersistentResourceBackend``) may admit,
hold back and release jobs; the backend calls it at create and at each transition.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import pathlib
from collections.abc import Callable, Collection
from typing import Any, Protocol

from google.cloud.aiplatform_v1 import (
    CustomJob,
    JobState,
    WorkerPoolSpec,
)
from google.longrunning import operations_pb2
from google.protobuf import json_format
from google.rpc import status_pb2

from pulumi_vertex_training.emulator import common_validation, filters, records
from pulumi_vertex_training.emulator.custom_jobs import states, validation
from pulumi_vertex_training.emulator.custom_jobs.monitor import BuildJobRun, JobMonitor
from pulumi_vertex_training.emulator.custom_jobs.network_cap import DEFAULT_MAX_JOB_NETWORKS
from pulumi_vertex_training.emulator.exceptions import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from pulumi_vertex_training.emulator.execution.types import JobRun, Runner
from pulumi_vertex_training.emulator.store import Store, WriteBehindLock

log = logging.getLogger(__name__)

JOB_KIND = "customJob"
ID_COUNTER = "customJob"  # the store counter of job ids (as store.next_id named it)
OPERATION_KIND = "operation"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

__all__ = ["BuildJobRun", "JobBackend", "JobScheduler"]


def _default_build_job_run(job: CustomJob, data_dir: pathlib.Path, instance_id: str) -> JobRun:
    from pulumi_vertex_training.emulator.execution import cluster

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
        runner: runs the containers (``execution.runner.DockerRunner`` in production).
        data_dir: the emulator's data dir (handed to ``build_job_run``).
        instance_id: identifies this data dir on container labels.
        build_job_run: turns a CustomJob into a JobRun; default ``execution.cluster.build_job_run``.
        poll_interval: seconds between two polls of the runner.
        scheduler: see :class:`JobScheduler`; None lets every job start at once.
        max_job_networks: how many jobs may hold a Docker network at once; the
            others wait in QUEUED (``network_cap.py``).
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
        max_job_networks: int = DEFAULT_MAX_JOB_NETWORKS,
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.runner = runner
        self.data_dir = pathlib.Path(data_dir)
        self.instance_id = instance_id
        # Changes are made under the lock; their store writes go out after it is
        # released (GetCustomJob never waits for a disk flush), in order.
        self._lock = WriteBehindLock(self._write)
        self._jobs: dict[str, Any] = {}  # name -> CustomJob protobuf message
        # (id, name) of every job, ascending: ListCustomJobs walks it newest first from
        # its page token, and copies only the jobs it returns.
        self._order: list[tuple[int, str]] = []
        for data in store.list(JOB_KIND):
            job = json_format.ParseDict(data, CustomJob.pb()(), ignore_unknown_fields=True)
            self._jobs[job.name] = job
            self._order.append((_job_id(job), job.name))
        self._order.sort()
        # Ids come from memory and are made durable with the job (one commit per create):
        # one taken by a create that failed before its write is never seen, so may recur.
        last = max([store.counter(ID_COUNTER), *(job_id for job_id, _ in self._order[-1:])])
        self._ids = itertools.count(last + 1)
        self.monitor = JobMonitor(
            self,
            runner,
            build_job_run or _default_build_job_run,
            self.data_dir,
            instance_id,
            poll_interval,
            max_job_networks=max_job_networks,
        )

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Reconcile stored jobs with the runner, then start the monitor thread."""
        self.reconcile()
        self.monitor.start()

    def stop(self) -> None:
        """Stop monitoring. Running containers are left alone: a restart reattaches them."""
        self.monitor.stop()

    def reconcile(self) -> None:
        """Match stored jobs with the containers the runner still knows (after a restart).

        See :meth:`~.monitor.JobMonitor.reconcile`.
        """
        self.monitor.reconcile()

    def poll_once(self) -> None:
        """Look at every active job once: start, advance, time out or finish cancelling it."""
        self.monitor.poll_once()

    # ---- RPCs ------------------------------------------------------------------------

    def create_custom_job(self, parent: str, custom_job: CustomJob) -> CustomJob:
        """Validate and store a new job (QUEUED), then start it in the background.

        Output-only fields of ``custom_job`` are ignored. Raises InvalidArgument.
        """
        common_validation.parse_parent(parent)
        job = CustomJob.pb()()
        job.CopyFrom(CustomJob.pb(custom_job))
        validation.validate_custom_job(job)
        for output_only in (
            "name", "state", "create_time", "start_time", "end_time", "update_time", "error",
            "web_access_uris",
        ):  # fmt: skip
            job.ClearField(output_only)
        job_id = next(self._ids)
        job.name = f"{parent}/customJobs/{job_id}"
        if self.scheduler is not None:
            self.scheduler.admit(CustomJob.wrap(_copy(job)))
        job.state = states.INITIAL
        now = records.now()
        job.create_time.CopyFrom(now)
        job.update_time.CopyFrom(now)
        with self._lock:
            self._jobs[job.name] = job
            bisect.insort(self._order, (job_id, job.name))
            self._save(job)
            created = _copy(job)
        self.monitor.start_job(job.name)
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
        project, location = common_validation.parse_parent(parent, wildcard=True)
        matches = _compile_filter(filter)
        if page_size < 0:
            raise InvalidArgument.of("page_size", f"{page_size} must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = int(token) if (token := records.decode_page_token(page_token)) else None
        page: list[Any] = []
        next_token = ""
        with self._lock:
            end = len(self._order) if after is None else bisect.bisect_left(self._order, (after,))
            for index in range(end - 1, -1, -1):
                job = self._jobs[self._order[index][1]]
                if not _in_parent(job.name, project, location) or not matches(job):
                    continue
                if len(page) == size:
                    next_token = records.encode_page_token(str(_job_id(page[-1])))
                    break
                page.append(_copy(job))
        return [CustomJob.wrap(job) for job in page], next_token

    def why_queued(self, name: str) -> str:
        """Why QUEUED job ``name`` has not started, when the emulator knows (a CustomJob has
        no field for it): ``""``, or that it waits for a job network (``network_cap.py``)."""
        return self.monitor.networks.waiting(name)

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
        self.monitor.finish_cancel(name)

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
            del self._order[bisect.bisect_left(self._order, (_job_id_of(name), name))]
            self._lock.defer((name, None))
        return records.deleted_operation(self.store, OPERATION_KIND, name)

    def get_operation(self, name: str) -> operations_pb2.Operation:
        """A long-running operation by name. Raises InvalidArgument, NotFound."""
        common_validation.check_operation_name(name)
        return records.load_operation(self.store, OPERATION_KIND, name)

    # ---- the monitor's interface (monitor.JobStates) ---------------------------------

    def job_states(self) -> dict[str, int]:
        """Every stored job's name -> its current state."""
        with self._lock:
            return {name: int(job.state) for name, job in self._jobs.items()}

    def active_jobs(self) -> list[Any]:
        """Copies of the jobs (``CustomJob`` protobuf messages) in an active state."""
        with self._lock:
            return [_copy(job) for job in self._jobs.values() if job.state in states.ACTIVE]

    def transition(
        self,
        name: str,
        new: int,
        error: status_pb2.Status | None = None,
        *,
        only_from: Collection[int] | None = None,
        claim: bool = False,
    ) -> Any | None:
        """Move job ``name`` to state ``new`` (with ``error``), decided under the lock.

        Nothing changes, and None is returned, when the job is gone, its current
        state is not in ``only_from`` (when given) or, with ``claim``, the scheduler
        has no room for it yet. Otherwise returns a copy of the job as it now is.
        A PENDING job told to SUCCEED passes RUNNING first (a fast job still gets a
        ``start_time``). Raises ``states.IllegalTransition`` for a step the state
        machine does not allow (an emulator bug).
        """
        with self._lock:
            job = self._jobs.get(name)
            if job is None:
                return None
            current = JobState(job.state)
            if only_from is not None and current not in only_from:
                return None
            scheduler = self.scheduler if claim else None
            if scheduler is not None and not scheduler.claim(CustomJob.wrap(_copy(job))):
                return None
            if new == JobState.JOB_STATE_SUCCEEDED and current == JobState.JOB_STATE_PENDING:
                self._transition(name, JobState.JOB_STATE_RUNNING)
            self._transition(name, new, error)
            return _copy(job)

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
        self._lock.defer((job.name, _copy(job)))

    def _write(self, changes: list[tuple[str, Any]]) -> None:
        # Outside the lock: JSON conversion and the commit do not hold up readers.
        ids = [_job_id_of(name) for name, job in changes if job is not None]
        self.store.write(
            [
                (JOB_KIND, n, None if j is None else json_format.MessageToDict(j))
                for n, j in changes
            ],
            counters={ID_COUNTER: max(ids)} if ids else None,
        )


def _copy(job: Any) -> Any:
    clone = CustomJob.pb()()
    clone.CopyFrom(job)
    return clone


def _job_id(job: Any) -> int:
    return _job_id_of(job.name)


def _job_id_of(name: str) -> int:
    return int(name.rsplit("/", 1)[1])


def _in_parent(name: str, project: str, location: str) -> bool:
    parts = name.split("/")
    return project in ("-", parts[1]) and location in ("-", parts[3])


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


def _compile_filter(text: str) -> Callable[[Any], bool]:
    if not text.strip():
        return lambda job: True
    return filters.compile_filter(text)
