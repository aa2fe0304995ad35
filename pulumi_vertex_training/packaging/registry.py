"""Build with Docker, push to a registry, and ask the registry what it has.

The only module of the library (besides the emulator's runner) that talks to
Docker. docker-py's push returns a stream and does not raise on in-band
``error``/``errorDetail`` chunks (docker/docker-py#3161, #3277): we scan it.
Which credentials each registry gets is ``registry_auth``'s business; they are
resolved per call and never logged or stored. docker-py is imported only when an
image is built, pushed or pulled: without it, ``DockerNotInstalledError`` says what
to install.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulumi_vertex_training.packaging.context import (
    DOCKERFILE_NAME,
    BuildContext,
    write_context_tar,
)
from pulumi_vertex_training.packaging.image_errors import (
    DOCKER_MISSING,
    READER_ROLE,
    WRITER_ROLE,
    BaseImageNotFoundError,
    BuildFailedError,
    DockerNotInstalledError,
    DockerUnavailableError,
    PushRefusedError,
    RegistryCredentialsError,
    RegistryError,
)
from pulumi_vertex_training.packaging.image_errors import (
    ImageError as ImageError,
)
from pulumi_vertex_training.packaging.registry_auth import (
    RegistryCredentials,
    docker_config_path,
    helper_server,
    registry_credentials,
)
from pulumi_vertex_training.packaging.registry_http import (
    MANIFEST_MEDIA_TYPES as MANIFEST_MEDIA_TYPES,
)
from pulumi_vertex_training.packaging.registry_http import (
    find_remote_digest as find_remote_digest,
)
from pulumi_vertex_training.packaging.registry_http import get_manifest as get_manifest
from pulumi_vertex_training.spec.artifacts import ImageReference

if TYPE_CHECKING:
    import docker


Progress = Callable[[str], None]
"""Receives one human-readable line of build or push progress."""

_LOG_TAIL = 30

_builds_started = 0


def builds_started() -> int:
    """How many image builds this process has started (for tests and benchmarks)."""
    return _builds_started


def require_docker() -> None:
    """Fail at once, saying what to install, when docker-py is not installed (no import).

    Raises:
        DockerNotInstalledError: ``vt.TrainingImage builds with Docker: pip install docker ...``.
    """
    if importlib.util.find_spec("docker") is None:
        raise DockerNotInstalledError(DOCKER_MISSING)


def _docker() -> Any:
    try:
        import docker
    except ImportError:
        raise DockerNotInstalledError(DOCKER_MISSING) from None
    return docker


def docker_client() -> docker.DockerClient:
    """A client for the Docker engine named by the environment (``DOCKER_HOST``, default socket).

    Raises:
        DockerUnavailableError: no engine answers.
    """
    docker = _docker()
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


def _build_credentials(
    client: docker.DockerClient, base_image: str, progress: Progress
) -> dict[str, Any]:
    """What a build sends the engine (``X-Registry-Config``) to pull its base image.

    docker-py would run *every* credential helper in Docker's config for every build
    (its ``images.build`` and ``api.build`` alike), so one broken helper for an
    unrelated registry (gcloud's, not logged in) fails each build. Instead: the
    ``docker login`` entries (``auths``, no helper runs), and, when the engine lacks
    the base image, the base image's registry's credentials as a push would get them.
    A failure to get those is said and the build goes on without them (as ``docker
    build`` does): a public base image needs none.
    """
    docker = _docker()
    config = docker_config_path()  # the file registry_auth reads, not docker-py's fallbacks
    try:
        loaded = docker.auth.load_config(str(config)) if config.is_file() else None
        auth_data: dict[str, Any] = dict(loaded.auths) if loaded is not None else {}
    except docker.errors.DockerException:
        auth_data = {}
    host, _ = docker.auth.split_repo_name(base_image)
    try:
        if base_image != "scratch":  # no image: nothing to pull
            client.images.get(base_image)
        return auth_data
    except docker.errors.DockerException:
        pass  # not there: the engine pulls it
    try:
        credentials = registry_credentials(host)
    except RegistryCredentialsError as exc:
        progress(f"pulling {base_image} without credentials: {exc}")
        return auth_data
    if credentials is not None:
        server = helper_server(host)
        auth_data[server] = credentials.engine_auth(server)
    return auth_data


def _send_build_credentials(client: docker.DockerClient, auth_data: dict[str, Any]) -> None:
    # The low-level API has no parameter for X-Registry-Config: docker-py fills it in
    # APIClient._set_auth_headers from every helper (see _build_credentials). This
    # client is made for this build only; tests/packaging/test_registry_auth.py checks
    # that a broken helper no longer fails a build.
    encode = _docker().auth.encode_header

    def set_auth_headers(headers: dict[str, Any]) -> None:
        if auth_data:
            headers["X-Registry-Config"] = encode(auth_data)

    client.api._set_auth_headers = set_auth_headers


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
    _send_build_credentials(client, _build_credentials(client, base_image, progress))
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
    docker = _docker()
    client = docker_client()
    try:
        client.images.get(image_ref)
        return False
    except docker.errors.ImageNotFound:
        pass
    ref = ImageReference.parse(image_ref)
    credentials = registry_credentials(ref.host)
    auth_config = credentials.engine_auth(ref.host) if credentials else None
    refused = f"; on Artifact Registry the identity{_behind(credentials)} needs {READER_ROLE}"
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
                message = chunk.get("error") or detail.get("message")
                raise RegistryError(f"could not pull {image_ref}: {message}{refused}")
            if chunk.get("status") in ("Download complete", "Pull complete"):
                progress(f"{chunk.get('id', '')}: {chunk['status']}")
    except docker.errors.APIError as exc:
        raise RegistryError(
            f"could not pull {image_ref}: {exc.explanation or exc}{refused}"
        ) from None
    return True


@dataclass
class PushResult:
    """What a push did."""

    digest: str
    pushed_layers: list[str] = field(default_factory=list)
    existing_layers: list[str] = field(default_factory=list)


def _behind(credentials: RegistryCredentials | None) -> str:
    return f" behind {credentials.source}" if credentials is not None else ""


def _scan_push(
    chunks: Iterator[dict[str, Any]],
    repository: str,
    progress: Progress,
    credentials: RegistryCredentials | None = None,
) -> PushResult:
    result = PushResult("")
    for chunk in chunks:
        if "error" in chunk or "errorDetail" in chunk:
            detail = chunk.get("errorDetail") or {}
            message = str(chunk.get("error") or detail.get("message", ""))
            raise PushRefusedError(
                f"the registry refused the push to {repository}: {message}. Check that the "
                f"repository exists and is reachable, and that the identity{_behind(credentials)} "
                f"may write to it (on Artifact Registry: {WRITER_ROLE} on the repository)"
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
    host = ImageReference.parse(repository).host
    credentials = registry_credentials(host)
    auth_config = credentials.engine_auth(host) if credentials else None
    chunks = client.api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth_config)
    return _scan_push(chunks, repository, progress, credentials)
