"""The NCA's summaries across subjects: statistics by group and dose proportionality.

Glue between the per-subject results of :mod:`.nca` and the statistics of :mod:`.nca_stats`:
which parameters are summarised (those of :data:`SUMMARY_PARAMETERS` some subject has, and the
steady-state and partial-AUC interval parameters), by which groups (the ``group`` columns; by
dose when none are given and the doses differ; else all subjects), and which parameters are
tested for dose proportionality (Cmax, AUClast, AUCinf of single-dose subjects; Cmax and AUC of
the first and the last dosing interval of multiple-dose subjects; when there are at least two
dose levels).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.nca_interval import IntervalNca
from cxcr4lab.pkpd.nca_stats import DoseProportionality, dose_proportionality, summary_statistics

if TYPE_CHECKING:
    from cxcr4lab.pkpd.nca import StatRow, SubjectNca

__all__ = ["proportionality_of", "statistics_of"]

_PROPORTIONAL = ("cmax", "auc_last", "auc_inf_obs")
_INTERVAL_PARAMETERS: tuple[tuple[str, str, str], ...] = (
    ("auc", "auc_tau", "auc"),
    ("cmax", "cmax_ss", "conc"),
    ("cmin", "cmin_ss", "conc"),
    ("cavg", "cavg_ss", "conc"),
    ("fluctuation_pct", "fluctuation_pct", "%"),
    ("accumulation_ratio", "accumulation_ratio", "1"),
    ("cl_ss", "cl_ss", "cl"),
)


def _label(value: float) -> str:
    return f"{value:g}"


def statistics_of(
    subjects: Sequence[SubjectNca],
    intervals: Sequence[IntervalNca],
    group: Sequence[str],
    units: Mapping[str, str],
) -> tuple[StatRow, ...]:
    """n, mean, SD, CV%, geometric mean and CV%, median, min and max of each parameter."""
    from cxcr4lab.pkpd.nca import SUMMARY_PARAMETERS, StatRow

    by = list(group)
    if not by and len({s.dose for s in subjects}) > 1:
        by = ["dose"]
    rows: list[dict[str, Any]] = []
    unit_of: dict[str, str] = {}
    for s in subjects:
        row: dict[str, Any] = {"subject": s.subject, "dose": _label(s.dose)}
        row |= {g: s.group_value(g) for g in group}
        for attr, unit in SUMMARY_PARAMETERS:
            row[attr] = getattr(s, attr)
            unit_of[attr] = units.get(unit, unit)
        if s.lambda_z is not None:
            row["lambda_z"] = s.lambda_z.lambda_z
        unit_of["lambda_z"] = units.get("rate", "1/h")
        for iv in intervals:
            if iv.subject != s.subject:
                continue
            if iv.kind == "partial":
                key = f"auc_{iv.start:g}-{iv.end:g}"
                row[key] = iv.auc
                unit_of[key] = units.get("auc", "auc")
            elif iv.kind == "steady state":
                for attr, key, unit in _INTERVAL_PARAMETERS:
                    row[key] = getattr(iv, attr)
                    unit_of[key] = units.get(unit, "") if unit != "1" else ""
        rows.append(row)
    frame = pd.DataFrame(rows)
    parameters = [
        p
        for p in frame.columns
        if p in unit_of and pd.to_numeric(frame[p], errors="coerce").notna().any()
    ]
    if not parameters:
        return ()
    table = summary_statistics(frame, parameters, by=by)
    out: list[StatRow] = []
    for rec in table.to_dict("records"):
        label = "; ".join(f"{g}={rec[g]}" for g in by) or "all"
        out.append(
            StatRow(
                group=label,
                parameter=str(rec["parameter"]),
                unit=unit_of[str(rec["parameter"])],
                n=int(rec["n"]),
                mean=_finite(rec["mean"]),
                sd=_finite(rec["sd"]),
                cv_pct=_finite(rec["cv_pct"]),
                geomean=_finite(rec["geomean"]),
                geocv_pct=_finite(rec["geocv_pct"]),
                median=_finite(rec["median"]),
                min=_finite(rec["min"]),
                max=_finite(rec["max"]),
            )
        )
    return tuple(out)


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def proportionality_of(
    subjects: Sequence[SubjectNca],
    intervals: Sequence[IntervalNca] = (),
    dose_column: str | None = None,
) -> tuple[DoseProportionality, ...]:
    """The power model over the dose, when there are at least two dose levels and three values:
        Cmax, AUClast and AUCinf of single-dose subjects; Cmax and AUC of the first dosing interval
        and at steady state (or of the last dosing interval) of multiple-dose subjects. The dose is
    the amount given, or the number in the subjects' ``dose_column`` (a dose level in mg/kg when
    doses are by weight)."""
    rows: list[dict[str, Any]] = []
    for s in subjects:
        row: dict[str, Any] = {"dose": s.dose}
        if dose_column is not None:
            text = s.group_value(dose_column)
            try:
                row["dose"] = float(text)
            except ValueError:
                raise InputError(
                    f"subject {s.subject}: {text!r} is not a dose (a number)", column=dose_column
                ) from None
        if s.n_doses == 1:
            row |= {attr: getattr(s, attr) for attr in _PROPORTIONAL}
        else:
            mine = [iv for iv in intervals if iv.subject == s.subject and iv.kind != "partial"]
            if mine:
                row |= {"cmax_first": mine[0].cmax, "auc_tau_first": mine[0].auc}
            if len(mine) > 1:
                row |= {"cmax_ss": mine[-1].cmax, "auc_tau": mine[-1].auc}
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame["dose"].nunique() < 2:
        return ()
    out: list[DoseProportionality] = []
    for attr in [c for c in frame.columns if c != "dose"]:
        part = frame[["dose", attr]].dropna()
        part = part[part[attr] > 0]
        if len(part) < 3 or part["dose"].nunique() < 2:
            continue
        try:
            out.append(dose_proportionality(part, "dose", attr))
        except InputError:
            continue
    return tuple(out)
