"""What the console shows, as pure functions: masking, filters, times, paths, streams."""

from __future__ import annotations

import datetime
import json
import os
import pathlib

import pytest
from google.cloud.aiplatform_v1 import CustomJob

from pulumi_vertex_training.emulator.console import files, streams, views

UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    "name",
    ["API_TOKEN", "hf_token", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "PASSWD", "WANDB_API_KEY",
     "GOOGLE_APPLICATION_CREDENTIALS", "AUTH_HEADER", "PRIVATE_PEM", "SESSION_COOKIE",
     "SENTRY_DSN", "MYSQL_PWD", "GPG_PASSPHRASE"],
)  # fmt: skip
def test_names_that_look_secret_are_masked(name: str) -> None:
    assert views.looks_secret(name)


@pytest.mark.parametrize(
    "name",
    ["CLUSTER_SPEC", "TF_CONFIG", "AIP_MODEL_DIR", "AIP_CHECKPOINT_DIR", "CLOUD_ML_JOB_ID",
     "MASTER_ADDR", "RANK", "WORLD_SIZE", "EPOCHS", "STORAGE_EMULATOR_HOST"],
)  # fmt: skip
def test_the_vertex_variables_are_not_masked(name: str) -> None:
    assert not views.looks_secret(name)


def test_env_display_masks_names_url_passwords_and_inside_cluster_spec() -> None:
    cluster_spec = json.dumps(
        {
            "task": {"type": "workerpool0", "index": 0},
            "job": {
                "worker_pool_specs": [
                    {
                        "container_spec": {
                            "env": [
                                {"name": "API_TOKEN", "value": "t0ken"},
                                {"name": "DB", "value": "postgres://u:pw123@h/db"},
                                {"name": "EPOCHS", "value": "3"},
                            ],
                            "args": ["--url=https://u:argpass@h/x"],
                        }
                    }
                ]
            },
        }
    )
    shown = views.mask_env_pairs(
        [
            ("CLUSTER_SPEC", cluster_spec),
            ("API_TOKEN", "t0ken"),
            ("DB", "postgres://u:pw123@h/db"),
            ("EPOCHS", "3"),
        ]
    )
    text = json.dumps(shown, ensure_ascii=False)
    for secret in ("t0ken", "pw123", "argpass"):
        assert secret not in text
    spec, token, db, epochs = shown
    assert spec["json"] and '"value": "3"' in spec["value"] and '"index": 0' in spec["value"]
    assert token == {"name": "API_TOKEN", "value": views.MASK, "masked": True, "json": False}
    assert db["value"] == f"postgres://u:{views.MASK}@h/db" and db["masked"]
    assert epochs == {"name": "EPOCHS", "value": "3", "masked": False, "json": False}
    assert views.redact("https://example.com/a:b@c") == "https://example.com/a:b@c"  # no userinfo


def test_label_filter_quotes_values_and_refuses_keys_that_are_not_label_keys() -> None:
    assert views.label_filter("") == ("", "")
    assert views.label_filter(" team ") == ("labels.team:*", "")
    assert views.label_filter("team=ml") == ('labels.team="ml"', "")
    assert views.label_filter('team=a"b\\c') == ('labels.team="a\\"b\\\\c"', "")
    text, error = views.label_filter("a b=c")
    assert text == "" and "not a label key" in error
    assert views.state_filter("FAILED") == "state=JOB_STATE_FAILED"
    assert views.state_filter("state=x OR 1") == ""


@pytest.mark.parametrize(
    ("name", "label", "css"),
    [
        ("JOB_STATE_RUNNING", "RUNNING", "run"),
        ("PIPELINE_STATE_SUCCEEDED", "SUCCEEDED", "ok"),
        ("PIPELINE_STATE_FAILED", "FAILED", "bad"),
        ("STATE_UNSPECIFIED", "UNSPECIFIED", "wait"),
    ],
)
def test_state_shows_the_short_name_of_job_pipeline_and_resource_states(
    name: str, label: str, css: str
) -> None:
    assert views.state(name) == {"label": label, "css": css, "name": name}


def test_durations_and_times() -> None:
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (
        views.when(start) == "2026-01-02 03:04:05 UTC"
        and views.iso(start) == "2026-01-02T03:04:05Z"
    )
    assert views.duration(None, None) == ""
    assert views.duration(start, start + datetime.timedelta(seconds=12)) == "12 s"
    assert views.duration(start, start + datetime.timedelta(seconds=184)) == "3 min 04 s"
    assert views.duration(start, start + datetime.timedelta(hours=2, minutes=5)) == "2 h 05 min"
    assert views.span(3 * 86400 + 7200) == "3 d 2 h"


def test_timeline_marks_steps_done_current_and_skipped() -> None:
    t = datetime.datetime(2026, 1, 2, tzinfo=UTC)
    running = CustomJob(create_time=t, start_time=t)
    assert [s["status"] for s in views.timeline(running, "RUNNING")] == [
        "done",
        "done",
        "now",
        "todo",
    ]
    cancelled = CustomJob(create_time=t, end_time=t)  # cancelled while queued: never ran
    steps = views.timeline(cancelled, "CANCELLED")
    assert [s["status"] for s in steps] == ["done", "skip", "skip", "done"]
    assert steps[3]["step"] == "ENDED: CANCELLED" and steps[3]["time"]


def test_pools_summary_and_detail() -> None:
    job = CustomJob(
        job_spec={
            "worker_pool_specs": [
                {"machine_spec": {"machine_type": "n1-standard-4"}},  # replica_count unset: 1
                {},
                {
                    "machine_spec": {
                        "machine_type": "n1-standard-8",
                        "accelerator_type": "NVIDIA_TESLA_T4",
                        "accelerator_count": 2,
                    },
                    "replica_count": 3,
                    "python_package_spec": {
                        "executor_image_uri": "img",
                        "package_uris": ["gs://b/p.tar.gz"],
                        "python_module": "trainer.task",
                        "args": ["--db=mysql://u:hunter2@h/x"],
                    },
                },
            ]
        }
    )
    pools = list(job.job_spec.worker_pool_specs)
    x = "\u00d7"
    assert views.pools_summary(pools) == (
        f"1 {x} n1-standard-4, 3 {x} n1-standard-8 + 2 {x} NVIDIA_TESLA_T4"
    )
    assert views.pool_detail(1, pools[1]) == {"index": 1, "empty": True}
    detail = views.pool_detail(2, pools[2])
    assert detail["kind"] == "Python package" and detail["module"] == "trainer.task"
    assert detail["replicas"] == 3 and detail["role"] == "parameter servers"
    assert detail["args"] == [f"--db=mysql://u:{views.MASK}@h/x"]


def test_resolve_inside_keeps_paths_in_the_root(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "gcs/bucket/run"
    (root / "model").mkdir(parents=True)
    (root / "model/a.txt").write_text("a")
    os.symlink(root / "model", root / "inside")
    os.symlink(tmp_path, root / "outside")
    assert files.resolve_inside(root, "model/a.txt") == (root / "model/a.txt").resolve()
    assert files.resolve_inside(root, "") == root.resolve()
    assert files.resolve_inside(root, "inside/a.txt") == (root / "model/a.txt").resolve()
    for bad in ("../x", "model/../../x", "outside/gcs", "/etc/passwd/..", "a\x00b", "a\\..\\b"):
        assert files.resolve_inside(root, bad) is None, bad
    entries, truncated = files.listing(root, root)
    assert [e.name for e in entries] == ["inside/", "model/"] and not truncated


def test_output_root_is_inside_the_local_cloud_storage(tmp_path: pathlib.Path) -> None:
    assert files.output_root(tmp_path, "gs://bucket/run") == (tmp_path / "gcs/bucket/run")
    assert files.output_root(tmp_path, "gs://bucket/../../etc") is None
    assert files.output_root(tmp_path, "s3://bucket/run") is None
    assert files.output_root(tmp_path, "gs://") is None


def test_media_type_serves_text_images_and_the_rest_as_downloads(tmp_path: pathlib.Path) -> None:
    cases = {
        "a.json": (b'{"a": 1}', ("text/plain; charset=utf-8", False)),
        "page.html": (b"<script>x</script>", ("text/plain; charset=utf-8", False)),
        "pic.svg": (b"<svg onload=alert(1)>", ("text/plain; charset=utf-8", False)),
        "plot.png": (b"\x89PNG\r\n", ("image/png", False)),
        "w.bin": (b"\x00\x01", ("application/octet-stream", True)),
        "latin1.txt": ("caf\xe9 ".encode("latin-1") * 10, ("application/octet-stream", True)),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_bytes(content)
        assert files.media_type(tmp_path / name) == expected, name


def test_stream_positions_ignore_unknown_replicas_and_bad_counts() -> None:
    names = ["workerpool0-0", "workerpool1-0"]
    assert streams.parse_positions("workerpool0-0:5,workerpool1-0:x,other:3", names) == {
        "workerpool0-0": 5,
        "workerpool1-0": 0,
    }
    assert streams.parse_positions("", names) == {"workerpool0-0": 0, "workerpool1-0": 0}
