"""What property values look like on their way through the engine: secrets
stripped before a dynamic provider sees them, unknowns as the sentinel string,
numbers as doubles after a gRPC trip."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await


def plain(value: Any) -> Any:
    """Strip secret wrappers, as the engine does before calling a dynamic provider."""
    if rpc.is_rpc_secret(value):
        return plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def has_secret(value: Any) -> bool:
    """True when the value is, or holds, a secret."""
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(has_secret(v) for v in value)
    return False


def to_wire(value: Any) -> Any:
    """``Unknown`` values as the sentinel string the engine sends for them."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def round_trip(props: dict[str, Any]) -> dict[str, Any]:
    """What a property bag looks like after a gRPC trip: ints become floats."""
    struct = _sync_await(rpc.serialize_properties(to_wire(props), {}))
    return dict(rpc.deserialize_properties(struct, True))
