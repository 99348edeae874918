"""The ``pkfit`` kind: compartmental PK fits, subject by subject (``cxcr4lab pkfit``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._kind import (
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    OutputSpec,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of the PK fits; units as text."""

    model: Literal["1cmt", "2cmt", "3cmt", "auto"] = option(
        "Model: 1cmt, 2cmt, 3cmt, or auto (lowest AICc).", default="auto"
    )
    route: Literal["iv", "oral"] | None = option(
        "iv or oral, for tables without a route column (NCA form default: oral).", default=None
    )
    weights: Literal["none", "1/y", "1/y^2"] = option(
        "Residual weights: none, 1/y or 1/y^2.", default="none"
    )
    conc_unit: str = option("Unit of conc, e.g. mg/L or ng/mL.", default="mg/L")
    dose_unit: str = option("Unit of dose, e.g. mg or mg/kg.", default="mg")
    lloq: float | None = option(
        "Concentrations below this are BLQ (in the unit of conc).", default=None, gt=0
    )
    profile: bool = option("Also profile-likelihood CIs (slower).", default=False)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Fit 1/2/3-compartment models per subject (CL, V, Q, ka with 95% CIs)."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.pkpd.pkfit import PkFitSettings, fit_pk_table

    name, content = inputs["data"]
    settings = PkFitSettings(
        model=options.model,
        route=options.route,
        weights=options.weights,
        conc_unit=options.conc_unit,
        dose_unit=options.dose_unit,
        lloq=options.lloq,
        profile=options.profile,
    )
    table = read_table_bytes(content, name)
    result = fit_pk_table(table.frame, settings, source=name, row_base=table.row_base)
    return Outcome(result, settings.to_dict(), f"PK fit {name}")


def summary_csv(result: Any) -> str:
    """One row per subject with every estimate, its CI, RSE, AICc and flags (CSV text)."""
    from cxcr4lab.core.export import safe_csv

    return safe_csv(result.summary())


KIND = AnalysisKind(
    name="pkfit",
    label="Fit 1/2/3-compartment models per subject: CL, V, Q, ka with 95% CIs, t1/2, Vss, AUC",
    inputs=(
        InputSpec(
            "data",
            "PK table: subject, time (h), conc, dose [, route, duration] (one dose per subject "
            "at 0 h), or NONMEM-style ID, TIME, DV, AMT [, EVID, RATE, II, ADDL, MDV]; conc may "
            "be BLQ",
            ("csv", "tsv", "txt", "xlsx"),
            "data",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.pkfit:print_result",
    result="cxcr4lab.pkpd.pkfit_results:PkFitResult",
    plots="cxcr4lab.web.plots.pkfit:figures",
    examples=(
        Example(
            "PK fit, theophylline (public Theoph data set)",
            "pk",
            {"data": "theoph.csv"},
            {"model": "1cmt", "route": "oral", "conc_unit": "mg/L", "dose_unit": "mg"},
            "PK fit: R's public Theoph data set (not balixafortide, not simulated), "
            "1-compartment oral model per subject; subject 1 reproduces R's nls(SSfol) to 1e-4 "
            "in the tests.",
        ),
    ),
    command=("pkfit",),
    aliases=(("analyze", "pkfit"),),
    docs="docs/pkpd.md",
    outputs=(OutputSpec("out", "Write one row per subject to this CSV.", "--out", summary_csv),),
)
