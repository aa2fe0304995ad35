"""Model rules, defaults and canonical form (spec/model.py): what vt.Model will check."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pulumi_vertex_training.spec import (
    UNKNOWN,
    ModelArgs,
    ModelContainerSpecArgs,
    PortArgs,
    model_to_proto,
    normalize_model,
)
from tests.unit.spec.spec_cases import DELETE, mutate

PARENT_MODEL = "projects/p/locations/us-central1/models/123"
KMS = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"


def make_model() -> dict[str, Any]:
    return {
        "display_name": "churn",
        "artifact_uri": "gs://models-bkt/churn/model",
        "container_spec": {"image_uri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn:1"},
    }


CASES: list[tuple[str, str, Any, str, str]] = [
    ("no display name", "display_name", DELETE, "display_name", "required"),
    ("blank display name", "display_name", "  ", "display_name", "blank"),
    ("long display name", "display_name", "x" * 129, "display_name", "128"),
    ("artifact not gs", "artifact_uri", "/tmp/model", "artifact_uri", "gs://"),
    ("container without image", "container_spec", {"command": ["serve"]},
     "container_spec.image_uri", "required"),
    ("image with spaces", "container_spec.image_uri", "a b", "container_spec.image_uri", "spaces"),
    ("bad env name", "container_spec.env", [{"name": "1X", "value": "v"}],
     "container_spec.env[0].name", "C identifier"),
    ("port zero", "container_spec.ports", [{"container_port": 0}],
     "container_spec.ports[0].container_port", "65535"),
    ("grpc port too big", "container_spec.grpc_ports", [{"container_port": 70000}],
     "container_spec.grpc_ports[0].container_port", "65535"),
    ("route without slash", "container_spec.predict_route", "predict",
     "container_spec.predict_route", "starting with /"),
    ("zero deployment timeout", "container_spec.deployment_timeout", "0s",
     "container_spec.deployment_timeout", "more than 0"),
    ("alias upper first", "version_aliases", ["Golden"], "version_aliases[0]", "alias"),
    ("alias one char", "version_aliases", ["a"], "version_aliases[0]", "alias"),
    ("alias ends with dash", "version_aliases", ["gold-"], "version_aliases[0]", "alias"),
    ("alias removal form", "version_aliases", ["-gold"], "version_aliases[0]", "alias"),
    ("alias twice", "version_aliases", ["gold", "gold"], "version_aliases[1]", "twice"),
    ("alias trailing newline", "version_aliases", ["gold\n"], "version_aliases[0]", "alias"),
    ("display name escape", "display_name", "a\x1b[31m", "display_name", "control character"),
    ("model id trailing newline", "model_id", "m\n", "model_id", "model id"),
    ("label key upper", "labels", {"Team": "a"}, 'labels["Team"]', "lowercase"),
    ("kms elsewhere", "encryption_spec",
     {"kms_key_name": "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k"},
     "encryption_spec.kms_key_name", "region"),
    ("model id digit first", "model_id", "1model", "model_id", "model id"),
    ("model id upper", "model_id", "Model", "model_id", "model id"),
    ("parent model versioned", "parent_model", PARENT_MODEL + "@2", "parent_model", "without @"),
    ("parent model other region", "parent_model",
     "projects/p/locations/europe-west4/models/1", "parent_model", "region"),
    ("schema not gs", "predict_schemata", {"instance_schema_uri": "http://x"},
     "predict_schemata.instance_schema_uri", "gs://"),
    ("unknown field", "version_id", "3", "version_id", "unknown field"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "blamed", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_model_is_refused_at_the_field(
    path: str, value: Any, blamed: str, reason: str
) -> None:
    result = normalize_model(mutate(make_model(), path, value), location="us-central1")
    assert [f.path for f in result.failures] == [blamed], result.failures
    assert reason in result.failures[0].message


def test_model_id_and_parent_model_must_agree() -> None:
    result = normalize_model({**make_model(), "parent_model": PARENT_MODEL, "model_id": "other"})
    assert [f.path for f in result.failures] == ["model_id"]
    named = "projects/p/locations/us-central1/models/churn"
    assert normalize_model({**make_model(), "parent_model": named, "model_id": "churn"}).ok


def test_default_alias_may_be_given_and_no_container_is_a_placeholder_model() -> None:
    assert normalize_model({**make_model(), "version_aliases": ["default", "golden"]}).ok
    assert normalize_model({"display_name": "placeholder"}).ok


def test_args_camel_case_and_dicts_normalize_to_the_same_canonical_value() -> None:
    typed = normalize_model(
        ModelArgs(
            display_name="churn",
            artifact_uri="gs://models-bkt/churn/model",
            container_spec=ModelContainerSpecArgs(
                image_uri="serve:1",
                env={"B": 2, "A": "x"},
                ports=[PortArgs(container_port=8080)],
                deployment_timeout="10m",
            ),
            labels={"team": "ml"},
        )
    )
    camel = normalize_model(
        {
            "displayName": "churn",
            "artifactUri": "gs://models-bkt/churn/model",
            "containerSpec": {
                "imageUri": "serve:1",
                "env": [{"name": "A", "value": "x"}, {"name": "B", "value": "2"}],
                "ports": [{"containerPort": 8080.0}],
                "deploymentTimeout": 600,
            },
            "labels": {"team": "ml"},
        }
    )
    assert typed.ok and camel.ok
    assert typed.value == camel.value
    assert typed.value["container_spec"]["deployment_timeout"] == "600s"


def test_unknown_values_skip_their_checks() -> None:
    result = normalize_model(
        {**make_model(), "artifact_uri": UNKNOWN, "version_aliases": [UNKNOWN, "golden"]}
    )
    assert result.ok
    assert result.value["artifact_uri"] is UNKNOWN


def test_model_to_proto_keeps_the_model_fields_only() -> None:
    value = normalize_model(
        {**make_model(), "parent_model": PARENT_MODEL, "version_aliases": ["default"]}
    ).value
    model = model_to_proto(value)
    assert model.display_name == "churn"
    assert list(model.version_aliases) == ["default"]
    assert model.container_spec.image_uri.endswith("sklearn:1")
    with pytest.raises(ValueError, match="unknown"):
        model_to_proto({**value, "artifact_uri": UNKNOWN})


# Probes (startup/health/liveness) are not declared yet: the spec refuses them as unknown.
UNDECLARED = {"startup_probe", "health_probe", "liveness_probe"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("ModelArgs", "Model"),
        ("ModelContainerSpecArgs", "ModelContainerSpec"),
        ("PortArgs", "Port"),
        ("PredictSchemataArgs", "PredictSchemata"),
        ("TrainingPipelineArgs", "TrainingPipelineInput"),
    ],
)
def test_args_dataclass_fields_are_the_message_fields(args: str, message: str) -> None:
    from pulumi_vertex_training import spec
    from pulumi_vertex_training.spec.schema import MESSAGES

    cls = getattr(spec, args)
    assert {f.name for f in dataclasses.fields(cls)} == set(MESSAGES[message])


def test_schema_tables_match_the_generated_messages() -> None:
    from google.cloud import aiplatform_v1

    from pulumi_vertex_training.spec.schema import MESSAGES

    def fields(message: Any) -> set[str]:
        return set(message.pb().DESCRIPTOR.fields_by_name)

    assert set(MESSAGES["ModelContainerSpec"]) == fields(aiplatform_v1.ModelContainerSpec) - (
        UNDECLARED
    )
    assert set(MESSAGES["Port"]) == fields(aiplatform_v1.Port)
    assert set(MESSAGES["PredictSchemata"]) == fields(aiplatform_v1.PredictSchemata)
    assert set(MESSAGES["Model"]) <= fields(aiplatform_v1.Model)
    request = fields(aiplatform_v1.UploadModelRequest)
    assert set(MESSAGES["ModelInput"]) - set(MESSAGES["Model"]) <= request
    pipeline = fields(aiplatform_v1.TrainingPipeline)
    assert set(MESSAGES["TrainingPipelineInput"]) <= pipeline


@pytest.mark.parametrize(
    ("parent_project", "project", "refused"),
    [("other", "mine", True), ("mine", "mine", False), ("123", "mine", False),
     ("other", "456", False), ("other", None, False)],
)  # fmt: skip
def test_parent_model_in_another_project_is_refused_when_both_are_ids(
    parent_project: str, project: str | None, refused: bool
) -> None:
    raw = {
        "display_name": "m",
        "parent_model": f"projects/{parent_project}/locations/us-central1/models/1",
    }
    paths = [f.path for f in normalize_model(raw, location="us-central1", project=project).failures]
    assert paths == (["parent_model"] if refused else [])
