"""A job's output directory, read-only: listing folders and serving files safely.

The root is the local folder of the job's ``base_output_directory``
(``<data dir>/gcs/<bucket>/<prefix>``), and it must lie inside the local Cloud
Storage folder. A requested path is resolved (symbolic links followed) and served only
when it stays inside that root: ``..``, an encoded ``%2e%2e``, an absolute path or a
link a trainer left pointing at ``/etc/passwd`` are refused (None here, 404 in the
console).

What a trainer wrote is not trusted as a web page: files are served as
``text/plain`` (when they read as UTF-8), as an image of a raster type, or as an
attachment, always with ``X-Content-Type-Options: nosniff`` and a sandboxing
``Content-Security-Policy``, so an HTML or SVG file from a job can run no script in
the console's origin (whose script may cancel jobs).
"""

from __future__ import annotations

import os
import pathlib
import urllib.parse
from dataclasses import dataclass

MAX_ENTRIES = 1000
"""The most entries one folder listing shows."""

_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_SNIFF_BYTES = 8192

FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "no-store",
}


def output_root(data_dir: pathlib.Path, output_uri_prefix: str) -> pathlib.Path | None:
    """The local folder of ``gs://bucket/prefix`` when it is inside ``<data dir>/gcs``."""
    if not output_uri_prefix.startswith("gs://"):
        return None
    gcs = (pathlib.Path(data_dir) / "gcs").resolve()
    bucket, _, prefix = output_uri_prefix.removeprefix("gs://").partition("/")
    root = resolve_inside(gcs, f"{bucket}/{prefix}")
    return root if root is not None and root != gcs else None


def resolve_inside(root: pathlib.Path, sub: str) -> pathlib.Path | None:
    """``root/sub`` with links resolved, or None when that leaves ``root`` (or is malformed).

    >>> import pathlib; resolve_inside(pathlib.Path("/srv/out"), "../../etc/passwd") is None
    True
    """
    if "\x00" in sub or "\\" in sub:
        return None
    parts = [p for p in sub.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    base = pathlib.Path(root).resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        return None
    return target


@dataclass(frozen=True)
class Entry:
    """One row of a folder listing; ``href`` is relative to the files page of the job."""

    name: str
    href: str
    folder: bool
    size: int


def listing(folder: pathlib.Path, base: pathlib.Path) -> tuple[list[Entry], bool]:
    """The entries of ``folder`` (folders first, by name) and whether more were left out.

    Entries whose links lead outside ``base`` are left out.
    """
    entries: list[Entry] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return [], False
    truncated = len(names) > MAX_ENTRIES
    real_base = base.resolve()
    for name in names[:MAX_ENTRIES]:
        path = folder / name
        real = path.resolve()
        if real != real_base and real_base not in real.parents:
            continue
        relative = real.relative_to(real_base).as_posix() if real != real_base else ""
        href = urllib.parse.quote(relative)
        try:
            is_dir = real.is_dir()
            size = 0 if is_dir else real.stat().st_size
        except OSError:
            continue
        entries.append(Entry(name + ("/" if is_dir else ""), href, is_dir, size))
    entries.sort(key=lambda e: (not e.folder, e.name))
    return entries, truncated


def media_type(path: pathlib.Path) -> tuple[str, bool]:
    """``(content type, as attachment)`` to serve ``path`` with (see the module docstring)."""
    image = _IMAGE_TYPES.get(path.suffix.lower())
    if image is not None:
        return image, False
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError:
        return "application/octet-stream", True
    if b"\x00" in head:
        return "application/octet-stream", True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "application/octet-stream", True
    return "text/plain; charset=utf-8", False


def size_text(size: int) -> str:
    """``1.2 MB``, ``512 B``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
