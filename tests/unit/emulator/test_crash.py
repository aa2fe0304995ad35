"""The crash points of ``vertex-local serve`` (tests only): parsing and re-arming."""

from __future__ import annotations

import pathlib

import pytest

from pulumi_vertex_training.emulator import crash


@pytest.fixture
def deaths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The crashes that would have happened (the process is not killed)."""
    seen: list[str] = []
    monkeypatch.setattr(crash, "_die", lambda point: seen.append(repr(point)))
    return seen


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("start", "expected KIND:N:WHEN"),
        ("start:x:before", "expected KIND:N:WHEN"),
        ("remove:1:before", "KIND one of create_network, create_container, start"),
        ("start:0:before", "N >= 1"),
        ("start:1:later", "WHEN one of before, during, after"),
    ],
)
def test_a_bad_spec_is_refused_saying_what_is_allowed(spec: str, says: str) -> None:
    with pytest.raises(crash.CrashSpecError, match=says):
        crash.from_environment({crash.ENV_VAR: spec})


def test_no_spec_crashes_nowhere() -> None:
    assert crash.from_environment({}) is None
    assert crash.from_environment({crash.ENV_VAR: "  "}) is None


def test_an_after_point_crashes_once_the_nth_call_of_its_kind_was_answered(
    deaths: list[str],
) -> None:
    point = crash.from_environment({crash.ENV_VAR: "create_container:2:after"})
    assert point is not None
    point.before("create_network")
    point.after("create_network")
    point.before("create_container")
    point.after("create_container")
    point.before("create_container")
    assert deaths == []  # not before the engine answered
    point.after("create_container")
    assert deaths == ["create_container:2:after"]


def test_a_crash_file_is_read_again_and_its_count_starts_over_when_it_changes(
    tmp_path: pathlib.Path, deaths: list[str]
) -> None:
    armed = tmp_path / "crash-at.txt"  # missing: crashes nowhere
    hook = crash.from_environment({crash.ENV_VAR: f"@{armed}"})
    assert isinstance(hook, crash.CrashFile)
    hook.before("start")
    armed.write_text("start:2:before\n")
    hook.before("start")
    assert deaths == []  # the count started when the file changed: this was the first
    hook.before("start")
    assert deaths == ["start:2:before"]

    armed.write_text("")  # disarmed: a recovering process makes the same calls safely
    for _ in range(3):
        hook.before("start")
    armed.write_text("start:1:before")
    hook.before("start")
    assert deaths == ["start:2:before", "start:1:before"]


def test_a_bad_spec_already_in_the_crash_file_is_refused_at_start(tmp_path: pathlib.Path) -> None:
    armed = tmp_path / "crash-at.txt"
    armed.write_text("start:1:someday")
    with pytest.raises(crash.CrashSpecError, match="WHEN one of"):
        crash.from_environment({crash.ENV_VAR: f"@{armed}"})
