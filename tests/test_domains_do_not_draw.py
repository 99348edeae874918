"""Domains neither draw nor format (DESIGN.md): figures and display text live in the views
(``report/``, ``web/figures.py``, ``commands/``). Fails naming the file, line and name."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab"
DOMAINS = (
    "assays",
    "clinical",
    "combination",
    "compounds",
    "pkpd",
    "preclinical",
    "receptor",
    "studies",
)
DRAWING = ("matplotlib", "plotly", "seaborn")
VIEW_NAMES = ("_figure", "_svg", "_display", "_plot")


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(PACKAGE)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            names = []
        found += [f"{where}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in DRAWING]
        if isinstance(node, ast.FunctionDef) and node.name.endswith(VIEW_NAMES):
            found.append(f"{where}:{node.lineno} defines {node.name} (a view)")
    return found


def test_no_domain_module_draws_or_formats() -> None:
    offences = [
        o
        for domain in DOMAINS
        if (PACKAGE / domain).is_dir()
        for path in sorted((PACKAGE / domain).rglob("*.py"))
        for o in _offences(path)
    ]
    assert offences == []
