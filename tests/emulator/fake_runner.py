"""The one fake Runner of the emulator's service tests: jobs "run" without containers.

Most properties the service tests pin down live in the emulator's RPC layer, store and
monitor (no duplicate job after a lost response, nothing lost across a restart, the
console's pages, check() and the emulator agreeing), not in Docker; a job here is in
the phase the test chose, at once. Docker-backed runs are covered by the tests of
``emulator/execution`` and by tests/e2e.

>>> runner = FakeRunner(RunPhase.RUNNING)        # started jobs stay RUNNING ...
>>> runner.set("projects/p/locations/l/customJobs/1", RunPhase.SUCCEEDED)  # ... until moved
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Iterator
from typing import Any

from pulumi_vertex_training.emulator.exceptions import NotFound
from pulumi_vertex_training.emulator.execution.types import JobRun, RunPhase, RunStatus


class FakeRunner:
    """A Runner (``emulator.execution.types.Runner``) whose jobs are where the test puts them.

    Args:
        phase: where a job is once started (SUCCEEDED: jobs succeed at once).
        stop_ends_job: ``stop()`` ends the job FAILED, as a cancelled container exits
            (else a stop is only recorded, and the job stays where it was).

    Attributes a test reads or sets: ``phases`` (job name -> RunStatus), ``calls``
    (("start" | "stop" | "cleanup", job name), in order), ``started``, ``stopped``,
    ``start_gate`` (an Event ``start()`` waits on, up to 10 s) and ``start_error``
    (raised by ``start()``).
    """

    # A test that sets an attribute the runner does not have fails, not silently passes.
    __slots__ = (
        "_changed",
        "_ended",
        "_lines",
        "calls",
        "phase",
        "phases",
        "start_error",
        "start_gate",
        "stop_ends_job",
    )

    def __init__(self, phase: RunPhase = RunPhase.SUCCEEDED, stop_ends_job: bool = False) -> None:
        self.phase = phase
        self.stop_ends_job = stop_ends_job
        self.phases: dict[str, RunStatus] = {}
        self.calls: list[tuple[str, str]] = []
        self.start_gate: threading.Event | None = None
        self.start_error: Exception | None = None
        self._changed = threading.Condition()
        self._lines: dict[tuple[str, str], list[str]] = {}
        self._ended: set[str] = set()

    @property
    def started(self) -> list[str]:
        """The jobs ``start()`` was called for, in order."""
        return [name for call, name in self.calls if call == "start"]

    @property
    def stopped(self) -> list[str]:
        """The jobs ``stop()`` was called for, in order."""
        return [name for call, name in self.calls if call == "stop"]

    def start(self, run: JobRun) -> None:
        """Record the start; the job is at once in ``self.phase`` (unless the test already
        put it somewhere: a phase set before the monitor got to the start holds), its
        logs empty."""
        with self._changed:
            self.calls.append(("start", run.job_name))
        if self.start_gate is not None:
            self.start_gate.wait(10)
        if self.start_error is not None:
            raise self.start_error
        with self._changed:
            self.phases.setdefault(run.job_name, RunStatus(self.phase))
            for replica in run.replicas:
                self._lines.setdefault((run.job_name, replica.replica_name), [])
            self._changed.notify_all()

    def status(self, job_name: str) -> RunStatus:
        """Where the test put the job; MISSING for jobs never started or cleaned up."""
        with self._changed:
            return self.phases.get(job_name, RunStatus(RunPhase.MISSING))

    def set(self, job_name: str, phase: RunPhase, message: str = "") -> None:
        """Move a job to ``phase`` (``message``: a FAILED job's error)."""
        with self._changed:
            self.phases[job_name] = RunStatus(phase, message=message)
            self._changed.notify_all()

    def finish(self, job_name: str, phase: RunPhase = RunPhase.SUCCEEDED) -> None:
        """End the job's replicas with ``phase`` (their logs stop growing)."""
        with self._changed:
            self.phases[job_name] = RunStatus(phase)
            self._ended.add(job_name)
            self._changed.notify_all()

    def stop(self, job_name: str) -> None:
        """Record the stop; with ``stop_ends_job``, the job ends FAILED."""
        with self._changed:
            self.calls.append(("stop", job_name))
        if self.stop_ends_job:
            self.finish(job_name, RunPhase.FAILED)

    def cleanup(self, job_name: str) -> None:
        """Forget the job's (imaginary) containers."""
        with self._changed:
            self.calls.append(("cleanup", job_name))
            self.phases.pop(job_name, None)

    def known_jobs(self) -> set[str]:
        """Jobs started and not cleaned up."""
        with self._changed:
            return set(self.phases)

    def say(self, job_name: str, replica: str, *lines: str) -> None:
        """Append ``lines`` to a replica's log (as if it printed them)."""
        with self._changed:
            self._lines.setdefault((job_name, replica), []).extend(lines)
            self._changed.notify_all()

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        """The replica's lines; with ``follow``, new ones as they come, until it ends.

        Raises:
            NotFound: the job has no replica of that name.
        """
        key = (job_name, replica)
        with self._changed:
            if key not in self._lines:
                raise NotFound(f"no logs for {job_name} {replica}")
        return self._follow(key, follow)

    def _follow(self, key: tuple[str, str], follow: bool) -> Iterator[str]:
        sent = 0
        while True:
            with self._changed:
                if sent >= len(self._lines[key]) and follow and key[0] not in self._ended:
                    self._changed.wait(0.2)
                fresh = self._lines[key][sent:]
                done = not follow or key[0] in self._ended
            yield from fresh
            sent += len(fresh)
            if done and not fresh:
                return


def no_cluster(job: Any, data_dir: pathlib.Path, instance_id: str) -> JobRun:
    """A ``build_job_run`` that builds no replicas (FakeRunner runs none)."""
    return JobRun(job_name=job.name, job_id=job.name.rsplit("/", 1)[1], replicas=())
