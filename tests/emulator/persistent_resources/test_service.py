"""PersistentResourceService in the emulator, through the official clients (gRPC and REST),
and CustomJobs running on persistent resources (real Docker)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.api_core.future import polling
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform, aiplatform_v1
from google.cloud.aiplatform import initializer
from google.cloud.aiplatform.persistent_resource import PersistentResource as SdkPersistentResource
from google.cloud.aiplatform_v1 import JobState, PersistentResource
from google.protobuf import field_mask_pb2

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.server import EmulatorServer

pytestmark = pytest.mark.docker

PARENT = "projects/test-project/locations/us-central1"
FAST = polling.DEFAULT_POLLING.with_delay(initial=0.01, maximum=0.05)
State = PersistentResource.State
MACHINE = {"machine_type": "n1-standard-4"}


def new_id() -> str:
    return f"pr-{uuid.uuid4().hex[:10]}"


def pool(replicas: int = 1, **extra: Any) -> dict[str, Any]:
    return {"machine_spec": dict(MACHINE), "replica_count": replicas, **extra}


@pytest.fixture(scope="module")
def prs(emulator: Any) -> aiplatform_v1.PersistentResourceServiceClient:
    return client.persistent_resource_client("us-central1")


@pytest.fixture
def make_pr(prs: Any) -> Iterator[Callable[..., PersistentResource]]:
    """Create a persistent resource and wait until RUNNING; deleted after the test."""
    made: list[str] = []

    def make(*pools: dict[str, Any], **fields: Any) -> PersistentResource:
        op = prs.create_persistent_resource(
            parent=PARENT,
            persistent_resource_id=new_id(),
            persistent_resource={"resource_pools": list(pools) or [pool()], **fields},
        )
        resource = op.result(timeout=30, polling=FAST)
        made.append(resource.name)
        return resource

    yield make
    for name in made:
        try:
            prs.delete_persistent_resource(name=name).result(timeout=60, polling=FAST)
        except exceptions.NotFound:
            pass


def on_resource(resource: PersistentResource, code: str, **overrides: Any) -> dict[str, Any]:
    """A job running ``python -c code`` on ``resource`` (one n1-standard-4 replica)."""
    spec: dict[str, Any] = {
        "persistent_resource_id": resource.name.rsplit("/", 1)[-1],
        "worker_pool_specs": [
            {
                "machine_spec": dict(MACHINE),
                "replica_count": 1,
                "container_spec": {
                    "image_uri": "local/python:3.11",
                    "command": ["python", "-c", code],
                },
            }
        ],
    }
    spec.update(overrides)
    return {"display_name": f"on-{uuid.uuid4().hex[:6]}", "job_spec": spec}


# -- the resource's own lifecycle ----------------------------------------------------


def test_create_returns_a_running_operation_then_the_resource_running(prs: Any) -> None:
    rid = new_id()
    op = prs.create_persistent_resource(
        parent=PARENT,
        persistent_resource_id=rid,
        persistent_resource={"display_name": "warm", "resource_pools": [{"machine_spec": MACHINE}]},
    )
    assert op.operation.name.startswith(f"{PARENT}/persistentResources/{rid}/operations/")
    assert not op.done()
    assert isinstance(op.metadata, aiplatform_v1.CreatePersistentResourceOperationMetadata)
    assert "Provisioning pool-0: 1 x n1-standard-4" in op.metadata.progress_message
    assert prs.get_persistent_resource(name=f"{PARENT}/persistentResources/{rid}").state == (
        State.PROVISIONING
    )

    resource = op.result(timeout=30, polling=FAST)
    assert resource.state == State.RUNNING
    assert resource.start_time and resource.create_time
    assert [(p.id, p.replica_count, p.used_replica_count) for p in resource.resource_pools] == [
        ("pool-0", 1, 0)
    ]
    assert dict(resource.resource_runtime.access_uris) == {}
    prs.delete_persistent_resource(name=resource.name).result(timeout=30, polling=FAST)


def test_create_refuses_an_id_in_use_with_already_exists(make_pr: Any, prs: Any) -> None:
    existing = make_pr()
    with pytest.raises(exceptions.AlreadyExists, match="already exists"):
        prs.create_persistent_resource(
            parent=PARENT,
            persistent_resource_id=existing.name.rsplit("/", 1)[-1],
            persistent_resource={"resource_pools": [pool()]},
        )


@pytest.mark.parametrize(
    ("rid", "pools", "expected"),
    [
        ("Bad_Id", [pool()], "persistent_resource_id: 'Bad_Id' must be lowercase"),
        (None, [], "persistent_resource.resource_pools must contain at least one"),
        (None, [{"replica_count": 1}], "resource_pools[0].machine_spec.machine_type is required"),
        (
            None,
            [pool(id="a"), pool(id="a")],
            "resource_pools[1].id: 'a' is already the id of resource_pools[0]",
        ),
        (
            None,
            [pool(5, autoscaling_spec={"min_replica_count": 2, "max_replica_count": 4})],
            "resource_pools[0].replica_count: 5 must be at most max_replica_count (4)",
        ),
        (
            None,
            [pool(0, autoscaling_spec={"min_replica_count": 0, "max_replica_count": 0})],
            "autoscaling_spec.min_replica_count: 0 must be 1 or more",
        ),
        (
            None,
            [{"machine_spec": MACHINE, "autoscaling_spec": {"max_replica_count": 2}}],
            "autoscaling_spec.min_replica_count is required with autoscaling",
        ),
        (
            None,
            [pool(autoscaling_spec={"min_replica_count": 3, "max_replica_count": 3})],
            "max_replica_count: 3 must be more than min_replica_count (3)",
        ),
        (None, [pool(0)], "resource_pools[0].replica_count: 0 must be 1 or more"),
    ],
)
def test_create_refuses_bad_requests_with_invalid_argument_naming_the_field(
    prs: Any, rid: str | None, pools: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument) as raised:
        prs.create_persistent_resource(
            parent=PARENT,
            persistent_resource_id=rid or new_id(),
            persistent_resource={"resource_pools": pools},
        )
    assert expected in raised.value.message


def test_create_defaults_an_autoscaled_replica_count_to_the_min(make_pr: Any) -> None:
    scaled = {
        "machine_spec": MACHINE,
        "autoscaling_spec": {"min_replica_count": 2, "max_replica_count": 3},
    }
    resource = make_pr(
        scaled,
        pool(
            0, id="ray-workers", autoscaling_spec={"min_replica_count": 0, "max_replica_count": 2}
        ),
        resource_runtime_spec={"ray_spec": {"image_uri": "ray-img"}},
    )
    assert [p.replica_count for p in resource.resource_pools] == [2, 0]


def test_list_pages_through_every_resource_when_page_size_is_small(make_pr: Any, prs: Any) -> None:
    parent = f"projects/list-{uuid.uuid4().hex[:6]}/locations/us-central1"
    names = []
    for _ in range(3):
        rid = new_id()
        op = prs.create_persistent_resource(
            parent=parent,
            persistent_resource_id=rid,
            persistent_resource={"resource_pools": [pool()]},
        )
        names.append(op.result(timeout=30, polling=FAST).name)
    first = prs.list_persistent_resources(request={"parent": parent, "page_size": 2})
    assert len(first._response.persistent_resources) == 2 and first.next_page_token
    assert sorted(r.name for r in first) == sorted(names)
    for name in names:
        prs.delete_persistent_resource(name=name).result(timeout=30, polling=FAST)
    assert list(prs.list_persistent_resources(parent=parent)) == []


def test_update_scales_a_pool_in_place_through_updating(make_pr: Any, prs: Any) -> None:
    resource = make_pr(pool(1, autoscaling_spec={"min_replica_count": 1, "max_replica_count": 3}))
    resource.resource_pools[0].replica_count = 2
    resource.resource_pools[0].autoscaling_spec.max_replica_count = 4
    op = prs.update_persistent_resource(
        persistent_resource=resource,
        update_mask=field_mask_pb2.FieldMask(
            paths=[
                "resource_pools.replica_count",
                "resource_pools.autoscaling_spec.max_replica_count",
            ]
        ),
    )
    assert isinstance(op.metadata, aiplatform_v1.UpdatePersistentResourceOperationMetadata)
    assert prs.get_persistent_resource(name=resource.name).state == State.UPDATING
    updated = op.result(timeout=30, polling=FAST)
    assert updated.state == State.RUNNING
    assert updated.resource_pools[0].replica_count == 2
    assert updated.resource_pools[0].autoscaling_spec.max_replica_count == 4
    assert updated.create_time == resource.create_time


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["display_name"], "'display_name' cannot be updated"),
        (["resource_pools.machine_spec"], "'resource_pools.machine_spec' cannot be updated"),
        ([], "update_mask is required"),
    ],
)
def test_update_refuses_paths_it_cannot_update(
    make_pr: Any, prs: Any, paths: list[str], expected: str
) -> None:
    resource = make_pr()
    with pytest.raises(exceptions.InvalidArgument, match=expected):
        prs.update_persistent_resource(
            persistent_resource=resource, update_mask=field_mask_pb2.FieldMask(paths=paths)
        )


def test_update_refuses_an_unknown_pool_id_and_bad_counts(make_pr: Any, prs: Any) -> None:
    resource = make_pr()
    resource.resource_pools[0].id = "nope"
    mask = field_mask_pb2.FieldMask(paths=["resource_pools.replica_count"])
    with pytest.raises(exceptions.InvalidArgument, match="'nope' names no pool"):
        prs.update_persistent_resource(persistent_resource=resource, update_mask=mask)
    resource.resource_pools[0].id = "pool-0"
    resource.resource_pools[0].replica_count = 0
    with pytest.raises(exceptions.InvalidArgument, match="replica_count: 0 must be 1 or more"):
        prs.update_persistent_resource(persistent_resource=resource, update_mask=mask)


def test_reboot_goes_through_rebooting_and_refuses_a_busy_resource(make_pr: Any, prs: Any) -> None:
    resource = make_pr()
    op = prs.reboot_persistent_resource(name=resource.name)
    assert isinstance(op.metadata, aiplatform_v1.RebootPersistentResourceOperationMetadata)
    with pytest.raises(exceptions.FailedPrecondition, match="it is REBOOTING"):
        prs.reboot_persistent_resource(name=resource.name)
    assert op.result(timeout=30, polling=FAST).state == State.RUNNING


def test_delete_stops_then_removes_the_resource(make_pr: Any, prs: Any) -> None:
    resource = make_pr()
    op = prs.delete_persistent_resource(name=resource.name)
    assert isinstance(op.metadata, aiplatform_v1.DeleteOperationMetadata)
    assert prs.get_persistent_resource(name=resource.name).state == State.STOPPING
    again = prs.delete_persistent_resource(name=resource.name)
    assert again.operation.name == op.operation.name
    op.result(timeout=30, polling=FAST)
    with pytest.raises(exceptions.NotFound):
        prs.get_persistent_resource(name=resource.name)


def test_get_answers_not_found_and_invalid_argument(prs: Any) -> None:
    with pytest.raises(exceptions.NotFound):
        prs.get_persistent_resource(name=f"{PARENT}/persistentResources/{new_id()}")
    with pytest.raises(exceptions.InvalidArgument, match="not a valid PersistentResource name"):
        prs.get_persistent_resource(name=f"{PARENT}/persistentResources/Bad_Id")


def test_injected_provisioning_failure_ends_in_error_state(emulator: Any, prs: Any) -> None:
    rid = new_id()
    name = f"{PARENT}/persistentResources/{rid}"
    emulator.persistent_resources.fail_next_provisioning(name, "stockout of n1-standard-4")
    op = prs.create_persistent_resource(
        parent=PARENT, persistent_resource_id=rid, persistent_resource={"resource_pools": [pool()]}
    )
    with pytest.raises(exceptions.ResourceExhausted, match="stockout"):
        op.result(timeout=30, polling=FAST)
    resource = prs.get_persistent_resource(name=name)
    assert resource.state == State.ERROR and "stockout" in resource.error.message
    prs.delete_persistent_resource(name=name).result(timeout=30, polling=FAST)


# -- jobs on a persistent resource -----------------------------------------------------


def test_job_creation_is_refused_when_it_cannot_run_on_the_resource(
    make_pr: Any, prs: Any, job_client: Any
) -> None:
    resource = make_pr(pool(2))
    missing = on_resource(resource, "1", persistent_resource_id=new_id())
    with pytest.raises(exceptions.NotFound, match="persistent_resource_id"):
        job_client.create_custom_job(parent=PARENT, custom_job=missing)

    other = on_resource(resource, "1")
    other["job_spec"]["worker_pool_specs"][0]["machine_spec"] = {"machine_type": "n1-highmem-8"}
    with pytest.raises(exceptions.InvalidArgument, match=r"no resource pool .* has n1-highmem-8"):
        job_client.create_custom_job(parent=PARENT, custom_job=other)

    too_big = on_resource(resource, "1")
    too_big["job_spec"]["worker_pool_specs"].append(
        {**too_big["job_spec"]["worker_pool_specs"][0], "replica_count": 2}
    )
    with pytest.raises(exceptions.InvalidArgument, match=r"worker_pool_specs\[1\].replica_count"):
        job_client.create_custom_job(parent=PARENT, custom_job=too_big)

    network = on_resource(resource, "1", network="projects/123/global/networks/vpc")
    with pytest.raises(exceptions.FailedPrecondition, match=r"job_spec\.network"):
        job_client.create_custom_job(parent=PARENT, custom_job=network)

    key = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
    cmek = {**on_resource(resource, "1"), "encryption_spec": {"kms_key_name": key}}
    with pytest.raises(exceptions.FailedPrecondition, match="CMEK key"):
        job_client.create_custom_job(parent=PARENT, custom_job=cmek)


def test_job_creation_is_refused_while_the_resource_is_not_running(
    prs: Any, job_client: Any
) -> None:
    rid = new_id()
    op = prs.create_persistent_resource(
        parent=PARENT, persistent_resource_id=rid, persistent_resource={"resource_pools": [pool()]}
    )
    provisioning = prs.get_persistent_resource(name=f"{PARENT}/persistentResources/{rid}")
    with pytest.raises(exceptions.FailedPrecondition, match="is PROVISIONING"):
        job_client.create_custom_job(parent=PARENT, custom_job=on_resource(provisioning, "1"))
    resource = op.result(timeout=30, polling=FAST)
    prs.delete_persistent_resource(name=resource.name).result(timeout=30, polling=FAST)


def test_second_job_queues_until_the_first_frees_the_replica(
    make_pr: Any, prs: Any, job_client: Any, wait_for_job: Any
) -> None:
    resource = make_pr(pool(1))
    first = job_client.create_custom_job(
        parent=PARENT, custom_job=on_resource(resource, "import time; time.sleep(2)")
    )
    wait_for_job(first.name, JobState.JOB_STATE_RUNNING)
    assert prs.get_persistent_resource(name=resource.name).resource_pools[0].used_replica_count == 1

    second = job_client.create_custom_job(parent=PARENT, custom_job=on_resource(resource, "1"))
    time.sleep(0.5)  # a few monitor polls: it must still wait
    assert job_client.get_custom_job(name=second.name).state == JobState.JOB_STATE_QUEUED

    done_first = wait_for_job(first.name)
    done_second = wait_for_job(second.name)
    assert done_first.state == done_second.state == JobState.JOB_STATE_SUCCEEDED
    assert done_second.start_time >= done_first.end_time
    assert prs.get_persistent_resource(name=resource.name).resource_pools[0].used_replica_count == 0


def test_delete_cancels_the_jobs_running_on_the_resource_first(
    make_pr: Any, prs: Any, job_client: Any, wait_for_job: Any
) -> None:
    resource = make_pr(pool(1))
    running = job_client.create_custom_job(
        parent=PARENT, custom_job=on_resource(resource, "import time; time.sleep(120)")
    )
    queued = job_client.create_custom_job(parent=PARENT, custom_job=on_resource(resource, "1"))
    wait_for_job(running.name, JobState.JOB_STATE_RUNNING)
    prs.delete_persistent_resource(name=resource.name).result(timeout=60, polling=FAST)
    for job in (running, queued):
        assert job_client.get_custom_job(name=job.name).state == JobState.JOB_STATE_CANCELLED
    with pytest.raises(exceptions.NotFound):
        prs.get_persistent_resource(name=resource.name)


def test_resources_and_operations_survive_a_restart(tmp_path: Any, docker_client: Any) -> None:
    rid = new_id()
    name = f"{PARENT}/persistentResources/{rid}"
    with EmulatorServer(tmp_path, rest_port=None, persistent_resource_delay=0.3) as first:
        backend = first.persistent_resources
        assert backend is not None
        op = backend.create_persistent_resource(
            PARENT, PersistentResource(resource_pools=[pool(2)]), rid
        )
    with EmulatorServer(tmp_path, rest_port=None, persistent_resource_delay=0.3) as second:
        backend = second.persistent_resources
        assert backend is not None
        deadline = time.monotonic() + 20
        while not backend.get_operation(op.name).done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert backend.get_persistent_resource(name).state == State.RUNNING
        assert backend.get_persistent_resource(name).resource_pools[0].replica_count == 2


# -- REST: the REST transport and the high-level SDK ------------------------------------


@pytest.fixture
def rest_prs(emulator: Any) -> aiplatform_v1.PersistentResourceServiceClient:
    return aiplatform_v1.PersistentResourceServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint="http://" + emulator.rest_address),
    )


def test_rest_client_creates_scales_reboots_and_deletes(rest_prs: Any) -> None:
    rid = new_id()
    resource = rest_prs.create_persistent_resource(
        parent=PARENT, persistent_resource_id=rid, persistent_resource={"resource_pools": [pool()]}
    ).result(timeout=30, polling=FAST)
    assert resource.state == State.RUNNING
    resource.resource_pools[0].replica_count = 3
    scaled = rest_prs.update_persistent_resource(
        persistent_resource=resource,
        update_mask=field_mask_pb2.FieldMask(paths=["resource_pools.replica_count"]),
    ).result(timeout=30, polling=FAST)
    assert scaled.resource_pools[0].replica_count == 3
    with pytest.raises(exceptions.BadRequest, match="'labels' cannot be updated"):
        rest_prs.update_persistent_resource(
            persistent_resource=resource, update_mask=field_mask_pb2.FieldMask(paths=["labels"])
        )
    rebooted = rest_prs.reboot_persistent_resource(name=resource.name).result(
        timeout=30, polling=FAST
    )
    assert rebooted.state == State.RUNNING
    assert [
        r.name for r in rest_prs.list_persistent_resources(parent=PARENT) if r.name == resource.name
    ]
    rest_prs.delete_persistent_resource(name=resource.name).result(timeout=30, polling=FAST)
    with pytest.raises(exceptions.NotFound):
        rest_prs.get_persistent_resource(name=resource.name)


def test_high_level_sdk_persistent_resource_over_rest(emulator: Any) -> None:
    saved = dict(initializer.global_config.__dict__)
    aiplatform.init(
        project="test-project",
        location="us-central1",
        api_transport="rest",
        api_endpoint="http://" + emulator.rest_address,
        credentials=AnonymousCredentials(),
    )
    try:
        rid = new_id()
        resource = SdkPersistentResource.create(
            persistent_resource_id=rid,
            resource_pools=[aiplatform_v1.ResourcePool(machine_spec=MACHINE, replica_count=2)],
            labels={"via": "sdk"},
        )
        assert resource.state == State.RUNNING
        assert type(resource.api_client.transport).__name__ == (
            "PersistentResourceServiceRestTransport"
        )
        fetched = SdkPersistentResource(rid)
        assert fetched.labels == {"via": "sdk"}
        assert rid in [r.name for r in SdkPersistentResource.list()]
        fetched.delete()
        with pytest.raises(exceptions.NotFound):
            SdkPersistentResource(rid)
    finally:
        initializer.global_config.__dict__.clear()
        initializer.global_config.__dict__.update(saved)


# -- edge cases, through the client and the scheduler seam ---------------------------


def test_update_refuses_to_shrink_below_the_replicas_jobs_use(
    emulator: Any, make_pr: Any, prs: Any
) -> None:
    resource = make_pr(pool(2))
    scheduler = emulator.persistent_resources
    job = aiplatform_v1.CustomJob(on_resource(resource, "1"))
    job.job_spec.worker_pool_specs[0].replica_count = 2
    job.name = f"{PARENT}/customJobs/999{uuid.uuid4().int % 10**6}"
    scheduler.admit(job)
    assert scheduler.claim(job) is True
    assert prs.get_persistent_resource(name=resource.name).resource_pools[0].used_replica_count == 2

    resource.resource_pools[0].replica_count = 1
    mask = field_mask_pb2.FieldMask(paths=["resource_pools.replica_count"])
    with pytest.raises(exceptions.FailedPrecondition, match="jobs use 2 replicas"):
        prs.update_persistent_resource(persistent_resource=resource, update_mask=mask)
    scheduler.release(job)
    shrunk = prs.update_persistent_resource(persistent_resource=resource, update_mask=mask)
    assert shrunk.result(timeout=30, polling=FAST).resource_pools[0].replica_count == 1


def test_update_is_refused_while_updating_and_abandoned_by_a_delete(make_pr: Any, prs: Any) -> None:
    resource = make_pr(pool(1))
    resource.resource_pools[0].replica_count = 2
    mask = field_mask_pb2.FieldMask(paths=["resource_pools.replica_count"])
    update = prs.update_persistent_resource(persistent_resource=resource, update_mask=mask)
    with pytest.raises(exceptions.FailedPrecondition, match="it is UPDATING"):
        prs.update_persistent_resource(persistent_resource=resource, update_mask=mask)
    prs.delete_persistent_resource(name=resource.name).result(timeout=30, polling=FAST)
    with pytest.raises(exceptions.Aborted, match="being deleted"):
        update.result(timeout=30, polling=FAST)


def test_list_refuses_a_page_token_it_did_not_issue(prs: Any) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="page_token"):
        prs.list_persistent_resources(request={"parent": PARENT, "page_token": "bogus"})
