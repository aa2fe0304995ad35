"""Build with Docker, push to a registry, and ask the registry what it has.

The only module of the library (besides the emulator's runner) that talks to
Docker. docker-py's push returns a stream and does not raise on in-band
``error``/``errorDetail`` chunks (docker/docker-py#3161, #3277): we scan it.
Registry tokens are fetched per call and never logged or stored.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulumi_vertex_training.packaging.context import (
    DOCKERFILE_NAME,
    BuildContext,
    write_context_tar,
)
from pulumi_vertex_training.spec.artifacts import ImageReference

if TYPE_CHECKING:
    import docker

Progress = Callable[[str], None]
"""Receives one human-readable line of build or push progress."""

MANIFEST_MEDIA_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
WRITER_ROLE = "roles/artifactregistry.writer"
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_LOG_TAIL = 30

_builds_started = 0


def builds_started() -> int:
    """How many image builds this process has started (for tests and benchmarks)."""
    return _builds_started


class ImageError(Exception):
    """Base of every build/push/registry error here. Catch this to catch all."""


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


def _scheme(host: str) -> str:
    hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return "http" if hostname in _LOCAL_HOSTS else "https"


def registry_credentials(host: str) -> tuple[str, str] | None:
    """(user, password) for a registry host: Google's for Artifact Registry, else none."""
    if host.endswith("-docker.pkg.dev") or host.endswith("gcr.io"):
        from pulumi_vertex_training import client

        return "oauth2accesstoken", client.google_access_token()
    return None


def _bearer_token(challenge: str, auth: tuple[str, str] | None, session: Any) -> str:
    params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = params.pop("realm", "")
    if not realm:
        raise RegistryError(f"registry sent a Bearer challenge without a realm: {challenge!r}")
    answer = session.get(realm, params=params, auth=auth, timeout=30)
    if answer.status_code != 200:
        raise RegistryError(
            f"registry token service {realm} answered {answer.status_code}: "
            "the credentials were refused (on Artifact Registry you need "
            "roles/artifactregistry.reader to read and roles/artifactregistry.writer to push)"
        )
    body = answer.json()
    return str(body.get("token") or body.get("access_token") or "")


def _registry_request(method: str, ref: ImageReference, what: str) -> Any:
    import requests

    url = f"{_scheme(ref.host)}://{ref.host}/v2/{ref.path}/manifests/{what}"
    headers = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
    auth = registry_credentials(ref.host)
    with requests.Session() as session:
        try:
            answer = session.request(method, url, headers=headers, timeout=30)
            if answer.status_code == 401:
                challenge = answer.headers.get("WWW-Authenticate", "")
                if challenge.lower().startswith("bearer"):
                    token = _bearer_token(challenge[len("bearer") :].strip(), auth, session)
                    headers["Authorization"] = f"Bearer {token}"
                    answer = session.request(method, url, headers=headers, timeout=30)
                elif auth is not None:
                    answer = session.request(method, url, headers=headers, auth=auth, timeout=30)
        except requests.RequestException as exc:
            raise RegistryError(
                f"could not reach the registry {ref.host} ({type(exc).__name__}: {exc}); "
                "check the repository address and that the registry is up"
            ) from None
    if answer.status_code in (401, 403):
        raise RegistryError(
            f"registry {ref.host} refused to show {ref.repository} ({answer.status_code}); "
            "on Artifact Registry you need roles/artifactregistry.reader on the repository"
        )
    return answer


def find_remote_digest(image_ref: str) -> str | None:
    """The digest the registry has for ``image_ref`` (``host/path:tag``), or None.

    A ``HEAD`` on the manifest (Docker Registry HTTP API v2) accepting Docker v2
    and OCI manifests; plain HTTP for localhost registries, HTTPS otherwise.

    Raises:
        RegistryError: the registry is unreachable or refused the credentials.
    """
    ref = ImageReference.parse(image_ref)
    answer = _registry_request("HEAD", ref, ref.digest or ref.tag or "latest")
    if answer.status_code == 404:
        return None
    if answer.status_code != 200:
        raise RegistryError(f"registry {ref.host} answered {answer.status_code} for {image_ref}")
    digest = answer.headers.get("Docker-Content-Digest")
    if not digest:
        raise RegistryError(f"registry {ref.host} did not send a digest for {image_ref}")
    return str(digest)


def get_manifest(image_ref: str) -> dict[str, Any]:
    """The manifest JSON of ``image_ref`` (tag or digest).

    Raises:
        RegistryError: not found, unreachable or refused.
    """
    ref = ImageReference.parse(image_ref)
    answer = _registry_request("GET", ref, ref.digest or ref.tag or "latest")
    if answer.status_code != 200:
        raise RegistryError(f"registry {ref.host} answered {answer.status_code} for {image_ref}")
    result: dict[str, Any] = answer.json()
    return result


def docker_client() -> docker.DockerClient:
    """A client for the Docker engine named by the environment (``DOCKER_HOST``, default socket).

    Raises:
        DockerUnavailableError: no engine answers.
    """
    import docker

    try:
        client = docker.from_env(timeout=900)
        client.ping()
    except docker.errors.DockerException as exc:
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        raise DockerUnavailableError(
            f"no Docker engine answers at {where} ({exc}). Start one (Docker Desktop, "
            "`sudo systemctl start docker`, or `dockerd` as root) or point DOCKER_HOST at it; "
            "building a training image needs a local Docker engine"
        ) from None
    return client


def _tail(lines: list[str]) -> str:
    return "".join(lines[-_LOG_TAIL:]).rstrip()


def _stream_build(chunks: Iterable[dict[str, Any]], base_image: str, progress: Progress) -> str:
    log: list[str] = []
    step = ""
    image_id = ""
    for chunk in chunks:
        if "stream" in chunk:
            text = str(chunk["stream"])
            log.append(text)
            if text.startswith("Step "):
                step = text.strip()
            for line in text.splitlines():
                if line.strip():
                    progress(line.rstrip())
        elif "status" in chunk:
            progress(str(chunk["status"]))
        if "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
            image_id = str(chunk["aux"]["ID"])
        if "error" in chunk or "errorDetail" in chunk:
            message = str(chunk.get("error") or chunk["errorDetail"].get("message", ""))
            log.append(message + "\n")
            if " : FROM " in step or not step:
                raise BaseImageNotFoundError(
                    f"the base image {base_image!r} could not be found or pulled: {message}. "
                    "Check the name and tag, pull it (`docker pull`) or build it locally; "
                    "for a private registry log Docker in to it first"
                )
            raise BuildFailedError(
                f"the image build failed at {step!r}: {message}\n"
                f"--- last lines of the build log ---\n{_tail(log)}",
                log,
            )
    if not image_id:
        raise BuildFailedError(
            f"the build ended without an image id\n--- build log ---\n{_tail(log)}", log
        )
    return image_id


def build_image(
    context: BuildContext,
    dockerfile: str,
    tag: str,
    *,
    base_image: str,
    cache_from: Sequence[str] = (),
    progress: Progress = lambda line: None,
) -> str:
    """Build ``dockerfile`` over exactly the files of ``context``, tagged ``tag``.

    Host network, so ``pip install`` reaches the index; Docker's layer cache is
    used (dependency layers come before the code, so a code change reuses them).

    ``cache_from`` names local images whose layers the build reuses instead of
    the engine's own cache (Docker's ``--cache-from``). Give it the image pushed
    before: its steps are then reused layer for layer, so the push uploads only
    what changed, even after a ``--no-cache`` build or on a fresh machine whose
    own layers (stamped with the time they were built) differ from the registry's.

    Returns:
        The local image id (``sha256:...``).

    Raises:
        DockerUnavailableError, BaseImageNotFoundError, BuildFailedError.
    """
    global _builds_started
    client = docker_client()
    with tempfile.TemporaryFile() as tar:
        write_context_tar(context, dockerfile, tar)
        tar.seek(0)
        _builds_started += 1
        chunks = client.api.build(
            fileobj=tar,
            custom_context=True,
            dockerfile=DOCKERFILE_NAME,
            tag=tag,
            network_mode="host",
            rm=True,
            forcerm=True,
            pull=False,
            cache_from=list(cache_from) or None,
            decode=True,
        )
        return _stream_build(chunks, base_image, progress)


def pull_if_missing(image_ref: str, *, progress: Progress = lambda line: None) -> bool:
    """Make sure the engine has ``image_ref`` (``host/path:tag``); pull it when it lacks it.

    Returns:
        True when it was pulled, False when the engine had it.

    Raises:
        DockerUnavailableError: no engine.
        RegistryError: the pull failed (not found, refused, unreachable), with the reason.
    """
    import docker

    client = docker_client()
    try:
        client.images.get(image_ref)
        return False
    except docker.errors.ImageNotFound:
        pass
    ref = ImageReference.parse(image_ref)
    auth = registry_credentials(ref.host)
    auth_config = {"username": auth[0], "password": auth[1]} if auth else None
    try:
        chunks = client.api.pull(
            ref.repository,
            tag=ref.digest or ref.tag or "latest",
            stream=True,
            decode=True,
            auth_config=auth_config,
        )
        for chunk in chunks:
            if "error" in chunk or "errorDetail" in chunk:
                detail = chunk.get("errorDetail") or {}
                raise RegistryError(
                    f"could not pull {image_ref}: {chunk.get('error') or detail.get('message')}"
                )
            if chunk.get("status") in ("Download complete", "Pull complete"):
                progress(f"{chunk.get('id', '')}: {chunk['status']}")
    except docker.errors.APIError as exc:
        raise RegistryError(f"could not pull {image_ref}: {exc.explanation or exc}") from None
    return True


@dataclass
class PushResult:
    """What a push did."""

    digest: str
    pushed_layers: list[str] = field(default_factory=list)
    existing_layers: list[str] = field(default_factory=list)


def _scan_push(chunks: Iterator[dict[str, Any]], repository: str, progress: Progress) -> PushResult:
    result = PushResult("")
    for chunk in chunks:
        if "error" in chunk or "errorDetail" in chunk:
            detail = chunk.get("errorDetail") or {}
            message = str(chunk.get("error") or detail.get("message", ""))
            raise PushRefusedError(
                f"the registry refused the push to {repository}: {message}. Check that the "
                "repository exists and is reachable, and that the identity Docker pushes as may "
                f"write to it (on Artifact Registry: {WRITER_ROLE} on the repository)"
            )
        status = str(chunk.get("status", ""))
        layer = str(chunk.get("id", ""))
        if status == "Pushed":
            result.pushed_layers.append(layer)
        elif status == "Layer already exists" or status.startswith("Mounted from"):
            result.existing_layers.append(layer)
        aux = chunk.get("aux")
        if isinstance(aux, dict) and aux.get("Digest"):
            result.digest = str(aux["Digest"])
        if status and status not in ("Pushing", "Preparing", "Waiting"):
            progress(f"{layer}: {status}" if layer else status)
    if not result.digest:
        raise PushRefusedError(
            f"the push to {repository} ended without a digest: the registry did not confirm it"
        )
    return result


def push_image(repository: str, tag: str, *, progress: Progress = lambda line: None) -> PushResult:
    """Push ``repository:tag`` and return its digest and which layers were uploaded.

    Raises:
        DockerUnavailableError: no engine.
        PushRefusedError: an in-band error in the push stream, naming what to do.
    """
    client = docker_client()
    auth = registry_credentials(ImageReference.parse(repository).host)
    auth_config = {"username": auth[0], "password": auth[1]} if auth else None
    chunks = client.api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth_config)
    return _scan_push(chunks, repository, progress)
