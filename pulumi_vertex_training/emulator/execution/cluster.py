"""From a CustomJob to the containers that run it: replicas, the env Vertex sets, mounts.

Pure apart from creating the local folders it mounts; no Docker here (that is
``runner.py``). The env is what Vertex AI sets in a custom-training replica:
``CLUSTER_SPEC``, ``TF_CONFIG``, ``CLOUD_ML_JOB_ID``, the ``AIP_MODEL_DIR`` /
``AIP_CHECKPOINT_DIR`` / ``AIP_TENSORBOARD_LOG_DIR`` of ``base_output_directory``
(``model/``, ``checkpoints/``, ``logs/`` under it), ``AIP_TENSORBOARD_RESOURCE_NAME``
with a ``tensorboard``, and PyTorch's rendezvous variables (below).

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
  The same folders are the objects of the local Cloud Storage
  (``emulator/storage/gcs.py``, ``STORAGE_EMULATOR_HOST``): one store, two ways in.
* python_package_spec: the pool runs its ``executor_image_uri`` mapped to a
  local image through the image map (``vertex-local serve --image-map
  PREFIX=IMAGE``; a prefix may hold ``*``; the first match wins, the user's
  entries before ``executor.DEFAULT_IMAGE_MAP``, which sends Vertex's prebuilt
  training images to ``local/python:3.11``; an unmapped URI runs as is). The
  command is ``sh -c "python3 -m pip install --no-build-isolation <every
  package_uri as /gcs/...> && exec python3 -m <python_module> \"$@\""`` with
  ``args`` as the positional parameters. ``--no-build-isolation``: containers
  may have no package index (this engine gives them none), so sdists build
  with the executor image's setuptools; requirements must already be in the
  image or among the package_uris.
* HyperparameterTuningJob trials (``trial``): ``CLOUD_ML_TRIAL_ID`` and
  ``task.trial`` hold the trial id (cloudml-hypertune reads the former; Vertex's
  distributed-training page documents the latter); the trial's host metrics folder
  is mounted at ``/tmp/hypertune`` in ``workerpool0-0`` (where cloudml-hypertune
  writes ``output.metrics``). The trial's ``base_output_directory`` is already
  ``<parent base>/<trial id>`` in the job, so the ``AIP_*`` dirs follow.
* ``STORAGE_EMULATOR_HOST``: when the emulator has one (its own environment),
  every replica gets it too, with a loopback host rewritten to
  ``host.docker.internal``, which the runner points at the job network's
  gateway (the host, as seen from the bridge), where ``gateway_forward.py``
  forwards that port to the loopback-only local Cloud Storage.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from google.cloud import aiplatform_v1
from google.protobuf import json_format

from pulumi_vertex_training.emulator.exceptions import InvalidArgument
from pulumi_vertex_training.emulator.execution.executor import (
    STORAGE_EMULATOR_HOST_ENV,
    container_storage_host,
    map_executor_image,
)
from pulumi_vertex_training.emulator.execution.names import LABEL_INSTANCE_ID
from pulumi_vertex_training.emulator.execution.types import JobRun, Mount, ReplicaSpec

CLUSTER_PORT = 2222
MASTER_PORT = 3333
GCS_MOUNT_ROOT = "/gcs"
HYPERTUNE_DIR = "/tmp/hypertune"
"""Where cloudml-hypertune writes ``output.metrics`` (its default path)."""


@dataclass(frozen=True)
class TrialContext:
    """A HyperparameterTuningJob trial's share of the env (``hyperparameter_tuning_jobs/``).

    ``trial_id`` goes to ``CLOUD_ML_TRIAL_ID`` and ``task.trial`` of ``CLUSTER_SPEC`` /
    ``TF_CONFIG``; ``metrics_dir`` (a host folder) is mounted at :data:`HYPERTUNE_DIR`
    in the primary replica (``workerpool0-0``) only, where the trial's metrics are read.
    """

    trial_id: str
    metrics_dir: Path


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


def _package_command(package_uris: Sequence[str], module: str, field: str) -> tuple[str, ...]:
    paths = []
    for j, uri in enumerate(package_uris):
        bucket, obj = _split_gs_uri(uri, field=f"{field}.package_uris[{j}]")
        paths.append(shlex.quote(f"{GCS_MOUNT_ROOT}/{bucket}/{obj}"))
    script = (
        "python3 -m pip install --no-build-isolation --disable-pip-version-check "
        f"--no-warn-script-location {' '.join(paths)} "
        f'&& exec python3 -m {shlex.quote(module)} "$@"'
    )
    # "python3" is $0 of the script; the pool's args follow as $1...
    return ("sh", "-c", script, "python3")


def build_job_run(
    job: aiplatform_v1.CustomJob,
    data_dir: Path,
    instance_id: str,
    *,
    image_map: Sequence[tuple[str, str]] | None = None,
    storage_emulator_host: str | None = None,
    trial: TrialContext | None = None,
) -> JobRun:
    """Turn a validated CustomJob into the replicas to run (see the module docstring).

    Args:
        job: the job as stored, with ``name`` ``projects/../customJobs/{id}``.
        data_dir: the emulator's data dir; bucket folders are created under
            ``gcs_root(data_dir)``.
        instance_id: the data dir's id, added as a container label.
        image_map: ``(URI prefix, local image)`` pairs tried before
            :data:`executor.DEFAULT_IMAGE_MAP` for ``python_package_spec.executor_image_uri``.
        storage_emulator_host: the local Cloud Storage's URL; default the
            ``STORAGE_EMULATOR_HOST`` environment variable; passed on to replicas.
        trial: set for the CustomJob backing a HyperparameterTuningJob trial.

    Raises:
        InvalidArgument: the job names no runnable pool or a malformed gs:// URI.
    """
    job_spec = job.job_spec
    job_id = job.name.rsplit("/", 1)[-1]
    pools = list(job_spec.worker_pool_specs)
    if pools and pools[0].machine_spec.machine_type and pools[0].replica_count == 0:
        pools[0].replica_count = 1  # unset on the wire: the primary pool runs one (validation.py)
    active = [(i, p) for i, p in enumerate(pools) if not _pool_is_empty(p)]
    if not active:
        raise InvalidArgument(
            "job_spec.worker_pool_specs: no pool has a machine_spec.machine_type "
            "and replica_count > 0"
        )

    for i, pool in active:
        if pool._pb.WhichOneof("task") == "python_package_spec":
            continue
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
    trial_id = trial.trial_id if trial is not None else ""
    if trial is not None:
        common.append(("CLOUD_ML_TRIAL_ID", trial_id))
    if job_spec.tensorboard:
        common.append(("AIP_TENSORBOARD_RESOURCE_NAME", job_spec.tensorboard))
    common += [
        ("MASTER_ADDR", hostname(0, 0)),
        ("MASTER_PORT", str(MASTER_PORT)),
        ("WORLD_SIZE", str(world_size)),
    ]

    storage_host = storage_emulator_host or os.environ.get(STORAGE_EMULATOR_HOST_ENV, "")
    if storage_host.strip():
        common.append((STORAGE_EMULATOR_HOST_ENV, container_storage_host(storage_host.strip())))

    tasks = {i: _task(i, pool, image_map) for i, pool in active}
    texts: list[str] = []
    for _image, command, args, env, package_uris in tasks.values():
        texts += [*command, *args, *(v for _, v in env), *package_uris]
    mounts = tuple(_make_bucket_dir(data_dir, b) for b in _buckets(job_spec, texts))

    replicas: list[ReplicaSpec] = []
    for i, pool in active:
        image, command, args, env, _ = tasks[i]
        for r in range(pool.replica_count):
            task = {"type": f"workerpool{i}", "index": r, "trial": trial_id}
            cluster_spec = {
                "cluster": cluster,
                "environment": "cloud",
                "task": task,
                "job": job_json,
            }
            tf_config = {
                "cluster": tf_cluster,
                "environment": "cloud",
                "task": {"type": TF_TASK_TYPES[i], "index": r, "trial": trial_id},
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
            user_env = expand_env(env, dict(vertex_env))
            replicas.append(
                ReplicaSpec(
                    pool_index=i,
                    replica_index=r,
                    hostname=hostname(i, r),
                    image=image,
                    command=command,
                    args=args,
                    env=_merge_env(vertex_env, user_env),
                    mounts=mounts + _trial_mount(trial, i, r),
                )
            )
    return JobRun(
        job_name=job.name,
        job_id=job_id,
        replicas=tuple(replicas),
        labels=((LABEL_INSTANCE_ID, instance_id),),
    )


def _trial_mount(trial: TrialContext | None, pool: int, replica: int) -> tuple[Mount, ...]:
    if trial is None or (pool, replica) != (0, 0):
        return ()
    trial.metrics_dir.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(trial.metrics_dir, 0o777)  # the container's user may not be root
    except PermissionError:
        pass
    return (Mount(host_path=str(trial.metrics_dir.resolve()), container_path=HYPERTUNE_DIR),)


_Task = tuple[str, tuple[str, ...], tuple[str, ...], list[tuple[str, str]], tuple[str, ...]]


def _task(
    i: int, pool: aiplatform_v1.WorkerPoolSpec, image_map: Sequence[tuple[str, str]] | None
) -> _Task:
    """``(image, command, args, env, package_uris)`` of a pool, whichever its task is."""
    if pool._pb.WhichOneof("task") == "python_package_spec":
        py = pool.python_package_spec
        field = f"job_spec.worker_pool_specs[{i}].python_package_spec"
        return (
            map_executor_image(py.executor_image_uri, image_map),
            _package_command(list(py.package_uris), py.python_module, field),
            tuple(py.args),
            [(e.name, e.value) for e in py.env],
            tuple(py.package_uris),
        )
    cs = pool.container_spec
    return (
        cs.image_uri,
        tuple(cs.command),
        tuple(cs.args),
        [(e.name, e.value) for e in cs.env],
        (),
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
