"""``training_task_inputs`` of the custom task: a ``google.protobuf.Value`` -> a CustomJobSpec.

The console and the Vertex SDK send the CustomJobSpec as a Struct built from a Python
dict (captured from the SDK; see COVERAGE.md), so it is not the message's JSON form:

* keys mix the proto names and the JSON (lowerCamel) names, even within one object
  (``worker_pool_specs`` / ``containerSpec`` / ``imageUri``);
* every number is a double (``replica_count: 1.0``, ``boot_disk_size_gb: 100.0``);
* ``args`` may hold numbers (the SDK types them ``Union[str, float, int]``):
  ``["--x", 1.0]``, which ``json_format.ParseDict`` refuses.

:func:`to_custom_job_spec` walks the Struct along the CustomJobSpec descriptor: each key
is resolved by its proto or JSON name, whole doubles become integers where the field is
an integer or enum, numbers become strings where the field is a string (``1.0`` ->
``"1"``, ``0.5`` -> ``"0.5"``: what Vertex makes of them is not documented; integral
values without ``.0`` is our choice), a number of seconds is accepted for a Duration.
Anything else that does not fit (unknown keys, a list for an object, ``2.5`` replicas)
is an error naming its path under ``training_pipeline.training_task_inputs``.
"""

from __future__ import annotations

from typing import Any

from google.cloud.aiplatform_v1 import CustomJobSpec
from google.protobuf import descriptor, json_format, struct_pb2

from pulumi_vertex_training.emulator.exceptions import Violation

_FD = descriptor.FieldDescriptor
FieldDescriptor = Any  # protobuf's descriptor types are not usable as annotations
_INTEGERS = {
    _FD.TYPE_INT32, _FD.TYPE_INT64, _FD.TYPE_UINT32, _FD.TYPE_UINT64, _FD.TYPE_SINT32,
    _FD.TYPE_SINT64, _FD.TYPE_FIXED32, _FD.TYPE_FIXED64, _FD.TYPE_SFIXED32, _FD.TYPE_SFIXED64,
}  # fmt: skip
_FLOATS = {_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT}
_PASS_THROUGH = {"google.protobuf.Timestamp", "google.protobuf.FieldMask"}


def to_custom_job_spec(value: struct_pb2.Value, field: str) -> tuple[Any, list[Violation]]:
    """``(CustomJobSpec protobuf, errors)`` from a ``training_task_inputs`` Value.

    ``field`` is the path errors start with. The spec is empty when there are errors.
    """
    errors: list[Violation] = []
    spec = CustomJobSpec.pb()()
    if value.WhichOneof("kind") != "struct_value":
        kind = value.WhichOneof("kind") or "nothing"
        errors.append((field, f"{field} must be an object (the CustomJobSpec), not {kind}"))
        return spec, errors
    data = json_format.MessageToDict(value.struct_value)
    normalized = _message(data, spec.DESCRIPTOR, field, errors)
    if errors:
        return spec, errors
    try:
        json_format.ParseDict(normalized, spec)
    except json_format.ParseError as err:
        errors.append((field, f"{field}: {err}"))
    return spec, errors


def _message(data: Any, desc: descriptor.Descriptor, path: str, errors: list[Violation]) -> Any:
    if not isinstance(data, dict):
        errors.append((path, f"{path} must be an object ({desc.name}), not {_kind(data)}"))
        return {}
    fields = {**{f.json_name: f for f in desc.fields}, **{f.name: f for f in desc.fields}}
    out: dict[str, Any] = {}
    for key, item in data.items():
        fd = fields.get(key)
        if fd is None:
            known = ", ".join(sorted(f.name for f in desc.fields))
            errors.append(
                (f"{path}.{key}", f"{path}.{key}: unknown field of {desc.name} (known: {known})")
            )
            continue
        where = f"{path}.{fd.name}"
        if fd.name in out:
            errors.append((where, f"{where} is given twice (as {fd.name} and {fd.json_name})"))
            continue
        if item is None:
            continue
        if _is_map(fd):
            out[fd.name] = _map(item, fd, where, errors)
        elif fd.label == _FD.LABEL_REPEATED:
            if not isinstance(item, list):
                errors.append((where, f"{where} must be a list, not {_kind(item)}"))
                continue
            out[fd.name] = [_single(x, fd, f"{where}[{i}]", errors) for i, x in enumerate(item)]
        else:
            out[fd.name] = _single(item, fd, where, errors)
    return out


def _is_map(fd: FieldDescriptor) -> bool:
    return fd.type == _FD.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry


def _map(item: Any, fd: FieldDescriptor, path: str, errors: list[Violation]) -> Any:
    if not isinstance(item, dict):
        errors.append((path, f"{path} must be an object (a map), not {_kind(item)}"))
        return {}
    value_fd = fd.message_type.fields_by_name["value"]
    return {k: _single(v, value_fd, f"{path}[{k!r}]", errors) for k, v in item.items()}


def _single(item: Any, fd: FieldDescriptor, path: str, errors: list[Violation]) -> Any:
    kind = fd.type
    if kind == _FD.TYPE_MESSAGE:
        full = fd.message_type.full_name
        if full == "google.protobuf.Duration" and _is_number(item):
            seconds = float(item)
            return f"{int(seconds)}s" if seconds.is_integer() else f"{seconds!r}s"
        if full in _PASS_THROUGH or full == "google.protobuf.Duration":
            return item
        return _message(item, fd.message_type, path, errors)
    if kind == _FD.TYPE_STRING:
        if isinstance(item, str):
            return item
        if _is_number(item):
            return str(int(item)) if float(item).is_integer() else repr(float(item))
        errors.append((path, f"{path} must be a string, not {_kind(item)}"))
        return ""
    if kind in _INTEGERS or kind == _FD.TYPE_ENUM:
        if _is_number(item):
            if float(item).is_integer():
                return int(item)
            errors.append((path, f"{path}: {item!r} must be a whole number"))
            return 0
        if isinstance(item, str):
            return item  # int64 as a JSON string, or an enum name: ParseDict judges it
        errors.append((path, f"{path} must be a number, not {_kind(item)}"))
        return 0
    if kind == _FD.TYPE_BOOL:
        if isinstance(item, bool):
            return item
        errors.append((path, f"{path} must be true or false, not {_kind(item)}"))
        return False
    if kind in _FLOATS and (_is_number(item) or isinstance(item, str)):
        return item
    errors.append((path, f"{path}: {item!r} is not a valid {fd.name}"))
    return None


def _is_number(item: Any) -> bool:
    return isinstance(item, (int, float)) and not isinstance(item, bool)


def _kind(item: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(item), "a number" if _is_number(item) else type(item).__name__
    )
