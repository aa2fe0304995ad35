"""Secret inputs in check() and diff(): pure, no API call, no Docker.

The engine hands a dynamic provider plain values; the resource classes send the paths
of the secret ones in ``__secrets`` (``values.secret_paths``, run in the program).
"""

from __future__ import annotations

import logging
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

import pulumi_vertex_training as vt
from pulumi_vertex_training.provider import values
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.provider.persistent_resource import PersistentResourceProvider
from pulumi_vertex_training.provider.values import SECRETS_KEY
from pulumi_vertex_training.testing import ProgramRunner
from pulumi_vertex_training.testing.wire import plain
from tests.provider.conftest import job_props
from tests.provider.persistent_resource_support import pr_props

TOKEN = "S3CR3T-SENTINEL-check"


def env_path(i: int = 0) -> list[Any]:
    return ["job_spec", "worker_pool_specs", 0, "container_spec", "env", i, "value"]


def with_env(props: dict[str, Any], env: Any) -> dict[str, Any]:
    props["job_spec"]["worker_pool_specs"][0]["container_spec"]["env"] = env
    return props


def test_secret_paths_finds_secrets_at_any_depth_in_the_program() -> None:
    found: dict[str, Any] = {}

    def program() -> None:
        props = {
            "labels": {"team": "ml", "token": pulumi.Output.secret("x")},
            "job_spec": {"pools": [{"env": [{"value": pulumi.Output.secret("y")}]}]},
            "whole": pulumi.Output.secret({"a": 1}),
            "derived": pulumi.Output.secret("z").apply(lambda v: v + "!"),
            "plain": pulumi.Output.from_input({"a": [1, 2]}),
            "none": None,
        }
        values.secret_paths(props).apply(lambda paths: found.update(paths=paths))

    ProgramRunner(program).preview()
    assert sorted(found["paths"], key=str) == sorted(
        [
            ["labels", "token"],
            ["job_spec", "pools", 0, "env", 0, "value"],
            ["whole"],
            ["derived"],
        ],
        key=str,
    )


def test_the_resource_classes_send_the_secret_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    real_check = CustomJobProvider.check

    def spy(self: CustomJobProvider, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        seen.append(news)
        return real_check(self, olds, news)

    monkeypatch.setattr(CustomJobProvider, "check", spy)

    def program() -> None:
        vt.CustomJob(
            "train",
            job_spec=vt.CustomJobSpecArgs(
                worker_pool_specs=[
                    vt.WorkerPoolSpecArgs(
                        machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
                        container_spec=vt.ContainerSpecArgs(
                            image_uri="local/python:3.11",
                            env=[vt.EnvVarArgs(name="K", value=pulumi.Output.secret(TOKEN))],
                        ),
                    )
                ]
            ),
            wait="none",
        )

    ProgramRunner(program, config={"gcp:project": "p", "gcp:region": "us-central1"}).preview()
    (news,) = seen
    assert news[SECRETS_KEY] == [env_path()]
    assert not rpc.is_rpc_secret(news[SECRETS_KEY])  # paths only: nothing secret in them
    assert plain(news) == news  # the engine passes plain values


def test_check_masks_secret_values_and_marks_them_secret_in_its_result() -> None:
    props = job_props(labels={"token": TOKEN}, wait_timeout=TOKEN)
    props["job_spec"]["service_account"] = TOKEN
    props[SECRETS_KEY] = [["labels", "token"], ["job_spec", "service_account"], ["wait_timeout"]]
    result = CustomJobProvider().check({}, props)
    failures = {f.property: f.reason for f in result.failures}
    assert set(failures) == {'labels["token"]', "job_spec.service_account", "wait_timeout"}
    assert all(reason.endswith("(got [secret])") for reason in failures.values())
    assert TOKEN not in repr(failures)
    assert rpc.is_rpc_secret(result.inputs["labels"]["token"])
    assert rpc.is_rpc_secret(result.inputs["job_spec"]["service_account"])
    assert result.inputs[SECRETS_KEY] == props[SECRETS_KEY]  # kept for create/update/read


def test_check_marks_what_it_renamed_or_reshaped() -> None:
    """camelCase keys become snake_case, env as a mapping becomes a list: the engine's
    by-name copy would miss them, so check() marks them itself (lists whole)."""
    props = job_props()
    props["job_spec"] = {
        "workerPoolSpecs": props["job_spec"]["worker_pool_specs"],
        "baseOutputDirectory": {"outputUriPrefix": "gs://bucket/run"},
    }
    props["job_spec"]["workerPoolSpecs"][0]["container_spec"]["env"] = {"API_KEY": TOKEN}
    props[SECRETS_KEY] = [
        ["job_spec", "workerPoolSpecs", 0, "container_spec", "env", "API_KEY"],
        ["job_spec", "baseOutputDirectory", "outputUriPrefix"],
    ]
    result = CustomJobProvider().check({}, props)
    assert not result.failures
    spec = result.inputs["job_spec"]
    assert rpc.is_rpc_secret(spec["worker_pool_specs"])
    assert rpc.is_rpc_secret(spec["base_output_directory"]["output_uri_prefix"])
    assert plain(spec)["worker_pool_specs"][0]["container_spec"]["env"] == [
        {"name": "API_KEY", "value": TOKEN}
    ]


def test_check_handles_secret_wrappers_a_host_might_pass() -> None:
    props = job_props(labels=rpc.wrap_rpc_secret({"token": TOKEN}))
    result = CustomJobProvider().check({}, props)
    (failure,) = result.failures
    assert failure.property == 'labels["[secret]"]' and failure.reason.endswith("[secret])")
    assert rpc.is_rpc_secret(result.inputs["labels"])


def printed(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """Progress lines: on stderr without an engine (pulumi.log), else through logging."""
    out, err = capsys.readouterr()
    text = "\n".join([out, err, caplog.text])
    caplog.clear()
    return text


def test_diff_names_the_changed_paths_never_values_nor_secret_keys(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    provider = CustomJobProvider()
    old = with_env(job_props(display_name="train"), [{"name": "K", "value": TOKEN}])
    old[SECRETS_KEY] = [env_path()]
    olds = plain(provider.check({}, old).inputs)
    new = with_env(job_props(display_name="train"), [{"name": "K", "value": TOKEN + "-2"}])
    new[SECRETS_KEY] = [env_path()]
    news = plain(provider.check({}, new).inputs)
    printed(capsys, caplog)
    assert provider.diff("id", olds, news).replaces == ["job_spec"]
    text = printed(capsys, caplog)
    assert "changed job_spec.worker_pool_specs[0].container_spec.env[0].value" in text
    assert TOKEN not in text

    pr = PersistentResourceProvider()
    before = pr_props(resource_id="pool", labels={"team": "ml", TOKEN: "a"})
    before[SECRETS_KEY] = [["labels"]]
    after = pr_props(resource_id="pool", labels={"team": "ml", TOKEN: "b"})
    after[SECRETS_KEY] = [["labels"]]
    olds, news = plain(pr.check({}, before).inputs), plain(pr.check({}, after).inputs)
    printed(capsys, caplog)
    assert "labels" in pr.diff("id", olds, news).replaces
    text = printed(capsys, caplog)
    assert "changed labels\n" in text and TOKEN not in text  # not labels.<secret key>


def test_persistent_resource_check_keeps_its_spec_secret_and_masks_its_warning(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    props = pr_props(labels={"token": "fine"})
    props["resource_id"] = "s3cr3t-pool-name"
    props[SECRETS_KEY] = [["labels", "token"], ["resource_id"]]
    result = PersistentResourceProvider().check({}, props)
    assert not result.failures
    assert rpc.is_rpc_secret(result.inputs["spec"]["labels"]["token"])
    assert rpc.is_rpc_secret(result.inputs["spec"]["resource_id"])
    text = printed(capsys, caplog)
    assert "bills" in text and "[secret]" in text
    assert "s3cr3t-pool-name" not in text
