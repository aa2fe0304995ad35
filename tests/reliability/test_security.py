"""Nothing leaks: no credentials in pickled providers or saved state, secrets stay
secret, credential files never enter an image, the emulator listens on loopback only."""

from __future__ import annotations

import base64
import json
import logging
import pathlib
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

import pulumi_vertex_training as vt
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.provider.image import ImageProvider
from pulumi_vertex_training.provider.persistent_resource import PersistentResourceProvider
from pulumi_vertex_training.provider.python_package import PythonPackageProvider
from pulumi_vertex_training.testing import ProgramRunner
from tests import listening
from tests.emulator.fake_runner import FakeRunner
from tests.packaging.auth_registries import (
    AuthRegistries,
    access_token,
    auth_registries_fixture,  # noqa: F401
    google_adc_fixture,  # noqa: F401
)
from tests.reliability.support import CONFIG, fault_emulator, trivial_job_spec

TOKEN = "ya29.fake-access-token-for-the-leak-test"


@pytest.fixture
def credentials(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """A service account key with a fresh RSA private key, as Application Default
    Credentials (GOOGLE_APPLICATION_CREDENTIALS), resolvable by google.auth.default()."""
    import google.auth
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "leak-test",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": "deployer@leak-test.iam.gserviceaccount.com",
        "client_id": "112233445566778899001",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
    creds, project = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    assert project == "leak-test" and creds.service_account_email == info["client_email"]
    creds.token = TOKEN  # as if refreshed: a live token sits in this process
    yield {"creds": creds, "info": info, "path": str(path)}


def secrets_of(credentials: dict[str, Any]) -> list[str]:
    """Strings that must never appear: key material, key id, SA JSON, token, key path."""
    info = credentials["info"]
    body = "".join(info["private_key"].splitlines()[1:-1])
    return [
        "PRIVATE KEY",
        body[:64],
        body[-64:],
        info["private_key_id"],
        TOKEN,
        credentials["path"],
        '"type": "service_account"',
    ]


def assert_clean(blob: str, credentials: dict[str, Any], what: str) -> None:
    for secret in secrets_of(credentials):
        assert secret not in blob, f"{what} holds credential material: {secret[:20]}..."


@pytest.mark.parametrize(
    "provider",
    [CustomJobProvider, PersistentResourceProvider, ImageProvider, PythonPackageProvider],
    ids=lambda p: p.__name__,
)
def test_pickled_provider_holds_no_credentials_when_credentials_are_loaded(
    credentials: dict[str, Any], provider: type
) -> None:
    from pulumi.dynamic import Config, ConfigureRequest

    instance = provider()
    instance.configure(ConfigureRequest(Config(dict(CONFIG), "project")))
    pickled = base64.b64decode(serialize_provider(instance))
    assert len(pickled) < 2000, "a provider should pickle by reference, small"
    assert_clean(pickled.decode("latin-1"), credentials, provider.__name__)


def test_saved_state_holds_no_credentials_and_secrets_stay_secret(
    credentials: dict[str, Any], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def program() -> None:
        spec = trivial_job_spec()
        spec["worker_pool_specs"][0]["container_spec"]["env"] = [
            {"name": "API_KEY", "value": pulumi.Output.secret("s3cr3t-env-value")}
        ]
        job = vt.CustomJob(
            "train",
            job_spec=spec,
            display_name=pulumi.Output.secret("secret-display-name"),
            wait="none",
        )
        pulumi.export("job_spec", job.job_spec)
        pulumi.export("display_name", job.display_name)
        pulumi.export("state", job.state)

    state_file = tmp_path / "state.json"
    with fault_emulator(tmp_path / "vertex", monkeypatch):
        stack = ProgramRunner(program, config=CONFIG, state_file=state_file)
        result = stack.up()
        saved = stack.resources("CustomJob")["train"]
        assert {"job_spec", "display_name"} <= set(saved["secret_outputs"])
        assert rpc.is_rpc_secret(result.outputs["job_spec"])
        assert rpc.is_rpc_secret(result.outputs["display_name"])
        assert not rpc.is_rpc_secret(result.outputs["state"])
        # saved marked where they are, inputs and outputs, as in the CLI's state
        on_disk = json.loads(state_file.read_text())
        job = next(r for r in on_disk["resources"].values() if r["name"] == "train")
        for props in (job["inputs"], job["outputs"]):
            assert rpc.is_rpc_secret(props["display_name"])
            assert rpc.is_rpc_secret(props["job_spec"]["worker_pool_specs"])
            assert not rpc.is_rpc_secret(props["job_spec"].get("scheduling", {}))
        assert rpc.is_rpc_secret(on_disk["outputs"]["job_spec"])
        assert not rpc.is_rpc_secret(on_disk["outputs"]["state"])
        assert "s3cr3t-env-value" not in json.dumps(in_the_clear(on_disk))
        stack.destroy()
    assert_clean(state_file.read_text(), credentials, "the saved state")


def in_the_clear(value: Any) -> Any:
    """``value`` with every secret-marked part dropped: what state holds in the clear."""
    if rpc.is_rpc_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {k: in_the_clear(v) for k, v in value.items()}
    if isinstance(value, list):
        return [in_the_clear(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "sa-key.json",
            '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}',
        ),
        (".env", "API_KEY=abc\n"),
        ("keys/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
    ],
)
def test_training_image_refuses_a_context_holding_credentials(
    tmp_path: pathlib.Path, name: str, content: str
) -> None:
    source = tmp_path / "src"
    (source / "trainer").mkdir(parents=True)
    (source / "trainer" / "task.py").write_text("print('train')\n")
    secret = source / "trainer" / name  # inside the code the Dockerfile copies
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(content)

    def program() -> None:
        vt.TrainingImage(
            "image",
            source_dir=str(source),
            script="trainer/task.py",
            base_image="local/python:3.11",
            repository="127.0.0.1:5000/leak",
        )

    with pytest.raises(Exception, match="look like credentials") as raised:
        ProgramRunner(program, config=CONFIG).preview()
    assert name in str(raised.value)


def _listening(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port``."""
    return {s.address for s in listening.listeners() if s.port == port}


def _on_loopback_only(port: int) -> bool:
    found = _listening(port)
    return bool(found) and all(listening.is_loopback(a) for a in found)


def test_emulator_listens_on_loopback_only_unless_told_otherwise(tmp_path: pathlib.Path) -> None:
    with EmulatorServer(tmp_path / "a", runner=FakeRunner()) as server:
        assert server.port and server.rest_port
        for port in (server.port, server.rest_port):
            assert _on_loopback_only(port), (port, _listening(port))
    with EmulatorServer(tmp_path / "b", host="0.0.0.0", runner=FakeRunner()) as server:
        assert server.port is not None
        assert _listening(server.port) & {"0.0.0.0", "::"}


@pytest.mark.docker
def test_vertex_local_serve_listens_on_loopback_only(
    tmp_path: pathlib.Path, docker_client: Any
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_vertex_training.emulator", "serve", "--port", "0",
         "--rest-port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        pid_file = tmp_path / "emulator.pid"
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        info = json.loads(pid_file.read_text())
        for address in (info["grpc_address"], info["rest_address"]):
            port = int(address.rsplit(":", 1)[1])
            assert _on_loopback_only(port), (address, _listening(port))
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.docker
@pytest.mark.slow
def test_registry_token_never_reaches_state_logs_errors_or_the_pickled_provider(
    google_adc: AuthRegistries,
    make_package: Any,
    tmp_path: pathlib.Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A whole program pushes with the access token ADC issued (the sentinel), then with a
    refused one; every log line (all loggers at DEBUG), the output, the saved state, the
    error and the pickled provider are searched for either token."""
    import traceback

    caplog.set_level(logging.DEBUG)
    source = make_package(unique_txt=secrets.token_hex(8))

    def program() -> None:
        image = vt.TrainingImage(
            "image",
            source_dir=str(source),
            python_module="trainer.task",
            base_image="local/python:3.11",
            repository=f"{google_adc.basic}/proj",
        )
        pulumi.export("image_uri", image.image_uri)

    state_file = tmp_path / "state.json"
    stack = ProgramRunner(program, config=CONFIG, state_file=state_file)
    assert "@sha256:" in stack.up().outputs["image_uri"]
    assert google_adc.oauth.requests  # the token really came from ADC

    refused = access_token("ya29.REFUSED")
    google_adc.oauth.issue = lambda: refused
    (source / "trainer" / "task.py").write_text("print('changed')\n")
    with pytest.raises(Exception, match="roles/artifactregistry") as raised:
        stack.up()
    error = "".join(traceback.format_exception(raised.value))
    pickled = base64.b64decode(serialize_provider(ImageProvider())).decode("latin-1")

    seen = {
        "the saved state": state_file.read_text(),
        "the logs": caplog.text + "".join(r.getMessage() for r in caplog.records),
        "the output": "".join(capfd.readouterr()),
        "the error": error,
        "the pickled provider": pickled,
    }
    for token in (google_adc.token, refused):
        for what, text in seen.items():
            assert token not in text and token[5:45] not in text, f"a token is in {what}"
