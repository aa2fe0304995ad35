"""PersistentResourceProvider: a Vertex AI PersistentResource as a Pulumi dynamic resource.

The id is client-chosen
(``resource_id``); create, update, reboot and delete are long-running operations,
each waited for. ``resource_pools[].replica_count`` and the autoscaling bounds
update in place (UpdatePersistentResource); a change to ``reboot_triggers`` reboots
in place; any other change replaces the resource, deleting the old one first when
its name stays the same (two resources cannot share a name). It bills while it
exists: check() says so when it is about to be created.

The ``spec`` output is the canonical spec, computed by check(), so it is known at
preview: ``vt.CustomJob(..., persistent_resource=pr)`` passes it to the job's
check(), which reports a job that cannot run on the resource.

This module path is public API: Pulumi state refers to
``pulumi_vertex_training.provider.persistent_resource.PersistentResourceProvider``.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import progress, retries
from pulumi_vertex_training.provider.persistent_resource_api import (
    OPERATION_TIMEOUT,
    PersistentResourceError,
    create_or_adopt,
    get_resource,
    resource_outputs,
    wait_for_change,
)
from pulumi_vertex_training.provider.regional import RegionalProvider
from pulumi_vertex_training.provider.values import (
    Path,
    changed_paths,
    check_failures,
    from_spec,
    mark_secrets,
    reveal,
    same_value,
    secrets_at,
    to_spec,
    unchanged,
    under_secret,
)
from pulumi_vertex_training.spec import (
    SpecFailure,
    normalize_persistent_resource,
    persistent_resource_to_proto,
)
from pulumi_vertex_training.spec.failures import SECRET
from pulumi_vertex_training.spec.persistent_resource import RESOURCE_FIELDS as SPEC_RESOURCE_FIELDS
from pulumi_vertex_training.spec.resource_names import location_of, parent_of

RESOURCE_FIELDS = ("resource_id", *SPEC_RESOURCE_FIELDS)
REPLACE_KEYS = ("project", "location", *(k for k in RESOURCE_FIELDS if k != "resource_pools"))
OUTPUT_KEYS = (
    "name",
    "state",
    "error",
    "create_time",
    "start_time",
    "update_time",
    "used_replica_counts",
    "access_uris",
    "console_url",
)
COUNT_PATHS = {
    "replica_count": "resource_pools.replica_count",
    "min_replica_count": "resource_pools.autoscaling_spec.min_replica_count",
    "max_replica_count": "resource_pools.autoscaling_spec.max_replica_count",
}


class PersistentResourceProvider(RegionalProvider):
    """Dynamic provider for ``vt.PersistentResource``. Holds no clients or credentials."""

    # -- check / diff ----------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate everything at once; return the normalized inputs and ``spec``.

        Failures show no value that was secret on input; the result keeps those secret,
        in ``spec`` too (a job's check() reads it).
        """
        news, secret_paths = reveal(news)
        values = to_spec(news)
        failures: list[SpecFailure] = []
        inputs = dict(news)
        self.check_place(values, inputs, failures)
        location = inputs["location"] if isinstance(inputs["location"], str) else None
        normalized = normalize_persistent_resource(
            {k: values.get(k) for k in RESOURCE_FIELDS}, location=location
        )
        failures.extend(normalized.failures)
        for warning in normalized.warnings:  # what Vertex AI may refuse: shown, not blocking
            progress.warn(str(warning))
        for key in RESOURCE_FIELDS:
            inputs[key] = from_spec(normalized.value.get(key))
        inputs["spec"] = mark_secrets(from_spec(normalized.value), secret_paths)
        if not olds and not failures:
            progress.warn(
                f"persistent resource {_shown_id(normalized.value, secret_paths)} bills for "
                f"every machine in its pools ({_describe_pools(normalized.value, secret_paths)}) "
                "from creation until it is deleted, whether jobs run on it or not"
            )
        return CheckResult(
            mark_secrets(inputs, secret_paths),
            check_failures(failures, secrets_at(news, secret_paths)),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replica counts and reboot_triggers change in place; anything else replaces."""
        replaces = [k for k in REPLACE_KEYS if not unchanged(olds.get(k), news.get(k))]
        old_pools, new_pools = olds.get("resource_pools"), news.get("resource_pools")
        if not unchanged(_without_counts(old_pools), _without_counts(new_pools)):
            replaces.append("resource_pools")
        scaled = bool(count_changes(old_pools, new_pools)) and "resource_pools" not in replaces
        reboot = not unchanged(olds.get("reboot_triggers"), news.get("reboot_triggers"))
        if replaces:
            secret_paths = reveal(news)[1]
            paths: list[str] = []
            for key in replaces:
                paths.extend(changed_paths(olds.get(key), news.get(key), key, secret_paths, (key,)))
            progress.info(f"replacing the persistent resource: changed {', '.join(paths)}")
        same_name = all(
            same_value(olds.get(k), news.get(k)) for k in ("project", "location", "resource_id")
        )
        return DiffResult(
            changes=bool(replaces or scaled or reboot),
            replaces=replaces,
            delete_before_replace=same_name,
        )

    # -- create / read / update / delete ---------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create (or adopt one with the same spec), then wait until RUNNING."""
        parent = parent_of(props["project"], props["location"])
        rid = str(props["resource_id"])
        name = f"{parent}/persistentResources/{rid}"
        canonical = _canonical(props)
        live = create_or_adopt(parent, rid, canonical)
        progress.info(f"{name}: {live.state.name}; console: {client.console_url(name)}")
        return CreateResult(name, {**props, **resource_outputs(live)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live resource; its replica counts come from Vertex, so drift shows as a diff."""
        live = get_resource(id_)
        if live is None:
            return ReadResult(None, {})
        pools = props.get("resource_pools")
        if isinstance(pools, list):
            counts = {p.id: p for p in live.resource_pools}
            pools = [_with_live_counts(p, counts.get(p.get("id"))) for p in pools]
        return ReadResult(id_, {**props, "resource_pools": pools, **resource_outputs(live)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Scale pools (UpdatePersistentResource) and/or reboot, each waited for."""
        paths = count_changes(olds.get("resource_pools"), news.get("resource_pools"))
        prs = client.persistent_resource_client(location_of(id_))
        with retries.explained(id_):
            if paths:
                resource = persistent_resource_to_proto(_canonical(news))
                resource.name = id_
                progress.info(f"{id_}: updating {', '.join(paths)}")
                operation = prs.update_persistent_resource(
                    persistent_resource=resource,
                    update_mask={"paths": sorted(paths)},
                    retry=retries.transient_retry(),
                )
                wait_for_change(operation, id_)
            if not unchanged(olds.get("reboot_triggers"), news.get("reboot_triggers")):
                progress.info(f"{id_}: rebooting (reboot_triggers changed)")
                reboot = prs.reboot_persistent_resource(name=id_, retry=retries.transient_retry())
                wait_for_change(reboot, id_)
        live = get_resource(id_)
        if live is None:
            raise PersistentResourceError(f"{id_} was deleted while it was being updated")
        return UpdateResult({**news, **resource_outputs(live)})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Delete and wait (Vertex cancels the jobs on it first); NOT_FOUND is success."""
        from google.api_core import exceptions

        prs = client.persistent_resource_client(location_of(id_))
        try:
            with retries.explained(id_):
                operation = prs.delete_persistent_resource(
                    name=id_, retry=retries.transient_retry()
                )
                progress.info(f"{id_}: deleting (jobs still on it are cancelled first)")
                client.wait_for_operation(operation, OPERATION_TIMEOUT)
        except exceptions.NotFound:
            return


def count_changes(old_pools: Any, new_pools: Any) -> set[str]:
    """update_mask paths for the replica counts that differ between two pool lists."""
    if not isinstance(old_pools, list) or not isinstance(new_pools, list):
        return set()
    paths: set[str] = set()
    for old, new in zip(old_pools, new_pools, strict=False):
        if not isinstance(old, dict) or not isinstance(new, dict):
            continue
        pairs = [("replica_count", old.get("replica_count"), new.get("replica_count"))]
        old_scaling = old.get("autoscaling_spec") or {}
        new_scaling = new.get("autoscaling_spec") or {}
        for bound in ("min_replica_count", "max_replica_count"):
            pairs.append((bound, old_scaling.get(bound), new_scaling.get(bound)))
        paths.update(COUNT_PATHS[k] for k, a, b in pairs if not unchanged(a, b))
    return paths


def _without_counts(pools: Any) -> Any:
    if not isinstance(pools, list):
        return pools
    out = []
    for pool in pools:
        if isinstance(pool, dict):
            pool = {k: v for k, v in pool.items() if k != "replica_count"}
            scaling = pool.get("autoscaling_spec")
            if isinstance(scaling, dict):
                rest = {k: v for k, v in scaling.items() if k not in COUNT_PATHS}
                # Having autoscaling or not is not a count: adding or dropping it replaces.
                pool["autoscaling_spec"] = {**rest, "(present)": True}
        out.append(pool)
    return out


def _with_live_counts(pool: Any, live: Any) -> Any:
    if not isinstance(pool, dict) or live is None:
        return pool
    pool = {**pool, "replica_count": int(live.replica_count)}
    if isinstance(pool.get("autoscaling_spec"), dict) and "autoscaling_spec" in live:
        pool["autoscaling_spec"] = {
            **pool["autoscaling_spec"],
            "min_replica_count": int(live.autoscaling_spec.min_replica_count),
            "max_replica_count": int(live.autoscaling_spec.max_replica_count),
        }
    return pool


def _canonical(props: dict[str, Any]) -> dict[str, Any]:
    normalized = normalize_persistent_resource({k: props.get(k) for k in RESOURCE_FIELDS})
    if normalized.failures:  # check() ran first; only a bug gets here (paths only: no values)
        paths = ", ".join(f.path for f in normalized.failures)
        raise ValueError(f"invalid resource fields: {paths}")
    return normalized.value


def _shown_id(canonical: dict[str, Any], secret_paths: list[Path]) -> str:
    if under_secret(secret_paths, "resource_id"):
        return SECRET
    return repr(canonical.get("resource_id"))


def _describe_pools(canonical: dict[str, Any], secret_paths: list[Path]) -> str:
    if under_secret(secret_paths, "resource_pools"):
        return SECRET
    pools = canonical.get("resource_pools")
    if not isinstance(pools, list):
        return "unknown yet"
    parts = []
    for pool in pools:
        machine = pool.get("machine_spec") if isinstance(pool, dict) else None
        kind = machine.get("machine_type") if isinstance(machine, dict) else "?"
        parts.append(f"{pool.get('replica_count', '?')} x {kind}")
    return ", ".join(parts)
