"""Runs a job's replicas as Docker containers (the only emulator module importing docker).

Each job gets a user-defined bridge network (the engine here runs with
``--bridge=none``, so there is no default bridge to fall back on); every replica
is a container on it with ``hostname`` and a network alias equal to its replica
name (``workerpool1-0``), so replicas reach each other by the names in
CLUSTER_SPEC through Docker's embedded DNS (checked against this engine: a
user-defined network resolves aliases even with ``--iptables=false``).

Containers and networks carry labels under ``dev.pulumi-vertex-training.``
(job name, job id, replica, instance id = the data dir's id), which is all the
state the runner needs: a restarted emulator finds its jobs by label.

Job outcome (``status``): any replica exiting non-zero fails the job; the job
succeeds when every replica exited 0, or when the primary replica
(``workerpool0-0``) exited 0 and no replica failed, because that is how
Vertex ends a job (parameter servers and TF2 workers serve forever and are
stopped when the primary ends).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulumi_vertex_training.emulator.exceptions import NotFound
from pulumi_vertex_training.emulator.runner_types import (
    JobRun,
    ReplicaSpec,
    RunPhase,
    RunStatus,
)

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

LABEL_PREFIX = "dev.pulumi-vertex-training"
LABEL_JOB_NAME = f"{LABEL_PREFIX}.job-name"
LABEL_JOB_ID = f"{LABEL_PREFIX}.job-id"
LABEL_REPLICA = f"{LABEL_PREFIX}.replica"
LABEL_REPLICA_COUNT = f"{LABEL_PREFIX}.replica-count"
LABEL_INSTANCE_ID = f"{LABEL_PREFIX}.instance-id"

PRIMARY_REPLICA = "workerpool0-0"
LOG_TAIL_LINES = 20
STOP_TIMEOUT_SECONDS = 2
_PARALLELISM = 4

_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]")


def _safe(part: str, limit: int) -> str:
    return _NAME_UNSAFE.sub("-", part)[:limit] or "x"


def _timestamp(rfc3339: str) -> str:
    """Docker's FinishedAt, made comparable as a string (fixed-width nanoseconds)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", rfc3339)
    return f"{m.group(1)}.{(m.group(2) or '').ljust(9, '0')}" if m else rfc3339


def _reason(exc: Exception) -> str:
    # docker-py's str() adds the HTTP method and URL; the engine's words suffice.
    explanation = getattr(exc, "explanation", None)
    return explanation if isinstance(explanation, str) and explanation else str(exc)


def _replica_order(name: str) -> tuple[int, int, str]:
    m = re.fullmatch(r"workerpool(\d+)-(\d+)", name)
    return (int(m.group(1)), int(m.group(2)), name) if m else (1 << 30, 0, name)


class DockerRunner:
    """The Runner (see ``runner_types.Runner``) backed by a Docker engine.

    Args:
        data_dir: the emulator's data dir; logs are saved under ``logs/<job id>/``.
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
        return f"vertex-{_safe(self.instance_id, 16)}-{_safe(job_id, 40)}"

    def _filters(self, job_name: str | None = None) -> dict[str, Any]:
        labels = [f"{LABEL_INSTANCE_ID}={self.instance_id}"]
        if job_name is not None:
            labels.append(f"{LABEL_JOB_NAME}={job_name}")
        return {"label": labels}

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
        return sorted(found, key=lambda c: _replica_order(c.labels.get(LABEL_REPLICA, "")))

    def _log_dir(self, job_id: str) -> Path:
        return self.data_dir / "logs" / job_id

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

    def _labels(self, run: JobRun) -> dict[str, str]:
        return {
            **dict(run.labels),
            LABEL_JOB_NAME: run.job_name,
            LABEL_JOB_ID: run.job_id,
            LABEL_INSTANCE_ID: self.instance_id,
            LABEL_REPLICA_COUNT: str(len(run.replicas)),
        }

    def _create_and_start(self, run: JobRun) -> None:
        labels = self._labels(run)
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
        if not any(n.name == name for n in self.client.networks.list(names=[name])):
            self.client.networks.create(name, driver="bridge", labels=labels, check_duplicate=True)
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
            name=f"{self._base_name(run.job_id)}-{replica.replica_name}",
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
        import docker.errors

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
                finished[name] = _timestamp(state.get("FinishedAt", ""))
        primary_end = (
            finished.get(PRIMARY_REPLICA) if exit_codes.get(PRIMARY_REPLICA) == 0 else None
        )
        # Once the primary has succeeded, replicas stopped afterwards (parameter
        # servers, by stop()) do not turn the job into a failure.
        failed = [
            n
            for n, code in exit_codes.items()
            if code != 0 and (primary_end is None or finished[n] <= primary_end)
        ]
        if failed:
            name = failed[0]
            container = next(c for c in containers if c.labels.get(LABEL_REPLICA) == name)
            try:
                tail = container.logs(tail=LOG_TAIL_LINES).decode("utf-8", "replace").rstrip()
            except docker.errors.DockerException:
                tail = "(log not available)"
            oom = " (out of memory)" if container.attrs.get("State", {}).get("OOMKilled") else ""
            message = f"replica {name} exited with code {exit_codes[name]}{oom}"
            message += f"; last log lines:\n{tail}" if tail else "; it logged nothing"
            return RunStatus(RunPhase.FAILED, message, exit_codes)
        if primary_end is not None:
            return RunStatus(RunPhase.SUCCEEDED, "", exit_codes)
        expected = int(containers[0].labels.get(LABEL_REPLICA_COUNT, len(containers)))
        if len(containers) < expected:
            return RunStatus(
                RunPhase.FAILED,
                f"{expected - len(containers)} of the {expected} replica containers of "
                f"{job_name} are missing (their start was interrupted, or they were removed "
                f"outside the emulator); present: {', '.join(states)}",
                exit_codes,
            )
        if len(exit_codes) == len(containers):
            return RunStatus(RunPhase.SUCCEEDED, "", exit_codes)
        if any(s in ("created", "restarting") for s in states.values()):
            return RunStatus(RunPhase.STARTING, "", exit_codes)
        return RunStatus(RunPhase.RUNNING, "", exit_codes)

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
        """Save every replica's full log, then remove containers and network. Idempotent."""
        import docker.errors

        def save_and_remove(c: Container) -> None:
            replica = c.labels.get(LABEL_REPLICA, c.name or c.id or "unknown")
            job_id = c.labels.get(LABEL_JOB_ID, job_name.rsplit("/", 1)[-1])
            try:
                log = c.logs()
                folder = self._log_dir(job_id)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{replica}.log").write_bytes(log)
                c.remove(force=True)
            except docker.errors.NotFound:
                pass  # removed meanwhile (a concurrent cleanup); its log was saved there

        with self._job_lock(job_name):
            with self._lock:
                self._start_errors.pop(job_name, None)
            with ThreadPoolExecutor(max_workers=_PARALLELISM) as pool:
                list(pool.map(save_and_remove, self._containers(job_name)))
            for net in self.client.networks.list(filters=self._filters(job_name)):
                try:
                    net.remove()
                except docker.errors.NotFound:
                    pass

    def logs(self, job_name: str, replica: str, follow: bool = False) -> Iterator[str]:
        """Lines (without the newline) of one replica's log.

        From the live container when it exists (``follow`` streams until it
        exits), else from the copy ``cleanup`` saved.

        Raises:
            NotFound: the job has no replica of that name (the message lists
                the replicas that exist).
        """
        containers = self._containers(job_name)
        saved = self._log_dir(job_name.rsplit("/", 1)[-1])
        path = saved / f"{replica}.log"
        for c in containers:
            if c.labels.get(LABEL_REPLICA) == replica:
                return self._container_lines(c, follow, path)
        if path.is_file():
            return self._file_lines(path)
        known = sorted(
            {c.labels.get(LABEL_REPLICA, "") for c in containers}
            | ({p.stem for p in saved.glob("*.log")} if saved.is_dir() else set()),
            key=_replica_order,
        )
        if not known:
            raise NotFound(f"no logs for {job_name}: it has no containers and no saved logs")
        raise NotFound(f"replica {replica!r} of {job_name} not found; replicas: {', '.join(known)}")

    @classmethod
    def _container_lines(cls, container: Container, follow: bool, saved: Path) -> Iterator[str]:
        import docker.errors

        pending = b""
        seen = 0
        try:
            for chunk in container.logs(stream=True, follow=follow):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    seen += 1
                    yield line.decode("utf-8", "replace")
        except (docker.errors.DockerException, OSError):
            # Removed while we read (cleanup saved its log first): finish from the copy.
            pending = b""
            if saved.is_file():
                for i, line in enumerate(cls._file_lines(saved)):
                    if i >= seen:
                        yield line
        if pending:
            yield pending.decode("utf-8", "replace")

    @staticmethod
    def _file_lines(path: Path) -> Iterator[str]:
        with path.open("rb") as f:
            for line in f:
                yield line.rstrip(b"\n").decode("utf-8", "replace")

    def known_jobs(self) -> set[str]:
        """Names of the jobs of this instance that still have containers."""
        containers = self.client.containers.list(all=True, filters=self._filters(), sparse=True)
        # Sparse listings carry labels at the top level, not under Config.
        labels = (c.attrs.get("Labels") or {} for c in containers)
        return {lab[LABEL_JOB_NAME] for lab in labels if LABEL_JOB_NAME in lab}
