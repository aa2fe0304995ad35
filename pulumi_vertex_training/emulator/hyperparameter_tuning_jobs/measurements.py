"""A trial's metrics, read the way trainers report them on Vertex: cloudml-hypertune's file.

cloudml-hypertune (https://github.com/GoogleCloudPlatform/cloudml-hypertune) rewrites
``/tmp/hypertune/output.metrics`` on every report, whole, as JSON lines holding its
last 100 reports, keys sorted::

    {"checkpoint_path": "", "global_step": "10", "loss": "0.25", "timestamp": 1700000000.5,
     "trial": "3"}

(one line in the file).

``timestamp``, ``trial``, ``global_step`` and ``checkpoint_path`` are its own keys;
every other key is a metric tag and its value the metric (a string holding a float).
The emulator mounts a per-trial host folder at ``/tmp/hypertune`` in the primary
replica and reads that file while the trial runs and once it ends.

Each line is one ``Measurement``: ``step_count`` = ``global_step``, ``elapsed_duration``
= ``timestamp`` minus the trial's start, ``metrics`` = its tags. Measurements read
earlier are kept (the file holds only the last 100), ordered by (step, elapsed) as the
API orders them. A study with a single metric also takes cloudml-hypertune's default
tag ``training/hptuning/metric`` as that metric (legacy AI Platform's rule). Unreadable
lines (a half-written file) are skipped and read again at the next poll.
"""

from __future__ import annotations

import json
import math
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any

from google.cloud.aiplatform_v1 import Measurement, StudySpec

from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs.algorithms import raw_study_spec

METRICS_FILE = "output.metrics"
DEFAULT_TAG = "training/hptuning/metric"
RESERVED_KEYS = frozenset({"timestamp", "trial", "global_step", "checkpoint_path"})

_GOAL = StudySpec.MetricSpec.GoalType
_SELECTION = StudySpec.MeasurementSelectionType


def read_measurements(
    folder: pathlib.Path, start_seconds: float, metric_ids: Sequence[str]
) -> list[Any]:
    """The measurements in ``folder/output.metrics`` (raw ``Measurement`` messages)."""
    try:
        text = (folder / METRICS_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    alias = metric_ids[0] if len(metric_ids) == 1 else None
    out = []
    for line in text.splitlines():
        measurement = _parse_line(line, start_seconds, alias)
        if measurement is not None:
            out.append(measurement)
    return out


def _parse_line(line: str, start_seconds: float, alias: str | None) -> Any | None:
    try:
        report = json.loads(line)
        stamp = float(report.get("timestamp", start_seconds))
        step = int(float(report.get("global_step") or 0))
    except (ValueError, TypeError, AttributeError):
        return None
    m = Measurement.pb()()
    m.step_count = max(step, 0)
    m.elapsed_duration.FromNanoseconds(int(max(stamp - start_seconds, 0.0) * 1e9))
    for tag, raw in sorted(report.items()):
        if tag in RESERVED_KEYS:
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(value):
            continue
        metric = m.metrics.add()
        metric.metric_id = alias if (tag == DEFAULT_TAG and alias) else tag
        metric.value = value
    return m if m.metrics else None


def merge(known: Iterable[Any], new: Iterable[Any]) -> list[Any]:
    """``known`` plus the measurements of ``new`` not among them, in (step, elapsed) order."""
    seen: dict[bytes, Any] = {}
    for m in [*known, *new]:
        seen.setdefault(m.SerializeToString(deterministic=True), m)
    return sorted(seen.values(), key=lambda m: (m.step_count, m.elapsed_duration.ToNanoseconds()))


def objective(measurement: Any, metric_id: str) -> float | None:
    """The value of ``metric_id`` in a measurement, or None."""
    for metric in measurement.metrics:
        if metric.metric_id == metric_id:
            return float(metric.value)
    return None


def final_measurement(measurements: Sequence[Any], study_spec: Any) -> Any | None:
    """The trial's final measurement, or None when none reports the objective metric.

    The objective is ``study_spec.metrics[0]``. LAST_MEASUREMENT (and unset, "treated as
    LAST_MEASUREMENT"): the last one reporting it; BEST_MEASUREMENT: the best by its
    goal (MINIMIZE lowest, otherwise highest; the first of equals).
    """
    spec = raw_study_spec(study_spec)
    metric = spec.metrics[0]
    scored = [(objective(m, metric.metric_id), m) for m in measurements]
    candidates: list[tuple[float, Any]] = [(v, m) for v, m in scored if v is not None]
    if not candidates:
        return None
    if spec.measurement_selection_type != _SELECTION.BEST_MEASUREMENT:
        return candidates[-1][1]
    sign = -1.0 if metric.goal == _GOAL.MINIMIZE else 1.0
    best_value, best = candidates[0]
    for value, m in candidates[1:]:
        if sign * value > sign * best_value:
            best_value, best = value, m
    return best
