"""TrainingPipeline rules (spec/training_pipeline.py), and agreement with the emulator.

The CustomJobSpec inside goes through normalize_custom_job, its failures re-pathed under
``training_task_inputs``; what check() accepts, the emulator's CreateTrainingPipeline
validation accepts too (run here on the proto the provider would send), and where both
refuse they blame the same field.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud.aiplatform_v1 import TrainingPipeline

from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.training_pipelines import validation as emulator_rules
from pulumi_vertex_training.spec import (
    CUSTOM_TASK_DEFINITION,
    UNKNOWN,
    ContainerSpecArgs,
    CustomJobSpecArgs,
    GcsDestinationArgs,
    MachineSpecArgs,
    ModelArgs,
    ModelContainerSpecArgs,
    TrainingPipelineArgs,
    WorkerPoolSpecArgs,
    normalize_training_pipeline,
    training_pipeline_to_proto,
)
from tests.unit.spec.spec_cases import DELETE, mutate

PARENT = "projects/p/locations/us-central1"
POOL0 = "training_task_inputs.worker_pool_specs[0]"


def make_pipeline() -> dict[str, Any]:
    return {
        "display_name": "train",
        "training_task_inputs": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "us-docker.pkg.dev/p/r/trainer:1"},
                }
            ],
            "base_output_directory": {"output_uri_prefix": "gs://out-bkt/runs/1"},
        },
        "model_to_upload": {"display_name": "model", "container_spec": {"image_uri": "serve:1"}},
    }


CASES: list[tuple[str, str, Any, str, str]] = [
    ("no display name", "display_name", DELETE, "display_name", "required"),
    ("long display name", "display_name", "x" * 129, "display_name", "128"),
    ("no inputs", "training_task_inputs", DELETE, "training_task_inputs", "required"),
    ("no pools", "training_task_inputs.worker_pool_specs", [],
     "training_task_inputs.worker_pool_specs", "required"),
    ("machine type", f"{POOL0}.machine_spec.machine_type", "N1",
     f"{POOL0}.machine_spec.machine_type", "lowercase"),
    ("primary replicas", f"{POOL0}.replica_count", 2, f"{POOL0}.replica_count", "must be 1"),
    ("no image", f"{POOL0}.container_spec.image_uri", DELETE,
     f"{POOL0}.container_spec.image_uri", "required"),
    ("output not gs", "training_task_inputs.base_output_directory.output_uri_prefix", "/out",
     "training_task_inputs.base_output_directory.output_uri_prefix", "gs://"),
    ("no output dir with a model", "training_task_inputs.base_output_directory", DELETE,
     "training_task_inputs.base_output_directory", "AIP_MODEL_DIR"),
    ("model without image", "model_to_upload.container_spec", DELETE,
     "model_to_upload.container_spec.image_uri", "required"),
    ("model without name", "model_to_upload.display_name", DELETE,
     "model_to_upload.display_name", "required"),
    ("model alias", "model_to_upload.version_aliases", ["v_1"],
     "model_to_upload.version_aliases[0]", "alias"),
    ("model artifact", "model_to_upload.artifact_uri", "s3://m", "model_to_upload.artifact_uri",
     "gs://"),
    ("model label", "model_to_upload.labels", {"k": "V"}, 'model_to_upload.labels["k"]',
     "lowercase"),
    ("model id", "model_id", "-m", "model_id", "model id"),
    ("parent model", "parent_model", "models/1", "parent_model", "projects/"),
    ("label", "labels", {"a b": "c"}, 'labels["a b"]', "may contain"),
    ("kms", "encryption_spec", {"kms_key_name": "key"}, "encryption_spec.kms_key_name",
     "projects/"),
    ("unknown field", "training_task_definition", "gs://x", "training_task_definition",
     "unknown field"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "blamed", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_pipeline_is_refused_at_the_field(
    path: str, value: Any, blamed: str, reason: str
) -> None:
    result = normalize_training_pipeline(mutate(make_pipeline(), path, value))
    assert [f.path for f in result.failures] == [blamed], result.failures
    assert reason in result.failures[0].message


def test_model_id_and_parent_model_need_a_model_to_upload() -> None:
    body = {k: v for k, v in make_pipeline().items() if k != "model_to_upload"}
    result = normalize_training_pipeline({**body, "model_id": "m", "parent_model": PARENT})
    assert sorted(f.path for f in result.failures) == ["model_id", "parent_model"]


def test_artifact_uri_replaces_the_output_dir_requirement() -> None:
    body = mutate(make_pipeline(), "training_task_inputs.base_output_directory", DELETE)
    body["model_to_upload"]["artifact_uri"] = "gs://models-bkt/m"
    assert normalize_training_pipeline(body).ok
    no_model = {k: v for k, v in body.items() if k != "model_to_upload"}
    assert normalize_training_pipeline(no_model).ok


def test_typed_args_and_camel_case_normalize_alike_with_job_defaults() -> None:
    typed = normalize_training_pipeline(
        TrainingPipelineArgs(
            display_name="train",
            training_task_inputs=CustomJobSpecArgs(
                worker_pool_specs=[
                    WorkerPoolSpecArgs(
                        machine_spec=MachineSpecArgs(machine_type="n1-standard-4"),
                        container_spec=ContainerSpecArgs(image_uri="img:1", args=["--x", 1]),
                    )
                ],
                base_output_directory=GcsDestinationArgs(output_uri_prefix="gs://out-bkt/r"),
            ),
            model_to_upload=ModelArgs(
                display_name="m", container_spec=ModelContainerSpecArgs(image_uri="serve:1")
            ),
        )
    )
    camel = normalize_training_pipeline(
        {
            "displayName": "train",
            "trainingTaskInputs": {
                "workerPoolSpecs": [
                    {
                        "machineSpec": {"machineType": "n1-standard-4"},
                        "replicaCount": "1",
                        "containerSpec": {"imageUri": "img:1", "args": ["--x", "1"]},
                    }
                ],
                "baseOutputDirectory": {"outputUriPrefix": "gs://out-bkt/r"},
            },
            "modelToUpload": {"displayName": "m", "containerSpec": {"imageUri": "serve:1"}},
        }
    )
    assert typed.ok and camel.ok, (typed.failures, camel.failures)
    assert typed.value == camel.value
    assert typed.value["training_task_inputs"]["worker_pool_specs"][0]["replica_count"] == 1


def test_unknown_inputs_are_kept_and_skip_their_checks() -> None:
    result = normalize_training_pipeline({**make_pipeline(), "training_task_inputs": UNKNOWN})
    assert result.ok
    assert result.value["training_task_inputs"] is UNKNOWN


def _emulator_verdict(canonical: dict[str, Any]) -> str:
    proto = TrainingPipeline.pb(training_pipeline_to_proto(canonical))
    try:
        emulator_rules.validate_training_pipeline(proto, PARENT)
    except InvalidArgument as err:
        return err.message
    return ""


def test_what_check_accepts_the_emulator_accepts() -> None:
    result = normalize_training_pipeline(make_pipeline())
    assert result.ok
    proto = training_pipeline_to_proto(result.value)
    assert proto.training_task_definition == CUSTOM_TASK_DEFINITION
    assert _emulator_verdict(result.value) == ""


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (f"{POOL0}.machine_spec.machine_type", "N1", f"{POOL0}.machine_spec.machine_type"),
        (f"{POOL0}.replica_count", 2, f"{POOL0}.replica_count"),
        ("model_to_upload.version_aliases", ["V1"], "model_to_upload.version_aliases[0]"),
        ("model_id", "-m", "model_id"),
        ("labels", {"K": "v"}, "labels"),
        ("training_task_inputs.base_output_directory", DELETE,
         "training_task_inputs.base_output_directory"),
    ],
)  # fmt: skip
def test_check_and_the_emulator_refuse_at_the_same_field(path: str, value: Any, field: str) -> None:
    body = mutate(make_pipeline(), path, value)
    result = normalize_training_pipeline(body)
    assert any(f.path.startswith(field) for f in result.failures), result.failures
    # The canonical value keeps the refused values: it is what would be sent without check().
    message = _emulator_verdict(result.value)
    assert f"training_pipeline.{field}" in message, message


def test_the_job_specs_warnings_come_back_under_training_task_inputs() -> None:
    raw = make_pipeline()
    raw["training_task_inputs"]["worker_pool_specs"][0]["machine_spec"] = {
        "machine_type": "zz-fake-9"
    }
    normalized = normalize_training_pipeline(raw)
    assert not normalized.failures
    assert [w.path for w in normalized.warnings] == [f"{POOL0}.machine_spec.machine_type"]


def test_an_empty_artifact_uri_is_none_and_needs_the_output_directory() -> None:
    raw = make_pipeline()
    del raw["training_task_inputs"]["base_output_directory"]
    raw["model_to_upload"]["artifact_uri"] = ""
    paths = [f.path for f in normalize_training_pipeline(raw).failures]
    assert paths == ["training_task_inputs.base_output_directory"]
