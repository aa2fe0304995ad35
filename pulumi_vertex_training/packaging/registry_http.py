"""Ask a registry what it has, over the Docker Registry HTTP API v2 (no Docker engine).

Plain HTTP for loopback registries, HTTPS otherwise. Credentials come from
``registry_auth`` per call: sent as HTTP Basic to a registry that asks for it
(``WWW-Authenticate: Basic``), or to its token service when it answers with a Bearer
challenge (``WWW-Authenticate: Bearer realm=...,service=...,scope=...``), as
``*-docker.pkg.dev`` does; the token it gets is used for the one request.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_vertex_training.packaging.image_errors import READER_ROLE, WRITER_ROLE, RegistryError
from pulumi_vertex_training.packaging.registry_auth import registry_credentials
from pulumi_vertex_training.spec.artifacts import ImageReference

MANIFEST_MEDIA_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _scheme(host: str) -> str:
    hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return "http" if hostname in _LOCAL_HOSTS else "https"


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
            f"{READER_ROLE} to read and {WRITER_ROLE} to push)"
        )
    body = answer.json()
    return str(body.get("token") or body.get("access_token") or "")


def _registry_request(method: str, ref: ImageReference, what: str) -> Any:
    import requests

    url = f"{_scheme(ref.host)}://{ref.host}/v2/{ref.path}/manifests/{what}"
    headers = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
    credentials = registry_credentials(ref.host)
    auth = credentials.basic() if credentials is not None else None
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
            f"on Artifact Registry you need {READER_ROLE} on the repository"
            + (f" for the identity behind {credentials.source}" if credentials else "")
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
