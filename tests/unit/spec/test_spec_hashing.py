"""spec_hash: stable across spelling, ordering and equivalent values; changes with content."""

from __future__ import annotations

import re

from pulumi_vertex_training.spec import normalize_custom_job, spec_hash
from tests.unit.spec.spec_cases import full_job, make_job, mutate
from tests.unit.spec.test_custom_job_normalize import REST_JOB, SNAKE_JOB


def _hash(job: dict) -> str:
    return spec_hash(normalize_custom_job(job).raise_for_failures())


def test_hash_is_32_lowercase_hex_chars_usable_as_label_value() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", _hash(make_job()))


def test_hash_is_equal_when_inputs_are_equivalent() -> None:
    assert _hash(REST_JOB) == _hash(SNAKE_JOB)


def test_hash_is_equal_when_dict_order_differs() -> None:
    job = full_job()
    reordered = dict(reversed(list(job.items())))
    reordered["job_spec"] = dict(reversed(list(job["job_spec"].items())))
    assert _hash(job) == _hash(reordered)


def test_hash_is_equal_when_duration_forms_differ() -> None:
    a = mutate(make_job(), "job_spec.scheduling.timeout", "2h")
    b = mutate(make_job(), "job_spec.scheduling.timeout", 7200)
    assert _hash(a) == _hash(b)


def test_hash_changes_when_content_changes() -> None:
    changed = mutate(make_job(), "job_spec.worker_pool_specs[0].container_spec.args", ["x"])
    assert _hash(make_job()) != _hash(changed)


def test_hash_is_pinned_for_a_fixed_spec() -> None:
    # A change here changes every deployed job's adoption label: do it on purpose only.
    assert _hash(make_job()) == PINNED


PINNED = "16fddf37f107261e5f9b20182ed2bb27"
