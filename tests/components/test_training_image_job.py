"""Done-when of issue 4: the image built from local code runs as a CustomJob in the emulator.

A trainer with a requirements.txt (one small package from PyPI, installed by the
build on the host network) and its model code in a subpackage, taking args,
writes its model under AIP_MODEL_DIR; the job SUCCEEDS.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from google.cloud import aiplatform_v1

from pulumi_vertex_training import client
from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path
from pulumi_vertex_training.provider.image import ImageProvider
from tests.fixtures.images import write_package

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TASK = """\
import argparse, os
import six
from trainer.models import linear

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, required=True)
args = parser.parse_args()
model_dir = os.environ["AIP_MODEL_DIR"].replace("gs://", "/gcs/", 1)
os.makedirs(model_dir, exist_ok=True)
with open(os.path.join(model_dir, "model.txt"), "w") as fh:
    fh.write(f"{linear.fit(args.epochs)} six={six.__version__}\\n")
print("saved to", model_dir)
"""


def test_built_image_runs_as_custom_job_to_succeeded_when_pushed(
    tmp_path: Path, repository: str, emulator: Any, wait_for_job: Any, parent: str
) -> None:
    source = write_package(
        tmp_path / "pkg",
        {
            "requirements.txt": "six==1.16.0\n",
            "trainer/__init__.py": "",
            "trainer/task.py": TASK,
            "trainer/models/__init__.py": "",
            "trainer/models/linear.py": "def fit(epochs):\n    return f'w={epochs * 0.5}'\n",
            "notes/ignored.md": "outside trainer/: not in the image\n",
        },
    )
    from pulumi_vertex_training.packaging.package import (
        prepare_image,
        resolve_package,
    )

    package = resolve_package(str(source), python_module="trainer.task")
    context_hash = prepare_image(package, "local/python:3.11").context_hash
    provider = ImageProvider()
    props = {
        "source_dir": str(source),
        "python_module": "trainer.task",
        "base_image": "local/python:3.11",
        "repository": repository,
        "image_name": "trainer",
        "context_hash": context_hash,
    }
    image = provider.create(provider.check({}, props).inputs).outs
    assert image is not None

    bucket = f"vt-image-{uuid.uuid4().hex[:8]}"
    jobs = client.job_service_client("us-central1")
    job = jobs.create_custom_job(
        parent=parent,
        custom_job=aiplatform_v1.CustomJob(
            display_name="image-from-local-code",
            job_spec=aiplatform_v1.CustomJobSpec(
                worker_pool_specs=[
                    aiplatform_v1.WorkerPoolSpec(
                        machine_spec=aiplatform_v1.MachineSpec(machine_type="n1-standard-4"),
                        replica_count=1,
                        container_spec=aiplatform_v1.ContainerSpec(
                            image_uri=image["image_uri"], args=["--epochs", "4"]
                        ),
                    )
                ],
                base_output_directory=aiplatform_v1.GcsDestination(
                    output_uri_prefix=f"gs://{bucket}/out"
                ),
            ),
        ),
    )
    done = wait_for_job(job.name, timeout=120)
    assert done.state == aiplatform_v1.JobState.JOB_STATE_SUCCEEDED, done.error
    model = gcs_local_path(emulator.data_dir, f"gs://{bucket}/out/model/model.txt")
    assert model.read_text() == "w=2.0 six=1.16.0\n"
