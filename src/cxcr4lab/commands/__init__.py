"""Per-assay command-line pieces (app layer), one module per result kind.

Each module ``commands/<kind>.py`` defines any of

* ``register(analyze_app)``: adds ``cxcr4lab analyze <assay> ...``;
* ``register_top(app)``: adds top-level commands (``cxcr4lab nca``, ``cxcr4lab simulate``);
* ``print_result(console, result, analysis_id)``: the terminal view of a stored result kind
  (``commands/<kind>.py``, or a module listing the kind in ``RESULT_KINDS``);
* ``dossier_runs()``: the bundled (simulated) examples the dossier analyses and stores.

Modules import only typer/rich at the top, so ``cxcr4lab --help`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

__all__ = ["DossierRun", "command_modules", "module_for_kind"]


@dataclass(frozen=True)
class DossierRun:
    """One example analysis of the dossier: ``run()`` returns (result, inputs, parameters)."""

    title: str
    run: Callable[[], tuple[Any, Sequence[Any], dict[str, Any]]]
    notes: tuple[str, ...] = field(default=())


def command_modules() -> list[ModuleType]:
    """Every module of this package, in name order (binding first)."""
    names = sorted(
        info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
    )
    names.sort(key=lambda n: (n != "binding", n))
    return [importlib.import_module(f"{__name__}.{n}") for n in names]


def module_for_kind(kind: str) -> ModuleType | None:
    """The command module of a result kind: ``commands/<kind>.py``, else the module that lists
    the kind in its ``RESULT_KINDS`` (one module may print several kinds), else None."""
    name = f"{__name__}.{kind}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
    for module in command_modules():
        if kind in getattr(module, "RESULT_KINDS", ()):
            return module
    return None
