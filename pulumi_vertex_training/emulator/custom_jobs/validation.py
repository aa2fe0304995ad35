"""CreateCustomJob's request validation, as Vertex AI does it: independent of any provider code.

Every rule names the field path (``custom_job.job_spec.worker_pool_specs[1]...``),
the value and what is allowed. All violations of a request are reported at once,
joined with ``"; "``, in one INVALID_ARGUMENT. Rules a PersistentResource shares
(names, labels, machine specs, network, CMEK key) are in ``emulator/common_validation.py``;
what the machine catalog allows (machine types, accelerators, TPUs, boot disks,
reservations, Spot, FLEX_START) in ``emulator/machines.py``.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import duration_pb2

from pulumi_vertex_training.emulator import common_validation as common
from pulumi_vertex_training.emulator import machines
from pulumi_vertex_training.emulator.exceptions import InvalidArgument, Violation

CUSTOM_JOB_NAME_RE = re.compile(rf"{common.PARENT_PATTERN}/customJobs/(?P<id>[0-9]{{1,19}})")
"""A CustomJob name: the id is a decimal int64 (ASCII digits only); matched with fullmatch."""
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

MAX_WORKER_POOLS = 4
MAX_REPLICA_COUNT = 1000
"""The most replicas one worker pool may ask for (COVERAGE.md, "What the emulator
promises"): Vertex documents no maximum, so this is a generous local cap. Each replica's
CLUSTER_SPEC lists every replica's address; at 1 + 3 x 1000 replicas it is about 72 KB,
under Linux's 128 KiB limit on one environment string (MAX_ARG_STRLEN), and the emulator
builds the 3001 container specs in seconds; 2**31 replicas ran it out of memory."""
MAX_ENV_VARS = 100
MAX_PACKAGE_URIS = 100
# google.protobuf.Duration's own bounds (10,000 years).
MAX_DURATION_SECONDS = 315_576_000_000


def check_custom_job_name(name: str, field: str = "name") -> None:
    """INVALID_ARGUMENT unless ``name`` is ``projects/{p}/locations/{l}/customJobs/{number}``."""
    if not CUSTOM_JOB_NAME_RE.fullmatch(name):
        raise InvalidArgument.of(
            field,
            f"{name!r} is not a valid CustomJob name; expected "
            "projects/{project}/locations/{location}/customJobs/{numeric id}",
        )


def validate_custom_job(job: Any, field: str = "custom_job") -> None:
    """Raise InvalidArgument listing every rule the CustomJob (a raw protobuf message) breaks.

    Output-only fields (name, state, times, error, web_access_uris) are ignored, as
    Vertex ignores them on create.
    """
    errors: list[Violation] = []
    _check_custom_job(job, field, errors)
    if errors:
        raise InvalidArgument(violations=errors)


def _check_custom_job(job: Any, f: str, errors: list[Violation]) -> None:
    pb = job
    common.check_display_name(pb.display_name, f"{f}.display_name", errors, required=True)
    common.check_labels(dict(pb.labels), f"{f}.labels", errors)
    kms = pb.encryption_spec.kms_key_name
    if pb.HasField("encryption_spec") and not common.KMS_KEY_RE.match(kms):
        errors.append(
            (
                f"{f}.encryption_spec.kms_key_name",
                f"{kms!r} must be projects/{{p}}/locations/{{l}}/keyRings/{{kr}}/cryptoKeys/{{k}}",
            )
        )
    if not pb.HasField("job_spec"):
        errors.append((f"{f}.job_spec", f"{f}.job_spec is required"))
        return
    _check_job_spec(pb.job_spec, f"{f}.job_spec", errors)


def _check_job_spec(spec: Any, f: str, errors: list[Violation]) -> None:
    s = spec
    pools = list(s.worker_pool_specs)
    if not pools:
        errors.append(
            (
                f"{f}.worker_pool_specs",
                f"{f}.worker_pool_specs must contain at least one worker pool",
            )
        )
    elif len(pools) > MAX_WORKER_POOLS:
        errors.append(
            (
                f"{f}.worker_pool_specs",
                f"{f}.worker_pool_specs has {len(pools)} pools; at most {MAX_WORKER_POOLS} are "
                "allowed (primary, workers, parameter servers, evaluators)",
            )
        )
    for i, pool in enumerate(pools):
        _check_pool(pool, i, f"{f}.worker_pool_specs[{i}]", errors)
    network = s.network
    if network and not common.NETWORK_RE.match(network):
        errors.append(
            (
                f"{f}.network",
                f"{network!r} must be projects/{{project_number}}/global/networks/"
                "{network_name} (a numeric project number, not a project id)",
            )
        )
    if s.HasField("scheduling"):
        sched = s.scheduling
        for name in ("timeout", "max_wait_duration"):
            if sched.HasField(name):
                _check_duration(getattr(sched, name), f"{f}.scheduling.{name}", errors)
    if s.HasField("base_output_directory"):
        uri = s.base_output_directory.output_uri_prefix
        if not uri.startswith("gs://") or len(uri) <= len("gs://"):
            errors.append(
                (
                    f"{f}.base_output_directory.output_uri_prefix",
                    f"{uri!r} must be a gs://bucket/path URI",
                )
            )
    account = s.service_account
    if account and "@" not in account:
        errors.append((f"{f}.service_account", f"{account!r} must be a service account email"))
    if s.tensorboard and not account:
        errors.append(
            (
                f"{f}.service_account",
                f"{f}.service_account is required with tensorboard (the job's uploads to "
                "Vertex AI TensorBoard run as that service account)",
            )
        )
    machines.check_job(s, f, errors)


def _check_pool(pool: Any, i: int, f: str, errors: list[Violation]) -> None:
    p = pool
    if p.ByteSize() == 0:
        # Pools after the first may be empty placeholders ({}), keeping pool indexes stable.
        if i == 0:
            errors.append((f, f"{f} (the primary pool) must not be empty"))
        return
    machine = p.machine_spec
    if not machine.machine_type:
        errors.append(
            (
                f"{f}.machine_spec.machine_type",
                f"{f}.machine_spec.machine_type is required in a non-empty worker pool",
            )
        )
    elif not common.MACHINE_TYPE_RE.match(machine.machine_type):
        errors.append(
            (
                f"{f}.machine_spec.machine_type",
                f"{machine.machine_type!r} is not a machine type "
                "(expected a Compute Engine name like n1-standard-4)",
            )
        )
    common.check_accelerator(machine, f"{f}.machine_spec", errors)
    count = p.replica_count
    if i == 0 and count not in (0, 1):  # 0: unset, defaults to 1
        errors.append(
            (f"{f}.replica_count", f"{count} is not allowed; the primary pool must have 1")
        )
    elif i > 0 and count < 1:
        errors.append(
            (f"{f}.replica_count", f"{count} is not allowed; a non-empty pool needs >= 1")
        )
    elif count > MAX_REPLICA_COUNT:
        errors.append(
            (
                f"{f}.replica_count",
                f"{count} is more than the {MAX_REPLICA_COUNT} replicas a worker pool may have",
            )
        )
    task = p.WhichOneof("task")
    if task is None:
        errors.append((f, "exactly one of container_spec or python_package_spec is required"))
    elif task == "container_spec":
        c = p.container_spec
        if not c.image_uri:
            errors.append(
                (f"{f}.container_spec.image_uri", f"{f}.container_spec.image_uri is required")
            )
        _check_env(c.env, f"{f}.container_spec.env", errors)
    else:
        py = p.python_package_spec
        if not py.executor_image_uri:
            errors.append(
                (
                    f"{f}.python_package_spec.executor_image_uri",
                    f"{f}.python_package_spec.executor_image_uri is required",
                )
            )
        if not py.package_uris:
            errors.append(
                (
                    f"{f}.python_package_spec.package_uris",
                    f"{f}.python_package_spec.package_uris must list at least one package",
                )
            )
        elif len(py.package_uris) > MAX_PACKAGE_URIS:
            errors.append(
                (
                    f"{f}.python_package_spec.package_uris",
                    f"{f}.python_package_spec.package_uris has {len(py.package_uris)} entries; "
                    f"at most {MAX_PACKAGE_URIS} are allowed",
                )
            )
        for j, uri in enumerate(py.package_uris):
            if not uri.startswith("gs://") or len(uri) <= len("gs://") or uri.endswith("/"):
                errors.append(
                    (
                        f"{f}.python_package_spec.package_uris[{j}]",
                        f"{uri!r} must be a "
                        "gs://bucket/object URI of a Python package (sdist or wheel)",
                    )
                )
        if not py.python_module:
            errors.append(
                (
                    f"{f}.python_package_spec.python_module",
                    f"{f}.python_package_spec.python_module is required",
                )
            )
        _check_env(py.env, f"{f}.python_package_spec.env", errors)
    machines.check_machine(p, f, errors)
    for j, nfs in enumerate(p.nfs_mounts):
        for name in ("server", "path", "mount_point"):
            if not getattr(nfs, name):
                errors.append(
                    (f"{f}.nfs_mounts[{j}].{name}", f"{f}.nfs_mounts[{j}].{name} is required")
                )
        if nfs.path and not nfs.path.startswith("/"):
            errors.append((f"{f}.nfs_mounts[{j}].path", f"{nfs.path!r} must start with /"))


def _check_env(env: Any, f: str, errors: list[Violation]) -> None:
    variables = list(env)
    if len(variables) > MAX_ENV_VARS:
        errors.append(
            (f, f"{f} has {len(variables)} variables; at most {MAX_ENV_VARS} are allowed")
        )
    for j, var in enumerate(variables):
        if not ENV_NAME_RE.match(var.name):
            errors.append(
                (
                    f"{f}[{j}].name",
                    f"{var.name!r} is not a valid environment variable name "
                    "(a C identifier: letters, digits, _; not starting with a digit)",
                )
            )


def _check_duration(d: duration_pb2.Duration, f: str, errors: list[Violation]) -> None:
    if not -999_999_999 <= d.nanos <= 999_999_999 or (d.seconds and d.nanos * d.seconds < 0):
        errors.append((f, f"seconds={d.seconds} nanos={d.nanos} is not a valid Duration"))
    elif d.seconds < 0 or d.nanos < 0:
        errors.append((f, f"{d.seconds}s must not be negative"))
    elif d.seconds > MAX_DURATION_SECONDS:
        errors.append((f, f"{d.seconds}s exceeds the Duration maximum {MAX_DURATION_SECONDS}s"))


def check_job_spec(spec: Any, f: str, errors: list[Violation]) -> None:
    """Append every rule a CustomJobSpec (raw protobuf) breaks, paths under ``f``.

    CreateCustomJob's own rules, for a spec inside another request (a
    HyperparameterTuningJob's ``trial_job_spec``).
    """
    _check_job_spec(spec, f, errors)
