"""ImageProvider against registries that enforce authentication (htpasswd, and the Bearer
token flow of ``*-docker.pkg.dev``), with Application Default Credentials whose token
endpoint is local and with a Docker credential helper; in-process and in the Pulumi
SDK's provider host process (what the CLI runs)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.provider.image import ImageProvider
from pulumi_vertex_training.testing.host import DynamicHost
from tests.packaging.auth_registries import (
    AuthRegistries,
    access_token,
    answering_helper,
    auth_registries_fixture,  # noqa: F401
    google_adc_fixture,  # noqa: F401
    write_docker_config,
    write_helper,
)
from tests.provider.test_image_provider import created, image_props

pytestmark = pytest.mark.docker


def _repository(host: str) -> str:
    # One repository per registry: its 191 MB base layer is uploaded once per session.
    return f"{host}/proj"


def _package(make_package: Callable[..., Path]) -> Path:
    """A trainer package of its own content hash: never adopted from an earlier test."""
    return make_package(unique_txt=secrets.token_hex(8))


def said(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    return "".join(capfd.readouterr()) + caplog.text


@pytest.mark.slow
def test_create_pushes_with_the_adc_token_then_adopts_saying_where_credentials_come_from(
    google_adc: AuthRegistries,
    make_package: Callable[..., Path],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO")
    provider = ImageProvider()
    props = image_props(_package(make_package), _repository(google_adc.basic))
    builds = registry.builds_started()

    first = created(provider, props)
    assert first["digest"].startswith("sha256:")
    assert registry.find_remote_digest(first["image_uri"]) == first["digest"]
    assert f"using application default credentials for {google_adc.basic}" in said(capfd, caplog)

    again = created(provider, props)  # the registry has the tag: adopted, not rebuilt
    assert again["digest"] == first["digest"]
    assert registry.builds_started() == builds + 1
    assert "nothing to build" in said(capfd, caplog)


@pytest.mark.slow
def test_create_in_the_provider_host_process_gets_google_credentials_from_the_environment(
    google_adc: AuthRegistries, make_package: Callable[..., Path]
) -> None:
    """PULUMI_VERTEX_TRAINING_GOOGLE_REGISTRIES, the ADC file and DOCKER_CONFIG reach the
    provider through its environment, as they reach the CLI's provider processes."""
    props = image_props(_package(make_package), _repository(google_adc.bearer))
    with DynamicHost(project="tests") as host:
        inputs, failures = host.check({}, {**props, "__provider": host.serialize(ImageProvider())})
        assert failures == []
        image_uri, outs = host.create(inputs)
    assert image_uri == outs["image_uri"]
    assert registry.find_remote_digest(image_uri) == outs["digest"]
    assert "oauth2accesstoken" in {user for user, _, _ in google_adc.tokens.requests}


def test_create_with_a_refused_token_says_which_role_to_grant(
    google_adc: AuthRegistries, make_package: Callable[..., Path]
) -> None:
    refused = access_token("ya29.REFUSED")
    google_adc.oauth.issue = lambda: refused
    props = image_props(_package(make_package), _repository(google_adc.bearer))
    with pytest.raises(registry.RegistryError) as err:
        created(ImageProvider(), props)
    assert "roles/artifactregistry.reader" in str(err.value)
    assert refused not in str(err.value)

    google_adc.oauth.issue = lambda: google_adc.token
    google_adc.tokens.actions = {"pull"}  # may read, may not push
    # a repository of its own: the engine keeps the tokens it got for a scope a while
    props = {**props, "repository": f"{google_adc.bearer}/readonly-{secrets.token_hex(4)}"}
    with pytest.raises(registry.PushRefusedError) as push:
        created(ImageProvider(), props)
    assert "roles/artifactregistry.writer" in str(push.value)


def test_create_uses_the_credential_helper_docker_config_names_and_says_so(
    google_adc: AuthRegistries,
    make_package: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO")
    bindir = tmp_path / "bin"
    write_helper(
        bindir, "gcloud", answering_helper(tmp_path / "log", "_dcgcloud_token", google_adc.token)
    )
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-adc.json"))
    write_docker_config(credHelpers={google_adc.bearer: "gcloud"})

    outs = created(
        ImageProvider(), image_props(_package(make_package), _repository(google_adc.bearer))
    )
    assert registry.find_remote_digest(outs["image_uri"]) == outs["digest"]
    assert f"using docker-credential-gcloud for {google_adc.bearer}" in said(capfd, caplog)
    assert google_adc.oauth.requests == []
