"""Ignore rules for a build context: ``.dockerignore`` and ``.gcloudignore``.

``.dockerignore`` follows Docker's rules (patterns anchored at the context
root, Go ``filepath.Match`` syntax plus ``**``, ``!`` re-includes, the last
matching pattern wins, a pattern that matches a directory excludes all below
it). ``.gcloudignore`` follows gitignore rules (gcloud's), including its
``#!include:FILE`` directive. A path is ignored when either file ignores it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import pathspec


def _translate(pattern: str) -> str:
    """A Docker ignore pattern (Go filepath.Match + ``**``) as a regex."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if pattern.startswith("/", i):
                    i += 1
                    out.append("(?:.*/)?")  # `**/` matches zero or more directories
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class _DockerRule:
    regex: re.Pattern[str]
    exclusion: bool  # a `!pattern` re-includes


class DockerIgnore:
    """Docker's ``.dockerignore`` matcher (see ``moby/patternmatcher``)."""

    def __init__(self, lines: list[str]) -> None:
        rules: list[_DockerRule] = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            line = posixpath.normpath(line).lstrip("/")
            if line in ("", "."):
                continue
            rules.append(_DockerRule(re.compile(_translate(line) + r"\Z"), exclusion))
        self._rules = tuple(rules)

    @property
    def has_exclusions(self) -> bool:
        """True when some ``!`` pattern could re-include a path below an ignored directory."""
        return any(r.exclusion for r in self._rules)

    def matches(self, path: str) -> bool:
        """True when ``path`` (relative, POSIX) is ignored."""
        if not self._rules:
            return False
        # A pattern matching a parent directory also matches everything below it.
        candidates = [path]
        parent = posixpath.dirname(path)
        while parent:
            candidates.append(parent)
            parent = posixpath.dirname(parent)
        ignored = False
        for rule in self._rules:
            if any(rule.regex.match(c) for c in candidates):
                ignored = not rule.exclusion
        return ignored


def _gcloudignore_lines(path: Path, seen: set[Path]) -> list[str]:
    # `#!include:.gitignore` pulls another file's patterns in (gcloud feature).
    lines: list[str] = []
    resolved = path.resolve()
    if resolved in seen or not path.is_file():
        return lines
    seen.add(resolved)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#!include:"):
            lines += _gcloudignore_lines(path.parent / line[len("#!include:") :].strip(), seen)
        else:
            lines.append(line)
    return lines


class IgnoreRules:
    """The union of a context's ``.dockerignore`` and ``.gcloudignore`` rules."""

    def __init__(self, dockerignore: list[str], gcloudignore: list[str]) -> None:
        self._docker = DockerIgnore(dockerignore)
        self._gcloud = pathspec.GitIgnoreSpec.from_lines(gcloudignore)
        self._gcloud_negates = any(line.lstrip().startswith("!") for line in gcloudignore)
        self._gcloud_empty = all(p.include is None for p in self._gcloud.patterns)

    @classmethod
    def from_dir(cls, root: str | Path) -> IgnoreRules:
        """Read ``.dockerignore`` and ``.gcloudignore`` at the context root (absent = empty)."""
        root = Path(root)
        docker_file = root / ".dockerignore"
        docker = (
            docker_file.read_text(encoding="utf-8", errors="replace").splitlines()
            if docker_file.is_file()
            else []
        )
        return cls(docker, _gcloudignore_lines(root / ".gcloudignore", set()))

    def is_ignored(self, path: str, *, is_dir: bool = False) -> bool:
        """True when either file ignores ``path`` (relative, POSIX)."""
        if self._docker.matches(path):
            return True
        if self._gcloud_empty:
            return False
        return bool(self._gcloud.match_file(path + "/" if is_dir else path))

    def can_prune(self, path: str) -> bool:
        """True when an ignored directory can be skipped without looking inside."""
        # A `!` rule might re-include something below; then walk it (Docker does too).
        return self.is_ignored(path, is_dir=True) and not (
            self._docker.has_exclusions or self._gcloud_negates
        )
