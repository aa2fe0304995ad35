"""``google.devtools.artifactregistry.v1.ArtifactRegistry``: the repository RPCs images use.

Only GetRepository and CreateRepository: ``TrainingImage(create_repository=True)``
gets the repository and creates it (DOCKER format) when missing. Images
themselves go to a real registry (``127.0.0.1:5000`` in tests), not here.
Repositories live in the emulator's store under kind ``artifactRegistryRepository``;
CreateRepository's operation is stored like every other operation, so
``google.longrunning.Operations/GetOperation`` finds it.
"""

from __future__ import annotations

import re
import uuid

from google.cloud import artifactregistry_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator import records
from pulumi_vertex_training.emulator.exceptions import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
)
from pulumi_vertex_training.emulator.store import Store

REPOSITORY_KIND = "artifactRegistryRepository"
OPERATION_KIND = "operation"  # the kind custom_jobs/backend.py's get_operation reads
_PARENT = re.compile(r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)$")
_NAME = re.compile(r"^projects/[^/]+/locations/[^/]+/repositories/[^/]+$")
_REPOSITORY_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")

Repository = artifactregistry_v1.Repository


class ArtifactRegistryServicer:
    """The Artifact Registry repository methods (plain Python; served as listed in ``rpcs.py``).

    Args:
        store: the emulator's store.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def get_repository(self, request: artifactregistry_v1.GetRepositoryRequest) -> Repository:
        """GetRepository. Raises InvalidArgument for a malformed name, NotFound."""
        if not _NAME.match(request.name):
            raise InvalidArgument.of(
                "name",
                f"{request.name!r} is not a repository name; expected "
                "projects/{project}/locations/{location}/repositories/{repository}",
            )
        data = self.store.get(REPOSITORY_KIND, request.name)
        if data is None:
            raise NotFound(f"Requested entity was not found: repository {request.name}")
        return Repository.from_json(data["json"])

    def create_repository(
        self, request: artifactregistry_v1.CreateRepositoryRequest
    ) -> operations_pb2.Operation:
        """CreateRepository: a done Operation (response Repository, metadata OperationMetadata).

        Keeps ``format_``, ``mode``, ``description``, ``labels``; ignores every
        other field of ``request.repository`` (configs, cleanup policies, KMS).
        """
        parent = _PARENT.match(request.parent)
        if parent is None:
            raise InvalidArgument.of(
                "parent", f"{request.parent!r} is not projects/{{project}}/locations/{{location}}"
            )
        if not _REPOSITORY_ID.match(request.repository_id):
            raise InvalidArgument.of(
                "repository_id",
                f"{request.repository_id!r} must be 1-63 lowercase letters, "
                "digits or hyphens, starting with a letter and ending with a letter or digit",
            )
        if request.repository.format_ == Repository.Format.FORMAT_UNSPECIFIED:
            raise InvalidArgument.of("repository.format", "a format is required (e.g. DOCKER)")
        name = f"{request.parent}/repositories/{request.repository_id}"
        if self.store.get(REPOSITORY_KIND, name) is not None:
            raise AlreadyExists(f"the repository already exists: {name}")
        now = records.now()
        repository = Repository(
            name=name,
            format_=request.repository.format_,
            mode=request.repository.mode or Repository.Mode.STANDARD_REPOSITORY,
            description=request.repository.description,
            labels=dict(request.repository.labels),
            create_time=now,
            update_time=now,
        )
        if request.repository.format_ == Repository.Format.DOCKER:
            repository.registry_uri = (
                f"{parent['location']}-docker.pkg.dev/{parent['project']}/{request.repository_id}"
            )
        self.store.put(REPOSITORY_KIND, name, {"json": Repository.to_json(repository)})
        op = operations_pb2.Operation(
            name=f"{request.parent}/operations/{uuid.uuid4().hex}", done=True
        )
        op.response.Pack(Repository.pb(repository))
        op.metadata.Pack(
            artifactregistry_v1.OperationMetadata.pb(artifactregistry_v1.OperationMetadata())
        )
        records.save_operation(self.store, OPERATION_KIND, op)
        return op
