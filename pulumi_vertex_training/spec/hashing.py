"""The canonical spec hash: what the provider labels a job with to find it again."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .failures import is_unknown

#: 32 hex chars: a valid label value (<= 63 chars of [a-z0-9]), 128 bits of sha256.
HASH_LENGTH = 32


def has_unknowns(value: Any) -> bool:
    """True when UNKNOWN appears anywhere in ``value`` (dicts and lists are walked)."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(has_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknowns(v) for v in value)
    return False


def canonical_json(canonical: dict[str, Any]) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is: the bytes the hash is taken over."""
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(canonical: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a normalized spec, as 32 lowercase hex chars.

    Pass ``NormalizedJob.value`` (the user's fields, before the provider adds its own
    labels): equivalent inputs (camelCase or snake_case, "2h" or 7200, any key order)
    normalize to the same dict and so hash the same.

    Raises:
        ValueError: the spec still holds UNKNOWN values (hash only at create time).
    """
    if has_unknowns(canonical):
        raise ValueError("spec_hash needs a fully known spec; it still has unknown values")
    digest = hashlib.sha256(canonical_json(canonical).encode("utf-8")).hexdigest()
    return digest[:HASH_LENGTH]
