"""Label rules as Vertex AI applies them (settled in emulator/COVERAGE.md, "Labels").

Keys and values: at most 63 characters and under 128 bytes in UTF-8 (Vertex's own
INVALID_ARGUMENT text: "must be less than 64 characters in length, and must be less
that 128 bytes in length when encoded in UTF-8"); lowercase letters (Unicode category
Ll), letters without case (Lo, Lm), numbers (Nd, Nl, No), '_' and '-'; keys start with
such a letter. A key starting with a digit is a warning: the general label rules refuse
it, Vertex's message says "must start with a letter or number".
"""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vertex_training.spec import normalize_custom_job, normalize_persistent_resource
from tests.unit.spec.spec_cases import make_job, make_resource, mutate


def _findings(labels: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    normalized = normalize_custom_job(mutate(make_job(), "labels", labels))
    return (
        {f.path: f.message for f in normalized.failures},
        {w.path: w.message for w in getattr(normalized, "warnings", [])},
    )


@pytest.mark.parametrize(
    "labels",
    [
        {"a" * 63: "b" * 63},
        {"team": "中" * 42},  # 42 characters, 126 bytes
        {"équipe": "données", "ʰkey": "ʰ"},  # Ll and Lm letters
        {"k": "ⅻ-²-٣"},  # numbers of categories Nl, No, Nd
        {"team": ""},
    ],
)
def test_labels_within_the_rules_are_accepted(labels: dict[str, str]) -> None:
    assert _findings(labels) == ({}, {})


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"a" * 64: "v"}, "label keys are at most 63 characters, got 64 (got '" + "a" * 64 + "')"),
        (
            {"k": "v" * 64},
            "label values are at most 63 characters, got 64 (got '" + "v" * 64 + "')",
        ),
        (
            {"team": "中" * 43},
            "label values are under 128 bytes in UTF-8, got 129 (got '" + "中" * 43 + "')",
        ),
        (
            {"中" * 43: "v"},
            "label keys are under 128 bytes in UTF-8, got 129 (got '" + "中" * 43 + "')",
        ),
        (
            {"aǅ": "v"},
            "label keys may contain only lowercase letters, digits, '_' and '-' "
            "(international letters allowed) (got 'aǅ')",
        ),
        (
            {"k": "ǅ"},
            "label values may contain only lowercase letters, digits, '_' and '-' "
            "(international letters allowed) (got 'ǅ')",
        ),
    ],
)
def test_labels_breaking_a_rule_are_refused(labels: dict[str, str], message: str) -> None:
    failures, _ = _findings(labels)
    assert list(failures.values()) == [message]


def test_a_key_starting_with_a_digit_is_a_warning() -> None:
    failures, warnings = _findings({"1team": "ml"})
    assert failures == {}
    assert warnings == {
        'labels["1team"]': "label keys start with a lowercase letter by the general label "
        "rules; Vertex AI's own message says 'must start with a letter or number' (got '1team')"
    }


def test_persistent_resource_labels_follow_the_same_rules() -> None:
    resource: Any = mutate(make_resource(), "labels", {"team": "中" * 43})
    assert [f.path for f in normalize_persistent_resource(resource).failures] == ['labels["team"]']
