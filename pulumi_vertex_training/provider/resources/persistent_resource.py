"""``vt.PersistentResource``: the Pulumi resource class users instantiate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic

from pulumi_vertex_training.provider.persistent_resource import (
    OUTPUT_KEYS,
    PersistentResourceProvider,
)
from pulumi_vertex_training.provider.resources.defaults import placement
from pulumi_vertex_training.provider.resources.registration import register
from pulumi_vertex_training.spec import (
    EncryptionSpecArgs,
    PscInterfaceConfigArgs,
    ResourcePoolArgs,
    ResourceRuntimeSpecArgs,
    normalize_resource_id,
    to_plain,
)


class PersistentResource(pulumi.dynamic.Resource, module="vertex", name="PersistentResource"):
    """A Vertex AI PersistentResource: a warm pool of machines that jobs start on in seconds.

    Changing ``resource_pools[].replica_count`` or the autoscaling bounds scales the
    pools in place; changing ``reboot_triggers`` reboots it in place; any other
    change replaces it (the old one is deleted first when the id stays the same).
    It bills for its machines from creation until deletion, jobs or not. Deleting
    it cancels the jobs still running on it.

    Example:
        >>> import pulumi_vertex_training as vt
        >>> pool = vt.PersistentResource(  # doctest: +SKIP
        ...     "warm-pool",
        ...     resource_pools=[vt.ResourcePoolArgs(
        ...         machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
        ...         replica_count=2,
        ...     )],
        ... )
        >>> job = vt.CustomJob("train", job_spec=..., persistent_resource=pool)  # doctest: +SKIP

    Args:
        resource_name: the Pulumi name; ``resource_id`` defaults to it, normalized
            (lowercase letters, digits and '-', e.g. ``Warm_Pool`` -> ``warm-pool``).
        resource_id: the PersistentResource id (last segment of its name).
        display_name: at most 128 characters.
        resource_pools: ``ResourcePoolArgs`` or dicts (snake_case or camelCase); pools
            without ``id`` get ``pool-{index}``.
        project: defaults to ``gcp:project`` config, then ``GOOGLE_CLOUD_PROJECT``.
        location: defaults to ``gcp:region`` config, then ``GOOGLE_CLOUD_REGION``.
        network: ``projects/{project_number}/global/networks/{name}`` (VPC peering);
            jobs on the resource must use the same.
        reserved_ip_ranges: named ranges of the peering, e.g. ``["vertex-ai-range"]``.
        psc_interface_config: Private Service Connect interface instead of peering.
        resource_runtime_spec: e.g. a Ray cluster or a service account spec.
        labels: the resource's labels.
        encryption_spec: ``{"kms_key_name": ...}`` for CMEK; jobs must use the same key.
        reboot_triggers: any change to this list reboots the resource in place.
        opts: Pulumi resource options.
    """

    name: pulumi.Output[str]
    """The full resource name (also the Pulumi id)."""
    state: pulumi.Output[str]
    """``PROVISIONING``, ``RUNNING``, ... as of the last create, update or refresh."""
    error: pulumi.Output[dict[str, Any] | None]
    create_time: pulumi.Output[str]
    start_time: pulumi.Output[str | None]
    update_time: pulumi.Output[str]
    used_replica_counts: pulumi.Output[dict[str, int]]
    """Replicas in use by jobs, by pool id (at the last create, update or refresh)."""
    access_uris: pulumi.Output[dict[str, str]]
    """``resource_runtime.access_uris`` (Ray endpoints; empty otherwise)."""
    console_url: pulumi.Output[str]
    spec: pulumi.Output[dict[str, Any]]
    """The canonical spec (known at preview); ``vt.CustomJob(persistent_resource=)`` uses it."""
    resource_id: pulumi.Output[str]
    resource_pools: pulumi.Output[list[dict[str, Any]]]
    project: pulumi.Output[str]
    location: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        resource_pools: pulumi.Input[Sequence[pulumi.Input[ResourcePoolArgs | Mapping[str, Any]]]],
        resource_id: pulumi.Input[str] | None = None,
        display_name: pulumi.Input[str] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        network: pulumi.Input[str] | None = None,
        reserved_ip_ranges: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        psc_interface_config: pulumi.Input[PscInterfaceConfigArgs | Mapping[str, Any]]
        | None = None,
        resource_runtime_spec: pulumi.Input[ResourceRuntimeSpecArgs | Mapping[str, Any]]
        | None = None,
        labels: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        encryption_spec: pulumi.Input[EncryptionSpecArgs | Mapping[str, Any]] | None = None,
        reboot_triggers: pulumi.Input[Sequence[Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs: dict[str, Any] = {
            **placement(resource_name, project, location, display_name),
            "resource_id": (
                resource_id if resource_id is not None else normalize_resource_id(resource_name)
            ),
            "resource_pools": to_plain(resource_pools),
            "network": network,
            "reserved_ip_ranges": reserved_ip_ranges,
            "psc_interface_config": to_plain(psc_interface_config),
            "resource_runtime_spec": to_plain(resource_runtime_spec),
            "labels": labels,
            "encryption_spec": to_plain(encryption_spec),
            "reboot_triggers": reboot_triggers,
            "spec": None,
        }
        register(self, PersistentResourceProvider(), resource_name, inputs, OUTPUT_KEYS, opts)
