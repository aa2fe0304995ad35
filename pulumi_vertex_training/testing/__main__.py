"""``python -m pulumi_vertex_training.testing preview|up|refresh|destroy PROJECT_DIR``.

Runs a Pulumi project in-process (no Pulumi CLI), keeping its state in a JSON
file; used by the quickstart where the CLI cannot be installed. Secret outputs are
printed as ``[secret]``; the state file keeps them marked secret, not encrypted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from pulumi_vertex_training.testing.engine import CheckFailed
from pulumi_vertex_training.testing.runner import ProgramRunner, RunResult, load_project
from pulumi_vertex_training.testing.wire import secret_shown


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_vertex_training.testing",
        description="Run a Pulumi project in-process (no Pulumi CLI), state in a JSON file.",
    )
    parser.add_argument("command", choices=["preview", "up", "refresh", "destroy"])
    parser.add_argument("project_dir", nargs="?", default=".")
    parser.add_argument("--stack", default="local")
    parser.add_argument(
        "--state-file",
        help="where the stack's state is kept (default: PROJECT_DIR/.pulumi-state/STACK.json)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="  %(message)s", stream=sys.stderr)

    name, program, config = load_project(args.project_dir, args.stack)
    state_file = args.state_file or Path(args.project_dir) / ".pulumi-state" / f"{args.stack}.json"
    runner = ProgramRunner(
        program, project=name, stack=args.stack, config=config, state_file=state_file
    )
    print(f"{args.command}: project {name}, stack {args.stack} (in-process, no Pulumi CLI)")
    try:
        result: RunResult = getattr(runner, args.command)()
    except CheckFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for step in result.steps:
        print(f"  {step.op:<16} {step.type}  {step.name}")
    if result.outputs:
        print("Outputs:")
        for key, value in sorted(result.outputs.items()):
            value = secret_shown(value)  # secrets as [secret], as the Pulumi CLI shows them
            shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            print(f"  {key}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
