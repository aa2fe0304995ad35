"""``client.console_url``: the Cloud console, or the emulator's own console when the stack
runs against ``vertex-local`` (the rule is in client.py's ``emulator_console``)."""

from __future__ import annotations

import pytest

from pulumi_vertex_training import client

JOB = "projects/p/locations/us-central1/customJobs/123"
RESOURCE = "projects/p/locations/europe-west4/persistentResources/warm-pool"


@pytest.fixture(autouse=True)
def _no_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(client.EMULATOR_HOST_ENV, raising=False)
    monkeypatch.delenv(client.EMULATOR_CONSOLE_ENV, raising=False)


def test_console_url_is_the_cloud_console_when_no_emulator_is_set() -> None:
    assert client.console_url(JOB) == (
        "https://console.cloud.google.com/vertex-ai/locations/us-central1/training/123/cpu"
        "?project=p"
    )
    assert client.console_url(RESOURCE) == (
        "https://console.cloud.google.com/vertex-ai/locations/europe-west4/persistent-resources"
        "/warm-pool?project=p"
    )
    assert client.console_url("not/a/name") == ""


def test_console_url_ignores_the_console_variable_when_no_emulator_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(client.EMULATOR_CONSOLE_ENV, "http://127.0.0.1:9999")
    assert client.console_url(JOB).startswith("https://console.cloud.google.com/")


def test_console_url_is_the_rest_port_next_to_the_grpc_port_when_the_emulator_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, "127.0.0.1:8470")
    assert client.emulator_console() == "http://127.0.0.1:8471/console"
    assert client.console_url(JOB) == (
        "http://127.0.0.1:8471/console/projects/p/locations/us-central1/customJobs/123"
    )
    assert client.console_url(RESOURCE) == (
        "http://127.0.0.1:8471/console/projects/p/locations/europe-west4/persistentResources/"
        "warm-pool"
    )
    assert client.console_url("not/a/name") == ""


def test_pipelines_and_models_link_to_their_local_pages_when_the_emulator_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, "127.0.0.1:8470")
    local = "http://127.0.0.1:8471/console/projects/p/locations/us-central1"
    assert client.console_url("projects/p/locations/us-central1/trainingPipelines/7") == (
        f"{local}/trainingPipelines/7"
    )
    assert client.console_url("projects/p/locations/us-central1/models/42") == f"{local}/models/42"
    # a version, or an alias, is an anchor on the model's page (it lists the versions)
    assert client.console_url("projects/p/locations/us-central1/models/42@2") == (
        f"{local}/models/42#version-2"
    )
    assert client.console_url("projects/p/locations/us-central1/models/42@prod") == (
        f"{local}/models/42#version-prod"
    )


def test_models_keep_their_version_in_the_cloud_console() -> None:
    assert client.console_url("projects/p/locations/us-central1/models/42@2") == (
        "https://console.cloud.google.com/vertex-ai/models/locations/us-central1/models/42"
        "/versions/2?project=p"
    )
    assert client.console_url("projects/p/locations/us-central1/models/42").endswith(
        "/models/42/versions/default?project=p"
    )


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost:9000", "http://localhost:9001/console"),
        ("[::1]:8470", "http://[::1]:8471/console"),
        (" 127.0.0.1:8470 ", "http://127.0.0.1:8471/console"),
        ("127.0.0.1", None),  # no port: nothing to derive the REST port from
        ("127.0.0.1:65535", None),
    ],
)
def test_emulator_console_derives_the_rest_port_from_the_grpc_address(
    monkeypatch: pytest.MonkeyPatch, host: str, expected: str | None
) -> None:
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, host)
    assert client.emulator_console() == expected


@pytest.mark.parametrize(
    "value",
    [
        "http://127.0.0.1:40123",
        "http://127.0.0.1:40123/",
        "http://127.0.0.1:40123/console",
        "http://127.0.0.1:40123/console/",
    ],
)
def test_emulator_console_takes_the_console_variable_when_set(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(client.EMULATOR_HOST_ENV, "127.0.0.1:8470")
    monkeypatch.setenv(client.EMULATOR_CONSOLE_ENV, value)
    assert client.console_url(JOB) == (
        "http://127.0.0.1:40123/console/projects/p/locations/us-central1/customJobs/123"
    )
