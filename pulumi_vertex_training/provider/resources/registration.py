"""How a resource class hands its props to its provider, and how ``.get()`` reads one.

Every class registers its outputs unknown (None) beside its inputs and names the
inputs that were secret (the engine strips secrets before ``check()`` sees them);
``.get()`` registers every input and output as None with the id to read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import pulumi
import pulumi.dynamic

from pulumi_vertex_training.provider.job_provider import JobProvider
from pulumi_vertex_training.provider.values import SECRETS_KEY, secret_paths

R = TypeVar("R", bound=pulumi.dynamic.Resource)


def register(
    resource: pulumi.dynamic.Resource,
    provider: pulumi.dynamic.ResourceProvider,
    resource_name: str,
    inputs: dict[str, Any],
    output_keys: Iterable[str],
    opts: pulumi.ResourceOptions | None,
) -> None:
    """Register ``resource`` with ``inputs``, the outputs that are not inputs too
    unknown until create, and the paths of the inputs that were secret."""
    props = {**inputs, **{key: None for key in output_keys if key not in inputs}}
    # The engine strips secrets before check() sees them: tell it which were secret.
    props[SECRETS_KEY] = secret_paths(props)
    pulumi.dynamic.Resource.__init__(resource, provider, resource_name, props, opts)


def read_existing(
    cls: type[R],
    provider: pulumi.dynamic.ResourceProvider,
    resource_name: str,
    id: pulumi.Input[str],
    keys: Iterable[str],
    opts: pulumi.ResourceOptions | None,
) -> R:
    """A ``cls`` read from the live resource ``id`` (``.get()``): every key in ``keys``
    (its inputs and outputs) is None, filled in by the provider's read."""
    resource = cls.__new__(cls)
    pulumi.dynamic.Resource.__init__(
        resource,
        provider,
        resource_name,
        dict.fromkeys(keys),
        pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)),
    )
    return resource


def job_keys(provider: type[JobProvider]) -> tuple[str, ...]:
    """Every input and output of a job resource, as its provider names them."""
    return (
        "project",
        "location",
        *provider.fields,
        *provider.lifecycle_keys,
        "triggers",
        "resource_key",
        *provider.output_keys,
    )
