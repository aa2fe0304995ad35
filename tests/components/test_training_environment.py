"""TrainingEnvironment under ProgramRunner with pulumi-gcp mocked (it cannot run here):
the graph and its parents, each role on the right member and resource, the
dependencies (peering after its range, jobs after the environment and deleted
before the peering), the output shapes, argument errors, and the missing extra."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

pytest.importorskip("pulumi_gcp", reason="the gcp extra: pip install -e '.[gcp]'")

import pulumi_vertex_training as vt
from pulumi_vertex_training.components.environment_args import (
    parse_network,
)
from pulumi_vertex_training.testing import ProgramRunner
from tests.components.gcp_mocks import RecordingCalls, gcp_mock_resource

OUTPUTS = ("service_account", "network", "reserved_ip_ranges", "repository", "staging_bucket")
COMPONENT = "vertex:components:TrainingEnvironment"
EMAIL = "train-env-jobs@my-project.iam.gserviceaccount.com"


def environment_program(job: bool = False, **kwargs: Any) -> Callable[[], None]:
    """A program declaring ``TrainingEnvironment("train-env", ...)``, exporting its outputs
    and, with ``job``, a mocked job that takes none of them but ``env.job_options()``."""

    def program() -> None:
        args = {"project": "my-project", "region": "us-central1", **kwargs}
        env = vt.TrainingEnvironment("train-env", **args)
        for key in OUTPUTS:
            pulumi.export(key, getattr(env, key))
        if job:
            pulumi.CustomResource("test:index:Job", "job", {"x": 1}, opts=env.job_options())

    return program


def run(program: Callable[[], None], calls: RecordingCalls | None = None) -> ProgramRunner:
    stack = ProgramRunner(
        program,
        project="envtest",
        stack="dev",
        mock_resource=gcp_mock_resource,
        mock_call=calls or RecordingCalls(),
    )
    stack.up()
    return stack


def by_name(stack: ProgramRunner) -> dict[str, dict[str, Any]]:
    return stack.resources()


def dependency_names(resource: dict[str, Any]) -> set[str]:
    return {urn.rsplit("::", 1)[1] for urn in resource["dependencies"]}


def test_every_child_is_parented_to_the_component_when_peering_is_created() -> None:
    stack = run(environment_program(create_peering=True))
    resources = by_name(stack)
    types = {name: r["type"] for name, r in resources.items()}
    assert types == {
        "train-env": COMPONENT,
        "train-env-sa": "gcp:serviceaccount/account:Account",
        "train-env-aiplatform-user": "gcp:projects/iAMMember:IAMMember",
        "train-env-log-writer": "gcp:projects/iAMMember:IAMMember",
        "train-env-bucket": "gcp:storage/bucket:Bucket",
        "train-env-bucket-object-admin": "gcp:storage/bucketIAMMember:BucketIAMMember",
        "train-env-repository": "gcp:artifactregistry/repository:Repository",
        "train-env-repository-reader": (
            "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
        ),
        "train-env-network": "gcp:compute/network:Network",
        "train-env-peering-range": "gcp:compute/globalAddress:GlobalAddress",
        "train-env-peering": "gcp:servicenetworking/connection:Connection",
    }
    component_urn = (
        "urn:pulumi:dev::envtest::pulumi:pulumi:Stack$vertex:components:TrainingEnvironment"
        "::train-env"
    )
    for name, resource in resources.items():
        if name != "train-env":
            assert resource["parent"] == component_urn, name


def test_each_role_is_bound_to_the_job_account_on_its_resource() -> None:
    stack = run(environment_program())
    resources = by_name(stack)
    member = f"serviceAccount:{EMAIL}"
    project_roles = {
        r["inputs"]["role"]: r["inputs"] for r in stack.resources("iAMMember:IAMMember").values()
    }
    assert set(project_roles) == {"roles/aiplatform.user", "roles/logging.logWriter"}
    for inputs in project_roles.values():
        assert inputs["member"] == member
        assert inputs["project"] == "my-project"
    bucket = resources["train-env-bucket-object-admin"]["inputs"]
    assert bucket == {
        "bucket": "my-project-train-env-staging",
        "member": member,
        "role": "roles/storage.objectAdmin",
    }
    repository = resources["train-env-repository-reader"]["inputs"]
    assert repository == {
        "location": "us-central1",
        "member": member,
        "project": "my-project",
        "repository": "train-env-images",
        "role": "roles/artifactregistry.reader",
    }
    assert resources["train-env-sa"]["inputs"]["accountId"] == "train-env-jobs"


def test_bucket_and_repository_are_regional_with_uniform_access() -> None:
    stack = run(environment_program(force_destroy=True, labels={"team": "ml"}))
    resources = by_name(stack)
    bucket = resources["train-env-bucket"]["inputs"]
    assert bucket["location"] == "US-CENTRAL1"
    assert bucket["uniformBucketLevelAccess"] is True
    assert bucket["forceDestroy"] is True
    assert bucket["labels"] == {"team": "ml"}
    repository = resources["train-env-repository"]["inputs"]
    assert repository["format"] == "DOCKER"
    assert repository["location"] == "us-central1"
    assert repository["repositoryId"] == "train-env-images"


def test_outputs_are_shaped_for_jobs_when_peering_is_created() -> None:
    calls = RecordingCalls()
    stack = run(environment_program(create_peering=True), calls)
    assert stack.outputs == {
        "service_account": EMAIL,
        "network": "projects/123456789012/global/networks/train-env-vpc",
        "reserved_ip_ranges": ["train-env-vertex-peering"],
        "repository": "us-central1-docker.pkg.dev/my-project/train-env-images",
        "staging_bucket": "gs://my-project-train-env-staging",
    }
    assert ("gcp:organizations/getProject:getProject", {"projectId": "my-project"}) in (calls.calls)


def test_peering_reserves_an_internal_range_and_connects_it_to_service_networking() -> None:
    stack = run(environment_program(create_peering=True, peering_range_prefix_length=20))
    resources = by_name(stack)
    network = resources["train-env-network"]["inputs"]
    assert network["name"] == "train-env-vpc"
    assert network["autoCreateSubnetworks"] is False
    address = resources["train-env-peering-range"]
    assert address["inputs"] == {
        "addressType": "INTERNAL",
        "name": "train-env-vertex-peering",
        "network": "projects/my-project/global/networks/train-env-vpc",
        "prefixLength": 20,
        "project": "my-project",
        "purpose": "VPC_PEERING",
    }
    connection = resources["train-env-peering"]
    assert connection["inputs"] == {
        "network": "projects/my-project/global/networks/train-env-vpc",
        "reservedPeeringRanges": ["train-env-vertex-peering"],
        "service": "servicenetworking.googleapis.com",
    }
    assert dependency_names(connection) == {"train-env-peering-range", "train-env-network"}
    assert dependency_names(address) == {"train-env-network"}


def test_jobs_on_job_options_are_created_after_and_deleted_before_the_peering() -> None:
    stack = run(environment_program(create_peering=True, job=True))
    job = by_name(stack)["job"]
    assert dependency_names(job) == {
        "train-env-peering",
        "train-env-aiplatform-user",
        "train-env-log-writer",
        "train-env-bucket-object-admin",
        "train-env-repository-reader",
    }
    deleted = [name for op, name in stack.destroy().ops() if op == "delete"]
    for dependency in dependency_names(job) | {"train-env-peering-range", "train-env-sa"}:
        assert deleted.index("job") < deleted.index(dependency), dependency
    assert deleted.index("train-env-peering") < deleted.index("train-env-peering-range")
    assert deleted.index("train-env-peering") < deleted.index("train-env-network")
    assert stack.state["resources"] == {}


def test_children_of_a_component_on_job_options_are_deleted_before_the_peering() -> None:
    # how vt.TrainingJob(opts=env.job_options()) behaves: its children follow it
    def program() -> None:
        env = vt.TrainingEnvironment(
            "train-env", project="my-project", region="us-central1", create_peering=True
        )
        parent = pulumi.ComponentResource("test:index:Jobs", "jobs", None, env.job_options())
        pulumi.CustomResource(
            "test:index:Job", "child", {"x": 1}, pulumi.ResourceOptions(parent=parent)
        )

    stack = run(program)
    assert "train-env-peering" in dependency_names(by_name(stack)["jobs"])
    deleted = [name for op, name in stack.destroy().ops() if op == "delete"]
    assert deleted.index("child") < deleted.index("jobs") < deleted.index("train-env-peering")


def test_outputs_carry_the_resources_a_job_needs_when_passed_as_inputs() -> None:
    def program() -> None:
        env = vt.TrainingEnvironment(
            "train-env", project="my-project", region="us-central1", create_peering=True
        )
        pulumi.CustomResource(
            "test:index:Job",
            "job",
            {"network": env.network, "service_account": env.service_account},
        )

    job = by_name(run(program))["job"]
    assert {"train-env-peering", "train-env-aiplatform-user", "train-env-log-writer"} <= (
        dependency_names(job)
    )


def test_existing_network_in_a_host_project_is_peered_without_creating_a_vpc() -> None:
    calls = RecordingCalls()
    link = "https://www.googleapis.com/compute/v1/projects/host-project/global/networks/shared"
    stack = run(environment_program(network=link, create_peering=True), calls)
    resources = by_name(stack)
    assert "train-env-network" not in resources
    path = "projects/host-project/global/networks/shared"
    assert resources["train-env-peering-range"]["inputs"]["network"] == path
    assert resources["train-env-peering"]["inputs"]["network"] == path
    assert stack.outputs["network"] == "projects/210987654321/global/networks/shared"
    assert ("gcp:organizations/getProject:getProject", {"projectId": "host-project"}) in (
        calls.calls
    )


def test_given_project_number_is_used_without_a_lookup_when_the_network_is_peered() -> None:
    calls = RecordingCalls()
    stack = run(environment_program(network="my-vpc", project_number=42), calls)
    resources = by_name(stack)
    assert not stack.resources("GlobalAddress") and not stack.resources("Connection")
    assert "train-env-network" not in resources
    assert stack.outputs["network"] == "projects/42/global/networks/my-vpc"
    assert stack.outputs.get("reserved_ip_ranges") is None
    assert calls.calls == []


def test_no_network_and_no_peering_when_neither_is_asked_for() -> None:
    calls = RecordingCalls()
    stack = run(environment_program(), calls)
    assert not stack.resources("Network") and not stack.resources("Connection")
    assert stack.outputs.get("network") is None
    assert stack.outputs.get("reserved_ip_ranges") is None
    assert calls.calls == []


def test_custom_ids_name_the_account_bucket_and_repository() -> None:
    stack = run(
        environment_program(
            service_account_id="vertex-runner",
            bucket_name="my-staging.example",
            repository_id="images",
        )
    )
    assert stack.outputs["service_account"] == "vertex-runner@my-project.iam.gserviceaccount.com"
    assert stack.outputs["staging_bucket"] == "gs://my-staging.example"
    assert stack.outputs["repository"] == "us-central1-docker.pkg.dev/my-project/images"


def test_lookup_without_a_project_number_fails_naming_the_project() -> None:
    program = environment_program(create_peering=True)
    stack = ProgramRunner(
        program,
        project="envtest",
        mock_resource=gcp_mock_resource,
        mock_call=RecordingCalls({"my-project": "my-project"}),
    )
    with pytest.raises(Exception, match=r"project_number: 'my-project' for project 'my-project'"):
        stack.up()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"project": ""}, r"project: '' must be a project id"),
        ({"region": "central"}, r"region: 'central' must be a region such as us-central1"),
        ({"peering_range_prefix_length": 28}, r"peering_range_prefix_length: 28 is not allowed"),
        (
            {"peering_range_prefix_length": "16"},
            r"peering_range_prefix_length: '16' must be an int",
        ),
        ({"service_account_id": "sa"}, r"service_account_id: 'sa' must be 6-30 characters"),
        ({"bucket_name": "Bad_Bucket"}, r"bucket_name: 'Bad_Bucket' must be 3-63 characters"),
        ({"repository_id": "Images"}, r"repository_id: 'Images' must be 1-63 characters"),
        ({"network": "a/b"}, r"network: 'a/b' is not a VPC network"),
        ({"project_number": "my-project"}, r"project_number: 'my-project' must be the project's"),
    ],
)
def test_bad_argument_is_refused_before_anything_registers_when_given(
    kwargs: dict[str, Any], message: str
) -> None:
    args = {"project": "my-project", "region": "us-central1", **kwargs}
    with pytest.raises(ValueError, match=message):
        vt.TrainingEnvironment("train-env", **args)


def test_every_bad_argument_is_reported_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        vt.TrainingEnvironment(
            "train-env", project="p", region="us-central1", bucket_name="B", repository_id="R"
        )
    assert "bucket_name" in str(caught.value) and "repository_id" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "project", "name"),
    [
        ("vpc", None, "vpc"),
        ("projects/p/global/networks/vpc", "p", "vpc"),
        ("https://compute.googleapis.com/compute/v1/projects/p/global/networks/vpc", "p", "vpc"),
    ],
)
def test_network_is_parsed_from_name_path_or_self_link(
    value: str, project: str | None, name: str
) -> None:
    ref = parse_network(value)
    assert (ref.project, ref.name) == (project, name)


def test_import_without_the_gcp_extra_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pulumi_gcp", None)  # what "not installed" looks like
    monkeypatch.delitem(sys.modules, "pulumi_vertex_training.components.training_environment")
    package = importlib.import_module("pulumi_vertex_training")
    with pytest.raises(ImportError, match=r"pip install pulumi-vertex-training\[gcp\]"):
        package.TrainingEnvironment  # noqa: B018
    with pytest.raises(ImportError, match=r"pip install pulumi-vertex-training\[gcp\]"):
        from pulumi_vertex_training import TrainingEnvironment  # noqa: F401
    assert package.CustomJob is vt.CustomJob


@pytest.mark.docker
def test_custom_job_runs_with_the_environment_outputs_and_goes_before_the_peering(
    emulator: Any, job_client: Any
) -> None:
    def program() -> None:
        env = vt.TrainingEnvironment(
            "train-env", project="my-project", region="us-central1", create_peering=True
        )
        job = vt.CustomJob(
            "train",
            project="my-project",
            location="us-central1",
            job_spec={
                "worker_pool_specs": [
                    {
                        "machine_spec": {"machine_type": "n1-standard-4"},
                        "replica_count": 1,
                        "container_spec": {
                            "image_uri": "local/python:3.11",
                            "command": ["python", "-c", "print('in the environment')"],
                        },
                    }
                ],
                "service_account": env.service_account,
                "network": env.network,
                "reserved_ip_ranges": env.reserved_ip_ranges,
                "base_output_directory": {
                    "output_uri_prefix": env.staging_bucket.apply(lambda b: f"{b}/runs")
                },
            },
            wait="completed",
            opts=env.job_options(),
        )
        pulumi.export("job_name", job.id)
        pulumi.export("state", job.state)

    stack = run(program)
    assert stack.outputs["state"] == "JOB_STATE_SUCCEEDED"
    live = job_client.get_custom_job(name=stack.outputs["job_name"])
    assert live.job_spec.network == "projects/123456789012/global/networks/train-env-vpc"
    assert live.job_spec.service_account == EMAIL
    assert list(live.job_spec.reserved_ip_ranges) == ["train-env-vertex-peering"]
    assert live.job_spec.base_output_directory.output_uri_prefix == (
        "gs://my-project-train-env-staging/runs"
    )

    deleted = [name for op, name in stack.destroy().ops() if op == "delete"]
    assert deleted.index("train") < deleted.index("train-env-peering")
    assert deleted.index("train") < deleted.index("train-env-aiplatform-user")
    from pulumi_vertex_training.provider import custom_job_api

    assert custom_job_api.get_job(stack.outputs.get("job_name") or live.name) is None
