"""An INVALID_ARGUMENT carries a ``google.rpc.BadRequest``: one field violation per problem,
over REST (the error body's ``details``) and over gRPC (``grpc-status-details-bin``), so
``google.api_core``'s exception has them in ``.details`` with either transport.

Reproduction: the error was a message only; ``.details`` was empty for both transports
and a client had to parse the message to find the fields.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
import requests
from google.api_core import exceptions as gexc
from google.cloud import aiplatform, aiplatform_v1
from google.protobuf import field_mask_pb2
from google.rpc import code_pb2, error_details_pb2
from grpc_status import rpc_status

from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.front_end_support import (
    PARENT,
    TRANSPORTS,
    custom_job,
    gapic,
    jobs,
    local,
    sdk,
    tuning_job,
)

__all__ = ["local", "sdk"]  # fixtures

BAD_TYPE = "type.googleapis.com/google.rpc.BadRequest"


def violations(error: gexc.GoogleAPICallError) -> list[tuple[str, str]]:
    """The field violations of an exception's BadRequest details, whichever the transport
    (gRPC: unpacked messages; REST: the JSON objects of the error body)."""
    found = []
    for detail in error.details:
        if isinstance(detail, error_details_pb2.BadRequest):
            found += [(v.field, v.description) for v in detail.field_violations]
        elif isinstance(detail, dict) and detail.get("@type") == BAD_TYPE:
            found += [(v["field"], v["description"]) for v in detail["fieldViolations"]]
    return found


def bad_job() -> dict[str, Any]:
    """Three problems: no display name, a label key in upper case, two primary replicas."""
    job = custom_job(Bad="x")
    job["display_name"] = ""
    job["job_spec"]["worker_pool_specs"][0]["replica_count"] = 2
    return job


BAD_JOB_FIELDS = [
    "custom_job.display_name",
    "custom_job.labels['Bad']",
    "custom_job.job_spec.worker_pool_specs[0].replica_count",
]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_create_custom_job_error_details_list_each_field_when_request_breaks_rules(
    local: EmulatorServer, transport: str
) -> None:
    with pytest.raises(gexc.BadRequest) as info:
        jobs(local, transport).create_custom_job(parent=PARENT, custom_job=bad_job())
    found = violations(info.value)
    assert [field for field, _ in found] == BAD_JOB_FIELDS
    assert all(description for _, description in found)
    # The message is the violations, joined: it reads as it did before details existed.
    texts = [d if d.startswith(f) else f"{f}: {d}" for f, d in found]
    assert info.value.message.endswith("; ".join(texts))


def test_rest_error_body_carries_bad_request_details_in_google_json_form(
    local: EmulatorServer,
) -> None:
    body = aiplatform_v1.CustomJob(bad_job())
    response = requests.post(
        f"http://{local.rest_address}/v1/{PARENT}/customJobs",
        data=aiplatform_v1.CustomJob.to_json(body),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"code", "message", "status", "details"}
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    [detail] = error["details"]
    assert detail["@type"] == BAD_TYPE
    assert [v["field"] for v in detail["fieldViolations"]] == BAD_JOB_FIELDS
    assert all(set(v) == {"field", "description"} for v in detail["fieldViolations"])


def test_grpc_trailer_carries_status_with_bad_request_matching_code_and_message(
    local: EmulatorServer,
) -> None:
    request = aiplatform_v1.CreateCustomJobRequest(parent=PARENT, custom_job=bad_job())
    with grpc.insecure_channel(local.grpc_address) as channel:
        call = channel.unary_unary(
            "/google.cloud.aiplatform.v1.JobService/CreateCustomJob",
            request_serializer=aiplatform_v1.CreateCustomJobRequest.serialize,
        )
        with pytest.raises(grpc.RpcError) as info:
            call(request, timeout=30)
    status = rpc_status.from_call(info.value)  # checks code and message against the call's
    assert status is not None
    assert status.code == code_pb2.INVALID_ARGUMENT
    [detail] = status.details
    bad = error_details_pb2.BadRequest()
    assert detail.Unpack(bad)
    assert [v.field for v in bad.field_violations] == BAD_JOB_FIELDS


def test_sdk_custom_job_submit_raises_with_field_violations_when_job_is_invalid(
    sdk: None,
) -> None:
    pools = custom_job()["job_spec"]["worker_pool_specs"]
    pools[0]["replica_count"] = 2
    job = aiplatform.CustomJob(display_name="sdk-bad", worker_pool_specs=pools)
    with pytest.raises(gexc.BadRequest) as info:
        job.submit()
    assert [field for field, _ in violations(info.value)] == [
        "custom_job.job_spec.worker_pool_specs[0].replica_count"
    ]


def _bad_tuning_job() -> dict[str, Any]:
    job = tuning_job()
    job["max_trial_count"] = 0
    job["study_spec"]["parameters"][0]["scale_type"] = "UNIT_LOG_SCALE"
    job["study_spec"]["parameters"][0]["integer_value_spec"]["min_value"] = 0
    return job


def _bad_resource() -> dict[str, Any]:
    pool = {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 0}
    return {"resource_pools": [pool, pool | {"id": "UPPER"}], "labels": {"-x": "y"}}


CASES = {
    "hyperparameter tuning job": (
        aiplatform_v1.JobServiceClient,
        lambda c: c.create_hyperparameter_tuning_job(
            parent=PARENT, hyperparameter_tuning_job=_bad_tuning_job()
        ),
        [
            "hyperparameter_tuning_job.max_trial_count",
            "hyperparameter_tuning_job.study_spec.parameters[0].scale_type",
        ],
    ),
    "persistent resource": (
        aiplatform_v1.PersistentResourceServiceClient,
        lambda c: c.create_persistent_resource(
            parent=PARENT, persistent_resource=_bad_resource(), persistent_resource_id="ok-id"
        ),
        [
            "persistent_resource.labels['-x']",
            "persistent_resource.resource_pools[0].replica_count",
            "persistent_resource.resource_pools[1].id",
            "persistent_resource.resource_pools[1].replica_count",
        ],
    ),
    "persistent resource update mask": (
        aiplatform_v1.PersistentResourceServiceClient,
        lambda c: c.update_persistent_resource(
            persistent_resource={"name": f"{PARENT}/persistentResources/r"},
            update_mask=field_mask_pb2.FieldMask(paths=["labels", "network"]),
        ),
        ["update_mask", "update_mask"],
    ),
    "filter": (
        aiplatform_v1.JobServiceClient,
        lambda c: c.list_custom_jobs(request={"parent": PARENT, "filter": "colour=red"}),
        ["filter"],
    ),
    "name": (
        aiplatform_v1.JobServiceClient,
        lambda c: c.get_custom_job(name=f"{PARENT}/customJobs/x1"),
        ["name"],
    ),
    "page token": (
        aiplatform_v1.PersistentResourceServiceClient,
        lambda c: c.list_persistent_resources(request={"parent": PARENT, "page_token": "nope"}),
        ["page_token"],
    ),
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_invalid_argument_carries_one_violation_per_problem(
    local: EmulatorServer, transport: str, case: str
) -> None:
    client_class, call, fields = CASES[case]
    with pytest.raises(gexc.BadRequest) as info:
        call(gapic(client_class, local, transport))
    assert [field for field, _ in violations(info.value)] == fields
    assert all(description for _, description in violations(info.value))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_many_violations_still_reach_grpc_and_rest_clients_as_invalid_argument(
    local: EmulatorServer, transport: str
) -> None:
    # 60 bad label keys: a message of about 5 KB. gRPC carries it twice (grpc-message and
    # the status) in at most 8 KiB of trailers, or the client sees RESOURCE_EXHAUSTED: the
    # first violations that fit go, in the message and the details alike. REST: all.
    job = custom_job(**{f"Key{i:02d}": "v" for i in range(60)})
    with pytest.raises(gexc.BadRequest) as info:
        jobs(local, transport).create_custom_job(parent=PARENT, custom_job=job)
    found = violations(info.value)
    expected = [f"custom_job.labels['Key{i:02d}']" for i in range(60)]
    assert [field for field, _ in found] == expected[: len(found)]
    message = info.value.message
    if transport == "rest":
        assert len(found) == 60
        assert all(f"'Key{i:02d}'" in message for i in range(60))
    else:
        assert 10 < len(found) < 60
        assert message.endswith(
            f"; and {60 - len(found)} more (not listed: a gRPC error is at most 8 KiB)"
        )
        assert f"'Key{len(found) - 1:02d}'" in message
        assert f"'Key{len(found):02d}'" not in message


def test_grpc_answers_invalid_argument_when_the_message_alone_exceeds_8_kib(
    local: EmulatorServer,
) -> None:
    # 4 pools x 100 bad env names: a 40 KB message. gRPC clients refuse trailers over
    # 8 KiB, so the call failed with RESOURCE_EXHAUSTED instead of the refusal.
    job = custom_job()
    pool = job["job_spec"]["worker_pool_specs"][0]
    pool["container_spec"]["env"] = [{"name": f"{i}BAD", "value": "v"} for i in range(100)]
    job["job_spec"]["worker_pool_specs"] = [pool] + [pool | {"replica_count": 1}] * 3
    with pytest.raises(gexc.InvalidArgument) as info:
        jobs(local, "grpc").create_custom_job(parent=PARENT, custom_job=job)
    found = violations(info.value)
    assert found[0][0] == "custom_job.job_spec.worker_pool_specs[0].container_spec.env[0].name"
    assert info.value.message.endswith("(not listed: a gRPC error is at most 8 KiB)")
