"""One stored log line, and how Vertex AI shapes it as a Cloud Logging entry.

What Vertex AI custom training writes for a replica's output line (see
``COVERAGE.md``, "google.logging.v2.LoggingServiceV2", for the evidence and what
is unverified):

- resource ``ml_job`` with labels ``project_id``, ``job_id`` (the numeric
  CustomJob id) and ``task_name`` (``workerpool0-0``, ...);
- ``logName`` ``projects/{project}/logs/{task_name}``;
- severity ``INFO`` for stdout, ``ERROR`` for stderr;
- ``jsonPayload`` ``{"message": line, "levelname": "INFO"|"ERROR", "attrs": {"tag": task_name}}``;
- ``timestamp`` when the container wrote the line (Docker's timestamp), and
  ``receiveTimestamp`` when the emulator stored it;
- ``insertId`` unique, ordered as the lines were written within one timestamp.
"""

from __future__ import annotations

from typing import NamedTuple

from google.logging.type import log_severity_pb2

RESOURCE_TYPE = "ml_job"
STDOUT, STDERR = 1, 2
"""Docker's stream numbers: stdout lines are INFO, stderr lines ERROR."""
SEVERITY = {STDOUT: log_severity_pb2.INFO, STDERR: log_severity_pb2.ERROR}
LEVEL_NAME = {STDOUT: "INFO", STDERR: "ERROR"}


class LogRow(NamedTuple):
    """A replica's output line as stored: who wrote it, when, on which stream.

    A tuple, so that reading a page of them out of SQLite costs little."""

    rowid: int
    project: str
    job_id: str
    task: str
    stream: int
    ts_ns: int
    received_ns: int
    text: str

    @property
    def severity(self) -> int:
        return int(SEVERITY.get(self.stream, log_severity_pb2.DEFAULT))

    @property
    def level_name(self) -> str:
        return LEVEL_NAME.get(self.stream, "DEFAULT")

    @property
    def insert_id(self) -> str:
        """Zero-padded, so that within one timestamp it sorts as the lines were written."""
        return f"{self.rowid:016d}"

    @property
    def log_name(self) -> str:
        return f"projects/{self.project}/logs/{self.task}"

    @property
    def resource_labels(self) -> dict[str, str]:
        return {"project_id": self.project, "job_id": self.job_id, "task_name": self.task}

    @property
    def json_payload(self) -> dict[str, object]:
        return {"message": self.text, "levelname": self.level_name, "attrs": {"tag": self.task}}
