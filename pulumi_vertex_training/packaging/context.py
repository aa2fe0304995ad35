"""The build context of a training image: its files, their hash, the tar sent to Docker.

Reads files only. The hash covers sorted relative paths, the executable bit and
bytes of each file (never mtimes, owners or umask), the Dockerfile and the base
image, so the same tree in two folders hashes the same and preview knows
whether the image changes without building. The tar handed to Docker holds
exactly the hashed files, with fixed mtime, owner and modes.

Each file is read once, in chunks: the same pass hashes it and scans it for
credentials (``credentials.py``). Digests and verdicts are cached per folder
(``hash_cache.py``), so an unchanged file is only ``lstat``-ed.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import stat
import tarfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO

from pulumi_vertex_training.packaging.credentials import ContentScanner, name_reason
from pulumi_vertex_training.packaging.hash_cache import HashCache, stat_key
from pulumi_vertex_training.packaging.ignore import IgnoreRules

DOCKERFILE_NAME = ".vertex-training.Dockerfile"
"""Name of the rendered Dockerfile inside the context tar (removed before COPY runs)."""

SOURCE_DATE_EPOCH = 946684800
"""Fixed mtime of every tar entry (2000-01-01): after 1980, so wheels built from it zip fine."""

_NEVER_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".pytest_cache", "node_modules"})
_VENV_NAMES = frozenset({".venv", "venv"})
_NEVER_SUFFIXES = (".pyc", ".pyo")
_CONTROL_FILES = frozenset({".dockerignore", ".gcloudignore"})
_HASH_VERSION = b"pulumi-vertex-training/context/v1\n"
_CHUNK = 1 << 20
INCLUDE_HINT = (
    "Leave them out with .dockerignore or .gcloudignore, or, if the image really needs "
    "them, name each one in include_files=[...] (paths relative to source_dir)."
)


class PackagingError(ValueError):
    """A problem with the local package, raised in the program before anything registers."""


class SourceChangedError(PackagingError):
    """The files changed between the program's hash and the build (a deployment is running)."""

    def __init__(self, root: object, now: str, seen: str) -> None:
        super().__init__(
            f"the files under {root} changed while the deployment ran "
            f"(hash {now[:12]}, the program saw {seen[:12]}); run it again"
        )


def ensure_same_source(root: object, now: str, seen: str) -> None:
    """Raise :class:`SourceChangedError` unless the hash the provider computes now is the
    one the program computed (what preview showed is what gets built)."""
    if now != seen:
        raise SourceChangedError(root, now, seen)


class CredentialFileError(PackagingError):
    """Files that look like credentials would be put into the image."""

    def __init__(
        self, files: Sequence[tuple[str, str]], how_to_include: str = INCLUDE_HINT
    ) -> None:
        self.reasons = sorted(files)
        self.files = [path for path, _ in self.reasons]
        listing = ", ".join(f"{path} ({why})" for path, why in self.reasons)
        super().__init__(
            f"refusing to put files that look like credentials into the image: {listing}. "
            + how_to_include
        )


@dataclass(frozen=True)
class ContextFile:
    """One entry of the build context.

    Attributes:
        path: POSIX path relative to the context root.
        mode: ``0o755`` (executable) or ``0o644``; ``0o777`` for a symlink.
        source: absolute path on disk.
        link_target: the target when the entry is a symlink, else None.
        digest: sha256 hex of the bytes when already known (read or cached), else None.
    """

    path: str
    mode: int
    source: str
    link_target: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class BuildContext:
    """The files of a build context, sorted by relative path."""

    root: str
    files: tuple[ContextFile, ...]

    @property
    def paths(self) -> list[str]:
        """The relative paths, sorted."""
        return [f.path for f in self.files]


def _is_venv(dirpath: str, name: str) -> bool:
    return name in _VENV_NAMES or os.path.isfile(os.path.join(dirpath, name, "pyvenv.cfg"))


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(r == "." or path == r or path.startswith(r + "/") for r in roots)


def _leads_to(directory: str, roots: Sequence[str]) -> bool:
    # Walk a directory only if it is under a root, or a root lies below it.
    return _under(directory, roots) or any(r.startswith(directory + "/") for r in roots)


def collect_context(
    source_dir: str | Path,
    *,
    roots: Sequence[str] | None = None,
    include: Iterable[str] = (),
    use_cache: bool = True,
) -> BuildContext:
    """List the files of a build context, digest each and refuse credentials.

    Honours ``.dockerignore`` and ``.gcloudignore`` at the root; never takes
    VCS directories, virtualenvs (``.venv``, ``venv``, any directory holding a
    ``pyvenv.cfg``), ``__pycache__``/``*.pyc``, ``.pytest_cache`` or
    ``node_modules``; the ignore files themselves are rules, not content.

    Every file is read once, in chunks, to hash it and to scan it for
    credentials (``credentials.py``), unless the digest cache
    (``hash_cache.py``) vouches that it did not change since it was last read:
    an unchanged ``up`` then costs an ``lstat`` per file.

    Args:
        source_dir: the context root.
        roots: only files at or below these relative paths (files or
            directories; ``.`` = everything). Default: everything.
        include: relative paths of files allowed past the credential guard.
        use_cache: read and update the digest cache (the result is the same either way).

    Returns:
        The sorted context, each regular file with its ``digest``.

    Raises:
        PackagingError: ``source_dir`` is not a directory; a directory or file
            in the context cannot be read (it is named, never silently left out).
        CredentialFileError: files that look like credentials by name or
            content, not named in ``include``; all of them at once.
    """
    root = os.path.abspath(source_dir)
    if not os.path.isdir(root):
        raise PackagingError(f"source_dir {str(source_dir)!r} is not a directory")
    wanted = ["."] if roots is None else [posixpath.normpath(r) for r in roots]
    allowed = {posixpath.normpath(p) for p in include}
    rules = IgnoreRules.from_dir(root)
    cache = HashCache.open(root) if use_cache else None
    files: list[ContextFile] = []
    suspicious: list[tuple[str, str]] = []

    stack = [("", root)]
    while stack:
        prefix, dirpath = stack.pop()
        try:
            with os.scandir(dirpath) as listing:
                entries = list(listing)  # in any order: the files are sorted once, at the end
        except OSError as err:
            raise _unreadable(root, dirpath, err, "directory") from None
        # Every file of a directory under a root is wanted: no test per file.
        inside = _under(prefix[:-1] if prefix else ".", wanted)
        subdirs = []
        for entry in entries:
            name = entry.name
            rel = prefix + name
            if entry.is_dir(follow_symlinks=False):  # a symlinked directory travels as a link
                if (
                    name in _NEVER_DIRS
                    or _is_venv(dirpath, name)
                    or not _leads_to(rel, wanted)
                    or rules.can_prune(rel)
                ):
                    continue
                subdirs.append((rel + "/", entry.path))
                continue
            if (
                name.endswith(_NEVER_SUFFIXES)
                or rel in _CONTROL_FILES
                or not (inside or _under(rel, wanted))
                or rules.is_ignored(rel)
            ):
                continue
            full = entry.path
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as err:
                raise _unreadable(root, full, err, "file") from None
            if stat.S_ISLNK(st.st_mode):
                files.append(ContextFile(rel, 0o777, full, os.readlink(full)))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # sockets, fifos: Docker skips them too
            digest, verdict = _digest(root, rel, full, st, cache)
            if rel not in allowed:
                reason = name_reason(rel) or verdict
                if reason is not None:
                    suspicious.append((rel, reason))
            mode = 0o755 if st.st_mode & stat.S_IXUSR else 0o644
            files.append(ContextFile(rel, mode, full, digest=digest))
        stack.extend(reversed(subdirs))
    if cache is not None:
        cache.save(wanted)
    if suspicious:
        raise CredentialFileError(suspicious)
    files.sort(key=attrgetter("path"))
    return BuildContext(root, tuple(files))


def _unreadable(root: str, path: str, err: OSError, kind: str) -> PackagingError:
    rel = os.path.relpath(path, root).replace(os.sep, "/")
    return PackagingError(
        f"cannot read the {kind} {rel!r} in {root} ({err.strerror or err}): it would be left "
        "out of the image. Make it readable, or leave it out with .dockerignore or .gcloudignore"
    )


def _digest(
    root: str, rel: str, full: str, st: os.stat_result, cache: HashCache | None
) -> tuple[str, str | None]:
    """(sha256 hex, credential verdict of the content) of one file: cached, or read once."""
    if cache is not None and (hit := cache.lookup(rel, st)) is not None:
        return hit
    read_ns = time.time_ns()
    try:
        with open(full, "rb", buffering=0) as fh:
            before = os.fstat(fh.fileno())
            h = hashlib.sha256()
            scanner = ContentScanner(rel)
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
                scanner.feed(chunk)
            after = os.fstat(fh.fileno())
    except OSError as err:
        raise _unreadable(root, full, err, "file") from None
    digest = h.hexdigest()
    # Cache only what was read from a file that held still, under the stat the walk sees
    # (size and times compared: a DirEntry's inode is 0 on Windows, the open file's is not).
    held_still = stat_key(before) == stat_key(after) and stat_key(st)[:3] == stat_key(before)[:3]
    if cache is not None and held_still:
        cache.record(rel, st, digest, scanner.verdict, read_ns)
    return digest, scanner.verdict


def single_file_context(path: str, name: str) -> ContextFile:
    """A one-file context (a bare script packaged alone), read once and guarded like a
    folder's files: a key pasted into a script is refused too.

    Raises:
        PackagingError: the file cannot be read.
        CredentialFileError: its content looks like a credential.
    """
    st = os.stat(path)
    digest, verdict = _digest(os.path.dirname(path), name, path, st, None)
    if verdict is not None:
        raise CredentialFileError(
            [(os.path.basename(path), verdict)],
            "Take the secret out of the script (Secret Manager, or an environment "
            "variable of the job).",
        )
    return ContextFile(name, 0o755 if st.st_mode & stat.S_IXUSR else 0o644, path, digest=digest)


def _file_digest(source: str) -> bytes:
    h = hashlib.sha256()
    with open(source, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.digest()


def hash_context(context: BuildContext, dockerfile: str, base_image: str) -> str:
    """The content hash of an image's inputs: files, Dockerfile and base image.

    Each file contributes its relative path, its mode (``0o755``/``0o644``: only
    the executable bit counts) and its bytes; symlinks their target. mtimes,
    owners, the umask and the folder the tree lives in do not count.

    Returns:
        64 lowercase hex digits (sha256).
    """
    return hash_inputs(_HASH_VERSION, (base_image, dockerfile), context.files)


def hash_inputs(version: bytes, fields: Sequence[str], files: Sequence[ContextFile]) -> str:
    """The sha256 of a file set plus the text fields that shape what is built from it.

    ``version`` names the hash scheme (change it to invalidate every hash of a
    kind); each field counts with its length, so fields cannot bleed into each
    other. Files count as ``hash_context`` describes: relative path, mode and
    bytes (symlinks: their target), never mtimes or owners. A file's ``digest``
    (set by :func:`collect_context`) stands for its bytes; without one the file is read.

    Returns:
        64 lowercase hex digits.
    """
    h = hashlib.sha256(version)
    for text in fields:
        data = text.encode()
        h.update(len(data).to_bytes(8, "big") + data)
    parts: list[bytes] = []
    for f in files:
        parts.append(f.path.encode() + b"\0" + b"%o\0" % f.mode)
        if f.link_target is not None:
            parts.append(b"L" + f.link_target.encode() + b"\n")
        else:
            known = bytes.fromhex(f.digest) if f.digest else _file_digest(f.source)
            parts.append(b"F" + known + b"\n")
    h.update(b"".join(parts))
    return h.hexdigest()


def tar_info(name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
    """A tar header with nothing of this machine in it: fixed mtime, owner 0, no names."""
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, size
    info.mtime, info.uid, info.gid, info.uname, info.gname = SOURCE_DATE_EPOCH, 0, 0, "", ""
    return info


def write_context_tar(context: BuildContext, dockerfile: str, dest: BinaryIO) -> None:
    """Write the build context plus the Dockerfile as a deterministic tar to ``dest``.

    Fixed mtime, uid/gid 0 and modes; parent directories as ``0o755`` entries.
    A ``.dockerignore`` naming the Dockerfile and itself makes the daemon drop
    both before any COPY, so ``COPY . .`` ships exactly the hashed files.
    """
    with tarfile.open(fileobj=dest, mode="w", format=tarfile.PAX_FORMAT) as tar:
        control = f"{DOCKERFILE_NAME}\n.dockerignore\n".encode()
        for name, data in ((".dockerignore", control), (DOCKERFILE_NAME, dockerfile.encode())):
            tar.addfile(tar_info(name, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
        written_dirs: set[str] = set()
        for f in context.files:
            parent = posixpath.dirname(f.path)
            missing = []
            while parent and parent not in written_dirs:
                missing.append(parent)
                parent = posixpath.dirname(parent)
            for d in reversed(missing):
                tar.addfile(tar_info(d, tarfile.DIRTYPE, 0o755))
                written_dirs.add(d)
            if f.link_target is not None:
                info = tar_info(f.path, tarfile.SYMTYPE, 0o777)
                info.linkname = f.link_target
                tar.addfile(info)
                continue
            size = os.path.getsize(f.source)
            with open(f.source, "rb") as fh:
                tar.addfile(tar_info(f.path, tarfile.REGTYPE, f.mode, size), fh)
