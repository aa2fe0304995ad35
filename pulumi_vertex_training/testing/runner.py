"""ProgramRunner: preview / up / refresh / destroy a Pulumi program in-process."""

from __future__ import annotations

import json
import os
import runpy
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pulumi_vertex_training.testing.engine import Engine, MockCall, MockResource, Step


@dataclass(frozen=True)
class RunResult:
    """What one preview or up did: the stack outputs and the step per resource."""

    outputs: dict[str, Any]
    steps: list[Step]

    def ops(self, op: str | None = None) -> list[tuple[str, str]]:
        """``(op, resource name)`` pairs, optionally only those of one op."""
        return [(s.op, s.name) for s in self.steps if op is None or s.op == op]

    def changed(self) -> list[Step]:
        """Steps that change something (everything but ``same`` and ``read``)."""
        return [s for s in self.steps if s.op not in ("same", "read")]


class ProgramRunner:
    """Run a Pulumi program in-process, keeping state between calls like a stack.

    Dynamic resources (``vt.CustomJob``, ``vt.PersistentResource``, images, ...)
    run for real: their providers are unpickled from the program's inputs and
    called as the Pulumi engine calls them, against whatever Vertex AI the
    environment points at (``VERTEX_AI_EMULATOR_HOST`` for the local emulator).
    Other providers' resources (pulumi-gcp) are mocked through ``mock_resource``.

    Not modelled: state backends, secrets providers (secrets are marked in state
    where they are, as the CLI marks them, but not encrypted), policy packs,
    ``import``, ``protect``, ``retain_on_delete``, ``ignore_changes``,
    ``replace_on_changes``, aliases, parallelism limits and custom timeouts.

    Example:
        >>> def program():  # doctest: +SKIP
        ...     job = vt.CustomJob("train", job_spec={...}, wait="completed")
        ...     pulumi.export("state", job.state)
        >>> stack = ProgramRunner(program, config={"gcp:project": "p",
        ...                                        "gcp:region": "us-central1"})
        >>> stack.preview().ops()  # doctest: +SKIP
        [('create', 'train')]
        >>> stack.up().outputs["state"]  # doctest: +SKIP
        'JOB_STATE_SUCCEEDED'
        >>> stack.destroy()  # doctest: +SKIP

    Args:
        program: a zero-argument callable declaring resources (a Pulumi program).
        project: the Pulumi project name (``pulumi.get_project()``).
        stack: the stack name (``pulumi.get_stack()``).
        config: stack config with namespaced keys (``{"gcp:project": "p"}``).
        state_file: where state is kept between runs (JSON); in memory if None.
        mock_resource: id and outputs for non-dynamic resources (pulumi-gcp).
        mock_call: results of invokes (``gcp.organizations.get_project``, ...) from
            their ``token`` and ``args``; every invoke returns ``{}`` if None.
    """

    def __init__(
        self,
        program: Callable[[], Any],
        *,
        project: str = "project",
        stack: str = "dev",
        config: dict[str, str] | None = None,
        state_file: str | os.PathLike[str] | None = None,
        mock_resource: MockResource | None = None,
        mock_call: MockCall | None = None,
    ) -> None:
        self.program = program
        self.state_file = Path(state_file) if state_file else None
        state = None
        if self.state_file and self.state_file.exists():
            state = json.loads(self.state_file.read_text())
        self.engine = Engine(
            state,
            config=config,
            project=project,
            stack=stack,
            mock_resource=mock_resource,
            mock_call=mock_call,
        )

    @property
    def state(self) -> dict[str, Any]:
        """The saved state: ``{"resources": {key: {...}}, "outputs": {...}}`` (JSON).

        Each resource keeps ``type``, ``name``, ``id``, ``inputs``, ``outputs``, and the
        ``parent`` URN and ``dependencies`` (URNs) of its last registration. Secret values
        are kept marked where they are (``pulumi.runtime.rpc.is_rpc_secret``), as in the
        CLI's state; ``testing.wire.plain`` strips the marks.
        """
        return self.engine.state

    @property
    def config(self) -> dict[str, str]:
        """The stack config (namespaced keys); change it between runs as
        ``pulumi config set`` would."""
        return self.engine.config

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack outputs of the last up (secrets marked, see :attr:`state`)."""
        return dict(self.engine.state["outputs"])

    def resources(self, type_suffix: str = "") -> dict[str, dict[str, Any]]:
        """Saved resources by name, optionally only those whose type ends with a suffix."""
        return {
            r["name"]: r
            for r in self.engine.state["resources"].values()
            if r["type"].endswith(type_suffix)
        }

    def preview(self) -> RunResult:
        """Check and diff everything; create, update and delete nothing."""
        outputs, steps = self.engine.run(self.program, dry_run=True)
        return RunResult(outputs, steps)

    def up(self) -> RunResult:
        """Create, update, replace and delete until the state matches the program."""
        try:
            outputs, steps = self.engine.run(self.program, dry_run=False)
        finally:
            self._save()
        return RunResult(outputs, steps)

    def refresh(self) -> RunResult:
        """Read each resource's live state into the saved state."""
        try:
            steps = self.engine.refresh()
        finally:
            self._save()
        return RunResult(self.outputs, steps)

    def destroy(self) -> RunResult:
        """Delete every resource in reverse order of registration."""
        try:
            steps = self.engine.destroy()
        finally:
            self._save()
        return RunResult({}, steps)

    def _save(self) -> None:
        if self.state_file:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.engine.state, indent=2, sort_keys=True))
            tmp.replace(self.state_file)


def load_project(
    project_dir: str | os.PathLike[str], stack: str
) -> tuple[str, Callable[[], Any], dict[str, str]]:
    """Read a Pulumi project folder: (project name, program, stack config).

    The program runs the project's ``__main__.py`` (or ``main:`` file) with the
    project folder as working directory and on ``sys.path``, as the CLI does.
    """
    root = Path(project_dir).resolve()
    meta = yaml.safe_load((root / "Pulumi.yaml").read_text())
    name = str(meta["name"])
    main = root / str(meta.get("main", "."))
    entry = main / "__main__.py" if main.is_dir() else main
    if not entry.exists():
        raise FileNotFoundError(f"{root}: no program at {entry}")
    config: dict[str, str] = {}
    stack_file = root / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        stack_meta = yaml.safe_load(stack_file.read_text()) or {}
        for key, value in (stack_meta.get("config") or {}).items():
            full = key if ":" in key else f"{name}:{key}"
            config[full] = value if isinstance(value, str) else json.dumps(value)

    def program() -> None:
        with _working_directory(entry.parent):
            runpy.run_path(str(entry), run_name="__main__")

    return name, program, config


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before, before_path = os.getcwd(), list(sys.path)
    os.chdir(path)
    sys.path.insert(0, str(path))
    try:
        yield
    finally:
        os.chdir(before)
        sys.path[:] = before_path
