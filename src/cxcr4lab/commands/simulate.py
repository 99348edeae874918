"""``cxcr4lab simulate sbml OUT.xml``: the balixafortide 2-compartment + eribulin 3-compartment
+ Friberg model as SBML L3V2, for other tools.

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
            "+ Friberg) or balixafortide (2-compartment PK).",
        ),
    ] = "combination",
) -> None:
    """Export a simulation model as SBML L3V2 (units in each element's notes, time in h)."""
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
    from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN
    from cxcr4lab.sim import to_sbml

    models = {
        "combination": lambda: eribulin_neutropenia_model(with_balixafortide=True),
        "eribulin": lambda: eribulin_neutropenia_model(),
        "balixafortide": lambda: BALIXAFORTIDE_HUMAN,
    }
    if model not in models:
        raise InputError(
            f"unknown model {quote(model)}; choose one of {', '.join(models)}", field="--model"
        )
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
