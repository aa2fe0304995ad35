"""Progress lines from providers while they wait, shown by `pulumi up`."""

from __future__ import annotations

import logging

_fallback = logging.getLogger("pulumi_vertex_training")


def info(message: str) -> None:
    """Report progress: through the Pulumi engine when there is one, else logging."""
    try:
        import pulumi

        pulumi.log.info(message)
    except Exception:  # no engine (plain function calls in tests or scripts)
        _fallback.info(message)


def warn(message: str) -> None:
    """Report something the user should look at."""
    try:
        import pulumi

        pulumi.log.warn(message)
    except Exception:
        _fallback.warning(message)
