"""The ``calcium`` kind: calcium flux from a kinetic export (IC50; Kb by Leff-Dougall)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cxcr4lab.runs._kind import (
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    compound_mw,
    layout_input,
)
from cxcr4lab.runs._options import option
from cxcr4lab.runs._plate import AgonistOptions

__all__ = ["KIND", "Options"]


@dataclass(frozen=True, kw_only=True)
class Options(AgonistOptions):
    """Settings of a kinetic calcium plate; times in s, concentrations in mol/L."""

    injection: float = option("Time of the CXCL12 injection.", unit="s", ge=0)
    readout: Literal["peak", "auc"] = option(
        "Response per well: peak dF/F0 or the AUC of dF/F0.", default="peak"
    )
    window: float | None = option(
        "Response window after the injection (empty: to the end).", default=None, unit="s", gt=0
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """F0, dF/F0 per well from the trace, then the inhibition fits and Kb."""
    from cxcr4lab.assays.calcium import CalciumSettings, analyse
    from cxcr4lab.assays.kinetic import read_kinetic_bytes
    from cxcr4lab.assays.layout import read_layout_bytes

    name, content = inputs["kinetic"]
    data = read_kinetic_bytes(content, name)
    layout = read_layout_bytes(inputs["layout"][1], inputs["layout"][0], mw_lookup=compound_mw)
    settings = CalciumSettings(
        plate=options.plate_settings(),
        injection_s=options.injection,
        readout=options.readout,
        window_s=options.window,
    )
    result = analyse(data, layout, settings)
    parameters = {
        "agonist_molar": options.agonist_conc,
        "agonist_ec50_molar": options.agonist_ec50,
        "injection_s": options.injection,
        "readout": options.readout,
        "window_s": options.window,
    }
    return Outcome(result, parameters, f"Calcium flux {result.plate}")


_NOTE = (
    "Calcium flux plates: SIMULATED kinetic exports (FLIPR-style; CXCL12 injected at 20 s; the "
    "truth is stated in examples/calcium/README.md)."
)

KIND = AnalysisKind(
    name="calcium",
    label="Calcium flux, kinetic (IC50, Kb)",
    inputs=(
        InputSpec(
            "kinetic",
            "kinetic export: time x well, well x time or long (well, time, rfu)",
            ("csv", "tsv", "txt", "xlsx"),
            "kinetic",
        ),
        layout_input("roles max, min or buffer, sample"),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.calcium:print_result",
    result="cxcr4lab.assays.calcium:CalciumResult",
    plots="cxcr4lab.web.plots.calcium:figures",
    examples=tuple(
        Example(
            title,
            "calcium",
            {"kinetic": kinetic, "layout": "layout96.toml"},
            {"injection": "20", "agonist_conc": "60 ng/mL"},
            _NOTE,
        )
        for kinetic, title in (
            ("flipr_run1.csv", "Calcium flux, FLIPR time x well export, run 1 (simulated)"),
            ("flexstation_run2.csv", "Calcium flux, well x time export, run 2 (simulated)"),
        )
    ),
    mw_lookup=compound_mw,
)
