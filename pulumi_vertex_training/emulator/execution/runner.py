"""Runs a job's replicas as Docker containers (this and ``engine.py`` alone import docker).

Each job gets a user-defined bridge network (the engine here runs with
``--bridge=none``, so there is no default bridge to fall back on); every replica
is a container on it with ``hostname`` and a network alias equal to its replica
name (``workerpool1-0``), so replicas reach each other by the names in
CLUSTER_SPEC through Docker's embedded DNS (checked against this engine: a
user-defined network resolves aliases even with ``--iptables=false``).

Labels are all the state the runner needs (``names.py``); the job's
outcome is judged from its containers' states (``outcome.py``); logs are
read into the log store, live and before ``cleanup`` removes a container (``logs.py``).
The engine calls that change something survive an engine that stalls (``engine.py``).

Watching many jobs costs one labelled listing of this instance's containers
(:meth:`DockerRunner.statuses`): the listing says which containers run or
exited; each exited container is inspected once, for its exit code and end time.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulumi_vertex_training.emulator.execution import engine as docker_engine
from pulumi_vertex_training.emulator.execution import gateway_forward
from pulumi_vertex_training.emulator.execution import logs as replica_logs
from pulumi_vertex_training.emulator.execution.names import (
    LABEL_INSTANCE_ID,
    LABEL_JOB_ID,
    LABEL_JOB_NAME,
    LABEL_REPLICA,
    LABEL_REPLICA_COUNT,
    base_name,
    container_name,
    job_labels,
    label_filters,
    replica_order,
)
from pulumi_vertex_training.emulator.execution.outcome import ListedReplica, judge
from pulumi_vertex_training.emulator.execution.types import (
    JobRun,
    ReplicaSpec,
    RunPhase,
    RunStatus,
)

if TYPE_CHECKING:
    from pulumi_vertex_training.emulator.crash import CrashHook

# The labels stay importable from here: tests find containers and networks by them.
__all__ = [
    "LABEL_INSTANCE_ID",
    "LABEL_JOB_ID",
    "LABEL_JOB_NAME",
    "LABEL_REPLICA",
    "DockerRunner",
]

STOP_TIMEOUT_SECONDS = 2
_PARALLELISM = 4
_EXITED = ("exited", "dead")


def _labels(entry: dict[str, Any]) -> dict[str, str]:
    return entry.get("Labels") or {}


def _job_names(entries: Iterable[dict[str, Any]]) -> set[str]:
    """The job names on the labels of containers or networks (listing entries)."""
    return {lab[LABEL_JOB_NAME] for lab in map(_labels, entries) if LABEL_JOB_NAME in lab}


def _replica(entry: dict[str, Any]) -> str:
    names = entry.get("Names") or [""]
    return _labels(entry).get(LABEL_REPLICA, str(names[0]).lstrip("/"))


class DockerRunner:
    """The Runner (see ``types.Runner``) backed by a Docker engine.

    Args:
        data_dir: the emulator's data dir; logs are stored in ``logs.db`` there.
        instance_id: the data dir's id; containers are labelled with it so two
            emulators on one engine never touch each other's jobs.
        docker_client: a ``docker.DockerClient`` (its ``api`` makes every call);
            when None, two clients from the environment, created on first use (so
            constructing the runner needs no engine): one for reads, one with a
            ``timeout`` long enough for creates, starts and removes under load.
        timeout: the HTTP timeout of the calls that change something, and how
            long one that timed out is retried (``engine.py``).
        crash: kills the process at a chosen engine call (tests only, ``emulator/crash.py``).

    Safe to call from several threads: start/stop/cleanup of one job are
    serialised by a per-job lock; statuses/logs only read.
    """

    def __init__(
        self,
        data_dir: Path,
        instance_id: str,
        docker_client: Any = None,
        *,
        timeout: float = docker_engine.ENGINE_TIMEOUT_SECONDS,
        crash: CrashHook | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.instance_id = instance_id
        self._client = docker_client
        self._timeout = timeout
        self._crash = crash
        self._engine: docker_engine.Engine | None = None
        self._lock = threading.Lock()
        self._job_locks: dict[str, threading.Lock] = {}
        # Jobs whose start failed before any container ran (image not found, ...):
        # statuses() reports them FAILED with this message until cleanup().
        self._start_errors: dict[str, str] = {}
        # Jobs inside start(): statuses() says STARTING rather than judging a
        # half-created set of containers.
        self._starting: set[str] = set()
        # Container id -> (exit code, FinishedAt, OOMKilled): inspected once when exited.
        self._exits: dict[str, tuple[int, str, bool]] = {}
        # The local Cloud Storage on each job network's gateway (gateway_forward.py).
        self.gateway_forwards = gateway_forward.GatewayForwards()

    # -- plumbing -----------------------------------------------------------

    @property
    def engine(self) -> docker_engine.Engine:
        """The engine calls (``engine.Engine``), set up on first use."""
        with self._lock:
            if self._engine is None:
                if self._client is not None:
                    reads = writes = self._client.api
                else:
                    reads, writes = docker_engine.from_environment(self._timeout)
                self._engine = docker_engine.Engine(
                    reads, writes, patience=self._timeout, crash=self._crash
                )
            return self._engine

    def _job_lock(self, job_name: str) -> threading.Lock:
        with self._lock:
            return self._job_locks.setdefault(job_name, threading.Lock())

    def _base_name(self, job_id: str) -> str:
        return base_name(self.instance_id, job_id)

    def _listing(self, job_name: str | None = None) -> list[dict[str, Any]]:
        """This instance's containers (of one job, if named), as one listing."""
        found = self.engine.containers(label_filters(self.instance_id, job_name))
        if job_name is not None:
            found = [c for c in found if _labels(c).get(LABEL_JOB_NAME) == job_name]
        return sorted(found, key=lambda c: replica_order(_replica(c)))

    # -- Runner -------------------------------------------------------------

    def start(self, run: JobRun) -> None:
        """Create the job's network and start every replica; returns once started.

        Never raises for problems of the job itself (an image that cannot be
        found or pulled, a container the engine refuses): those make
        ``status()`` answer FAILED with the reason. Calling it again for a job
        whose start was interrupted (the emulator was killed) resumes it: the
        network and the containers that exist are adopted, also one whose
        create lands only now, the missing ones are created, and the ones
        never started are started. An engine that does not answer in time is
        waited for (``engine.py``); only one that stays silent for the whole
        timeout makes it raise ``EngineStalled``. An engine with no address
        pool left for the network raises ``NoNetworkRoom`` (nothing was made).
        """
        import docker.errors

        with self._job_lock(run.job_name):
            with self._lock:
                self._start_errors.pop(run.job_name, None)
                self._starting.add(run.job_name)
            try:
                error = self._ensure_images(run)
                if not error:
                    try:
                        self._create_and_start(run)
                    except docker.errors.DockerException as exc:
                        # The engine refused (name clash, bad mount, ...): the job
                        # fails, the emulator lives; cleanup() removes what exists.
                        error = f"could not start the job's containers: {docker_engine.reason(exc)}"
                        self._stop_quietly(run.job_name)
                if error:
                    with self._lock:
                        self._start_errors[run.job_name] = error
            finally:
                with self._lock:
                    self._starting.discard(run.job_name)

    def _stop_quietly(self, job_name: str) -> None:
        import docker.errors

        try:
            self._stop_containers(self._listing(job_name))
        except (docker.errors.DockerException, docker_engine.EngineStalled):
            pass  # best effort: the start error is what the user needs to see

    def _ensure_images(self, run: JobRun) -> str:
        import docker.errors

        for image in dict.fromkeys(r.image for r in run.replicas):
            try:
                self.engine.ensure_image(image)
            except docker.errors.DockerException as exc:
                pools = sorted({r.pool_index for r in run.replicas if r.image == image})
                fields = ", ".join(
                    f"job_spec.worker_pool_specs[{i}].container_spec.image_uri" for i in pools
                )
                return (
                    f"image {image!r} ({fields}) was not found: it is not in the local Docker "
                    f"engine and pulling it failed: {docker_engine.reason(exc)}"
                )
        return ""

    def reattach(self, job_name: str) -> None:
        """A job an earlier emulator left running: forward the local Cloud Storage to its
        network again (the forwarders died with that process)."""
        for network in self.engine.job_networks(self.instance_id, job_name):
            self.gateway_forwards.open(job_name, network)

    def _create_and_start(self, run: JobRun) -> None:
        labels = job_labels(run, self.instance_id)
        network = self.engine.ensure_network(self._base_name(run.job_id), labels)
        self.gateway_forwards.open(run.job_name, network)
        existing = {_replica(c): c for c in self._listing(run.job_name)}
        todo = [r for r in run.replicas if r.replica_name not in existing]
        with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
            created = list(pool.map(lambda r: self._create(run, r, network, labels), todo))
        # Start only once every container exists, so the replicas come up together.
        to_start = [c["Id"] for c in existing.values() if c.get("State") == "created"]
        with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
            list(pool.map(self.engine.start, [*to_start, *created]))

    def _create(
        self, run: JobRun, replica: ReplicaSpec, network: dict[str, Any], labels: dict[str, str]
    ) -> str:
        from docker.types import Mount as DockerMount

        api = self.engine.writes
        # Kubernetes/Vertex: command replaces ENTRYPOINT, args replace CMD;
        # a command without args runs with no CMD at all.
        entrypoint = list(replica.command) or None
        command: list[str] | None = list(replica.args) or None
        if entrypoint and command is None:
            command = []
        host_config = api.create_host_config(
            mounts=[
                DockerMount(m.container_path, m.host_path, type="bind", read_only=m.read_only)
                for m in replica.mounts
            ],
            network_mode=network["Id"],
            extra_hosts=_host_alias(network),
        )
        endpoint = api.create_endpoint_config(aliases=[replica.hostname])
        return self.engine.create_container(
            container_name(self.instance_id, run.job_id, replica.replica_name),
            run.job_name,
            replica.image,
            hostname=replica.hostname,
            entrypoint=entrypoint,
            command=command,
            environment=[f"{k}={v}" for k, v in replica.env],
            labels={**labels, LABEL_REPLICA: replica.replica_name},
            host_config=host_config,
            networking_config=api.create_networking_config({network["Id"]: endpoint}),
            detach=True,
        )

    def status(self, job_name: str) -> RunStatus:
        """Where the job is, from its containers (by label); never blocks on them."""
        listing = functools.partial(self._listing, job_name)
        return self._judge_all([job_name], listing, prune=False)[job_name]

    def statuses(self, job_names: Collection[str]) -> dict[str, RunStatus]:
        """``status`` of each job, from one listing of this instance's containers."""
        if not job_names:
            return {}
        return self._judge_all(job_names, self._listing, prune=True)

    def _judge_all(
        self,
        job_names: Iterable[str],
        list_containers: Callable[[], list[dict[str, Any]]],
        prune: bool,
    ) -> dict[str, RunStatus]:
        with self._lock:
            starting = set(self._starting)
        listing = list_containers()
        with self._lock:
            # A start under way before or during the listing: its containers are half made.
            starting |= self._starting
            errors = dict(self._start_errors)
            if prune:  # forget the exits of containers that are gone
                present = {c["Id"] for c in listing}
                self._exits = {k: v for k, v in self._exits.items() if k in present}
        by_job: dict[str, list[dict[str, Any]]] = {}
        for entry in listing:
            by_job.setdefault(_labels(entry).get(LABEL_JOB_NAME, ""), []).append(entry)
        out = {}
        for name in job_names:
            if name in errors:
                out[name] = RunStatus(RunPhase.FAILED, errors[name])
            elif name in starting:
                out[name] = RunStatus(RunPhase.STARTING)
            else:
                out[name] = self._judge(name, by_job.get(name, []))
        return out

    def _exit(self, container_id: str) -> tuple[int, str, bool] | None:
        with self._lock:
            known = self._exits.get(container_id)
        if known is None:
            known = self.engine.exit_details(container_id)
            if known is not None:
                with self._lock:
                    self._exits[container_id] = known
        return known

    def _judge(self, job_name: str, containers: list[dict[str, Any]]) -> RunStatus:
        replicas = [
            ListedReplica(
                _replica(c),
                c["Id"],
                str(c.get("State", "")),
                int(_labels(c).get(LABEL_REPLICA_COUNT, len(containers))),
            )
            for c in containers
        ]
        return judge(job_name, replicas, self._exit)

    def stop(self, job_name: str) -> None:
        """Stop every replica (SIGTERM, SIGKILL after a short grace). Idempotent."""
        with self._job_lock(job_name):
            self._stop_containers(self._listing(job_name))

    def _stop_containers(self, containers: list[dict[str, Any]]) -> None:
        running = [c["Id"] for c in containers if c.get("State") not in _EXITED]
        with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
            list(pool.map(lambda c: self.engine.stop(c, STOP_TIMEOUT_SECONDS), running))

    def cleanup(self, job_name: str) -> None:
        """Store every replica's log, then remove containers and network. Idempotent."""

        with self._job_lock(job_name):
            with self._lock:
                self._start_errors.pop(job_name, None)
            containers = self._listing(job_name)
            replica_logs.save_final(self.data_dir, job_name, self._log_sources(containers))
            with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
                list(pool.map(lambda c: self.engine.remove(c["Id"]), containers))
            with self._lock:
                for c in containers:
                    self._exits.pop(c["Id"], None)
            self.engine.remove_networks(self.instance_id, job_name)
            self.gateway_forwards.close(job_name)

    def close(self) -> None:
        """Close the gateway forwarders (the emulator stops; containers keep running)."""
        self.gateway_forwards.close_all()

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        """Lines (without the newline) of one replica's log, through the log store
        (``follow`` streams until the container stops).

        Raises:
            NotFound: the job has no replica of that name (the message lists
                the replicas that exist).
        """
        return replica_logs.replica_lines(
            self.data_dir, job_name, replica, lambda: self.log_sources(job_name), follow
        )

    def log_sources(self, job_name: str) -> list[replica_logs.ContainerLog]:
        """The job's replica containers, as the log store reads them."""
        return self._log_sources(self._listing(job_name))

    def _log_sources(self, containers: list[dict[str, Any]]) -> list[replica_logs.ContainerLog]:
        import docker.errors

        gone = (docker.errors.DockerException, OSError, *docker_engine.TRANSIENT)
        return [
            replica_logs.ContainerLog(
                self.engine.api, c["Id"], _replica(c), str(c.get("State", "")), gone
            )
            for c in containers
        ]

    def watch(self, changed: Callable[[], None]) -> Callable[[], None]:
        """Call ``changed()`` whenever a container of this instance starts or ends.

        From the engine's event stream (``engine.Engine.follow``); returns the
        function that stops it. The monitor then polls at once, not at its interval.
        """
        filters = {
            "label": [f"{LABEL_INSTANCE_ID}={self.instance_id}"],
            "type": ["container"],
            "event": ["start", "die"],
        }
        return self.engine.follow(filters, changed)

    def known_jobs(self) -> set[str]:
        """Names of the jobs of this instance that still have containers."""
        return _job_names(self.engine.containers(label_filters(self.instance_id)))

    def network_jobs(self) -> set[str]:
        """Names of the jobs of this instance that still have a network."""
        return _job_names(self.engine.networks(label_filters(self.instance_id)))


def _host_alias(network: dict[str, Any]) -> dict[str, str]:
    # host.docker.internal -> the job network's gateway, which is the host
    # itself on a bridge (the only way in here: the engine runs with
    # --iptables=false, so "host-gateway" resolves to nothing). Replicas
    # reach the local Cloud Storage this way (cluster.py, STORAGE_EMULATOR_HOST),
    # through the forwarder gateway_forward.py opens on that address.
    address = gateway_forward.gateway(network)
    return {"host.docker.internal": address} if address else {}
