"""CustomJob state transitions, as data.

The table is the whole state machine: the backend asks :func:`check_transition`
before every change, and an illegal step raises :class:`IllegalTransition`,
which is a bug in the emulator, never a user error.

::

    QUEUED -> PENDING -> RUNNING -> SUCCEEDED | FAILED
      ^          |
      +----------+   restarted while starting (the start resumes), or no network to be had
    QUEUED | PENDING | RUNNING -> CANCELLING -> CANCELLED | SUCCEEDED | FAILED
"""

from __future__ import annotations

from google.cloud.aiplatform_v1 import JobState

TRANSITIONS: dict[int, frozenset[int]] = {
    # FAILED from QUEUED/PENDING: the containers could not be started, or vanished
    # while the emulator was down.
    JobState.JOB_STATE_QUEUED: frozenset(
        {JobState.JOB_STATE_PENDING, JobState.JOB_STATE_CANCELLING, JobState.JOB_STATE_FAILED}
    ),
    # PENDING -> QUEUED: the emulator stopped while starting the job (its start runs
    # again and adopts what the killed one made), or the engine had no address pool
    # for its network; it is started again rather than failed.
    JobState.JOB_STATE_PENDING: frozenset(
        {
            JobState.JOB_STATE_RUNNING,
            JobState.JOB_STATE_CANCELLING,
            JobState.JOB_STATE_FAILED,
            JobState.JOB_STATE_QUEUED,
        }
    ),
    JobState.JOB_STATE_RUNNING: frozenset(
        {JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLING}
    ),
    # The API allows CANCELLING to end in SUCCEEDED or FAILED too: the job may finish
    # on its own before the cancel reaches it.
    JobState.JOB_STATE_CANCELLING: frozenset(
        {JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED}
    ),
    JobState.JOB_STATE_SUCCEEDED: frozenset(),
    JobState.JOB_STATE_FAILED: frozenset(),
    JobState.JOB_STATE_CANCELLED: frozenset(),
}

INITIAL = JobState.JOB_STATE_QUEUED
"""The state of a job CreateCustomJob returns."""

TERMINAL: frozenset[int] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
"""States a job never leaves: SUCCEEDED, FAILED, CANCELLED."""

ACTIVE: frozenset[int] = frozenset(TRANSITIONS) - TERMINAL
"""States the monitor watches."""

CANCELLABLE: frozenset[int] = frozenset(
    s for s, nxt in TRANSITIONS.items() if JobState.JOB_STATE_CANCELLING in nxt
)
"""States CancelCustomJob moves to CANCELLING."""


class IllegalTransition(RuntimeError):
    """The emulator tried a transition the table does not allow (a bug in the emulator)."""


def check_transition(current: int, new: int) -> None:
    """Raise :class:`IllegalTransition` unless ``current -> new`` is in :data:`TRANSITIONS`.

    >>> check_transition(JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED)
    >>> check_transition(  # doctest: +IGNORE_EXCEPTION_DETAIL
    ...     JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_RUNNING
    ... )
    Traceback (most recent call last):
    ...
    IllegalTransition: JOB_STATE_SUCCEEDED -> JOB_STATE_RUNNING is not a legal transition
    """
    if new not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(
            f"{JobState(current).name} -> {JobState(new).name} is not a legal transition"
        )
