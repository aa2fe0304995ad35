"""ModelService in the emulator: the official client over gRPC and REST, and the SDK's Model.

No container runs: models are uploaded directly (UploadModel). Covers versions and
aliases, the ``@`` forms of names (``%40`` on REST), list filters and order, UpdateModel's
mask rules, MergeVersionAliases, the deletes and their operations.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import requests
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform, aiplatform_v1
from google.cloud.aiplatform import initializer
from google.cloud.aiplatform_v1.services.model_service.transports import ModelServiceGrpcTransport
from google.longrunning import operations_pb2
from google.protobuf import field_mask_pb2

from pulumi_vertex_training.emulator import exceptions as emulator_errors
from tests.emulator.training_pipelines.support import fake_emulator

PROJECT = "models-project"
PARENT = f"projects/{PROJECT}/locations/us-central1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with fake_emulator(tmp_path_factory.mktemp("models")) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def grpc_client(server: Any) -> Iterator[aiplatform_v1.ModelServiceClient]:
    channel = grpc.insecure_channel(server.grpc_address)
    yield aiplatform_v1.ModelServiceClient(
        transport=ModelServiceGrpcTransport(channel=channel, host=server.grpc_address)
    )
    channel.close()


@pytest.fixture(scope="module")
def rest_client(server: Any) -> aiplatform_v1.ModelServiceClient:
    return aiplatform_v1.ModelServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://{server.rest_address}"),
    )


def model(name: str = "m", **fields: Any) -> dict[str, Any]:
    return {
        "display_name": name,
        "artifact_uri": "gs://models-bucket/run/model",
        "container_spec": {"image_uri": "serve:1"},
        **fields,
    }


def upload(client: Any, **kwargs: Any) -> aiplatform_v1.UploadModelResponse:
    op = client.upload_model(request={"parent": PARENT, "model": model(), **kwargs})
    return op.result(timeout=10)


def test_upload_makes_version_one_with_default_alias(grpc_client: Any) -> None:
    response = upload(grpc_client, model=model("first", labels={"team": "ml"}))
    assert response.model_version_id == "1"
    got = grpc_client.get_model(name=response.model)
    assert got.name == response.model
    assert got.version_id == "1"
    assert list(got.version_aliases) == ["default"]
    assert got.artifact_uri == "gs://models-bucket/run/model"
    assert got.container_spec.image_uri == "serve:1"
    assert dict(got.labels) == {"team": "ml"}
    assert got.create_time and got.version_create_time


def test_new_version_moves_default_and_get_resolves_versions_and_aliases(
    grpc_client: Any, rest_client: Any
) -> None:
    base = upload(grpc_client).model
    second = upload(
        grpc_client,
        parent_model=base,
        model=model("other name", version_aliases=["default", "golden"], description="v2"),
    )
    assert (second.model, second.model_version_id) == (base, "2")
    third = upload(grpc_client, parent_model=base, model=model(version_aliases=["canary"]))
    assert third.model_version_id == "3"
    for client in (grpc_client, rest_client):
        assert client.get_model(name=base).version_id == "2"  # default stays on 2
        assert client.get_model(name=f"{base}@golden").version_id == "2"
        assert client.get_model(name=f"{base}@canary").name == f"{base}@3"
        assert client.get_model(name=f"{base}@1").version_aliases == []
        assert client.get_model(name=f"{base}@2").display_name == "m"  # a model field
        with pytest.raises(exceptions.NotFound):
            client.get_model(name=f"{base}@9")
    versions = list(grpc_client.list_model_versions(name=base))
    assert [v.name for v in versions] == [f"{base}@3", f"{base}@2", f"{base}@1"]


def test_rest_accepts_percent_encoded_at_in_names(server: Any, grpc_client: Any) -> None:
    base = upload(grpc_client).model
    url = f"http://{server.rest_address}/v1/{base}%401?%24alt=json%3Benum-encoding%3Dint"
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == f"{base}@1"
    merge = requests.post(
        f"http://{server.rest_address}/v1/{base}%401:mergeVersionAliases",
        json={"versionAliases": ["golden"]},
        timeout=10,
    )
    assert merge.status_code == 200, merge.text
    assert set(merge.json()["versionAliases"]) == {"default", "golden"}


def test_upload_operation_is_served_over_ui_and_v1(server: Any, grpc_client: Any) -> None:
    op = grpc_client.upload_model(parent=PARENT, model=model())
    name = op.operation.name
    assert "/models/" in name and "/operations/" in name
    for prefix in ("ui", "v1"):
        answer = requests.get(f"http://{server.rest_address}/{prefix}/{name}", timeout=10)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["done"] is True
        assert body["response"]["@type"].endswith("v1.UploadModelResponse")
    channel = grpc.insecure_channel(server.grpc_address)
    stub = channel.unary_unary(
        "/google.longrunning.Operations/GetOperation",
        request_serializer=operations_pb2.GetOperationRequest.SerializeToString,
        response_deserializer=operations_pb2.Operation.FromString,
    )
    assert stub(operations_pb2.GetOperationRequest(name=name)).done
    channel.close()


def test_list_models_filters_and_orders(grpc_client: Any, rest_client: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    a = upload(grpc_client, model=model(f"a-{tag}", labels={"run": tag})).model
    b = upload(grpc_client, model=model(f"b-{tag}", labels={"run": tag})).model
    upload(grpc_client, parent_model=b, model=model())
    for client in (grpc_client, rest_client):
        listed = list(client.list_models(request={"parent": PARENT, "filter": f"labels.run={tag}"}))
        assert [m.name for m in listed] == [b, a]  # newest first, one entry per model
        assert listed[0].version_id == "1"  # version 2 was uploaded without "default"
        by_name = client.list_models(
            request={
                "parent": PARENT,
                "filter": f'display_name="a-{tag}"',
                "order_by": "display_name desc",
            }
        )
        assert [m.name for m in by_name] == [a]
        ordered = client.list_models(
            request={"parent": PARENT, "filter": f"labels.run:{tag}", "order_by": "createTime"}
        )
        assert [m.name for m in ordered] == [a, b]
        only = client.list_models(
            request={"parent": PARENT, "filter": f"model={b.rsplit('/', 1)[1]}"}
        )
        assert [m.name for m in only] == [b]
    with pytest.raises(exceptions.InvalidArgument, match="order_by"):
        list(grpc_client.list_models(request={"parent": PARENT, "order_by": "version_id"}))
    with pytest.raises(exceptions.InvalidArgument, match="unknown field"):
        list(grpc_client.list_models(request={"parent": PARENT, "filter": 'state="x"'}))


def test_update_model_and_version_fields(grpc_client: Any, rest_client: Any) -> None:
    for client in (grpc_client, rest_client):
        base = upload(grpc_client).model
        updated = client.update_model(
            model={
                "name": base,
                "display_name": "renamed",
                "description": "d",
                "labels": {"a": "b"},
            },
            update_mask=field_mask_pb2.FieldMask(paths=["display_name", "description", "labels"]),
        )
        assert (updated.display_name, updated.description) == ("renamed", "d")
        assert dict(updated.labels) == {"a": "b"}
        version = client.update_model(
            model={"name": f"{base}@1", "version_description": "first", "labels": {"v": "1"}},
            update_mask=field_mask_pb2.FieldMask(paths=["version_description", "labels"]),
        )
        assert version.name == f"{base}@1"
        assert version.version_description == "first"
        assert dict(version.labels) == {"a": "b", "v": "1"}  # model and version labels merged


@pytest.mark.parametrize(
    ("name_suffix", "paths", "error"),
    [
        ("", [], exceptions.InvalidArgument),
        ("", ["artifact_uri"], exceptions.InvalidArgument),
        ("", ["version_aliases"], exceptions.InvalidArgument),
        ("", ["version_description"], exceptions.FailedPrecondition),
        ("@1", ["display_name"], exceptions.FailedPrecondition),
    ],
)
def test_update_model_refuses_other_paths(
    grpc_client: Any, name_suffix: str, paths: list[str], error: type[Exception]
) -> None:
    base = upload(grpc_client).model
    with pytest.raises(error):
        grpc_client.update_model(
            model={"name": base + name_suffix, "display_name": "x"},
            update_mask=field_mask_pb2.FieldMask(paths=paths),
        )


def test_merge_version_aliases_adds_moves_and_removes(grpc_client: Any) -> None:
    base = upload(grpc_client).model
    upload(grpc_client, parent_model=base, model=model(version_aliases=["golden"]))
    moved = grpc_client.merge_version_aliases(name=f"{base}@1", version_aliases=["golden", "x1"])
    assert set(moved.version_aliases) == {"default", "golden", "x1"}
    assert list(grpc_client.get_model(name=f"{base}@2").version_aliases) == []
    removed = grpc_client.merge_version_aliases(name=f"{base}@x1", version_aliases=["-x1"])
    assert "x1" not in removed.version_aliases
    with pytest.raises(exceptions.InvalidArgument, match="default"):
        grpc_client.merge_version_aliases(name=f"{base}@1", version_aliases=["-default"])
    with pytest.raises(exceptions.InvalidArgument, match="must name a version"):
        grpc_client.merge_version_aliases(name=base, version_aliases=["a1"])
    with pytest.raises(exceptions.InvalidArgument, match="not a valid version alias"):
        grpc_client.merge_version_aliases(name=f"{base}@1", version_aliases=["1abc"])


def test_delete_version_and_model(grpc_client: Any, rest_client: Any) -> None:
    base = upload(grpc_client).model
    upload(grpc_client, parent_model=base, model=model())
    with pytest.raises(exceptions.FailedPrecondition, match="default"):
        grpc_client.delete_model_version(name=f"{base}@1")
    grpc_client.delete_model_version(name=f"{base}@2").result(timeout=10)
    with pytest.raises(exceptions.FailedPrecondition, match="only version"):
        grpc_client.delete_model_version(name=f"{base}@1")
    with pytest.raises(exceptions.InvalidArgument, match="DeleteModel takes the model name"):
        grpc_client.delete_model(name=f"{base}@1")
    rest_client.delete_model(name=base).result(timeout=10)
    with pytest.raises(exceptions.NotFound):
        grpc_client.get_model(name=base)
    # A new model never reuses an id.
    assert upload(grpc_client).model != base


@pytest.mark.parametrize(
    ("request_fields", "path"),
    [
        ({"model": model("")}, "model.display_name"),
        ({"model": model(artifact_uri="s3://b/m")}, "model.artifact_uri"),
        ({"model": model(container_spec={"command": ["serve"]})}, "model.container_spec.image_uri"),
        ({"model": model(container_spec={"image_uri": "i", "ports": [{"container_port": 0}]})},
         "model.container_spec.ports[0].container_port"),
        ({"model": model(version_aliases=["default", "v1", "v1"])}, "model.version_aliases[2]"),
        ({"model": model(version_aliases=["-x"])}, "model.version_aliases[0]"),
        ({"model_id": "-bad"}, "model_id"),
        ({"model_id": "ok\n"}, "model_id"),
        ({"model": model("a\tb")}, "model.display_name"),
        ({"model": model(version_aliases=["gold\n"])}, "model.version_aliases[0]"),
        ({"parent_model": f"{PARENT}/models/1@1"}, "parent_model"),
    ],
)  # fmt: skip
def test_upload_refuses_invalid_models(
    grpc_client: Any, request_fields: dict[str, Any], path: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument) as info:
        grpc_client.upload_model(request={"parent": PARENT, "model": model(), **request_fields})
    assert path in info.value.message


@pytest.mark.parametrize(
    "name",
    [
        f"{PARENT}/models/1\n",
        f"{PARENT}/models/1@1\n",
        f"{PARENT}/models/1@",
        f"{PARENT}/models/a b",
        f"{PARENT}/models/M1",
        "projects/../locations/us-central1/models/1",
    ],
)
def test_bad_model_names_are_invalid(grpc_client: Any, name: str) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="not a valid Model name"):
        grpc_client.get_model(name=name)


def test_bad_model_operation_names_are_invalid(server: Any) -> None:
    for name in (f"{PARENT}/models/1/operations/1\n", f"{PARENT}/models/1/operations/a b"):
        with pytest.raises(emulator_errors.InvalidArgument):
            server.models.get_operation(name)


def test_upload_model_id_and_parent_model_errors(grpc_client: Any) -> None:
    chosen = f"m_{uuid.uuid4().hex[:8]}"
    assert upload(grpc_client, model_id=chosen).model == f"{PARENT}/models/{chosen}"
    with pytest.raises(exceptions.AlreadyExists):
        upload(grpc_client, model_id=chosen)
    with pytest.raises(exceptions.NotFound, match="parent_model"):
        upload(grpc_client, parent_model=f"{PARENT}/models/does-not-exist")


@pytest.fixture
def sdk(server: Any) -> Iterator[None]:
    saved = dict(initializer.global_config.__dict__)
    aiplatform.init(
        project=PROJECT,
        location="us-central1",
        api_transport="rest",
        api_endpoint=f"http://{server.rest_address}",
        credentials=AnonymousCredentials(),
    )
    try:
        yield
    finally:
        initializer.global_config.__dict__.clear()
        initializer.global_config.__dict__.update(saved)


def test_sdk_model_upload_update_versions_aliases_list_delete(sdk: None) -> None:
    tag = uuid.uuid4().hex[:8]
    uploaded = aiplatform.Model.upload(
        display_name=f"sdk-{tag}",
        artifact_uri="gs://models-bucket/sdk/model",
        serving_container_image_uri="serve:latest",
    )
    assert uploaded.version_id == "1"
    assert uploaded.uri == "gs://models-bucket/sdk/model"
    uploaded.update(display_name=f"sdk2-{tag}", description="d", labels={"a": "b"})
    assert uploaded.display_name == f"sdk2-{tag}"
    v2 = aiplatform.Model.upload(
        display_name="ignored",
        parent_model=uploaded.resource_name,
        artifact_uri="gs://models-bucket/sdk/model2",
        serving_container_image_uri="serve:latest",
        is_default_version=False,
        version_aliases=["candidate"],
    )
    assert v2.version_id == "2"
    registry = uploaded.versioning_registry
    assert sorted(v.version_id for v in registry.list_versions()) == ["1", "2"]
    registry.add_version_aliases(["golden"], version="2")
    assert set(registry.get_model(version="golden").version_aliases) == {"candidate", "golden"}
    assert registry.get_model().version_id == "1"  # still the default
    listed = aiplatform.Model.list(filter=f'display_name="sdk2-{tag}"', order_by="create_time desc")
    assert [m.resource_name for m in listed] == [uploaded.resource_name]
    uploaded.delete()
    with pytest.raises(exceptions.NotFound):
        aiplatform.Model(uploaded.resource_name)
