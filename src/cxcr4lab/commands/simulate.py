"""``cxcr4lab simulate sbml OUT.xml``: the balixafortide 2-compartment + eribulin 3-compartment
+ Friberg model as SBML L3V2, for other tools; ``--model signalling`` writes the mechanistic
CXCL12/CXCR4 model instead (:mod:`cxcr4lab.receptor.sbml`; checked by ``receptor sbml``).

The storing commands of the group are kinds of :data:`cxcr4lab.runs.KINDS`, generated from
their declarations: ``simulate regimen`` (:mod:`cxcr4lab.runs.regimen_simulation`),
``simulate compare`` (:mod:`cxcr4lab.runs.regimen_comparison`) and ``simulate mobilization``
(:mod:`cxcr4lab.runs.mobilization`); their terminal views live beside this module, one module
per result kind (``regimen_simulation.py``, ``regimen_comparison.py``, ``mobilization.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cxcr4lab.commands._shared import write_atomic

__all__ = ["register_in", "sbml"]


def register_in(group: Callable[[str], typer.Typer]) -> None:
    """``cxcr4lab simulate sbml``."""
    group("simulate").command("sbml")(sbml)


def sbml(
    out: Annotated[Path, typer.Argument(help="SBML file to write (e.g. model.xml).")],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="combination (balixafortide + eribulin PK + Friberg), eribulin (eribulin PK "
            "+ Friberg), balixafortide (2-compartment PK) or signalling (the mechanistic "
            "CXCL12/CXCR4 model; time in s).",
        ),
    ] = "combination",
    cell: Annotated[
        str | None,
        typer.Option(
            "--cell",
            help="Cell line of --model signalling: engineered (default), Jurkat, Namalwa or "
            "MDA-MB-231.",
        ),
    ] = None,
) -> None:
    """Export a simulation model as SBML L3V2 (units in each element's notes; time in h, in s
    for the signalling model)."""
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
    from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN
    from cxcr4lab.sim import to_sbml

    models = {
        "combination": lambda: eribulin_neutropenia_model(with_balixafortide=True),
        "eribulin": lambda: eribulin_neutropenia_model(),
        "balixafortide": lambda: BALIXAFORTIDE_HUMAN,
    }
    if model == "signalling":
        _signalling(out, cell or "engineered")
        return
    if model not in models:
        raise InputError(
            f"unknown model {quote(model)}; choose one of {', '.join(models)}, signalling",
            field="--model",
        )
    if cell is not None:
        raise InputError("only the signalling model has a cell line", field="--cell")
    chosen = models[model]()
    text = to_sbml(chosen)
    if out.parent and not out.parent.exists():
        raise InputError("the folder does not exist", file=str(out.parent), field="OUT")
    write_atomic(out, text, field="OUT")
    Console().print(
        f"SBML L3V2 of {chosen.name} written to {out}: {len(chosen.states)} states, "
        f"{len(chosen.parameters)} parameters, {len(chosen.outputs)} outputs; amounts in mg, "
        "time in h; dosing rates R_<state> (amount/h)."
    )


def _signalling(out: Path, cell: str) -> None:
    """``--model signalling``: the CXCL12/CXCR4 model in ``cell`` (cxcr4lab.receptor.sbml)."""
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.receptor.sbml import READOUTS
    from cxcr4lab.studies.calibration import CELL_LINES
    from cxcr4lab.studies.signalling_sbml import export_cell_lines

    if cell not in CELL_LINES:
        raise InputError(
            f"unknown cell line {quote(cell)}; choose one of {', '.join(CELL_LINES)}",
            field="--cell",
        )
    if out.parent and not out.parent.exists():
        raise InputError("the folder does not exist", file=str(out.parent), field="OUT")
    [(_, text)] = export_cell_lines(cells=[cell])
    write_atomic(out, text, field="OUT")
    Console().print(
        f"SBML L3V2 of the CXCL12/CXCR4 signalling model ({CELL_LINES[cell].name}) written to "
        f"{out}: read-outs {', '.join(READOUTS)} as assignment rules, the Ca2+ ODE as rate rules "
        "(time in s); set CXCL12 and balixafortide (mol/L). Model, not data."
    )
