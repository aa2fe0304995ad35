"""The emulator's PersistentResources: state, API meaning and long-running operations.

Method names are the RPC names in snake_case. Create, Update, Reboot and Delete
return a long-running Operation (``{resource name}/operations/{id}``) that is not
done at first; a ticker thread finishes it ``delay`` seconds later, moving the
resource along the state machine of ``states.py``.

Jobs: the backend is the ``scheduler`` of :class:`~.custom_jobs.backend.JobBackend`; the
admitting, claiming and releasing of jobs' replicas is its
:class:`~.scheduler.PersistentResourceScheduler`, which keeps
the placements on this backend's records. Deleting a resource cancels the jobs on
it first (Vertex docs: "custom jobs running on the persistent resource ... are
automatically cancelled before the persistent resource is deleted"); it is gone
once they have ended.

Everything (resources, pending operations, placements, claims) is written
through to the Store, so a restarted emulator carries on where it stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from google.cloud.aiplatform_v1 import CustomJob, PersistentResource
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2, json_format
from google.rpc import code_pb2, status_pb2

from pulumi_vertex_training.emulator import common_validation, records
from pulumi_vertex_training.emulator.exceptions import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Violation,
)
from pulumi_vertex_training.emulator.persistent_resources import operations, states
from pulumi_vertex_training.emulator.persistent_resources import validation as prv
from pulumi_vertex_training.emulator.persistent_resources.operations import OPERATION_KIND
from pulumi_vertex_training.emulator.persistent_resources.scheduler import (
    PersistentResourceScheduler,
)
from pulumi_vertex_training.emulator.store import Store

log = logging.getLogger(__name__)

State = PersistentResource.State
RESOURCE_KIND = "persistentResource"
DEFAULT_DELAY = 0.5
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

__all__ = ["OPERATION_KIND", "PersistentResourceBackend"]


class _Record:
    """One resource: its message, the operation in flight, and the jobs placed on it."""

    def __init__(self, resource: Any, pending: dict[str, Any] | None, jobs: dict[str, Any]):
        self.resource = resource
        self.pending = pending  # {"operation", "kind", "due", "fail"?}
        self.jobs = jobs  # job name -> {"placement": {pool id: n}, "claimed", "admitted"}

    @property
    def state(self) -> int:
        return int(self.resource.state)

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": json_format.MessageToDict(self.resource),
            "pending": self.pending,
            "jobs": self.jobs,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> _Record:
        resource = json_format.ParseDict(
            data["resource"], PersistentResource.pb()(), ignore_unknown_fields=True
        )
        return _Record(resource, data.get("pending"), dict(data.get("jobs") or {}))


class PersistentResourceBackend:
    """PersistentResources, their operations, and job placement on them.

    Args:
        store: where resources and operations live (shared with the job backend).
        delay: seconds each long-running operation takes (provisioning, update,
            reboot, delete); short by default so tests stay fast.
    """

    def __init__(self, store: Store, delay: float = DEFAULT_DELAY) -> None:
        self.store = store
        self.delay = delay
        self._lock = threading.RLock()
        self._records: dict[str, _Record] = {}
        for data in store.list(RESOURCE_KIND):
            record = _Record.from_json(data)
            self._records[record.resource.name] = record
        self._planned_failures: dict[str, str] = {}
        self._scheduler = PersistentResourceScheduler(self._lock, self._records.get, self._save)
        self._stopping = threading.Event()
        self._ticker: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------

    def attach_jobs(self, cancel_job: Callable[[str], None]) -> None:
        """Give the backend a way to cancel jobs (``JobBackend.cancel_custom_job``)."""
        self._scheduler.attach_jobs(cancel_job)

    def start(self) -> None:
        """Start the ticker that finishes operations (resumes those pending at a restart)."""
        self._ticker = threading.Thread(
            target=self._tick_loop, name="vertex-local-persistent-resources", daemon=True
        )
        self._ticker.start()

    def stop(self) -> None:
        """Stop the ticker; pending operations resume on the next start."""
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join(timeout=10)

    def fail_next_provisioning(self, name: str, message: str) -> None:
        """Test seam (in-process only): the next provisioning of ``name`` ends in ERROR."""
        with self._lock:
            self._planned_failures[name] = message

    # ---- RPCs ------------------------------------------------------------------------

    def create_persistent_resource(
        self, parent: str, persistent_resource: Any, persistent_resource_id: str
    ) -> operations_pb2.Operation:
        """Validate and store a new resource (PROVISIONING); RUNNING once the operation ends.

        Raises InvalidArgument, AlreadyExists.
        """
        common_validation.parse_parent(parent)
        prv.check_resource_id(persistent_resource_id)
        resource = PersistentResource.pb()()
        resource.CopyFrom(PersistentResource.pb(persistent_resource))
        for output_only in (
            "name", "state", "error", "create_time", "start_time", "update_time",
            "resource_runtime",
        ):  # fmt: skip
            resource.ClearField(output_only)
        for pool in resource.resource_pools:
            pool.ClearField("used_replica_count")
        prv.prepare_resource(resource)
        name = f"{parent}/persistentResources/{persistent_resource_id}"
        with self._lock:
            if name in self._records:
                raise AlreadyExists(
                    f"persistent_resource_id: a PersistentResource named {name} already exists"
                )
            resource.name = name
            now = records.now()
            resource.create_time.CopyFrom(now)
            resource.update_time.CopyFrom(now)
            record = _Record(resource, None, {})
            self._records[name] = record
            pools = ", ".join(
                f"{p.id}: {p.replica_count} x {prv.describe(prv.machine_key(p.machine_spec))}"
                for p in resource.resource_pools
            )
            op = self._begin(record, "create", f"Provisioning {pools}.")
            fail = self._planned_failures.pop(name, None)
            if fail is not None:
                assert record.pending is not None
                record.pending["fail"] = fail
                self._save(record)
        return op

    def get_persistent_resource(self, name: str) -> PersistentResource:
        """The resource named ``name``. Raises InvalidArgument, NotFound."""
        with self._lock:
            return PersistentResource.wrap(_copy(self._get(name).resource))

    def list_persistent_resources(
        self, parent: str, page_size: int = 0, page_token: str = ""
    ) -> tuple[list[PersistentResource], str]:
        """One page of the resources under ``parent`` (by name) and the next page token."""
        common_validation.parse_parent(parent)
        if page_size < 0:
            raise InvalidArgument.of("page_size", f"{page_size} must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = records.decode_page_token(page_token)
        prefix = f"{parent}/persistentResources/"
        with self._lock:
            names = sorted(n for n in self._records if n.startswith(prefix) and n > after)
            page = [PersistentResource.wrap(_copy(self._records[n].resource)) for n in names[:size]]
        token = records.encode_page_token(names[size - 1]) if len(names) > size else ""
        return page, token

    def update_persistent_resource(
        self, persistent_resource: Any, update_mask: list[str]
    ) -> operations_pb2.Operation:
        """Change pool replica counts / autoscaling bounds (UPDATING, then RUNNING).

        Raises InvalidArgument (mask path, pool id or counts), NotFound, and
        FailedPrecondition when the resource is not RUNNING or jobs use more
        replicas than the new size holds.
        """
        prv.check_update_mask(list(update_mask))
        request = PersistentResource.pb(persistent_resource)
        prv.check_name(request.name, "persistent_resource.name")
        paths = set(update_mask)
        with self._lock:
            record = self._get(request.name)
            self._require_running(record, "update")
            updated = _copy(record.resource)
            by_id = {p.id: p for p in updated.resource_pools}
            errors: list[Violation] = []
            for i, given in enumerate(request.resource_pools):
                f = f"persistent_resource.resource_pools[{i}]"
                target = by_id.get(given.id) if given.id else _at(updated.resource_pools, i)
                if target is None:
                    errors.append(
                        (f"{f}.id", f"{given.id!r} names no pool; pool ids: {', '.join(by_id)}")
                    )
                    continue
                prv.apply_update_mask(given, target, paths)
                prv.check_counts(target, f"{f}", 0 if prv.has_ray(updated) else 1, errors)
            if errors:
                raise InvalidArgument(violations=errors)
            for pool in updated.resource_pools:
                used = self._scheduler.used(record, pool.id)
                if prv.capacity(pool) < used:
                    raise FailedPrecondition(
                        f"resource pool {pool.id!r} of {request.name}: jobs use {used} replicas, "
                        f"more than the {prv.capacity(pool)} it would have; wait for them to end"
                    )
            record.resource.CopyFrom(updated)
            sizes = ", ".join(f"{p.id}: {p.replica_count}" for p in updated.resource_pools)
            return self._begin(record, "update", f"Updating resource pools ({sizes}).")

    def reboot_persistent_resource(self, name: str) -> operations_pb2.Operation:
        """REBOOTING, then RUNNING. Jobs keep running in the emulator (see COVERAGE.md)."""
        with self._lock:
            record = self._get(name)
            self._require_running(record, "reboot")
            return self._begin(record, "reboot", "Rebooting every replica.")

    def delete_persistent_resource(self, name: str) -> operations_pb2.Operation:
        """STOPPING: cancel the jobs on it, then it is gone (Operation response Empty).

        Deleting a resource that is STOPPING already returns that deletion's operation.
        """
        with self._lock:
            record = self._get(name)
            if record.state == State.STOPPING and record.pending is not None:
                return self.get_operation(record.pending["operation"])
            if record.pending is not None:  # an update/reboot in flight is superseded
                self._finish(
                    record.pending,
                    error=status_pb2.Status(
                        code=code_pb2.ABORTED,
                        message=f"{name} is being deleted; this operation was abandoned.",
                    ),
                )
            jobs = list(record.jobs)
            op = self._begin(
                record, "delete", f"Deleting; cancelling {len(jobs)} job(s) on the resource."
            )
        self._scheduler.cancel_all(record, jobs)
        return op

    def get_operation(self, name: str) -> operations_pb2.Operation:
        """A persistent-resource operation by name. Raises InvalidArgument, NotFound."""
        common_validation.check_operation_name(name)
        return operations.get_operation(self.store, name)

    # ---- the job scheduler (called by JobBackend; see persistent_resource_scheduler) ----

    def admit(self, job: CustomJob) -> None:
        """At CreateCustomJob: refuse a job that cannot run on its resource; place it."""
        self._scheduler.admit(job)

    def claim(self, job: CustomJob) -> bool:
        """Before the job starts: take its replicas if the resource is RUNNING and has them."""
        return self._scheduler.claim(job)

    def release(self, job: CustomJob) -> None:
        """When the job ends: give its replicas back and forget it."""
        self._scheduler.release(job)

    # ---- the ticker ------------------------------------------------------------------

    def _tick_loop(self) -> None:
        interval = max(min(self.delay / 5, 0.05), 0.01)
        while not self._stopping.wait(interval):
            try:
                self.advance()
            except Exception:  # keep ticking: one bad record must not strand the others
                log.exception("persistent resource tick failed")

    def advance(self) -> None:
        """Finish every operation whose time has come."""
        now = time.time()
        cancels: list[tuple[_Record, list[str]]] = []
        with self._lock:
            for name, record in list(self._records.items()):
                pending = record.pending
                if pending is None:
                    continue
                if record.state == State.STOPPING:
                    if record.jobs:
                        cancels.append((record, list(record.jobs)))
                    elif now >= pending["due"]:
                        del self._records[name]
                        self.store.delete(RESOURCE_KIND, name)
                        self._finish(pending, response=empty_pb2.Empty())
                        log.info("%s deleted", name)
                elif now >= pending["due"]:
                    record.pending = None
                    if pending.get("fail"):
                        error = status_pb2.Status(
                            code=code_pb2.RESOURCE_EXHAUSTED, message=pending["fail"]
                        )
                        self._transition(record, State.ERROR, error)
                        self._finish(pending, error=error)
                    else:
                        self._transition(record, State.RUNNING)
                        self._finish(pending, response=_copy(record.resource))
        for record, jobs in cancels:
            self._scheduler.cancel_all(record, jobs)

    # ---- helpers ---------------------------------------------------------------------

    def _get(self, name: str) -> _Record:
        prv.check_name(name)
        record = self._records.get(name)
        if record is None:
            raise NotFound(f"PersistentResource {name} not found.")
        return record

    def _require_running(self, record: _Record, verb: str) -> None:
        if record.state != State.RUNNING:
            raise FailedPrecondition(
                f"Cannot {verb} {record.resource.name}: it is {State(record.state).name}; "
                "only a RUNNING persistent resource can be"
                f" {'updated' if verb == 'update' else 'rebooted'}"
            )

    def _transition(self, record: _Record, new: int, error: Any = None) -> None:
        states.check_transition(record.state, new)
        now = records.now()
        record.resource.state = new
        record.resource.update_time.CopyFrom(now)
        if new == State.RUNNING:
            if not record.resource.HasField("start_time"):
                record.resource.start_time.CopyFrom(now)
            record.resource.ClearField("error")
            # No Ray cluster runs here, so there are no RAY_* endpoints to offer.
            record.resource.resource_runtime.SetInParent()
        if error is not None:
            record.resource.error.CopyFrom(error)
        self._save(record)
        log.info("%s -> %s", record.resource.name, State(new).name)

    def _begin(self, record: _Record, kind: str, message: str) -> operations_pb2.Operation:
        """Move to the busy state of ``kind`` and store its (not done) operation."""
        self._transition(record, states.BUSY_STATE[kind])
        op = operations.begin_operation(self.store, record.resource.name, kind, message)
        record.pending = {"operation": op.name, "kind": kind, "due": time.time() + self.delay}
        self._save(record)
        return op

    def _finish(self, pending: dict[str, Any], response: Any = None, error: Any = None) -> None:
        operations.finish_operation(
            self.store, pending["operation"], pending["kind"], response, error
        )

    def _save(self, record: _Record) -> None:
        if record.resource.name in self._records:
            self.store.put(RESOURCE_KIND, record.resource.name, record.to_json())


def _copy(resource: Any) -> Any:
    clone = PersistentResource.pb()()
    clone.CopyFrom(resource)
    return clone


def _at(pools: Any, i: int) -> Any:
    return pools[i] if i < len(pools) else None
