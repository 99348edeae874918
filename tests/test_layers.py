"""Imports only point down, by rank, within the domains too (DESIGN.md, "Layers").

Every package (and top-level module) of ``src/cxcr4lab`` has a rank in :data:`RANKS`. A module may
import its own package and any package of a strictly lower rank; an import of a higher rank, or
of a *different* package of the same rank, fails with the file and line, the import and both
ranks. Relative imports are resolved, and so are ``importlib.import_module("cxcr4lab....")``
calls whose module name starts with a constant.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab"

RANKS = {
    # core
    "core": 0,
    # engines
    "fit": 1,
    "sim": 1,
    # domains: receptor theory and models, and the compound registry, below the assays
    "receptor": 2,
    "compounds": 2,
    # domains: the analyses (pkpd may use receptor and compounds; pkpd and clinical are peers)
    "assays": 3,
    "pkpd": 3,
    "clinical": 3,
    "combination": 3,
    "preclinical": 3,
    # domains: the model combined with the assays; the bundled example data (clinical generator)
    "studies": 4,
    "examples": 4,
    # store: knows no result class
    "store": 5,
    # runs: the registry of analysis kinds (above the store, below the app)
    "runs": 6,
    # app, in the order its parts use each other: views and the analysis glue, then the web app,
    # then the command groups (``serve`` starts the web app), then the CLI entry point
    "report": 7,
    "workflows": 7,
    "web": 8,
    "commands": 9,
    "cli": 10,
}
LAYERS = {0: "core", 1: "engines", 2: "domains", 3: "domains", 4: "domains", 5: "store"}
LAYERS |= {6: "runs", 7: "app", 8: "app", 9: "app", 10: "app"}

# Imports that break the ranks today and are being removed by named work; each entry must still
# occur (a stale entry fails), so the list only shrinks. Key: (file relative to the package,
# imported package).
KNOWN: dict[tuple[str, str], str] = {}


def _rank_name(unit: str) -> str:
    rank = RANKS[unit]
    return f"{unit} (rank {rank}, {LAYERS[rank]})"


def _unit(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "cxcr4lab" or len(parts) < 2 or not parts[1]:
        return None
    return parts[1]


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = ["cxcr4lab", *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute name of a (possibly relative) ``from`` import in ``module``."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _dynamic(node: ast.Call) -> str | None:
    """The constant start of the name given to ``importlib.import_module``/``import_module``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name != "import_module" or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values:
        first = arg.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, the ``from`` imports with
    each imported name (``from cxcr4lab import store`` imports ``cxcr4lab.store``)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            if base == "cxcr4lab":
                found += [(node.lineno, f"cxcr4lab.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, base))
        elif isinstance(node, ast.Call) and (name := _dynamic(node)) is not None:
            found.append((node.lineno, name))
    return found


def _violations(own: str, where: str, imports: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """(imported package, message) for each import of ``own`` that does not point down."""
    found: list[tuple[str, str]] = []
    for lineno, module in imports:
        target = _unit(module)
        if target is None or target == own:
            continue
        if target not in RANKS:
            found.append((target, f"{where}:{lineno} imports {module}: {target} has no rank"))
        elif RANKS[target] == RANKS[own]:
            found.append(
                (
                    target,
                    f"{where}:{lineno} imports {module}: {_rank_name(own)} must not import "
                    f"{_rank_name(target)}, a different package of the same rank",
                )
            )
        elif RANKS[target] > RANKS[own]:
            found.append(
                (
                    target,
                    f"{where}:{lineno} imports {module}: {_rank_name(own)} must not import "
                    f"{_rank_name(target)}, a higher rank",
                )
            )
    return found


def _own_unit(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _file_violations(path: Path) -> list[tuple[str, str]]:
    where = str(path.relative_to(PACKAGE))
    imports = _imports(
        path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py"
    )
    return _violations(_own_unit(path), where, imports)


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


def test_every_package_has_a_rank() -> None:
    units = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if not p.name.startswith("_")}
    units -= {"py.typed"}
    assert units <= set(RANKS), f"give these a rank in RANKS: {sorted(units - set(RANKS))}"
    assert {"core", "fit", "sim", "receptor", "assays", "studies", "store", "cli"} <= units
    assert set(RANKS.values()) <= set(LAYERS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    where = str(path.relative_to(PACKAGE))
    wrong = [msg for target, msg in _file_violations(path) if (where, target) not in KNOWN]
    assert not wrong, "imports must point to a strictly lower rank:\n" + "\n".join(wrong)


def test_known_exceptions_still_occur() -> None:
    stale = [
        f"{where} no longer imports {target}: remove {(where, target)} from KNOWN"
        for where, target in sorted(KNOWN)
        if not (PACKAGE / where).is_file()
        or all(t != target for t, _ in _file_violations(PACKAGE / where))
    ]
    assert not stale, "\n".join(stale)


def test_receptor_is_below_assays_and_studies_above() -> None:
    assert RANKS["receptor"] < RANKS["assays"] < RANKS["studies"] < RANKS["store"]
    assert RANKS["compounds"] < RANKS["pkpd"] and RANKS["receptor"] < RANKS["pkpd"]
    assert RANKS["store"] < RANKS["runs"] < min(RANKS[u] for u in ("report", "web", "cli"))


def test_the_checker_catches_upward_and_sideways_imports() -> None:
    source = (
        "from cxcr4lab.store import Store\n"  # 1: up
        "import cxcr4lab.cli\n"  # 2: up
        "from cxcr4lab.clinical.response import clopper_pearson\n"  # 3: same rank, other package
        "from cxcr4lab.receptor.theory import cheng_prusoff_ki\n"  # 4: down: fine
        "from cxcr4lab.pkpd.pk import x\n"  # 5: own package: fine
        "from ..studies import calibration\n"  # 6: relative, up
        "from cxcr4lab import assays\n"  # 7: same rank, other package
        "importlib.import_module('cxcr4lab.report.sections.nca')\n"  # 8: dynamic, up
        "from .pk import y\n"  # 9: relative, own package: fine
    )
    imports = _imports(source, "cxcr4lab.pkpd.regimen_simulation", is_package=False)
    found = _violations("pkpd", "pkpd/regimen_simulation.py", imports)
    assert [t for t, _ in found] == ["store", "cli", "clinical", "studies", "assays", "report"]
    messages = [m for _, m in found]
    assert messages[0] == (
        "pkpd/regimen_simulation.py:1 imports cxcr4lab.store: pkpd (rank 3, domains) must not "
        "import store (rank 5, store), a higher rank"
    )
    assert messages[2].endswith(
        "pkpd (rank 3, domains) must not import clinical (rank 3, domains), "
        "a different package of the same rank"
    )
    assert "regimen_simulation.py:6 imports cxcr4lab.studies" in messages[3]


def test_relative_imports_resolve_from_a_package_init() -> None:
    node = ast.parse("from ..assays import potency").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _absolute(node, "cxcr4lab.studies", is_package=True) == "cxcr4lab.assays"
    assert _absolute(node, "cxcr4lab.studies.virtual", is_package=False) == "cxcr4lab.assays"
