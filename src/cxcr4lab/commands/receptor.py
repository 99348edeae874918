"""``cxcr4lab receptor ...``: the mechanistic CXCL12/CXCR4 model from the command line.

* ``receptor calibrate [--kb 0.15nM]``: predicted IC50 per published assay against its bound,
  the Kb range meeting every bound, and why pERK/pAKT sit right of binding;
* ``receptor schild [--antagonist-conc 0.3nM ...] [--seed 1]``: a simulated Schild experiment,
  pA2 with its 95 % CI against the model's pKb;
* ``receptor plate ASSAY --out plate.csv``: a SIMULATED plate (and its wellmap layout) that
  ``cxcr4lab analyze ASSAY`` reads; the analyse command is printed;
* ``receptor recover``: one virtual plate per assay, analysed; Kb recovered with 95 % CIs.

Every result is SIMULATED (model predictions or model-generated data). The terminal views of the
three result kinds live in ``receptor_calibration.py``, ``schild.py`` and
``virtual_recovery.py`` beside this module (one module per kind).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._finish import finish
from cxcr4lab.commands._shared import (
    DatabaseOption,
    JsonOption,
    ProjectOption,
    SaveOption,
    TitleOption,
    conc,
    write_atomic,
)
from cxcr4lab.commands.receptor_calibration import print_result as print_calibration
from cxcr4lab.commands.schild import print_result as print_schild
from cxcr4lab.commands.virtual_recovery import print_result as print_recovery

if TYPE_CHECKING:
    from cxcr4lab.receptor.mechanistic import Cxcr4Model
    from cxcr4lab.studies.virtual import VirtualPlate

__all__ = [
    "analyze_command",
    "calibrate",
    "dossier_runs",
    "model_with_kb",
    "plate",
    "recover",
    "register_top",
    "schild",
]

KbOption = Annotated[
    str,
    typer.Option("--kb", help="balixafortide Kb (equilibrium dissociation constant), e.g. 0.15nM."),
]
_NOTE = (
    "Receptor model: SIMULATED predictions and data of the mechanistic CXCL12/CXCR4 model "
    "(cxcr4lab.receptor), whose transduction parameters are assumptions; the published IC50s "
    "it is compared with are upper bounds from the seed technical guides."
)


def register_top(app: typer.Typer) -> None:
    """``cxcr4lab receptor calibrate|schild|plate|recover``."""
    receptor_app = typer.Typer(
        help="The mechanistic CXCL12/CXCR4 model: calibration, Schild, virtual plates (SIMULATED).",
        no_args_is_help=True,
    )
    receptor_app.command("calibrate")(calibrate)
    receptor_app.command("schild")(schild)
    receptor_app.command("plate")(plate)
    receptor_app.command("recover")(recover)
    app.add_typer(receptor_app, name="receptor")


def model_with_kb(kb: str, option: str = "--kb") -> Cxcr4Model:
    """The default model with balixafortide's Kb from an option (mass units via its MW)."""
    from cxcr4lab.receptor.mechanistic import Cxcr4Model
    from cxcr4lab.workflows import compound_mw

    return Cxcr4Model().with_kb(conc(kb, option, mw_g_per_mol=compound_mw("balixafortide")))


def calibrate(
    kb: KbOption = "0.15nM",
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Predicted IC50 of every published assay against its bound, with one Kb (SIMULATED)."""
    from cxcr4lab.studies.calibration import calibrate as run_calibration

    model = model_with_kb(kb)
    result = run_calibration(model)
    finish(
        result,
        [],
        {"kb_molar": model.kb},
        title=title or f"Receptor model calibration, Kb {model.kb / 1e-9:.3g} nM (SIMULATED)",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_calibration,
        project=project,
    )


def _concentrations(texts: list[str] | None, option: str) -> tuple[float, ...]:
    from cxcr4lab.core.errors import InputError

    if not texts:
        return (0.3e-9, 3e-9, 30e-9)
    parts = [p.strip() for t in texts for p in t.split(",") if p.strip()]
    values = tuple(conc(p, option) for p in parts)
    if len(set(values)) < 2:
        raise InputError(
            f"a Schild analysis needs at least two different concentrations above 0; got "
            f"{', '.join(parts) or 'none'}",
            field=option,
        )
    return values


def schild(
    antagonist_conc: Annotated[
        list[str] | None,
        typer.Option(
            "--antagonist-conc",
            help="balixafortide concentration (repeatable or comma-separated), e.g. 0.3nM; "
            "default 0.3, 3 and 30 nM. The control without it is always added.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the noise.")] = 1,
    readout: Annotated[
        str, typer.Option("--readout", help="arrestin, g_protein, perk, pakt or chemotaxis.")
    ] = "arrestin",
    cell: Annotated[
        str, typer.Option("--cell", help="engineered, Jurkat, Namalwa or MDA-MB-231.")
    ] = "engineered",
    noise: Annotated[
        float, typer.Option("--noise", help="Gaussian noise SD, % of the pathway maximum.")
    ] = 0.5,
    kb: KbOption = "0.15nM",
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """A simulated Schild experiment: pA2 and Schild slope with 95% CIs vs the model's pKb."""
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.studies.calibration import CELL_LINES
    from cxcr4lab.studies.schild_study import SCHILD_READOUTS, schild_study

    if readout not in SCHILD_READOUTS:
        raise InputError(
            f"unknown readout {quote(readout)}; choose one of {', '.join(SCHILD_READOUTS)}",
            field="--readout",
        )
    if cell not in CELL_LINES:
        raise InputError(
            f"unknown cell line {quote(cell)}; choose one of {', '.join(CELL_LINES)}",
            field="--cell",
        )
    if not noise >= 0:
        raise InputError(
            f"must be >= 0 (% of the pathway maximum), got {quote(noise)}", field="--noise"
        )
    levels = _concentrations(antagonist_conc, "--antagonist-conc")
    model = model_with_kb(kb)
    result = schild_study(
        model, seed=seed, antagonist_molar=levels, readout=readout, cell=cell, noise_pct=noise
    )
    finish(
        result,
        [],
        {
            "kb_molar": model.kb,
            "antagonist_molar": list(levels),
            "seed": seed,
            "readout": readout,
            "cell": cell,
            "noise_pct": noise,
        },
        title=title or f"Schild experiment, {readout}, seed {seed} (SIMULATED)",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_schild,
        project=project,
    )


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


def recover(
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first plate.")] = 11,
    kb: KbOption = "0.15nM",
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """One virtual plate per assay, analysed by its assay module: the Kb recovered (95% CI)."""
    from cxcr4lab.studies.recovery import recover_kb

    model = model_with_kb(kb)
    result = recover_kb(model, seed=seed)
    finish(
        result,
        [],
        {"kb_molar": model.kb, "seed": seed},
        title=title or f"Virtual plates recover Kb {model.kb / 1e-9:.3g} nM (SIMULATED)",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_recovery,
        project=project,
    )


def dossier_runs() -> list[DossierRun]:
    """The calibration (default Kb), a Schild experiment (seed 1) and the virtual plates."""

    def calibration() -> tuple[Any, list[Any], dict[str, Any]]:
        from cxcr4lab.studies.calibration import calibrate as run_calibration

        result = run_calibration()
        return result, [], {"kb_molar": result.kb_molar}

    def schild_run() -> tuple[Any, list[Any], dict[str, Any]]:
        from cxcr4lab.studies.schild_study import schild_study

        result = schild_study(seed=1)
        return result, [], {"kb_molar": result.kb_molar, "seed": 1, "readout": "arrestin"}

    def recovery() -> tuple[Any, list[Any], dict[str, Any]]:
        from cxcr4lab.studies.recovery import recover_kb

        result = recover_kb(seed=11)
        return result, [], {"kb_molar": result.kb_molar, "seed": 11}

    return [
        DossierRun(
            "Receptor model: one Kb against every published potency bound (SIMULATED)",
            calibration,
            (_NOTE,),
        ),
        DossierRun(
            "Receptor model: Schild experiment, beta-arrestin (SIMULATED)", schild_run, (_NOTE,)
        ),
        DossierRun(
            "Receptor model: virtual plates recover the model's Kb (SIMULATED)",
            recovery,
            (_NOTE,),
        ),
    ]
