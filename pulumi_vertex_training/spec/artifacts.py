"""What a training image and a Python package upload must be: names, hashes, places.

Pure (no Docker, no network): the ``TrainingImage`` and ``PythonPackage`` components
apply these rules in the program to the values they know, and the image and package
providers apply them again in ``check()`` to what reached the engine (values still
unknown at preview are skipped). Every rule returns ``SpecFailure``s naming the input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .failures import SpecFailure, is_unknown

IMAGE_NAME = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
"""A repository path component as Docker's reference grammar allows it."""
CONTENT_HASH = re.compile(r"^[0-9a-f]{64}$")
"""A sha256 hex digest (context and package hashes)."""
ARTIFACT_REGISTRY = re.compile(
    r"^(?P<location>[a-z0-9-]+)-docker\.pkg\.dev/(?P<project>[a-z0-9:.-]+)/(?P<repository>[a-z0-9-]+)$"
)
STAGING_URI = re.compile(
    r"^gs://(?P<bucket>[a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:/(?P<prefix>.*))?$"
)


@dataclass(frozen=True)
class ImageReference:
    """``host/path:tag`` or ``host/path@digest``, split."""

    host: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """``host/path``, what Docker calls the repository."""
        return f"{self.host}/{self.path}"

    @classmethod
    def parse(cls, ref: str) -> ImageReference:
        """Split ``ref``; the first component must be a registry host.

        >>> ImageReference.parse("localhost:5000/team/trainer:v1").tag
        'v1'

        Raises:
            ValueError: no registry host or no path.
        """
        name, _, digest_part = ref.partition("@")
        digest = digest_part or None
        tag = None
        last = name.rsplit("/", 1)[-1]
        if ":" in last:
            name, tag = name.rsplit(":", 1)
        host, _, path = name.partition("/")
        if not path or not ("." in host or ":" in host or host == "localhost"):
            raise ValueError(
                f"image reference {ref!r} must start with a registry host, "
                "e.g. us-docker.pkg.dev/PROJECT/REPO/NAME or localhost:5000/NAME"
            )
        return cls(host, path, tag, digest)


def parse_artifact_registry(repository: str) -> tuple[str, str, str] | None:
    """``(location, project, repository_id)`` of ``LOCATION-docker.pkg.dev/PROJECT/REPO``;
    None for any other repository.

    >>> parse_artifact_registry("us-central1-docker.pkg.dev/my-project/training")
    ('us-central1', 'my-project', 'training')
    """
    match = ARTIFACT_REGISTRY.match(repository)
    if match is None:
        return None
    return match["location"], match["project"], match["repository"]


def parse_staging_uri(uri: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``gs://bucket[/prefix]``; the prefix without edge slashes.

    >>> parse_staging_uri("gs://my-bucket/staging/pkgs/")
    ('my-bucket', 'staging/pkgs')

    Raises:
        ValueError: not a ``gs://`` URI with a valid bucket name.
    """
    match = STAGING_URI.match(uri) if isinstance(uri, str) else None
    if match is None or ".." in match["bucket"]:
        raise ValueError(
            f"staging_uri {uri!r} must be gs://BUCKET[/PREFIX] with a valid bucket name "
            "(3-222 characters: lowercase letters, digits, '-', '_', '.')"
        )
    return match["bucket"], (match["prefix"] or "").strip("/")


def _given(value: Any) -> bool:
    return value is not None and not is_unknown(value)


def _required_strings(
    inputs: Mapping[str, Any], keys: tuple[str, ...], failures: list[SpecFailure]
) -> None:
    for key in keys:
        value = inputs.get(key)
        if not is_unknown(value) and (not isinstance(value, str) or not value):
            failures.append(SpecFailure(key, "required: a non-empty string", value))


def _check_hash(inputs: Mapping[str, Any], key: str, failures: list[SpecFailure]) -> None:
    value = inputs.get(key)
    if isinstance(value, str) and value and not CONTENT_HASH.match(value):
        failures.append(SpecFailure(key, "must be 64 hex digits (a sha256)", value))


def check_image_name(name: Any, failures: list[SpecFailure]) -> None:
    """``image_name``: lowercase letters, digits and separators (``. _ - /``)."""
    if isinstance(name, str) and name and not IMAGE_NAME.match(name):
        failures.append(
            SpecFailure(
                "image_name",
                "not a valid image name: lowercase letters, digits and separators "
                "(. _ - /), starting and ending with a letter or digit",
                name,
            )
        )


def check_repository(repository: Any, create_repository: Any, failures: list[SpecFailure]) -> None:
    """``repository``: a registry host and path, no tag or digest; ``create_repository``
    only for an Artifact Registry repository."""
    if not isinstance(repository, str) or not repository:
        return
    try:
        ImageReference.parse(repository + "/x")
    except ValueError:
        failures.append(
            SpecFailure(
                "repository",
                "must start with a registry host, e.g. "
                "us-central1-docker.pkg.dev/PROJECT/REPO or localhost:5000/team",
                repository,
            )
        )
    if ":" in repository.split("/", 1)[-1] or "@" in repository:
        failures.append(SpecFailure("repository", "must not carry a tag or digest", repository))
    if create_repository is True and parse_artifact_registry(repository) is None:
        failures.append(
            SpecFailure(
                "create_repository",
                "needs an Artifact Registry repository (LOCATION-docker.pkg.dev/PROJECT/REPO) "
                f"in repository, not {repository!r}",
                create_repository,
            )
        )


def check_image(inputs: Mapping[str, Any]) -> list[SpecFailure]:
    """Every problem with the inputs of an image resource, at once.

    Required: ``source_dir``, ``base_image``, ``repository``, ``image_name``,
    ``context_hash``; exactly one of ``script`` and ``python_module``.
    """
    failures: list[SpecFailure] = []
    _required_strings(
        inputs, ("source_dir", "base_image", "repository", "image_name", "context_hash"), failures
    )
    script, module = inputs.get("script"), inputs.get("python_module")
    if not is_unknown(script) and not is_unknown(module) and _given(script) == _given(module):
        failures.append(
            SpecFailure("script", "exactly one of script or python_module must be given", script)
        )
    _check_hash(inputs, "context_hash", failures)
    check_image_name(inputs.get("image_name"), failures)
    check_repository(inputs.get("repository"), inputs.get("create_repository"), failures)
    return failures


def check_staging_uri(uri: Any, failures: list[SpecFailure]) -> None:
    """``staging_uri``: ``gs://BUCKET[/PREFIX]``."""
    if isinstance(uri, str) and uri:
        try:
            parse_staging_uri(uri)
        except ValueError as err:
            failures.append(SpecFailure("staging_uri", str(err), has_value=False))


def check_package_upload(inputs: Mapping[str, Any]) -> list[SpecFailure]:
    """Every problem with the inputs of a package upload, at once.

    Required: ``source_dir``, ``staging_uri``, ``content_hash``, ``python_module``.
    """
    failures: list[SpecFailure] = []
    _required_strings(
        inputs, ("source_dir", "staging_uri", "content_hash", "python_module"), failures
    )
    check_staging_uri(inputs.get("staging_uri"), failures)
    _check_hash(inputs, "content_hash", failures)
    return failures
