"""The API's enums as data and a forgiving parser for them.

The values are copied from ``google.cloud.aiplatform_v1.types`` (a unit test checks they
still match) so that check() does not import the generated types on every preview.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .names import closest


@dataclass(frozen=True)
class EnumType:
    """One proto enum: its full name, values by name, and accepted aliases.

    ``unspecified`` is the zero value; the parser maps it to None (the field is absent,
    as proto3 sees it).
    """

    name: str
    values: dict[str, int]
    aliases: dict[str, str]
    deprecated: frozenset[str] = frozenset()

    @property
    def unspecified(self) -> str:
        """The name of the zero value (``..._UNSPECIFIED``)."""
        return next(n for n, v in self.values.items() if v == 0)

    def allowed(self) -> list[str]:
        """The names a user may give (the zero value excluded)."""
        return [n for n, v in self.values.items() if v != 0]


ACCELERATOR_TYPE = EnumType(
    name="AcceleratorType",
    values={
        "ACCELERATOR_TYPE_UNSPECIFIED": 0,
        "NVIDIA_TESLA_K80": 1,
        "NVIDIA_TESLA_P100": 2,
        "NVIDIA_TESLA_V100": 3,
        "NVIDIA_TESLA_P4": 4,
        "NVIDIA_TESLA_T4": 5,
        "TPU_V2": 6,
        "TPU_V3": 7,
        "NVIDIA_TESLA_A100": 8,
        "NVIDIA_A100_80GB": 9,
        "TPU_V4_POD": 10,
        "NVIDIA_L4": 11,
        "TPU_V5_LITEPOD": 12,
        "NVIDIA_H100_80GB": 13,
        "NVIDIA_H100_MEGA_80GB": 14,
        "NVIDIA_H200_141GB": 15,
        "NVIDIA_B200": 16,
        "NVIDIA_GB200": 17,
        "NVIDIA_RTX_PRO_6000": 18,
    },
    # Only unambiguous short names: "A100" could be either A100 variant, so it is not one.
    aliases={
        "T4": "NVIDIA_TESLA_T4",
        "V100": "NVIDIA_TESLA_V100",
        "P100": "NVIDIA_TESLA_P100",
        "P4": "NVIDIA_TESLA_P4",
        "K80": "NVIDIA_TESLA_K80",
        "L4": "NVIDIA_L4",
        "B200": "NVIDIA_B200",
        "GB200": "NVIDIA_GB200",
        "H200": "NVIDIA_H200_141GB",
    },
    deprecated=frozenset({"NVIDIA_TESLA_K80"}),
)

STRATEGY = EnumType(
    name="Scheduling.Strategy",
    values={
        "STRATEGY_UNSPECIFIED": 0,
        "ON_DEMAND": 1,
        "LOW_COST": 2,
        "STANDARD": 3,
        "SPOT": 4,
        "FLEX_START": 6,
    },
    # The max_wait_duration docstring calls FLEX_START "DWS_FLEX_START".
    aliases={"DWS_FLEX_START": "FLEX_START", "DWS": "FLEX_START", "PREEMPTIBLE": "SPOT"},
    deprecated=frozenset({"ON_DEMAND", "LOW_COST"}),
)

RESERVATION_AFFINITY_TYPE = EnumType(
    name="ReservationAffinity.Type",
    values={
        "TYPE_UNSPECIFIED": 0,
        "NO_RESERVATION": 1,
        "ANY_RESERVATION": 2,
        "SPECIFIC_RESERVATION": 3,
    },
    aliases={
        "NONE": "NO_RESERVATION",
        "NO": "NO_RESERVATION",
        "ANY": "ANY_RESERVATION",
        "SPECIFIC": "SPECIFIC_RESERVATION",
    },
)

ENUMS: dict[str, EnumType] = {
    e.name: e for e in (ACCELERATOR_TYPE, STRATEGY, RESERVATION_AFFINITY_TYPE)
}


class EnumValueError(ValueError):
    """A value that names no member of the enum; ``reason`` says what is allowed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def parse_enum(value: object, kind: EnumType) -> str | None:
    """The API name for ``value``, or None for the zero (unspecified) value.

    Accepts the API name in any case, ``-`` for ``_`` (gcloud spells
    ``nvidia-tesla-t4``), a dotted prefix (``Scheduling.Strategy.SPOT``), the short
    aliases in ``kind.aliases``, the wire integer, and proto-plus / ``enum.Enum``
    members.

    Raises:
        EnumValueError: the value names no member; the reason lists the allowed names
            and suggests the closest one.
    """
    if isinstance(value, enum.Enum):
        value = value.name
    if isinstance(value, bool):
        raise EnumValueError(f"must be one of {', '.join(kind.allowed())}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        for name, number in kind.values.items():
            if number == value:
                return None if number == 0 else name
        raise EnumValueError(
            f"{value} is not a {kind.name} number; use one of {', '.join(kind.allowed())}"
        )
    if not isinstance(value, str):
        raise EnumValueError(f"must be a string, one of {', '.join(kind.allowed())}")
    text = value.strip().rsplit(".", 1)[-1].upper().replace("-", "_").replace(" ", "_")
    text = kind.aliases.get(text, text)
    if text in kind.values:
        return None if kind.values[text] == 0 else text
    # "A100" names two types: suggest every name containing it, else the closest one.
    containing = [n for n in kind.allowed() if len(text) >= 2 and text in n]
    hint = closest(text, kind.allowed())
    hints = containing[:3] or ([hint] if hint else [])
    suggestion = f"; did you mean {' or '.join(hints)}?" if hints else ""
    raise EnumValueError(f"unknown {kind.name}; allowed: {', '.join(kind.allowed())}{suggestion}")
