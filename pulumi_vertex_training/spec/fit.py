"""Whether a CustomJob can run on a PersistentResource, checked at preview.

Vertex rejects (or queues forever) a job whose pools match no resource pool, or whose
network or CMEK differs from the resource's (CustomJobSpec.persistent_resource_id
docstring); ``job_fits_resource`` reports those against the job's own field paths.
"""

from __future__ import annotations

from typing import Any

from . import names
from .custom_job import is_empty_pool
from .failures import SpecFailure, is_unknown


def _capacity(pool: dict[str, Any]) -> Any:
    scaling = pool.get("autoscaling_spec")
    if isinstance(scaling, dict) and "max_replica_count" in scaling:
        return scaling["max_replica_count"]
    return pool.get("replica_count", 1)


def _machine_key(spec: Any) -> Any:
    if not isinstance(spec, dict):
        return None
    key = (spec.get("machine_type"), spec.get("accelerator_type"), spec.get("accelerator_count", 0))
    return None if any(is_unknown(k) for k in key) else key


def _describe(key: tuple[Any, Any, Any]) -> str:
    machine, accel, count = key
    return f"{machine} + {count} x {accel}" if accel else str(machine)


def with_resource_id(job_spec: Any, resource: Any) -> Any:
    """``job_spec`` naming the persistent resource (its ``NormalizedResource.value``)
    in ``persistent_resource_id`` when it names none yet.

    >>> with_resource_id({"worker_pool_specs": []}, {"resource_id": "warm"})
    {'worker_pool_specs': [], 'persistent_resource_id': 'warm'}
    """
    if not isinstance(job_spec, dict) or not isinstance(resource, dict):
        return job_spec
    if job_spec.get("persistent_resource_id") or job_spec.get("persistentResourceId"):
        return job_spec
    return {**job_spec, "persistent_resource_id": resource.get("resource_id")}


def job_fits_resource(job: dict[str, Any], resource: Any) -> list[SpecFailure]:
    """What keeps a job (``NormalizedJob.value``) from running on a persistent resource
    (``NormalizedResource.value``; anything else, e.g. None, is no resource), pathed at
    the job's fields.

    The job must name the resource in ``job_spec.persistent_resource_id``. Every
    non-empty worker pool needs a resource pool with the same machine_type,
    accelerator_type and accelerator_count, and enough replicas there (replica_count,
    or max_replica_count with autoscaling), counting all job pools placed on it; the
    job's network and CMEK key must equal the resource's. Unknown values skip only the
    comparisons that need them.
    """
    failures: list[SpecFailure] = []
    if not isinstance(resource, dict):
        return failures
    spec = job.get("job_spec")
    pools = resource.get("resource_pools")
    if not isinstance(spec, dict):
        return failures
    rid = resource.get("resource_id", "?")
    named = spec.get("persistent_resource_id")
    if not is_unknown(named) and not is_unknown(rid) and named != rid:
        failures.append(
            SpecFailure(
                "job_spec.persistent_resource_id",
                f"must be {rid!r}, the id of the persistent_resource given",
                named,
            )
        )
    for name, job_value, res_value, path in (
        ("network", spec.get("network"), resource.get("network"), "job_spec.network"),
        ("CMEK key", _kms(job), _kms(resource), "encryption_spec.kms_key_name"),
    ):
        if is_unknown(job_value) or is_unknown(res_value) or job_value == res_value:
            continue
        failures.append(
            SpecFailure(
                path,
                f"must equal the {name} of persistent resource {rid!r} ({res_value or 'none'})",
                job_value,
            )
        )
    job_pools = spec.get("worker_pool_specs")
    if not isinstance(job_pools, list) or not isinstance(pools, list):
        return failures
    offered = [(p, _machine_key(p.get("machine_spec"))) for p in pools if isinstance(p, dict)]
    if any(key is None for _, key in offered):
        return failures  # a resource machine spec is unknown: nothing to compare against
    used: dict[int, int] = {}
    for i, pool in enumerate(job_pools):
        if not isinstance(pool, dict) or is_empty_pool(pool):
            continue
        path = names.index("job_spec.worker_pool_specs", i)
        key = _machine_key(pool.get("machine_spec"))
        if key is None:
            continue
        matches = [(n, p) for n, (p, k) in enumerate(offered) if k == key]
        if not matches:
            have = "; ".join(f"{p.get('id')}: {_describe(k)}" for p, k in offered)
            failures.append(
                SpecFailure(
                    names.join(path, "machine_spec"),
                    f"no pool of persistent resource {rid!r} has "
                    f"{_describe(key)}; its pools: {have}",
                    pool.get("machine_spec"),
                )
            )
            continue
        want = pool.get("replica_count", 1)
        if not isinstance(want, int) or any(not isinstance(_capacity(p), int) for _, p in matches):
            continue
        # Place on the matching pool with the most room left.
        n, target = max(matches, key=lambda m: _capacity(m[1]) - used.get(m[0], 0))
        room = _capacity(target) - used.get(n, 0)
        if want > room:
            failures.append(
                SpecFailure(
                    names.join(path, "replica_count"),
                    f"needs {want} replicas but pool {target.get('id')!r} "
                    f"of persistent resource {rid!r} has room for {room} "
                    f"(of {_capacity(target)})",
                    want,
                )
            )
        used[n] = used.get(n, 0) + want
    return failures


def _kms(obj: dict[str, Any]) -> Any:
    spec = obj.get("encryption_spec")
    if is_unknown(spec):
        return spec
    return spec.get("kms_key_name") if isinstance(spec, dict) else None
