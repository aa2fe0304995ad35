"""What the backend hands the runner and gets back: plain data, no Docker.

The backend (state, API meaning) decides *what* runs; a runner (``runner.py``;
it and ``engine.py`` alone import docker) decides *how*. Keeping the contract
here lets the backend be read and tested without Docker.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Mount:
    """A host folder bind-mounted into every replica (e.g. ``/gcs/<bucket>``)."""

    host_path: str
    container_path: str
    read_only: bool = False


@dataclass(frozen=True)
class ReplicaSpec:
    """One container to run: replica ``replica_index`` of pool ``pool_index``."""

    pool_index: int
    replica_index: int
    hostname: str  # "workerpool{pool}-{replica}", reachable by the other replicas
    image: str
    command: tuple[str, ...]  # empty: the image ENTRYPOINT
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]  # ordered; includes the Vertex env (CLUSTER_SPEC, ...)
    mounts: tuple[Mount, ...] = ()

    @property
    def replica_name(self) -> str:
        """The name `vertex-local logs --replica` takes, e.g. ``workerpool0-0``."""
        return self.hostname


@dataclass(frozen=True)
class JobRun:
    """Everything needed to run one CustomJob's replicas."""

    job_name: str  # full resource name projects/../customJobs/{id}
    job_id: str  # the numeric id
    replicas: tuple[ReplicaSpec, ...]
    labels: tuple[tuple[str, str], ...] = ()  # extra container labels (data dir id, ...)


class NoNetworkRoom(RuntimeError):
    """The Docker engine has no free address pool for another job network.

    Raised by ``Runner.start`` before any container of the job exists: the job has
    not started, so the monitor queues it again rather than failing it.
    """


class RunPhase(enum.Enum):
    """Where a job's containers are, as the runner sees it."""

    STARTING = "STARTING"  # created, not all running yet (pulling, starting)
    RUNNING = "RUNNING"  # every replica is running
    SUCCEEDED = "SUCCEEDED"  # every replica exited 0
    FAILED = "FAILED"  # some replica exited non-zero or could not start
    MISSING = "MISSING"  # the runner knows no containers for this job


@dataclass(frozen=True)
class RunStatus:
    """A snapshot of a job's containers."""

    phase: RunPhase
    message: str = ""  # on FAILED: which replica exited with which status (Vertex's words)
    exit_codes: dict[str, int] = field(default_factory=dict)  # replica name -> exit code


class Runner(Protocol):
    """Runs a job's replicas. Implementations: ``runner.DockerRunner``.

    A runner may also offer (``DockerRunner`` does; the monitor uses them when present):

    - ``statuses(job_names) -> dict[str, RunStatus]``: the ``status`` of many jobs
      from one look at the containers (else the monitor asks job by job);
    - ``watch(changed) -> stop``: call ``changed()`` when a container starts or
      ends, until ``stop()`` (the monitor then polls at once, not at its interval);
    - ``network_jobs() -> set[str]``: the jobs whose network is still present (the
      monitor cleans up those of finished jobs, and counts them against its cap).
    """

    def start(self, run: JobRun) -> None:
        """Create the job's network and start every replica; returns once started.

        Calling it again for a job whose start was interrupted (the emulator was
        killed) resumes it: what exists is adopted, what is missing is created.
        Raises :class:`NoNetworkRoom` when the engine cannot make the network.
        """

    def status(self, job_name: str) -> RunStatus:
        """Inspect the job's containers (by label), never blocking on them."""

    def stop(self, job_name: str) -> None:
        """Stop every replica of the job (cancel, timeout). Idempotent."""

    def cleanup(self, job_name: str) -> None:
        """Save every replica's log, then remove containers and network. Idempotent."""

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        """Lines of one replica's log, from the container or from the saved copy."""

    def known_jobs(self) -> set[str]:
        """Job names with containers still present (for reconcile after a restart)."""
