"""What property values look like on their way through the engine: secrets
stripped before a dynamic provider sees them and copied back onto what it returns,
unknowns as the sentinel string, numbers as doubles after a gRPC trip.

Secrets, as the Pulumi engine handles them for a dynamic provider: the SDK's
provider host (``python -m pulumi.dynamic``) answers Configure with
``acceptSecrets=False``, so the engine sends every property plain (:func:`plain`)
and, on what Check, Create, Update and Read return, marks secret each property
named like one that held a secret on the way in (:func:`annotate_secrets`). It keeps
the secret bit where it is, at any depth (:func:`from_struct`); the SDK's own
``deserialize_properties`` pushes it up to the top-level property, as a program sees
its resources' outputs.
"""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await

SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key


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


def annotate_secrets(outs: dict[str, Any], ins: dict[str, Any]) -> dict[str, Any]:
    """``outs`` with the secrecy of ``ins`` copied by property name, as the engine does for
    a provider that does not accept secrets (``annotateSecrets`` in the engine's
    provider_plugin.go): where both are objects it walks in; otherwise an output whose
    input held a secret anywhere is marked secret whole (a list too: items may move)."""
    result = dict(outs)
    for key, in_value in ins.items():
        if key not in result or result[key] is None:
            continue
        out_value = result[key]
        if _is_object(out_value) and _is_object(in_value):
            result[key] = annotate_secrets(out_value, in_value)
        elif not rpc.is_rpc_secret(out_value) and has_secret(in_value):
            result[key] = rpc.wrap_rpc_secret(out_value)
    return result


def secret_shown(value: Any) -> Any:
    """The value as the Pulumi CLI shows it: every secret as ``[secret]`` (and a value
    not known until the update as ``[unknown]``)."""
    if rpc.is_rpc_secret(value):
        return "[secret]"
    if isinstance(value, Unknown):
        return "[unknown]"
    if isinstance(value, dict):
        return {k: secret_shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [secret_shown(v) for v in value]
    return value


def to_wire(value: Any) -> Any:
    """``Unknown`` values as the sentinel string the engine sends for them."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def from_struct(struct: Any) -> dict[str, Any]:
    """A ``google.protobuf.Struct`` of properties as the engine reads it: secrets wrapped
    where they are, unknowns as ``Unknown``, null properties dropped."""
    return {k: _from_value(v) for k, v in struct.items() if v is not None}


def _from_value(value: Any) -> Any:
    if value == rpc.UNKNOWN:
        return Unknown()
    if hasattr(value, "fields"):  # a Struct
        if SIG_KEY in value:
            if value[SIG_KEY] == SECRET_SIG:
                return rpc.wrap_rpc_secret(_from_value(value["value"]))
            return rpc.deserialize_property(value, keep_unknowns=True)
        return from_struct(value)
    if hasattr(value, "values") and not isinstance(value, dict):  # a ListValue
        return [_from_value(v) for v in value]
    return value


def round_trip(props: dict[str, Any]) -> dict[str, Any]:
    """What a property bag looks like after a gRPC trip: ints become floats (secret
    wrappers stay where they are)."""
    struct = _sync_await(rpc.serialize_properties(to_wire(props), {}))
    return from_struct(struct)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict) and not rpc.is_rpc_secret(value)
