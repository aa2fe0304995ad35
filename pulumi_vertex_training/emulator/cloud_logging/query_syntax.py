"""The Cloud Logging query language, parsed: tokens and a tree, no meaning yet.

Grammar (https://cloud.google.com/logging/docs/view/logging-query-language)::

    query       = conjunction
    conjunction = disjunction { ["AND"] disjunction }      side by side means AND
    disjunction = negation { "OR" negation }
    negation    = ("NOT" | "-") negation | primary
    primary     = "(" conjunction ")" | comparison | term
    comparison  = path OP value          OP: = != < <= > >= : =~ !~
    value       = word | string | "(" value { ["AND" | "OR"] value } ")"
    term        = word | string          a global restriction: matches any field

Precedence is Cloud Logging's: ``NOT`` first, then ``OR``, then ``AND``, so
``a AND b OR c`` is ``a AND (b OR c)``, the reverse of most languages. Keywords
are upper case (``and`` is a search term). A path is dotted; a segment with
special characters is quoted: ``labels."ml.googleapis.com/job_id"``.

Bounds: a filter longer than :data:`MAX_LENGTH` characters (Cloud Logging's
documented limit) or nesting deeper than :data:`MAX_DEPTH` is refused, so no
request can make the parser recurse without end.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LENGTH = 20_000
"""Longest filter accepted, in characters (Cloud Logging's limit)."""
MAX_DEPTH = 64
"""Deepest nesting of parentheses and negations accepted."""

_OPERATORS = ("=~", "!~", ">=", "<=", "!=", "=", "<", ">", ":")
_STOP = frozenset(' \t\r\n()"=<>!:~')
_KEYWORDS = frozenset({"AND", "OR", "NOT"})


class QuerySyntaxError(ValueError):
    """The filter is not in the language; the message says where and why."""


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "op", "(", ")", "AND", "OR", "NOT", "end"
    text: str
    pos: int
    path: tuple[str, ...] = ()  # for words: the dotted segments, quoted ones unquoted


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool


@dataclass(frozen=True)
class ValueList:
    join: str  # "AND" or "OR"
    items: tuple[Value, ...]


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: str
    value: Value | ValueList
    pos: int


@dataclass(frozen=True)
class Term:
    text: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Comparison | Term | Not | And | Or


def parse(text: str) -> Node | None:
    """The tree of a filter; None for an empty one (it matches everything).

    Raises:
        QuerySyntaxError: the filter is too long, too deep, or not in the language.
    """
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(
            f"the filter is {len(text)} characters long; at most {MAX_LENGTH} are allowed"
        )
    parser = _Parser(text, tokenize(text))
    if parser.peek().kind == "end":
        return None
    node = parser.conjunction(0)
    if parser.peek().kind != "end":
        raise parser.error(f"unexpected {parser.peek().text!r}")
    return node


def tokenize(text: str) -> list[Token]:
    """The filter's tokens, ending with an ``end`` token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(Token(c, c, i))
            i += 1
        elif c == '"':
            value, end = _read_string(text, i)
            tokens.append(Token("string", value, i))
            i = end
        elif (op := next((o for o in _OPERATORS if text.startswith(o, i)), None)) is not None:
            tokens.append(Token("op", op, i))
            i += len(op)
        elif c == "-" and i + 1 < n and not text[i + 1].isspace() and not _after_op(tokens):
            tokens.append(Token("NOT", "-", i))  # "-severity=INFO" negates; "a-b" is a word
            i += 1
        elif c in "!~":
            raise QuerySyntaxError(f"unexpected {c!r} at position {i}")
        else:
            start, path = i, []
            segment_start = i
            while i < n and text[i] not in _STOP:
                if text[i] == "." and i + 1 < n and text[i + 1] == '"':
                    path.append(text[segment_start:i])
                    quoted, i = _read_string(text, i + 1)
                    path.append(quoted)
                    segment_start = i
                    if i < n and text[i] == ".":
                        i += 1
                        segment_start = i
                    continue
                i += 1
            word = text[start:i]
            tail = text[segment_start:i]
            if tail or not path:
                path.extend(tail.split("."))
            kind = word if word in _KEYWORDS else "word"
            tokens.append(Token(kind, word, start, tuple(path)))
    tokens.append(Token("end", "", n))
    return tokens


def _after_op(tokens: list[Token]) -> bool:
    return bool(tokens) and tokens[-1].kind == "op"


def _read_string(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    escapes = {"n": "\n", "t": "\t", "r": "\r"}
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]  # other escapes stay as written: regexes keep their \d
            out.append(escapes.get(nxt, nxt if nxt in '"\\' else "\\" + nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    raise QuerySyntaxError(f"unterminated string at position {start}")


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def error(self, what: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"{what} at position {self.peek().pos}")

    def _deeper(self, depth: int) -> int:
        if depth >= MAX_DEPTH:
            raise self.error(f"the filter nests deeper than {MAX_DEPTH} levels")
        return depth + 1

    def conjunction(self, depth: int) -> Node:
        items = [self.disjunction(depth)]
        while self.peek().kind not in ("end", ")"):
            if self.peek().kind == "AND":
                self.take()
            items.append(self.disjunction(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def disjunction(self, depth: int) -> Node:
        items = [self.negation(depth)]
        while self.peek().kind == "OR":
            self.take()
            items.append(self.negation(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def negation(self, depth: int) -> Node:
        if self.peek().kind == "NOT":
            self.take()
            return Not(self.negation(self._deeper(depth)))
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        token = self.peek()
        if token.kind == "(":
            self.take()
            node = self.conjunction(self._deeper(depth))
            if self.take().kind != ")":
                raise QuerySyntaxError(f"unbalanced '(' at position {token.pos}")
            return node
        if token.kind == "word" and self.peek(1).kind == "op":
            self.take()
            op = self.take()
            return Comparison(token.path, op.text, self.value(), token.pos)
        if token.kind in ("word", "string"):
            self.take()
            return Term(token.text)
        raise self.error(f"expected a comparison or a term, found {token.text or 'the end'!r}")

    def value(self) -> Value | ValueList:
        token = self.take()
        if token.kind in ("word", "string"):
            return Value(token.text, token.kind == "string")
        if token.kind != "(":
            raise QuerySyntaxError(f"expected a value at position {token.pos}")
        items: list[Value] = []
        joins: set[str] = set()
        while self.peek().kind != ")":
            if self.peek().kind in ("AND", "OR") and items:
                joins.add(self.take().kind)
                continue
            item = self.take()
            if item.kind not in ("word", "string"):
                raise QuerySyntaxError(f"expected a value at position {item.pos}")
            items.append(Value(item.text, item.kind == "string"))
        self.take()
        if not items or len(joins) > 1:
            raise QuerySyntaxError(
                f"a value list holds values joined by one of AND or OR, at position {token.pos}"
            )
        return ValueList(joins.pop() if joins else "AND", tuple(items))
