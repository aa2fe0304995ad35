"""What a restarted emulator does with each stored job, given what the engine still has.

The emulator may have been killed (``kill -9``) at any point; the stored state may
also lag a step behind the containers (writes go out after the change). Labels on
the containers and networks (``execution/names.py``) say what is left:

================================  ==========================================================
stored state                      after the restart
================================  ==========================================================
QUEUED, PENDING                   QUEUED again: its start runs anew and resumes where the
                                  killed one stopped (``Runner.start``): the network and
                                  the containers that exist, also one whose create lands
                                  only now, are adopted, the missing ones created, the
                                  ones never started started. Never FAILED for the restart.
RUNNING, CANCELLING + containers  reattached: the monitor watches (or stops) them
CANCELLING, no containers         CANCELLED
RUNNING, no containers            FAILED, saying the containers were gone
SUCCEEDED, FAILED, CANCELLED      containers and network left behind are removed
unknown job                       containers and network left behind are removed
================================  ==========================================================

The networks found are counted against the cap on job networks (``network_cap.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from google.cloud.aiplatform_v1 import JobState
from google.rpc import code_pb2, status_pb2

from pulumi_vertex_training.emulator import records
from pulumi_vertex_training.emulator.custom_jobs import states
from pulumi_vertex_training.emulator.custom_jobs.network_cap import NetworkCap
from pulumi_vertex_training.emulator.execution.types import Runner

if TYPE_CHECKING:
    from pulumi_vertex_training.emulator.custom_jobs.monitor import JobStates

log = logging.getLogger(__name__)

STARTING = (JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_PENDING)


def network_jobs(runner: Runner) -> set[str]:
    """The jobs whose network the runner still has (none when it cannot say)."""
    listing = getattr(runner, "network_jobs", None)
    return set(listing()) if listing is not None else set()


def cancelled() -> status_pb2.Status:
    """The error a CANCELLED job carries, in Vertex's words."""
    return records.status(code_pb2.CANCELLED, "CANCELED")


def reconcile(
    jobs: JobStates, runner: Runner, cap: NetworkCap, clean_up: Callable[[str], None]
) -> None:
    """Match stored jobs with the runner's containers and networks (module doc).

    Args:
        jobs: the job records, changed only through ``transition``.
        runner: what is left on the engine (``known_jobs``, ``network_jobs``).
        cap: the job networks held; the ones found are counted in it.
        clean_up: schedules the removal of a job's containers and network.
    """
    with_containers = runner.known_jobs()
    with_networks = network_jobs(runner)
    cap.adopt(with_networks)
    stored = {name: JobState(state) for name, state in jobs.job_states().items()}
    for name, state in stored.items():
        left = name in with_containers or name in with_networks
        if state in states.TERMINAL:
            if left:
                clean_up(name)
        elif state in STARTING:
            if state == JobState.JOB_STATE_PENDING:
                log.info("%s was being started when the emulator stopped: queued again", name)
                jobs.transition(name, JobState.JOB_STATE_QUEUED, only_from=(state,))
        elif name in with_containers:
            log.info("reattached %s (%s)", name, state.name)
            reattach = getattr(runner, "reattach", None)  # the fake runners have none
            if reattach is not None:
                reattach(name)
        else:
            if state == JobState.JOB_STATE_CANCELLING:
                jobs.transition(name, JobState.JOB_STATE_CANCELLED, cancelled())
            else:
                jobs.transition(
                    name,
                    JobState.JOB_STATE_FAILED,
                    records.status(
                        code_pb2.INTERNAL,
                        "The emulator restarted and the job's containers were gone "
                        f"(the job was {state.name}); it cannot be resumed.",
                    ),
                )
            if left:
                clean_up(name)
    for orphan in (with_containers | with_networks) - set(stored):
        clean_up(orphan)
