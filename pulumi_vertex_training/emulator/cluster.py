"""From a CustomJob to the containers that run it: replicas, the env Vertex sets, mounts.

Pure apart from creating the local folders it mounts; no Docker here (that is
``runner.py``). The env follows reference §5 of the project's Vertex notes.

Emulator decisions (Vertex's exact behaviour is unverified for these):

* Replicas: every replica of every non-empty pool (a pool with a
  ``machine_spec.machine_type`` and ``replica_count`` > 0; ``{}`` placeholders
  are skipped but keep their index), host name ``workerpool{i}-{r}``. The
  ``CLUSTER_SPEC`` addresses are ``workerpool{i}-{r}:2222``.
* ``CLUSTER_SPEC.job`` is the CustomJobSpec as a JSON object with the proto
  field names (snake_case), without default values.
* ``TF_CONFIG`` maps pools by position: 0 -> ``chief``, 1 -> ``worker``,
  2 -> ``ps``, 3 -> ``evaluator``. Its ``cluster`` lists chief, worker and ps
  (the evaluator is never in it, as in TensorFlow's own convention); every
  replica, evaluators included, gets ``task`` = its type and index.
* PyTorch rendezvous (``env://``): one process per machine over pools 0 and 1.
  ``MASTER_ADDR=workerpool0-0``, ``MASTER_PORT=3333``, ``WORLD_SIZE`` = the
  number of replicas in pools 0 and 1, ``RANK`` = 0 for pool 0 and ``1 + i``
  for ``workerpool1-i``. Pools 2 (parameter / reduction servers) and 3
  (evaluators) are not part of the PyTorch world: they get ``MASTER_ADDR``,
  ``MASTER_PORT`` and ``WORLD_SIZE`` (so they can find the primary) but no
  ``RANK``, so an accidental ``init_process_group`` there fails loudly instead
  of joining with a clashing rank.
* User env: Vertex's vars first, then ``container_spec.env`` in order, with
  Kubernetes' expansion: ``$(VAR)`` is replaced by the value of a var defined
  earlier (Vertex's or the user's), left as is when VAR is undefined;
  ``$$`` becomes ``$`` (so ``$$(VAR)`` is a literal ``$(VAR)``). A user var
  with the name of a Vertex var replaces its value (later entries win, as in
  Kubernetes). ``command``/``args`` are passed through unexpanded.
* GCS: ``gs://bucket/...`` is served by a local folder
  ``<data_dir>/gcs/<bucket>`` bind-mounted at ``/gcs/<bucket>`` (the Cloud
  Storage FUSE convention) in every replica, for the bucket of
  ``base_output_directory`` and for every bucket named as ``gs://bucket`` or
  ``/gcs/bucket`` in the command, args or env (on Vertex, every bucket the
  service account can read is under ``/gcs/``). The env keeps the ``gs://``
  values. Folders are created mode 0777 so a non-root container user can write.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from google.cloud import aiplatform_v1
from google.protobuf import json_format

from pulumi_vertex_training.emulator.exceptions import InvalidArgument, Unimplemented
from pulumi_vertex_training.emulator.runner_types import JobRun, Mount, ReplicaSpec

CLUSTER_PORT = 2222
MASTER_PORT = 3333
GCS_MOUNT_ROOT = "/gcs"
LABEL_PREFIX = "dev.pulumi-vertex-training"

# Pool position -> TensorFlow task type (see the module docstring).
TF_TASK_TYPES = ("chief", "worker", "ps", "evaluator")

# Bucket names per Cloud Storage's rules (lowercase, digits, - _ .; 3..222 chars);
# dotted names may not contain "..", which also keeps the folder inside gcs_root.
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_BUCKET_REF_RE = re.compile(
    r"(?:gs:/|/gcs)/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?=/|$|[^a-z0-9._-])"
)


def gcs_root(data_dir: Path) -> Path:
    """The local folder that stands in for Cloud Storage: ``<data_dir>/gcs/<bucket>/<object>``."""
    return Path(data_dir) / "gcs"


def gcs_local_path(data_dir: Path, uri: str) -> Path:
    """The local file or folder behind ``gs://bucket/object`` (no I/O).

    Raises:
        InvalidArgument: ``uri`` is not ``gs://<valid bucket>[/object]``.
    """
    bucket, obj = _split_gs_uri(uri, field="uri")
    return gcs_root(data_dir) / bucket / obj


def hostname(pool_index: int, replica_index: int) -> str:
    """The host name of a replica, as in CLUSTER_SPEC: ``workerpool{pool}-{replica}``."""
    return f"workerpool{pool_index}-{replica_index}"


def expand_env(env: Iterable[tuple[str, str]], defined: Mapping[str, str]) -> list[tuple[str, str]]:
    """Expand ``$(VAR)`` references in ``env`` values, Kubernetes-style.

    Each value may reference vars in ``defined`` and vars earlier in ``env``.
    Undefined references stay as written; ``$$`` is a literal ``$``.

    Returns:
        The expanded ``(name, value)`` pairs, in order.
    """
    known = dict(defined)
    out: list[tuple[str, str]] = []
    for name, value in env:
        expanded = _expand(value, known)
        known[name] = expanded
        out.append((name, expanded))
    return out


def _expand(value: str, known: Mapping[str, str]) -> str:
    # A port of Kubernetes' third_party/forked/golang/expansion.Expand.
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = value[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            close = value.find(")", i + 2)
            if close == -1:
                out.append("$(")
                i += 2
            else:
                name = value[i + 2 : close]
                out.append(known.get(name, f"$({name})"))
                i = close + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


def _split_gs_uri(uri: str, field: str) -> tuple[str, str]:
    if not uri.startswith("gs://"):
        raise InvalidArgument(
            f"{field}: {uri!r} is not a Cloud Storage URI; expected gs://bucket/path"
        )
    bucket, _, obj = uri[len("gs://") :].partition("/")
    if not _BUCKET_RE.match(bucket) or ".." in bucket:
        raise InvalidArgument(
            f"{field}: bucket {bucket!r} in {uri!r} is not a valid bucket name "
            "(3-222 characters: lowercase letters, digits, '-', '_', '.')"
        )
    return bucket, obj


def _pool_is_empty(pool: aiplatform_v1.WorkerPoolSpec) -> bool:
    return not pool.machine_spec.machine_type or pool.replica_count <= 0


def _output_dirs(job_spec: aiplatform_v1.CustomJobSpec) -> list[tuple[str, str]]:
    base = job_spec.base_output_directory.output_uri_prefix
    if not base:
        return []
    _split_gs_uri(base, field="job_spec.base_output_directory.output_uri_prefix")
    base = base.rstrip("/")
    return [
        ("AIP_MODEL_DIR", f"{base}/model/"),
        ("AIP_CHECKPOINT_DIR", f"{base}/checkpoints/"),
        ("AIP_TENSORBOARD_LOG_DIR", f"{base}/logs/"),
    ]


def _buckets(job_spec: aiplatform_v1.CustomJobSpec, texts: Iterable[str]) -> list[str]:
    found: list[str] = []
    base = job_spec.base_output_directory.output_uri_prefix
    if base:
        found.append(_split_gs_uri(base, "job_spec.base_output_directory.output_uri_prefix")[0])
    for text in texts:
        found.extend(m.group(1) for m in _BUCKET_REF_RE.finditer(text) if ".." not in m.group(1))
    return sorted(set(found))


def _make_bucket_dir(data_dir: Path, bucket: str) -> Mount:
    folder = gcs_root(data_dir) / bucket
    folder.mkdir(parents=True, exist_ok=True)
    # World-writable on purpose: the container's user is unknown (maybe not root),
    # and this folder is a stand-in for a bucket any replica may write to.
    for path in (gcs_root(data_dir), folder):
        try:
            os.chmod(path, 0o777)
        except PermissionError:
            pass  # created by someone else (e.g. a root container); leave as is
    return Mount(host_path=str(folder.resolve()), container_path=f"{GCS_MOUNT_ROOT}/{bucket}")


def build_job_run(job: aiplatform_v1.CustomJob, data_dir: Path, instance_id: str) -> JobRun:
    """Turn a validated CustomJob into the replicas to run (see the module docstring).

    Args:
        job: the job as stored, with ``name`` ``projects/../customJobs/{id}``.
        data_dir: the emulator's data dir; bucket folders are created under
            ``gcs_root(data_dir)``.
        instance_id: the data dir's id, added as a container label.

    Raises:
        InvalidArgument: the job names no runnable pool or a malformed gs:// URI.
        Unimplemented: a pool uses python_package_spec.
    """
    job_spec = job.job_spec
    job_id = job.name.rsplit("/", 1)[-1]
    pools = list(job_spec.worker_pool_specs)
    active = [(i, p) for i, p in enumerate(pools) if not _pool_is_empty(p)]
    if not active:
        raise InvalidArgument(
            "job_spec.worker_pool_specs: no pool has a machine_spec.machine_type "
            "and replica_count > 0"
        )

    for i, pool in active:
        if pool._pb.WhichOneof("task") == "python_package_spec":
            # TODO(python_package_spec): install package_uris from the local GCS
            # folder into executor_image_uri and run python_module (another issue).
            raise Unimplemented(
                f"job_spec.worker_pool_specs[{i}].python_package_spec: the local Vertex AI runs "
                "only container_spec pools so far; use container_spec.image_uri"
            )
        if not pool.container_spec.image_uri:
            raise InvalidArgument(
                f"job_spec.worker_pool_specs[{i}].container_spec.image_uri is required"
            )

    cluster = {
        f"workerpool{i}": [f"{hostname(i, r)}:{CLUSTER_PORT}" for r in range(p.replica_count)]
        for i, p in active
    }
    tf_cluster = {
        TF_TASK_TYPES[i]: addrs
        for i, addrs in ((int(k[len("workerpool") :]), v) for k, v in cluster.items())
        if i < 3
    }
    job_json = json_format.MessageToDict(
        aiplatform_v1.CustomJobSpec.pb(job_spec), preserving_proto_field_name=True
    )
    world_size = sum(p.replica_count for i, p in active if i in (0, 1))
    common: list[tuple[str, str]] = [("CLOUD_ML_JOB_ID", job_id), *_output_dirs(job_spec)]
    if job_spec.tensorboard:
        common.append(("AIP_TENSORBOARD_RESOURCE_NAME", job_spec.tensorboard))
    common += [
        ("MASTER_ADDR", hostname(0, 0)),
        ("MASTER_PORT", str(MASTER_PORT)),
        ("WORLD_SIZE", str(world_size)),
    ]

    texts: list[str] = []
    for _, pool in active:
        cs = pool.container_spec
        texts += [*cs.command, *cs.args, *(e.value for e in cs.env)]
    mounts = tuple(_make_bucket_dir(data_dir, b) for b in _buckets(job_spec, texts))

    replicas: list[ReplicaSpec] = []
    for i, pool in active:
        cs = pool.container_spec
        for r in range(pool.replica_count):
            task = {"type": f"workerpool{i}", "index": r, "trial": ""}
            cluster_spec = {
                "cluster": cluster,
                "environment": "cloud",
                "task": task,
                "job": job_json,
            }
            tf_config = {
                "cluster": tf_cluster,
                "environment": "cloud",
                "task": {"type": TF_TASK_TYPES[i], "index": r, "trial": ""},
                "job": job_json,
            }
            vertex_env = [
                ("CLUSTER_SPEC", json.dumps(cluster_spec)),
                ("TF_CONFIG", json.dumps(tf_config)),
                *common,
            ]
            if i == 0:
                vertex_env.append(("RANK", "0"))
            elif i == 1:
                vertex_env.append(("RANK", str(1 + r)))
            user_env = expand_env(((e.name, e.value) for e in cs.env), dict(vertex_env))
            replicas.append(
                ReplicaSpec(
                    pool_index=i,
                    replica_index=r,
                    hostname=hostname(i, r),
                    image=cs.image_uri,
                    command=tuple(cs.command),
                    args=tuple(cs.args),
                    env=_merge_env(vertex_env, user_env),
                    mounts=mounts,
                )
            )
    return JobRun(
        job_name=job.name,
        job_id=job_id,
        replicas=tuple(replicas),
        labels=((f"{LABEL_PREFIX}.instance-id", instance_id),),
    )


def _merge_env(
    vertex_env: list[tuple[str, str]], user_env: list[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    # Later entries win, in place, so the result has no duplicate names
    # (Docker keeps only one value per name anyway).
    merged: dict[str, str] = {}
    for name, value in [*vertex_env, *user_env]:
        merged[name] = value
    return tuple(merged.items())
