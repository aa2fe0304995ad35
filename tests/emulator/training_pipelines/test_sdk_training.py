"""The Vertex SDK's training jobs, unchanged, over REST against the emulator.

``aiplatform.init(api_transport="rest", api_endpoint="http://HOST:PORT")`` as in
tests/emulator/test_sdk.py; the SDK polls pipelines every
``training_jobs._JOB_WAIT_TIME`` seconds (5), monkeypatched small here. What the SDK
sends (a Struct with mixed keys, doubles and numeric args) and what it needs back (an
empty ``error``, ``model_to_upload.name`` and ``version_id``, a readable
``models/{id}@{version}``) is in COVERAGE.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform import initializer, jobs, training_jobs

from pulumi_vertex_training import client

pytestmark = pytest.mark.docker

PROJECT = "test-project"
IMAGE = "local/python:3.11"
TRAINER = """\
import os, sys
out = os.environ["AIP_MODEL_DIR"].replace("gs://", "/gcs/", 1)
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "args.txt"), "w").write(" ".join(sys.argv[1:]))
"""


@pytest.fixture
def sdk(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(training_jobs, "_JOB_WAIT_TIME", 0.1)
    monkeypatch.setattr(jobs, "_JOB_WAIT_TIME", 0.1)
    saved = dict(initializer.global_config.__dict__)
    aiplatform.init(
        project=PROJECT,
        location="us-central1",
        api_transport="rest",
        api_endpoint="http://" + emulator.rest_address,
        credentials=AnonymousCredentials(),
        staging_bucket="gs://vertex-local-staging",
    )
    try:
        yield
    finally:
        initializer.global_config.__dict__.clear()
        initializer.global_config.__dict__.update(saved)


def test_custom_container_training_job_returns_a_readable_model(sdk: None, emulator: Any) -> None:
    from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path

    output = f"gs://vertex-local-staging/sdk-{uuid.uuid4().hex[:8]}"
    job = aiplatform.CustomContainerTrainingJob(
        display_name="sdk-container",
        container_uri=IMAGE,
        command=["python", "-c", TRAINER],
        model_serving_container_image_uri="serve:latest",
    )
    model = job.run(
        replica_count=1,
        machine_type="n1-standard-4",
        base_output_dir=output,
        args=["--x", 1, "--lr", 0.5],
    )
    assert isinstance(model, aiplatform.Model)
    assert model.version_id == "1"
    assert model.display_name == "sdk-container-model"
    assert model.uri == f"{output}/model"
    assert model.gca_resource.container_spec.image_uri == "serve:latest"
    written = gcs_local_path(emulator.data_dir, f"{output}/model/args.txt").read_text()
    assert written == "--x 1 --lr 0.5"
    assert job.state.name == "PIPELINE_STATE_SUCCEEDED"
    assert model.gca_resource.training_pipeline == job.resource_name
    # The SDK picks the class by the echoed training_task_definition.
    assert type(model.training_job).__name__ == "CustomTrainingJob"

    fetched = aiplatform.CustomContainerTrainingJob.get(job.resource_name)
    assert fetched.display_name == "sdk-container"
    listed = aiplatform.CustomContainerTrainingJob.list(filter='display_name="sdk-container"')
    assert job.resource_name in [j.resource_name for j in listed]
    job.delete()
    model.delete()


def test_failed_training_raises_with_the_jobs_error(sdk: None) -> None:
    job = aiplatform.CustomContainerTrainingJob(
        display_name="sdk-fails",
        container_uri=IMAGE,
        command=["python", "-c", "import sys; sys.exit(4)"],
        model_serving_container_image_uri="serve:latest",
    )
    with pytest.raises(RuntimeError, match="exited with a non-zero status of 4"):
        job.run(replica_count=1, machine_type="n1-standard-4")
    assert job.state.name == "PIPELINE_STATE_FAILED"


@pytest.mark.slow
def test_custom_training_job_from_a_local_script_runs_to_success(
    tmp_path: Path, sdk: None, local_gcs: Any
) -> None:
    bucket = f"vt-tp-{uuid.uuid4().hex[:8]}"
    storage = client.storage_client(PROJECT)
    storage.create_bucket(bucket)
    aiplatform.init(staging_bucket=f"gs://{bucket}")
    script = tmp_path / "train.py"
    script.write_text(TRAINER)
    job = aiplatform.CustomTrainingJob(
        display_name="sdk-script",
        script_path=str(script),
        container_uri="us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
        model_serving_container_image_uri="serve:latest",
    )
    model = job.run(replica_count=1, machine_type="n1-standard-4", args=["--alpha", "0.5"])
    assert job.state.name == "PIPELINE_STATE_SUCCEEDED"
    assert model is not None and model.version_id == "1"
    prefix = model.uri.removeprefix(f"gs://{bucket}/")
    written = storage.bucket(bucket).blob(f"{prefix}/args.txt").download_as_bytes()
    assert written == b"--alpha 0.5"
