"""CreateTrainingPipeline refuses bad input naming the field, and creates nothing.

Table-driven, through the official PipelineServiceClient over gRPC and the REST body
the SDK sends; no container runs (the emulator here has a runner without Docker).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
import requests
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1.services.job_service.transports import JobServiceGrpcTransport
from google.cloud.aiplatform_v1.services.pipeline_service.transports import (
    PipelineServiceGrpcTransport,
)

from tests.emulator.training_pipelines.support import fake_emulator, pipeline

PARENT = "projects/pl-validation/locations/us-central1"
INPUTS = "training_pipeline.training_task_inputs"
POOL0 = f"{INPUTS}.worker_pool_specs[0]"

Mutation = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with fake_emulator(tmp_path_factory.mktemp("pl-validation")) as server:
        yield server


@pytest.fixture(scope="module")
def clients(emulator_server: Any) -> Iterator[tuple[Any, Any]]:
    address = emulator_server.grpc_address
    channel = grpc.insecure_channel(address)
    pipelines = aiplatform_v1.PipelineServiceClient(
        transport=PipelineServiceGrpcTransport(channel=channel, host=address)
    )
    jobs = aiplatform_v1.JobServiceClient(
        transport=JobServiceGrpcTransport(channel=channel, host=address)
    )
    yield pipelines, jobs
    channel.close()


def _pool(body: dict[str, Any]) -> dict[str, Any]:
    pool: dict[str, Any] = body["training_task_inputs"]["worker_pool_specs"][0]
    return pool


def _at(body: dict[str, Any], path: str) -> tuple[Any, str]:
    *parents, leaf = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    return target, leaf


def _set(path: str, value: Any) -> Mutation:
    """Set a dotted path (``training_task_inputs.worker_pool_specs.0.replica_count``)."""

    def mutate(body: dict[str, Any]) -> None:
        target, leaf = _at(body, path)
        target[leaf] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        target, leaf = _at(body, path)
        del target[leaf]

    return mutate


TP = "training_pipeline"
WP0 = "training_task_inputs.worker_pool_specs.0"
MODEL = f"{TP}.model_to_upload"

CASES: list[tuple[str, Mutation, str]] = [
    ("no display name", _set("display_name", " "), f"{TP}.display_name"),
    ("long display name", _set("display_name", "x" * 129), f"{TP}.display_name"),
    ("bad label", _set("labels", {"Team": "a"}), f"{TP}.labels"),
    ("bad kms key", _set("encryption_spec", {"kms_key_name": "k"}),
     f"{TP}.encryption_spec.kms_key_name"),
    ("no inputs", _drop("training_task_inputs"), INPUTS),
    ("inputs not an object", _set("training_task_inputs", [1.0]), INPUTS),
    ("unknown key", _set("training_task_inputs.workers", []), f"{INPUTS}.workers"),
    ("fractional replicas", _set(f"{WP0}.replica_count", 1.5), f"{POOL0}.replica_count"),
    ("object for a string", _set(f"{WP0}.machine_spec", {"machine_type": {"a": 1.0}}),
     f"{POOL0}.machine_spec.machine_type"),
    ("list for an object", _set(f"{WP0}.machine_spec", []), f"{POOL0}.machine_spec"),
    ("no pools", _set("training_task_inputs.worker_pool_specs", []),
     f"{INPUTS}.worker_pool_specs"),
    ("bad machine type (CustomJob rule)", _set(f"{WP0}.machine_spec.machine_type", "N1 x"),
     f"{POOL0}.machine_spec.machine_type"),
    ("two primary replicas (CustomJob rule)", _set(f"{WP0}.replica_count", 2.0),
     f"{POOL0}.replica_count"),
    ("no image (CustomJob rule)", _drop(f"{WP0}.containerSpec.imageUri"),
     f"{POOL0}.container_spec.image_uri"),
    ("bad output dir (CustomJob rule)",
     _set("training_task_inputs.base_output_directory.output_uri_prefix", "/x"),
     f"{INPUTS}.base_output_directory.output_uri_prefix"),
    ("model without output dir", _drop("training_task_inputs.base_output_directory"),
     f"{INPUTS}.base_output_directory"),
    ("model without display name", _drop("model_to_upload.display_name"),
     f"{MODEL}.display_name"),
    ("model without container", _drop("model_to_upload.container_spec"),
     f"{MODEL}.container_spec.image_uri"),
    ("model bad artifact uri", _set("model_to_upload.artifact_uri", "/tmp/m"),
     f"{MODEL}.artifact_uri"),
    ("model bad alias", _set("model_to_upload.version_aliases", ["Golden"]),
     f"{MODEL}.version_aliases[0]"),
    ("model alias twice", _set("model_to_upload.version_aliases", ["a1", "a1"]),
     f"{MODEL}.version_aliases[1]"),
    ("model bad label", _set("model_to_upload.labels", {"k": "V"}), f"{MODEL}.labels"),
    ("bad model id", _set("model_id", "1model"), f"{TP}.model_id"),
    ("versioned parent model", _set("parent_model", f"{PARENT}/models/1@2"), f"{TP}.parent_model"),
    ("parent model elsewhere",
     _set("parent_model", "projects/other/locations/us-central1/models/1"), f"{TP}.parent_model"),
    ("model id without model",
     lambda b: (b.pop("model_to_upload"), b.__setitem__("model_id", "m")), f"{TP}.model_id"),
    ("no task definition", _drop("training_task_definition"), f"{TP}.training_task_definition"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "path"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_pipeline_is_refused_naming_the_field(
    clients: tuple[Any, Any], mutate: Mutation, path: str
) -> None:
    pipelines, jobs = clients
    body = copy.deepcopy(pipeline())
    mutate(body)
    with pytest.raises(exceptions.InvalidArgument) as info:
        pipelines.create_training_pipeline(parent=PARENT, training_pipeline=body)
    assert path in info.value.message, info.value.message
    assert list(pipelines.list_training_pipelines(parent=PARENT)) == []
    assert list(jobs.list_custom_jobs(parent=PARENT)) == []


def test_every_violation_is_reported_at_once(clients: tuple[Any, Any]) -> None:
    pipelines, _ = clients
    body = pipeline(display_name="")
    _pool(body)["machine_spec"] = {"machine_type": "BAD"}
    body["model_to_upload"]["version_aliases"] = ["-x"]
    with pytest.raises(exceptions.InvalidArgument) as info:
        pipelines.create_training_pipeline(parent=PARENT, training_pipeline=body)
    message = info.value.message
    for path in (
        "training_pipeline.display_name",
        f"{POOL0}.machine_spec.machine_type",
        "training_pipeline.model_to_upload.version_aliases[0]",
    ):
        assert path in message


@pytest.mark.parametrize(
    "definition",
    [
        "gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_tabular_1.0.0.yaml",
        "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_2.0.0.yaml",
    ],
)
def test_other_task_definitions_are_unimplemented_naming_them(
    clients: tuple[Any, Any], definition: str
) -> None:
    pipelines, _ = clients
    with pytest.raises(exceptions.MethodNotImplemented, match=r"automl_tabular|custom_task_2"):
        pipelines.create_training_pipeline(
            parent=PARENT, training_pipeline=pipeline(training_task_definition=definition)
        )


def test_input_data_config_is_unimplemented(clients: tuple[Any, Any]) -> None:
    pipelines, _ = clients
    body = pipeline(input_data_config={"dataset_id": "123"})
    with pytest.raises(exceptions.MethodNotImplemented, match="input_data_config"):
        pipelines.create_training_pipeline(parent=PARENT, training_pipeline=body)


def test_rest_body_as_the_sdk_sends_it_is_accepted_numbers_in_args_too(
    emulator_server: Any, clients: tuple[Any, Any]
) -> None:
    pipelines, jobs = clients
    parent = "projects/pl-rest/locations/us-central1"
    body = {
        "displayName": "tp",
        "trainingTaskDefinition": pipeline()["training_task_definition"],
        "modelToUpload": {
            "containerSpec": {"imageUri": "serve:latest"},
            "displayName": "tp-model",
            "versionAliases": ["default"],
        },
        "trainingTaskInputs": {
            "base_output_directory": {"output_uri_prefix": "gs://out-bkt/run1"},
            "worker_pool_specs": [
                {
                    "containerSpec": {
                        "args": ["--x", 1.0, "--lr", 0.5],
                        "command": ["python", "train.py"],
                        "imageUri": "local/train:1",
                    },
                    "disk_spec": {"boot_disk_size_gb": 100.0, "boot_disk_type": "pd-ssd"},
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1.0,
                },
                {},
            ],
            "scheduling": {"timeout": "3600s"},
        },
    }
    url = f"http://{emulator_server.rest_address}/v1/{parent}/trainingPipelines"
    answer = requests.post(url + "?%24alt=json%3Benum-encoding%3Dint", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    created = answer.json()
    assert created["state"] == 1  # PIPELINE_STATE_QUEUED, as an integer when asked so
    assert created["trainingTaskInputs"] == body["trainingTaskInputs"]  # echoed as sent
    job = jobs.get_custom_job(name=created["trainingTaskMetadata"]["backingCustomJob"])
    pool = job.job_spec.worker_pool_specs[0]
    assert list(pool.container_spec.args) == ["--x", "1", "--lr", "0.5"]
    assert pool.replica_count == 1
    assert len(job.job_spec.worker_pool_specs) == 2
    assert job.job_spec.scheduling.timeout.total_seconds() == 3600
    pipelines.cancel_training_pipeline(name=created["name"])


@pytest.mark.parametrize(
    "name",
    [
        f"{PARENT}/trainingPipelines/abc",
        f"{PARENT}/trainingPipelines/1\n",
        f"{PARENT}/trainingPipelines/\u0661",  # str.isdigit() is True for it
        "projects/../locations/us-central1/trainingPipelines/1",
    ],
)
def test_bad_names_are_invalid(clients: tuple[Any, Any], name: str) -> None:
    pipelines, _ = clients
    with pytest.raises(exceptions.InvalidArgument, match="not a valid TrainingPipeline name"):
        pipelines.get_training_pipeline(name=name)
    with pytest.raises(exceptions.InvalidArgument):
        pipelines.cancel_training_pipeline(name=name)


def test_display_name_with_a_control_character_is_refused(clients: tuple[Any, Any]) -> None:
    pipelines, _ = clients
    for body in (
        pipeline(display_name="a\x1b[31mb"),
        pipeline(model={"display_name": "m\n", "container_spec": {"image_uri": "s"}}),
    ):
        with pytest.raises(exceptions.InvalidArgument, match="control character"):
            pipelines.create_training_pipeline(parent=PARENT, training_pipeline=body)


def test_unknown_names_are_not_found(clients: tuple[Any, Any]) -> None:
    pipelines, _ = clients
    with pytest.raises(exceptions.NotFound):
        pipelines.get_training_pipeline(name=f"{PARENT}/trainingPipelines/999999")
