"""The in-process engine handles secrets as the Pulumi engine does for a dynamic provider:
plain values in, secrecy copied back by property name, kept marked in state."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
import pytest
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ResourceProvider
from pulumi.runtime import rpc

from pulumi_vertex_training.testing import ProgramRunner
from pulumi_vertex_training.testing.wire import annotate_secrets, plain, round_trip

secret = rpc.wrap_rpc_secret


def test_annotate_secrets_copies_secrecy_by_name_as_the_engine_does() -> None:
    ins = {
        "labels": {"token": secret("t"), "team": "ml"},
        "spec": {"pools": [{"env": secret("e")}], "scheduling": {"timeout": "1h"}},
        "whole": secret({"a": 1}),
        "plain": "x",
    }
    outs = {
        "labels": {"token": "t", "team": "ml"},
        "spec": {"pools": [{"env": "e"}], "scheduling": {"timeout": "3600s"}},
        "whole": {"a": 1},
        "plain": "x",
        "derived": "t!",  # named unlike any input: not marked (the provider must)
    }
    assert annotate_secrets(outs, ins) == {
        "labels": {"token": secret("t"), "team": "ml"},
        "spec": {"pools": secret([{"env": "e"}]), "scheduling": {"timeout": "3600s"}},
        "whole": secret({"a": 1}),
        "plain": "x",
        "derived": "t!",
    }


def test_a_grpc_round_trip_keeps_secrets_where_they_are() -> None:
    props = {"spec": {"pools": [{"env": secret("e"), "count": 1}]}, "n": None}
    assert round_trip(props) == {"spec": {"pools": [{"env": secret("e"), "count": 1.0}]}}
    # the SDK's own deserializer would push it up to the top-level property
    assert rpc.is_rpc_secret(rpc.deserialize_properties(_struct(props))["spec"])


def _struct(props: dict[str, Any]) -> Any:
    from pulumi.runtime.sync_await import _sync_await

    return _sync_await(rpc.serialize_properties(props, {}))


class Recorder(ResourceProvider):
    """Records what it is handed; create may fail, to test replacement."""

    seen: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    fail_create: ClassVar[bool] = False
    deleted: ClassVar[list[str]] = []

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        Recorder.seen.append(("check", news))
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        Recorder.seen.append(("diff", news))
        changed = olds.get("spec") != news.get("spec")
        return DiffResult(changes=changed, replaces=["spec"] if changed else [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        Recorder.seen.append(("create", props))
        if Recorder.fail_create:
            raise RuntimeError("create failed")
        return CreateResult(f"id-{len(Recorder.seen)}", {**props, "state": "DONE"})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        Recorder.seen.append(("delete", props))
        Recorder.deleted.append(id_)


class Thing(pulumi.dynamic.Resource, module="test", name="Thing"):
    def __init__(self, name: str, spec: Any) -> None:
        super().__init__(Recorder(), name, {"spec": spec, "state": None})


@pytest.fixture(autouse=True)
def _reset() -> None:
    Recorder.seen.clear()
    Recorder.deleted.clear()
    Recorder.fail_create = False


def program(value: str) -> Any:
    def run() -> None:
        thing = Thing("t", {"env": [{"value": pulumi.Output.secret(value)}], "n": 1})
        pulumi.export("spec", thing.spec)
        pulumi.export("state", thing.state)

    return run


def test_the_provider_sees_plain_values_and_state_keeps_secrets_marked(tmp_path: Any) -> None:
    state_file = tmp_path / "state.json"
    stack = ProgramRunner(program("s1"), state_file=state_file)
    result = stack.up()
    assert all(plain(props) == props for _, props in Recorder.seen)  # never a marker
    saved = json.loads(state_file.read_text())["resources"]["pulumi-python:dynamic/test:Thing::t"]
    for props in (saved["inputs"], saved["outputs"]):
        assert props["spec"] == {"env": secret([{"value": "s1"}]), "n": 1.0}
        assert rpc.is_rpc_secret(props["__provider"])  # the SDK makes it secret
    assert saved["outputs"]["state"] == "DONE"
    assert rpc.is_rpc_secret(result.outputs["spec"]) and result.outputs["state"] == "DONE"
    assert rpc.is_rpc_secret(stack.outputs["spec"])

    Recorder.seen.clear()
    assert [s.op for s in ProgramRunner(program("s1"), state_file=state_file).up().steps] == [
        "same"
    ]
    assert all(plain(props) == props for _, props in Recorder.seen)


def test_a_failed_replacement_leaves_the_old_resource_in_place(tmp_path: Any) -> None:
    state_file = tmp_path / "state.json"
    ProgramRunner(program("s1"), state_file=state_file).up()
    Recorder.fail_create = True
    with pytest.raises(Exception, match="create failed"):
        ProgramRunner(program("s2"), state_file=state_file).up()
    assert Recorder.deleted == []  # create-before-delete: nothing to delete it for
    saved = json.loads(state_file.read_text())["resources"]
    assert plain(saved["pulumi-python:dynamic/test:Thing::t"]["outputs"]["spec"])["env"] == [
        {"value": "s1"}
    ]
    Recorder.fail_create = False
    ProgramRunner(program("s2"), state_file=state_file).up()
    assert len(Recorder.deleted) == 1  # now replaced: the old one goes


MAIN = """
import pulumi
from tests.unit.testing.test_engine_secrets import Thing

thing = Thing("t", {"env": [{"value": pulumi.Output.secret("S3CR3T-main")}]})
pulumi.export("spec", thing.spec)
pulumi.export("state", thing.state)
pulumi.export("nested", {"a": pulumi.Output.secret("S3CR3T-main"), "b": 1})
"""


def test_the_command_line_shows_secrets_and_unknowns_as_the_pulumi_cli_does(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from pulumi_vertex_training.testing.__main__ import main

    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(MAIN)
    assert main(["preview", str(tmp_path)]) == 0
    preview = capsys.readouterr().out
    assert "spec: [secret]" in preview and "state: [unknown]" in preview
    assert main(["up", str(tmp_path)]) == 0
    up = capsys.readouterr().out
    assert "state: DONE" in up and 'nested: {"a": "[secret]", "b": 1.0}' in up
    assert "S3CR3T-main" not in preview + up
    saved = json.loads((tmp_path / ".pulumi-state" / "local.json").read_text())
    assert rpc.is_rpc_secret(saved["outputs"]["nested"]["a"])
