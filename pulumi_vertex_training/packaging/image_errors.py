"""Errors of building, pushing and asking registries: every one is an ``ImageError``.

``packaging.registry`` re-exports them all; catch ``registry.ImageError`` to catch all.
"""

from __future__ import annotations

DOCKER_MISSING = (
    "vt.TrainingImage builds with Docker: pip install docker (or pulumi-vertex-training[image])"
)
"""What to install when docker-py is missing (said at TrainingImage construction)."""

WRITER_ROLE = "roles/artifactregistry.writer"
"""What an identity needs on an Artifact Registry repository to push."""
READER_ROLE = "roles/artifactregistry.reader"
"""What an identity needs on an Artifact Registry repository to pull or look up a tag."""


class ImageError(Exception):
    """Base of every build/push/registry error here. Catch this to catch all."""


class DockerNotInstalledError(ImageError):
    """docker-py (the ``docker`` package) is not installed."""


class DockerUnavailableError(ImageError):
    """No Docker engine answers."""


class BaseImageNotFoundError(ImageError):
    """The base image (``FROM``) could not be found or pulled."""


class BuildFailedError(ImageError):
    """A Dockerfile step failed; ``build_log`` holds the whole log."""

    def __init__(self, message: str, build_log: list[str]) -> None:
        super().__init__(message)
        self.build_log = build_log


class PushRefusedError(ImageError):
    """The registry did not take the image."""


class RegistryError(ImageError):
    """The registry could not be asked (unreachable, auth refused, unexpected answer)."""


class RegistryCredentialsError(RegistryError):
    """Credentials for a registry could not be had: a Docker credential helper failed or
    is not on PATH, or Application Default Credentials are missing or refused."""
