"""Validation failures, the marker for values not known yet at preview, and the values a
failure must not show because they were secret on input."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class _Unknown:
    """A value Pulumi does not know yet (preview); checks that need it are skipped."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""The single unknown marker. Providers map ``pulumi.output.Unknown`` to it before
calling spec/ and back afterwards, so spec/ never imports the Pulumi runtime."""


def is_unknown(value: Any) -> bool:
    """True when ``value`` is the unknown marker."""
    return value is UNKNOWN


@dataclass(frozen=True)
class SpecFailure:
    """One problem with one field: where it is, what was given, and what is allowed.

    ``path`` uses the proto field names, e.g.
    ``job_spec.worker_pool_specs[1].machine_spec.accelerator_count``.
    """

    path: str
    reason: str
    value: Any = None
    has_value: bool = True
    secret: bool = False
    """The value was secret on input: shown as ``[secret]`` (see :class:`Secrets`)."""

    @property
    def message(self) -> str:
        """``reason`` with the offending value, as shown by ``pulumi preview``."""
        if not self.has_value:
            return self.reason
        return f"{self.reason} (got {SECRET if self.secret else _show(self.value)})"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def missing(path: str, reason: str) -> SpecFailure:
    """A failure for a required field that was not given."""
    return SpecFailure(path=path, reason=reason, has_value=False)


@dataclass
class Normalized:
    """A canonical value, every problem found on the way, all at once, and warnings."""

    value: dict[str, Any]
    failures: list[SpecFailure] = field(default_factory=list)
    warnings: list[SpecFailure] = field(default_factory=list)
    """What may fail at Vertex AI but is not known to (uncertain facts, machine families
    the catalog does not know): shown at preview, never blocking."""

    @property
    def ok(self) -> bool:
        """True when there are no failures."""
        return not self.failures

    def raise_for_failures(self) -> dict[str, Any]:
        """Return ``value``, or raise SpecError carrying every failure."""
        if self.failures:
            raise SpecError(self.failures)
        return self.value


class SpecError(ValueError):
    """Raised where one exception must carry every failure at once."""

    def __init__(self, failures: list[SpecFailure]) -> None:
        self.failures = list(failures)
        super().__init__("\n".join(str(f) for f in self.failures))


def without_redundant(failures: list[SpecFailure]) -> list[SpecFailure]:
    """Drop "required" failures (no value) at paths that already have a failure: a value
    of the wrong type is reported once, not again as missing."""
    valued = {f.path for f in failures if f.has_value}
    return [f for f in failures if f.has_value or f.path not in valued]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


SECRET = "[secret]"
"""What a failure shows in place of a value that was secret on input, as the Pulumi CLI does."""

_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
_KEY_SEGMENT = re.compile(r'\["((?:[^"\\]|\\.)*)"\]')
_LONG_ENOUGH = 4
"""Shorter secret text is masked where it stands alone (a value, a quoted literal), never
replaced inside other words: replacing "ab" everywhere would garble every message."""


@dataclass(frozen=True)
class Secrets:
    """The values that were secret on input (``pulumi.Output.secret``), so that no failure
    shows them.

    spec/ never sees Pulumi's secret markers: the provider finds the inputs that were secret
    and hands their values here (:meth:`of`). A failure whose value is, holds or contains one
    says ``(got [secret])``; quoted text in its reason that comes from one (``did you mean
    'n1-standard-4'?`` for a secret ``N1-Standard-4``, a part of a secret network name) is
    replaced by ``[secret]``, as are the keys of a secret map in its path (``labels["[secret]"]``
    when the whole ``labels`` map was secret). Field names are never secret.
    """

    values: tuple[Any, ...] = ()
    keys: frozenset[str] = frozenset()

    @classmethod
    def of(cls, secret_values: Iterable[Any]) -> Secrets:
        """From the values that were secret (each a leaf or a whole map or list)."""
        leaves: list[Any] = []
        keys: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, Mapping):
                keys.update(str(k) for k in value)
                for item in value.values():
                    walk(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    walk(item)
            elif value is not None and not is_unknown(value):
                leaves.append(value)

        for value in secret_values:
            walk(value)
        return cls(tuple(leaves), frozenset(keys))

    def __bool__(self) -> bool:
        return bool(self.values or self.keys)

    @property
    def texts(self) -> list[str]:
        """The secret strings (values, then map keys), without the empty string."""
        found = [v for v in self.values if isinstance(v, str)] + sorted(self.keys)
        return [t for t in found if t]

    def holds(self, value: Any) -> bool:
        """True when ``value`` is a secret value or a map key of one, holds one at any depth,
        or is text containing one (or a part of one)."""
        if isinstance(value, Mapping):
            return any(self.holds(k) or self.holds(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return any(self.holds(v) for v in value)
        if isinstance(value, str):
            return any(_overlaps(value.casefold(), t.casefold()) for t in self.texts)
        return any(_same_scalar(value, secret) for secret in self.values)

    def scrub(self, text: str) -> str:
        """``text`` with every quoted literal related to a secret string, and every
        occurrence of a secret string long enough to find safely, replaced by ``[secret]``."""
        texts = [t.casefold() for t in self.texts]

        def quoted(match: re.Match[str]) -> str:
            inner = match.group(0)[1:-1].casefold()
            return SECRET if any(_related(inner, t) for t in texts) else match.group(0)

        text = _QUOTED.sub(quoted, text)
        for secret in sorted({t for t in self.values if isinstance(t, str)}, key=len, reverse=True):
            if len(secret) >= _LONG_ENOUGH:
                text = re.sub(re.escape(secret), SECRET, text, flags=re.IGNORECASE)
        return text

    def scrub_path(self, path: str) -> str:
        """``path`` with the map keys that were secret (``["..."]`` segments) masked."""
        if not self.keys:
            return path

        def segment(match: re.Match[str]) -> str:
            key = match.group(1).replace('\\"', '"').replace("\\\\", "\\")
            return f'["{SECRET}"]' if key in self.keys else match.group(0)

        return _KEY_SEGMENT.sub(segment, path)

    def mask(self, failures: Iterable[SpecFailure]) -> list[SpecFailure]:
        """``failures`` showing nothing secret: see the class docstring."""
        if not self:
            return list(failures)
        return [
            dataclasses.replace(
                f,
                path=self.scrub_path(f.path),
                reason=self.scrub(f.reason),
                secret=f.secret or (f.has_value and self.holds(f.value)),
            )
            for f in failures
        ]


def _same_scalar(value: Any, secret: Any) -> bool:
    if isinstance(value, bool) or isinstance(secret, bool):
        return value is secret
    if isinstance(value, int | float) and isinstance(secret, int | float):
        return float(value) == float(secret)
    return bool(type(value) is type(secret) and value == secret)


def _overlaps(text: str, secret: str) -> bool:
    """Equal, or one holds the other and the one held is long enough to find safely."""
    if text == secret:
        return True
    shorter, longer = sorted((text, secret), key=len)
    return len(shorter) >= _LONG_ENOUGH and shorter in longer


def _related(literal: str, secret: str) -> bool:
    """Whether a quoted literal may come from a secret: equal, or sharing a run of
    characters as long as the shorter of the two, up to four (both casefolded)."""
    if not literal or not secret:
        return False
    if literal == secret:
        return True
    need = min(_LONG_ENOUGH, len(literal), len(secret))
    if need < 2:
        return False
    match = difflib.SequenceMatcher(None, literal, secret, autojunk=False).find_longest_match(
        0, len(literal), 0, len(secret)
    )
    return match.size >= need
