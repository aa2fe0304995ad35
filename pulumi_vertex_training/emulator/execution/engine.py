"""The Docker engine calls a job makes, safe against an engine that stalls (imports docker).

Under load an engine may take longer than docker-py's default 60 s to create,
start or remove a container, and keep doing it after the client gave up: a
timed-out call is not a failed call. So every call that changes something runs
on a client with a long timeout (:data:`ENGINE_TIMEOUT_SECONDS`), and when it
times out anyway (or the connection drops), what it may have done is looked up
by name or label before anything else happens:

- a container create is retried under the same name: the engine reserves a name
  when a create begins, so the retry either creates it or answers 409, and then
  the container of that name is adopted once it shows up, when its labels say it
  is this job's of this instance (a create sent by a process killed since, or by
  our own timed-out call, is the same case);
- a network create looks for the job's network by name first, then retries;
  an engine with no address pool left raises ``types.NoNetworkRoom``;
- start, stop and remove are retried until the engine says it is done (a second
  start of a started container is a no-op, a second remove finds it gone).

Each is tried again until :data:`ENGINE_TIMEOUT_SECONDS` have passed since the
first attempt; only then does the error reach the job. Reads (listings, inspects,
log tails) use docker-py's default timeout: the monitor simply polls again.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import docker
import docker.errors
import requests.exceptions

from pulumi_vertex_training.emulator.execution.names import (
    LABEL_INSTANCE_ID,
    LABEL_JOB_NAME,
    label_filters,
)
from pulumi_vertex_training.emulator.execution.types import NoNetworkRoom

if TYPE_CHECKING:
    from docker import APIClient

    from pulumi_vertex_training.emulator.crash import CrashHook

log = logging.getLogger(__name__)

ENGINE_TIMEOUT_SECONDS = 300.0
"""HTTP timeout of the calls that change something, and how long a timed-out one is retried."""

TRANSIENT: tuple[type[BaseException], ...] = (
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
)
"""What a stalled or restarting engine raises (docker-py lets requests' errors through)."""

T = TypeVar("T")


class EngineStalled(RuntimeError):
    """The engine did not complete a call within :data:`ENGINE_TIMEOUT_SECONDS` of retries."""


def reason(exc: BaseException) -> str:
    """The engine's words for an error (docker-py's str() adds the HTTP method and URL)."""
    explanation = getattr(exc, "explanation", None)
    return explanation if isinstance(explanation, str) and explanation else str(exc)


def _status(err: docker.errors.APIError) -> int:
    return int(err.status_code or 0)


class Engine:
    """docker-py's low-level API for one emulator instance, with stalls handled (module doc).

    Args:
        reads: the client for listings, inspects and logs (docker-py's default timeout).
        writes: the client for calls that change something (a long timeout).
        patience: seconds a timed-out call is retried before :class:`EngineStalled`.
        crash: kills the process at a chosen call (tests only, ``emulator/crash.py``).
    """

    def __init__(
        self,
        reads: APIClient,
        writes: APIClient,
        patience: float = ENGINE_TIMEOUT_SECONDS,
        crash: CrashHook | None = None,
    ) -> None:
        self.api = reads
        self.writes = writes
        self.patience = patience
        self.crash = crash

    def _call(self, kind: str, call: Callable[[], T]) -> T:
        """One call that starts a job's resources, with the crash point around it."""
        if self.crash is None:
            return call()
        self.crash.before(kind)
        result = call()
        self.crash.after(kind)
        return result

    def _settle(self, what: str, attempt: Callable[[], T | None]) -> T:
        """Run ``attempt`` until it returns a value (None: not yet), retrying stalls."""
        deadline = time.monotonic() + self.patience
        pause = 0.05
        while True:
            try:
                result = attempt()
            except TRANSIENT as err:
                log.warning("%s: the Docker engine did not answer (%s); retrying", what, err)
                result = None
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise EngineStalled(
                    f"{what}: the Docker engine did not complete it in {self.patience:g}s"
                )
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    # ---- reads ----------------------------------------------------------------------

    def containers(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """Every container matching ``filters`` (all states), as the listing describes them."""
        return list(self.api.containers(all=True, filters=filters))

    def exit_details(self, container_id: str) -> tuple[int, str, bool] | None:
        """(exit code, FinishedAt, OOMKilled) of an exited container; None when it is gone."""
        try:
            state = self.api.inspect_container(container_id).get("State", {})
        except docker.errors.NotFound:
            return None
        return (
            int(state.get("ExitCode", -1)),
            state.get("FinishedAt", ""),
            bool(state.get("OOMKilled")),
        )

    def follow(self, filters: dict[str, Any], changed: Callable[[], None]) -> Callable[[], None]:
        """Call ``changed()`` for each engine event matching ``filters``, until stopped.

        On a thread of its own, reconnecting a second after the stream breaks;
        returns the function that stops it.
        """
        stopping = threading.Event()
        current: list[Any] = []

        def run() -> None:
            while not stopping.is_set():
                try:
                    stream = self.api.events(decode=True, filters=filters)  # no read timeout
                    current[:] = [stream]
                    if stopping.is_set():
                        stream.close()
                    for _ in stream:
                        changed()
                except Exception as err:  # whoever listens polls anyway
                    log.debug("docker events stream broke: %s", err)
                stopping.wait(1.0)

        def stop() -> None:
            stopping.set()
            for stream in current:
                stream.close()

        threading.Thread(target=run, name="vertex-local-events", daemon=True).start()
        return stop

    # ---- images -----------------------------------------------------------------------

    def ensure_image(self, image: str) -> None:
        """Pull ``image`` unless the engine has it. Raises DockerException when it cannot."""
        try:
            self.api.inspect_image(image)
            return
        except docker.errors.DockerException:
            pass  # not here (or a reference the engine rejects): the pull says why
        output = self._settle(f"pulling {image}", lambda: str(self.writes.pull(image)) or "-")
        try:
            self.api.inspect_image(image)
        except docker.errors.DockerException as err:
            lines = output.splitlines()
            errors = [json.loads(line).get("error") for line in lines if '"error"' in line]
            raise docker.errors.ImageNotFound(errors[-1] if errors else reason(err)) from err

    # ---- networks ---------------------------------------------------------------------

    def networks(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """Every network matching ``filters``, as the listing describes them."""
        return list(self.api.networks(filters=filters))

    def job_networks(self, instance_id: str, job_name: str) -> list[dict[str, Any]]:
        """The networks (normally one) of one emulator instance's job, oldest first.

        By the instance too: two emulators on one engine may each have a job of the
        same name (their job ids count from 1), and one must not take the other's.
        """
        found = self.api.networks(filters=label_filters(instance_id, job_name))
        return sorted(found, key=lambda n: str(n.get("Created", "")))

    def ensure_network(self, name: str, labels: dict[str, str]) -> dict[str, Any]:
        """The network ``name`` (created with ``labels`` when missing); its inspect data."""

        def attempt() -> dict[str, Any] | None:
            # By name (the filter matches substrings: job 12 would find job 123's).
            found = [n for n in self.api.networks(names=[name]) if n.get("Name") == name]
            if found:
                return found[0]
            try:
                created = self._call(
                    "create_network",
                    lambda: self.writes.create_network(
                        name, driver="bridge", labels=labels, check_duplicate=True
                    ),
                )
            except docker.errors.APIError as err:
                if "address pool" in str(err):
                    raise NoNetworkRoom(
                        f"{reason(err)}: the Docker engine has no free address pool for "
                        "another job network"
                    ) from err
                if _status(err) != 409:
                    raise
                return None  # created meanwhile (by our timed-out call): look again
            network: dict[str, Any] = self.api.inspect_network(created["Id"])
            return network

        return self._settle(f"creating network {name}", attempt)

    def remove_networks(self, instance_id: str, job_name: str) -> None:
        """Remove every network of one emulator instance's job."""
        for network in self.job_networks(instance_id, job_name):
            remove = functools.partial(self._rm_net, network["Id"])
            self._settle(f"removing network {network['Name']}", remove)

    def _rm_net(self, network_id: str) -> bool:
        try:
            self.writes.remove_network(network_id)
        except docker.errors.NotFound:
            pass
        return True

    # ---- containers -------------------------------------------------------------------

    def create_container(self, name: str, job_name: str, image: str, **config: Any) -> str:
        """Create container ``name`` of job ``job_name``, or adopt it; returns its id.

        A container of that name already there is adopted when it carries this job's
        and this instance's labels (those in ``config["labels"]``): it is the one a
        timed-out call, or a process killed since, asked for. It is returned as it
        is (created, or started by that process); the caller starts what is not.

        Raises APIError when the engine refuses it, or the name belongs to another job.
        """
        ours = {
            LABEL_JOB_NAME: job_name,
            LABEL_INSTANCE_ID: (config.get("labels") or {}).get(LABEL_INSTANCE_ID),
        }

        def attempt() -> str | None:
            try:
                created = self._call(
                    "create_container",
                    lambda: self.writes.create_container(image, name=name, **config),
                )
                return str(created["Id"])
            except docker.errors.APIError as err:
                if _status(err) != 409:
                    raise
                conflict = err
            try:  # the name is taken: by our own timed-out create, if the labels say so
                found = self.api.inspect_container(name)
            except docker.errors.NotFound:
                return None  # still being created, or given up by the engine: try again
            labels = found.get("Config", {}).get("Labels") or {}
            if any(labels.get(key) != value for key, value in ours.items()):
                raise conflict
            log.info("adopted container %s (created by an earlier or timed-out call)", name)
            return str(found["Id"])

        return self._settle(f"creating container {name}", attempt)

    def start(self, container_id: str) -> None:
        """Start a container; starting a started one is a no-op for the engine."""
        self._settle(
            f"starting container {container_id[:12]}",
            lambda: self._call("start", lambda: self.writes.start(container_id)) or True,
        )

    def stop(self, container_id: str, grace: float) -> None:
        """Stop a container (SIGTERM, SIGKILL after ``grace`` seconds); gone is stopped."""

        def attempt() -> bool:
            try:
                self.writes.stop(container_id, timeout=grace)
            except docker.errors.NotFound:
                pass
            return True

        self._settle(f"stopping container {container_id[:12]}", attempt)

    def remove(self, container_id: str) -> None:
        """Remove a container (forced); returns once the engine says it is gone."""

        def attempt() -> bool | None:
            try:
                self.writes.remove_container(container_id, force=True)
            except docker.errors.NotFound:
                return True
            except docker.errors.APIError as err:
                if _status(err) != 409:  # 409: a removal is in progress (our timed-out one)
                    raise
                return None
            return True

        self._settle(f"removing container {container_id[:12]}", attempt)


def from_environment(timeout: float = ENGINE_TIMEOUT_SECONDS) -> tuple[Any, Any]:
    """(reads, writes) docker-py low-level clients from the environment (``DOCKER_HOST``, ...)."""
    return docker.from_env().api, docker.from_env(timeout=int(timeout)).api
