"""What the console shows of a resource: plain dicts and strings made from the API messages.

Pure (no I/O, no Starlette, no Jinja2): the templates only lay these values out, and
the tests read them without a server. Times are shown in UTC.

**Secret-looking environment values are masked** (:func:`looks_secret`): the value of
every variable whose *name* contains ``TOKEN``, ``SECRET``, ``PASSW``, ``PASSPHRASE``,
``PWD``, ``KEY``, ``CREDENTIAL``, ``AUTH``, ``PRIVATE``, ``COOKIE``, ``SESSION``,
``SIGNATURE`` or ``DSN`` (any case), wherever it appears: a replica's environment, the
pool's ``container_spec.env`` and the job spec copied into ``CLUSTER_SPEC`` and
``TF_CONFIG``; and the password of any URL with one (``scheme://user:password@host``)
in an env value, a command or an argument. A masked value is not in the page at all
(there is no reveal): the REST API still returns the job as stored, to programs on
this machine.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SECRET_NAME_PARTS = (
    "TOKEN", "SECRET", "PASSW", "PASSPHRASE", "PWD", "KEY", "CREDENTIAL", "AUTH",
    "PRIVATE", "COOKIE", "SESSION", "SIGNATURE", "DSN",
)  # fmt: skip
"""An environment variable whose name contains one of these (upper-cased) is masked."""

MASK = "••••••••"
TIMES = "\u00d7"  # the multiplication sign of "2 x n1-standard-4"
_URL_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")

# google.cloud.aiplatform_v1.JobState and PersistentResource.State names -> CSS class.
_STATE_CLASSES = {
    "SUCCEEDED": "ok",
    "PARTIALLY_SUCCEEDED": "ok",
    "RUNNING": "run",
    "FAILED": "bad",
    "ERROR": "bad",
    "EXPIRED": "bad",
    "CANCELLING": "warn",
    "CANCELLED": "warn",
    "STOPPING": "warn",
    "PAUSED": "warn",
    "UPDATING": "run",
    "REBOOTING": "run",
    "ACTIVE": "run",  # a trial
    "INFEASIBLE": "bad",
}

JOB_STATES = (
    "QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED",
)  # fmt: skip
"""The job states the filter offers (short names; ``JOB_STATE_`` is added)."""

_LABEL_KEY = re.compile(r"^[\w-]{1,63}$")


def looks_secret(name: str) -> bool:
    """Whether the value of env var ``name`` is masked (see the module docstring)."""
    upper = name.upper()
    return any(part in upper for part in SECRET_NAME_PARTS)


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` URL masked."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)


def mask_env_pairs(env: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """``[{"name", "value", "masked", "json"}]`` for display: secret-looking names masked
    whole, URL passwords masked, JSON values pretty-printed and masked inside
    (``CLUSTER_SPEC``, ``TF_CONFIG``)."""
    shown = []
    for name, value in env:
        if looks_secret(name):
            shown.append({"name": name, "value": MASK, "masked": True, "json": False})
            continue
        pretty = _pretty_json(value)
        if pretty is not None:
            shown.append({"name": name, "value": pretty, "masked": False, "json": True})
            continue
        clean = redact(value)
        shown.append({"name": name, "value": clean, "masked": clean != value, "json": False})
    return shown


def _pretty_json(value: str) -> str | None:
    if not value.startswith("{"):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return json.dumps(mask_json(data), indent=2, ensure_ascii=False)


def mask_json(data: Any) -> Any:
    """``data`` with the value of every ``{"name": ..., "value": ...}`` env entry whose
    name looks secret replaced by :data:`MASK`, and URL passwords masked in every string
    (a job spec in ``CLUSTER_SPEC``)."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, list):
        return [mask_json(item) for item in data]
    if not isinstance(data, dict):
        return data
    masked = {key: mask_json(item) for key, item in data.items()}
    name = data.get("name")
    if isinstance(name, str) and isinstance(data.get("value"), str) and looks_secret(name):
        masked["value"] = MASK
    return masked


# ---- times -----------------------------------------------------------------------------


def when(moment: datetime.datetime | None) -> str:
    """``2026-05-01 12:03:04 UTC``, or ``""``."""
    if moment is None:
        return ""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(moment: datetime.datetime | None) -> str:
    """RFC 3339 in UTC (for ``<time datetime>``), or ``""``."""
    if moment is None:
        return ""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(seconds: float) -> str:
    """``1 h 02 min``, ``3 min 04 s``, ``12 s``."""
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 24:
        return f"{hours // 24} d {hours % 24} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def duration(
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    now: datetime.datetime | None = None,
) -> str:
    """Time from ``start`` to ``end`` (or to now while it runs); ``""`` before it starts."""
    if start is None:
        return ""
    stop = end or now or datetime.datetime.now(datetime.timezone.utc)
    return span((stop - start).total_seconds())


# ---- states ----------------------------------------------------------------------------


def state(name: str) -> dict[str, str]:
    """``{"label": "RUNNING", "css": "run"}`` of ``JOB_STATE_RUNNING`` (any state enum name:
    ``PIPELINE_STATE_RUNNING`` too)."""
    short = name.removeprefix("JOB_STATE_").removeprefix("PIPELINE_STATE_").removeprefix("STATE_")
    css = _STATE_CLASSES.get(short, "wait")
    return {"label": short.replace("_", " "), "css": css, "name": name}


def state_filter(short: str) -> str:
    """The list filter for a state the form offers, or ``""`` (``state=JOB_STATE_FAILED``)."""
    return f"state=JOB_STATE_{short}" if short in JOB_STATES else ""


def label_filter(text: str) -> tuple[str, str]:
    """``(filter, error)`` for the label box: ``key`` (has it) or ``key=value``."""
    text = text.strip()
    if not text:
        return "", ""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not _LABEL_KEY.match(key):
        return "", (
            f"{key!r} is not a label key (letters, digits, '_' and '-', at most 63): type "
            "key or key=value"
        )
    if not sep:
        return f"labels.{key}:*", ""
    quoted = value.strip().replace("\\", "\\\\").replace('"', '\\"')
    return f'labels.{key}="{quoted}"', ""


# ---- resources -------------------------------------------------------------------------


def name_parts(name: str) -> dict[str, str]:
    """``{"project", "location", "id"}`` of a resource name ``projects/p/locations/l/x/id``."""
    parts = name.split("/")
    return {"project": parts[1], "location": parts[3], "id": parts[-1]} if len(parts) >= 6 else {}


def machine(spec: Any) -> str:
    """``n1-standard-8 + 2 x NVIDIA_TESLA_T4`` (with a multiplication sign) of a ``MachineSpec``."""
    text = spec.machine_type or "(no machine type)"
    if spec.accelerator_count and spec.accelerator_type:
        text += f" + {spec.accelerator_count} {TIMES} {spec.accelerator_type.name}"
    if spec.tpu_topology:
        text += f" ({spec.tpu_topology})"
    return text


def _pool_is_empty(pool: Any) -> bool:
    return not pool.machine_spec.machine_type


def _replicas(index: int, pool: Any) -> int:
    # Pool 0's replica_count unset means its one primary replica (validation.py).
    return pool.replica_count or (1 if index == 0 else 0)


def pools_summary(pools: Sequence[Any]) -> str:
    """``1 x n1-standard-4, 2 x n1-standard-8 + 1 x NVIDIA_TESLA_T4`` (empty pools skipped)."""
    return ", ".join(
        f"{_replicas(i, p)} {TIMES} {machine(p.machine_spec)}"
        for i, p in enumerate(pools)
        if not _pool_is_empty(p)
    )


def pool_detail(index: int, pool: Any) -> dict[str, Any]:
    """What the job page shows of worker pool ``index``."""
    if _pool_is_empty(pool):
        return {"index": index, "empty": True}
    which = pool._pb.WhichOneof("task")
    software: dict[str, Any]
    if which == "python_package_spec":
        package = pool.python_package_spec
        software = {
            "kind": "Python package",
            "image": package.executor_image_uri,
            "packages": list(package.package_uris),
            "module": package.python_module,
            "command": [],
            "args": [redact(a) for a in package.args],
            "env": mask_env_pairs((e.name, e.value) for e in package.env),
        }
    else:
        container = pool.container_spec
        software = {
            "kind": "Container",
            "image": container.image_uri,
            "packages": [],
            "module": "",
            "command": [redact(a) for a in container.command],
            "args": [redact(a) for a in container.args],
            "env": mask_env_pairs((e.name, e.value) for e in container.env),
        }
    disk = pool.disk_spec
    return {
        "index": index,
        "empty": False,
        "role": ("primary", "workers", "parameter servers", "evaluators")[index],
        "machine": machine(pool.machine_spec),
        "replicas": _replicas(index, pool),
        "disk": f"{disk.boot_disk_size_gb} GB {disk.boot_disk_type}" if disk.boot_disk_type else "",
        **software,
    }


def labels(mapping: Mapping[str, str]) -> list[str]:
    """``["team=ml", ...]``, sorted."""
    return [f"{k}={v}" for k, v in sorted(mapping.items())]


def timeline(job: Any, short_state: str) -> list[dict[str, str]]:
    """The steps of a job: created (queued), pending, running, ended; each ``done``,
    ``now`` or ``todo``, with its time where the API records one (it records none for
    PENDING)."""
    order = ["QUEUED", "PENDING", "RUNNING", "ENDED"]
    ended = short_state not in ("QUEUED", "PENDING", "RUNNING", "CANCELLING")
    current = "ENDED" if ended else ("RUNNING" if short_state == "CANCELLING" else short_state)
    reached = order.index(current)
    started = job.start_time is not None
    steps = []
    for i, step in enumerate(order):
        status = "done" if i < reached else ("now" if i == reached else "todo")
        if ended and step in ("PENDING", "RUNNING") and not started:
            status = "skip"  # cancelled or failed before it ran
        steps.append({"step": step, "status": status, "time": "", "iso": ""})
    steps[0].update(step="CREATED / QUEUED", time=when(job.create_time), iso=iso(job.create_time))
    steps[2].update(time=when(job.start_time), iso=iso(job.start_time))
    end_label = f"ENDED: {short_state.replace('_', ' ')}" if ended else "ENDED"
    steps[3].update(step=end_label, time=when(job.end_time), iso=iso(job.end_time))
    if ended:
        steps[3]["status"] = "done"
    return steps


def error(status: Any) -> dict[str, Any] | None:
    """``{"code", "message"}`` of a ``google.rpc.Status``, or None when unset."""
    if status is None or not (status.code or status.message):
        return None
    return {"code": status.code, "message": status.message}
