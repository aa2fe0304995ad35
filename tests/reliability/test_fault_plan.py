"""FaultPlan: parsing, determinism, eligibility, and what a served call sees under it."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import GetCustomJobRequest

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator import cli
from pulumi_vertex_training.emulator.exceptions import (
    DeadlineExceeded,
    ResourceExhausted,
    Unavailable,
)
from pulumi_vertex_training.emulator.faults import ENV_VAR, FaultPlan, FaultSpecError
from tests.reliability.support import PARENT, fault_emulator, list_all_jobs, trivial_job_spec


def test_parse_reads_every_setting_when_given_the_documented_spec() -> None:
    plan = FaultPlan.parse(
        "unavailable=0.1, deadline=0.05,exhausted=0.02,ratelimited=0.03,lost=0.05,"
        "latency=20ms,seed=7,methods=create_custom_job+get_custom_job"
    )
    assert (plan.unavailable, plan.deadline, plan.exhausted, plan.ratelimited, plan.lost) == (
        0.1,
        0.05,
        0.02,
        0.03,
        0.05,
    )
    assert plan.latency == pytest.approx(0.02)
    assert plan.seed == 7
    assert plan.methods == frozenset({"create_custom_job", "get_custom_job"})
    assert plan.active
    assert FaultPlan.parse("latency=1.5s").latency == 1.5


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("flaky=0.1", "'flaky' is not a fault setting; known: unavailable"),
        ("lost", "'lost': expected key=value"),
        ("lost=lots", "lost='lots': expected a share between 0 and 1"),
        ("lost=1.5", "lost=1.5: a share must be between 0 and 1"),
        ("unavailable=0.6,lost=0.6", "the shares add up to 1.2"),
        ("latency=fast", "latency='fast': expected a duration like 20ms"),
        ("seed=x", "seed='x': expected a whole number"),
    ],
)
def test_parse_refuses_a_bad_spec_naming_the_entry(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message.replace("(", r"\(")):
        FaultPlan.parse(spec)


def test_plan_is_off_when_empty_and_methods_select_what_may_fail() -> None:
    assert not FaultPlan().active
    assert not FaultPlan.parse("").active
    mutating = FaultPlan(unavailable=1.0, methods="mutating")
    assert mutating.eligible("create_custom_job") and mutating.eligible("delete_custom_job")
    assert not mutating.eligible("get_custom_job") and not mutating.eligible("get_operation")
    mutating.hook("before", "get_custom_job", _request(0))  # not eligible: no raise
    with pytest.raises(Unavailable):
        mutating.hook("before", "cancel_custom_job", _request(0))
    with pytest.raises(FaultSpecError, match="methods='some'"):
        FaultPlan(methods="some")


def _request(i: int) -> Any:
    return GetCustomJobRequest(name=f"{PARENT}/customJobs/{i}")


def _fates(plan: FaultPlan, count: int) -> list[str]:
    fates = []
    for i in range(count):
        request = _request(i)
        try:
            plan.hook("before", "get_custom_job", request)
            plan.hook("after", "get_custom_job", request)
            fates.append("ok")
        except (Unavailable, DeadlineExceeded, ResourceExhausted) as err:
            fates.append(f"{type(err).__name__}: {err.message}")
    return fates


def test_decisions_repeat_for_a_seed_and_match_the_shares_when_many_calls_run() -> None:
    spec = dict(unavailable=0.1, deadline=0.1, exhausted=0.05, lost=0.15)
    first = _fates(FaultPlan(**spec, seed=1), 2000)  # type: ignore[arg-type]
    assert first == _fates(FaultPlan(**spec, seed=1), 2000)  # type: ignore[arg-type]
    assert first != _fates(FaultPlan(**spec, seed=2), 2000)  # type: ignore[arg-type]
    share = {
        kind: sum(kind in fate for fate in first) / len(first)
        for kind in ("currently unavailable", "deadline exceeded (injected fault)", "quota")
    }
    assert share["currently unavailable"] == pytest.approx(0.1, abs=0.03)
    assert share["quota"] == pytest.approx(0.05, abs=0.02)
    lost = sum("response lost" in fate for fate in first) / len(first)
    assert lost == pytest.approx(0.15, abs=0.03)


def test_the_same_request_meets_a_fresh_fate_on_each_retry() -> None:
    plan = FaultPlan(unavailable=0.5, seed=3)
    fates = []
    for _ in range(40):
        try:
            plan.hook("before", "get_custom_job", _request(1))
            fates.append("ok")
        except Unavailable:
            fates.append("unavailable")
    assert set(fates) == {"ok", "unavailable"}  # a retry is not doomed to repeat


def test_lost_create_runs_on_the_server_and_answers_a_transient_error(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(lost=1.0, methods=frozenset({"create_custom_job"}))
    with fault_emulator(tmp_path, monkeypatch, plan, rest=True) as server:
        jobs = client.job_service_client("us-central1")
        body = {"display_name": "lost-grpc", "job_spec": trivial_job_spec()}
        with pytest.raises((exceptions.ServiceUnavailable, exceptions.DeadlineExceeded)):
            jobs.create_custom_job(parent=PARENT, custom_job=body)
        # REST goes through the same hook.
        answer = requests.post(
            f"http://{server.rest_address}/v1/{PARENT}/customJobs",
            json={
                "displayName": "lost-rest",
                "jobSpec": {
                    "workerPoolSpecs": [
                        {
                            "machineSpec": {"machineType": "n1-standard-4"},
                            "replicaCount": "1",
                            "containerSpec": {"imageUri": "local/python:3.11"},
                        }
                    ]
                },
            },
            timeout=10,
        )
        assert answer.status_code in (503, 504), answer.text
        assert sorted(j.display_name for j in list_all_jobs(server)) == ["lost-grpc", "lost-rest"]
        assert plan.count("lost") == 2


def test_serve_refuses_a_bad_fault_spec_from_the_flag_or_the_environment(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["serve", "--port", "0", "--no-rest", "--data-dir", str(tmp_path)]
    assert cli.main([*argv, "--faults", "lost=2"]) == 2
    assert "--faults: lost=2.0: a share must be between 0 and 1" in capsys.readouterr().err
    monkeypatch.setenv(ENV_VAR, "sometimes=1")
    assert cli.main(argv) == 2
    assert f"${ENV_VAR}: 'sometimes' is not a fault setting" in capsys.readouterr().err
