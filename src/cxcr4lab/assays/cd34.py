"""CD34+ enumeration, ISHAGE single-platform: absolute CD34+ cells per µL with counting beads.

The protocol (seeds: "Quantification of CD34+ Hematopoietic Stem Cells by Flow Cytometry"):
whole blood stained for CD45 and CD34 with a viability dye (7-AAD), red cells lysed, acquired
with counting beads; sequential (ISHAGE) gating finds CD45+ leukocytes, then CD34+ cells among
them. Single platform (Keeney et al. 1998, Cytometry 34:61; Sutherland et al. 1996,
J Hematother 5:213)::

    CD34+ per µL = (viable CD34+ events / bead events) x (beads per tube / blood volume µL)

Minimum events (ISHAGE): at least 75,000 CD45+ events, and at least 100 CD34+ events for a
counting precision of 10% CV (Poisson, 1/sqrt(100)). A sample passes the minimum-event QC when
either is reached (low-count samples cannot reach 100 CD34+ events; 75,000 CD45+ events is
then the minimum); fewer than 100 CD34+ events is flagged ``low_cd34_events`` with its CV.
Viability: 7-AAD-negative fraction of CD45+ (and of CD34+) events (flag below 85%, a lab
choice); the absolute count uses viable CD34+ events when they are given. The 95% CI of the count is
the exact Poisson interval of the CD34+ events (beads are counted in thousands).

Inputs: a count table (``sample``, ``cd45_events``, ``cd34_events``, ``bead_events``,
``beads_per_tube``, ``volume_ul``; optional ``viable_cd45_events``, ``viable_cd34_events``,
``subject``, ``time_h``), or FCS files gated through FlowKit (:mod:`cxcr4lab.assays.flow`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.stats import chi2

from cxcr4lab.assays.flow import Events, RectGate, apply_gates
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.tabular import Table, text_column
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.tables import numeric_column, require_columns, require_unique

__all__ = [
    "Cd34Counts",
    "Cd34Result",
    "Cd34Sample",
    "Cd34Settings",
    "GateNames",
    "absolute_count",
    "analyse",
    "counts_from_events",
    "counts_from_table",
]


def absolute_count(
    cd34_events: float, bead_events: float, beads_per_tube: float, volume_ul: float
) -> float:
    """ISHAGE single platform: ``(CD34 / beads) x (beads per tube / volume µL)``.

    >>> absolute_count(200, 5000, 50000, 100)  # 200/5000 x 50000/100
    20.0
    """
    return cd34_events / bead_events * beads_per_tube / volume_ul


@dataclass(frozen=True)
class Cd34Settings:
    """Minimum-event QC (ISHAGE: 75,000 CD45+ or 100 CD34+ events) and the CI level.

    ``min_bead_events`` (a failing criterion) and ``min_viability_pct`` (a flag) are lab
    choices, not ISHAGE figures: 1,000 beads keep the bead count's CV near 3%."""

    min_cd45_events: int = 75_000
    min_cd34_events: int = 100
    min_bead_events: int = 1_000
    min_viability_pct: float = 85.0
    alpha: float = 0.05


@dataclass(frozen=True)
class GateNames:
    """Which gates of the gate file count what (FCS input)."""

    leukocytes: str = "cd45"
    cd34: str = "cd34"
    viable_cd34: str | None = "viable_cd34"
    viable_leukocytes: str | None = "viable_cd45"
    beads: str = "beads"


@dataclass(frozen=True)
class Cd34Counts:
    """Event counts of one tube, with where they came from (table row or FCS file)."""

    sample: str
    cd45_events: int
    cd34_events: int
    bead_events: int
    beads_per_tube: float
    volume_ul: float
    viable_cd45_events: int | None = None
    viable_cd34_events: int | None = None
    subject: str | None = None
    time_h: float | None = None
    origin: str = ""


@dataclass(frozen=True)
class Cd34Sample:
    """One tube: counts, absolute CD34+ per µL with its 95% CI, viability and QC."""

    counts: Cd34Counts
    cd34_per_ul: float
    lower_per_ul: float
    upper_per_ul: float
    cv_pct: float | None
    viability_cd45_pct: float | None
    viability_cd34_pct: float | None
    passed: bool
    reasons: tuple[str, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Cd34Result(Serial):
    """CD34+ counts of a set of tubes (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "cd34"

    source: str
    input_format: str
    settings: Cd34Settings
    samples: tuple[Cd34Sample, ...]

    def summary(self) -> pd.DataFrame:
        rows = [
            {
                "sample": s.counts.sample,
                "subject": s.counts.subject,
                "time_h": s.counts.time_h,
                "cd34_per_uL": s.cd34_per_ul,
                "cd34_lower_per_uL": s.lower_per_ul,
                "cd34_upper_per_uL": s.upper_per_ul,
                "count_cv_pct": s.cv_pct,
                "cd45_events": s.counts.cd45_events,
                "cd34_events": s.counts.cd34_events,
                "bead_events": s.counts.bead_events,
                "viability_cd45_pct": s.viability_cd45_pct,
                "viability_cd34_pct": s.viability_cd34_pct,
                "qc": "pass" if s.passed else "fail",
                "reasons": "; ".join(s.reasons),
                "flags": ",".join(s.flags),
            }
            for s in self.samples
        ]
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Potency]:
        return []


# --- inputs ---------------------------------------------------------------------------------------


def counts_from_table(table: Table) -> list[Cd34Counts]:
    """Counts from a count table (one row per tube)."""
    df = table.frame
    place = Place(file=table.source)
    rb = table.row_base
    required = [
        "sample",
        "cd45_events",
        "cd34_events",
        "bead_events",
        "beads_per_tube",
        "volume_ul",
    ]
    require_columns(df, required, place=place)
    require_unique(df, ["sample"], place=place, row_base=rb)
    names = text_column(table, "sample")
    cols = {
        c: numeric_column(df, c, place=place, nonnegative=True, row_base=rb) for c in required[1:]
    }
    optional = {
        c: numeric_column(df, c, place=place, nonnegative=True, allow_nan=True, row_base=rb)
        for c in ("viable_cd45_events", "viable_cd34_events", "time_h")
        if c in df.columns
    }
    subjects = text_column(table, "subject", required=False) if "subject" in df.columns else None
    out = []
    for i, name in enumerate(names):

        def opt(c: str, i: int = i) -> float | None:
            v = optional.get(c)
            return None if v is None or np.isnan(v[i]) else float(v[i])

        for c in ("cd45_events", "cd34_events", "bead_events"):
            if not float(cols[c][i]).is_integer():
                raise InputError(
                    f"{cols[c][i]:g} is not a whole number of events",
                    place=place,
                    row=table.line(i),
                    column=c,
                )
        v45, v34 = opt("viable_cd45_events"), opt("viable_cd34_events")
        out.append(
            Cd34Counts(
                sample=str(name),
                cd45_events=int(cols["cd45_events"][i]),
                cd34_events=int(cols["cd34_events"][i]),
                bead_events=int(cols["bead_events"][i]),
                beads_per_tube=float(cols["beads_per_tube"][i]),
                volume_ul=float(cols["volume_ul"][i]),
                viable_cd45_events=None if v45 is None else int(v45),
                viable_cd34_events=None if v34 is None else int(v34),
                subject=None if subjects is None else subjects[i],
                time_h=opt("time_h"),
                origin=f"{table.source}, row {table.line(i)}",
            )
        )
    return out


def counts_from_events(
    events: Events,
    gates: tuple[RectGate, ...],
    names: GateNames,
    *,
    sample: str,
    beads_per_tube: float,
    volume_ul: float,
    subject: str | None = None,
    time_h: float | None = None,
) -> Cd34Counts:
    """Counts of one FCS file gated through FlowKit."""
    defined = {g.name for g in gates}
    for role, gate in asdict(names).items():
        if gate is not None and gate not in defined:
            raise InputError(
                f"the gate file has no gate {quote(gate)} for {role}; gates: {', '.join(sorted(defined))}",
                file=events.source,
                field=role,
            )
    member = apply_gates(events, gates)

    def n(gate: str | None) -> int | None:
        return None if gate is None else int(member[gate].sum())

    return Cd34Counts(
        sample=sample,
        cd45_events=int(member[names.leukocytes].sum()),
        cd34_events=int(member[names.cd34].sum()),
        bead_events=int(member[names.beads].sum()),
        beads_per_tube=beads_per_tube,
        volume_ul=volume_ul,
        viable_cd45_events=n(names.viable_leukocytes),
        viable_cd34_events=n(names.viable_cd34),
        subject=subject,
        time_h=time_h,
        origin=events.source,
    )


# --- analysis -------------------------------------------------------------------------------------


def analyse(
    counts: list[Cd34Counts], settings: Cd34Settings, *, source: str, input_format: str
) -> Cd34Result:
    """Absolute CD34+ counts, viability and QC for every tube."""
    if not counts:
        raise InputError("no tubes to analyse", file=source)
    return Cd34Result(source, input_format, settings, tuple(_one(c, settings) for c in counts))


def _one(c: Cd34Counts, s: Cd34Settings) -> Cd34Sample:
    where = Place(file=c.origin or c.sample, field=f"sample {c.sample}")
    if c.bead_events <= 0:
        raise InputError("no bead events: the absolute count cannot be formed", place=where)
    if not (c.beads_per_tube > 0 and c.volume_ul > 0):
        raise InputError("beads per tube and blood volume must be > 0", place=where)
    if c.cd34_events > c.cd45_events:
        raise InputError(
            f"{c.cd34_events} CD34+ events exceed the {c.cd45_events} CD45+ events they are gated "
            "within",
            place=where,
        )
    for label, viable, total in (
        ("CD45+", c.viable_cd45_events, c.cd45_events),
        ("CD34+", c.viable_cd34_events, c.cd34_events),
    ):
        if viable is not None and viable > total:
            raise InputError(
                f"{viable} viable {label} events exceed the {total} {label} events", place=where
            )
    n34 = c.viable_cd34_events if c.viable_cd34_events is not None else c.cd34_events
    value = absolute_count(n34, c.bead_events, c.beads_per_tube, c.volume_ul)
    lo_n = 0.0 if n34 == 0 else float(chi2.ppf(s.alpha / 2, 2 * n34) / 2)
    hi_n = float(chi2.ppf(1 - s.alpha / 2, 2 * n34 + 2) / 2)
    scale = c.beads_per_tube / c.volume_ul / c.bead_events
    cv = None if n34 == 0 else 100.0 / math.sqrt(n34)
    v45 = (
        None
        if c.viable_cd45_events is None or c.cd45_events == 0
        else 100.0 * c.viable_cd45_events / c.cd45_events
    )
    v34 = (
        None
        if c.viable_cd34_events is None or c.cd34_events == 0
        else 100.0 * c.viable_cd34_events / c.cd34_events
    )
    reasons: list[str] = []
    flags: list[str] = []
    if c.cd45_events < s.min_cd45_events and c.cd34_events < s.min_cd34_events:
        reasons.append(
            f"{c.cd45_events:,} CD45+ and {c.cd34_events} CD34+ events: ISHAGE needs "
            f">= {s.min_cd45_events:,} CD45+ or >= {s.min_cd34_events} CD34+ events"
        )
    elif c.cd34_events < s.min_cd34_events:
        flags.append("low_cd34_events")
    if c.bead_events < s.min_bead_events:
        reasons.append(f"{c.bead_events} bead events; at least {s.min_bead_events} needed")
    if v45 is not None and v45 < s.min_viability_pct:
        flags.append("low_viability")
    return Cd34Sample(
        counts=c,
        cd34_per_ul=value,
        lower_per_ul=lo_n * scale,
        upper_per_ul=hi_n * scale,
        cv_pct=cv,
        viability_cd45_pct=v45,
        viability_cd34_pct=v34,
        passed=not reasons,
        reasons=tuple(reasons),
        flags=tuple(flags),
    )
