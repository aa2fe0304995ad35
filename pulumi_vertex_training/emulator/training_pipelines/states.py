"""TrainingPipeline state transitions, as data (see ``custom_jobs/states.py``).

A pipeline follows its backing CustomJob; the monitor samples the job, so a pipeline
may have several steps to take at once (a fast job is SUCCEEDED before the pipeline saw
it run): :func:`steps` lists them, each a legal transition, so ``start_time`` is set by
passing RUNNING and CANCELLED is reached through CANCELLING.

::

    QUEUED -> PENDING -> RUNNING -> SUCCEEDED | FAILED
    QUEUED | PENDING -> FAILED                 the job failed before it ran
    QUEUED | PENDING | RUNNING -> CANCELLING -> CANCELLED | SUCCEEDED | FAILED
"""

from __future__ import annotations

from google.cloud.aiplatform_v1 import PipelineState

QUEUED = PipelineState.PIPELINE_STATE_QUEUED
PENDING = PipelineState.PIPELINE_STATE_PENDING
RUNNING = PipelineState.PIPELINE_STATE_RUNNING
SUCCEEDED = PipelineState.PIPELINE_STATE_SUCCEEDED
FAILED = PipelineState.PIPELINE_STATE_FAILED
CANCELLING = PipelineState.PIPELINE_STATE_CANCELLING
CANCELLED = PipelineState.PIPELINE_STATE_CANCELLED

TRANSITIONS: dict[int, frozenset[int]] = {
    QUEUED: frozenset({PENDING, CANCELLING, FAILED}),
    PENDING: frozenset({RUNNING, CANCELLING, FAILED}),
    RUNNING: frozenset({SUCCEEDED, FAILED, CANCELLING}),
    # PipelineState's doc: "From this state, the pipeline may only go to either
    # PIPELINE_STATE_SUCCEEDED, PIPELINE_STATE_FAILED or PIPELINE_STATE_CANCELLED."
    CANCELLING: frozenset({CANCELLED, SUCCEEDED, FAILED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
}

INITIAL = QUEUED
"""The state CreateTrainingPipeline returns."""

TERMINAL: frozenset[int] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
ACTIVE: frozenset[int] = frozenset(TRANSITIONS) - TERMINAL
_PROGRESS = (QUEUED, PENDING, RUNNING)


class IllegalTransition(RuntimeError):
    """The emulator tried a transition the table does not allow (a bug in the emulator)."""


def check_transition(current: int, new: int) -> None:
    """Raise :class:`IllegalTransition` unless ``current -> new`` is in :data:`TRANSITIONS`."""
    if new not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(
            f"{PipelineState(current).name} -> {PipelineState(new).name} is not a legal transition"
        )


def steps(current: int, target: int) -> list[int]:
    """The transitions from ``current`` that reach ``target`` (none to go back or stay).

    >>> [PipelineState(s).name for s in steps(QUEUED, SUCCEEDED)]
    ['PIPELINE_STATE_PENDING', 'PIPELINE_STATE_RUNNING', 'PIPELINE_STATE_SUCCEEDED']
    >>> steps(CANCELLING, RUNNING)
    []
    """
    if current == target or current in TERMINAL:
        return []
    if current in _PROGRESS:
        here = _PROGRESS.index(current)
        if target in _PROGRESS:
            return list(_PROGRESS[here + 1 : _PROGRESS.index(target) + 1])
        if target == SUCCEEDED:
            return [*_PROGRESS[here + 1 :], SUCCEEDED]
        if target == CANCELLED:
            return [CANCELLING, CANCELLED]
        return [target]
    # CANCELLING: only an end moves it.
    return [target] if target in TERMINAL else []
