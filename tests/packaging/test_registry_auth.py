"""Registry authentication end to end: Google tokens from Application Default Credentials
and Docker's credential helpers, against local registries that enforce auth (htpasswd,
and the Bearer-token flow ``*-docker.pkg.dev`` uses), with the real engine."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_vertex_training.packaging import registry, registry_auth
from pulumi_vertex_training.packaging.context import collect_context
from tests.packaging.auth_registries import (
    AuthRegistries,
    access_token,
    answering_helper,
    auth_registries_fixture,  # noqa: F401
    google_adc_fixture,  # noqa: F401
    write_docker_config,
    write_helper,
)

pytestmark = pytest.mark.docker


@pytest.fixture
def tiny_image(tmp_path: Path, docker_client: Any) -> Callable[[str], str]:
    """``tiny_image(repository)`` builds a one-file image ``FROM scratch`` (unique content)
    tagged ``repository:v1`` with the library's own build; removed after the test."""
    tags: list[str] = []

    def build(repository: str) -> str:
        source = tmp_path / f"ctx-{len(tags)}"
        source.mkdir()
        (source / "payload.txt").write_text(secrets.token_hex(16))
        registry.build_image(
            collect_context(source),
            "FROM scratch\nCOPY payload.txt /payload.txt\n",
            f"{repository}:v1",
            base_image="scratch",
        )
        tags.append(f"{repository}:v1")
        return repository

    yield build
    for tag in tags:
        try:
            docker_client.images.remove(tag, force=True)
        except Exception:
            pass


def _repository(host: str) -> str:
    return f"{host}/proj/img-{secrets.token_hex(4)}"


@pytest.mark.parametrize("kind", ["basic", "bearer"])
def test_push_find_and_pull_use_the_token_application_default_credentials_issue(
    google_adc: AuthRegistries, tiny_image: Callable[[str], str], docker_client: Any, kind: str
) -> None:
    """The ADC file's token endpoint issues the token; the registry takes nothing else."""
    repository = tiny_image(_repository(getattr(google_adc, kind)))

    pushed = registry.push_image(repository, "v1")
    assert pushed.digest.startswith("sha256:")
    assert registry.find_remote_digest(f"{repository}:v1") == pushed.digest
    assert registry.get_manifest(f"{repository}@{pushed.digest}")["schemaVersion"] == 2
    docker_client.images.remove(f"{repository}:v1", force=True)
    assert registry.pull_if_missing(f"{repository}:v1") is True

    # google-auth really refreshed (JWT-bearer grant of a service account), once per call
    assert google_adc.oauth.requests
    assert set(google_adc.oauth.requests) == {"urn:ietf:params:oauth:grant-type:jwt-bearer"}
    if kind == "bearer":
        users = {user for user, _, _ in google_adc.tokens.requests}
        assert users == {"oauth2accesstoken"}
        path = repository.split("/", 1)[1]
        # the engine's push, and our own HEAD/GET with the challenge's scope
        assert [f"repository:{path}:push,pull"] in [s for _, _, s in google_adc.tokens.requests]
        assert [f"repository:{path}:pull"] in [s for _, _, s in google_adc.tokens.requests]


@pytest.mark.parametrize("kind", ["basic", "bearer"])
def test_a_refused_token_says_which_role_to_grant_and_never_shows_the_token(
    google_adc: AuthRegistries, tiny_image: Callable[[str], str], kind: str
) -> None:
    refused = access_token("ya29.REFUSED")
    google_adc.oauth.issue = lambda: refused
    repository = tiny_image(_repository(getattr(google_adc, kind)))

    with pytest.raises(registry.PushRefusedError) as push:
        registry.push_image(repository, "v1")
    assert "roles/artifactregistry.writer" in str(push.value)
    assert "application default credentials" in str(push.value)
    with pytest.raises(registry.RegistryError) as find:
        registry.find_remote_digest(f"{repository}:v1")
    assert "roles/artifactregistry.reader" in str(find.value)
    with pytest.raises(registry.RegistryError) as pull:
        registry.pull_if_missing(f"{repository}:v0")
    assert "roles/artifactregistry.reader" in str(pull.value)
    for error in (push.value, find.value, pull.value):
        assert refused not in str(error) and refused[:40] not in repr(error)


def test_a_token_that_may_only_pull_is_refused_the_push_naming_the_writer_role(
    google_adc: AuthRegistries, tiny_image: Callable[[str], str]
) -> None:
    google_adc.tokens.actions = {"pull"}
    repository = tiny_image(_repository(google_adc.bearer))
    with pytest.raises(registry.PushRefusedError, match="denied") as push:
        registry.push_image(repository, "v1")
    assert "roles/artifactregistry.writer" in str(push.value)
    assert registry.find_remote_digest(f"{repository}:v1") is None  # reading is allowed


def test_a_loopback_registry_gets_google_credentials_only_when_named(
    google_adc: AuthRegistries, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert registry_auth.registry_credentials(google_adc.basic) is not None
    monkeypatch.setenv(registry_auth.GOOGLE_REGISTRIES_ENV, "")
    assert registry_auth.registry_credentials(google_adc.basic) is None
    with pytest.raises(registry.RegistryError, match=r"refused to show .*\(401\)"):
        registry.find_remote_digest(f"{google_adc.basic}/proj/none:v1")
    assert google_adc.oauth.requests == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]


@pytest.mark.parametrize(
    ("host", "google"),
    [
        ("us-central1-docker.pkg.dev", True),
        ("gcr.io", True),
        ("eu.gcr.io", True),
        ("evilgcr.io", False),  # a suffix is not a domain
        ("127.0.0.1:5000", False),
        ("registry.example:5001", True),  # named in the environment
        ("REGISTRY.example:5001", True),
    ],
)
def test_is_google_registry_takes_google_domains_and_the_named_hosts(
    monkeypatch: pytest.MonkeyPatch, host: str, google: bool
) -> None:
    monkeypatch.setenv(registry_auth.GOOGLE_REGISTRIES_ENV, " other:1, registry.example:5001 ")
    assert registry_auth.is_google_registry(host) is google


def test_missing_application_default_credentials_say_how_to_log_in(
    google_adc: AuthRegistries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    with pytest.raises(registry.RegistryCredentialsError) as err:
        registry.find_remote_digest(f"{google_adc.basic}/proj/x:v1")
    assert google_adc.basic in str(err.value)
    assert "gcloud auth application-default login" in str(err.value)


# -- Docker's credential helpers ---------------------------------------------------------


@pytest.fixture
def bindir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder first on PATH for fake ``docker-credential-*`` helpers."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", f"{path}{os.pathsep}{os.environ['PATH']}")
    return path


@pytest.mark.parametrize("section", ["credHelpers", "credsStore"])
def test_a_credential_helper_for_the_host_wins_over_application_default_credentials(
    google_adc: AuthRegistries,
    tiny_image: Callable[[str], str],
    bindir: Path,
    tmp_path: Path,
    section: str,
) -> None:
    """``gcloud auth configure-docker`` names docker-credential-gcloud: used as docker push
    would use it (host on stdin), and ADC is not asked at all."""
    log = tmp_path / "helper.log"
    # user as the real docker-credential-gcloud answers it
    write_helper(bindir, "gcloud", answering_helper(log, "_dcgcloud_token", google_adc.token))
    host = google_adc.bearer
    if section == "credHelpers":
        write_docker_config(credHelpers={host: "gcloud", "other.example": "absent"})
    else:
        write_docker_config(credsStore="gcloud")
    repository = tiny_image(_repository(host))

    assert registry_auth.credentials_note(host) == (
        f"using docker-credential-gcloud for {host} (else application default credentials)"
    )
    digest = registry.push_image(repository, "v1").digest
    assert registry.find_remote_digest(f"{repository}:v1") == digest
    assert set(log.read_text().split()) == {host}
    assert google_adc.oauth.requests == []  # ADC never asked
    assert {user for user, _, _ in google_adc.tokens.requests} == {"_dcgcloud_token"}


def test_a_helper_without_credentials_for_the_host_falls_back_to_adc(
    google_adc: AuthRegistries, tiny_image: Callable[[str], str], bindir: Path
) -> None:
    write_helper(bindir, "empty", 'echo "credentials not found in native keychain"; exit 1\n')
    write_docker_config(credsStore="empty")
    repository = tiny_image(_repository(google_adc.basic))
    assert registry.push_image(repository, "v1").digest
    assert google_adc.oauth.requests


def test_a_failing_helper_is_an_error_naming_it_and_the_host(
    google_adc: AuthRegistries, bindir: Path
) -> None:
    secret = access_token("ya29.HELPER")
    write_helper(
        bindir,
        "gcloud",
        f'echo \'{{"Secret": "{secret}"}}\'\n'  # a half answer on stdout: never shown
        'echo "You do not currently have an active account selected." >&2; exit 1\n',
    )
    write_docker_config(credHelpers={google_adc.basic: "gcloud"})
    with pytest.raises(registry.RegistryCredentialsError) as err:
        registry.find_remote_digest(f"{google_adc.basic}/proj/x:v1")
    message = str(err.value)
    assert "docker-credential-gcloud" in message and google_adc.basic in message
    assert "You do not currently have an active account selected." in message
    assert secret not in message


def test_a_helper_not_on_path_is_an_error_naming_it_and_the_host(
    google_adc: AuthRegistries, tiny_image: Callable[[str], str]
) -> None:
    write_docker_config(credHelpers={google_adc.basic: "vt-absent-helper"})
    repository = tiny_image(_repository(google_adc.basic))
    with pytest.raises(registry.RegistryCredentialsError) as err:
        registry.push_image(repository, "v1")
    assert "docker-credential-vt-absent-helper" in str(err.value)
    assert "not on PATH" in str(err.value) and google_adc.basic in str(err.value)


def test_a_build_never_runs_the_helpers_of_unrelated_registries(
    google_adc: AuthRegistries, tiny_image: Callable[[str], str], bindir: Path, tmp_path: Path
) -> None:
    """docker-py sends every helper's credentials with each build, so one broken helper
    (gcloud not logged in, or not installed) failed every build."""
    ran = tmp_path / "ran"
    write_helper(bindir, "broken", f'touch "{ran}"; echo "not logged in" >&2; exit 1\n')
    write_docker_config(
        credHelpers={"us-docker.pkg.dev": "broken", "eu.gcr.io": "vt-absent-helper"}
    )
    assert tiny_image(_repository(google_adc.basic))
    assert not ran.exists()


@pytest.mark.parametrize("login", ["adc", "docker login"])
def test_a_build_pulls_a_private_base_image_with_its_registry_credentials(
    google_adc: AuthRegistries,
    tiny_image: Callable[[str], str],
    docker_client: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    login: str,
) -> None:
    """The engine pulls a missing base image during the build with what the build sends:
    the base registry's credentials (here from ADC), or a ``docker login`` entry."""
    base = tiny_image(_repository(google_adc.basic))
    registry.push_image(base, "v1")
    docker_client.images.remove(f"{base}:v1", force=True)
    if login == "docker login":
        monkeypatch.setenv(registry_auth.GOOGLE_REGISTRIES_ENV, "")
        basic = base64.b64encode(f"oauth2accesstoken:{google_adc.token}".encode()).decode()
        write_docker_config(auths={google_adc.basic: {"auth": basic}})
    source = tmp_path / "child"
    source.mkdir()
    (source / "child.txt").write_text("child")
    try:
        registry.build_image(
            collect_context(source),
            f"FROM {base}:v1\nCOPY child.txt /child.txt\n",
            f"{base}-child:v1",
            base_image=f"{base}:v1",
        )
    finally:
        for tag in (f"{base}-child:v1", f"{base}:v1"):
            try:
                docker_client.images.remove(tag, force=True)
            except Exception:
                pass
