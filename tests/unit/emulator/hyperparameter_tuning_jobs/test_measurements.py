"""Reading cloudml-hypertune's metrics file and choosing a trial's final measurement."""

from __future__ import annotations

import importlib
import json
import pathlib
from typing import Any

import pytest
from google.cloud.aiplatform_v1 import StudySpec

from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs import measurements


def _study(goal: str, selection: str, metric: str = "loss") -> Any:
    return StudySpec(
        metrics=[{"metric_id": metric, "goal": goal}],
        measurement_selection_type=selection,
        parameters=[{"parameter_id": "x", "discrete_value_spec": {"values": [1]}}],
    )


def test_the_file_the_real_library_writes_is_read(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hypertune = pytest.importorskip("hypertune")
    monkeypatch.setenv("CLOUD_ML_HP_METRIC_FILE", str(tmp_path / measurements.METRICS_FILE))
    monkeypatch.setenv("CLOUD_ML_TRIAL_ID", "3")
    importlib.reload(hypertune)
    reporter = hypertune.HyperTune()
    reporter.report_hyperparameter_tuning_metric("loss", 0.9, global_step=1)
    reporter.report_hyperparameter_tuning_metric("loss", 0.4, global_step=2)
    reporter.report_hyperparameter_tuning_metric("loss", 0.6, global_step=3)
    found = measurements.read_measurements(tmp_path, 0.0, ["loss"])
    assert [(m.step_count, m.metrics[0].value) for m in found] == [(1, 0.9), (2, 0.4), (3, 0.6)]
    best = measurements.final_measurement(found, _study("MINIMIZE", "BEST_MEASUREMENT"))
    last = measurements.final_measurement(found, _study("MINIMIZE", "LAST_MEASUREMENT"))
    unset = measurements.final_measurement(
        found, _study("MINIMIZE", "MEASUREMENT_SELECTION_TYPE_UNSPECIFIED")
    )
    maximize = measurements.final_measurement(found, _study("MAXIMIZE", "BEST_MEASUREMENT"))
    assert (best.step_count, last.step_count, unset.step_count, maximize.step_count) == (2, 3, 3, 1)


def test_default_tag_is_the_single_metric_and_bad_lines_are_skipped(tmp_path: pathlib.Path) -> None:
    lines = [
        json.dumps({"global_step": "5", "training/hptuning/metric": "0.25", "timestamp": 12.5}),
        '{"global_step": "6", "loss": "0.',  # half-written
        json.dumps({"global_step": "7", "other": "nan", "timestamp": 13.0}),
    ]
    (tmp_path / measurements.METRICS_FILE).write_text("\n".join(lines))
    found = measurements.read_measurements(tmp_path, 10.0, ["acc"])
    assert len(found) == 1
    assert found[0].metrics[0].metric_id == "acc" and found[0].metrics[0].value == 0.25
    assert found[0].elapsed_duration.ToNanoseconds() == 2_500_000_000
    other = _study("MAXIMIZE", "BEST_MEASUREMENT", "other")
    assert measurements.final_measurement(found, other) is None


def test_measurements_read_again_are_merged_once(tmp_path: pathlib.Path) -> None:
    (tmp_path / measurements.METRICS_FILE).write_text(
        json.dumps({"global_step": "1", "loss": "1.0", "timestamp": 1.0}) + "\n"
    )
    first = measurements.read_measurements(tmp_path, 0.0, ["loss"])
    (tmp_path / measurements.METRICS_FILE).write_text(
        json.dumps({"global_step": "2", "loss": "0.5", "timestamp": 2.0}) + "\n"
    )
    second = measurements.read_measurements(tmp_path, 0.0, ["loss"])
    merged = measurements.merge(measurements.merge([], first), [*first, *second])
    assert [m.step_count for m in merged] == [1, 2]
