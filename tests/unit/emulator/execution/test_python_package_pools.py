"""python_package_spec pools in the emulator: image map, install command, mounts, validation."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from google.cloud import aiplatform_v1

from pulumi_vertex_training.emulator.custom_jobs import validation
from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.execution.cluster import build_job_run
from pulumi_vertex_training.emulator.execution.executor import (
    LOCAL_EXECUTOR_IMAGE,
    container_storage_host,
    map_executor_image,
    parse_image_map,
)

JOB_NAME = "projects/p/locations/us-central1/customJobs/77"
PREBUILT = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"


def package_pool(**spec: Any) -> dict[str, Any]:
    return {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "python_package_spec": {
            "executor_image_uri": PREBUILT,
            "package_uris": ["gs://stage/pkgs/abc/trainer-0.1.tar.gz"],
            "python_module": "trainer.task",
            **spec,
        },
    }


def job(*pools: dict[str, Any], **spec: Any) -> aiplatform_v1.CustomJob:
    return aiplatform_v1.CustomJob(
        name=JOB_NAME, display_name="t", job_spec={"worker_pool_specs": list(pools), **spec}
    )


@pytest.mark.parametrize(
    "uri",
    [
        PREBUILT,
        "europe-docker.pkg.dev/vertex-ai/training/pytorch-xla.2-1.py310:latest",
        "gcr.io/cloud-aiplatform/training/tf-cpu.2-8:latest",
    ],
)
def test_prebuilt_executor_images_run_in_the_local_python_image_by_default(uri: str) -> None:
    assert map_executor_image(uri) == LOCAL_EXECUTOR_IMAGE


def test_user_image_map_entries_win_over_the_defaults_and_unmapped_uris_run_as_is() -> None:
    image_map = parse_image_map([f"{PREBUILT.rsplit('/', 1)[0]}/sklearn-*=my/sklearn:1"])

    assert map_executor_image(PREBUILT, image_map) == "my/sklearn:1"
    assert map_executor_image("registry.local/mine:2", image_map) == "registry.local/mine:2"


@pytest.mark.parametrize("entry", ["no-equals", "=image", "prefix="])
def test_image_map_entry_without_prefix_or_image_is_rejected_naming_it(entry: str) -> None:
    with pytest.raises(ValueError, match="URI_PREFIX=LOCAL_IMAGE") as err:
        parse_image_map([entry])
    assert repr(entry) in str(err.value)


def test_loopback_storage_host_is_rewritten_for_containers_and_others_kept() -> None:
    assert container_storage_host("http://localhost:9023") == "http://host.docker.internal:9023"
    assert container_storage_host("127.0.0.1:9023") == "http://host.docker.internal:9023"
    assert container_storage_host("http://gcs.example:80") == "http://gcs.example:80"


def test_package_pool_installs_every_package_from_gcs_then_runs_the_module_with_args(
    tmp_path: Path,
) -> None:
    uris = ["gs://stage/pkgs/abc/trainer-0.1.tar.gz", "gs://libs/helper-1.0.tar.gz"]
    pool = package_pool(
        package_uris=uris, args=["--epochs", "2 3"], env=[{"name": "A", "value": "1"}]
    )

    run = build_job_run(job(pool), tmp_path, "inst", storage_emulator_host="")

    [replica] = run.replicas
    assert replica.image == LOCAL_EXECUTOR_IMAGE
    assert replica.command[:2] == ("sh", "-c")
    script = replica.command[2]
    assert "/gcs/stage/pkgs/abc/trainer-0.1.tar.gz /gcs/libs/helper-1.0.tar.gz" in script
    assert script.index("pip install") < script.index("python3 -m trainer.task")
    assert replica.args == ("--epochs", "2 3")
    assert dict(replica.env)["A"] == "1"
    assert {m.container_path for m in replica.mounts} == {"/gcs/stage", "/gcs/libs"}


def test_install_script_passes_args_verbatim_to_the_module(tmp_path: Path) -> None:
    # Run the generated sh script for real with pip and python3 stubbed by echo.
    run = build_job_run(
        job(package_pool(args=["a b", "$HOME", "'q'"])), tmp_path, "i", storage_emulator_host=""
    )
    [replica] = run.replicas
    script = (
        replica.command[2]
        .replace("python3 -m pip install", "echo install")
        .replace("exec python3 -m", "printf '%s|'")
    )
    out = subprocess.run(
        ["sh", "-c", script, *replica.command[3:], *replica.args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.endswith("trainer.task|a b|$HOME|'q'|")


def test_replicas_get_the_storage_emulator_host_they_can_reach(tmp_path: Path) -> None:
    run = build_job_run(
        job(package_pool()), tmp_path, "i", storage_emulator_host="http://127.0.0.1:9023"
    )

    assert dict(run.replicas[0].env)["STORAGE_EMULATOR_HOST"] == "http://host.docker.internal:9023"


def test_package_uri_outside_gcs_is_invalid_argument_naming_the_index(tmp_path: Path) -> None:
    bad = job(package_pool(package_uris=["gs://stage/ok.tar.gz", "https://x/pkg.tar.gz"]))

    with pytest.raises(InvalidArgument) as err:
        validation.validate_custom_job(aiplatform_v1.CustomJob.pb(bad))

    assert "python_package_spec.package_uris[1]: 'https://x/pkg.tar.gz'" in err.value.message


def test_more_than_100_package_uris_is_invalid_argument(tmp_path: Path) -> None:
    uris = [f"gs://stage/p{i}.tar.gz" for i in range(101)]

    with pytest.raises(InvalidArgument, match=r"package_uris has 101 entries; at most 100"):
        validation.validate_custom_job(
            aiplatform_v1.CustomJob.pb(job(package_pool(package_uris=uris)))
        )
