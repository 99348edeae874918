"""The ``binding`` kind: competitive radioligand binding (IC50, Ki by Cheng-Prusoff)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._kind import (
    PLATE_FORMATS,
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    compound_mw,
    layout_input,
    read_plate_and_layout,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of a binding analysis; concentrations in mol/L."""

    radioligand_conc: float = option(
        "Radioligand concentration in the wells, e.g. 0.1 nM.",
        quantity="concentration",
        example="0.1 nM",
    )
    kd: float = option(
        "Kd of the radioligand, e.g. 0.5 nM.", quantity="concentration", example="0.5 nM"
    )
    block: str | None = option("Plate block to use when the file holds several.", default=None)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the plate and layout, fit one-site competition per compound, derive Ki."""
    from cxcr4lab.assays.binding import BindingSettings, analyse

    plate, layout, several = read_plate_and_layout(inputs, options.block)
    settings = BindingSettings(radioligand_molar=options.radioligand_conc, kd_molar=options.kd)
    result = analyse(plate, layout, settings)
    parameters = {
        "radioligand_molar": options.radioligand_conc,
        "kd_molar": options.kd,
        "block": plate.block,
    }
    title = f"Binding {result.plate}" + (f" [{plate.block}]" if several else "")
    return Outcome(result, parameters, title)


_NOTE = (
    "Binding plates: SIMULATED from a stated truth (Ki: balixafortide 1 nM, motixafortide "
    "0.8 nM, mavorixafor 10 nM, plerixafor 40 nM, eribulin inactive; [L] 0.1 nM, Kd 0.5 nM)."
)

KIND = AnalysisKind(
    name="binding",
    label="Competitive radioligand binding (IC50, Ki)",
    inputs=(
        InputSpec(
            "plate",
            "plate export of counts: plate-grid CSV, long CSV or xlsx",
            PLATE_FORMATS,
            "plate",
        ),
        layout_input("roles total, nsb, sample"),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.binding:print_result",
    result="cxcr4lab.assays.binding:BindingResult",
    plots="cxcr4lab.web.plots.binding:figures",
    examples=tuple(
        Example(
            title,
            "binding",
            {"plate": plate, "layout": layout},
            {"radioligand_conc": "0.1 nM", "kd": "0.5 nM"},
            _NOTE,
        )
        for plate, layout, title in (
            (
                "plate96_run1.csv",
                "layout96.toml",
                "Binding, 96-well plate-grid CSV, run 1 (simulated)",
            ),
            (
                "plate96_run2_long.csv",
                "layout96.toml",
                "Binding, 96-well long CSV, run 2 (simulated)",
            ),
            ("plate384_run1.xlsx", "layout384.toml", "Binding, 384-well xlsx, run 1 (simulated)"),
        )
    ),
    mw_lookup=compound_mw,
)
