"""cluster.build_job_run: which replicas run, the env Vertex sets, the GCS mounts (no Docker)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from google.cloud import aiplatform_v1

from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.execution.cluster import (
    build_job_run,
    expand_env,
    gcs_local_path,
    gcs_root,
)
from pulumi_vertex_training.emulator.execution.types import JobRun, ReplicaSpec

JOB_NAME = "projects/p/locations/us-central1/customJobs/4242"
IMAGE = "local/python:3.11"


def pool(replicas: int = 1, **container: Any) -> dict[str, Any]:
    return {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": replicas,
        "container_spec": {"image_uri": IMAGE, **container},
    }


def make_job(pools: list[dict[str, Any]], **spec: Any) -> aiplatform_v1.CustomJob:
    return aiplatform_v1.CustomJob(
        name=JOB_NAME, display_name="t", job_spec={"worker_pool_specs": pools, **spec}
    )


def build(tmp_path: Path, pools: list[dict[str, Any]], **spec: Any) -> JobRun:
    return build_job_run(make_job(pools, **spec), tmp_path, "inst-1")


def env_of(replica: ReplicaSpec) -> dict[str, str]:
    return dict(replica.env)


def by_host(run: JobRun) -> dict[str, ReplicaSpec]:
    return {r.hostname: r for r in run.replicas}


def test_one_pool_runs_one_replica_with_the_job_id_and_pytorch_rank_0(tmp_path: Path) -> None:
    run = build(tmp_path, [pool(command=["python"], args=["-c", "pass"])])

    assert run.job_name == JOB_NAME
    assert run.job_id == "4242"
    assert ("dev.pulumi-vertex-training.instance-id", "inst-1") in run.labels
    [replica] = run.replicas
    assert (replica.pool_index, replica.replica_index, replica.hostname) == (0, 0, "workerpool0-0")
    assert replica.replica_name == "workerpool0-0"
    assert (replica.image, replica.command, replica.args) == (IMAGE, ("python",), ("-c", "pass"))
    env = env_of(replica)
    assert env["CLOUD_ML_JOB_ID"] == "4242"
    assert (env["MASTER_ADDR"], env["MASTER_PORT"], env["WORLD_SIZE"], env["RANK"]) == (
        "workerpool0-0",
        "3333",
        "1",
        "0",
    )
    spec = json.loads(env["CLUSTER_SPEC"])
    assert spec["cluster"] == {"workerpool0": ["workerpool0-0:2222"]}
    assert spec["task"] == {"type": "workerpool0", "index": 0, "trial": ""}
    assert spec["environment"] == "cloud"
    assert spec["job"]["worker_pool_specs"][0]["container_spec"]["image_uri"] == IMAGE
    tf = json.loads(env["TF_CONFIG"])
    assert tf["cluster"] == {"chief": ["workerpool0-0:2222"]}
    assert tf["task"] == {"type": "chief", "index": 0, "trial": ""}
    # Vertex's vars come first, in a stable order.
    assert [k for k, _ in replica.env][:3] == ["CLUSTER_SPEC", "TF_CONFIG", "CLOUD_ML_JOB_ID"]


FOUR_POOLS = [pool(1), pool(2), pool(1), pool(1)]


@pytest.mark.parametrize(
    ("host", "cluster_task", "tf_task", "rank"),
    [
        ("workerpool0-0", ("workerpool0", 0), ("chief", 0), "0"),
        ("workerpool1-0", ("workerpool1", 0), ("worker", 0), "1"),
        ("workerpool1-1", ("workerpool1", 1), ("worker", 1), "2"),
        ("workerpool2-0", ("workerpool2", 0), ("ps", 0), None),
        ("workerpool3-0", ("workerpool3", 0), ("evaluator", 0), None),
    ],
)
def test_four_pools_give_each_replica_its_task_and_rank(
    tmp_path: Path,
    host: str,
    cluster_task: tuple[str, int],
    tf_task: tuple[str, int],
    rank: str | None,
) -> None:
    run = build(tmp_path, FOUR_POOLS)

    assert [r.hostname for r in run.replicas] == [
        "workerpool0-0",
        "workerpool1-0",
        "workerpool1-1",
        "workerpool2-0",
        "workerpool3-0",
    ]
    env = env_of(by_host(run)[host])
    spec = json.loads(env["CLUSTER_SPEC"])
    assert spec["cluster"] == {
        "workerpool0": ["workerpool0-0:2222"],
        "workerpool1": ["workerpool1-0:2222", "workerpool1-1:2222"],
        "workerpool2": ["workerpool2-0:2222"],
        "workerpool3": ["workerpool3-0:2222"],
    }
    assert (spec["task"]["type"], spec["task"]["index"]) == cluster_task
    tf = json.loads(env["TF_CONFIG"])
    assert tf["cluster"] == {
        "chief": ["workerpool0-0:2222"],
        "worker": ["workerpool1-0:2222", "workerpool1-1:2222"],
        "ps": ["workerpool2-0:2222"],
    }
    assert (tf["task"]["type"], tf["task"]["index"]) == tf_task
    assert env["WORLD_SIZE"] == "3"
    assert env["MASTER_ADDR"] == "workerpool0-0"
    assert env.get("RANK") == rank


@pytest.mark.parametrize(
    "placeholder",
    [
        {},
        {"replica_count": 0, "machine_spec": {"machine_type": "n1-standard-4"}},
        {"replica_count": 2},
    ],
    ids=["empty-dict", "zero-replicas", "no-machine-type"],
)
def test_empty_pool_is_skipped_but_keeps_its_index_when_a_placeholder(
    tmp_path: Path, placeholder: dict[str, Any]
) -> None:
    run = build(tmp_path, [pool(1), placeholder, pool(1), pool(1)])

    assert [r.hostname for r in run.replicas] == ["workerpool0-0", "workerpool2-0", "workerpool3-0"]
    env = env_of(run.replicas[1])
    assert set(json.loads(env["CLUSTER_SPEC"])["cluster"]) == {
        "workerpool0",
        "workerpool2",
        "workerpool3",
    }
    assert json.loads(env["TF_CONFIG"])["cluster"] == {
        "chief": ["workerpool0-0:2222"],
        "ps": ["workerpool2-0:2222"],
    }
    assert env["WORLD_SIZE"] == "1"


@pytest.mark.parametrize(
    ("user_env", "expected"),
    [
        ([("A", "plain")], [("A", "plain")]),
        ([("A", "$(CLOUD_ML_JOB_ID)-x")], [("A", "4242-x")]),
        ([("A", "1"), ("B", "$(A)$(A)")], [("A", "1"), ("B", "11")]),
        ([("B", "$(A)"), ("A", "1")], [("B", "$(A)"), ("A", "1")]),  # only earlier vars
        ([("A", "$(UNDEFINED)")], [("A", "$(UNDEFINED)")]),
        ([("A", "$$(CLOUD_ML_JOB_ID)")], [("A", "$(CLOUD_ML_JOB_ID)")]),
        ([("A", "cost $$5 and $5 $")], [("A", "cost $5 and $5 $")]),
        ([("A", "$(unclosed")], [("A", "$(unclosed")]),
        ([("A", "$$$(CLOUD_ML_JOB_ID)")], [("A", "$4242")]),
    ],
    ids=[
        "plain",
        "vertex-var",
        "earlier-user-var",
        "later-var-not-expanded",
        "undefined-left-as-is",
        "escaped",
        "dollar-signs",
        "unclosed",
        "escape-then-ref",
    ],
)
def test_user_env_is_expanded_after_the_vertex_env(
    tmp_path: Path, user_env: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    run = build(tmp_path, [pool(1, env=[{"name": n, "value": v} for n, v in user_env])])

    names = [n for n, _ in expected]
    assert [(n, v) for n, v in run.replicas[0].env if n in names] == expected
    assert [n for n, _ in run.replicas[0].env][-len(expected) :] == names


def test_user_env_overrides_a_vertex_var_in_place(tmp_path: Path) -> None:
    run = build(tmp_path, [pool(1, env=[{"name": "MASTER_PORT", "value": "29500"}])])

    names = [n for n, _ in run.replicas[0].env]
    assert names.count("MASTER_PORT") == 1
    assert env_of(run.replicas[0])["MASTER_PORT"] == "29500"


def test_expand_env_sees_defined_and_earlier_vars() -> None:
    assert expand_env([("B", "$(A)/$(B)"), ("C", "$(B)")], {"A": "a"}) == [
        ("B", "a/$(B)"),
        ("C", "a/$(B)"),
    ]


def test_output_dirs_keep_gs_uris_and_mount_the_bucket_when_base_output_directory_is_set(
    tmp_path: Path,
) -> None:
    run = build(
        tmp_path, [pool(2)], base_output_directory={"output_uri_prefix": "gs://my-bkt/run/1/"}
    )

    for replica in run.replicas:
        env = env_of(replica)
        assert env["AIP_MODEL_DIR"] == "gs://my-bkt/run/1/model/"
        assert env["AIP_CHECKPOINT_DIR"] == "gs://my-bkt/run/1/checkpoints/"
        assert env["AIP_TENSORBOARD_LOG_DIR"] == "gs://my-bkt/run/1/logs/"
        assert [(m.container_path, m.read_only) for m in replica.mounts] == [("/gcs/my-bkt", False)]
        assert Path(replica.mounts[0].host_path) == (gcs_root(tmp_path) / "my-bkt").resolve()
    folder = gcs_root(tmp_path) / "my-bkt"
    assert folder.is_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777
    assert gcs_local_path(tmp_path, "gs://my-bkt/run/1/model/x.pt") == folder / "run/1/model/x.pt"


def test_no_output_dirs_and_no_mounts_when_base_output_directory_is_absent(tmp_path: Path) -> None:
    run = build(tmp_path, [pool(1)])

    env = env_of(run.replicas[0])
    for name in ("AIP_MODEL_DIR", "AIP_CHECKPOINT_DIR", "AIP_TENSORBOARD_LOG_DIR"):
        assert name not in env
    assert "AIP_TENSORBOARD_RESOURCE_NAME" not in env
    assert run.replicas[0].mounts == ()
    assert not gcs_root(tmp_path).exists()


def test_tensorboard_resource_name_is_set_when_tensorboard_is_set(tmp_path: Path) -> None:
    tb = "projects/p/locations/us-central1/tensorboards/7"
    run = build(tmp_path, [pool(1)], tensorboard=tb)

    assert env_of(run.replicas[0])["AIP_TENSORBOARD_RESOURCE_NAME"] == tb


def test_buckets_named_in_args_or_env_are_mounted_too(tmp_path: Path) -> None:
    run = build(
        tmp_path,
        [
            pool(1, args=["--data=gs://data-bkt/train.csv"]),
            pool(1, env=[{"name": "OUT", "value": "/gcs/out.bkt/x"}]),
        ],
        base_output_directory={"output_uri_prefix": "gs://model-bkt"},
    )

    paths = [m.container_path for m in run.replicas[0].mounts]
    assert paths == ["/gcs/data-bkt", "/gcs/model-bkt", "/gcs/out.bkt"]
    assert run.replicas[1].mounts == run.replicas[0].mounts
    assert env_of(run.replicas[0])["AIP_MODEL_DIR"] == "gs://model-bkt/model/"


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("/local/dir", "is not a Cloud Storage URI"),
        ("s3://bkt/x", "is not a Cloud Storage URI"),
        ("gs://B/x", "is not a valid bucket name"),
        ("gs://../x", "is not a valid bucket name"),
        ("gs://a..b/x", "is not a valid bucket name"),
        ("gs://", "is not a valid bucket name"),
    ],
)
def test_malformed_output_directory_is_invalid_argument_naming_the_field(
    tmp_path: Path, uri: str, fragment: str
) -> None:
    with pytest.raises(InvalidArgument) as err:
        build(tmp_path, [pool(1)], base_output_directory={"output_uri_prefix": uri})

    assert "job_spec.base_output_directory.output_uri_prefix" in err.value.message
    assert fragment in err.value.message
    assert repr(uri) in err.value.message


def test_a_job_without_runnable_pools_is_invalid_argument(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match=r"job_spec\.worker_pool_specs"):
        build(tmp_path, [{}, {}])


def test_a_pool_without_image_uri_is_invalid_argument(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match=r"worker_pool_specs\[0\]\.container_spec\.image_uri"):
        build(tmp_path, [pool(1, image_uri="")])


@pytest.mark.parametrize("given", [None, 0])
def test_primary_pool_runs_one_replica_when_replica_count_is_unset(
    tmp_path: Path, given: int | None
) -> None:
    # Unset and 0 are one value on the wire (proto3); validation and check() read it as 1.
    primary = pool()
    if given is None:
        del primary["replica_count"]
    else:
        primary["replica_count"] = given
    run = build(tmp_path, [primary, pool(2)])
    assert sorted(by_host(run)) == ["workerpool0-0", "workerpool1-0", "workerpool1-1"]
    spec = json.loads(env_of(by_host(run)["workerpool1-1"])["CLUSTER_SPEC"])
    assert spec["cluster"]["workerpool0"] == ["workerpool0-0:2222"]
    assert env_of(by_host(run)["workerpool0-0"])["WORLD_SIZE"] == "3"
