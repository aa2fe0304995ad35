"""Fixtures shared by every test package: real Docker, one real emulator per session.

- ``docker_client``: ``docker.from_env()``; tests that need it skip when no engine answers,
  and are marked ``docker`` (see :data:`DOCKER_FIXTURES`).
- ``emulator``: an :class:`EmulatorServer` (real DockerRunner, gRPC + REST on free ports,
  data dir under the session's tmp dir). While it runs, ``VERTEX_AI_EMULATOR_HOST`` points
  at it, so every client built by ``pulumi_vertex_training.client`` talks to it, and
  ``VERTEX_AI_EMULATOR_CONSOLE`` at its REST port (free ports: not the gRPC port + 1), so
  ``console_url`` outputs are its console's pages.
- ``job_client``: ``aiplatform_v1.JobServiceClient`` over the emulator's insecure channel.
- ``make_custom_job`` / ``wait_for_job``: a minimal valid CustomJob dict, and a poller.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.fixtures.images"]

PARENT = "projects/test-project/locations/us-central1"
"""The parent tests create jobs under."""

IMAGE = "local/python:3.11"
"""The one image tests may run (no Docker Hub here); built by scripts/services.sh."""

_job_counter = itertools.count()


def custom_job(
    code: str = "print('hello from vertex-local')",
    display_name: str | None = None,
    labels: dict[str, str] | None = None,
    **job_spec: Any,
) -> dict[str, Any]:
    """A minimal valid CustomJob dict: one replica runs ``python -c code`` in ``local/python:3.11``.

    Extra keyword arguments are merged into ``job_spec`` (e.g. ``scheduling={"timeout": "5s"}``).
    """
    return {
        "display_name": display_name or f"test-job-{next(_job_counter)}",
        "labels": labels or {},
        "job_spec": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": IMAGE, "command": ["python", "-c", code]},
                }
            ],
            **job_spec,
        },
    }


DOCKER_FIXTURES = frozenset({"docker_client"})
"""Fixtures that need a Docker engine. A test using one (even through another fixture,
such as ``emulator``) is marked ``docker`` at collection, so the marker cannot drift
from what a test really needs: ``scripts/test.sh -m "not docker"`` is the quick loop."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs Docker (by its fixtures) ``docker``, and run the modules
    with a ``slow`` test first: with several workers (scripts/test.sh), a three-minute
    test that starts last is the run's tail; started first, it runs beside everything
    else. Whole modules move, in their order, so module-scoped fixtures stay one."""
    for item in items:
        if DOCKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.docker)
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)  # stable


def _instances_under(root: Path) -> set[str]:
    """Instance ids of the emulators whose data dirs are under ``root``."""
    from pulumi_vertex_training.emulator.server import STATE_FILE, instance_id
    from pulumi_vertex_training.emulator.store import Store

    found = set()
    for state in root.rglob(STATE_FILE):
        try:
            store = Store(state)
            try:
                found.add(instance_id(store))
            finally:
                store.close()
        except Exception:  # a state file being written or torn by a killed emulator
            continue
    return found


def _remove_leftovers_of(instances: set[str]) -> None:
    # Jobs of emulators that tests kill (SIGKILL, restarts) keep their containers and
    # networks, and every job network holds one of the engine's few address pools.
    # Only this session's emulators are touched: another session (or a developer's
    # vertex-local) on the same engine keeps its jobs.
    if not instances:
        return
    try:
        import docker

        from pulumi_vertex_training.emulator.execution.names import LABEL_INSTANCE_ID

        engine = docker.from_env()
    except Exception:  # no engine: nothing can be left on it
        return
    try:
        for ident in sorted(instances):
            label = {"label": f"{LABEL_INSTANCE_ID}={ident}"}
            for container in engine.containers.list(all=True, filters=label):
                try:
                    container.remove(force=True)
                except Exception:
                    pass
            for network in engine.networks.list(filters=label):
                try:
                    network.remove()
                except Exception:
                    pass
    finally:
        engine.close()


@pytest.fixture(scope="session", autouse=True)
def _own_hash_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Build-context hashes are cached in the session's tmp dir, not the user's cache."""
    from pulumi_vertex_training.packaging.hash_cache import CACHE_DIR_ENV

    previous = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(tmp_path_factory.mktemp("hash-cache"))
    yield
    if previous is None:
        os.environ.pop(CACHE_DIR_ENV, None)
    else:
        os.environ[CACHE_DIR_ENV] = previous


@pytest.fixture(scope="session", autouse=True)
def _no_emulator_leftovers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Remove the containers and networks this session's emulators left behind."""
    yield
    _remove_leftovers_of(_instances_under(tmp_path_factory.getbasetemp()))


@pytest.fixture(scope="session")
def parent() -> str:
    """The parent (``projects/test-project/locations/us-central1``) tests create jobs under."""
    return PARENT


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A docker-py client for the local engine; skips the test when none answers."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as err:  # DockerException, connection refused, no socket, ...
        pytest.skip(f"no Docker engine answers ({err}); start one with scripts/services.sh")
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"image {IMAGE} is missing; build it with scripts/services.sh")
    yield client
    client.close()


@pytest.fixture(scope="session")
def emulator(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The session's emulator; ``VERTEX_AI_EMULATOR_HOST`` points at it while it runs."""
    from pulumi_vertex_training.client import EMULATOR_CONSOLE_ENV, EMULATOR_HOST_ENV
    from pulumi_vertex_training.emulator.server import EmulatorServer

    server = EmulatorServer(tmp_path_factory.mktemp("vertex-local"), port=0, rest_port=0)
    server.start()
    settings = {
        EMULATOR_HOST_ENV: server.grpc_address,
        EMULATOR_CONSOLE_ENV: f"http://{server.rest_address}",
    }
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    runner = server.backend.runner if server.backend is not None else None
    try:
        yield server
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()
        # A stopped emulator leaves containers running (a restart would reattach them);
        # the session's data dir is thrown away, so remove whatever a test left behind.
        if runner is not None:
            for name in runner.known_jobs():
                runner.stop(name)
                runner.cleanup(name)


@pytest.fixture(scope="session")
def job_client(emulator: Any) -> Any:
    """The official ``aiplatform_v1.JobServiceClient``, talking gRPC to the emulator."""
    from pulumi_vertex_training import client

    return client.job_service_client("us-central1")


@pytest.fixture(scope="session")
def make_custom_job() -> Callable[..., dict[str, Any]]:
    """:func:`custom_job`: ``make_custom_job(code, display_name, labels, **job_spec)``."""
    return custom_job


@pytest.fixture(scope="session")
def wait_for_job(job_client: Any) -> Callable[..., Any]:
    """``wait_for_job(name, *states, timeout=60)``: poll GetCustomJob until the job is in a state.

    ``states`` are ``aiplatform_v1.JobState`` values; default: any terminal state.
    Fails the test with the job's last state when the timeout passes.
    """
    from google.cloud.aiplatform_v1 import JobState

    terminal = (
        JobState.JOB_STATE_SUCCEEDED,
        JobState.JOB_STATE_FAILED,
        JobState.JOB_STATE_CANCELLED,
    )

    def wait(name: str, *states: Any, timeout: float = 60.0) -> Any:
        wanted = states or terminal
        deadline = time.monotonic() + timeout
        while True:
            job = job_client.get_custom_job(name=name)
            if job.state in wanted:
                return job
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{name} still {job.state.name} after {timeout}s "
                    f"(waited for {[JobState(s).name for s in wanted]}); error: {job.error}"
                )
            time.sleep(0.1)

    return wait


@pytest.fixture(scope="session")
def local_gcs(emulator: Any) -> Iterator[Any]:
    """The local Cloud Storage (``emulator.storage.gcs.LocalGcs``) over the emulator's ``/gcs``.

    While it runs, ``STORAGE_EMULATOR_HOST`` points at it, so ``client.storage_client()``
    and the emulator's replicas (through the job network's gateway) use it.
    """
    from pulumi_vertex_training.client import STORAGE_EMULATOR_HOST_ENV
    from pulumi_vertex_training.emulator.execution.cluster import gcs_root
    from pulumi_vertex_training.emulator.storage.gcs import LocalGcs

    server = LocalGcs(gcs_root(emulator.data_dir)).start()
    previous = os.environ.get(STORAGE_EMULATOR_HOST_ENV)
    os.environ[STORAGE_EMULATOR_HOST_ENV] = server.url
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop(STORAGE_EMULATOR_HOST_ENV, None)
        else:
            os.environ[STORAGE_EMULATOR_HOST_ENV] = previous
        server.stop()
