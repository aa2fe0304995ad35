"""HyperparameterTuningJob state transitions, as data (the CustomJob table's shape).

::

    QUEUED -> PENDING -> RUNNING -> SUCCEEDED | FAILED
    QUEUED | PENDING -> FAILED          (no trial could start)
    QUEUED | PENDING | RUNNING -> CANCELLING -> CANCELLED

PENDING: the study started its first trials; RUNNING: a trial's CustomJob runs (or
ended). CANCELLING lasts until every running trial's CustomJob is stopped.
"""

from __future__ import annotations

from google.cloud.aiplatform_v1 import JobState

from pulumi_vertex_training.emulator.custom_jobs.states import IllegalTransition

_S = JobState

TRANSITIONS: dict[int, frozenset[int]] = {
    _S.JOB_STATE_QUEUED: frozenset(
        {_S.JOB_STATE_PENDING, _S.JOB_STATE_CANCELLING, _S.JOB_STATE_FAILED}
    ),
    _S.JOB_STATE_PENDING: frozenset(
        {_S.JOB_STATE_RUNNING, _S.JOB_STATE_CANCELLING, _S.JOB_STATE_FAILED}
    ),
    _S.JOB_STATE_RUNNING: frozenset(
        {_S.JOB_STATE_SUCCEEDED, _S.JOB_STATE_FAILED, _S.JOB_STATE_CANCELLING}
    ),
    _S.JOB_STATE_CANCELLING: frozenset({_S.JOB_STATE_CANCELLED}),
    _S.JOB_STATE_SUCCEEDED: frozenset(),
    _S.JOB_STATE_FAILED: frozenset(),
    _S.JOB_STATE_CANCELLED: frozenset(),
}

INITIAL = _S.JOB_STATE_QUEUED
"""The state CreateHyperparameterTuningJob returns."""

TERMINAL: frozenset[int] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
"""SUCCEEDED, FAILED, CANCELLED."""

CANCELLABLE: frozenset[int] = frozenset(
    s for s, nxt in TRANSITIONS.items() if _S.JOB_STATE_CANCELLING in nxt
)
"""States CancelHyperparameterTuningJob moves to CANCELLING."""


def check_transition(current: int, new: int) -> None:
    """Raise ``IllegalTransition`` (an emulator bug) unless ``current -> new`` is allowed."""
    if new not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(
            f"{JobState(current).name} -> {JobState(new).name} is not a legal transition"
        )
