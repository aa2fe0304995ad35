"""Image API calls: the registry (is the image there? build and push it) and
Artifact Registry (make sure the repository exists).

The provider (``image.py``) decides; these do, through ``packaging.registry``
(Docker and the registry's HTTP API) and ``client.py`` (Google APIs), with the
retry policy of ``retries.py``. Registry tokens are fetched per call and never kept.
"""

from __future__ import annotations

import time
from typing import Any

from pulumi_vertex_training import client
from pulumi_vertex_training.packaging import registry, registry_auth
from pulumi_vertex_training.provider import progress, retries
from pulumi_vertex_training.spec.artifacts import ImageReference, parse_artifact_registry

_PROGRESS_INTERVAL = 2.0
_ALWAYS = (": Pushed", ": Layer already exists")


def ensure_repository(repository: str, timeout: float = 300.0) -> bool:
    """Make sure the Artifact Registry repository behind ``repository`` exists (DOCKER format).

    Returns:
        True when it was created, False when it was there.

    Raises:
        ValueError: ``repository`` is not ``LOCATION-docker.pkg.dev/PROJECT/REPO``.
        PermissionError: the caller may not create it (says which role to ask for).
        google.api_core.exceptions.GoogleAPICallError: any other refusal.
    """
    from google.api_core import exceptions
    from google.cloud import artifactregistry_v1

    parsed = parse_artifact_registry(repository)
    if parsed is None:
        raise ValueError(
            f"repository {repository!r} is not an Artifact Registry repository "
            "(LOCATION-docker.pkg.dev/PROJECT/REPO); create_repository needs one"
        )
    location, project, repo_id = parsed
    api = client.artifact_registry_client()
    parent = f"projects/{project}/locations/{location}"
    try:
        with retries.explained(repository):
            api.get_repository(
                name=f"{parent}/repositories/{repo_id}", retry=retries.transient_retry()
            )
        return False
    except exceptions.NotFound:
        pass
    try:
        operation = api.create_repository(
            parent=parent,
            repository_id=repo_id,
            repository=artifactregistry_v1.Repository(
                format_=artifactregistry_v1.Repository.Format.DOCKER,
                description="Training images pushed by pulumi-vertex-training",
            ),
        )
        client.wait_for_operation(operation, timeout)
    except exceptions.AlreadyExists:
        return False  # created concurrently: what we wanted
    except exceptions.PermissionDenied as exc:
        raise PermissionError(
            f"cannot create the Artifact Registry repository {repository}: {exc.message}. "
            "Creating it needs roles/artifactregistry.admin on the project; or create it "
            "once by hand and set create_repository=False"
        ) from None
    return True


class ThrottledProgress:
    """Build and push lines as progress: steps and layer results at once, chatty lines
    (pip output) at most every few seconds, each prefixed with the image."""

    def __init__(self, image: str) -> None:
        self._prefix = f"{image}: "
        self._last = 0.0

    def __call__(self, line: str) -> None:
        now = time.monotonic()
        if (
            line.startswith("Step ")
            or line.endswith(_ALWAYS)
            or ": Mounted from " in line
            or now - self._last >= _PROGRESS_INTERVAL
        ):
            self._last = now
            progress.info(self._prefix + line[:300])


def find_digest(image_ref: str) -> str | None:
    """The registry's digest for ``image_ref`` (tag or digest), or None when it has none."""
    return registry.find_remote_digest(image_ref)


def say_credentials(repository: str) -> None:
    """Say where the registry's credentials come from (``using docker-credential-gcloud
    for us-central1-docker.pkg.dev``), when they come from a helper or Google."""
    note = registry_auth.credentials_note(ImageReference.parse(repository + "/x").host)
    if note:
        progress.info(note)


def build_cache_sources(cache_from: str | None, target: str) -> list[str]:
    """The images to seed the build cache with: ``cache_from`` (the image pushed before),
    pulled first when the engine lacks it. A pull that fails only costs the cache: the
    build goes on without it, and says so."""
    if not cache_from or cache_from == target:
        return []
    short = cache_from.rsplit(":", 1)[0] + ":" + cache_from.rsplit(":", 1)[-1][:12]
    try:
        if registry.pull_if_missing(cache_from):
            progress.info(f"pulled {short} to reuse its layers")
    except registry.ImageError as exc:
        progress.info(f"building without the layers of {short}: {exc}")
        return []
    return [cache_from]


def build_and_push(
    context: Any,
    dockerfile: str,
    image: str,
    tag: str,
    base_image: str,
    cache_from: str | None = None,
) -> str:
    """Build ``image:tag`` from a prepared context, push it, return the pushed digest.

    ``cache_from`` (the image pushed before, ``image:<old hash>``) seeds Docker's
    cache, so unchanged steps reuse the registry's layers and only the changed
    ones are pushed (see :func:`registry.build_image`).
    """
    log = ThrottledProgress(image)
    sources = build_cache_sources(cache_from, f"{image}:{tag}")
    progress.info(f"building {image}:{tag[:12]}")
    registry.build_image(
        context,
        dockerfile,
        f"{image}:{tag}",
        base_image=base_image,
        cache_from=sources,
        progress=log,
    )
    progress.info(f"pushing {image}:{tag[:12]}")
    return registry.push_image(image, tag, progress=log).digest
