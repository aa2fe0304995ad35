"""check() at preview knows what Vertex AI accepts (the machine catalog): refusals are
CheckFailures, uncertain facts and unknown machine families are warnings printed with
``progress.warn``, never failures. Pure: no API call, no Docker."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vertex_training.provider import progress
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.provider.persistent_resource import PersistentResourceProvider
from tests.provider.conftest import job_props, python_job_spec
from tests.provider.persistent_resource_support import pr_props

MT = "job_spec.worker_pool_specs[0].machine_spec.machine_type"


@pytest.fixture
def warned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(progress, "warn", said.append)
    return said


def _job(machine: dict[str, Any]) -> dict[str, Any]:
    spec = python_job_spec("print(1)")
    spec["worker_pool_specs"][0]["machine_spec"] = machine
    return job_props(job_spec=spec)


def test_job_check_refuses_a_machine_type_vertex_does_not_offer(warned: list[str]) -> None:
    result = CustomJobProvider().check({}, _job({"machine_type": "n1-standard-3"}))
    assert [(f.property, f.reason) for f in result.failures] == [
        (
            MT,
            "n1-standard-3 is not a machine type for custom training; did you mean "
            "n1-standard-4? (n1-standard sizes: 4, 8, 16, 32, 64, 96)",
        )
    ]


def test_job_check_warns_about_an_unknown_machine_family_and_accepts_it(
    warned: list[str],
) -> None:
    result = CustomJobProvider().check({}, _job({"machine_type": "zz-fake-9"}))
    assert result.failures == []
    assert warned == [
        f"{MT}: zz-fake-9 is not in the machine catalog (custom training machine types as of "
        "2026-11-30); if Vertex AI does not offer it, creating the job fails"
    ]


def test_resource_check_refuses_the_wrong_accelerator_and_warns_about_p100(
    warned: list[str],
) -> None:
    props = pr_props(
        resource_pools=[
            {"machine_spec": {"machine_type": "a2-highgpu-1g", "accelerator_type": "T4"}},
            {"machine_spec": {"machine_type": "n1-standard-8", "accelerator_type": "P100"}},
        ]
    )
    result = PersistentResourceProvider().check({}, props)
    assert [f.property for f in result.failures] == [
        "resource_pools[0].machine_spec.accelerator_type"
    ]
    assert [w.split(":")[0] for w in warned] == ["resource_pools[1].machine_spec.accelerator_type"]
