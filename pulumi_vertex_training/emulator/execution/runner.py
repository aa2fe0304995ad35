"""Runs a job's replicas as Docker containers (the only emulator module importing docker).

Each job gets a user-defined bridge network (the engine here runs with
``--bridge=none``, so there is no default bridge to fall back on); every replica
is a container on it with ``hostname`` and a network alias equal to its replica
name (``workerpool1-0``), so replicas reach each other by the names in
CLUSTER_SPEC through Docker's embedded DNS (checked against this engine: a
user-defined network resolves aliases even with ``--iptables=false``).

Labels are all the state the runner needs (``names.py``); the job's
outcome is judged from its containers' states (``outcome.py``); logs are
read into the log store, live and before ``cleanup`` removes a container (``logs.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from pulumi_vertex_training.emulator.execution.outcome import (
    failed_replica,
    failure_message,
    finished_key,
    outcome,
)
from pulumi_vertex_training.emulator.execution.types import (
    JobRun,
    ReplicaSpec,
    RunPhase,
    RunStatus,
)

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

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


def _reason(exc: Exception) -> str:
    # docker-py's str() adds the HTTP method and URL; the engine's words suffice.
    explanation = getattr(exc, "explanation", None)
    return explanation if isinstance(explanation, str) and explanation else str(exc)


class DockerRunner:
    """The Runner (see ``types.Runner``) backed by a Docker engine.

    Args:
        data_dir: the emulator's data dir; logs are stored in ``logs.db`` there.
        instance_id: the data dir's id; containers are labelled with it so two
            emulators on one engine never touch each other's jobs.
        docker_client: a ``docker.DockerClient``; ``docker.from_env()`` when None
            (created on first use, so constructing the runner needs no engine).

    Safe to call from several threads: start/stop/cleanup of one job are
    serialised by a per-job lock; status/logs only read.
    """

    def __init__(
        self, data_dir: Path, instance_id: str, docker_client: docker.DockerClient | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.instance_id = instance_id
        self._client = docker_client
        self._lock = threading.Lock()
        self._job_locks: dict[str, threading.Lock] = {}
        # Jobs whose start failed before any container ran (image not found, ...):
        # status() reports them FAILED with this message until cleanup().
        self._start_errors: dict[str, str] = {}
        # Jobs inside start(): status() says STARTING rather than judging a
        # half-created set of containers.
        self._starting: set[str] = set()

    # -- plumbing -----------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        """The Docker client, created from the environment on first use."""
        with self._lock:
            if self._client is None:
                import docker

                self._client = docker.from_env()
            return self._client

    def _job_lock(self, job_name: str) -> threading.Lock:
        with self._lock:
            return self._job_locks.setdefault(job_name, threading.Lock())

    def _base_name(self, job_id: str) -> str:
        return base_name(self.instance_id, job_id)

    def _filters(self, job_name: str | None = None) -> dict[str, Any]:
        return label_filters(self.instance_id, job_name)

    def _containers(self, job_name: str) -> list[Container]:
        import docker.errors

        for attempt in range(3):
            try:
                found = self.client.containers.list(all=True, filters=self._filters(job_name))
                break
            except docker.errors.NotFound:
                # A container removed between list and inspect (concurrent cleanup).
                if attempt == 2:
                    raise
        found = [c for c in found if c.labels.get(LABEL_JOB_NAME) == job_name]
        return sorted(found, key=lambda c: replica_order(c.labels.get(LABEL_REPLICA, "")))

    # -- Runner -------------------------------------------------------------

    def start(self, run: JobRun) -> None:
        """Create the job's network and start every replica; returns once started.

        Never raises for problems of the job itself (an image that cannot be
        found or pulled, a container the engine refuses): those make
        ``status()`` answer FAILED with the reason. Calling it again for a job
        whose containers exist starts the ones not yet started.
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
                        error = f"could not start the job's containers: {_reason(exc)}"
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
            self._stop_containers(self._containers(job_name))
        except docker.errors.DockerException:
            pass  # best effort: the start error is what the user needs to see

    def _ensure_images(self, run: JobRun) -> str:
        import docker.errors

        for image in dict.fromkeys(r.image for r in run.replicas):
            try:
                self.client.images.get(image)
                continue
            except docker.errors.DockerException:
                pass  # not here (or a reference the engine rejects): the pull says why
            try:
                self.client.images.pull(image)
            except docker.errors.DockerException as exc:
                pools = sorted({r.pool_index for r in run.replicas if r.image == image})
                fields = ", ".join(
                    f"job_spec.worker_pool_specs[{i}].container_spec.image_uri" for i in pools
                )
                return (
                    f"image {image!r} ({fields}) was not found: it is not in the local Docker "
                    f"engine and pulling it failed: {_reason(exc)}"
                )
        return ""

    def _create_and_start(self, run: JobRun) -> None:
        labels = job_labels(run, self.instance_id)
        network = self._ensure_network(run, labels)
        existing = {c.labels.get(LABEL_REPLICA): c for c in self._containers(run.job_name)}
        todo = [r for r in run.replicas if r.replica_name not in existing]
        with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
            created = list(pool.map(lambda r: self._create(run, r, network, labels), todo))
        # Start only once every container exists, so the replicas come up together.
        containers = [*existing.values(), *created]
        with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
            list(pool.map(self._start_if_created, containers))

    def _ensure_network(self, run: JobRun, labels: dict[str, str]) -> str:
        name = self._base_name(run.job_id)
        # The engine's name filter matches substrings (job 12 would find job 123's).
        import docker.errors

        if not any(n.name == name for n in self.client.networks.list(names=[name])):
            try:
                self.client.networks.create(
                    name, driver="bridge", labels=labels, check_duplicate=True
                )
            except docker.errors.APIError as err:
                if "address pool" not in str(err):
                    raise
                raise RuntimeError(
                    f"{err.explanation or err}: the Docker engine has no free address pool "
                    "for another job network; remove unused ones with `docker network prune`"
                ) from err
        return name

    def _create(
        self, run: JobRun, replica: ReplicaSpec, network: str, labels: dict[str, str]
    ) -> Container:
        from docker.types import Mount as DockerMount

        # Kubernetes/Vertex: command replaces ENTRYPOINT, args replace CMD;
        # a command without args runs with no CMD at all.
        entrypoint = list(replica.command) or None
        command: list[str] | None = list(replica.args) or None
        if entrypoint and command is None:
            command = []
        return self.client.containers.create(
            replica.image,
            name=container_name(self.instance_id, run.job_id, replica.replica_name),
            hostname=replica.hostname,
            entrypoint=entrypoint,
            command=command,
            environment=[f"{k}={v}" for k, v in replica.env],
            labels={**labels, LABEL_REPLICA: replica.replica_name},
            mounts=[
                DockerMount(m.container_path, m.host_path, type="bind", read_only=m.read_only)
                for m in replica.mounts
            ],
            network=network,
            networking_config={
                network: self.client.api.create_endpoint_config(aliases=[replica.hostname])
            },
            extra_hosts=self._host_alias(network),
            detach=True,
        )

    def _host_alias(self, network: str) -> dict[str, str]:
        # host.docker.internal -> the job network's gateway, which is the host
        # itself on a bridge (the only way in here: the engine runs with
        # --iptables=false, so "host-gateway" resolves to nothing). Replicas
        # reach the local Cloud Storage this way (cluster.py, STORAGE_EMULATOR_HOST).
        configs = self.client.networks.get(network).attrs.get("IPAM", {}).get("Config") or []
        gateways = [c["Gateway"] for c in configs if c.get("Gateway") and "." in c["Gateway"]]
        return {"host.docker.internal": gateways[0]} if gateways else {}

    @staticmethod
    def _start_if_created(container: Container) -> None:
        container.reload()
        if container.status == "created":
            container.start()

    def status(self, job_name: str) -> RunStatus:
        """Inspect the job's containers (by label) and say where the job is."""
        with self._lock:
            error = self._start_errors.get(job_name)
            starting = job_name in self._starting
        if error:
            return RunStatus(RunPhase.FAILED, error)
        if starting:
            return RunStatus(RunPhase.STARTING)
        containers = self._containers(job_name)
        if not containers:
            return RunStatus(RunPhase.MISSING, f"no containers of {job_name} are left")
        exit_codes: dict[str, int] = {}
        finished: dict[str, str] = {}
        states: dict[str, str] = {}
        for c in containers:
            name = c.labels.get(LABEL_REPLICA, c.name or "")
            state = c.attrs.get("State", {})
            states[name] = c.status
            if c.status in ("exited", "dead"):
                exit_codes[name] = int(state.get("ExitCode", -1))
                finished[name] = finished_key(state.get("FinishedAt", ""))
        failed = failed_replica(exit_codes, finished)
        if failed is not None:
            container = next(c for c in containers if c.labels.get(LABEL_REPLICA) == failed)
            oom = bool(container.attrs.get("State", {}).get("OOMKilled"))
            message = failure_message(job_name, failed, exit_codes[failed], oom)
            return RunStatus(RunPhase.FAILED, message, exit_codes)
        expected = int(containers[0].labels.get(LABEL_REPLICA_COUNT, len(containers)))
        return outcome(job_name, states, exit_codes, finished, len(containers), expected)

    def stop(self, job_name: str) -> None:
        """Stop every replica (SIGTERM, SIGKILL after a short grace). Idempotent."""
        with self._job_lock(job_name):
            self._stop_containers(self._containers(job_name))

    def _stop_containers(self, containers: list[Container]) -> None:
        import docker.errors

        def stop_one(c: Container) -> None:
            try:
                c.stop(timeout=STOP_TIMEOUT_SECONDS)
            except docker.errors.NotFound:
                pass

        with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
            list(pool.map(stop_one, containers))

    def cleanup(self, job_name: str) -> None:
        """Store every replica's log, then remove containers and network. Idempotent."""
        import docker.errors

        def remove(c: Container) -> None:
            try:
                c.remove(force=True)
            except docker.errors.NotFound:
                pass  # removed meanwhile (a concurrent cleanup)

        with self._job_lock(job_name):
            with self._lock:
                self._start_errors.pop(job_name, None)
            containers = self._containers(job_name)
            replica_logs.save_final(self.data_dir, job_name, self._log_sources(containers))
            with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
                list(pool.map(remove, containers))
            for net in self.client.networks.list(filters=self._filters(job_name)):
                try:
                    net.remove()
                except docker.errors.NotFound:
                    pass

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
        return self._log_sources(self._containers(job_name))

    def _log_sources(self, containers: list[Container]) -> list[replica_logs.ContainerLog]:
        import docker.errors

        gone = (docker.errors.DockerException, OSError)
        return [
            replica_logs.ContainerLog(
                self.client.api, c.id or "", c.labels.get(LABEL_REPLICA, ""), c.status, gone
            )
            for c in containers
        ]

    def known_jobs(self) -> set[str]:
        """Names of the jobs of this instance that still have containers."""
        containers = self.client.containers.list(all=True, filters=self._filters(), sparse=True)
        # Sparse listings carry labels at the top level, not under Config.
        labels = (c.attrs.get("Labels") or {} for c in containers)
        return {lab[LABEL_JOB_NAME] for lab in labels if LABEL_JOB_NAME in lab}
