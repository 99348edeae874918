"""``cxcr4lab receptor plate ASSAY --out plate.csv``: a SIMULATED plate (and its wellmap layout)
made by the mechanistic CXCL12/CXCR4 model, which ``cxcr4lab analyze ASSAY`` reads; the analyse
command is printed.

The storing commands of the group are kinds of :data:`cxcr4lab.runs.KINDS`, generated from
their declarations: ``receptor calibrate`` (:mod:`cxcr4lab.runs.receptor_calibration`),
``receptor schild`` (:mod:`cxcr4lab.runs.schild`) and ``receptor recover``
(:mod:`cxcr4lab.runs.virtual_recovery`); their terminal views live in
``receptor_calibration.py``, ``schild.py`` and ``virtual_recovery.py`` beside this module (one
module per result kind). Every result is SIMULATED (model predictions or model-generated data).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cxcr4lab.commands._shared import conc, write_atomic

if TYPE_CHECKING:
    from cxcr4lab.receptor.mechanistic import Cxcr4Model
    from cxcr4lab.studies.virtual import VirtualPlate

__all__ = ["analyze_command", "model_with_kb", "plate", "register_in"]

KbOption = Annotated[
    str,
    typer.Option("--kb", help="balixafortide Kb (equilibrium dissociation constant), e.g. 0.15nM."),
]


def register_in(group: Callable[[str], typer.Typer]) -> None:
    """``cxcr4lab receptor plate``."""
    group("receptor").command("plate")(plate)


def model_with_kb(kb: str, option: str = "--kb") -> Cxcr4Model:
    """The default model with balixafortide's Kb from an option (mass units via its MW)."""
    from cxcr4lab.receptor.mechanistic import Cxcr4Model
    from cxcr4lab.workflows import compound_mw

    return Cxcr4Model().with_kb(conc(kb, option, mw_g_per_mol=compound_mw("balixafortide")))


def analyze_command(assay: str, plate_path: Path, layout_path: Path, vp: VirtualPlate) -> list[str]:
    """The ``cxcr4lab analyze`` command line that reads a written virtual plate."""
    from cxcr4lab.assays.binding import BindingSettings
    from cxcr4lab.assays.calcium import CalciumSettings
    from cxcr4lab.assays.chemotaxis import ChemotaxisSettings
    from cxcr4lab.assays.inhibition import PlateSettings

    def nm(molar: float | None) -> str:
        return f"{(molar or 0.0) / 1e-9:.6g}nM"

    args = ["cxcr4lab", "analyze", assay, str(plate_path), "--layout", str(layout_path)]
    s = vp.settings
    if isinstance(s, BindingSettings):
        args += ["--radioligand-conc", nm(s.radioligand_molar), "--kd", nm(s.kd_molar)]
    elif isinstance(s, CalciumSettings):
        args += ["--injection", f"{s.injection_s:g}", "--agonist-conc", nm(s.plate.agonist_molar)]
    elif isinstance(s, ChemotaxisSettings):
        args += ["--readout", s.readout, "--agonist-conc", nm(s.plate.agonist_molar)]
        args += ["--cell-line", s.cell_line]
    elif isinstance(s, PlateSettings):
        args += ["--agonist-conc", nm(s.agonist_molar)]
    return args


def plate(
    assay: Annotated[str, typer.Argument(help="binding, arrestin, calcium or chemotaxis.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Plate file to write (CSV).")],
    layout: Annotated[
        Path | None,
        typer.Option("--layout", "-l", help="Layout TOML to write (default: OUT_layout.toml)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the noise.")] = 11,
    cell: Annotated[
        str, typer.Option("--cell", help="Chemotaxis cell line: Jurkat, Namalwa, MDA-MB-231.")
    ] = "Jurkat",
    kb: KbOption = "0.15nM",
) -> None:
    """Write a SIMULATED plate and its layout, read by: cxcr4lab analyze ASSAY."""
    from rich.markup import escape

    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.core.files import check_output
    from cxcr4lab.studies.recovery import CHEMOTAXIS_CELLS, VIRTUAL_ASSAYS, virtual_plate

    if assay not in VIRTUAL_ASSAYS:
        raise InputError(
            f"unknown assay {quote(assay)}; virtual plates exist for {', '.join(VIRTUAL_ASSAYS)}",
            field="ASSAY",
        )
    if assay == "chemotaxis" and cell not in CHEMOTAXIS_CELLS:
        raise InputError(
            f"unknown cell line {quote(cell)}; choose one of {', '.join(CHEMOTAXIS_CELLS)}",
            field="--cell",
        )
    check_output(out, field="--out")
    if layout is not None:
        check_output(layout, field="--layout")
    model = model_with_kb(kb)
    vp = virtual_plate(model, assay, seed=seed, cell=cell)
    layout_path = layout or out.with_name(f"{out.stem}_layout.toml")
    if layout_path.resolve() == out.resolve():
        raise InputError("the layout must not overwrite the plate file", field="--layout")
    write_atomic(out, vp.plate, field="--out")
    write_atomic(layout_path, vp.layout, field="--layout")
    console = Console()
    console.print(
        f"[bold]SIMULATED {escape(assay)} plate[/bold] (model Kb {model.kb / 1e-9:.3g} nM, seed "
        f"{seed}) written to {escape(str(out))}; layout {escape(str(layout_path))}"
    )
    command = shlex.join(analyze_command(assay, out, layout_path, vp))
    console.print("Analyse it with:", soft_wrap=True)
    console.print(escape(command), soft_wrap=True)
    if assay == "chemotaxis":
        console.print(
            "(IC50 only from the command line: the Leff-Dougall Kb needs the model's CXCL12 "
            "EC50, which `analyze chemotaxis` takes no option for; `receptor recover` uses it.)",
            soft_wrap=True,
        )
