"""The scheduling of jobs on PersistentResources: admit, claim, release, capacity.

:class:`PersistentResourceScheduler` is the job side of the
``PersistentResourceBackend`` (which hands its ``admit``/``claim``/``release`` to
:class:`~.custom_jobs.backend.JobBackend` as its ``scheduler``). At CreateCustomJob it *admits*
a job naming ``persistent_resource_id`` (NOT_FOUND, FAILED_PRECONDITION,
INVALID_ARGUMENT as in COVERAGE.md) and places its worker pools on resource pools;
the job *claims* those replicas before it starts (until they are free it stays
QUEUED, as Vertex queues it) and *releases* them when it ends. Claimed replicas
are ``resource_pools[].used_replica_count``.

It keeps no state of its own: placements live on the backend's resource records
(``record.jobs``, persisted with the resource), which it reaches only through the
``find`` and ``save`` callables it is given, under the backend's lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from google.cloud.aiplatform_v1 import CustomJob, PersistentResource

from pulumi_vertex_training.emulator.exceptions import EmulatorError, FailedPrecondition, NotFound
from pulumi_vertex_training.emulator.persistent_resources import validation as prv

log = logging.getLogger(__name__)

State = PersistentResource.State
# A job admitted but not yet stored by the job backend answers NOT_FOUND to a cancel
# for a moment; only after this long is it taken as gone.
_ADMIT_GRACE_SECONDS = 5.0


class PlacedRecord(Protocol):
    """What the scheduler sees of a resource record: its message and the jobs on it.

    ``jobs`` maps a job name to ``{"placement": {pool id: replicas}, "claimed": bool,
    "admitted": time}``; the scheduler is the only writer of it.
    """

    @property
    def resource(self) -> Any:
        """The ``PersistentResource`` protobuf message (``used_replica_count`` is written)."""
        ...

    @property
    def jobs(self) -> dict[str, Any]:
        """Job name -> its placement entry."""
        ...

    @property
    def state(self) -> int:
        """The resource's current state."""
        ...


R = TypeVar("R", bound=PlacedRecord)


class PersistentResourceScheduler(Generic[R]):
    """Admits jobs onto PersistentResources and accounts for the replicas they claim.

    Args:
        lock: the resource backend's lock (a resource's state and its jobs change together).
        find: resource name -> its record, or None.
        save: writes a record (one ``find`` returned) through to the store.
    """

    def __init__(
        self,
        lock: threading.RLock,
        find: Callable[[str], R | None],
        save: Callable[[R], None],
    ) -> None:
        self._lock = lock
        self._find = find
        self._save = save
        self._cancel_job: Callable[[str], None] | None = None

    def attach_jobs(self, cancel_job: Callable[[str], None]) -> None:
        """Give the scheduler a way to cancel jobs (``JobBackend.cancel_custom_job``)."""
        self._cancel_job = cancel_job

    # ---- the JobScheduler seam -------------------------------------------------------

    def admit(self, job: CustomJob) -> None:
        """At CreateCustomJob: refuse a job that cannot run on its resource; place it."""
        pb = CustomJob.pb(job)
        rid = pb.job_spec.persistent_resource_id
        if not rid:
            return
        field = "custom_job.job_spec.persistent_resource_id"
        prv.check_resource_id(rid, field)
        name = f"{pb.name.rsplit('/customJobs/', 1)[0]}/persistentResources/{rid}"
        with self._lock:
            record = self._find(name)
            if record is None:
                raise NotFound(f"{field}: persistent resource {name} not found")
            if record.state != State.RUNNING:
                raise FailedPrecondition(
                    f"{field}: persistent resource {name} is {State(record.state).name}; "
                    "jobs can only be created on a RUNNING persistent resource"
                )
            for what, mine, theirs, path in (
                ("network", pb.job_spec.network, record.resource.network, "job_spec.network"),
                (
                    "CMEK key",
                    pb.encryption_spec.kms_key_name,
                    record.resource.encryption_spec.kms_key_name,
                    "encryption_spec.kms_key_name",
                ),
            ):
                if mine != theirs:
                    raise FailedPrecondition(
                        f"custom_job.{path}: {mine or '(none)'!r} differs from the {what} of "
                        f"persistent resource {name} ({theirs or '(none)'!r}); they must match"
                    )
            placement = prv.place_job(pb, record.resource)
            record.jobs[pb.name] = {
                "placement": placement,
                "claimed": False,
                "admitted": time.time(),
            }
            self._save(record)

    def claim(self, job: CustomJob) -> bool:
        """Before the job starts: take its replicas if the resource is RUNNING and has them."""
        record, entry = self._entry(job)
        if record is None or entry is None:
            return True
        with self._lock:
            if entry["claimed"]:
                return True
            if record.state != State.RUNNING:
                return False
            pools = {p.id: p for p in record.resource.resource_pools}
            for pool_id, want in entry["placement"].items():
                pool = pools.get(pool_id)
                if pool is None or prv.capacity(pool) - self.used(record, pool_id) < want:
                    return False
            entry["claimed"] = True
            self._refresh_used(record)
            self._save(record)
            log.info("%s claimed %s on %s", job.name, entry["placement"], record.resource.name)
            return True

    def release(self, job: CustomJob) -> None:
        """When the job ends: give its replicas back and forget it."""
        record, entry = self._entry(job)
        if record is None or entry is None:
            return
        with self._lock:
            record.jobs.pop(job.name, None)
            self._refresh_used(record)
            self._save(record)

    # ---- what the resource backend asks ------------------------------------------------

    def used(self, record: R, pool_id: str) -> int:
        """Replicas of pool ``pool_id`` that the jobs on ``record`` have claimed."""
        return sum(
            int(e["placement"].get(pool_id, 0)) for e in record.jobs.values() if e["claimed"]
        )

    def cancel_all(self, record: R, jobs: list[str]) -> None:
        """Cancel jobs (outside the lock: the job backend calls back into release).

        A job the job backend does not know (or that has ended) past the admit grace
        period is forgotten, so a resource being deleted is not held up by it.
        """
        if self._cancel_job is None:
            return
        for job in jobs:
            try:
                self._cancel_job(job)
            except (NotFound, FailedPrecondition):
                with self._lock:
                    entry = record.jobs.get(job)
                    if entry and time.time() - entry["admitted"] > _ADMIT_GRACE_SECONDS:
                        record.jobs.pop(job, None)  # gone or ended without telling us
                        self._refresh_used(record)
                        self._save(record)
            except EmulatorError as err:
                log.warning("could not cancel %s: %s", job, err)

    # ---- helpers ---------------------------------------------------------------------

    def _entry(self, job: CustomJob) -> tuple[R | None, dict[str, Any] | None]:
        rid = job.job_spec.persistent_resource_id
        if not rid:
            return None, None
        name = f"{job.name.rsplit('/customJobs/', 1)[0]}/persistentResources/{rid}"
        with self._lock:
            record = self._find(name)
            entry = record.jobs.get(job.name) if record is not None else None
        if entry is None:
            log.warning("%s names %s, which does not know it; running it", job.name, name)
        return record, entry

    def _refresh_used(self, record: R) -> None:
        for pool in record.resource.resource_pools:
            pool.used_replica_count = self.used(record, pool.id)
