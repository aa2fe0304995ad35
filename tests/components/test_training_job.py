"""TrainingJob: flat pools -> worker_pool_specs (pure), and the component run in-process."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training.components.training_job import WorkerPoolArgs, worker_pool_specs
from pulumi_vertex_training.testing import CheckFailed, ProgramRunner

CONFIG = {"gcp:project": "components", "gcp:region": "us-central1"}
CONTAINER = {"image_uri": "registry/trainer@sha256:abc", "args": ["--epochs", "1"]}


def test_every_non_empty_pool_runs_the_built_image() -> None:
    specs = worker_pool_specs(
        [
            WorkerPoolArgs(machine_type="n1-standard-4"),
            WorkerPoolArgs(machine_type="n1-standard-8", replica_count=2),
            None,
            {"machine_type": "n1-standard-4"},
        ],
        CONTAINER,
    )
    assert [s.get("container_spec") for s in specs] == [CONTAINER, CONTAINER, None, CONTAINER]
    assert specs[1]["replica_count"] == 2
    assert specs[2] == {}


def test_accelerators_and_disks_map_to_machine_and_disk_specs() -> None:
    (spec,) = worker_pool_specs(
        [
            WorkerPoolArgs(
                machine_type="n1-standard-8",
                accelerator_type="NVIDIA_TESLA_T4",
                accelerator_count=2,
                boot_disk_type="pd-standard",
                boot_disk_size_gb=200,
            )
        ],
        CONTAINER,
    )
    assert spec["machine_spec"] == {
        "machine_type": "n1-standard-8",
        "accelerator_type": "NVIDIA_TESLA_T4",
        "accelerator_count": 2,
    }
    assert spec["disk_spec"] == {"boot_disk_type": "pd-standard", "boot_disk_size_gb": 200}


def test_a_pool_without_machine_type_is_an_empty_placeholder() -> None:
    pools = [WorkerPoolArgs(machine_type="n1-standard-4"), WorkerPoolArgs()]
    assert worker_pool_specs(pools, CONTAINER)[1] == {}


def test_no_pools_is_refused_before_anything_registers() -> None:
    def program() -> None:
        vt.TrainingJob(
            "t",
            source_dir=".",
            script="task.py",
            base_image="local/python:3.11",
            repository="127.0.0.1:5000/x",
            worker_pools=[],
        )

    stack = ProgramRunner(program, config=CONFIG)
    with pytest.raises(ValueError, match="worker_pools"):
        stack.preview()
    assert stack.state["resources"] == {}


@pytest.fixture
def trainer(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    (source / "trainer").mkdir(parents=True)
    (source / "trainer" / "__init__.py").write_text("")
    (source / "trainer" / "task.py").write_text(
        textwrap.dedent(
            """
            import json, os, sys
            spec = json.loads(os.environ["CLUSTER_SPEC"])
            print("task", spec["task"]["type"], spec["task"]["index"], sys.argv[1:])
            """
        )
    )
    return source


@pytest.mark.docker
def test_training_job_builds_the_image_and_runs_it_on_every_pool(
    emulator: Any, trainer: Path
) -> None:
    repository = f"127.0.0.1:5000/tests-{uuid.uuid4().hex[:8]}"

    def program() -> None:
        job = vt.TrainingJob(
            "train",
            source_dir=str(trainer),
            python_module="trainer.task",
            base_image="local/python:3.11",
            repository=repository,
            worker_pools=[
                WorkerPoolArgs(machine_type="n1-standard-4"),
                WorkerPoolArgs(machine_type="n1-standard-4", replica_count=1),
            ],
            args=["--epochs", "1"],
            env={"MODE": "test"},
            base_output_directory="gs://components/run",
            wait="completed",
        )
        pulumi.export("state", job.state)
        pulumi.export("image_uri", job.image_uri)
        pulumi.export("model_dir", job.model_dir)
        pulumi.export("console_url", job.console_url)

    stack = ProgramRunner(program, config=CONFIG)
    preview = stack.preview()
    assert sorted(preview.ops()) == [
        ("create", "train"),
        ("create", "train"),
        ("create", "train-image"),
        ("create", "train-image"),
    ]
    result = stack.up()
    assert result.outputs["state"] == "JOB_STATE_SUCCEEDED"
    assert result.outputs["image_uri"].startswith(f"{repository}/train-image@sha256:")
    assert result.outputs["model_dir"] == "gs://components/run/model/"
    job = stack.resources("vertex:CustomJob")["train"]["outputs"]
    pools = job["job_spec"]["worker_pool_specs"]
    # against the emulator, the job's page in the emulator's own console
    console = f"http://{emulator.rest_address}/console/projects/"
    assert result.outputs["console_url"].startswith(console)
    assert result.outputs["console_url"].endswith(f"/customJobs/{job['job_id']}")
    assert {p["container_spec"]["image_uri"] for p in pools} == {result.outputs["image_uri"]}
    assert pools[0]["container_spec"]["env"] == [{"name": "MODE", "value": "test"}]
    assert all(s.op == "same" for s in stack.up().steps)
    stack.destroy()


def test_logs_reaches_the_job_and_is_checked_there(trainer: Path) -> None:
    def program(logs: str) -> Callable[[], None]:
        def run() -> None:
            vt.TrainingJob(
                "train",
                source_dir=str(trainer),
                python_module="trainer.task",
                base_image="local/python:3.11",
                repository="127.0.0.1:5000/tests-logs",
                worker_pools=[WorkerPoolArgs(machine_type="n1-standard-4")],
                logs=logs,
            )

        return run

    with pytest.raises(CheckFailed) as raised:
        ProgramRunner(program("loud"), config=CONFIG).preview()
    assert [path for path, _ in raised.value.failures] == ["logs"]
    assert ("create", "train") in ProgramRunner(program("stream"), config=CONFIG).preview().ops()


def _with_model(trainer: Path, **job: Any) -> Callable[[], None]:
    def program() -> None:
        trained = vt.TrainingJob(
            "train",
            source_dir=str(trainer),
            python_module="trainer.task",
            base_image="local/python:3.11",
            repository="127.0.0.1:5000/tests-model",
            worker_pools=[WorkerPoolArgs(machine_type="n1-standard-4")],
            model=vt.ModelArgs(
                display_name="trained",
                container_spec=vt.ModelContainerSpecArgs(image_uri="local/python:3.11"),
            ),
            **job,
        )
        assert trained.model is not None
        pulumi.export("model", trained.model.name)
        pulumi.export("version", trained.model.version_id)
        pulumi.export("artifact_uri", trained.model.artifact_uri)

    return program


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ({"base_output_directory": "gs://components/run"}, "wait='completed'"),
        ({"wait": "completed"}, "base_output_directory"),
    ],
)
def test_model_needs_the_job_completed_and_an_output_directory(
    trainer: Path, job: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ProgramRunner(_with_model(trainer, **job), config=CONFIG).preview()


@pytest.mark.docker
def test_model_registers_what_the_job_saved(emulator: Any, trainer: Path) -> None:
    output = f"gs://components-{uuid.uuid4().hex[:8]}/run"
    stack = ProgramRunner(
        _with_model(trainer, base_output_directory=output, wait="completed"), config=CONFIG
    )
    assert ("create", "train-model") in stack.preview().ops()
    result = stack.up()
    assert result.outputs["version"] == "1"
    assert result.outputs["artifact_uri"] == f"{output}/model/"
    model = stack.resources("vertex:Model")["train-model"]
    assert model["inputs"]["triggers"] == [stack.resources("vertex:CustomJob")["train"]["id"]]
    assert all(s.op == "same" for s in stack.up().steps)
    stack.destroy()
