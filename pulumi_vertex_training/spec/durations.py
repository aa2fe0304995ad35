"""Durations: what users write ("2h", "1h30m", 7200, timedelta) to the proto JSON form.

The canonical form is what ``google.protobuf.json_format`` writes for a Duration:
``"<seconds>s"`` with up to nine fractional digits (trailing zeros dropped), so that
"2h", "120m", "7200s", 7200, 7200.0 and ``timedelta(hours=2)`` all normalize to
``"7200s"``.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

_UNITS = {
    "d": Decimal(86400),
    "h": Decimal(3600),
    "m": Decimal(60),
    "s": Decimal(1),
    "ms": Decimal("0.001"),
    "us": Decimal("0.000001"),
    "ns": Decimal("0.000000001"),
}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|ns|d|h|m|s)")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|us|ns|d|h|m|s))+$")
_NANO = Decimal("0.000000001")

#: Largest Duration protobuf accepts (about 10,000 years).
MAX_SECONDS = Decimal(315_576_000_000)

FORMS = 'a duration like "2h", "90m", "1h30m", "7200s", a number of seconds or a timedelta'


class DurationError(ValueError):
    """A value that is not a duration; ``reason`` says which forms are accepted."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def parse_seconds(value: object) -> Decimal:
    """The number of seconds ``value`` stands for (may be negative for numbers/timedelta).

    Raises:
        DurationError: ``value`` is not one of the accepted forms.
    """
    if isinstance(value, bool):
        raise DurationError(f"must be {FORMS}")
    if isinstance(value, datetime.timedelta):
        return (
            Decimal(value.days) * 86400
            + Decimal(value.seconds)
            + (Decimal(value.microseconds) / 1_000_000)
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise DurationError(f"must be {FORMS}")
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        negative = text.startswith("-")
        body = text[1:] if negative else text
        if not body:
            raise DurationError(f"must be {FORMS}")
        try:
            # A bare number in a string ("7200") counts as seconds, as a number does.
            total = Decimal(body) if re.fullmatch(r"\d+(?:\.\d+)?", body) else None
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            total = None
        if total is None:
            if not _WHOLE.match(body):
                raise DurationError(f"must be {FORMS}")
            total = sum(
                (Decimal(num) * _UNITS[unit] for num, unit in _PART.findall(body)),
                Decimal(0),
            )
        return -total if negative else total
    raise DurationError(f"must be {FORMS}")


def format_seconds(seconds: Decimal) -> str:
    """``Decimal(7200)`` -> ``"7200s"``; fractions keep at most nine digits."""
    rounded = seconds.quantize(_NANO)
    if rounded == rounded.to_integral_value():
        return f"{int(rounded)}s"
    text = format(rounded, "f").rstrip("0")
    return f"{text}s"


def normalize_duration(value: object) -> str:
    """Any accepted duration form -> ``"<seconds>s"``.

    Raises:
        DurationError: not a duration, or beyond what a protobuf Duration holds.
    """
    seconds = parse_seconds(value)
    if abs(seconds) > MAX_SECONDS:
        raise DurationError(f"must be at most {MAX_SECONDS} seconds (protobuf Duration range)")
    return format_seconds(seconds)


def duration_seconds(canonical: str) -> Decimal:
    """Seconds in a canonical ``"<seconds>s"`` string (the inverse of format_seconds)."""
    return Decimal(canonical[:-1])
