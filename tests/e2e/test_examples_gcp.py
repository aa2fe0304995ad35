"""examples/gcp previews cleanly with pulumi-gcp mocked: every resource checks
(the jobs' network in Vertex's form, SPOT scheduling, the CMEK key), nothing is
built, uploaded or submitted, and no Google API is called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pulumi_gcp", reason="the gcp extra: pip install -e '.[gcp]'")

from pulumi_vertex_training.client import EMULATOR_HOST_ENV, STORAGE_EMULATOR_HOST_ENV
from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.testing import ProgramRunner, RunResult, load_project
from tests.components.gcp_mocks import RecordingCalls, gcp_mock_resource

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gcp"
NETWORK = "projects/123456789012/global/networks/training-vpc"
ACCOUNT = "training-jobs@my-project.iam.gserviceaccount.com"
KEY = "projects/my-project/locations/us-central1/keyRings/vertex-training/cryptoKeys/vertex-jobs"
AGENT = "serviceAccount:service-123456789012@gcp-sa-aiplatform.iam.gserviceaccount.com"
KMS = {"training-keys", "training-key", "training-key-vertex-agent", "api-cloudkms"}


class Preview:
    """One preview of the example: its result, the invokes, the inputs each mocked
    gcp resource got, and each CustomJob's inputs as its check() returned them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, **overrides: str | None) -> None:
        name, program, config = load_project(EXAMPLE, "dev")
        for key, value in overrides.items():
            if value is None:
                config.pop(f"{name}:{key}", None)
            else:
                config[f"{name}:{key}"] = value
        self.calls = RecordingCalls()
        self.gcp_inputs: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        check = CustomJobProvider.check

        def checked(provider: Any, olds: dict[str, Any], news: dict[str, Any]) -> Any:
            result = check(provider, olds, news)
            self.jobs[news["display_name"]] = result.inputs
            return result

        monkeypatch.setattr(CustomJobProvider, "check", checked)
        self.stack = ProgramRunner(
            program,
            project=name,
            stack="dev",
            config=config,
            mock_resource=self._mock,
            mock_call=self.calls,
        )
        builds = registry.builds_started()
        self.result: RunResult = self.stack.preview()
        assert registry.builds_started() == builds
        assert self.stack.state["resources"] == {}

    def _mock(self, args: Any) -> tuple[str, dict[str, Any]]:
        self.gcp_inputs[args.name] = dict(args.inputs)
        return gcp_mock_resource(args)

    def names(self) -> set[str]:
        return {name for _, name in self.result.ops()}


@pytest.fixture(autouse=True)
def no_google_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every Google client at a closed port: any API call at preview would fail."""
    monkeypatch.setenv(EMULATOR_HOST_ENV, "127.0.0.1:9")
    monkeypatch.setenv(STORAGE_EMULATOR_HOST_ENV, "http://127.0.0.1:9")


def test_gcp_example_previews_every_resource_as_a_create(monkeypatch: pytest.MonkeyPatch) -> None:
    preview = Preview(monkeypatch)
    assert {op for op, _ in preview.result.ops()} == {"create"}
    assert {
        "training",
        "training-sa",
        "training-network",
        "training-peering-range",
        "training-peering",
        "trainer",
        "trainer-package",
        "train-container",
        "train-package",
        "api-aiplatform",
        "api-servicenetworking",
        *KMS,
    } <= preview.names()
    assert preview.calls.calls == []  # the project number comes from the stack config
    outputs = preview.result.outputs
    assert outputs["network"] == NETWORK
    assert outputs["service_account"] == ACCOUNT
    assert outputs["repository"] == "us-central1-docker.pkg.dev/my-project/training-images"
    assert outputs["staging_bucket"] == "gs://my-project-training-staging"


def test_gcp_example_jobs_run_on_spot_in_the_peered_network_with_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jobs = Preview(monkeypatch).jobs
    assert set(jobs) == {"train-container", "train-package"}
    for name, inputs in jobs.items():
        spec = inputs["job_spec"]
        assert spec["network"] == NETWORK, name
        assert spec["reserved_ip_ranges"] == ["training-vertex-peering"], name
        assert spec["service_account"] == ACCOUNT, name
        assert spec["scheduling"]["strategy"] == "SPOT", name
        assert spec["base_output_directory"]["output_uri_prefix"].startswith(
            "gs://my-project-training-staging/runs/"
        )
        assert inputs["encryption_spec"] == {"kms_key_name": KEY}, name
    package = jobs["train-package"]["job_spec"]["worker_pool_specs"][0]["python_package_spec"]
    assert package["python_module"] == "aiplatform_custom_trainer_script.task"
    assert package["executor_image_uri"].startswith("us-docker.pkg.dev/vertex-ai/training/")


def test_gcp_example_lets_the_vertex_service_agent_use_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inputs = Preview(monkeypatch).gcp_inputs
    assert inputs["training-key-vertex-agent"] == {
        "cryptoKeyId": KEY,
        "member": AGENT,
        "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    }
    assert inputs["training-keys"]["location"] == "us-central1"
    assert inputs["training-peering-range"]["purpose"] == "VPC_PEERING"
    assert inputs["training-peering-range"]["prefixLength"] == 16


def test_gcp_example_without_cmek_creates_no_key_and_looks_up_the_project_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    preview = Preview(monkeypatch, cmek="false", project_number=None)
    assert not preview.names() & KMS
    for inputs in preview.jobs.values():
        assert inputs.get("encryption_spec") is None
    assert preview.result.outputs["network"] == NETWORK
    lookup = ("gcp:organizations/getProject:getProject", {"projectId": "my-project"})
    assert lookup in preview.calls.calls
