"""PersistentResource API calls: plain functions over the Vertex AI
PersistentResourceService (get, create or adopt, wait, outputs).

The provider (``persistent_resource.py``) decides; these do, each through a client
built per call by ``client.py``, retrying what is transient.
"""

from __future__ import annotations

import time
from typing import Any

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import progress, retries
from pulumi_vertex_training.provider.values import same_value, time_string
from pulumi_vertex_training.spec import persistent_resource_to_proto
from pulumi_vertex_training.spec.resource_names import location_of

OPERATION_TIMEOUT = 3600.0


class PersistentResourceError(Exception):
    """The persistent resource ended in ERROR (or could not be created)."""


def get_resource(name: str) -> Any:
    """The live PersistentResource, or None when it does not exist."""
    from google.api_core import exceptions

    prs = client.persistent_resource_client(location_of(name))
    try:
        with retries.explained(name):
            return prs.get_persistent_resource(name=name, retry=retries.transient_retry())
    except exceptions.NotFound:
        return None


def create_or_adopt(parent: str, rid: str, canonical: dict[str, Any]) -> Any:
    """Create the resource and wait until RUNNING.

    When the id is taken (a crashed ``up`` made it, or it was made by hand): a
    resource in ERROR is deleted and made again; one with the same pools, network
    and CMEK is adopted; any other is an error naming the clash.
    """
    from google.api_core import exceptions

    from pulumi_vertex_training.spec import persistent_resource_from_proto

    name = f"{parent}/persistentResources/{rid}"
    prs = client.persistent_resource_client(location_of(name))
    request = persistent_resource_to_proto(canonical)
    attempts = 6
    for attempt in range(attempts):
        try:
            operation = prs.create_persistent_resource(
                parent=parent, persistent_resource=request, persistent_resource_id=rid
            )
        except exceptions.AlreadyExists:
            live = get_resource(name)
            if live is None:
                continue  # deleted meanwhile: try again
            if live.state.name == "ERROR":
                progress.info(f"{name} exists in ERROR ({live.error.message}); recreating it")
                client.wait_for_operation(
                    prs.delete_persistent_resource(name=name), OPERATION_TIMEOUT
                )
                continue
            if not same_value(persistent_resource_from_proto(live), canonical):
                raise PersistentResourceError(
                    f"{name} already exists with another spec; delete it, or give this "
                    "resource another resource_id"
                ) from None
            progress.info(f"adopting {name} ({live.state.name})")
            return wait_until_running(name)
        except Exception as exc:
            if retries.is_transient(exc) and attempt < attempts - 1:
                # The answer may be lost after the server created it: the next try
                # meets ALREADY_EXISTS and adopts it (same spec), never a second one.
                time.sleep(retries.backoff(attempt))
                continue
            raise retries.explain(exc, parent) from exc
        metadata = operation.metadata
        if metadata is not None and str(getattr(metadata, "progress_message", "")):
            progress.info(f"{name}: {metadata.progress_message}")
        return wait_for_change(operation, name)
    raise PersistentResourceError(f"could not create {name}: its id stayed taken")


def wait_until_running(name: str, timeout: float = OPERATION_TIMEOUT) -> Any:
    """Poll until RUNNING; ERROR (or the resource vanishing) raises PersistentResourceError."""
    deadline = time.monotonic() + timeout
    interval = 0.05 if client.emulator_host() else 10.0
    seen = ""
    while True:
        live = get_resource(name)
        if live is None:
            raise PersistentResourceError(f"{name} was deleted while waiting for it")
        if live.state.name != seen:
            seen = live.state.name
            progress.info(f"{name}: {seen}")
        if seen == "RUNNING":
            return live
        if seen in ("ERROR", "STOPPING"):
            raise _error(live)
        if time.monotonic() >= deadline:
            raise PersistentResourceError(f"{name} is still {seen} after {timeout:.0f}s")
        time.sleep(interval)


def wait_for_change(operation: Any, name: str) -> Any:
    """Wait for a create, update or reboot of ``name`` to finish, then for the resource to
    be RUNNING again; a failed operation raises with the resource's error.

    (``client.wait_for_operation`` waits for any operation, and only for it.)"""
    from google.api_core import exceptions

    try:
        client.wait_for_operation(operation, OPERATION_TIMEOUT)
    except exceptions.GoogleAPICallError as exc:
        live = get_resource(name)
        if live is not None and live.state.name == "ERROR":
            raise _error(live) from exc
        raise PersistentResourceError(f"{name}: the operation failed: {exc.message}") from exc
    return wait_until_running(name)


def _error(live: Any) -> PersistentResourceError:
    message = live.error.message or "(no error message)"
    return PersistentResourceError(
        f"{live.name} is {live.state.name}: {message}\nconsole: {client.console_url(live.name)}"
    )


def resource_outputs(live: Any) -> dict[str, Any]:
    """The computed outputs of a PersistentResource resource, from the live one."""
    error = None
    if live.error and (live.error.code or live.error.message):
        error = {"code": live.error.code, "message": live.error.message}
    return {
        "name": live.name,
        "state": live.state.name,
        "error": error,
        "create_time": time_string(live.create_time),
        "start_time": time_string(live.start_time),
        "update_time": time_string(live.update_time),
        "used_replica_counts": {p.id: int(p.used_replica_count) for p in live.resource_pools},
        "access_uris": dict(live.resource_runtime.access_uris),
        "console_url": client.console_url(live.name),
    }
