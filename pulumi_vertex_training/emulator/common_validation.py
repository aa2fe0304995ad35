"""Validation rules every service shares, as Vertex AI applies them.

Resource and operation names, labels, display names, machine specs (machine
type form, accelerator type and count given together), VPC network and CMEK key forms: a CustomJob's
worker pools and a PersistentResource's resource pools are checked by the same
rules, so both rooms (``custom_jobs/validation.py``,
``persistent_resources/validation.py``) call these. Each check names the field
path, the value and what is allowed; the ``check_*(..., errors)`` ones append to
``errors`` so a request's violations are reported at once. What the machine catalog
allows (types, accelerators and counts, TPUs, boot disks) is in ``machines.py``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from google.cloud.aiplatform_v1 import AcceleratorType

from pulumi_vertex_training.emulator.exceptions import InvalidArgument, Violation

# Resource name segments, strictly: a project id (domain-scoped ones have '.' and ':') or
# number, a location id. No '/', no '..', no whitespace or control characters.
PROJECT_SEGMENT = r"[a-z0-9](?:[a-z0-9.:-]{0,126}[a-z0-9])?"
LOCATION_SEGMENT = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
PARENT_PATTERN = (
    rf"projects/(?P<project>{PROJECT_SEGMENT})/locations/(?P<location>{LOCATION_SEGMENT})"
)
PARENT_RE = re.compile(PARENT_PATTERN)
WILDCARD_PARENT_RE = re.compile(
    rf"projects/(?P<project>-|{PROJECT_SEGMENT})/locations/(?P<location>-|{LOCATION_SEGMENT})"
)
OPERATION_NAME_RE = re.compile(
    rf"{PARENT_PATTERN}(?:/[a-zA-Z]+/[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?)*"
    r"/operations/[A-Za-z0-9_-]{1,128}"
)
"""``{parent}[/{collection}/{id}...]/operations/{id}``; matched with ``fullmatch``."""
# family-series[-size]: n1-standard-4, a2-highgpu-1g, e2-micro, ct5lp-hightpu-4t, cloud-tpu.
MACHINE_TYPE_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
NETWORK_RE = re.compile(r"^projects/[0-9]+/global/networks/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
KMS_KEY_RE = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")

MAX_DISPLAY_NAME = 128
MAX_LABELS = 64
# Keys and values "must be less than 64 characters in length, and must be less that 128
# bytes in length when encoded in UTF-8" (Vertex AI's INVALID_ARGUMENT; COVERAGE.md, Labels).
MAX_LABEL_LENGTH = 63
MAX_LABEL_BYTES = 127
_ACCELERATORS: dict[str, int] = {k: int(v) for k, v in AcceleratorType.__members__.items()}
_ACCELERATOR_VALUES = set(_ACCELERATORS.values())


def parse_parent(parent: str, field: str = "parent", *, wildcard: bool = False) -> tuple[str, str]:
    """``(project, location)`` of ``projects/{p}/locations/{l}``; INVALID_ARGUMENT otherwise.

    Strict: ``projects/../locations/x``, a trailing newline or any control character,
    space or ``/`` in a segment are refused (the name becomes a stored job's name).
    ``wildcard`` allows ``-`` as project or location (the emulator's list-all extension).
    """
    m = (WILDCARD_PARENT_RE if wildcard else PARENT_RE).fullmatch(parent)
    if not m:
        raise InvalidArgument.of(
            field,
            f"{parent!r} is not a valid parent; expected projects/{{project}}"
            "/locations/{location} (lowercase letters, digits and '-', '.', ':')",
        )
    return m["project"], m["location"]


def check_operation_name(name: str, field: str = "name") -> None:
    """INVALID_ARGUMENT unless ``name`` is ``projects/../{resource}/operations/{id}``."""
    if not OPERATION_NAME_RE.fullmatch(name):
        raise InvalidArgument.of(
            field,
            f"{name!r} is not a valid operation name; expected "
            "projects/{project}/locations/{location}/.../operations/{id}",
        )


def check_accelerator(machine: Any, f: str, errors: list[Violation]) -> None:
    """A MachineSpec's accelerator_type and accelerator_count: both set or neither."""
    m = machine
    kind, count = m.accelerator_type, m.accelerator_count
    if kind not in _ACCELERATOR_VALUES:
        errors.append(
            (
                f"{f}.accelerator_type",
                f"{kind} is not a known AcceleratorType "
                f"(known: {', '.join(k for k, v in _ACCELERATORS.items() if v)})",
            )
        )
        return
    if count < 0:
        errors.append((f"{f}.accelerator_count", f"{count} must not be negative"))
    elif count > 0 and kind == AcceleratorType.ACCELERATOR_TYPE_UNSPECIFIED:
        errors.append(
            (
                f"{f}.accelerator_count",
                f"{f}.accelerator_count is {count} but accelerator_type is not set; "
                "set both or neither",
            )
        )
    elif count == 0 and kind != AcceleratorType.ACCELERATOR_TYPE_UNSPECIFIED:
        errors.append(
            (
                f"{f}.accelerator_count",
                f"{f}.accelerator_count is 0 but accelerator_type is {AcceleratorType(kind).name}; "
                "set a count >= 1 or leave the type unset",
            )
        )


def check_display_name(name: str, f: str, errors: list[Violation], *, required: bool) -> None:
    """At most MAX_DISPLAY_NAME characters, none of them a control character (Unicode
    category Cc: tabs, newlines, escapes, NUL, DEL); ``required``: not blank either."""
    if required and not name.strip():
        errors.append((f, f"{f} is required"))
        return
    if len(name) > MAX_DISPLAY_NAME:
        errors.append((f, f"{f} is {len(name)} characters; at most {MAX_DISPLAY_NAME} are allowed"))
    bad = next((i for i, c in enumerate(name) if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        errors.append(
            (
                f,
                f"{name!r} contains the control character {name[bad]!r} at position {bad}; "
                "a display name is printable text",
            )
        )


def _is_label_char(c: str) -> bool:
    # Lowercase or caseless letters (international ones too), numbers, '_' and '-'.
    kind = unicodedata.category(c)
    return c in "_-" or kind in ("Ll", "Lo", "Lm") or kind.startswith("N")


def _too_long(text: str, what: str, where: str, errors: list[Violation]) -> bool:
    size = len(text.encode("utf-8"))
    if len(text) > MAX_LABEL_LENGTH:
        errors.append((where, f"the {what} is longer than {MAX_LABEL_LENGTH} characters"))
    elif size > MAX_LABEL_BYTES:
        errors.append((where, f"the {what} is {size} bytes in UTF-8; it must be less than 128"))
    else:
        return False
    return True


def check_labels(labels: dict[str, str], f: str, errors: list[Violation]) -> None:
    """Vertex AI's label rules: at most 64; keys and values of lowercase letters,
    numbers, '_' and '-', under 64 characters and 128 bytes; keys start with a letter
    or a number."""
    if len(labels) > MAX_LABELS:
        errors.append((f, f"{f} has {len(labels)} labels; at most {MAX_LABELS} are allowed"))
    rule = "lowercase letters, digits, '_' and '-' only"
    for key, value in sorted(labels.items()):
        where = f"{f}[{key!r}]"
        if not key:
            errors.append((f, "a label key must not be empty"))
            continue
        if _too_long(key, "key", where, errors):
            pass
        elif key[0] in "_-" or not _is_label_char(key[0]):
            errors.append((where, "a label key must start with a lowercase letter or a number"))
        elif not all(_is_label_char(c) for c in key):
            errors.append((where, f"the key may contain {rule}"))
        if not _too_long(value, "value", where, errors) and not all(
            _is_label_char(c) for c in value
        ):
            errors.append((where, f"the value {value!r} may contain {rule}"))
