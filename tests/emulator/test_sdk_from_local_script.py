"""The high-level SDK's ``CustomJob.from_local_script`` over REST, staged on the local GCS."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from pulumi_vertex_training import client

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SCRIPT = """\
import os, sys
out = os.environ["AIP_MODEL_DIR"].replace("gs://", "/gcs/", 1)
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "args.txt"), "w").write(" ".join(sys.argv[1:]))
"""


def test_from_local_script_runs_to_succeeded_against_the_emulator(
    tmp_path: Path, emulator: Any, local_gcs: Any
) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform

    bucket = f"vt-sdk-{uuid.uuid4().hex[:8]}"
    storage = client.storage_client("test-project")
    storage.create_bucket(bucket)
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    aiplatform.init(
        project="test-project",
        location="us-central1",
        api_transport="rest",
        api_endpoint=f"http://{emulator.rest_address}",
        credentials=AnonymousCredentials(),
        staging_bucket=f"gs://{bucket}",
    )

    job = aiplatform.CustomJob.from_local_script(
        display_name="sdk-from-local-script",
        script_path=str(script),
        container_uri="us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
        args=["--alpha", "0.5"],
        base_output_dir=f"gs://{bucket}/out",
    )
    job.run(sync=True)

    assert job.state.name == "JOB_STATE_SUCCEEDED"
    spec = job.job_spec.worker_pool_specs[0].python_package_spec
    assert spec.python_module == "aiplatform_custom_trainer_script.task"
    assert spec.package_uris[0].startswith(f"gs://{bucket}/")
    written = storage.bucket(bucket).blob("out/model/args.txt").download_as_bytes()
    assert written == b"--alpha 0.5"
