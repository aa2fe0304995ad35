"""Fault injection for the emulator: failed calls, slow calls and lost responses.

Off by default. A :class:`FaultPlan` is handed to ``EmulatorServer(fault_hook=plan.hook)``
(or parsed from ``vertex-local serve --faults SPEC`` / ``VERTEX_LOCAL_FAULTS=SPEC``) and
decides, for each eligible RPC, gRPC and REST alike:

- ``unavailable`` / ``deadline`` / ``exhausted``: the share of calls answered
  UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED (a quota error) *before*
  dispatch: nothing happens on the server;
- ``ratelimited``: the share answered RESOURCE_EXHAUSTED worded as Vertex words a
  per-minute request rate limit (a limit that clears by itself, unlike a quota);
- ``lost``: the share that *succeeds* on the server and whose response is then
  replaced by UNAVAILABLE or DEADLINE_EXCEEDED: the client cannot tell it from a
  call that never ran (the case that makes a naive retry submit a second job);
- ``latency``: time added before every eligible call (``20ms``, ``0.5s``).

SPEC is comma-separated ``key=value``:
``"unavailable=0.1,deadline=0.05,exhausted=0.02,lost=0.05,latency=20ms,seed=7,methods=mutating"``.
``methods`` is ``all`` (default), ``mutating`` (create/update/delete/cancel/reboot), or
servicer method names joined with ``+`` (``create_custom_job+get_custom_job``).

Decisions are deterministic for a seed and independent of thread interleaving: each
one is drawn from a hash of (seed, method, the request's bytes, how many times this
same request was seen before), so the n-th identical call always meets the same fate.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_vertex_training.emulator.exceptions import (
    DeadlineExceeded,
    EmulatorError,
    ResourceExhausted,
    Unavailable,
)

ENV_VAR = "VERTEX_LOCAL_FAULTS"
"""Environment variable holding a fault SPEC for ``vertex-local serve``."""

MUTATING_PREFIXES = ("create_", "update_", "delete_", "cancel_", "reboot_")
"""Servicer methods with these prefixes change state: the ``methods=mutating`` set."""

BEFORE_KINDS = ("unavailable", "deadline", "exhausted", "ratelimited")
KINDS = (*BEFORE_KINDS, "lost")

QUOTA_MESSAGE = (
    "The following quota metrics exceed quota limits: "
    "aiplatform.googleapis.com/custom_model_training_cpus (injected fault)"
)
RATE_LIMIT_MESSAGE = (
    "Quota exceeded for quota metric 'Resource management (CRUD) requests' and limit "
    "'Resource management (CRUD) requests per minute per region' of service "
    "'aiplatform.googleapis.com' (injected fault)"
)

_DURATION = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>ms|s)?$")


class FaultSpecError(ValueError):
    """A fault SPEC that cannot be parsed; the message names the entry and what is allowed."""


@dataclass
class FaultPlan:
    """Which calls fail, how, and how slow each is. See the module docstring.

    Args:
        unavailable: share of eligible calls answered UNAVAILABLE before dispatch.
        deadline: share answered DEADLINE_EXCEEDED before dispatch.
        exhausted: share answered RESOURCE_EXHAUSTED (quota) before dispatch.
        ratelimited: share answered RESOURCE_EXHAUSTED (per-minute rate limit).
        lost: share dispatched, then answered UNAVAILABLE or DEADLINE_EXCEEDED.
        latency: seconds slept before each eligible call.
        methods: ``"all"``, ``"mutating"`` or a set of servicer method names.
        seed: makes the decisions reproducible.

    The shares add up to at most 1. ``injected`` counts what was injected, by
    ``(kind, method)``; ``enabled`` switches the plan off and on at run time.
    """

    unavailable: float = 0.0
    deadline: float = 0.0
    exhausted: float = 0.0
    ratelimited: float = 0.0
    lost: float = 0.0
    latency: float = 0.0
    methods: str | frozenset[str] = "all"
    seed: int = 0
    enabled: bool = True
    injected: Counter[tuple[str, str]] = field(default_factory=Counter, compare=False)
    _seen: Counter[bytes] = field(default_factory=Counter, compare=False, repr=False)
    # before and after of one call run on one thread: the "lost" mark travels there.
    _pending: threading.local = field(default_factory=threading.local, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def __post_init__(self) -> None:
        for kind in KINDS:
            share = getattr(self, kind)
            if not 0.0 <= share <= 1.0:
                raise FaultSpecError(f"{kind}={share}: a share must be between 0 and 1")
        total = sum(getattr(self, kind) for kind in KINDS)
        if total > 1.0 + 1e-9:
            raise FaultSpecError(
                f"the shares add up to {total:g}; at most 1 (every call failing) is possible"
            )
        if self.latency < 0:
            raise FaultSpecError(f"latency={self.latency}: must not be negative")
        if isinstance(self.methods, str) and self.methods not in ("all", "mutating"):
            raise FaultSpecError(
                f"methods={self.methods!r}: use all, mutating or a set of method names"
            )

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """A plan from ``"unavailable=0.1,lost=0.05,latency=20ms,seed=3,methods=mutating"``.

        Raises:
            FaultSpecError: an unknown key, a bad number or shares adding up to more than 1.
        """
        values: dict[str, Any] = {}
        for entry in (e.strip() for e in spec.split(",")):
            if not entry:
                continue
            key, sep, value = entry.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not value:
                raise FaultSpecError(f"{entry!r}: expected key=value")
            if key in KINDS:
                try:
                    values[key] = float(value)
                except ValueError:
                    raise FaultSpecError(
                        f"{key}={value!r}: expected a share between 0 and 1, e.g. 0.1"
                    ) from None
            elif key == "latency":
                values[key] = _parse_duration(key, value)
            elif key == "seed":
                if not value.lstrip("-").isdigit():
                    raise FaultSpecError(f"seed={value!r}: expected a whole number")
                values[key] = int(value)
            elif key == "methods":
                values[key] = value if value in ("all", "mutating") else frozenset(value.split("+"))
            else:
                raise FaultSpecError(
                    f"{key!r} is not a fault setting; known: "
                    f"{', '.join((*KINDS, 'latency', 'seed', 'methods'))}"
                )
        return cls(**values)

    @property
    def active(self) -> bool:
        """Whether this plan injects anything at all."""
        return self.enabled and (self.latency > 0 or any(getattr(self, k) for k in KINDS))

    def eligible(self, method: str) -> bool:
        """Whether calls to servicer ``method`` may meet a fault."""
        if self.methods == "all":
            return True
        if self.methods == "mutating":
            return method.startswith(MUTATING_PREFIXES)
        return method in self.methods

    def hook(self, phase: str, method: str, request: Any) -> None:
        """The ``EmulatorServer`` fault hook: may sleep, and raises the injected error."""
        if not self.enabled or not self.eligible(method):
            return
        if phase == "before":
            if self.latency:
                time.sleep(self.latency)
            kind = self._decide(method, request)
            self._pending.lost = kind == "lost"
            if kind not in (None, "lost"):
                with self._lock:
                    self.injected[(kind, method)] += 1
                raise _error(str(kind), method)
        elif phase == "after":
            if not getattr(self._pending, "lost", False):
                return
            self._pending.lost = False
            with self._lock:
                self.injected[("lost", method)] += 1
            # Which transient error stands in for the lost response varies per call.
            if roll_bit(self.seed, method, request):
                raise DeadlineExceeded(f"{method}: deadline exceeded (injected: response lost)")
            raise Unavailable(f"{method}: connection reset (injected: response lost)")

    def count(self, kind: str | None = None) -> int:
        """How many faults were injected, of one kind or in all."""
        with self._lock:
            return sum(n for (k, _), n in self.injected.items() if kind is None or k == kind)

    def _decide(self, method: str, request: Any) -> str | None:
        body = request_bytes(request)
        key = method.encode() + b"\0" + body
        with self._lock:
            occurrence = self._seen[key]
            self._seen[key] += 1
        digest = hashlib.sha256(
            f"{self.seed}:{occurrence}:".encode() + key, usedforsecurity=False
        ).digest()
        roll = int.from_bytes(digest[:8], "big") / 2**64
        edge = 0.0
        for kind in KINDS:
            edge += getattr(self, kind)
            if roll < edge:
                return kind
        return None


def roll_bit(seed: int, method: str, request: Any) -> bool:
    """A deterministic coin for (seed, method, request)."""
    digest = hashlib.sha256(
        f"{seed}:{method}:".encode() + request_bytes(request), usedforsecurity=False
    ).digest()
    return bool(digest[-1] & 1)


def request_bytes(request: Any) -> bytes:
    """The request's deterministic wire bytes (proto-plus or raw protobuf), or its repr."""
    pb = request
    pb_of = getattr(type(request), "pb", None)
    if callable(pb_of):  # a proto-plus message: the raw protobuf underneath
        pb = pb_of(request)
    serialize = getattr(pb, "SerializeToString", None)
    if callable(serialize):
        return bytes(serialize(deterministic=True))
    return repr(request).encode()


def from_environment(environ: Mapping[str, str]) -> FaultPlan | None:
    """The plan in ``VERTEX_LOCAL_FAULTS``, or None when it is unset or empty."""
    spec = environ.get(ENV_VAR, "").strip()
    return FaultPlan.parse(spec) if spec else None


def _error(kind: str, method: str) -> EmulatorError:
    if kind == "unavailable":
        return Unavailable(f"{method}: the service is currently unavailable (injected fault)")
    if kind == "deadline":
        return DeadlineExceeded(f"{method}: deadline exceeded (injected fault)")
    if kind == "ratelimited":
        return ResourceExhausted(RATE_LIMIT_MESSAGE)
    return ResourceExhausted(QUOTA_MESSAGE)


def _parse_duration(key: str, value: str) -> float:
    match = _DURATION.match(value)
    if not match:
        raise FaultSpecError(f"{key}={value!r}: expected a duration like 20ms or 0.5s")
    number = float(match["number"])
    return number / 1000 if match["unit"] == "ms" else number
