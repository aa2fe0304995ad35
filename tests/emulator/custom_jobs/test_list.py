"""ListCustomJobs paging on the backend: newest first, filters, parents, deletes, restarts.

No Docker: a runner that never runs anything, jobs moved by ``transition``.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest
from google.cloud.aiplatform_v1 import CustomJob, JobState

from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.store import Store
from tests.emulator.fake_runner import FakeRunner

A = "projects/a/locations/us-central1"
B = "projects/b/locations/europe-west4"


def _backend(path: pathlib.Path) -> JobBackend:
    return JobBackend(Store(path / "state.db"), FakeRunner(RunPhase.STARTING), path, "test")


@pytest.fixture
def backend(tmp_path: pathlib.Path) -> Iterator[JobBackend]:
    b = _backend(tmp_path)
    yield b
    b.stop()
    b.store.close()


def _create(backend: JobBackend, parent: str, team: str) -> str:
    job = CustomJob(
        display_name=f"job-{team}",
        labels={"team": team},
        job_spec={
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "local/python:3.11"},
                }
            ]
        },
    )
    return backend.create_custom_job(parent, job).name


def _pages(backend: JobBackend, parent: str, size: int, filter: str = "") -> list[list[str]]:
    pages, token = [], ""
    while True:
        page, token = backend.list_custom_jobs(parent, filter, size, token)
        pages.append([j.name for j in page])
        if not token:
            return pages


def _flat(pages: list[list[str]]) -> list[str]:
    return [name for page in pages for name in page]


def _finish(backend: JobBackend, name: str) -> None:
    # The monitor's start task may have moved it to PENDING already.
    backend.transition(name, JobState.JOB_STATE_PENDING, only_from=(JobState.JOB_STATE_QUEUED,))
    backend.transition(name, JobState.JOB_STATE_SUCCEEDED)


def test_pages_list_each_matching_job_once_newest_first_when_jobs_span_parents(
    backend: JobBackend,
) -> None:
    names = [_create(backend, A if i % 3 else B, "x" if i % 2 else "y") for i in range(10)]
    in_a = [n for n in reversed(names) if n.startswith(A)]

    assert _pages(backend, A, 4) == [in_a[:4], in_a[4:]]
    assert _flat(_pages(backend, "projects/-/locations/-", 4)) == list(reversed(names))
    x_in_a = [n for n in in_a if n in names[1::2]]
    assert _flat(_pages(backend, A, 2, "labels.team=x")) == x_in_a
    # No token when the page ends exactly at the last match.
    assert backend.list_custom_jobs(A, "labels.team=x", len(x_in_a))[1] == ""


def test_a_page_token_still_pages_on_when_its_job_was_deleted(backend: JobBackend) -> None:
    names = [_create(backend, A, "x") for _ in range(5)]
    first, token = backend.list_custom_jobs(A, page_size=2)
    _finish(backend, first[-1].name)
    backend.delete_custom_job(first[-1].name)

    rest, _ = backend.list_custom_jobs(A, page_size=10, page_token=token)

    assert [j.name for j in rest] == list(reversed(names[:3]))


def test_listed_jobs_are_copies_when_the_caller_changes_them(backend: JobBackend) -> None:
    name = _create(backend, A, "x")
    [listed], _ = backend.list_custom_jobs(A)
    listed.display_name = "changed"
    CustomJob.pb(listed).labels["team"] = "changed"

    again = backend.get_custom_job(name)
    assert (again.display_name, dict(again.labels)) == ("job-x", {"team": "x"})


def test_order_and_ids_survive_a_restart_when_jobs_were_deleted(tmp_path: pathlib.Path) -> None:
    first = _backend(tmp_path)
    names = [_create(first, A, "x") for _ in range(4)]
    _finish(first, names[3])
    first.delete_custom_job(names[3])
    first.stop()
    first.store.close()

    second = _backend(tmp_path)
    newer = _create(second, A, "y")

    assert _pages(second, A, 2) == [[newer, names[2]], [names[1], names[0]]]
    second.stop()
    second.store.close()


def test_filter_by_state_sees_the_current_state_when_jobs_moved(backend: JobBackend) -> None:
    names = [_create(backend, A, "x") for _ in range(3)]
    _finish(backend, names[1])

    page, _ = backend.list_custom_jobs(A, 'state="JOB_STATE_SUCCEEDED"')

    assert [j.name for j in page] == [names[1]]
