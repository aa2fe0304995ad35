"""Field-name mapping: proto snake_case names, REST lowerCamelCase aliases, suggestions.

Users may paste the REST request JSON from the Vertex docs or a gcloud ``config.yaml``
(lowerCamelCase keys) as well as write the proto field names (snake_case); both map to
the one canonical snake_case name. An unknown key is reported with the closest known name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(name: str) -> str:
    """``workerPoolSpecs`` -> ``worker_pool_specs``; snake_case names pass through."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def camel_case(name: str) -> str:
    """``worker_pool_specs`` -> ``workerPoolSpecs`` (the REST/JSON spelling)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def resolve_key(key: str, known: Iterable[str]) -> str | None:
    """The canonical field name ``key`` stands for, or None when it names no field.

    Only exact snake_case names and their exact REST camelCase spellings match: a key
    like ``Worker_Pool_Specs`` is not silently accepted, it gets a suggestion instead.
    """
    names = set(known)
    if key in names:
        return key
    converted = snake_case(key)
    if converted in names and camel_case(converted) == key:
        return converted
    return None


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most similar to ``word`` (difflib), or None when nothing is close."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    if not hits:
        hits = difflib.get_close_matches(snake_case(word), list(lowered), n=1, cutoff=0.6)
    return lowered[hits[0]] if hits else None


def join(path: str, name: str) -> str:
    """Append a field name to a path: ``job_spec`` + ``scheduling`` -> ``job_spec.scheduling``."""
    return f"{path}.{name}" if path else name


def index(path: str, i: int) -> str:
    """Append a list index to a path: ``worker_pool_specs`` + 1 -> ``worker_pool_specs[1]``."""
    return f"{path}[{i}]"


def key_path(path: str, key: str) -> str:
    """Append a map key to a path: ``labels`` + ``team`` -> ``labels["team"]``."""
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'
