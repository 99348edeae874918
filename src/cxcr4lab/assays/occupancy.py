"""CXCR4 receptor occupancy (%RO) by flow cytometry, per subject over time.

The protocol (seeds: "Protocol for CXCR4 Receptor Occupancy Assay by Flow Cytometry"): blood
before and after dosing stained with a fluorescent anti-CXCR4 antibody that competes with
balixafortide (e.g. clone 12G5) or with an isotype control; MFI in the gated population
(lymphocytes, monocytes)::

    %RO = (1 - MFI_post / MFI_pre) x 100        (seed_facts [assay.receptor_occupancy])

with the isotype control's MFI subtracted from each anti-CXCR4 MFI first, so that
non-specific fluorescence does not count as free receptor. Pre-dose is time <= 0 h. %RO below
0 (more free receptor than before, e.g. up-regulation) or above 100 (post-dose specific MFI
below zero) is kept and flagged, never clipped.

Inputs: an MFI table (``subject``, ``time_h``, ``stain`` = cxcr4 / isotype, ``mfi``), or FCS
files (one per subject, time and stain) with a gate and a channel, the MFI computed here from
the gated events through FlowKit (:mod:`cxcr4lab.assays.flow`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.flow import Events, RectGate, apply_gates
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.tabular import Table, text_column
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.tables import numeric_column, require_columns, require_unique

__all__ = [
    "MfiRecord",
    "OccupancyPoint",
    "OccupancyResult",
    "OccupancySettings",
    "analyse",
    "mfi_from_events",
    "receptor_occupancy",
    "records_from_table",
]

_STAINS = {
    "cxcr4": "cxcr4",
    "anti-cxcr4": "cxcr4",
    "12g5": "cxcr4",
    "specific": "cxcr4",
    "isotype": "isotype",
    "iso": "isotype",
    "control": "isotype",
}


def receptor_occupancy(
    mfi_post: float, mfi_pre: float, iso_post: float = 0.0, iso_pre: float = 0.0
) -> float:
    """``(1 - (MFI_post - iso_post) / (MFI_pre - iso_pre)) x 100``.

    >>> receptor_occupancy(300, 1100, 100, 100)  # specific 200 of 1000 left: 80% occupied
    80.0
    """
    return (1.0 - (mfi_post - iso_post) / (mfi_pre - iso_pre)) * 100.0


@dataclass(frozen=True)
class OccupancySettings:
    """Pre-dose cut (time <= ``predose_max_h``), MFI statistic for FCS input, isotype rule."""

    predose_max_h: float = 0.0
    statistic: Literal["mean", "median"] = "median"
    require_isotype: bool = True
    population: str = "lymphocytes"


@dataclass(frozen=True)
class MfiRecord:
    """One stained tube's MFI (from a table row or an FCS file)."""

    subject: str
    time_h: float
    stain: Literal["cxcr4", "isotype"]
    mfi: float
    n_events: int | None
    origin: str


@dataclass(frozen=True)
class OccupancyPoint:
    """One subject at one time: MFIs, specific MFI and %RO (None at pre-dose)."""

    subject: str
    time_h: float
    mfi: float
    isotype_mfi: float | None
    specific_mfi: float
    ro_pct: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class OccupancyResult(Serial):
    """%RO per subject over time (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "occupancy"

    source: str
    input_format: str
    settings: OccupancySettings
    records: tuple[MfiRecord, ...]
    points: tuple[OccupancyPoint, ...]

    def subjects(self) -> list[str]:
        return list(dict.fromkeys(p.subject for p in self.points))

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "subject": p.subject,
                    "time_h": p.time_h,
                    "mfi": p.mfi,
                    "isotype_mfi": p.isotype_mfi,
                    "specific_mfi": p.specific_mfi,
                    "ro_pct": p.ro_pct,
                    "flags": ",".join(p.flags),
                }
                for p in self.points
            ]
        )

    def by_time(self) -> pd.DataFrame:
        """Mean, SD and n of %RO across subjects at each post-dose time."""
        df = self.summary().dropna(subset=["ro_pct"])
        if df.empty:
            return pd.DataFrame(columns=["time_h", "mean_ro_pct", "sd_ro_pct", "n"])
        g = df.groupby("time_h")["ro_pct"]
        out = pd.DataFrame({"mean_ro_pct": g.mean(), "sd_ro_pct": g.std(ddof=1), "n": g.size()})
        return out.reset_index()

    def potencies(self, source: str = "") -> list[Potency]:
        return []


# --- inputs ---------------------------------------------------------------------------------------


def _stain(text: str, place: Place) -> Literal["cxcr4", "isotype"]:
    s = _STAINS.get(text.strip().lower())
    if s is None:
        raise InputError(f"unknown stain {quote(text)}; use cxcr4 or isotype", place=place)
    return "cxcr4" if s == "cxcr4" else "isotype"


def records_from_table(table: Table) -> list[MfiRecord]:
    """MFI records from a table with subject, time_h, stain, mfi."""
    df = table.frame
    place = Place(file=table.source)
    rb = table.row_base
    require_columns(df, ["subject", "time_h", "stain", "mfi"], place=place)
    subjects = text_column(table, "subject")
    stains = text_column(table, "stain")
    times = numeric_column(df, "time_h", place=place, row_base=rb)
    mfi = numeric_column(df, "mfi", place=place, row_base=rb)
    kinds = [
        _stain(str(s), Place(file=table.source, row=table.line(i), column="stain"))
        for i, s in enumerate(stains)
    ]
    keyed = pd.DataFrame({"subject": subjects, "time_h": times, "stain": kinds})
    require_unique(keyed, ["subject", "time_h", "stain"], place=place, row_base=rb)
    out = []
    for i in range(len(df)):
        if mfi[i] < 0:
            raise InputError(
                f"MFI {mfi[i]:g} is negative (compensated or background-subtracted values cannot "
                "be used here: give the raw MFI and the isotype control)",
                file=table.source,
                row=table.line(i),
                column="mfi",
            )
        out.append(
            MfiRecord(
                subject=str(subjects[i]),
                time_h=float(times[i]),
                stain=kinds[i],
                mfi=float(mfi[i]),
                n_events=None,
                origin=f"{table.source}, row {table.line(i)}",
            )
        )
    return out


def mfi_from_events(
    events: Events,
    gates: tuple[RectGate, ...],
    gate: str,
    channel: str,
    *,
    subject: str,
    time_h: float,
    stain: str,
    statistic: Literal["mean", "median"] = "median",
    min_events: int = 100,
) -> MfiRecord:
    """The MFI of ``channel`` in ``gate`` of one FCS file (FlowKit gating)."""
    if gate not in {g.name for g in gates}:
        raise InputError(
            f"no gate {quote(gate)}; gates: {', '.join(g.name for g in gates)}",
            file=events.source,
            field="gate",
        )
    member = apply_gates(events, gates)[gate]
    values = events.values(channel)[member]
    if len(values) < min_events:
        raise InputError(
            f"only {len(values)} events in gate {quote(gate)}; at least {min_events} needed for an MFI",
            file=events.source,
        )
    mfi = float(np.median(values) if statistic == "median" else np.mean(values))
    return MfiRecord(
        subject=subject,
        time_h=time_h,
        stain=_stain(stain, Place(file=events.source, field="stain")),
        mfi=mfi,
        n_events=len(values),
        origin=events.source,
    )


# --- analysis -------------------------------------------------------------------------------------


def analyse(
    records: list[MfiRecord], settings: OccupancySettings, *, source: str, input_format: str
) -> OccupancyResult:
    """%RO for every subject and post-dose time (isotype-subtracted, relative to pre-dose)."""
    if not records:
        raise InputError("no MFI records", file=source)
    index = {(r.subject, r.time_h, r.stain): r for r in records}
    points: list[OccupancyPoint] = []
    for subject in dict.fromkeys(r.subject for r in records):
        times = sorted({r.time_h for r in records if r.subject == subject and r.stain == "cxcr4"})
        pre_times = [t for t in times if t <= settings.predose_max_h]
        if not pre_times:
            raise InputError(
                f"subject {subject} has no pre-dose anti-CXCR4 MFI (time <= "
                f"{settings.predose_max_h:g} h): %RO needs the pre-dose reference",
                file=source,
                field=f"subject {subject}",
            )
        specific: dict[float, tuple[float, float | None]] = {}
        for t in times:
            r = index[(subject, t, "cxcr4")]
            iso = index.get((subject, t, "isotype"))
            if iso is None and settings.require_isotype:
                raise InputError(
                    f"no isotype control for subject {subject} at {t:g} h (isotype subtraction "
                    "is required)",
                    file=source,
                    field=f"subject {subject}, time {t:g} h",
                )
            iso_mfi = None if iso is None else iso.mfi
            specific[t] = (r.mfi - (iso_mfi or 0.0), iso_mfi)
        pre = float(np.mean([specific[t][0] for t in pre_times]))
        if not pre > 0:
            raise InputError(
                f"subject {subject}: pre-dose specific MFI {pre:g} is not above the isotype "
                "control; no receptor signal to occupy",
                file=source,
                field=f"subject {subject}",
            )
        for t in times:
            spec, iso_mfi = specific[t]
            flags: list[str] = []
            ro = None
            if t > settings.predose_max_h:
                ro = (1.0 - spec / pre) * 100.0
                if ro < 0:
                    flags.append("negative_ro")
                if ro > 100:
                    flags.append("above_100")
            else:
                flags.append("predose")
            if iso_mfi is None:
                flags.append("no_isotype")
            points.append(
                OccupancyPoint(
                    subject=subject,
                    time_h=t,
                    mfi=index[(subject, t, "cxcr4")].mfi,
                    isotype_mfi=iso_mfi,
                    specific_mfi=spec,
                    ro_pct=None if ro is None or not math.isfinite(ro) else ro,
                    flags=tuple(flags),
                )
            )
    return OccupancyResult(source, input_format, settings, tuple(records), tuple(points))
