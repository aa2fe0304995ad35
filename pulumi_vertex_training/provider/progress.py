"""Progress lines from providers while they wait, shown by `pulumi up`.

Where a line goes:

- With a Pulumi engine attached (a program run in-process by ``testing/``), through
  ``pulumi.log``: the engine's Log RPC.
- In the SDK's dynamic-provider host (``python -m pulumi.dynamic``, which the CLI
  starts for these providers) no engine is attached, and ``pulumi.log`` would
  ``print("info: " + message, file=sys.stderr)``. The CLI reads a dynamic
  provider's stderr (and its stdout after the port line) line by line and shows
  each line as an info diagnostic of the stack: live in the stack's row of the
  progress display, and all of them under "Diagnostics:" at the end (pulumi's
  ``sdk/go/common/resource/plugin/plugin.go``, which hides the output of other
  providers but not of dynamic ones). So lines are written there, in the same
  ``info: ...`` form, each message in one write under a lock and flushed at once:
  the host serves four calls at a time, and two waiting jobs' lines must neither
  interleave mid-line nor sit in a buffer.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

_lock = threading.Lock()


def info(message: str) -> None:
    """Report progress: through the Pulumi engine when there is one, else to stderr."""
    _report("info", message)


def warn(message: str) -> None:
    """Report something the user should look at."""
    _report("warning", message)


def _engine() -> Any:
    try:
        from pulumi.runtime.settings import get_engine

        return get_engine()
    except Exception:  # no Pulumi runtime configured at all
        return None


def _report(level: str, message: str) -> None:
    if _engine() is not None:
        try:
            import pulumi

            (pulumi.log.info if level == "info" else pulumi.log.warn)(message)
            return
        except Exception:  # an engine that went away: the CLI still reads stderr
            pass
    write(f"{level}: {message}")


def write(text: str) -> None:
    """Write whole lines to stderr at once (never interleaved with another thread's)."""
    data = text if text.endswith("\n") else text + "\n"
    with _lock:
        try:
            sys.stderr.write(data)
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed: nobody is listening
            pass
