"""spec/ stays pure: no pulumi import anywhere, Google types only lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pulumi_vertex_training.spec as spec_package

SPEC_DIR = Path(spec_package.__file__).parent
MODULES = sorted(SPEC_DIR.glob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_spec_module_never_imports_pulumi(module: Path) -> None:
    names = _imports(ast.parse(module.read_text()))
    assert not [n for n in names if n == "pulumi" or n.startswith("pulumi.")]


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_spec_module_imports_google_only_inside_functions(module: Path) -> None:
    tree = ast.parse(module.read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not [
        n for n in _imports(ast.Module(body=top, type_ignores=[])) if n.startswith("google")
    ]
