"""create_repository: Artifact Registry repository RPCs, real client against the emulator."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import artifactregistry_v1

from pulumi_vertex_training import client
from pulumi_vertex_training.provider.image_api import ensure_repository
from pulumi_vertex_training.spec.artifacts import parse_artifact_registry


def test_ensure_repository_creates_docker_repository_once_when_missing(emulator: Any) -> None:
    repo_id = f"train-{uuid.uuid4().hex[:8]}"
    repository = f"us-central1-docker.pkg.dev/test-project/{repo_id}"
    assert ensure_repository(repository) is True
    assert ensure_repository(repository) is False  # there now: get, no create

    got = client.artifact_registry_client().get_repository(
        name=f"projects/test-project/locations/us-central1/repositories/{repo_id}"
    )
    assert got.format_ == artifactregistry_v1.Repository.Format.DOCKER
    assert got.registry_uri == repository


def test_create_repository_operation_carries_repository_when_done(emulator: Any) -> None:
    api = client.artifact_registry_client()
    operation = api.create_repository(
        parent="projects/test-project/locations/europe-west4",
        repository_id="ops-check",
        repository=artifactregistry_v1.Repository(
            format_=artifactregistry_v1.Repository.Format.DOCKER
        ),
    )
    result = client.wait_for_operation(operation, 10)
    assert result.name.endswith("/repositories/ops-check")
    assert isinstance(operation.metadata, artifactregistry_v1.OperationMetadata)
    with pytest.raises(exceptions.AlreadyExists):
        api.create_repository(
            parent="projects/test-project/locations/europe-west4",
            repository_id="ops-check",
            repository=artifactregistry_v1.Repository(
                format_=artifactregistry_v1.Repository.Format.DOCKER
            ),
        )


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        ({"parent": "projects/p", "repository_id": "r"}, "parent"),
        ({"parent": "projects/p/locations/l", "repository_id": "Bad_Id"}, "repository_id"),
        ({"parent": "projects/p/locations/l", "repository_id": "r", "format_": 0}, "format"),
    ],
)
def test_create_repository_is_invalid_argument_when_request_is_bad(
    emulator: Any, request_kwargs: dict[str, Any], message: str
) -> None:
    fmt = request_kwargs.pop("format_", artifactregistry_v1.Repository.Format.DOCKER)
    with pytest.raises(exceptions.InvalidArgument, match=message):
        client.artifact_registry_client().create_repository(
            **request_kwargs, repository=artifactregistry_v1.Repository(format_=fmt)
        )


def test_get_repository_is_not_found_when_missing(emulator: Any) -> None:
    with pytest.raises(exceptions.NotFound):
        client.artifact_registry_client().get_repository(
            name="projects/test-project/locations/us-central1/repositories/absent"
        )


@pytest.mark.parametrize(
    ("repository", "parsed"),
    [
        ("us-central1-docker.pkg.dev/my-proj/team", ("us-central1", "my-proj", "team")),
        ("europe-docker.pkg.dev/p/r", ("europe", "p", "r")),
        ("127.0.0.1:5000/p/r", None),
        ("us-central1-docker.pkg.dev/p/r/extra", None),
    ],
)
def test_parse_artifact_registry_splits_location_project_repo_when_valid(repository, parsed):
    assert parse_artifact_registry(repository) == parsed
