"""The in-process program runner leaves the Pulumi runtime as it found it."""

from __future__ import annotations

import pulumi
from pulumi.runtime import settings

from pulumi_vertex_training.testing import ProgramRunner


def test_a_run_puts_back_the_engine_so_later_log_lines_reach_stderr(capfd) -> None:  # type: ignore[no-untyped-def]
    before = settings.get_engine()
    ProgramRunner(lambda: pulumi.export("x", 1)).up()
    assert settings.get_engine() is before
    pulumi.log.info("after-the-run")
    assert "after-the-run" in capfd.readouterr().err
