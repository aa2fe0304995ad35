"""The execution side of CustomJobs: the monitor thread, the runner tasks, reconcile.

:class:`JobMonitor` drives a :class:`~.execution.types.Runner` for the jobs a
:class:`JobStates` (the :class:`~.backend.JobBackend`) keeps. It never touches job
records: it reads them through :meth:`JobStates.job_states` and
:meth:`JobStates.active_jobs` (copies) and changes them only through
:meth:`JobStates.transition`, a compare-and-set the backend runs under its own
lock, so a decision taken here against a stale read (a cancel RPC may have moved
the job since the poll began) is simply refused.

- A worker task moves a QUEUED job to PENDING (once the job may hold a network,
  ``network_cap.py``, and the scheduler claims room for it), starts its containers
  and looks at them at once (RUNNING without waiting for the next poll). An engine
  with no address pool left puts the job back in QUEUED.
- The monitor thread polls the runner every ``poll_interval`` seconds, and at once
  when the runner says a container started or ended (``watch``, when it has it),
  once for all active jobs (``statuses``, when the runner has it): RUNNING once every
  replica runs, SUCCEEDED / FAILED when they end, FAILED when
  ``job_spec.scheduling.timeout`` passes, CANCELLED after a cancel. Every
  ``sweep_interval`` seconds it also cleans up the containers and networks left to
  finished or unknown jobs: a cleanup that failed (the engine stalled past its
  timeout) is retried that way until it succeeds, and only then is the job's
  network given back to the cap.
- After a restart, ``reconcile.py`` decides what becomes of each stored job.
- Slow runner calls (start, stop, cleanup) run on a small thread pool, one at a
  time per job, so one slow ``docker stop`` never delays the others.
"""

from __future__ import annotations

import logging
import pathlib
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from google.cloud.aiplatform_v1 import CustomJob, JobState
from google.rpc import code_pb2, status_pb2

from pulumi_vertex_training.emulator import records
from pulumi_vertex_training.emulator.custom_jobs import states
from pulumi_vertex_training.emulator.custom_jobs.network_cap import (
    DEFAULT_MAX_JOB_NETWORKS,
    NetworkCap,
)
from pulumi_vertex_training.emulator.custom_jobs.reconcile import (
    cancelled,
    network_jobs,
    reconcile,
)
from pulumi_vertex_training.emulator.execution.types import (
    JobRun,
    NoNetworkRoom,
    Runner,
    RunPhase,
    RunStatus,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 7 * 24 * 3600
QUICK_POLL = 0.025
"""Seconds between polls for ``QUICK_WINDOW`` seconds after the runner reports a change."""
QUICK_WINDOW = 1.0

BuildJobRun = Callable[[CustomJob, pathlib.Path, str], JobRun]
"""``execution.cluster.build_job_run``'s signature: the job -> the containers to run."""


class JobStates(Protocol):
    """What the monitor needs of the job backend: reads of the jobs, and one way to change them."""

    def job_states(self) -> dict[str, int]:
        """Every stored job's name -> its current state."""
        ...

    def active_jobs(self) -> list[Any]:
        """Copies of the jobs (``CustomJob`` protobuf messages) in an active state."""
        ...

    def transition(
        self,
        name: str,
        new: int,
        error: status_pb2.Status | None = None,
        *,
        only_from: Collection[int] | None = None,
        claim: bool = False,
    ) -> Any | None:
        """Move job ``name`` to ``new`` if it is (still) in ``only_from``; see the backend."""
        ...


class JobMonitor:
    """Starts, watches, times out, cancels and cleans up the jobs of a :class:`JobStates`.

    Args:
        jobs: the job records (the backend), changed only through ``transition``.
        runner: runs the containers (``execution.runner.DockerRunner`` in production).
        build_job_run: turns a CustomJob into a JobRun.
        data_dir: the emulator's data dir (handed to ``build_job_run``).
        instance_id: identifies this data dir on container labels.
        poll_interval: seconds between two polls of the runner.
        sweep_interval: seconds between two looks for containers left to finished jobs.
        max_job_networks: how many jobs may hold a network at once (``network_cap.py``).
    """

    def __init__(
        self,
        jobs: JobStates,
        runner: Runner,
        build_job_run: BuildJobRun,
        data_dir: pathlib.Path,
        instance_id: str,
        poll_interval: float,
        sweep_interval: float = 5.0,
        max_job_networks: int = DEFAULT_MAX_JOB_NETWORKS,
    ) -> None:
        self._jobs = jobs
        self._runner = runner
        self._build_job_run = build_job_run
        self._data_dir = data_dir
        self._instance_id = instance_id
        self._poll_interval = poll_interval
        self.sweep_interval = sweep_interval
        self._next_sweep = 0.0  # the first poll sweeps
        self.networks = NetworkCap(max_job_networks)
        self._lock = threading.Lock()  # guards _busy only; job state has the backend's lock
        self._busy: set[str] = set()  # jobs with a start/stop/cleanup task in flight
        self._stopping = threading.Event()
        self._wake = threading.Event()  # set: poll now, not at the next interval
        self._quick_until = 0.0  # monotonic time until which polls come every QUICK_POLL
        self._unwatch: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="vertex-local-job")

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the monitor thread (woken early by the runner's ``watch``, when it has one)."""
        watch = getattr(self._runner, "watch", None)
        if watch is not None:
            self._unwatch = watch(self._changed)
        self._thread = threading.Thread(target=self._loop, name="vertex-local-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop monitoring and the task pool. Running containers are left alone."""
        self._stopping.set()
        self._wake.set()
        if self._unwatch is not None:
            self._unwatch()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def in_flight(self) -> frozenset[str]:
        """The jobs with a runner task (start, stop, cleanup) queued or running."""
        with self._lock:
            return frozenset(self._busy)

    # ---- what the backend asks for -----------------------------------------------------

    def start_job(self, name: str) -> None:
        """Start a QUEUED job in the background (retried each poll while it stays QUEUED)."""
        self._submit(name, self._start_job)

    def finish_cancel(self, name: str) -> None:
        """Stop a CANCELLING job's containers in the background, then mark it CANCELLED."""
        self._submit(name, self._finish_cancel)

    def reconcile(self) -> None:
        """Match stored jobs with the containers and networks the runner still has
        (after a restart): see ``reconcile.py``."""
        reconcile(self._jobs, self._runner, self.networks, lambda n: self._submit(n, self._cleanup))

    # ---- the monitor -----------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            quick = time.monotonic() < self._quick_until
            self._wake.wait(min(QUICK_POLL, self._poll_interval) if quick else self._poll_interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.poll_once()
            except Exception:  # keep monitoring: one bad poll must not strand every job
                log.exception("monitor poll failed")

    def _changed(self) -> None:
        # A container started or ended: poll now, and briskly for a moment, because the
        # engine lists a container as exited some time after its "die" event.
        self._quick_until = time.monotonic() + QUICK_WINDOW
        self._wake.set()

    def poll_once(self) -> None:
        """Look at every active job once: start, advance, time out or finish cancelling it.

        The runner is asked about every watched job at once (``statuses``, one look
        at the containers for all of them) when it can, else job by job. Every
        ``sweep_interval`` seconds, containers left to finished or unknown jobs (a
        create the engine completed after the job's cleanup) are cleaned up too.
        """
        busy = self.in_flight()
        watched: dict[str, JobState] = {}
        spare = self.networks.spare()  # started oldest first, as many as there are networks
        for job in self._jobs.active_jobs():
            name, state = job.name, JobState(job.state)
            if name in busy:
                continue
            if state == JobState.JOB_STATE_QUEUED:
                if self.networks.holds(name):
                    self._submit(name, self._start_job)
                elif spare > 0:
                    spare -= 1
                    self._submit(name, self._start_job)
                else:
                    self.networks.tell_waiting(name)
            elif state == JobState.JOB_STATE_CANCELLING:
                self._submit(name, self._finish_cancel)
            elif state == JobState.JOB_STATE_RUNNING and _timed_out(job):
                self._submit(name, self._time_out, _timeout_seconds(job))
            else:
                watched[name] = state
        for name, status in self._statuses(list(watched)).items():
            self._apply_status(name, watched[name], status)
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self.sweep_interval
            self._sweep()

    def _statuses(self, names: list[str]) -> dict[str, RunStatus]:
        many = getattr(self._runner, "statuses", None)
        if many is not None and names:
            try:
                return dict(many(names))
            except Exception:
                log.exception("runner.statuses(%d jobs) failed", len(names))
                return {}
        out = {}
        for name in names:
            try:
                out[name] = self._runner.status(name)
            except Exception:
                log.exception("runner.status(%s) failed", name)
        return out

    def _sweep(self) -> None:
        """Clean up the containers and networks of jobs that finished or are gone (their
        cleanup missed them, or failed), and give back networks no job holds any more."""
        try:
            known = self._runner.known_jobs() | network_jobs(self._runner)
        except Exception:
            log.exception("listing the runner's containers and networks failed")
            return
        current = self._jobs.job_states()
        busy = self.in_flight()
        for name in known - busy:
            if name not in current or current[name] in states.TERMINAL:
                log.info("cleaning up the containers and network left to %s", name)
                self._submit(name, self._cleanup)
        # Held by a job that ended with nothing left (its start made nothing, say).
        for name in self.networks.held() - known - busy:
            if name not in current or current[name] in states.TERMINAL:
                self.networks.give_back(name)

    def _apply_status(
        self, name: str, state: JobState, status: RunStatus, in_task: bool = False
    ) -> None:
        # The backend decides against the *current* state (only_from): a cancel RPC may
        # have moved the job since the poll began. ``in_task``: called by the job's own
        # task (it holds the job's busy mark), which then cleans up itself.
        if not in_task and name in self.in_flight():
            return
        watched: tuple[int, ...] = (JobState.JOB_STATE_PENDING, JobState.JOB_STATE_RUNNING)
        error: status_pb2.Status | None = None
        if status.phase == RunPhase.RUNNING:
            new, watched = JobState.JOB_STATE_RUNNING, (JobState.JOB_STATE_PENDING,)
        elif status.phase == RunPhase.SUCCEEDED:  # from PENDING, the backend passes RUNNING
            new = JobState.JOB_STATE_SUCCEEDED
        elif status.phase == RunPhase.FAILED:
            new = JobState.JOB_STATE_FAILED
            message = status.message or f"A replica exited non-zero: {status.exit_codes}"
            error = records.status(code_pb2.INVALID_ARGUMENT, message)
        elif status.phase == RunPhase.MISSING:
            new = JobState.JOB_STATE_FAILED
            error = records.status(
                code_pb2.INTERNAL,
                "The job's containers disappeared while it was "
                f"{state.name} (removed outside the emulator).",
            )
        else:
            return
        changed = self._jobs.transition(name, new, error, only_from=watched)
        if changed is not None and new in states.TERMINAL:
            if in_task:
                self._cleanup(name)
            else:
                self._submit(name, self._cleanup)

    # ---- tasks (run on the pool, one at a time per job) --------------------------------

    def _submit(self, name: str, task: Callable[..., None], *args: Any) -> None:
        with self._lock:
            if name in self._busy or self._stopping.is_set():
                return  # the monitor retries on its next poll
            self._busy.add(name)
        try:
            self._pool.submit(self._run_task, name, task, *args)
        except RuntimeError:  # the pool shut down under us
            with self._lock:
                self._busy.discard(name)

    def _run_task(self, name: str, task: Callable[..., None], *args: Any) -> None:
        try:
            task(name, *args)
        except Exception:
            log.exception("%s(%s) failed", task.__name__, name)
        finally:
            with self._lock:
                self._busy.discard(name)
            # A poll woken while the task ran skipped the job (busy): look again now
            # (a container that exited just after its start is seen at once).
            self._wake.set()

    def _start_job(self, name: str) -> None:
        # No network to spare, or (claim) no room on the scheduler yet: it stays QUEUED
        # and the monitor retries.
        held = self.networks.holds(name)  # a network made before a restart
        if not self.networks.take(name):
            self.networks.tell_waiting(name)
            return
        job = self._jobs.transition(
            name, JobState.JOB_STATE_PENDING, only_from=(JobState.JOB_STATE_QUEUED,), claim=True
        )
        if job is None:
            if not held:
                self.networks.give_back(name)
            return
        try:
            self._runner.start(
                self._build_job_run(CustomJob.wrap(job), self._data_dir, self._instance_id)
            )
        except NoNetworkRoom as err:
            # Others on the engine hold its address pools: nothing was made, so the job
            # waits in QUEUED, as one beyond the cap does, instead of failing.
            log.warning("%s stays JOB_STATE_QUEUED: %s", name, err)
            self.networks.give_back(name)
            self.networks.engine_full()
            self._jobs.transition(
                name, JobState.JOB_STATE_QUEUED, only_from=(JobState.JOB_STATE_PENDING,)
            )
            return
        except Exception as err:
            log.warning("could not start %s: %s", name, err)
            failed = self._jobs.transition(
                name,
                JobState.JOB_STATE_FAILED,
                records.status(
                    code_pb2.INVALID_ARGUMENT, f"The job's containers could not start: {err}"
                ),
                only_from=states.ACTIVE,
            )
            if failed is not None:
                self._cleanup(name)
            return
        # Look at once rather than at the next poll: started containers are running.
        try:
            status = self._runner.status(name)
        except Exception:
            log.exception("runner.status(%s) failed", name)
            return
        self._apply_status(name, JobState(JobState.JOB_STATE_PENDING), status, in_task=True)

    def _finish_cancel(self, name: str) -> None:
        self._runner.stop(name)
        cancelled_job = self._jobs.transition(
            name,
            JobState.JOB_STATE_CANCELLED,
            cancelled(),
            only_from=(JobState.JOB_STATE_CANCELLING,),
        )
        if cancelled_job is not None:
            self._cleanup(name)

    def _time_out(self, name: str, seconds: float) -> None:
        self._runner.stop(name)
        failed = self._jobs.transition(
            name,
            JobState.JOB_STATE_FAILED,
            records.status(
                code_pb2.DEADLINE_EXCEEDED,
                f"The job timed out: it ran longer than job_spec.scheduling.timeout "
                f"({seconds:g}s) and was stopped.",
            ),
            only_from=states.ACTIVE,
        )
        if failed is not None:
            self._cleanup(name)

    def _cleanup(self, name: str) -> None:
        # Raises when the engine stalls past its timeout: the network stays counted,
        # and the sweep tries again.
        self._runner.cleanup(name)
        self.networks.give_back(name)


def _timeout_seconds(job: Any) -> float:
    timeout = job.job_spec.scheduling.timeout
    seconds = timeout.seconds + timeout.nanos / 1e9
    return seconds if seconds > 0 else DEFAULT_TIMEOUT_SECONDS


def _timed_out(job: Any) -> bool:
    started = job.start_time.seconds + job.start_time.nanos / 1e9
    return bool(started) and time.time() - started > _timeout_seconds(job)
