"""``pulumi_vertex_training`` imports its public names on first use (PEP 562).

So ``vertex-local`` (``pulumi_vertex_training.emulator``, a subpackage: Python imports
the parent first) starts without importing the Pulumi SDK and the components.
"""

from __future__ import annotations

import subprocess
import sys

import pulumi_vertex_training as vt


def test_every_public_name_resolves_to_what_its_module_defines() -> None:
    for name in vt.__all__:
        value = getattr(vt, name)
        assert value.__name__ == name, name
    assert set(vt.__all__) <= set(dir(vt))


def test_the_emulator_and_a_bare_import_load_no_pulumi_sdk() -> None:
    code = (
        "import sys, pulumi_vertex_training, pulumi_vertex_training.emulator.server;"
        "print(sorted(m for m in sys.modules if m == 'pulumi' or m.startswith('pulumi.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
