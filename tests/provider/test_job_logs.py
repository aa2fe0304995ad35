"""job_logs without a Cloud Logging: the failure report, the stream's rate limit and
cursor, the tail that keeps a traceback, against a fake LoggingServiceV2Client."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.api import monitored_resource_pb2
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import CustomJob, JobState
from google.cloud.logging_v2.types import LogEntry

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import job_logs

JOB = "projects/p/locations/us-central1/customJobs/12"
T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def entry(
    n: int, text: str, task: str = "workerpool0-0", error: bool = False, json: bool = True
) -> LogEntry:
    return LogEntry(
        resource=monitored_resource_pb2.MonitoredResource(
            type="ml_job", labels={"job_id": "12", "task_name": task}
        ),
        timestamp=T0 + datetime.timedelta(milliseconds=n),
        insert_id=f"{n:08d}",
        severity=500 if error else 200,
        **({"json_payload": {"message": text}} if json else {"text_payload": text}),
    )


@dataclass
class Page:
    entries: list[LogEntry]


@dataclass
class FakeLogging:
    """Answers list_log_entries with the next prepared list of pages; records requests."""

    answers: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def list_log_entries(self, request: dict[str, Any]) -> Any:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else []
        if isinstance(answer, Exception):
            raise answer
        return type("Pager", (), {"pages": iter(Page(p) for p in answer)})()


@pytest.fixture
def logging(monkeypatch: pytest.MonkeyPatch) -> FakeLogging:
    fake = FakeLogging()
    monkeypatch.setattr(client, "logging_client", lambda: fake)
    monkeypatch.delenv(client.EMULATOR_HOST_ENV, raising=False)
    return fake


def failed_job(message: str, state: str = "JOB_STATE_FAILED") -> CustomJob:
    return CustomJob(name=JOB, state=JobState[state], error={"code": 3, "message": message})


VERTEX_ERROR = (
    "The replica workerpool1-0 exited with a non-zero status of 7. To find out more about why "
    "your job exited please check the logs: https://console.cloud.google.com/logs/viewer?x"
)


@pytest.mark.parametrize(
    ("message", "found"),
    [
        (VERTEX_ERROR, ("workerpool1-0", 7)),
        (
            "The replica workerpool0-0 ran out of memory and exited with a non-zero status of 137.",
            ("workerpool0-0", 137),
        ),
        ("The job timed out", (None, None)),
        ("", (None, None)),
    ],
)
def test_the_failing_replica_is_read_from_vertex_words(
    message: str, found: tuple[Any, Any]
) -> None:
    assert job_logs.failing_replica(message) == found


def test_payloads_as_gcloud_reads_them() -> None:
    assert job_logs.entry_lines(entry(1, "a\nb")) == ["a", "b"]
    assert job_logs.entry_lines(entry(1, "plain", json=False)) == ["plain"]
    assert job_logs.entry_lines(LogEntry()) == [""]


def test_failure_report_says_everything_on_vertex(logging: FakeLogging) -> None:
    logging.answers = [
        [[entry(3, "c"), entry(2, "b"), entry(1, "a")]],
        [[entry(2, "b", error=True)]],
    ]
    report = job_logs.failure_report(failed_job(VERTEX_ERROR), "train", "failures")
    assert report.splitlines() == [
        f'CustomJob "train" ({JOB}) ended JOB_STATE_FAILED.',
        f"Vertex AI: {VERTEX_ERROR} (code 3)",
        "Replica workerpool1-0 exited with status 7.",
        "Last 3 lines of workerpool1-0:",
        "    a",
        "    b",
        "    c",
        "Console: https://console.cloud.google.com/vertex-ai/locations/us-central1/training/12/cpu?project=p",
        "All logs: gcloud ai custom-jobs stream-logs 12 --region=us-central1 "
        "--task-name=workerpool1-0, or Logs Explorer with the filter: "
        'resource.type="ml_job" AND resource.labels.job_id="12"',
    ]
    last, errors = logging.requests
    assert last == {
        "resource_names": ["projects/p"],
        "filter": 'resource.type="ml_job" AND resource.labels.job_id="12" '
        'AND resource.labels.task_name="workerpool1-0"',
        "order_by": "timestamp desc",
        "page_size": 30,
    }
    assert errors["filter"].endswith(" AND severity>=ERROR")


def test_a_traceback_stamped_early_stays_in_the_tail(logging: FakeLogging) -> None:
    # Stdout lines stamped after the stderr traceback (the runtime stamps streams apart).
    newest = [entry(100 - i, f"out {99 - i}") for i in range(30)]
    trace = [entry(5, "Traceback", error=True), entry(6, "ValueError: x", error=True)]
    logging.answers = [[newest], [list(reversed(trace))]]
    tail = job_logs.last_lines(JOB, "workerpool0-0")
    assert len(tail) == 30
    assert tail[:2] == ["Traceback", "ValueError: x"]
    assert tail[2:] == [f"out {i}" for i in range(72, 100)]


def test_a_log_that_cannot_be_read_never_hides_the_jobs_error(logging: FakeLogging) -> None:
    logging.answers = [exceptions.PermissionDenied("logging.logEntries.list denied")]
    report = job_logs.failure_report(failed_job("CANCELED", "JOB_STATE_CANCELLED"), "t", "failures")
    assert "ended JOB_STATE_CANCELLED.\nVertex AI: CANCELED (code 3)\n" in report
    assert "Could not read the logs of workerpool0-0: PermissionDenied: " in report
    assert "roles/logging.viewer" in report


def test_logs_none_reports_without_reading(
    logging: FakeLogging, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, "127.0.0.1:1")
    report = job_logs.failure_report(failed_job(VERTEX_ERROR), "t", "none")
    assert logging.requests == []
    assert report.endswith("All logs: vertex-local logs 12 --replica workerpool1-0")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_stream_shows_a_burst_then_the_rate_and_counts_the_rest(logging: FakeLogging) -> None:
    shown: list[str] = []
    clock = Clock()
    stream = job_logs.LogStream(JOB, "train", show=shown.append, clock=clock)
    logging.answers = [[[entry(i, f"line {i}") for i in range(250)]]]
    stream.poll()
    assert shown[:2] == ["[train workerpool0-0] line 0", "[train workerpool0-0] line 1"]
    assert stream.shown == job_logs.BURST and stream.skipped == 150
    assert shown[-1].startswith("[train] ... 150 lines not shown (more than 20 a second); gcloud")
    clock.now += 1.0  # a second later: room for RATE more
    logging.answers = [[[entry(300 + i, f"late {i}", task="workerpool1-0") for i in range(30)]]]
    stream.poll()
    assert stream.shown == job_logs.BURST + 20 and stream.skipped == 160
    assert "[train workerpool1-0] late 19" in shown and "[train workerpool1-0] late 20" not in shown


def test_stream_pages_forward_with_gclouds_cursor_and_holds_back_on_vertex(
    logging: FakeLogging,
) -> None:
    stream = job_logs.LogStream(JOB, "train", show=lambda _line: None)
    logging.answers = [[[entry(1, "a"), entry(2, "b")]], []]
    stream.poll()
    stream.poll(final=True)
    first, second = (r["filter"] for r in logging.requests)
    assert "timestamp<" in first  # the newest seconds may still be on their way
    ts = "2026-01-02T03:04:05.002Z"
    cursor = f'((timestamp="{ts}" AND insertId>"00000002") OR timestamp>"{ts}")'
    assert cursor in second and "timestamp<" not in second


def test_stream_reads_at_most_a_few_pages_a_poll_and_one_page_at_a_time(
    logging: FakeLogging,
) -> None:
    stream = job_logs.LogStream(JOB, "train", show=lambda _line: None)
    pages = [[entry(p * 10 + i, "x") for i in range(10)] for p in range(job_logs.MAX_PAGES + 2)]
    logging.answers = [pages]
    stream.poll()
    assert stream.shown + stream.skipped == 10 * job_logs.MAX_PAGES
    assert stream.most_held == 10
    assert stream.cursor == (
        pages[job_logs.MAX_PAGES - 1][-1].timestamp.rfc3339(),
        f"{10 * job_logs.MAX_PAGES - 1:08d}",
    )


def test_a_failing_read_is_said_once_and_the_wait_goes_on(
    logging: FakeLogging, capfd: pytest.CaptureFixture[str]
) -> None:
    stream = job_logs.LogStream(JOB, "train", show=lambda _line: None)
    logging.answers = [exceptions.ServiceUnavailable("down"), exceptions.ServiceUnavailable("down")]
    stream.poll()
    stream.poll()
    err = capfd.readouterr().err
    assert err.count("warning: train: could not read the job's logs: ServiceUnavailable") == 1


def test_logs_are_read_from_the_project_id_when_the_job_name_has_its_number(
    logging: FakeLogging,
) -> None:
    numbered = failed_job(VERTEX_ERROR)
    numbered.name = "projects/123456789/locations/us-central1/customJobs/12"
    job_logs.failure_report(numbered, "train", "failures", project="my-project")
    assert {tuple(r["resource_names"]) for r in logging.requests} == {("projects/my-project",)}
    stream = job_logs.LogStream(numbered.name, "train", show=lambda _line: None)
    stream.poll()
    assert logging.requests[-1]["resource_names"] == ["projects/123456789"]
