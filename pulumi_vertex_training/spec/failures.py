"""Validation failures and the marker for values not known yet at preview."""

from __future__ import annotations

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

    @property
    def message(self) -> str:
        """``reason`` with the offending value, as shown by ``pulumi preview``."""
        if not self.has_value:
            return self.reason
        return f"{self.reason} (got {_show(self.value)})"

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
