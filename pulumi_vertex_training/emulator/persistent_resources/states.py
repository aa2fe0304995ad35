"""PersistentResource state transitions, as data.

The table is the whole state machine: the backend asks :func:`check_transition`
before every change, and an illegal step raises, which is a bug in the emulator,
never a user error. Each long-running operation holds the resource in its busy
state (:data:`BUSY_STATE`) until the operation ends::

    PROVISIONING -> RUNNING -> UPDATING | REBOOTING -> RUNNING
    any state    -> STOPPING -> (gone)          PROVISIONING -> ERROR (injected)
"""

from __future__ import annotations

from google.cloud.aiplatform_v1 import PersistentResource

State = PersistentResource.State

TRANSITIONS: dict[int, frozenset[int]] = {
    State.STATE_UNSPECIFIED: frozenset({State.PROVISIONING}),  # CreatePersistentResource
    State.PROVISIONING: frozenset({State.RUNNING, State.ERROR, State.STOPPING}),
    State.RUNNING: frozenset({State.UPDATING, State.REBOOTING, State.STOPPING}),
    State.UPDATING: frozenset({State.RUNNING, State.STOPPING}),
    State.REBOOTING: frozenset({State.RUNNING, State.STOPPING}),
    State.ERROR: frozenset({State.STOPPING}),
    State.STOPPING: frozenset(),  # then the resource is gone
}
"""PersistentResource state transitions, as data (an illegal one is an emulator bug)."""

BUSY_STATE: dict[str, int] = {
    "create": State.PROVISIONING,
    "update": State.UPDATING,
    "reboot": State.REBOOTING,
    "delete": State.STOPPING,
}
"""Operation kind -> the state the resource is in while that operation runs."""


def check_transition(current: int, new: int) -> None:
    """Raise RuntimeError unless ``current -> new`` is in :data:`TRANSITIONS`."""
    if new not in TRANSITIONS.get(current, frozenset()):
        raise RuntimeError(f"{State(current).name} -> {State(new).name} is not legal")
