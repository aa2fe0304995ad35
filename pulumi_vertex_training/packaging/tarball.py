"""Reproducible ``.tar.gz`` files: the same entries give the same bytes.

Entries are sorted, every header carries the fixed mtime (``SOURCE_DATE_EPOCH``)
and owner 0 (``context.tar_info``), parent directories are written as
``0o755`` entries, and the gzip header holds neither a file name nor a time.
Used for the sdists of ``python_package_spec`` jobs: written directly for a
wrapped script, re-packed from whatever ``python -m build`` wrote for a project.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import tarfile
from pathlib import Path

from pulumi_vertex_training.packaging.context import tar_info


def write_tar_gz(entries: dict[str, tuple[int, bytes]], target: Path) -> None:
    """Write ``{path: (mode, bytes)}`` (with parent dirs) as a reproducible .tar.gz.

    The archive is written next to ``target`` and renamed into place, so a
    reader never sees half a file.
    """
    dirs: set[str] = set()
    for path in entries:
        parent = posixpath.dirname(path)
        while parent and parent not in dirs:
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(dirs | set(entries)):
            if name in entries:
                mode, data = entries[name]
                tar.addfile(tar_info(name, tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))
            else:
                tar.addfile(tar_info(name, tarfile.DIRTYPE, 0o755))
    tmp = target.with_name(target.name + ".part")
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buf.getvalue())
    os.replace(tmp, target)


def repack_tar_gz(built: Path, target: Path) -> None:
    """Re-pack the regular files of ``built`` reproducibly into ``target``.

    Only the executable bit of each mode survives (``0o755``/``0o644``);
    mtimes, owners and the order the builder chose do not.
    """
    entries: dict[str, tuple[int, bytes]] = {}
    with tarfile.open(built, "r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                fh = tar.extractfile(member)
                data = fh.read() if fh is not None else b""
                mode = 0o755 if member.mode & 0o100 else 0o644
                entries[member.name] = (mode, data)
    write_tar_gz(entries, target)
