"""A per-folder cache of file digests and credential verdicts, so an unchanged ``up`` only stats.

Hashing a build context means reading every byte; on a 200 MB context that is
most of a no-change ``pulumi up``. Like git's index, this cache remembers, per
relative path, the sha256 of the file's bytes and the credential guard's
verdict on them, keyed by the file's size, mtime, ctime (nanoseconds) and inode:
a file whose ``lstat`` still matches is not read again.

Racy files (git's "racily clean" entries): a file written in the same clock
tick as it was read can change again without changing its size or
timestamps. Every entry records when its file was read; an entry whose mtime or
ctime is not at least :data:`RACY_WINDOW_NS` older than that is never trusted
and the file is read again next time. The window is 2 s, not git's "same
second", because the cache may live on another filesystem than the files
(FAT stores times in 2 s steps).

Where: ``$PULUMI_VERTEX_TRAINING_CACHE_DIR``, else
``$XDG_CACHE_HOME/pulumi-vertex-training``, else
``~/.cache/pulumi-vertex-training``; one small file per source folder, never
inside the folder (a cache under the folder being hashed is not used). Set the
variable to an empty string to turn the cache off; deleting the folder is
always safe. Writes go to a temporary file renamed into place, so two programs
hashing at once each see a whole cache. A cache that is corrupt (its checksum
does not match), written for another folder, by other rules, by another user
or writable by others is ignored and rewritten, never trusted: the hash the
program computes is the same with or without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from pulumi_vertex_training.packaging.credentials import RULES_VERSION

CACHE_DIR_ENV = "PULUMI_VERTEX_TRAINING_CACHE_DIR"
"""Names the cache folder; an empty value turns the cache off."""

RACY_WINDOW_NS = 2_000_000_000
"""How much older than its reading a file's mtime/ctime must be for its entry to be trusted."""

MAX_CACHE_FILES = 128
"""Cache files kept (one per source folder); the least recently used go first."""

_FORMAT = "pulumi-vertex-training/hash-cache/v1"
_STALE_TMP_NS = 3600 * 1_000_000_000
_DIGEST = re.compile(r"[0-9a-f]{64}\Z")

Entry = tuple[str, str | None]
"""(sha256 hex of the bytes, the content verdict or None)."""


def cache_dir() -> Path | None:
    """The folder caches live in (see the module docstring), or None when turned off."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pulumi-vertex-training"


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    """What must not change for a cached entry to hold: size, mtime, ctime (ns), inode."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _is_private(st: os.stat_result) -> bool:
    # Ours and writable by no one else: a cache others can write could lie to us.
    owner_ok = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return owner_ok and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class HashCache:
    """The digests and verdicts cached for the files under one folder.

    Use :meth:`open` for a folder, :meth:`lookup` before reading a file,
    :meth:`record` after, and :meth:`save` once the walk is done.
    """

    def __init__(self, root: str, path: Path | None, entries: dict[str, list[Any]]) -> None:
        self.root = root
        self.path = path
        self._old = entries
        self._seen: dict[str, list[Any]] = {}
        self._changed = False

    @classmethod
    def open(cls, root: str) -> HashCache:
        """The cache of ``root`` (absolute); empty when missing, unusable or untrusted."""
        directory = cache_dir()
        if directory is None:
            return cls(root, None, {})
        directory = Path(os.path.abspath(directory))
        if _inside(os.path.realpath(directory), os.path.realpath(root)):
            return cls(root, None, {})  # never inside the context: it would change its hash
        name = hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        path = directory / f"{name}.json"
        return cls(root, path, _load(path, root))

    def lookup(self, rel: str, st: os.stat_result) -> Entry | None:
        """The cached (digest, verdict) of ``rel`` when ``st`` still matches and is not racy."""
        entry = self._old.get(rel)
        if entry is None or tuple(entry[:4]) != stat_key(st) or not _valid_entry(entry):
            return None
        if max(st.st_mtime_ns, st.st_ctime_ns) >= entry[4] - RACY_WINDOW_NS:
            return None  # racily clean: it may have changed within the same tick
        self._seen[rel] = entry
        return entry[5], entry[6]

    def record(
        self, rel: str, st: os.stat_result, digest: str, verdict: str | None, read_ns: int
    ) -> None:
        """Remember what reading ``rel`` gave; ``st`` is its stat from before the read
        began, ``read_ns`` a clock reading from before that."""
        self._seen[rel] = [*stat_key(st), read_ns, digest, verdict]
        self._changed = True

    def save(self, roots: list[str]) -> None:
        """Write the cache if anything changed; entries outside ``roots`` (relative
        paths this walk did not cover) are kept. Never raises: a cache is optional."""
        if self.path is None:
            return
        if not self._changed and len(self._seen) == len(self._old):
            _touch(self.path)  # every entry was used as it was: nothing to write
            return
        kept = {k: v for k, v in self._old.items() if not _under(k, roots)}
        entries = {**kept, **self._seen}
        if not self._changed and entries.keys() == self._old.keys():
            _touch(self.path)
            return
        with contextlib.suppress(OSError):
            _write(self.path, self.root, entries)
            _prune(self.path.parent)


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # another drive
        return False


def _under(path: str, roots: list[str]) -> bool:
    return any(r == "." or path == r or path.startswith(r + "/") for r in roots)


def _valid_entry(value: list[Any]) -> bool:
    # Called once value[:4] compared equal to a real stat's integers (the stat key).
    digest, verdict = value[5], value[6]
    return (
        type(value[4]) is int
        and type(digest) is str
        and _DIGEST.match(digest) is not None
        and (verdict is None or type(verdict) is str)
    )


def _load(path: Path, root: str) -> dict[str, list[Any]]:
    """The entries of the cache file at ``path``, or {} when it cannot be trusted."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as fh:
            if not _is_private(os.fstat(fh.fileno())) or not _is_private(os.stat(path.parent)):
                return {}
            header_line = fh.readline()
            body = fh.read()
        header = json.loads(header_line)
        if not isinstance(header, dict) or header != {
            "format": _FORMAT,
            "rules": RULES_VERSION,
            "root": root,
            "sha256": hashlib.sha256(body).hexdigest(),
        }:
            return {}
        entries = json.loads(body)
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    # Entries are checked one by one as they are used (lookup), and only lists kept here.
    return {k: v for k, v in entries.items() if type(v) is list and len(v) == 7}


def _write(path: Path, root: str, entries: dict[str, list[Any]]) -> None:
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _is_private(os.stat(directory)):
        return  # someone else's folder, or one others can write: do not leave data there
    body = json.dumps(entries, separators=(",", ":"), sort_keys=True).encode()
    header = {
        "format": _FORMAT,
        "rules": RULES_VERSION,
        "root": root,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(header).encode() + b"\n" + body)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old or the new file
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _touch(path: Path) -> None:
    # Marks the cache as used, so pruning drops caches of folders no longer built.
    with contextlib.suppress(OSError):
        os.utime(path)


def _prune(directory: Path) -> None:
    caches = []
    stale = time.time_ns() - _STALE_TMP_NS
    for entry in os.scandir(directory):
        with contextlib.suppress(OSError):
            mtime = entry.stat(follow_symlinks=False).st_mtime_ns
            if entry.name.startswith(".tmp-") and mtime < stale:
                os.unlink(entry.path)  # left by a program killed while writing
            elif entry.name.endswith(".json") and not entry.name.startswith("."):
                caches.append((mtime, entry.path))
    for _, old in sorted(caches)[: max(0, len(caches) - MAX_CACHE_FILES)]:
        with contextlib.suppress(OSError):
            os.unlink(old)
