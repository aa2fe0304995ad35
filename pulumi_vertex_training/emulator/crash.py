"""A ``kill -9`` of the emulator at a chosen Docker engine call (tests only).

``VERTEX_LOCAL_CRASH_AT=KIND:N:WHEN`` (read by ``vertex-local serve``) makes the
process SIGKILL itself at the N-th engine call of KIND it makes, where KIND is
one of the calls that start a job (``create_network``, ``create_container``,
``start``) and WHEN is:

- ``before``: the call is never sent;
- ``during``: the call is sent and the process dies while the engine carries it
  out, so it may land or not (what a kill at an arbitrary moment does);
- ``after``: the engine has answered; the process dies before using the answer.

Why a numbered step rather than a kill from outside after a delay: the point of
the start that is hit is exact and the same on every run and every machine, so a
test visits each one (every create, every start, the network) instead of hoping a
delay lands there; ``during`` keeps the one case only a race can produce, a call
the engine completes after its caller died.

``VERTEX_LOCAL_CRASH_AT=@FILE`` reads the SPEC from FILE instead, again before
every engine call: the count starts over whenever the file's content changes,
and an empty or missing file crashes nowhere. The process that recovered one
crash can so be armed for the next job's, instead of a new process per point.
"""

from __future__ import annotations

import os
import pathlib
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Protocol

ENV_VAR = "VERTEX_LOCAL_CRASH_AT"
"""Environment variable holding a crash SPEC (``KIND:N:WHEN``) for ``vertex-local serve``."""

KINDS = ("create_network", "create_container", "start")
WHENS = ("before", "during", "after")
_IN_FLIGHT_SECONDS = 0.002  # long enough for the request to leave, far shorter than the call


class CrashSpecError(ValueError):
    """A crash SPEC that cannot be parsed; the message says what is allowed."""


class CrashHook(Protocol):
    """What the engine calls around each engine call that starts a job's resources."""

    def before(self, kind: str) -> None:
        """Called just before an engine call of ``kind`` is sent."""

    def after(self, kind: str) -> None:
        """Called once the engine answered a call of ``kind``."""


class CrashPoint:
    """Kills this process at the ``count``-th engine call of ``kind`` (module doc).

    The engine calls :meth:`before` and :meth:`after` around each call that changes
    something; calls of one job run on several threads, so the call that is hit is
    remembered per thread.
    """

    def __init__(self, kind: str, count: int, when: str) -> None:
        if kind not in KINDS or when not in WHENS or count < 1:
            raise CrashSpecError(
                f"{kind}:{count}:{when}: expected KIND:N:WHEN with KIND one of "
                f"{', '.join(KINDS)}, N >= 1 and WHEN one of {', '.join(WHENS)}"
            )
        self.kind, self.count, self.when = kind, count, when
        self._seen = 0
        self._lock = threading.Lock()
        self._hit = threading.local()

    @classmethod
    def parse(cls, spec: str) -> CrashPoint:
        """A crash point from ``"create_container:2:during"``. Raises CrashSpecError."""
        parts = spec.strip().split(":")
        if len(parts) != 3 or not parts[1].isdigit():
            raise CrashSpecError(f"{spec!r}: expected KIND:N:WHEN, e.g. create_container:2:during")
        return cls(parts[0], int(parts[1]), parts[2])

    def __repr__(self) -> str:
        return f"{self.kind}:{self.count}:{self.when}"

    def before(self, kind: str) -> None:
        """Called just before an engine call of ``kind`` is sent."""
        if kind != self.kind:
            return
        with self._lock:
            self._seen += 1
            hit = self._seen == self.count
        self._hit.value = hit
        if hit and self.when == "before":
            _die(self)
        if hit and self.when == "during":
            threading.Timer(_IN_FLIGHT_SECONDS, _die, (self,)).start()

    def after(self, kind: str) -> None:
        """Called once the engine answered a call of ``kind``."""
        if kind == self.kind and getattr(self._hit, "value", False) and self.when == "after":
            _die(self)


class CrashFile:
    """The crash point written in a file, read again before each engine call (``@FILE``).

    Example: ``echo start:2:after > crash.txt`` arms the running process for its next
    job's second container start; ``: > crash.txt`` disarms it.
    """

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self._text = ""
        self._point: CrashPoint | None = None
        self._lock = threading.Lock()
        self._current()  # a bad SPEC already in the file fails at start, not mid-job

    def __repr__(self) -> str:
        return f"@{self.path}"

    def _current(self) -> CrashPoint | None:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            text = ""
        with self._lock:
            if text != self._text:  # re-armed (or disarmed): the count starts over
                self._point = CrashPoint.parse(text) if text else None
                self._text = text
            return self._point

    def before(self, kind: str) -> None:
        """Called just before an engine call of ``kind`` is sent."""
        point = self._current()
        if point is not None:
            point.before(kind)

    def after(self, kind: str) -> None:
        """Called once the engine answered a call of ``kind``."""
        with self._lock:
            point = self._point
        if point is not None:
            point.after(kind)


def _die(point: CrashPoint) -> None:
    print(f"vertex-local: crashing at {point} ({ENV_VAR})", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def from_environment(environ: Mapping[str, str]) -> CrashHook | None:
    """The crash point in ``VERTEX_LOCAL_CRASH_AT``, or None when it is unset or empty."""
    spec = environ.get(ENV_VAR, "").strip()
    if spec.startswith("@"):
        return CrashFile(pathlib.Path(spec[1:]))
    return CrashPoint.parse(spec) if spec else None
