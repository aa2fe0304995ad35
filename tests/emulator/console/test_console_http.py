"""The console over HTTP, as a browser's requests reach it (no browser, no Docker).

Pages are read with httpx from an emulator running jobs (and the jobs of training
pipelines) on a FakeRunner (support.py): what each page shows, what it must not show
(secrets, markup from a display name), the live log stream, the output directory's
files, and the refusals it shares with the REST API (cross-site posts, foreign Host,
framing).
"""

from __future__ import annotations

import json
import os
import pathlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_vertex_training.emulator.console import streams
from pulumi_vertex_training.emulator.execution.cluster import gcs_root
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.console.support import (
    PARENT,
    FakeRunner,
    client,
    create_job,
    create_pipeline,
    pool,
    scripted_emulator,
    train,
    wait_pipeline,
    wait_state,
)

SECRET = "s3cr3t-value-never-shown"
XSS = "<script>document.title='pwned'</script>"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with scripted_emulator(tmp_path_factory.mktemp("console")) as pair:
        yield pair


@pytest.fixture(scope="module")
def server(emulator: tuple[EmulatorServer, FakeRunner]) -> EmulatorServer:
    return emulator[0]


@pytest.fixture(scope="module")
def runner(emulator: tuple[EmulatorServer, FakeRunner]) -> FakeRunner:
    return emulator[1]


@pytest.fixture(scope="module")
def http(server: EmulatorServer) -> Iterator[httpx.Client]:
    with client(server) as c:
        yield c


@pytest.fixture(scope="module")
def distributed(server: EmulatorServer) -> Any:
    """A RUNNING three-pool job with a secret-looking env var and an output directory."""
    spec = {
        "worker_pool_specs": [
            pool(1, env={"API_TOKEN": SECRET, "DB_URL": f"postgres://me:{SECRET}@db/x"}),
            pool(2, env={"EPOCHS": "3"}, accelerator_type="NVIDIA_TESLA_T4", accelerator_count=1),
            pool(1, machine_type="n1-highmem-4"),
        ],
        "base_output_directory": {"output_uri_prefix": "gs://console-bucket/runs/dist"},
    }
    job = create_job(server, "dist-train", labels={"team": "vision"}, job_spec=spec)
    return wait_state(server, job.name, "RUNNING")


def test_jobs_page_lists_jobs_newest_first_with_state_pools_and_labels(
    server: EmulatorServer, http: httpx.Client, distributed: Any
) -> None:
    older = create_job(server, "older-job", labels={"team": "ml"})
    newer = create_job(server, "newer-job")
    page = http.get("/console/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert text.index("newer-job") < text.index("older-job") < text.index("dist-train")
    assert f'href="/console/{older.name}"' in text
    assert "team=ml" in text and "team=vision" in text
    assert "1 \u00d7 n1-standard-4, 2 \u00d7 n1-standard-4 + 1 \u00d7 NVIDIA_TESLA_T4" in text
    assert 'class="state run"' in text  # the RUNNING job's colour
    assert http.get("/console", follow_redirects=False).status_code == 307
    assert newer.name in http.get("/console/rows").text  # the fragment the page polls


def test_jobs_page_filters_by_state_and_label(
    server: EmulatorServer, http: httpx.Client, distributed: Any
) -> None:
    cancelled = create_job(server, "to-cancel", labels={"team": "nlp"})
    assert server.backend is not None
    server.backend.cancel_custom_job(cancelled.name)
    wait_state(server, cancelled.name, "CANCELLED")
    only = http.get("/console/", params={"state": "CANCELLED"}).text
    assert "to-cancel" in only and "dist-train" not in only
    by_label = http.get("/console/rows", params={"label": "team=vision"}).text
    assert "dist-train" in by_label and "to-cancel" not in by_label
    has_key = http.get("/console/rows", params={"label": "team"}).text
    assert "dist-train" in has_key and "to-cancel" in has_key
    quoted = http.get("/console/rows", params={"label": 'team="x" OR team:*'}).text
    assert "dist-train" not in quoted  # the value is one quoted string, not filter syntax
    bad = http.get("/console/", params={"label": "bad key!=x"})
    assert bad.status_code == 200 and "is not a label key" in bad.text


def test_a_display_name_with_markup_renders_as_text(
    server: EmulatorServer, http: httpx.Client
) -> None:
    job = create_job(server, XSS)
    for path in ("/console/", "/console/rows", f"/console/{job.name}"):
        text = http.get(path).text
        assert XSS not in text, path
        assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in text, path


def test_job_page_shows_pools_replica_environment_and_masks_secret_values(
    http: httpx.Client, distributed: Any
) -> None:
    page = http.get(f"/console/{distributed.name}")
    assert page.status_code == 200
    text = page.text
    for heading in ("Worker pool 0", "Worker pool 1", "Worker pool 2"):
        assert heading in text
    assert "n1-highmem-4" in text and "NVIDIA_TESLA_T4" in text and "local/python:3.11" in text
    for replica in ("workerpool0-0", "workerpool1-0", "workerpool1-1", "workerpool2-0"):
        assert f'data-replica="{replica}"' in text
    for variable in ("CLUSTER_SPEC", "TF_CONFIG", "AIP_MODEL_DIR", "CLOUD_ML_JOB_ID", "RANK"):
        assert f"<th>{variable}</th>" in text
    assert "gs://console-bucket/runs/dist/model/" in text
    assert "&#34;worker_pool_specs&#34;" in text  # CLUSTER_SPEC's job, pretty-printed
    assert SECRET not in text  # not in the env tables, nor inside CLUSTER_SPEC / TF_CONFIG
    # API_TOKEN and DB_URL, in pool 0's card and in its one replica's environment
    assert text.count('class="masked"') == 4
    assert "postgres://me:\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022@db/x" in text
    assert "<th>EPOCHS</th><td><code>3</code>" in text  # a plain value is shown


def test_job_page_summary_has_the_timeline_and_a_cancel_button_while_running(
    http: httpx.Client, distributed: Any
) -> None:
    summary = http.get(f"/console/{distributed.name}/summary").text
    assert 'data-terminal="false"' in summary
    assert f'data-cancel="/v1/{distributed.name}:cancel"' in summary
    for step in ("CREATED / QUEUED", "PENDING", "RUNNING", "ENDED"):
        assert step in summary
    assert '<li class="now"><span class="step">RUNNING</span>' in summary


def test_log_stream_sends_lines_as_replicas_print_them_and_resumes_after_a_reconnect(
    server: EmulatorServer, runner: FakeRunner, http: httpx.Client
) -> None:
    job = create_job(server, "logging", job_spec={"worker_pool_specs": [pool(), pool()]})
    wait_state(server, job.name, "RUNNING")
    runner.say(job.name, "workerpool0-0", "first line")
    url = f"/console/{job.name}/logs"
    events: list[dict[str, Any]] = []
    last_id = ""
    with http.stream("GET", url) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        for line in lines:
            if line.startswith("id: "):
                last_id = line[4:]
            if line.startswith("data: ") and line != "data: {}":
                events.append(json.loads(line[6:]))
                if len(events) == 1:  # the page is open: the trainer prints on
                    runner.say(job.name, "workerpool1-0", "a live <b>line</b>")
                if len(events) == 2:
                    break
    assert events == [
        {"replica": "workerpool0-0", "lines": ["first line"]},
        {"replica": "workerpool1-0", "lines": ["a live <b>line</b>"]},
    ]
    assert last_id == "workerpool0-0:1,workerpool1-0:1"
    runner.say(job.name, "workerpool0-0", "after the reconnect")
    runner.finish(job.name)
    wait_state(server, job.name, "SUCCEEDED")
    resumed = http.get(url, headers={"Last-Event-ID": last_id}).text
    assert "after the reconnect" in resumed and "first line" not in resumed
    assert resumed.rstrip().endswith("event: end\ndata: {}")


def test_cross_site_cancel_is_refused_and_the_same_origin_json_cancel_works(
    server: EmulatorServer, http: httpx.Client
) -> None:
    job = wait_state(server, create_job(server, "cancel-me").name, "RUNNING")
    cancel = f"/v1/{job.name}:cancel"
    own = f"http://{server.rest_address}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # a page elsewhere posting a form (what a browser sends for a cross-site <form>)
    assert (
        http.post(
            cancel, content=b"x=1", headers={**form, "Origin": "http://evil.test"}
        ).status_code
        == 403
    )
    assert http.post(cancel, content=b"x=1", headers={**form, "Origin": "null"}).status_code == 403
    # a form without Origin, or a text/plain "simple" request, is not JSON
    assert http.post(cancel, content=b"x=1", headers=form).status_code == 415
    plain = {"Content-Type": "text/plain", "Origin": own}
    assert http.post(cancel, content=b"{}", headers=plain).status_code == 415
    # DNS rebinding: a foreign Host is refused for the console's pages too
    assert http.get("/console/", headers={"Host": "evil.test"}).status_code == 400
    assert server.backend is not None
    assert server.backend.get_custom_job(job.name).state.name == "JOB_STATE_RUNNING"
    # what console.js sends: same origin, JSON
    json_post = {"Content-Type": "application/json", "Origin": own}
    assert http.post(cancel, content=b"{}", headers=json_post).status_code == 200
    wait_state(server, job.name, "CANCELLED")


def test_pages_forbid_framing_and_foreign_scripts(http: httpx.Client, distributed: Any) -> None:
    for path in ("/console/", f"/console/{distributed.name}", "/console/missing"):
        headers = http.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY", path


def test_errors_are_html_pages(http: httpx.Client) -> None:
    missing = http.get(f"/console/{PARENT}/customJobs/999999")
    assert missing.status_code == 404 and "CustomJob" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    assert http.get("/console/no/such/page").status_code == 404
    bad = http.get("/console/projects/UPPER/locations/us-central1/customJobs/1")
    assert bad.status_code == 400


@pytest.fixture(scope="module")
def outputs(server: EmulatorServer, distributed: Any) -> pathlib.Path:
    """Files a trainer wrote in the distributed job's output directory, and a trap."""
    root = gcs_root(server.data_dir) / "console-bucket/runs/dist"
    (root / "model").mkdir(parents=True, exist_ok=True)
    (root / "model/metrics.json").write_text('{"accuracy": 0.97}')
    (root / "model/report.html").write_text("<script>alert(1)</script>")
    (root / "model/weights.bin").write_bytes(b"\x00\x01\x02" * 100)
    link = root / "passwd"
    if not link.is_symlink():
        os.symlink("/etc/passwd", link)  # a link a trainer left, to a file of the host
    return root


def test_output_directory_lists_and_serves_files_read_only(
    http: httpx.Client, distributed: Any, outputs: pathlib.Path
) -> None:
    base = f"/console/{distributed.name}/files/"
    assert f'href="{base}"' in http.get(f"/console/{distributed.name}").text
    top = http.get(base).text
    assert "model/" in top and ">passwd<" not in top  # the escaping link is not listed
    listing = http.get(f"{base}model/").text
    assert "metrics.json" in listing and "weights.bin" in listing
    served = http.get(f"{base}model/metrics.json")
    assert served.status_code == 200 and served.json() == {"accuracy": 0.97}
    assert served.headers["content-type"] == "text/plain; charset=utf-8"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    html = http.get(f"{base}model/report.html")  # never served as a page of this origin
    assert html.headers["content-type"] == "text/plain; charset=utf-8"
    binary = http.get(f"{base}model/weights.bin")
    assert binary.headers["content-type"] == "application/octet-stream"
    assert binary.headers["content-disposition"].startswith("attachment")
    assert (
        http.get(f"{base}model/metrics.json?download=1")
        .headers["content-disposition"]
        .startswith("attachment")
    )
    assert http.get(f"{base}model", follow_redirects=False).status_code == 307


@pytest.mark.parametrize(
    "path",
    ["passwd", "../../../../etc/passwd", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
     "model/..%2f..%2f..%2f..%2fetc/passwd", "%2fetc%2fpasswd", "model%5c..%5c..%5cpasswd"],
)  # fmt: skip
def test_output_directory_refuses_paths_that_leave_it(
    http: httpx.Client, distributed: Any, outputs: pathlib.Path, path: str
) -> None:
    answer = http.get(f"/console/{distributed.name}/files/{path}")
    assert answer.status_code in (404, 400), answer.status_code
    assert "root:" not in answer.text


def test_a_job_without_output_directory_has_no_files_page(
    server: EmulatorServer, http: httpx.Client
) -> None:
    job = create_job(server, "no-output")
    assert "browse files" not in http.get(f"/console/{job.name}").text
    assert http.get(f"/console/{job.name}/files/").status_code == 404


def test_persistent_resource_pages_show_pools_replicas_in_use_and_the_jobs_on_it(
    server: EmulatorServer, http: httpx.Client
) -> None:
    from google.cloud.aiplatform_v1 import PersistentResource

    assert server.persistent_resources is not None
    resource = PersistentResource(
        display_name="warm-pool",
        resource_pools=[{"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 2}],
    )
    server.persistent_resources.create_persistent_resource(PARENT, resource, "warm")
    name = f"{PARENT}/persistentResources/warm"
    deadline = time.monotonic() + 20
    while server.persistent_resources.get_persistent_resource(name).state.name != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    spec = {"worker_pool_specs": [pool()], "persistent_resource_id": "warm"}
    job = wait_state(server, create_job(server, "on-warm", job_spec=spec).name, "RUNNING")
    listing = http.get("/console/resources").text
    assert "warm-pool" in listing and f'href="/console/{name}"' in listing
    assert "pool-0: 1/2 \u00d7 n1-standard-4" in listing
    page = http.get(f"/console/{name}").text
    assert "1 / 2" in page and "on-warm" in page and f'href="/console/{job.name}"' in page
    assert f'href="/console/{name}"' in http.get(f"/console/{job.name}").text


def test_tuning_pages_list_jobs_and_show_trials_with_their_custom_jobs(
    server: EmulatorServer, http: httpx.Client
) -> None:
    from google.cloud.aiplatform_v1 import HyperparameterTuningJob

    assert server.tuning is not None
    tuning = HyperparameterTuningJob(
        display_name="sweep",
        max_trial_count=2,
        parallel_trial_count=1,
        study_spec={
            "algorithm": "GRID_SEARCH",
            "metrics": [{"metric_id": "score", "goal": "MAXIMIZE"}],
            "parameters": [
                {"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 2}}
            ],
        },
        trial_job_spec={"worker_pool_specs": [pool()]},
    )
    job = server.tuning.create_hyperparameter_tuning_job(PARENT, tuning)
    deadline = time.monotonic() + 20
    while not server.tuning.get_hyperparameter_tuning_job(job.name).trials:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    listing = http.get("/console/tuning").text
    assert "sweep" in listing and f'href="/console/{job.name}"' in listing
    page = http.get(f"/console/{job.name}").text
    assert "x (INTEGER): 1 … 2" in page and "score MAXIMIZE" in page and "GRID_SEARCH" in page
    trial = server.tuning.get_hyperparameter_tuning_job(job.name).trials[0]
    assert f'href="/console/{trial.custom_job}"' in page and "x=1" in page
    assert f'data-cancel="/v1/{job.name}:cancel"' in page
    trial_page = http.get(f"/console/{trial.custom_job}").text
    assert "<th>CLOUD_ML_TRIAL_ID</th><td><code>1</code>" in trial_page
    server.tuning.cancel_hyperparameter_tuning_job(job.name)


def test_log_streams_past_the_limit_are_told_to_retry_later(
    http: httpx.Client, distributed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = threading.BoundedSemaphore(1)
    full.acquire()
    monkeypatch.setattr(streams, "_active", full)
    answer = http.get(f"/console/{distributed.name}/logs")
    assert answer.status_code == 200 and answer.text == streams.BUSY


@pytest.fixture(scope="module")
def trained(server: EmulatorServer, runner: FakeRunner) -> tuple[Any, Any]:
    """Two pipelines that uploaded one model: version 1, then version 2 (alias ``prod``)."""
    first = create_pipeline(server, "gs://console-bucket/pl/1", display_name="train-v1")
    first = train(server, runner, first.name)
    model = first.model_to_upload.name
    second = create_pipeline(
        server,
        "gs://console-bucket/pl/2",
        display_name="train-v2",
        parent_model=model,
        model={"display_name": "churn", "container_spec": {"image_uri": "serve:2"},
               "version_aliases": ["prod"]},
    )  # fmt: skip
    return first, train(server, runner, second.name)


def test_pipeline_pages_show_state_times_and_link_the_backing_job_and_the_model(
    http: httpx.Client, trained: tuple[Any, Any]
) -> None:
    first, _ = trained
    job = first.training_task_metadata["backingCustomJob"]
    model = first.model_to_upload.name
    listing = http.get("/console/pipelines")
    assert listing.status_code == 200
    text = listing.text
    assert text.index("train-v2") < text.index("train-v1")  # newest first
    assert f'href="/console/{first.name}"' in text and f'href="/console/{job}"' in text
    assert f'href="/console/{model}#version-1"' in text
    page = http.get(f"/console/{first.name}")
    assert page.status_code == 200
    text = page.text
    state = '<span class="state ok" title="PIPELINE_STATE_SUCCEEDED">SUCCEEDED</span>'
    assert "train-v1" in text and state in text
    assert "ENDED: SUCCEEDED" in text  # the timeline, with its created/started/ended times
    assert text.count(" UTC</") >= 3 and "Started</dt><dd>—" not in text
    assert f'<a href="/console/{job}">{job}</a>' in text and "1 \u00d7 n1-standard-4" in text
    assert f'<a href="/console/{model}#version-1">pl-model, version 1</a>' in text
    # and the links lead to the job's and the model's pages
    assert http.get(f"/console/{job}").status_code == 200
    assert http.get(f"/console/{model}").status_code == 200


def test_model_pages_list_versions_aliases_artifacts_and_the_pipelines_that_made_them(
    http: httpx.Client, trained: tuple[Any, Any]
) -> None:
    first, second = trained
    model = first.model_to_upload.name
    assert second.model_to_upload.name == model and second.model_to_upload.version_id == "2"
    listing = http.get("/console/models")
    assert listing.status_code == 200
    row = listing.text[listing.text.index(f'href="/console/{model}"') :].split("</tr>")[0]
    assert "pl-model" in row and '<td data-th="Versions">2</td>' in row
    page = http.get(f"/console/{model}")
    assert page.status_code == 200
    text = page.text
    assert '<tr id="version-1">' in text and '<tr id="version-2">' in text
    v1 = text[text.index('<tr id="version-1">') :].split("</tr>")[0]
    v2 = text[text.index('<tr id="version-2">') :].split("</tr>")[0]
    assert 'id="version-default"' in v1 and 'id="version-prod"' in v2
    assert "gs://console-bucket/pl/1/model" in v1 and "gs://console-bucket/pl/2/model" in v2
    assert f'href="/console/{first.name}"' in v1 and f'href="/console/{second.name}"' in v2
    assert "serve:2" in v2 and " UTC</time>" in v1
    # a version or alias in the path is an anchor on the model's page
    for ref, version in (("2", "2"), ("prod", "2"), ("default", "1")):
        moved = http.get(f"/console/{model}@{ref}", follow_redirects=False)
        assert moved.status_code == 307
        assert moved.headers["location"] == f"/console/{model}#version-{version}"


def test_a_pipeline_before_and_after_a_failed_job_says_why_there_is_no_model(
    server: EmulatorServer, runner: FakeRunner, http: httpx.Client
) -> None:
    created = create_pipeline(server, "gs://console-bucket/pl/failing", display_name=XSS)
    running = wait_pipeline(server, created.name, "RUNNING")
    job = running.training_task_metadata["backingCustomJob"]
    before = http.get(f"/console/{created.name}").text
    assert "The model is uploaded when the job succeeds." in before
    assert "the job's <code>AIP_MODEL_DIR</code>" in before and "a new model" in before
    assert XSS not in before and "&lt;script&gt;" in before
    wait_state(server, job, "RUNNING")
    runner.finish(job, RunPhase.FAILED)
    wait_pipeline(server, created.name, "FAILED")
    after = http.get(f"/console/{created.name}").text
    assert 'class="state bad" title="PIPELINE_STATE_FAILED">FAILED<' in after
    assert "Error (code" in after
    assert "No model was uploaded." in after
    assert XSS not in http.get("/console/pipelines").text


def test_unknown_pipelines_and_models_are_404_pages_and_the_sections_are_in_the_nav(
    http: httpx.Client,
) -> None:
    for path, kind in (
        (f"/console/{PARENT}/trainingPipelines/999999", "TrainingPipeline"),
        (f"/console/{PARENT}/models/999999", "Model"),
        (f"/console/{PARENT}/models/999999@2", "Model"),
    ):
        missing = http.get(path, follow_redirects=False)
        assert missing.status_code == 404, path
        assert missing.headers["content-type"].startswith("text/html") and kind in missing.text
    nav = http.get("/console/").text
    assert 'href="/console/pipelines"' in nav and 'href="/console/models"' in nav
    assert 'href="/console/models" aria-current="page"' in http.get("/console/models").text


def test_a_job_queued_for_want_of_a_network_says_so_until_it_starts(
    tmp_path: pathlib.Path,
) -> None:
    """A CustomJob has no field for why it waits: the console says it (--max-job-networks)."""
    with scripted_emulator(tmp_path, max_job_networks=1) as (server, _):
        first = create_job(server, "first").name
        wait_state(server, first, "RUNNING")
        second = create_job(server, "second").name
        assert server.backend is not None
        deadline = time.monotonic() + 20  # a bound only: the next poll tells it
        while not server.backend.why_queued(second):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with client(server) as http:
            said = "waiting for a job network: 1 of 1 in use (--max-job-networks)"
            assert said in http.get(f"/console/{second}").text
            assert said in http.get(f"/console/{second}/summary").text
            assert said not in http.get(f"/console/{first}").text

            server.backend.cancel_custom_job(first)
            wait_state(server, second, "RUNNING")
            assert said not in http.get(f"/console/{second}/summary").text
