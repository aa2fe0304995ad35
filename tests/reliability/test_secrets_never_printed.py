"""Secrets are never printed, and stay secret in saved state (issue 13).

Each test puts a fresh sentinel (``S3CR3T-SENTINEL-<uuid>``) in a secret input and greps
everything the run printed (stdout, stderr, every log record) for it; the saved state may
hold it only inside a secret marker, as the Pulumi CLI's state holds it encrypted.

How secrets travel, which these tests pin down: the Pulumi engine strips secrets before
it calls a dynamic provider (the SDK's host answers Configure with acceptSecrets=False),
so the resource classes tell check() which inputs were secret (``__secrets``, paths only),
and the engine copies secrecy back onto what the provider returns, by property name.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

import pulumi_vertex_training as vt
from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.provider.values import SECRETS_KEY
from pulumi_vertex_training.testing import CheckFailed, ProgramRunner
from pulumi_vertex_training.testing.host import DynamicHost, EchoProvider
from pulumi_vertex_training.testing.wire import plain
from tests.emulator.fake_runner import FakeRunner
from tests.reliability.support import CONFIG, LOCATION, PROJECT, fault_emulator, trivial_job_spec

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def sentinel() -> str:
    return f"S3CR3T-SENTINEL-{uuid.uuid4().hex}"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def everything_printed(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, *more: str
) -> str:
    out, err = capsys.readouterr()
    records = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    return "\n".join([out, err, records, *more])


def unmarked(value: Any) -> Any:
    """``value`` with every secret-marked part replaced: what state shows in the clear."""
    if rpc.is_rpc_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {k: unmarked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unmarked(v) for v in value]
    return value


def assert_kept_secret(state_file: pathlib.Path, *sentinels: str) -> None:
    """The saved state holds each sentinel only inside secret markers."""
    clear = json.dumps(unmarked(json.loads(state_file.read_text())))
    for value in sentinels:
        assert value not in clear, f"the saved state holds {value} outside a secret marker"


# -- check() failures --------------------------------------------------------------


def failing_check(sentinel: str, where: str) -> Any:
    """A program whose CustomJob fails check() on a secret value (``where``)."""

    def program() -> None:
        spec = trivial_job_spec()
        labels: Any = {"team": "ml"}
        if where == "label":
            labels["token"] = pulumi.Output.secret(sentinel)  # uppercase: not a label value
        elif where == "labels":
            labels = pulumi.Output.secret({"team": "ml", "token": sentinel})
        elif where == "label key":
            labels = pulumi.Output.secret({sentinel: "x"})
        elif where == "service_account":
            spec["service_account"] = pulumi.Output.secret(sentinel)  # not an email
        elif where == "network":  # the reason quotes the project id it found in it
            spec["network"] = pulumi.Output.secret(f"projects/{sentinel}/global/networks/n")
        elif where == "whole job_spec":
            spec["service_account"] = sentinel
            spec = pulumi.Output.secret(spec)
        vt.CustomJob("train", job_spec=spec, labels=labels, wait="none")

    return program


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ("label", 'labels["token"]'),
        ("labels", 'labels["[secret]"]'),  # the whole map was secret: its keys too
        ("label key", 'labels["[secret]"]'),
        ("service_account", "job_spec.service_account"),
        ("network", "job_spec.network"),
        ("whole job_spec", "job_spec.service_account"),
    ],
)
def test_a_secret_value_failing_check_is_named_never_shown(
    where: str,
    path: str,
    sentinel: str,
    capsys: pytest.CaptureFixture[str],
    logs: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(CheckFailed) as raised:
        ProgramRunner(failing_check(sentinel, where), config=CONFIG).preview()
    failures = dict(raised.value.failures)
    assert path in failures, failures  # the field is named ...
    assert failures[path].endswith("(got [secret])"), failures[path]  # ... its value is not
    printed = everything_printed(capsys, logs, str(raised.value), repr(raised.value.failures))
    assert sentinel not in printed
    assert sentinel.lower() not in printed.lower()


def test_a_secret_persistent_resource_label_failing_check_is_not_shown(
    sentinel: str, capsys: pytest.CaptureFixture[str], logs: pytest.LogCaptureFixture
) -> None:
    def program() -> None:
        vt.PersistentResource(
            "pool",
            resource_pools=[
                {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1}
            ],
            labels={"token": pulumi.Output.secret(sentinel)},
        )

    with pytest.raises(CheckFailed) as raised:
        ProgramRunner(program, config=CONFIG).preview()
    assert dict(raised.value.failures)['labels["token"]'].endswith("(got [secret])")
    assert sentinel not in everything_printed(capsys, logs, str(raised.value))


def test_what_is_not_secret_is_still_shown(sentinel: str) -> None:
    """Masking is by value: a plain bad value next to a secret one is still shown."""

    def program() -> None:
        spec = trivial_job_spec()
        spec["service_account"] = "not-an-email"
        vt.CustomJob(
            "train", job_spec=spec, labels={"token": pulumi.Output.secret(sentinel)}, wait="none"
        )

    with pytest.raises(CheckFailed) as raised:
        ProgramRunner(program, config=CONFIG).preview()
    failures = dict(raised.value.failures)
    assert failures["job_spec.service_account"].endswith("(got 'not-an-email')")
    assert failures['labels["token"]'].endswith("(got [secret])")


# -- through the SDK's dynamic-provider host -----------------------------------------


@pytest.fixture
def host_emulator(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EmulatorServer]:
    with fault_emulator(tmp_path / "vertex", monkeypatch) as server:
        yield server


@pytest.fixture
def host(host_emulator: EmulatorServer) -> Iterator[DynamicHost]:
    env = {client.EMULATOR_HOST_ENV: host_emulator.grpc_address}
    with DynamicHost(config=CONFIG, project="tests", env=env) as running:
        yield running


def job_news(sentinel: str, **extra: Any) -> dict[str, Any]:
    spec = trivial_job_spec()
    spec["worker_pool_specs"][0]["container_spec"]["env"] = [
        {"name": "API_KEY", "value": rpc.wrap_rpc_secret(sentinel)}
    ]
    return {
        "project": PROJECT,
        "location": LOCATION,
        "display_name": "train",
        "job_spec": spec,
        "labels": {"token": rpc.wrap_rpc_secret(sentinel)},
        "wait": "none",
        "on_delete": "cancel",
        "resource_key": f"tests/dev/{uuid.uuid4().hex}",
        # what vt.CustomJob sends beside its inputs
        SECRETS_KEY: [
            ["job_spec", "worker_pool_specs", 0, "container_spec", "env", 0, "value"],
            ["labels", "token"],
        ],
        "__provider": DynamicHost.serialize(CustomJobProvider()),
        **extra,
    }


def test_the_sdk_host_takes_no_secrets_so_check_sees_plain_values(
    host: DynamicHost, sentinel: str
) -> None:
    """What check() is handed for a secret input: the engine asks the host to accept
    secrets, the SDK's host declines, so the engine sends the plain value (and the host
    would push a secret marker up to the top-level property if it got one)."""
    assert host.accept_secrets is False
    news = {"labels": {"token": rpc.wrap_rpc_secret(sentinel)}, "other": "x"}
    echoed, _ = host.check({}, {**news, "__provider": host.serialize(EchoProvider())})
    # what the provider returned (its check() saw): plain; secrecy is the engine's copy
    assert plain(echoed)["labels"] == {"token": sentinel}
    assert rpc.is_rpc_secret(echoed["labels"]["token"]) and echoed["other"] == "x"
    # a host that took the marker would hand check() the whole top-level property wrapped
    host.accept_secrets = True
    try:
        wrapped, _ = host.check({}, {**news, "__provider": host.serialize(EchoProvider())})
    finally:
        host.accept_secrets = False
    assert rpc.is_rpc_secret(wrapped["labels"]) and wrapped["other"] == "x"


def test_check_through_the_host_names_secret_failures_and_marks_secret_inputs(
    host: DynamicHost, sentinel: str
) -> None:
    inputs, failures = host.check({}, job_news(sentinel))
    shown = dict(failures)
    assert shown['labels["token"]'].endswith("(got [secret])")
    assert sentinel not in repr(failures)
    assert rpc.is_rpc_secret(inputs["labels"]["token"])
    assert rpc.is_rpc_secret(inputs["job_spec"]["worker_pool_specs"])
    # and with the marker sent as it is (a host that took secrets): masked the same way
    host.accept_secrets = True
    try:
        _, wrapped_failures = host.check({}, job_news(sentinel))
    finally:
        host.accept_secrets = False
    # (pushed up to all of ``labels``: its keys are masked too)
    assert dict(wrapped_failures)['labels["[secret]"]'].endswith("(got [secret])")
    assert sentinel not in repr(wrapped_failures)


def test_create_through_the_host_keeps_secret_outputs_secret(
    host: DynamicHost, sentinel: str
) -> None:
    news = job_news(sentinel, labels={"team": "ml"})
    news[SECRETS_KEY] = [news[SECRETS_KEY][0]]
    news["job_spec"]["base_output_directory"] = {
        "output_uri_prefix": rpc.wrap_rpc_secret(f"gs://bucket/{sentinel.lower()}")
    }
    news[SECRETS_KEY].append(["job_spec", "base_output_directory", "output_uri_prefix"])
    inputs, failures = host.check({}, news)
    assert failures == []
    assert rpc.is_rpc_secret(inputs["job_spec"]["worker_pool_specs"])
    job_id, outputs = host.create(inputs)
    assert rpc.is_rpc_secret(outputs["job_spec"]["worker_pool_specs"])
    assert rpc.is_rpc_secret(outputs["model_dir"])  # derived: named unlike any input
    assert not rpc.is_rpc_secret(outputs["state"])
    clear = json.dumps(unmarked({k: v for k, v in outputs.items() if k != "__provider"}))
    assert sentinel not in clear and sentinel.lower() not in clear
    host.delete(job_id, outputs)


# -- the in-process runner's command line: preview, up, failing up, refresh, destroy -----

PROGRAM = """
import os

import pulumi
import pulumi_vertex_training as vt

spec = {
    "worker_pool_specs": [{
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "container_spec": {
            "image_uri": "local/python:3.11",
            "command": ["python", "-c", "print('train')"],
            "env": [{"name": "API_KEY", "value": pulumi.Output.secret(os.environ["SENTINEL"])}],
        },
    }],
}
labels = {"token": pulumi.Output.secret(os.environ["SENTINEL"])} if os.environ.get("BAD") else {}
job = vt.CustomJob("train", job_spec=spec, labels=labels, wait=os.environ.get("WAIT", "none"))
pulumi.export("job_spec", job.job_spec)
pulumi.export("env", job.job_spec.apply(
    lambda s: s["worker_pool_specs"][0]["container_spec"]["env"]))
pulumi.export("state", job.state)
"""


def run_cli(command: str, project: pathlib.Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulumi_vertex_training.testing", command, str(project)],
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def project(tmp_path: pathlib.Path) -> pathlib.Path:
    """A Pulumi project folder whose CustomJob has a secret env value (``$SENTINEL``)."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: secrets\nruntime: python\n")
    (folder / "Pulumi.local.yaml").write_text(
        f"config:\n  gcp:project: {PROJECT}\n  gcp:region: {LOCATION}\n"
    )
    (folder / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    return folder


class Cli:
    """``python -m pulumi_vertex_training.testing`` on ``project``, keeping all it printed."""

    def __init__(self, project: pathlib.Path, sentinel: str) -> None:
        self.project = project
        self.sentinel = sentinel
        self.printed: list[str] = []

    def __call__(
        self, command: str, expect: int = 0, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = run_cli(command, self.project, **{"SENTINEL": self.sentinel, **env})
        self.printed.append(f"$ {command}\n{result.stdout}\n{result.stderr}")
        assert result.returncode == expect, self.printed[-1]
        return result

    def everything(self) -> str:
        return "\n".join(self.printed)


def test_the_runner_command_line_never_prints_a_secret_failing_check(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    project: pathlib.Path,
    sentinel: str,
) -> None:
    cli = Cli(project, sentinel)
    with fault_emulator(tmp_path / "vertex", monkeypatch):
        failed = cli("preview", expect=1, BAD="1")
        assert 'labels["token"]' in failed.stderr and "(got [secret])" in failed.stderr
        cli("up", expect=1, BAD="1")
    assert sentinel not in cli.everything(), cli.everything()


def test_the_runner_command_line_prints_secrets_as_secret_and_saves_them_marked(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    project: pathlib.Path,
    sentinel: str,
) -> None:
    """up, preview, a failing up (the changed secret replaces the job, which fails),
    refresh, destroy."""
    state_file = project / ".pulumi-state" / "local.json"
    second = sentinel + "-2"
    runner = FakeRunner()
    cli = Cli(project, sentinel)
    with fault_emulator(tmp_path / "vertex", monkeypatch, runner=runner):
        up = cli("up")
        assert "job_spec: [secret]" in up.stdout and "env: [secret]" in up.stdout
        saved = json.loads(state_file.read_text())
        job = next(r for r in saved["resources"].values() if r["name"] == "train")
        for props in (job["inputs"], job["outputs"]):
            assert rpc.is_rpc_secret(props["job_spec"]["worker_pool_specs"])
        assert rpc.is_rpc_secret(saved["outputs"]["job_spec"])
        assert sentinel in state_file.read_text()  # kept, marked: the runner reads it back
        assert_kept_secret(state_file, sentinel)
        assert "job_spec: [secret]" in cli("preview").stdout

        runner.phase = RunPhase.FAILED
        failing = cli("up", expect=1, SENTINEL=second, WAIT="completed")
        assert "JOB_STATE_FAILED" in failing.stderr
        assert "changed job_spec.worker_pool_specs[0].container_spec.env[0].value" in (
            failing.stderr
        )
        assert "env: [secret]" in cli("refresh", SENTINEL=second).stdout
        assert_kept_secret(state_file, sentinel, second)
        cli("destroy", SENTINEL=second)
    assert_kept_secret(state_file, sentinel, second)
    everything = cli.everything()
    assert sentinel not in everything and second not in everything, everything
