"""The lexical side of the list filter language (``filters.py``): tokens, quoted
strings, RFC 3339 timestamps, ``*`` wildcards and comparisons; and the error every
filter problem is (INVALID_ARGUMENT, with a ``filter`` field violation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pulumi_vertex_training.emulator.exceptions import InvalidArgument

# --- tokens -------------------------------------------------------------------------------

OPERATORS = ("<=", ">=", "!=", "=", "<", ">", ":")
WORD_STOP = frozenset(' \t\r\n()"=<>!:')
KEYWORDS = frozenset({"AND", "OR", "NOT"})


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "op", "(", ")", "AND", "OR", "NOT", "end"
    text: str
    pos: int

    def describe(self) -> str:
        return "the end of the filter" if self.kind == "end" else f"{self.text!r}"


def error(text: str, pos: int, what: str) -> InvalidArgument:
    """INVALID_ARGUMENT for ``what`` at ``pos`` (0-based) of the filter ``text``."""
    message = f"Invalid filter {text!r}: {what} at position {pos}."
    return InvalidArgument(message, [("filter", message)])


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "()":
            tokens.append(Token(c, c, i))
            i += 1
            continue
        if c == '"':
            start = i
            value, i = read_string(text, i)
            tokens.append(Token("string", value, start))
            continue
        op = next((o for o in OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("op", op, i))
            i += len(op)
            continue
        if c == "!":
            raise error(text, i, "'!' must be followed by '=' (use NOT to negate)")
        # A '-' that begins a term negates it (AIP-160); after an operator it is part of a value.
        if c == "-" and not (tokens and tokens[-1].kind == "op"):
            tokens.append(Token("NOT", "-", i))
            i += 1
            continue
        start = i
        while i < n and text[i] not in WORD_STOP:
            i += 1
        word = text[start:i]
        kind = word if word in KEYWORDS else "word"
        tokens.append(Token(kind, word, start))
    tokens.append(Token("end", "", n))
    return tokens


def read_string(text: str, start: int) -> tuple[str, int]:
    """Reads the quoted string opening at ``start``; returns its value and the index after it."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in '"\\':
                raise error(text, i, 'unsupported escape (only \\" and \\\\ are allowed)')
            out.append(text[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    raise error(text, start, "unterminated string")


# --- values -------------------------------------------------------------------------------

RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_timestamp(value: str) -> tuple[int, int] | None:
    """``(seconds, nanos)`` since the epoch for an RFC 3339 timestamp, or None if malformed."""
    m = RFC3339.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        moment -= offset if m.group(9) == "+" else -offset
    nanos = int((m.group(7) or "0").ljust(9, "0"))
    return int(moment.timestamp()), nanos


def wildcard(pattern: str) -> Callable[[str], bool]:
    """Whole-string match where ``*`` is any run of characters and nothing else is special."""
    regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
    return lambda s: regex.fullmatch(s) is not None


def compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)
