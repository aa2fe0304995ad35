"""CreateCustomJob refuses bad input with INVALID_ARGUMENT naming the field, and creates nothing.

Table-driven: each case takes a valid job dict, breaks one thing and names the
field path the error must mention. No job runs here (no container starts).
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.protobuf import json_format

from tests.unit.spec.machine_cases import CASES as MACHINE_CASES
from tests.unit.spec.machine_cases import MachineCase, job_for

# A parent no other test uses, so "nothing created" can be checked by listing it.
PARENT = "projects/validation-project/locations/us-central1"
POOL0 = "custom_job.job_spec.worker_pool_specs[0]"

Mutation = Callable[[dict[str, Any]], None]


def _pool(job: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return dict(job["job_spec"]["worker_pool_specs"][i])


def _set(path: str, value: Any) -> Mutation:
    """Set a dotted path (``job_spec.worker_pool_specs.0.replica_count``) in the job dict."""

    def mutate(job: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target: Any = job
        for part in parents:
            target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
        if value is _DELETE:
            del target[int(leaf) if leaf.isdigit() else leaf]
        elif leaf.isdigit():
            target[int(leaf)] = value
        else:
            target[leaf] = value

    return mutate


_DELETE = object()
_CONTAINER = {"image_uri": "local/python:3.11", "command": ["true"]}
_MACHINE = {"machine_type": "n1-standard-4"}

# fmt: off
CASES: list[tuple[str, Mutation, str]] = [
    ("missing display_name", _set("display_name", _DELETE), "custom_job.display_name is required"),
    ("blank display_name", _set("display_name", "  "), "custom_job.display_name is required"),
    ("long display_name", _set("display_name", "x" * 129), "custom_job.display_name"),
    ("missing job_spec", _set("job_spec", _DELETE), "custom_job.job_spec is required"),
    (
        "no worker pools",
        _set("job_spec.worker_pool_specs", []),
        "custom_job.job_spec.worker_pool_specs must contain at least one",
    ),
    ("empty primary pool", _set("job_spec.worker_pool_specs.0", {}), f"{POOL0} (the primary"),
    (
        "five pools",
        _set("job_spec.worker_pool_specs", [{"machine_spec": _MACHINE, "replica_count": 1,
                                             "container_spec": _CONTAINER}] + [{}] * 4),
        "at most 4",
    ),
    (
        "non-empty pool without machine_type",
        _set(
            "job_spec.worker_pool_specs",
            [
                {"machine_spec": _MACHINE, "replica_count": 1, "container_spec": _CONTAINER},
                {"replica_count": 2, "container_spec": _CONTAINER},
            ],
        ),
        "custom_job.job_spec.worker_pool_specs[1].machine_spec.machine_type is required",
    ),
    ("primary pool with 2 replicas", _set("job_spec.worker_pool_specs.0.replica_count", 2),
     f"{POOL0}.replica_count: 2"),
    (
        "worker pool with 0 replicas",
        _set(
            "job_spec.worker_pool_specs",
            [
                {"machine_spec": _MACHINE, "replica_count": 1, "container_spec": _CONTAINER},
                {"machine_spec": _MACHINE, "replica_count": 0, "container_spec": _CONTAINER},
            ],
        ),
        "worker_pool_specs[1].replica_count: 0",
    ),
    ("neither container_spec nor python_package_spec",
     _set("job_spec.worker_pool_specs.0.container_spec", _DELETE),
     f"{POOL0}: exactly one of container_spec or python_package_spec"),
    ("container_spec without image_uri",
     _set("job_spec.worker_pool_specs.0.container_spec.image_uri", _DELETE),
     f"{POOL0}.container_spec.image_uri is required"),
    (
        "python_package_spec without module and packages",
        _set("job_spec.worker_pool_specs.0", {
            "machine_spec": _MACHINE, "replica_count": 1,
            "python_package_spec": {"executor_image_uri": "local/python:3.11"},
        }),
        f"{POOL0}.python_package_spec.package_uris",
    ),
    ("accelerator_count without a type",
     _set("job_spec.worker_pool_specs.0.machine_spec.accelerator_count", 2),
     f"{POOL0}.machine_spec.accelerator_count is 2 but accelerator_type is not set"),
    ("accelerator type with count 0",
     _set("job_spec.worker_pool_specs.0.machine_spec.accelerator_type", "NVIDIA_TESLA_T4"),
     f"{POOL0}.machine_spec.accelerator_count is 0 but accelerator_type is NVIDIA_TESLA_T4"),
    ("unknown accelerator type",
     _set("job_spec.worker_pool_specs.0.machine_spec.accelerator_type", 999),
     f"{POOL0}.machine_spec.accelerator_type: 999 is not a known AcceleratorType"),
    ("machine type with spaces",
     _set("job_spec.worker_pool_specs.0.machine_spec.machine_type", "n1 standard 4"),
     f"{POOL0}.machine_spec.machine_type: 'n1 standard 4' is not a machine type"),
    ("machine type in capitals",
     _set("job_spec.worker_pool_specs.0.machine_spec.machine_type", "N1-STANDARD-4"),
     f"{POOL0}.machine_spec.machine_type: 'N1-STANDARD-4'"),
    ("env name starting with a digit",
     _set("job_spec.worker_pool_specs.0.container_spec.env", [{"name": "1BAD", "value": "x"}]),
     f"{POOL0}.container_spec.env[0].name: '1BAD' is not a valid environment variable name"),
    ("env name with a dash",
     _set("job_spec.worker_pool_specs.0.container_spec.env",
          [{"name": "OK", "value": "1"}, {"name": "MY-VAR", "value": "x"}]),
     f"{POOL0}.container_spec.env[1].name: 'MY-VAR'"),
    ("101 env vars",
     _set("job_spec.worker_pool_specs.0.container_spec.env",
          [{"name": f"V{i}", "value": "x"} for i in range(101)]),
     f"{POOL0}.container_spec.env has 101 variables; at most 100"),
    ("label key in capitals", _set("labels", {"Team": "ml"}),
     "custom_job.labels['Team']: a label key must start with a lowercase letter"),
    ("label key starting with an underscore", _set("labels", {"_team": "ml"}),
     "custom_job.labels['_team']: a label key must start with a lowercase letter or a number"),
    ("label value over 127 bytes", _set("labels", {"team": "中" * 43}),
     "custom_job.labels['team']: the value is 129 bytes in UTF-8; it must be less than 128"),
    ("label key with a titlecase letter", _set("labels", {"aǅ": "ml"}),
     "custom_job.labels['aǅ']: the key may contain"),
    ("tensorboard without a service account",
     _set("job_spec.tensorboard", "projects/p/locations/us-central1/tensorboards/1"),
     "custom_job.job_spec.service_account is required with tensorboard"),
    ("label key with a dot", _set("labels", {"team.name": "ml"}),
     "custom_job.labels['team.name']: the key may contain"),
    ("label value with a space", _set("labels", {"team": "m l"}),
     "custom_job.labels['team']: the value 'm l'"),
    ("label value too long", _set("labels", {"team": "x" * 65}),
     "custom_job.labels['team']: the value is longer than 63"),
    ("65 labels", _set("labels", {f"k{i}": "v" for i in range(65)}),
     "custom_job.labels has 65 labels"),
    ("network with a project id", _set("job_spec.network", "projects/my-proj/global/networks/vpc"),
     "custom_job.job_spec.network: 'projects/my-proj/global/networks/vpc' must be projects/"
     "{project_number}"),
    ("network not a path", _set("job_spec.network", "default"), "custom_job.job_spec.network"),
    ("negative timeout", _set("job_spec.scheduling", {"timeout": {"seconds": -5}}),
     "custom_job.job_spec.scheduling.timeout: -5s must not be negative"),
    ("timeout with mixed signs",
     _set("job_spec.scheduling", {"timeout": {"seconds": 5, "nanos": -1}}),
     "custom_job.job_spec.scheduling.timeout: seconds=5 nanos=-1 is not a valid Duration"),
    ("negative max_wait_duration",
     _set("job_spec.scheduling", {"max_wait_duration": {"seconds": -1}}),
     "custom_job.job_spec.scheduling.max_wait_duration"),
    ("output directory not on gs://",
     _set("job_spec.base_output_directory", {"output_uri_prefix": "/tmp/out"}),
     "custom_job.job_spec.base_output_directory.output_uri_prefix: '/tmp/out'"),
    ("service account not an email", _set("job_spec.service_account", "trainer"),
     "custom_job.job_spec.service_account: 'trainer'"),
    ("unknown boot disk type",
     _set("job_spec.worker_pool_specs.0.disk_spec", {"boot_disk_type": "floppy"}),
     f"{POOL0}.disk_spec.boot_disk_type: 'floppy'"),
    ("boot disk too small",
     _set("job_spec.worker_pool_specs.0.disk_spec", {"boot_disk_size_gb": 10}),
     f"{POOL0}.disk_spec.boot_disk_size_gb: 10"),
    ("nfs mount without server",
     _set("job_spec.worker_pool_specs.0.nfs_mounts", [{"path": "/export", "mount_point": "m"}]),
     f"{POOL0}.nfs_mounts[0].server is required"),
    ("malformed kms key", _set("encryption_spec", {"kms_key_name": "my-key"}),
     "custom_job.encryption_spec.kms_key_name: 'my-key'"),
]
# fmt: on


def _job_count(job_client: Any) -> int:
    return len(list(job_client.list_custom_jobs(parent=PARENT)))


def _to_message(job: dict[str, Any]) -> aiplatform_v1.CustomJob:
    # Via the raw protobuf: proto-plus refuses unknown enum numbers in a dict,
    # but the wire (and a real client built from newer protos) can carry them.
    accelerator = None
    for pool in job.get("job_spec", {}).get("worker_pool_specs", []):
        spec = pool.get("machine_spec", {})
        if isinstance(spec.get("accelerator_type"), int):
            accelerator = spec.pop("accelerator_type")
    message = aiplatform_v1.CustomJob(job)
    if accelerator is not None:
        raw = aiplatform_v1.CustomJob.pb(message)
        raw.job_spec.worker_pool_specs[0].machine_spec.accelerator_type = accelerator
    return message


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_create_raises_invalid_argument_naming_the_field_when_input_is_bad(
    job_client: Any, make_custom_job: Any, mutate: Mutation, expected: str
) -> None:
    job = copy.deepcopy(make_custom_job("print('never runs')"))
    mutate(job)
    before = _job_count(job_client)
    with pytest.raises(exceptions.InvalidArgument) as raised:
        job_client.create_custom_job(parent=PARENT, custom_job=_to_message(job))
    assert expected in raised.value.message
    assert _job_count(job_client) == before


def _parsed(job: dict[str, Any]) -> aiplatform_v1.CustomJob:
    raw = json_format.ParseDict(job, aiplatform_v1.CustomJob.pb(aiplatform_v1.CustomJob()))
    return aiplatform_v1.CustomJob.wrap(raw)


@pytest.mark.parametrize("case", [c for c in MACHINE_CASES if not c.warns], ids=lambda c: c.id)
def test_create_refuses_what_the_machine_catalog_forbids_naming_the_field(
    job_client: Any, case: MachineCase
) -> None:
    """The table check() runs (tests/unit/spec/machine_cases.py), over gRPC."""
    before = _job_count(job_client)
    with pytest.raises(exceptions.InvalidArgument) as raised:
        job_client.create_custom_job(parent=PARENT, custom_job=_parsed(job_for(case)))
    assert f"custom_job.{case.blamed}" in raised.value.message
    assert _job_count(job_client) == before


def test_create_accepts_a_machine_family_the_catalog_does_not_know(job_client: Any) -> None:
    """As Vertex accepts a machine type it knows and the catalog does not (check() warns)."""
    case = MachineCase("new family", {"machine_type": "zz-fake-9"}, "", "")
    job = job_client.create_custom_job(
        parent="projects/validation-accepted/locations/us-central1",
        custom_job=_parsed(job_for(case)),
    )
    job_client.cancel_custom_job(name=job.name)
    assert job.job_spec.worker_pool_specs[0].machine_spec.machine_type == "zz-fake-9"


def test_create_reports_every_violation_when_several_fields_are_bad(
    job_client: Any, make_custom_job: Any
) -> None:
    job = make_custom_job(labels={"Bad": "x"}, network="default")
    job["display_name"] = ""
    with pytest.raises(exceptions.InvalidArgument) as raised:
        job_client.create_custom_job(parent=PARENT, custom_job=job)
    for field in ("display_name", "labels['Bad']", "job_spec.network"):
        assert f"custom_job.{field}" in raised.value.message


@pytest.mark.parametrize(
    "parent",
    ["projects/p", "projects/p/locations/l/extra", "locations/l/projects/p"],
)
def test_create_raises_invalid_argument_when_parent_is_malformed(
    job_client: Any, make_custom_job: Any, parent: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="parent"):
        job_client.create_custom_job(parent=parent, custom_job=make_custom_job())


@pytest.mark.parametrize(
    "name",
    [
        "projects/p/locations/l/customJobs/not-a-number",
        "projects/p/locations/l/trainingPipelines/1",
        "customJobs/1",
    ],
)
def test_get_raises_invalid_argument_when_name_is_malformed(job_client: Any, name: str) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="not a valid CustomJob name"):
        job_client.get_custom_job(name=name)


def test_list_raises_invalid_argument_when_filter_is_malformed(job_client: Any) -> None:
    with pytest.raises(exceptions.InvalidArgument):
        list(job_client.list_custom_jobs(request={"parent": PARENT, "filter": 'state="'}))


def test_create_over_rest_raises_400_when_pool_has_both_container_and_python_package(
    emulator: Any, make_custom_job: Any
) -> None:
    # Over gRPC a oneof cannot carry both; REST JSON can, as a pasted config might.
    job = make_custom_job()
    job["job_spec"]["worker_pool_specs"][0]["python_package_spec"] = {
        "executor_image_uri": "local/python:3.11",
        "package_uris": ["gs://b/p.tar.gz"],
        "python_module": "m",
    }
    request = urllib.request.Request(
        f"http://{emulator.rest_address}/v1/{PARENT}/customJobs",
        data=json.dumps(job).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    body = json.loads(raised.value.read())
    assert body["error"]["status"] == "INVALID_ARGUMENT"
    assert "worker_pool_specs[0]" in body["error"]["message"]
    assert "task" in body["error"]["message"]  # the oneof holding both specs
