"""CustomJob: normalize what the user wrote to the canonical form and check every rule.

Canonical form (what ``NormalizedJob.value`` holds, what is hashed and sent):
- snake_case proto field names at every level (REST camelCase accepted on input);
- durations as ``"<seconds>s"``; enums by API name; int64/int32 as int;
- fields proto3 cannot tell from absent (``""``, 0, false, [], {}, unspecified enums)
  dropped, so equivalent inputs normalize identically;
- defaults, each where the service (or gcloud) applies it anyway:
  * ``worker_pool_specs[i].replica_count`` = 1 for a non-empty pool without one
    (gcloud's and the SDK's default; pool 0 must be exactly 1);
  * ``machine_spec.accelerator_count`` = 1 when ``accelerator_type`` is given without a
    count (gcloud's ``--worker-pool-spec accelerator-type=`` default);
- empty pools after the first stay as ``{}`` placeholders, in place (never trimmed);
- UNKNOWN (not known at preview) stays UNKNOWN, and the checks needing it are skipped.

Decisions: ``max_wait_duration`` with a strategy other than FLEX_START is an error (it
only applies to FLEX_START, so it is likely a mistake); ``replica_count`` 0 on a
non-empty pool is an error (the SDK turns 0-replica pools into ``{}``; write ``{}``);
``replica_count`` is at most :data:`MAX_REPLICA_COUNT` (1000) per pool, as in the
emulator: Vertex documents no maximum, so it is a generous cap of our own (more than
regional quotas allow most projects) that keeps every replica's ``CLUSTER_SPEC``, which
lists all replicas, under Linux's 128 KiB limit on one environment string even with
four full pools (see ``emulator/COVERAGE.md``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from . import names
from .args import to_plain
from .capacity import check_job_machines
from .coerce import coerce_message, prune
from .durations import duration_seconds
from .failures import Normalized, SpecFailure, is_unknown, missing, without_redundant
from .resource_names import (
    CONTEXT,
    LOCATION_ID,
    MODEL,
    RESOURCE_ID,
    TENSORBOARD,
    check_email,
    check_gcs_uri,
    check_kms_key,
    check_label_warnings,
    check_labels,
    check_network,
    check_pattern,
)
from .tasks import check_container_spec, check_mounts, check_python_package_spec
from .validators import (
    check_disk_spec,
    check_machine_spec,
    check_psc_interface_config,
    check_reserved_ip_ranges,
    known,
)

MAX_DISPLAY_NAME = 128
MAX_WORKER_POOLS = 4
MAX_REPLICA_COUNT = 1000


JOB_FIELDS = ("display_name", "job_spec", "labels", "encryption_spec")
"""The CustomJob message fields a user gives (the rest are output only)."""


class NormalizedJob(Normalized):
    """The canonical CustomJob fields and every problem found, all at once.

    ``value`` holds display_name, job_spec, labels, encryption_spec (those given) in the
    canonical form described in this module's docstring.
    """


def normalize_custom_job(raw: Mapping[str, Any], *, location: str | None = None) -> NormalizedJob:
    """Normalize and validate CustomJob inputs (display_name, job_spec, labels,
    encryption_spec), snake_case or REST camelCase, args dataclasses or dicts.

    Args:
        raw: the inputs; any value may be UNKNOWN or contain UNKNOWN leaves.
        location: the job's region, when known; the CMEK key must be in it.

    Returns:
        NormalizedJob with the canonical value and all failures (never raises on bad input).
    """
    failures: list[SpecFailure] = []
    warnings: list[SpecFailure] = []
    coerced = coerce_message(to_plain(raw), "CustomJob", "", failures)
    if not isinstance(coerced, dict):
        return NormalizedJob({}, failures)
    _check_job(coerced, location, failures)
    check_job_machines(coerced.get("job_spec"), "job_spec", failures, warnings)
    check_label_warnings(coerced.get("labels"), "labels", warnings)
    _apply_defaults(coerced)
    return NormalizedJob(prune(coerced, "CustomJob"), without_redundant(failures), warnings)


def _check_job(job: dict[str, Any], location: str | None, failures: list[SpecFailure]) -> None:
    name = job.get("display_name")
    if name is None or name == "":
        failures.append(missing("display_name", "required: 1 to 128 characters"))
    elif isinstance(name, str) and not name.strip():
        # Vertex (and the emulator) treat a blank name as missing.
        failures.append(SpecFailure("display_name", "must not be blank: 1 to 128 characters", name))
    else:
        if isinstance(name, str) and len(name) > MAX_DISPLAY_NAME:
            failures.append(
                SpecFailure(
                    "display_name", f"at most {MAX_DISPLAY_NAME} characters, got {len(name)}", name
                )
            )
        check_display_name_characters(name, "display_name", failures)
    check_labels(job.get("labels"), "labels", failures)
    check_encryption_spec(job.get("encryption_spec"), "encryption_spec", location, failures)
    spec = job.get("job_spec")
    if spec is None:
        failures.append(missing("job_spec", "required: at least worker_pool_specs"))
    elif isinstance(spec, dict):
        _check_job_spec(spec, "job_spec", failures)


def check_display_name_characters(name: Any, path: str, failures: list[SpecFailure]) -> None:
    """A display name holds no control character (Unicode category Cc: tabs, newlines,
    terminal escapes, NUL, DEL), as the service (and the emulator) require."""
    if not isinstance(name, str):
        return
    bad = next((i for i, c in enumerate(name) if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        failures.append(
            SpecFailure(
                path,
                f"must be printable text: control character {name[bad]!r} at position {bad}",
                name,
            )
        )


def check_encryption_spec(
    spec: Any, path: str, location: str | None, failures: list[SpecFailure]
) -> None:
    """kms_key_name required when encryption_spec is given, in the resource's region."""
    if not isinstance(spec, dict):
        return
    key = spec.get("kms_key_name")
    if key is None or key == "":
        failures.append(
            missing(
                names.join(path, "kms_key_name"),
                "required: projects/{project}/locations/{location}/keyRings/"
                "{key_ring}/cryptoKeys/{key}",
            )
        )
    check_kms_key(key, names.join(path, "kms_key_name"), location, failures)


def is_empty_pool(pool: Any) -> bool:
    """True for a ``{}`` placeholder (nothing proto3 would send)."""
    return isinstance(pool, dict) and not prune(pool, "WorkerPoolSpec")


def _check_job_spec(spec: dict[str, Any], path: str, failures: list[SpecFailure]) -> None:
    pools = spec.get("worker_pool_specs")
    p_path = names.join(path, "worker_pool_specs")
    if pools is None or pools == []:
        failures.append(
            missing(p_path, "required: 1 to 4 worker pools; pool 0 runs the primary replica")
        )
    elif isinstance(pools, list):
        if len(pools) > MAX_WORKER_POOLS:
            failures.append(
                SpecFailure(
                    p_path,
                    "at most 4 worker pools (primary, workers, parameter "
                    f"servers, evaluators), got {len(pools)}",
                    len(pools),
                )
            )
        for i, pool in enumerate(pools):
            _check_pool(pool, i, names.index(p_path, i), failures)
    _check_scheduling(spec.get("scheduling"), names.join(path, "scheduling"), failures)
    account = spec.get("service_account")
    check_email(account, names.join(path, "service_account"), failures)
    if known(spec.get("tensorboard")) and spec["tensorboard"] and account in (None, ""):
        # "service_account: Required when running with TensorBoard" (Use Vertex AI
        # TensorBoard with custom training; the SDK's tensorboard argument says the same).
        failures.append(
            missing(
                names.join(path, "service_account"),
                "required with tensorboard: uploading to Vertex AI TensorBoard needs a "
                "service account with access to it",
            )
        )
    network = spec.get("network")
    check_network(network, names.join(path, "network"), failures)
    psc = spec.get("psc_interface_config")
    check_psc_interface_config(psc, names.join(path, "psc_interface_config"), failures)
    if (
        network is not None
        and psc is not None
        and prune(psc if isinstance(psc, dict) else {}, "PscInterfaceConfig") != {}
    ):
        # VPC peering and PSC-I are alternative ways to reach the VPC (the
        # psc_interface_config docstring); Vertex rejects a job giving both.
        failures.append(
            SpecFailure(
                names.join(path, "psc_interface_config"),
                "give either network (VPC peering) or psc_interface_config "
                "(Private Service Connect interface), not both",
                psc,
            )
        )
    check_reserved_ip_ranges(
        spec.get("reserved_ip_ranges"), names.join(path, "reserved_ip_ranges"), network, failures
    )
    base = spec.get("base_output_directory")
    if isinstance(base, dict):
        b_path = names.join(path, "base_output_directory.output_uri_prefix")
        prefix = base.get("output_uri_prefix")
        if prefix is None or prefix == "":
            failures.append(missing(b_path, "required: a gs://bucket/path prefix"))
        check_gcs_uri(prefix, b_path, failures)
    check_pattern(
        spec.get("protected_artifact_location_id"),
        LOCATION_ID,
        "a region id like us-central1",
        names.join(path, "protected_artifact_location_id"),
        failures,
    )
    check_pattern(
        spec.get("tensorboard"),
        TENSORBOARD,
        "projects/{project}/locations/{location}/tensorboards/{tensorboard}",
        names.join(path, "tensorboard"),
        failures,
    )
    context_form = "projects/{project}/locations/{location}/metadataStores/{store}/contexts/{%s}"
    check_pattern(
        spec.get("experiment"),
        CONTEXT,
        context_form % "experiment",
        names.join(path, "experiment"),
        failures,
    )
    check_pattern(
        spec.get("experiment_run"),
        CONTEXT,
        context_form % "experiment}-{run",
        names.join(path, "experiment_run"),
        failures,
    )
    _check_experiment_run(spec, path, failures)
    models = spec.get("models")
    if isinstance(models, list):
        for i, model in enumerate(models):
            check_pattern(
                model,
                MODEL,
                "projects/{project}/locations/{location}/models/{model}[@version_or_alias]",
                names.index(names.join(path, "models"), i),
                failures,
            )
    check_pattern(
        spec.get("persistent_resource_id"),
        RESOURCE_ID,
        "a persistent resource id: lowercase letters, digits and '-', starting "
        "with a letter, at most 63 characters",
        names.join(path, "persistent_resource_id"),
        failures,
    )


def _check_experiment_run(spec: dict[str, Any], path: str, failures: list[SpecFailure]) -> None:
    experiment, run = spec.get("experiment"), spec.get("experiment_run")
    if not (isinstance(experiment, str) and isinstance(run, str)):
        return
    e_match, r_match = CONTEXT.match(experiment), CONTEXT.match(run)
    if not (e_match and r_match):
        return
    # experiment_run docstring: contexts/{experiment-name}-{experiment-run-name}.
    if not r_match["context"].startswith(e_match["context"] + "-"):
        failures.append(
            SpecFailure(
                names.join(path, "experiment_run"),
                f"must be a run of the experiment: its context id must start with "
                f"{e_match['context'] + '-'!r}",
                run,
            )
        )


def _check_pool(pool: Any, i: int, path: str, failures: list[SpecFailure]) -> None:
    if not isinstance(pool, dict):
        return
    if is_empty_pool(pool):
        if i == 0:
            failures.append(
                missing(
                    path,
                    "the first worker pool runs the primary replica and must not be "
                    "empty (only pools after the first may be {})",
                )
            )
        return
    count = pool.get("replica_count")
    c_path = names.join(path, "replica_count")
    if i == 0 and isinstance(count, int) and count != 1:
        failures.append(
            SpecFailure(
                c_path,
                "must be 1 for the first worker pool (the primary replica); add workers in pool 1",
                count,
            )
        )
    elif isinstance(count, int) and count < 1:
        failures.append(
            SpecFailure(c_path, "must be 1 or more; to skip this pool write {} in its place", count)
        )
    elif isinstance(count, int) and count > MAX_REPLICA_COUNT:
        failures.append(
            SpecFailure(c_path, f"at most {MAX_REPLICA_COUNT} replicas per worker pool", count)
        )
    check_machine_spec(pool.get("machine_spec"), names.join(path, "machine_spec"), failures)
    container, package = pool.get("container_spec"), pool.get("python_package_spec")
    if container is None and package is None:
        failures.append(
            missing(
                names.join(path, "container_spec"),
                "each non-empty pool needs container_spec or python_package_spec",
            )
        )
    elif container is not None and package is not None:
        failures.append(
            SpecFailure(
                names.join(path, "python_package_spec"),
                "give container_spec or python_package_spec, not both",
                package,
            )
        )
    check_container_spec(container, names.join(path, "container_spec"), failures)
    check_python_package_spec(package, names.join(path, "python_package_spec"), failures)
    check_disk_spec(pool.get("disk_spec"), names.join(path, "disk_spec"), failures)
    check_mounts(pool, path, failures)


def _check_scheduling(sched: Any, path: str, failures: list[SpecFailure]) -> None:
    if not isinstance(sched, dict):
        return
    timeout, strategy = sched.get("timeout"), sched.get("strategy")
    t_path = names.join(path, "timeout")
    seconds = duration_seconds(timeout) if isinstance(timeout, str) else None
    if seconds is not None and seconds <= 0:
        failures.append(SpecFailure(t_path, "must be more than 0 (the default is 7 days)", timeout))
    wait = sched.get("max_wait_duration")
    w_path = names.join(path, "max_wait_duration")
    if isinstance(wait, str):
        if duration_seconds(wait) < 0:
            failures.append(SpecFailure(w_path, "must be 0 (wait indefinitely) or more", wait))
        elif strategy != "FLEX_START" and not is_unknown(strategy):
            failures.append(
                SpecFailure(
                    w_path,
                    "only applies with strategy FLEX_START (got strategy "
                    f"{strategy or 'unset, i.e. STANDARD'}); set "
                    "strategy: FLEX_START or drop it",
                    wait,
                )
            )


def _apply_defaults(job: dict[str, Any]) -> None:
    spec = job.get("job_spec")
    pools = spec.get("worker_pool_specs") if isinstance(spec, dict) else None
    if not isinstance(pools, list):
        return
    for pool in pools:
        if not isinstance(pool, dict) or is_empty_pool(pool):
            continue
        if "replica_count" not in pool:
            pool["replica_count"] = 1
        default_accelerator_count(pool.get("machine_spec"))


def default_accelerator_count(machine_spec: Any) -> None:
    """accelerator_count = 1 when a type is given without a count (as gcloud does)."""
    if (
        isinstance(machine_spec, dict)
        and known(machine_spec.get("accelerator_type"))
        and "accelerator_count" not in machine_spec
    ):
        machine_spec["accelerator_count"] = 1
