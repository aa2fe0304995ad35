"""Run Pulumi programs in-process, offline, against the local Vertex AI emulator.

``ProgramRunner`` is what this project's own end-to-end tests use, and what
users use to unit-test their training stacks without the Pulumi CLI or a cloud:
preview / up / refresh / destroy with state kept between calls, and the steps
of each run to assert on. ``python -m pulumi_vertex_training.testing up DIR``
runs a Pulumi project folder the same way.
"""

from pulumi_vertex_training.testing.engine import CheckFailed, Step
from pulumi_vertex_training.testing.runner import ProgramRunner, RunResult, load_project

__all__ = ["CheckFailed", "ProgramRunner", "RunResult", "Step", "load_project"]
