"""Done-when of issue 6: a trainer folder packaged, uploaded to the local GCS, run as a
python_package_spec job in the emulator; its model is readable through the storage client.

Containers here have no package index (the engine runs with ``--iptables=false``), so the
trainer's requirement is one the executor image already has (``wheel``): pip resolves it
from the package's metadata without downloading.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training import client
from pulumi_vertex_training.testing import ProgramRunner

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PREBUILT = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"

TASK = """\
import argparse, json, os, urllib.request
import wheel  # the requirement
from . import model

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, required=True)
args = parser.parse_args()
model_dir = os.environ["AIP_MODEL_DIR"]
local = model_dir.replace("gs://", "/gcs/", 1)
os.makedirs(local, exist_ok=True)
with open(os.path.join(local, "model.json"), "w") as fh:
    json.dump({"w": model.fit(args.epochs)}, fh)

# The same bucket through the JSON API (STORAGE_EMULATOR_HOST) lands under /gcs too.
bucket, _, prefix = model_dir[len("gs://"):].partition("/")
url = (os.environ["STORAGE_EMULATOR_HOST"] + f"/upload/storage/v1/b/{bucket}/o"
       f"?uploadType=media&name={prefix}via-api.txt")
urllib.request.urlopen(urllib.request.Request(url, data=b"api", method="POST"), timeout=30)
assert open(os.path.join(local, "via-api.txt")).read() == "api"
print("saved to", model_dir)
"""


def write_trainer(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "task.py").write_text(TASK)
    (root / "model.py").write_text("def fit(epochs):\n    return epochs * 0.5\n")
    return root


def test_packaged_trainer_runs_to_succeeded_and_second_up_uploads_nothing(
    tmp_path: Path, emulator: Any, local_gcs: Any
) -> None:
    bucket = f"vt-pkg-{uuid.uuid4().hex[:8]}"
    storage = client.storage_client("p")
    storage.create_bucket(bucket)
    source = write_trainer(tmp_path / "trainer")

    def program() -> None:
        package = vt.PythonPackage(
            "trainer",
            source_dir=str(source),
            script="task.py",
            requirements=["wheel>=0.30"],
            staging_uri=f"gs://{bucket}/staging",
        )
        job = vt.CustomJob(
            "train",
            job_spec={
                "base_output_directory": {"output_uri_prefix": f"gs://{bucket}/run"},
                "worker_pool_specs": [
                    {
                        "machine_spec": {"machine_type": "n1-standard-4"},
                        "replica_count": 1,
                        "python_package_spec": {
                            "executor_image_uri": PREBUILT,
                            "package_uris": [package.package_uri],
                            "python_module": package.python_module,
                            "args": ["--epochs", "4"],
                        },
                    }
                ],
            },
            wait="completed",
        )
        pulumi.export("package_uri", package.package_uri)
        pulumi.export("state", job.state)

    stack = ProgramRunner(program, config={"gcp:project": "p", "gcp:region": "us-central1"})

    def staging_uploads() -> list[tuple[str, str]]:
        return [u for u in local_gcs.storage.uploads if u[0] == bucket and "staging/" in u[1]]

    first = stack.up()

    assert first.outputs["state"] == "JOB_STATE_SUCCEEDED"
    package_uri = first.outputs["package_uri"]
    assert package_uri.startswith(f"gs://{bucket}/staging/")
    assert package_uri.endswith("/aiplatform_custom_trainer_script-0.1.tar.gz")
    model = storage.bucket(bucket).blob("run/model/model.json").download_as_bytes()
    assert model == b'{"w": 2.0}'
    assert len(staging_uploads()) == 1

    second = stack.up()

    assert second.changed() == []
    assert len(staging_uploads()) == 1


def test_python_package_example_runs_on_the_local_stack(emulator: Any, local_gcs: Any) -> None:
    from pulumi_vertex_training.testing.runner import load_project

    example = Path(__file__).resolve().parents[2] / "examples" / "python_package"
    name, program, config = load_project(example, "local")
    bucket = config[f"{name}:staging_uri"].removeprefix("gs://").split("/", 1)[0]
    if client.storage_client("p").lookup_bucket(bucket) is None:
        client.storage_client("p").create_bucket(bucket)

    outputs = ProgramRunner(program, project=name, stack="local", config=config).up().outputs

    assert outputs["job_state"] == "JOB_STATE_SUCCEEDED"
    assert outputs["python_module"] == "aiplatform_custom_trainer_script.task"
    model_dir = outputs["model_dir"].removeprefix(f"gs://{bucket}/")
    weights = client.storage_client("p").bucket(bucket).blob(f"{model_dir}model.json")
    fitted = json.loads(weights.download_as_bytes())
    assert abs(fitted["w"] - 3) < 0.1 and abs(fitted["b"] - 2) < 0.1
