"""The ``nca`` kind: non-compartmental analysis of a PK table (``cxcr4lab nca``)."""

from __future__ import annotations

import math
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

__all__ = ["KIND", "Options", "lambda_z_range"]


def lambda_z_range(text: str) -> tuple[str, float, float]:
    """A manual terminal phase ``SUBJECT:START-END`` in hours.

    >>> lambda_z_range("A-1:0.5-24")
    ('A-1', 0.5, 24.0)
    """
    subject, sep, span = text.rpartition(":")
    start, dash, end = span.partition("-")
    try:
        if not (sep and dash and subject.strip()):
            raise ValueError
        lo, hi = float(start), float(end)
    except ValueError:
        raise ValueError("expected SUBJECT:START-END in hours, e.g. 3:6-24") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
        raise ValueError("need 0 <= START < END (hours)")
    return subject.strip(), lo, hi


@dataclass(frozen=True)
class Options:
    """Settings of an NCA; units as text, times in h."""

    auc_method: Literal["linear", "log-down"] = option(
        "AUC rule: linear, or log-down (linear-up/log-down).", default="linear"
    )
    conc_unit: str = option("Unit of conc, e.g. mg/L or ng/mL.", default="mg/L")
    dose_unit: str = option("Unit of dose, e.g. mg or mg/kg.", default="mg")
    lloq: float | None = option(
        "Concentrations below this are BLQ (in the unit of conc).", default=None, gt=0
    )
    blq_before: Literal["zero", "missing"] = option(
        "BLQ before Tmax: zero or missing.", default="zero"
    )
    blq_after: Literal["missing", "zero"] = option(
        "BLQ after Tmax: missing or zero.", default="missing"
    )
    lambda_z: tuple[tuple[str, float, float], ...] = option(
        "Manual terminal phase of a subject, SUBJECT:START-END in h (others: best adjusted R^2).",
        default=(),
        example="3:6-24",
        item=lambda_z_range,
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """NCA per subject: Cmax, AUC, lambda_z, t1/2, CL(/F), Vz(/F), Vss, MRT."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.pkpd.nca import NcaSettings, nca

    name, content = inputs["data"]
    settings = NcaSettings(
        auc_method=options.auc_method,
        blq_before_tmax=options.blq_before,
        blq_after_tmax=options.blq_after,
        lloq=options.lloq,
        lambda_z_ranges=options.lambda_z,
        conc_unit=options.conc_unit,
        dose_unit=options.dose_unit,
    )
    table = read_table_bytes(content, name)
    result = nca(table.frame, settings, source=name, row_base=table.row_base)
    return Outcome(result, settings.to_dict(), f"NCA {name}")


def _table_file(result: Any, suffix: str) -> str | bytes:
    from cxcr4lab.core.export import table_file

    return table_file(result.summary(), suffix, sheet="nca")


KIND = AnalysisKind(
    name="nca",
    label="NCA per subject: Cmax, AUC, lambda_z (best fit), t1/2, CL(/F), Vz(/F), Vss, MRT",
    inputs=(
        InputSpec(
            "data",
            "PK table: subject, time (h), conc, dose; optional route (extravascular, iv bolus, "
            "infusion) and duration (h); conc may be BLQ",
            ("csv", "tsv", "txt", "xlsx"),
            "data",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.nca:print_result",
    result="cxcr4lab.pkpd.nca:NcaResult",
    plots="cxcr4lab.web.plots.nca:figures",
    examples=(
        Example(
            "NCA, theophylline (public Theoph data set)",
            "pk",
            {"data": "theoph.csv"},
            {"auc_method": "log-down", "conc_unit": "mg/L", "dose_unit": "mg"},
            "NCA: R's public Theoph data set (not balixafortide, not simulated), whose Phoenix "
            "WinNonlin results the NCA reproduces to 1e-3 in the tests.",
        ),
    ),
    command=("nca",),
    aliases=(("analyze", "nca"),),
    docs="docs/nca.md",
    outputs=(
        OutputSpec(
            "out",
            "Also write one row per subject to this file: .csv, .tsv, .xlsx or .parquet (by "
            "its suffix; formula-like cells escaped).",
            "--out",
            _table_file,
            by_suffix=True,
        ),
    ),
)
