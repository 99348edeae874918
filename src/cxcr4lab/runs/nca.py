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

__all__ = ["KIND", "Options", "interval_range", "lambda_z_range"]


def interval_range(text: str) -> tuple[float, float]:
    """A partial-AUC interval ``START-END`` in hours.

    >>> interval_range("0-24")
    (0.0, 24.0)
    """
    start, dash, end = text.strip().partition("-")
    try:
        if not dash:
            raise ValueError
        lo, hi = float(start), float(end)
    except ValueError:
        raise ValueError("expected START-END in hours, e.g. 0-24") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
        raise ValueError("need 0 <= START < END (hours)")
    return lo, hi


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
    blq_rule: Literal["tmax", "position"] = option(
        "BLQ rule: by Tmax (--blq-before/--blq-after) or by position as PKNCA "
        "(--blq-first/--blq-middle/--blq-last).",
        default="tmax",
    )
    blq_before: Literal["zero", "missing"] = option(
        "BLQ before Tmax: zero or missing.", default="zero"
    )
    blq_after: Literal["missing", "zero"] = option(
        "BLQ after Tmax: missing or zero.", default="missing"
    )
    blq_first: Literal["zero", "missing"] = option(
        "BLQ before the first measurable sample (position rule): zero (PKNCA keep) or missing.",
        default="zero",
    )
    blq_middle: Literal["missing", "zero"] = option(
        "BLQ between measurable samples (position rule): missing (PKNCA drop) or zero.",
        default="missing",
    )
    blq_last: Literal["zero", "missing"] = option(
        "BLQ after the last measurable sample (position rule): zero (PKNCA keep) or missing.",
        default="zero",
    )
    interval: tuple[tuple[float, float], ...] = option(
        "A partial AUC START-END in h (not overlapping another).",
        default=(),
        example="0-24",
        item=interval_range,
    )
    tau: float | None = option(
        "Dosing interval (h): AUCtau, Cmin, Cavg, fluctuation, accumulation of the first and "
        "last dosing intervals.",
        default=None,
        unit="h",
        gt=0,
    )
    steady_state: bool = option(
        "The last dosing interval is at steady state (CLss, Vz,ss; needs a tau).", default=False
    )
    proportionality_dose: str | None = option(
        "A numeric column (constant per subject) used as the dose of the power model instead "
        "of the amount, e.g. dose_level in mg/kg when dosing is by weight.",
        default=None,
    )
    analyte: str | None = option(
        "The analyte (PCTESTCD) of a CDISC PC domain holding several.", default=None
    )
    group: tuple[str, ...] = option(
        "A column of the table to summarise by (n, mean, SD, geometric mean and CV%, median, "
        "range); default: by dose when doses differ.",
        default=(),
        example="cohort",
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
    from cxcr4lab.pkpd.nca_read import column_key as _column

    name, content = inputs["data"]
    settings = NcaSettings(
        auc_method=options.auc_method,
        blq_before_tmax=options.blq_before,
        blq_after_tmax=options.blq_after,
        lloq=options.lloq,
        lambda_z_ranges=options.lambda_z,
        conc_unit=options.conc_unit,
        dose_unit=options.dose_unit,
        blq_scheme=options.blq_rule,
        blq_first=options.blq_first,
        blq_middle=options.blq_middle,
        blq_last=options.blq_last,
        intervals=options.interval,
        tau=options.tau,
        steady_state=options.steady_state,
        group=tuple(_column(g) for g in options.group),
        proportionality_dose=None
        if options.proportionality_dose is None
        else _column(options.proportionality_dose),
    )
    table = read_table_bytes(content, name)
    doses = inputs.get("doses")
    dose_table = None if doses is None else read_table_bytes(doses[1], doses[0])
    frame, title = table.frame, f"NCA {name}"
    if _is_pc(frame):
        from dataclasses import replace

        from cxcr4lab.core.errors import InputError
        from cxcr4lab.pkpd.nca_cdisc import read_pc

        pc = read_pc(frame, name, table.row_base, analyte=options.analyte)
        if dose_table is None:
            raise InputError(
                "a CDISC PC domain holds no doses: give a dose table (--doses) with subject "
                "(USUBJID), time (h) and dose",
                file=name,
            )
        frame, title = pc.table, f"NCA {name} ({pc.analyte}, SDTM PC)"
        settings = replace(settings, conc_unit=pc.conc_unit or settings.conc_unit)
    result = nca(
        frame,
        settings,
        source=name,
        row_base=table.row_base,
        doses=None if dose_table is None else dose_table.frame,
        dose_source="" if doses is None else doses[0],
        dose_row_base=2 if dose_table is None else dose_table.row_base,
    )
    return Outcome(result, settings.to_dict(), title)


def _is_pc(frame: Any) -> bool:
    """A CDISC SDTM PC domain: USUBJID and a PC result column."""
    columns = {str(c).strip().upper() for c in frame.columns}
    return "USUBJID" in columns and bool(columns & {"PCSTRESN", "PCORRES", "PCSTRESC"})


def _table_file(result: Any, suffix: str) -> str | bytes:
    from cxcr4lab.core.export import table_file

    return table_file(result.summary(), suffix, sheet="nca")


def _intervals_file(result: Any, suffix: str) -> str | bytes:
    from cxcr4lab.core.export import table_file

    return table_file(result.interval_table(), suffix, sheet="intervals")


def _pp_file(result: Any, suffix: str) -> str | bytes:
    from cxcr4lab.core.export import table_file
    from cxcr4lab.pkpd.nca_cdisc import PP_TERMS, pp_table

    long = result.parameters_long()
    pp = pp_table(long[long["parameter"].isin(list(PP_TERMS))], source=result.source)
    return table_file(pp, suffix, sheet="PP")


def _statistics_file(result: Any, suffix: str) -> str | bytes:
    from cxcr4lab.core.export import table_file

    return table_file(result.statistics_table(), suffix, sheet="statistics")


KIND = AnalysisKind(
    name="nca",
    label="NCA per subject: Cmax, AUC, lambda_z (best fit), t1/2, CL(/F), Vz(/F), Vss, MRT",
    inputs=(
        InputSpec(
            "data",
            "PK table: subject, time (h), conc, dose (every row or once per subject); optional "
            "route (extravascular, iv bolus, infusion), duration (h) and grouping columns; conc "
            "may be BLQ. Or a CDISC SDTM PC domain (with --doses)",
            ("csv", "tsv", "txt", "xlsx"),
            "data",
        ),
        InputSpec(
            "doses",
            "dose table, one row per dose: subject, time (h), dose; optional route, duration "
            "(h), tau (h)",
            ("csv", "tsv", "txt", "xlsx"),
            "doses",
            required=False,
            flag="--doses",
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
        Example(
            "NCA, multiple dose to steady state: SIMULATED balixafortide phase 1",
            "pk",
            {"data": "phase1_md_conc.csv", "doses": "phase1_md_doses.csv"},
            {
                "auc_method": "log-down",
                "conc_unit": "ng/mL",
                "dose_unit": "mg",
                "lloq": "5",
                "steady_state": "true",
                "interval": "0-24",
                "group": "cohort",
                "proportionality_dose": "dose_level",
            },
            "SIMULATED balixafortide phase 1 dose escalation (not patient data): 18 subjects, "
            "2.0-5.5 mg/kg as 2 h infusions on days 1-3, from the project's one human PK "
            "parameter set (scripts/simulate_pk_multiple_dose.py); first-dose and steady-state "
            "intervals, accumulation, statistics by cohort and dose proportionality.",
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
        OutputSpec(
            "intervals_out",
            "Also write one row per interval (partial AUCs, dosing intervals): .csv, .tsv, "
            ".xlsx or .parquet.",
            "--intervals-out",
            _intervals_file,
            by_suffix=True,
        ),
        OutputSpec(
            "pp_out",
            "Also write the parameters as a CDISC SDTM PP domain (PPTESTCD, PPORRES, PPSTRESN, "
            "PPSTRESU, PPSTINT/PPENINT): .csv, .tsv, .xlsx or .parquet.",
            "--pp-out",
            _pp_file,
            by_suffix=True,
        ),
        OutputSpec(
            "stats_out",
            "Also write the summary statistics by group: .csv, .tsv, .xlsx or .parquet.",
            "--stats-out",
            _statistics_file,
            by_suffix=True,
        ),
    ),
)
