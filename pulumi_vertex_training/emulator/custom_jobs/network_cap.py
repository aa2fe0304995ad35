"""How many job networks the emulator holds at once, and what waits for one.

Every job runs on a network of its own, and each network takes one of the Docker
engine's address pools; with the engine's defaults there are 31 (172.17-31.0.0/16
and the /20s of 192.168.0.0/16), shared with every other user of the engine.
Without a cap, a burst of jobs would take them all and the next network create
would fail the job ("could not find an available, non-overlapping IPv4 address
pool"). With it, a job beyond the cap stays JOB_STATE_QUEUED, as Vertex keeps a
job queued while it has no capacity, and starts when a network is given back.

A job holds its network from just before its start until its cleanup has removed
it: a finished job whose cleanup failed (the engine stalled) still counts, since
its network still exists. After a restart the networks found on the engine are
counted again (:meth:`NetworkCap.adopt`).

The cap is ``vertex-local serve --max-job-networks N``, else
``$VERTEX_LOCAL_MAX_JOB_NETWORKS``, else :data:`DEFAULT_MAX_JOB_NETWORKS`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping

log = logging.getLogger(__name__)

ENV_VAR = "VERTEX_LOCAL_MAX_JOB_NETWORKS"
"""Environment variable holding the cap when ``--max-job-networks`` is not given."""

DEFAULT_MAX_JOB_NETWORKS = 16
"""About half of the engine's 31 default address pools: room for two emulators (or a
developer's compose projects) on one engine, and more jobs at once than a laptop runs."""

ENGINE_FULL_PAUSE_SECONDS = 5.0
"""After the engine ran out of address pools (others hold them), how long queued jobs
wait before trying again, unless one of ours is given back sooner."""


def max_job_networks(value: int | None, environ: Mapping[str, str]) -> int:
    """The cap: ``value`` when given, else ``$VERTEX_LOCAL_MAX_JOB_NETWORKS``, else the default.

    >>> max_job_networks(None, {})
    16
    >>> max_job_networks(None, {"VERTEX_LOCAL_MAX_JOB_NETWORKS": "4"})
    4

    Raises:
        ValueError: the value is not a whole number of at least 1 (the message says which).
    """
    source, raw = "--max-job-networks", value
    if raw is None:
        source, text = f"${ENV_VAR}", environ.get(ENV_VAR, "").strip()
        if not text:
            return DEFAULT_MAX_JOB_NETWORKS
        if not text.isdigit():
            raise ValueError(f"{source}={text!r}: expected a whole number of at least 1")
        raw = int(text)
    if raw < 1:
        raise ValueError(f"{source}={raw}: at least 1 job network is needed to run jobs")
    return raw


class NetworkCap:
    """The jobs holding a network, at most ``limit`` of them (module doc). Thread-safe."""

    def __init__(self, limit: int = DEFAULT_MAX_JOB_NETWORKS) -> None:
        if limit < 1:
            raise ValueError(f"max job networks {limit}: must be at least 1")
        self.limit = limit
        self._holders: set[str] = set()
        self._lock = threading.Lock()
        self._engine_full_until = 0.0
        self._told: set[str] = set()

    def holds(self, name: str) -> bool:
        """Whether job ``name`` holds a network."""
        with self._lock:
            return name in self._holders

    def held(self) -> frozenset[str]:
        """The jobs holding a network."""
        with self._lock:
            return frozenset(self._holders)

    def spare(self) -> int:
        """How many jobs not holding a network could take one now."""
        with self._lock:
            return max(self.limit - len(self._holders), 0) if self._has_room() else 0

    def take(self, name: str) -> bool:
        """Let job ``name`` hold a network; False (nothing taken) when there is no room.

        Taking one already held is a no-op that answers True.
        """
        with self._lock:
            if name in self._holders:
                return True
            if not self._has_room():
                return False
            self._holders.add(name)
            self._told.discard(name)
            return True

    def give_back(self, name: str) -> None:
        """Job ``name``'s network is gone (or was never made). Idempotent."""
        with self._lock:
            if name in self._holders:
                self._holders.discard(name)
                self._engine_full_until = 0.0  # an address pool is free again

    def adopt(self, names: Iterable[str]) -> None:
        """Count networks that exist already (found on the engine after a restart),
        even beyond the limit: they are there whether counted or not."""
        with self._lock:
            self._holders.update(names)

    def engine_full(self) -> None:
        """The engine had no address pool left: hold back new networks for a while."""
        with self._lock:
            self._engine_full_until = time.monotonic() + ENGINE_FULL_PAUSE_SECONDS

    def tell_waiting(self, name: str) -> None:
        """Log, once per job, that job ``name`` stays QUEUED for want of a network.

        A CustomJob has no field for why it waits: the log says it, and the console
        (:meth:`waiting`).
        """
        with self._lock:
            if name in self._told:
                return
            self._told.add(name)
        log.info("%s stays JOB_STATE_QUEUED, %s", name, self.waiting(name))

    def waiting(self, name: str) -> str:
        """Why job ``name`` waits for a network, or ``""`` when it does not (yet) wait.

        >>> cap = NetworkCap(1)
        >>> cap.take("a"), cap.waiting("b")
        (True, '')
        >>> cap.tell_waiting("b")
        >>> cap.waiting("b").startswith("waiting for a job network: 1 of 1 in use")
        True
        """
        with self._lock:
            if name not in self._told or name in self._holders:
                return ""
            held = len(self._holders)
        return (
            f"waiting for a job network: {held} of {self.limit} in use (--max-job-networks); "
            "it starts when a job gives one back"
        )

    def _has_room(self) -> bool:
        return len(self._holders) < self.limit and time.monotonic() >= self._engine_full_until
