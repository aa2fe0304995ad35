"""``read_mask`` on ListCustomJobs and ListHyperparameterTuningJobs (the v1 Get requests and
the PersistentResource ones have none): only the masked fields come back; a path of no
field is INVALID_ARGUMENT. FieldMask paths are snake_case over gRPC, camelCase and
comma-separated over REST (``readMask=displayName,state``).

Reproduction: ``read_mask`` was ignored, every field came back.
"""

from __future__ import annotations

import pytest
import requests
from google.api_core import exceptions as gexc
from google.cloud import aiplatform_v1
from google.protobuf import field_mask_pb2

from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.front_end_support import (
    PARENT,
    TRANSPORTS,
    custom_job,
    jobs,
    local,
    run_id,
    tuning_job,
)

__all__ = ["local"]  # the module's emulator fixture


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_read_mask_returns_only_masked_fields_of_custom_jobs(
    local: EmulatorServer, transport: str
) -> None:
    client = jobs(local, transport)
    run = run_id()
    client.create_custom_job(parent=PARENT, custom_job=custom_job("masked", run=run))
    mask = field_mask_pb2.FieldMask(paths=["display_name", "state"])
    listed = list(
        client.list_custom_jobs(
            request={"parent": PARENT, "filter": f"labels.run={run}", "read_mask": mask}
        )
    )
    assert len(listed) == 1
    raw = aiplatform_v1.CustomJob.pb(listed[0])
    assert sorted(field.name for field, _ in raw.ListFields()) == ["display_name", "state"]
    assert listed[0].display_name == "masked"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_read_mask_returns_only_masked_fields_of_tuning_jobs(
    local: EmulatorServer, transport: str
) -> None:
    client = jobs(local, transport)
    run = run_id()
    client.create_hyperparameter_tuning_job(
        parent=PARENT, hyperparameter_tuning_job=tuning_job("masked-hpt", run=run)
    )
    mask = field_mask_pb2.FieldMask(paths=["name", "study_spec.algorithm"])
    request = {"parent": PARENT, "filter": f"labels.run={run}", "read_mask": mask}
    [job] = client.list_hyperparameter_tuning_jobs(request=request)
    raw = aiplatform_v1.HyperparameterTuningJob.pb(job)
    assert sorted(field.name for field, _ in raw.ListFields()) == ["name", "study_spec"]
    assert [field.name for field, _ in raw.study_spec.ListFields()] == ["algorithm"]


def test_rest_read_mask_query_is_camel_case_and_comma_separated(local: EmulatorServer) -> None:
    run = run_id()
    jobs(local, "grpc").create_custom_job(parent=PARENT, custom_job=custom_job("q", run=run))
    url = f"http://{local.rest_address}/v1/{PARENT}/customJobs"
    query = {"filter": f"labels.run={run}", "readMask": "displayName,createTime"}
    listed = requests.get(url, params=query, timeout=30).json()["customJobs"]
    assert [sorted(job) for job in listed] == [["createTime", "displayName"]]

    refused = requests.get(url, params={"readMask": "displayName,colour,jobSpec.nope"}, timeout=30)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    fields = error["details"][0]["fieldViolations"]
    assert [(v["field"], v["description"].split(" ")[0]) for v in fields] == [
        ("read_mask", "'colour'"),
        ("read_mask", "'job_spec.nope'"),
    ]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_read_mask_with_unknown_path_is_invalid_argument(
    local: EmulatorServer, transport: str
) -> None:
    mask = field_mask_pb2.FieldMask(paths=["display_name", "colour"])
    with pytest.raises(gexc.BadRequest) as info:
        jobs(local, transport).list_custom_jobs(request={"parent": PARENT, "read_mask": mask})
    assert "'colour' is not a field of CustomJob" in info.value.message
