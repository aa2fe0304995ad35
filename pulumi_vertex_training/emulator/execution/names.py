"""Names and labels of a job's Docker networks and containers (pure: no docker).

Containers and networks carry labels under ``dev.pulumi-vertex-training.``
(job name, job id, replica, instance id = the data dir's id), which is all the
state the runner needs: a restarted emulator finds its jobs by label, and two
emulators on one engine never touch each other's jobs.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_vertex_training.emulator.execution.types import JobRun

LABEL_PREFIX = "dev.pulumi-vertex-training"
LABEL_JOB_NAME = f"{LABEL_PREFIX}.job-name"
LABEL_JOB_ID = f"{LABEL_PREFIX}.job-id"
LABEL_REPLICA = f"{LABEL_PREFIX}.replica"
LABEL_REPLICA_COUNT = f"{LABEL_PREFIX}.replica-count"
LABEL_INSTANCE_ID = f"{LABEL_PREFIX}.instance-id"

_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]")


def _safe(part: str, limit: int) -> str:
    return _NAME_UNSAFE.sub("-", part)[:limit] or "x"


def base_name(instance_id: str, job_id: str) -> str:
    """The job's network name, and the prefix of its containers' names."""
    return f"vertex-{_safe(instance_id, 16)}-{_safe(job_id, 40)}"


def container_name(instance_id: str, job_id: str, replica_name: str) -> str:
    """The name of one replica's container, e.g. ``vertex-<instance>-<job id>-workerpool0-0``."""
    return f"{base_name(instance_id, job_id)}-{replica_name}"


def label_filters(instance_id: str, job_name: str | None = None) -> dict[str, Any]:
    """Docker list filters for this instance's containers/networks (of one job, if named)."""
    labels = [f"{LABEL_INSTANCE_ID}={instance_id}"]
    if job_name is not None:
        labels.append(f"{LABEL_JOB_NAME}={job_name}")
    return {"label": labels}


def job_labels(run: JobRun, instance_id: str) -> dict[str, str]:
    """The labels of the job's network and of each of its containers (plus ``LABEL_REPLICA``)."""
    return {
        **dict(run.labels),
        LABEL_JOB_NAME: run.job_name,
        LABEL_JOB_ID: run.job_id,
        LABEL_INSTANCE_ID: instance_id,
        LABEL_REPLICA_COUNT: str(len(run.replicas)),
    }


def replica_order(name: str) -> tuple[int, int, str]:
    """Sort key of replica names: by pool, then index (``workerpool1-10`` after ``-9``)."""
    m = re.fullmatch(r"workerpool(\d+)-(\d+)", name)
    return (int(m.group(1)), int(m.group(2)), name) if m else (1 << 30, 0, name)
