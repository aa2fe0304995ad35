"""Where python_package_spec pools run locally: the executor image map, the host alias.

Vertex runs a python_package_spec pool in a Google prebuilt training image
(``executor_image_uri``); there is no Docker Hub or Artifact Registry here,
so the emulator maps URI prefixes to local images: ``vertex-local serve
--image-map URI_PREFIX=LOCAL_IMAGE`` (repeatable; a prefix may hold ``*``;
the first match wins, the user's entries before :data:`DEFAULT_IMAGE_MAP`;
an unmapped URI runs as is, so a local image may be named directly).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

LOCAL_EXECUTOR_IMAGE = "local/python:3.11"
"""Where Vertex's prebuilt training images run locally, unless the image map says otherwise."""

DEFAULT_IMAGE_MAP: tuple[tuple[str, str], ...] = (
    ("us-docker.pkg.dev/vertex-ai/training/", LOCAL_EXECUTOR_IMAGE),
    ("*-docker.pkg.dev/vertex-ai/training/", LOCAL_EXECUTOR_IMAGE),
    ("gcr.io/cloud-aiplatform/training/", LOCAL_EXECUTOR_IMAGE),
)
"""``(URI prefix, local image)`` pairs for ``executor_image_uri`` (Vertex's prebuilt images)."""

HOST_ALIAS = "host.docker.internal"
"""The name replicas reach the emulator's host by (the runner maps it to the network gateway)."""

STORAGE_EMULATOR_HOST_ENV = "STORAGE_EMULATOR_HOST"


def parse_image_map(entries: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Parse ``PREFIX=LOCAL_IMAGE`` entries (``--image-map``).

    >>> parse_image_map(["europe-docker.pkg.dev/vertex-ai/training/=my/py:3.10"])
    (('europe-docker.pkg.dev/vertex-ai/training/', 'my/py:3.10'),)

    Raises:
        ValueError: an entry is not ``PREFIX=IMAGE`` with both sides non-empty.
    """
    out = []
    for entry in entries:
        prefix, sep, image = entry.partition("=")
        if not sep or not prefix.strip() or not image.strip():
            raise ValueError(
                f"--image-map {entry!r}: expected URI_PREFIX=LOCAL_IMAGE, e.g. "
                f"us-docker.pkg.dev/vertex-ai/training/={LOCAL_EXECUTOR_IMAGE}"
            )
        out.append((prefix.strip(), image.strip()))
    return tuple(out)


def map_executor_image(uri: str, image_map: Sequence[tuple[str, str]] | None = None) -> str:
    """The local image an ``executor_image_uri`` runs in (module docstring).

    >>> map_executor_image("us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest")
    'local/python:3.11'
    >>> map_executor_image("local/python:3.11")
    'local/python:3.11'
    """
    for prefix, image in (*(image_map or ()), *DEFAULT_IMAGE_MAP):
        if fnmatch.fnmatchcase(uri, prefix + "*"):
            return image
    return uri


def container_storage_host(url: str) -> str:
    """``STORAGE_EMULATOR_HOST`` as a replica must see it (loopback -> ``host.docker.internal``).

    >>> container_storage_host("http://127.0.0.1:9023")
    'http://host.docker.internal:9023'
    """
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = parts.hostname or ""
    if host in ("127.0.0.1", "localhost", "0.0.0.0", "::1", ""):
        netloc = HOST_ALIAS + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
