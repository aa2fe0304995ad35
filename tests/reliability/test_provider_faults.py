"""The providers' error policy under injected faults (provider/retries.py).

Transient errors are retried on idempotent calls; a lost create is adopted; quota,
permission and login errors are not retried and say what to ask for; a rate limit is
waited out. Each test runs its own emulator with FakeRunner (no containers).
"""

from __future__ import annotations

import pathlib
from typing import Any

import grpc
import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import CustomJob

from pulumi_vertex_training.emulator.exceptions import EmulatorError
from pulumi_vertex_training.emulator.execution.types import RunPhase
from pulumi_vertex_training.emulator.faults import QUOTA_MESSAGE, RATE_LIMIT_MESSAGE, FaultPlan
from pulumi_vertex_training.provider import custom_job_api, retries
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from tests.emulator.fake_runner import FakeRunner
from tests.reliability.support import PARENT, fault_emulator, list_all_jobs, trivial_job_spec


def _submit(tag: str) -> tuple[CustomJob, bool]:
    """submit_or_adopt a job labelled as CustomJobProvider.create labels it."""
    labels = {
        custom_job_api.SPEC_HASH_LABEL: f"spec-{tag}",
        custom_job_api.RESOURCE_LABEL: f"resource-{tag}",
    }
    job = CustomJob(display_name=tag, job_spec=trivial_job_spec(tag), labels=labels)
    return custom_job_api.submit_or_adopt(PARENT, job, f"spec-{tag}", f"resource-{tag}")


def test_quota_exhausted_on_create_is_not_retried_and_says_what_to_ask_for(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(exhausted=1.0, methods=frozenset({"create_custom_job"}))
    with fault_emulator(tmp_path, monkeypatch, plan) as server:
        with pytest.raises(RuntimeError, match="quota exhausted") as raised:
            _submit("quota")
        assert "Ask for more quota" in str(raised.value)
        assert "custom_model_training_cpus" in str(raised.value)  # the service's own words
        assert server.calls["create_custom_job"] == 1
        assert list_all_jobs(server) == []


def test_quota_exhausted_on_a_read_is_not_retried_either(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(exhausted=1.0, methods=frozenset({"get_custom_job"}))
    with fault_emulator(tmp_path, monkeypatch, plan) as server:
        job, _ = _submit("read-quota")  # list + create: no get
        with pytest.raises(RuntimeError, match="quota exhausted"):
            custom_job_api.get_job(job.name)
        assert server.calls["get_custom_job"] == 1


def test_rate_limited_reads_and_creates_are_waited_out(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(ratelimited=0.3, seed=4)
    with fault_emulator(tmp_path, monkeypatch, plan) as server:
        made = [_submit(f"rate-{i}")[0] for i in range(5)]
        assert all(custom_job_api.get_job(job.name) is not None for job in made)
        assert plan.count("ratelimited") >= 2
        assert len(list_all_jobs(server)) == 5


def test_lost_cancel_and_delete_responses_still_delete_every_job(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(lost=0.5, methods=frozenset({"cancel_custom_job", "delete_custom_job"}))
    runner = FakeRunner(phase=RunPhase.RUNNING)  # jobs stay RUNNING until cancelled
    with fault_emulator(tmp_path, monkeypatch, plan, runner=runner) as server:
        made = [_submit(f"cancel-{i}")[0] for i in range(6)]
        for job in made:
            custom_job_api.wait_for(job.name, custom_job_api.STARTED_STATES, 10)
        for job in made:
            custom_job_api.cancel_and_delete(job.name, 30)
        assert list_all_jobs(server) == []
        assert plan.injected[("lost", "cancel_custom_job")] >= 1
        assert plan.injected[("lost", "delete_custom_job")] >= 1


def test_transient_faults_on_every_call_still_give_one_job_per_create(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(unavailable=0.15, deadline=0.1, lost=0.2, seed=11)
    with fault_emulator(tmp_path, monkeypatch, plan) as server:
        results = [_submit(f"t-{i}") for i in range(10)]
        assert len({job.name for job, _ in results}) == 10
        assert len(list_all_jobs(server)) == 10
        # a lost create comes back through adoption, not as a second submission
        assert any(adopted for _, adopted in results) == (
            plan.injected[("lost", "create_custom_job")] > 0
        )


class PermissionDeniedFault(EmulatorError):
    """What Vertex answers a caller without the role."""

    code = grpc.StatusCode.PERMISSION_DENIED
    http_status = 403


class UnauthenticatedFault(EmulatorError):
    """What Vertex answers a call without valid credentials."""

    code = grpc.StatusCode.UNAUTHENTICATED
    http_status = 401


class Refuse:
    """A fault hook refusing calls to ``methods`` with ``error`` (none at first)."""

    def __init__(self) -> None:
        self.error: type[EmulatorError] | None = None
        self.methods: set[str] = set()

    def hook(self, phase: str, method: str, request: Any) -> None:
        if self.error is not None and phase == "before" and method in self.methods:
            raise self.error(f"Permission 'aiplatform.customJobs.{method}' denied")


@pytest.mark.parametrize(
    ("error", "wording"),
    [
        (PermissionDeniedFault, "needs roles/aiplatform.user"),
        (UnauthenticatedFault, "gcloud auth application-default login"),
    ],
)
def test_permission_errors_are_not_retried_and_name_the_role_on_every_path(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    error: type[EmulatorError],
    wording: str,
) -> None:
    refuse = Refuse()
    with fault_emulator(tmp_path, monkeypatch, hook=refuse.hook) as server:
        job, _ = _submit("perm")
        custom_job_api.wait_for(job.name, custom_job_api.TERMINAL_STATES, 10)
        refuse.error = error
        for methods, call in (
            ({"list_custom_jobs"}, lambda: _submit("perm-2")),
            ({"create_custom_job"}, lambda: _submit("perm-3")),
            ({"get_custom_job"}, lambda: custom_job_api.get_job(job.name)),
            ({"delete_custom_job"}, lambda: custom_job_api.cancel_and_delete(job.name, 10)),
        ):
            refuse.methods = methods
            before = sum(server.calls[m] for m in methods)
            with pytest.raises(PermissionError, match=wording):
                call()
            assert sum(server.calls[m] for m in methods) == before + 1, methods


def test_provider_create_surfaces_the_quota_message(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FaultPlan(exhausted=1.0, methods=frozenset({"create_custom_job"}))
    provider = CustomJobProvider()
    props = {
        "project": "reliability-project",
        "location": "us-central1",
        "display_name": "quota",
        "job_spec": trivial_job_spec(),
        "wait": "none",
        "on_delete": "cancel",
        "resource_key": "p/s/quota",
    }
    checked = provider.check({}, props)
    assert not checked.failures
    with (
        fault_emulator(tmp_path, monkeypatch, plan),
        pytest.raises(RuntimeError, match="Ask for more quota"),
    ):
        provider.create(dict(checked.inputs))


@pytest.mark.parametrize(
    ("error", "transient", "wording"),
    [
        (exceptions.ServiceUnavailable("down"), True, None),
        (exceptions.DeadlineExceeded("slow"), True, None),
        (exceptions.GatewayTimeout("slow"), True, None),
        (exceptions.InternalServerError("oops"), True, None),
        (exceptions.ResourceExhausted(RATE_LIMIT_MESSAGE), True, "less parallelism"),
        (exceptions.TooManyRequests("Rate Limit Exceeded"), True, "less parallelism"),
        (exceptions.ResourceExhausted(QUOTA_MESSAGE), False, "Ask for more quota"),
        (exceptions.TooManyRequests("Quota exceeded"), False, "Ask for more quota"),
        (exceptions.ResourceExhausted("stockout in us-central1-a"), False, "no capacity"),
        (exceptions.PermissionDenied("no"), False, "roles/aiplatform.user"),
        (exceptions.Unauthenticated("no"), False, "application-default login"),
        (exceptions.InvalidArgument("bad"), False, None),
        (exceptions.NotFound("gone"), False, None),
        (exceptions.Aborted("conflict"), False, None),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_error_policy_when_given_each_error(
    error: Exception, transient: bool, wording: str | None
) -> None:
    assert retries.is_transient(error) is transient
    explained = retries.explain(error, PARENT)
    if wording is None:
        assert explained is error
    else:
        assert wording in str(explained) and PARENT in str(explained)
        wrapped = exceptions.RetryError("gave up", error)
        assert wording in str(retries.explain(wrapped, PARENT))
