"""The emulator's own machine, TensorBoard and label rules, on raw protobuf requests.

The same table (tests/unit/spec/machine_cases.py) runs against check() in
tests/unit/spec/test_machine_rules.py; this side never touches spec/: refusals must be
INVALID_ARGUMENT blaming the same field, and what check() only warns about is accepted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from google.cloud.aiplatform_v1.types import custom_job as job_types
from google.cloud.aiplatform_v1.types import persistent_resource as pr_types
from google.protobuf import json_format

import pulumi_vertex_training
from pulumi_vertex_training.emulator import machines
from pulumi_vertex_training.emulator.custom_jobs.validation import validate_custom_job
from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.persistent_resources import validation as prv
from tests.unit.spec.machine_cases import CASES, VALID, MachineCase, job_for

CATALOG = Path(pulumi_vertex_training.__file__).parent / "data" / "machine_catalog.json"
_PATH = re.compile(r"^custom_job\.([a-z_.]+(?:\[\d+\][a-z_.]*)*?)(?::| is | differs |$)")


def _proto(job: dict[str, Any]) -> Any:
    return json_format.ParseDict(job, job_types.CustomJob.pb(job_types.CustomJob()))


def _refused(job: dict[str, Any]) -> set[str] | None:
    """The field paths the emulator blames, None when it accepts the job."""
    try:
        validate_custom_job(_proto(job))
    except InvalidArgument as err:
        errors = re.split(r"; (?=custom_job\.)", str(err))
        return {m[1].rstrip(".") if (m := _PATH.match(e)) else e for e in errors}
    return None


@pytest.mark.parametrize("case", [c for c in CASES if not c.warns], ids=lambda c: c.id)
def test_emulator_refuses_what_the_catalog_forbids_at_the_same_field(case: MachineCase) -> None:
    assert _refused(job_for(case)) == {case.blamed}


@pytest.mark.parametrize("case", [c for c in CASES if c.warns], ids=lambda c: c.id)
def test_emulator_accepts_what_check_only_warns_about(case: MachineCase) -> None:
    assert _refused(job_for(case)) is None


@pytest.mark.parametrize(("machine", "job_spec"), [pytest.param(m, j, id=i) for i, m, j in VALID])
def test_emulator_accepts_valid_machines(machine: dict[str, Any], job_spec: dict[str, Any]) -> None:
    assert _refused(job_for(MachineCase("valid", machine, "", "", job_spec=job_spec))) is None


def test_emulator_names_the_value_and_the_choices() -> None:
    job = job_for(MachineCase("t", {"machine_type": "n1-standard-3"}, "", ""))
    with pytest.raises(InvalidArgument) as raised:
        validate_custom_job(_proto(job))
    assert str(raised.value) == (
        "custom_job.job_spec.worker_pool_specs[0].machine_spec.machine_type: 'n1-standard-3' "
        "is not offered for custom training; the n1-standard types are n1-standard-4, "
        "n1-standard-8, n1-standard-16, n1-standard-32, n1-standard-64, n1-standard-96"
    )


def _resource(machine: dict[str, Any]) -> Any:
    body = {"resourcePools": [{"machineSpec": machine, "replicaCount": 1}]}
    return json_format.ParseDict(
        body, pr_types.PersistentResource.pb(pr_types.PersistentResource())
    )


@pytest.mark.parametrize(
    ("machine", "blamed"),
    [
        ({"machineType": "n1-standard-3"}, "machine_spec.machine_type"),
        (
            {"machineType": "a2-highgpu-1g", "acceleratorType": "NVIDIA_TESLA_T4",
             "acceleratorCount": 1},
            "machine_spec.accelerator_type",
        ),
        (
            {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_T4",
             "acceleratorCount": 3},
            "machine_spec.accelerator_count",
        ),
        (
            {"machineType": "a4x-highgpu-4g", "acceleratorType": "NVIDIA_GB200",
             "acceleratorCount": 4},
            "machine_spec.reservation_affinity",
        ),
    ],
)  # fmt: skip
def test_persistent_resource_pools_follow_the_catalog(machine: dict[str, Any], blamed: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        prv.prepare_resource(_resource(machine))
    assert str(raised.value).startswith(f"persistent_resource.resource_pools[0].{blamed}")


def test_persistent_resource_pool_of_an_unknown_family_is_accepted() -> None:
    prv.prepare_resource(_resource({"machineType": "zz-fake-9"}))


def test_the_emulator_reads_the_catalog_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.loads(CATALOG.read_text())
    data["machine_families"]["n1-standard"]["types"].append("n1-standard-3")
    edited = tmp_path / "machine_catalog.json"
    edited.write_text(json.dumps(data))
    monkeypatch.setattr(machines, "CATALOG_PATH", edited)
    machines.catalog.cache_clear()
    try:
        assert (
            _refused(job_for(MachineCase("t", {"machine_type": "n1-standard-3"}, "", ""))) is None
        )
    finally:
        machines.catalog.cache_clear()


@pytest.mark.parametrize(
    "labels",
    [
        {"a" * 63: "b" * 63},
        {"team": "中" * 42},
        {"équipe": "données", "ʰkey": "ʰ"},
        {"k": "ⅻ-²-٣"},
        {"1team": "ml"},  # check() warns; Vertex's message allows a leading number
    ],
)
def test_labels_within_vertex_rules_are_accepted(labels: dict[str, str]) -> None:
    job = job_for(MachineCase("t", {"machine_type": "n1-standard-4"}, "", "")) | {"labels": labels}
    assert _refused(job) is None


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"team": "中" * 43}, "custom_job.labels['team']: the value is 129 bytes in UTF-8"),
        ({"中" * 43: "v"}, "the key is 129 bytes in UTF-8; it must be less than 128"),
        ({"aǅ": "v"}, "custom_job.labels['aǅ']: the key may contain"),
        ({"k": "ǅ"}, "custom_job.labels['k']: the value 'ǅ' may contain"),
        ({"_k": "v"}, "custom_job.labels['_k']: a label key must start with a lowercase letter"),
    ],
)
def test_labels_breaking_vertex_rules_are_refused(labels: dict[str, str], message: str) -> None:
    job = job_for(MachineCase("t", {"machine_type": "n1-standard-4"}, "", "")) | {"labels": labels}
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        validate_custom_job(_proto(job))
