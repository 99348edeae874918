"""Imports only point down: core <- engines (fit, sim) <- domains <- app (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab"

LAYERS = {
    "core": 0,
    "fit": 1,
    "sim": 1,
    "assays": 2,
    "receptor": 2,
    "pkpd": 2,
    "combination": 2,
    "preclinical": 2,
    "clinical": 2,
    "compounds": 2,
    "examples": 2,
    "store": 3,
    "report": 3,
    "web": 3,
    "workflows": 3,
    "cli": 3,
    "commands": 3,
}
NAMES = {0: "core", 1: "engines", 2: "domains", 3: "app"}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "cxcr4lab" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _own_unit(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def test_every_package_has_a_layer() -> None:
    units = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if not p.name.startswith("_")}
    units -= {"py.typed"}
    assert units <= set(LAYERS), f"give these a layer in LAYERS: {units - set(LAYERS)}"
    assert {"core", "fit", "sim", "assays", "store", "report", "web", "cli"} <= units


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_point_down(path: Path) -> None:
    if path.parent == PACKAGE and path.name == "__init__.py":
        return
    own = _own_unit(path)
    level = LAYERS[own]
    for lineno, module in _imports(path):
        target = _unit(module)
        if target is None or target == own:
            continue
        assert LAYERS[target] <= level, (
            f"{path.relative_to(PACKAGE)}:{lineno} imports {module}: "
            f"{NAMES[level]} must not import {NAMES[LAYERS[target]]}"
        )


def test_the_checker_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from cxcr4lab.store import Store\nimport cxcr4lab.cli\n")
    targets = [_unit(m) for _, m in _imports(bad)]
    assert [LAYERS[t] for t in targets if t] == [3, 3]
