"""Which credentials a registry gets, found as ``docker push`` finds them.

For a registry host (``us-central1-docker.pkg.dev``, ``127.0.0.1:5001``), in order:

1. The Docker credential helper named for the host in Docker's config file
   (``credHelpers``), else its default store (``credsStore``): ``docker-credential-NAME
   get`` runs with the host on stdin and answers ``{"Username", "Secret"}``, exactly as
   ``docker push`` runs it. After ``gcloud auth configure-docker`` that is
   ``docker-credential-gcloud`` (gcloud's own login, not Application Default
   Credentials). A helper configured for the host wins over Application Default
   Credentials, as it does for ``docker push``. A helper that answers "credentials not
   found" is passed over; one that fails, or is not on PATH, is an error naming it and
   the host.
2. For Google's registries: user ``oauth2accesstoken`` with an OAuth2 access token from
   Application Default Credentials (``client.google_access_token``). Google's registries
   are ``*-docker.pkg.dev``, ``gcr.io`` and ``*.gcr.io``, and the hosts named in
   ``PULUMI_VERTEX_TRAINING_GOOGLE_REGISTRIES`` (comma- or space-separated
   ``host[:port]``): a registry that takes Google tokens (a proxy, or a local registry
   checking them in tests). An environment variable reaches the Pulumi CLI's provider
   processes unchanged, as ``DOCKER_CONFIG`` and ``VERTEX_AI_EMULATOR_HOST`` do.
3. Otherwise nothing from here: the engine uses what ``docker login`` stored (``auths``).

Docker's config file is ``$DOCKER_CONFIG/config.json`` when ``DOCKER_CONFIG`` is set,
else ``~/.docker/config.json`` (as the docker CLI reads it). Credentials are resolved per
call and handed straight to the engine or the HTTP request; they are never logged,
stored, put in an error, or held by a provider.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_vertex_training.packaging.image_errors import RegistryCredentialsError

GOOGLE_REGISTRIES_ENV = "PULUMI_VERTEX_TRAINING_GOOGLE_REGISTRIES"
"""Extra registry hosts (``host[:port]``, comma- or space-separated) that get Google credentials."""
GOOGLE_USER = "oauth2accesstoken"
ADC = "application default credentials"
HELPER_PREFIX = "docker-credential-"
HELPER_TIMEOUT = 60.0
DOCKER_HUB = "docker.io"
DOCKER_HUB_SERVER = "https://index.docker.io/v1/"
"""The key Docker files Docker Hub credentials under (in ``auths`` and credential helpers)."""
_IDENTITY_TOKEN_USER = "<token>"
_NOT_FOUND = "credentials not found"


@dataclass(frozen=True)
class RegistryCredentials:
    """A user and secret for one registry, and where they came from (never the secret in repr)."""

    username: str
    source: str
    """``docker-credential-gcloud``, ``application default credentials``, ..."""
    secret: str = field(repr=False)

    def engine_auth(self, server: str) -> dict[str, str]:
        """The ``auth_config`` docker-py sends the engine (``X-Registry-Auth``)."""
        if self.username == _IDENTITY_TOKEN_USER:  # a helper's refresh token, as docker-py does
            return {"identitytoken": self.secret, "serveraddress": server}
        return {"username": self.username, "password": self.secret, "serveraddress": server}

    def basic(self) -> tuple[str, str]:
        """``(user, password)`` for HTTP Basic auth (the registry, or its token service)."""
        return self.username, self.secret


def docker_config_path() -> Path:
    """Docker's config file: ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``."""
    directory = os.environ.get("DOCKER_CONFIG", "").strip()
    base = Path(directory) if directory else Path.home() / ".docker"
    return base / "config.json"


def docker_config() -> dict[str, Any]:
    """Docker's config file as a dict; empty when there is none.

    Raises:
        RegistryCredentialsError: it exists but cannot be read or is not a JSON object.
    """
    path = docker_config_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise RegistryCredentialsError(
            f"cannot read Docker's config file {path} ({type(exc).__name__}: {exc}); "
            "fix it, or point DOCKER_CONFIG at another folder"
        ) from None
    if not isinstance(data, dict):
        raise RegistryCredentialsError(f"Docker's config file {path} is not a JSON object")
    return data


def helper_server(host: str) -> str:
    """The server name Docker asks helpers about: the host, or Docker Hub's URL."""
    return DOCKER_HUB_SERVER if host in (DOCKER_HUB, "index.docker.io") else host


def configured_helper(host: str, config: dict[str, Any]) -> str | None:
    """The helper name (``gcloud``) Docker's config names for ``host``: ``credHelpers[host]``,
    else ``credsStore``; None when neither is set."""
    helpers = config.get("credHelpers")
    name = helpers.get(helper_server(host)) if isinstance(helpers, dict) else None
    name = name or config.get("credsStore")
    return str(name) if isinstance(name, str) and name else None


def google_registries() -> set[str]:
    """The extra hosts named in ``PULUMI_VERTEX_TRAINING_GOOGLE_REGISTRIES`` (lowercase)."""
    raw = os.environ.get(GOOGLE_REGISTRIES_ENV, "")
    return {h.lower() for h in raw.replace(",", " ").split() if h}


def is_google_registry(host: str) -> bool:
    """Whether ``host`` takes Google credentials.

    >>> [is_google_registry(h) for h in ("us-docker.pkg.dev", "eu.gcr.io", "notgcr.io")]
    [True, True, False]
    """
    host = host.lower()
    return (
        host.endswith("-docker.pkg.dev")
        or host == "gcr.io"
        or host.endswith(".gcr.io")
        or host in google_registries()
    )


def run_helper(name: str, host: str) -> RegistryCredentials | None:
    """Ask ``docker-credential-<name>`` for the credentials of ``host``; None when it has none.

    Raises:
        RegistryCredentialsError: it is not on PATH, fails, or answers something else than
            ``{"Username", "Secret"}`` (the message names the helper and the host).
    """
    program = HELPER_PREFIX + name
    fix = f"or remove {host!r} from credHelpers (or credsStore) in {docker_config_path()}"
    executable = shutil.which(program)
    if executable is None:
        raise RegistryCredentialsError(
            f"Docker's config names the credential helper {program} for {host}, but it is "
            f"not on PATH: install it (docker-credential-gcloud comes with the Google Cloud "
            f"CLI), {fix}"
        )
    try:
        done = subprocess.run(
            [executable, "get"],
            input=helper_server(host).encode(),
            capture_output=True,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RegistryCredentialsError(
            f"the credential helper {program} for {host} could not run "
            f"({type(exc).__name__}: {exc}); fix it, {fix}"
        ) from None
    answer = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0:
        if _NOT_FOUND in answer.lower():
            return None
        # Only the helper's error text: its standard output may hold a secret.
        said = done.stderr.decode(errors="replace").strip()[-500:] or "(nothing on stderr)"
        raise RegistryCredentialsError(
            f"the credential helper {program} failed for {host} (exit {done.returncode}): "
            f"{said}. Fix it (for gcloud: `gcloud auth login`), {fix}"
        )
    try:
        data = json.loads(answer)
        username, secret = str(data["Username"]), str(data["Secret"])
    except (ValueError, KeyError, TypeError):
        raise RegistryCredentialsError(
            f"the credential helper {program} answered for {host} with something other than "
            '{"Username": ..., "Secret": ...} JSON'
        ) from None
    if not username and not secret:
        return None
    return RegistryCredentials(username, source=program, secret=secret)


def google_credentials(host: str) -> RegistryCredentials:
    """``oauth2accesstoken`` and a fresh access token from Application Default Credentials.

    Raises:
        RegistryCredentialsError: there are none, or the token could not be refreshed.
    """
    from google.auth import exceptions

    from pulumi_vertex_training import client

    try:
        token = client.google_access_token()
    except exceptions.GoogleAuthError as exc:
        raise RegistryCredentialsError(
            f"no Google credentials for {host}: {type(exc).__name__}: {exc}. Run "
            "`gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS, or "
            f"name a Docker credential helper for the host (`gcloud auth configure-docker {host}`)"
        ) from None
    return RegistryCredentials(GOOGLE_USER, source=ADC, secret=token)


def registry_credentials(host: str) -> RegistryCredentials | None:
    """The credentials for ``host`` (see the module docstring for the order), or None.

    Raises:
        RegistryCredentialsError: a configured helper failed or is missing, or a Google
            registry has no Application Default Credentials.
    """
    helper = configured_helper(host, docker_config())
    if helper is not None:
        found = run_helper(helper, host)
        if found is not None:
            return found
    if is_google_registry(host):
        return google_credentials(host)
    return None


def credentials_note(host: str) -> str | None:
    """A progress line saying where the credentials for ``host`` come from, without running
    anything: ``using docker-credential-gcloud for us-central1-docker.pkg.dev``."""
    try:
        helper = configured_helper(host, docker_config())
    except RegistryCredentialsError:
        return None  # the call that needs them says why
    google = is_google_registry(host)
    if helper is not None:
        fallback = f" (else {ADC})" if google else ""
        return f"using {HELPER_PREFIX}{helper} for {host}{fallback}"
    return f"using {ADC} for {host}" if google else None
