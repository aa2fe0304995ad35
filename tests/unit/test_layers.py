"""Data flows one way: program -> components -> provider -> spec/packaging -> client.

Every import in the package (top level or inside a function) is checked against the
layer table below, so a lower layer never reaches back up. The emulator stands apart:
it validates requests on its own, as Vertex AI does, and imports nothing of the rest.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pulumi_vertex_training

ROOT = Path(pulumi_vertex_training.__file__).parent
PACKAGE = "pulumi_vertex_training"

# What each layer may import from the package (besides itself).
MAY_IMPORT: dict[str, set[str]] = {
    "spec": set(),
    "client": set(),
    "packaging": {"spec", "client"},
    "provider": {"spec", "packaging", "client"},
    "components": {"provider", "spec", "packaging", "client"},
    "emulator": set(),
    "testing": set(),
    "__init__": {"components", "provider", "spec", "packaging"},
    "__main__": set(),
}
MODULES = sorted(p for p in ROOT.rglob("*.py"))


def _layer(module: Path) -> str:
    first = module.relative_to(ROOT).parts[0]
    return first.removesuffix(".py")


def _dotted(module: Path) -> list[str]:
    parts = [PACKAGE, *module.relative_to(ROOT).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(module: Path) -> list[str]:
    """Every package module name ``module`` imports, relative imports resolved."""
    here = _dotted(module)
    package = here if module.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, node.module] if node.module else base)
            found.append(name)
            found += [f"{name}.{a.name}" for a in node.names]
    return [n for n in found if n == PACKAGE or n.startswith(PACKAGE + ".")]


def _target_layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_its_own_layer_and_the_layers_below(module: Path) -> None:
    layer = _layer(module)
    allowed = MAY_IMPORT[layer] | {layer}
    reaching_up = {
        name
        for name in _imported(module)
        if _target_layer(name) not in allowed
        and not (_target_layer(name) == "__init__" and name == PACKAGE and layer != "__init__")
    }
    assert not reaching_up, f"{layer} may import {sorted(allowed)}; this imports {reaching_up}"


@pytest.mark.parametrize(
    "module",
    [m for m in MODULES if _layer(m) == "provider" and "resources" not in m.parts],
    ids=lambda p: p.name,
)
def test_providers_never_import_the_resource_classes(module: Path) -> None:
    # The resource classes register with providers; a provider needing one would be a cycle.
    assert not [n for n in _imported(module) if n.startswith(f"{PACKAGE}.provider.resources")]


def test_every_module_belongs_to_a_layer() -> None:
    assert {_layer(m) for m in MODULES} <= set(MAY_IMPORT)
