"""Props for HyperparameterTuningJob provider tests: studies whose trials run in the emulator.

Each trial runs ``tests/emulator/hyperparameter_tuning_jobs/hpt_trainer.py`` (``python -c``
in the local base image): it scores its ``--name=value`` parameters with ``--score`` (a
Python expression) and reports the score in cloudml-hypertune's file format.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

IMAGE = "local/python:3.11"
TRAINER = (
    Path(__file__).resolve().parents[1]
    / "emulator"
    / "hyperparameter_tuning_jobs"
    / "hpt_trainer.py"
).read_text()


def trial_job_spec(*args: str, **spec: Any) -> dict[str, Any]:
    """One pool running the test trainer with ``args`` (``--score EXPR``, ``--fail-if``)."""
    return {
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1,
                "container_spec": {
                    "image_uri": IMAGE,
                    "command": ["python", "-c", TRAINER],
                    "args": list(args),
                },
            }
        ],
        **spec,
    }


def study_spec(goal: str = "MINIMIZE", x_max: int = 3) -> dict[str, Any]:
    """A grid over ``x`` in 1..x_max, metric ``score``."""
    return {
        "metrics": [{"metric_id": "score", "goal": goal}],
        "parameters": [
            {"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": x_max}}
        ],
        "algorithm": "GRID_SEARCH",
    }


def tuning_props(score: str = "(x - 2) ** 2", **overrides: Any) -> dict[str, Any]:
    """Raw props as the HyperparameterTuningJob resource sends them (before check)."""
    props: dict[str, Any] = {
        "project": "test-project",
        "location": "us-central1",
        "display_name": f"tune-{uuid.uuid4().hex[:6]}",
        "study_spec": study_spec(),
        "max_trial_count": 3,
        "parallel_trial_count": 3,
        "max_failed_trial_count": None,
        "trial_job_spec": trial_job_spec("--score", score),
        "labels": None,
        "encryption_spec": None,
        "wait": "none",
        "on_delete": "cancel",
        "wait_timeout": None,
        "triggers": None,
        # unique per test: jobs of earlier tests are never adopted by accident
        "resource_key": f"tests/dev/{uuid.uuid4().hex}",
    }
    props.update(copy.deepcopy(overrides))
    return props
