"""The list filter language of Vertex AI (an AIP-160 subset), compiled to a predicate.

``compile_filter('state="JOB_STATE_SUCCEEDED" AND labels.team:*')`` returns a
function of a ``CustomJob`` that says whether the job matches. Errors are
:class:`~pulumi_vertex_training.emulator.exceptions.InvalidArgument` naming the
position (0-based character offset into the filter) and the offending token, with
one field violation for ``filter``. Tokens, strings and values are in
``filter_syntax.py``.

What is understood (the fields ``ListCustomJobsRequest.filter`` documents):

* ``display_name`` with ``=``, ``!=`` (exact) and ``:`` (``*`` matches any run of
  characters, the whole name must match: ``display_name:"train-*"``);
* ``state`` with ``=``, ``!=`` and an enum name, quoted or not
  (``state=JOB_STATE_FAILED``); an unknown name is an error;
* ``create_time`` with ``= != < <= > >=`` and a quoted RFC 3339 timestamp
  (``create_time>"2024-01-01T00:00:00Z"``), compared at nanosecond precision;
* ``labels.KEY=value`` / ``labels.KEY!=value`` (a job without the label is "not
  equal"), ``labels.KEY:*`` (has the key), ``labels.KEY:value`` (wildcards as for
  ``display_name``), and ``labels:KEY`` (has the key, AIP-160's map form).

Field names may be written in camelCase too (``displayName``, ``createTime``), as the
SDK documents for ``list(filter=...)``; a label key is matched as written
(``labels.myKey`` is the key ``myKey``).

Restrictions combine with ``AND``, ``OR``, ``NOT`` (or a ``-`` prefix) and
parentheses, with AIP-160's precedence: ``OR`` binds tighter than ``AND``, so
``a AND b OR c`` means ``a AND (b OR c)``; restrictions side by side with no
operator are ANDed (AIP-160 "sequences"). Keywords are upper case. Strings are
double-quoted, with ``\\"`` and ``\\\\`` as the only escapes. An empty or blank
filter matches everything.

Bounds (INVALID_ARGUMENT past them, never a RecursionError): at most
:data:`MAX_FILTER_LENGTH` characters and :data:`MAX_FILTER_DEPTH` nested parentheses.
Vertex documents neither; real filters are a few restrictions deep.

The fields are a table (:data:`CUSTOM_JOB_FIELDS`): another resource with
``display_name``/``state``/``create_time``/``labels`` (PersistentResource) gets
its own table and passes it to :func:`compile_filter`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from google.cloud import aiplatform_v1

from pulumi_vertex_training.emulator import filter_syntax as syn
from pulumi_vertex_training.emulator.exceptions import InvalidArgument

Predicate = Callable[[Any], bool]
"""A compiled filter: takes a proto-plus message (or its raw protobuf) and says if it matches."""

MAX_FILTER_LENGTH = 8192
"""The longest filter compiled (characters)."""
MAX_FILTER_DEPTH = 32
"""The most parentheses nested in a filter (the parser recurses once per level)."""

_EQUALITY = frozenset({"=", "!="})
_ORDERING = frozenset({"=", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True)
class FieldSpec:
    """How one filterable field is read and compared.

    ``kind`` is ``"string"``, ``"enum"``, ``"timestamp"`` or ``"labels"``; ``getter``
    reads the value from the raw protobuf message (an ``int`` for enums, a
    ``Timestamp`` for timestamps, a ``str -> str`` map for labels); ``enum`` names
    the proto-plus enum whose value names are allowed (``kind == "enum"`` only).
    """

    kind: str
    getter: Callable[[Any], Any]
    operators: frozenset[str]
    enum: Any = None


CUSTOM_JOB_FIELDS: Mapping[str, FieldSpec] = {
    "display_name": FieldSpec("string", lambda m: m.display_name, frozenset({"=", "!=", ":"})),
    "state": FieldSpec("enum", lambda m: m.state, _EQUALITY, enum=aiplatform_v1.JobState),
    "create_time": FieldSpec("timestamp", lambda m: m.create_time, _ORDERING),
    "labels": FieldSpec("labels", lambda m: m.labels, frozenset({"=", "!=", ":"})),
}
"""The fields ListCustomJobs filters on, as the service documents them."""


# --- parser -------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over AIP-160: expression = sequence {AND sequence};
    sequence = factor {factor}; factor = term {OR term}; term = [NOT|-] simple;
    simple = restriction | "(" expression ")"."""

    def __init__(self, text: str, fields: Mapping[str, FieldSpec]) -> None:
        self.text = text
        self.fields = fields
        self.tokens = syn.tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> syn.Token:
        return self.tokens[self.i]

    def take(self) -> syn.Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, tok: syn.Token, what: str) -> InvalidArgument:
        return syn.error(self.text, tok.pos, what)

    def parse(self) -> Predicate:
        pred = self.expression()
        tok = self.peek()
        if tok.kind != "end":
            raise self.fail(tok, f"unexpected {tok.describe()}")
        return pred

    def expression(self) -> Predicate:
        parts = [self.sequence()]
        while self.peek().kind == "AND":
            self.take()
            parts.append(self.sequence())
        return _all(parts)

    def sequence(self) -> Predicate:
        parts = [self.factor()]
        while self.peek().kind in ("word", "string", "(", "NOT"):
            parts.append(self.factor())
        return _all(parts)

    def factor(self) -> Predicate:
        parts = [self.term()]
        while self.peek().kind == "OR":
            self.take()
            parts.append(self.term())
        return _any(parts)

    def term(self) -> Predicate:
        if self.peek().kind == "NOT":
            self.take()
            inner = self.simple()
            return lambda m: not inner(m)
        return self.simple()

    def simple(self) -> Predicate:
        tok = self.peek()
        if tok.kind == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_FILTER_DEPTH:
                raise self.fail(tok, f"more than {MAX_FILTER_DEPTH} nested parentheses")
            inner = self.expression()
            self.depth -= 1
            close = self.take()
            if close.kind != ")":
                raise self.fail(
                    close,
                    f"expected ')' to close '(' at position {tok.pos}, found {close.describe()}",
                )
            return inner
        return self.restriction()

    def restriction(self) -> Predicate:
        field_tok = self.take()
        if field_tok.kind != "word":
            raise self.fail(field_tok, f"expected a field name, found {field_tok.describe()}")
        name, _, key = field_tok.text.partition(".")
        spec = self.fields.get(snake_case(name))  # the map key (labels.KEY) is kept as is
        if spec is None or (key and spec.kind != "labels") or (not key and "." in field_tok.text):
            allowed = ", ".join(
                f + (".KEY" if s.kind == "labels" else "") for f, s in sorted(self.fields.items())
            )
            raise self.fail(
                field_tok,
                f"unknown field {field_tok.text!r} (allowed: {allowed}; or in camelCase)",
            )
        op_tok = self.take()
        if op_tok.kind != "op":
            raise self.fail(
                op_tok,
                f"expected a comparison operator after {field_tok.text!r}, "
                f"found {op_tok.describe()}",
            )
        if op_tok.text not in spec.operators or (
            spec.kind == "labels" and not key and op_tok.text != ":"
        ):
            ops = (
                "':'"
                if spec.kind == "labels" and not key
                else ", ".join(f"'{o}'" for o in sorted(spec.operators))
            )
            raise self.fail(
                op_tok,
                f"operator '{op_tok.text}' is not supported for "
                f"{field_tok.text!r} (allowed: {ops})",
            )
        value_tok = self.take()
        if value_tok.kind not in ("word", "string"):
            raise self.fail(
                value_tok, f"expected a value after '{op_tok.text}', found {value_tok.describe()}"
            )
        return self.build(spec, field_tok.text, key, op_tok.text, value_tok)

    def build(self, spec: FieldSpec, field: str, key: str, op: str, tok: syn.Token) -> Predicate:
        get = spec.getter
        value = tok.text
        if spec.kind == "string":
            if op == ":":
                match = syn.wildcard(value)
                return lambda m: match(get(m))
            return lambda m: syn.compare(op, get(m), value)
        if spec.kind == "enum":
            names = [n for n in spec.enum.__members__ if not n.endswith("_UNSPECIFIED")]
            if value not in spec.enum.__members__:
                raise self.fail(tok, f"unknown {field} {value!r} (allowed: {', '.join(names)})")
            number = int(spec.enum[value])
            return lambda m: syn.compare(op, int(get(m)), number)
        if spec.kind == "timestamp":
            if tok.kind != "string":
                raise self.fail(
                    tok,
                    f"{field} must be compared with a quoted RFC 3339 "
                    f'timestamp like "2024-01-31T12:00:00Z", found {value!r}',
                )
            moment = syn.parse_timestamp(value)
            if moment is None:
                raise self.fail(
                    tok,
                    f"{value!r} is not an RFC 3339 timestamp "
                    f'(like "2024-01-31T12:00:00Z" or "2024-01-31T12:00:00.5+02:00")',
                )
            return lambda m: syn.compare(op, (get(m).seconds, get(m).nanos), moment)
        # labels
        if not key:  # labels:KEY, has key
            return lambda m: value in get(m)
        if op == ":":
            if value == "*" and tok.kind == "word":
                return lambda m: key in get(m)
            match = syn.wildcard(value)
            return lambda m: key in get(m) and match(get(m)[key])
        if op == "=":
            return lambda m: get(m).get(key) == value
        return lambda m: get(m).get(key) != value


def snake_case(name: str) -> str:
    """A field name as the table keys it: ``displayName`` -> ``display_name`` (AIP-160
    and the SDK's ``list(filter=...)`` docs: "both snake_case and camelCase are supported")."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _all(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    return lambda m: all(p(m) for p in parts)


def _any(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    return lambda m: any(p(m) for p in parts)


def compile_filter(text: str, fields: Mapping[str, FieldSpec] = CUSTOM_JOB_FIELDS) -> Predicate:
    """Compiles a ListCustomJobs-style ``filter`` into a predicate over messages.

    The predicate accepts a proto-plus message (``aiplatform_v1.CustomJob``) or its raw
    protobuf. Raises ``InvalidArgument`` naming the position and token on bad syntax,
    unknown fields, unsupported operators, unknown enum names or malformed timestamps.
    """
    if len(text) > MAX_FILTER_LENGTH:
        message = (
            f"Invalid filter: {len(text)} characters; at most {MAX_FILTER_LENGTH} are allowed."
        )
        raise InvalidArgument(message, [("filter", message)])
    if not text.strip():
        return lambda m: True
    pred = _Parser(text, fields).parse()

    def matches(message: Any) -> bool:
        raw = type(message).pb(message) if hasattr(type(message), "pb") else message
        return pred(raw)

    return matches


__all__ = [
    "CUSTOM_JOB_FIELDS",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_LENGTH",
    "FieldSpec",
    "Predicate",
    "compile_filter",
]
