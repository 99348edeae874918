"""The samples of an NCA as pictures need them: per subject by state, and mean +/- SD by group.

No drawing here (the report and the browser draw); times in h, concentrations in the NCA's unit.
A BLQ sample set to 0 counts as 0 in the means; a BLQ sample left out, and a sample before the
first dose, count as missing. The mean at a time is shown when at least half of the group's
subjects have a value there (so a mean is not drawn from one subject at an odd time). When the
subjects of a group have as many samples each at actual times that differ (R's Theoph), the
k-th samples form one nominal time, drawn at the median of their times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from cxcr4lab.pkpd.nca import NcaResult, SubjectNca

__all__ = ["GroupMean", "SubjectPoints", "group_label", "group_means", "subject_points"]


@dataclass(frozen=True)
class SubjectPoints:
    """One subject's samples split by how the NCA used them (times h, concentrations)."""

    measured_t: NDArray[np.float64]
    measured_c: NDArray[np.float64]
    blq_zero_t: NDArray[np.float64]
    blq_excluded_t: NDArray[np.float64]
    before_dose_t: NDArray[np.float64]
    before_dose_c: NDArray[np.float64]
    lambda_z_t: NDArray[np.float64]
    lambda_z_c: NDArray[np.float64]


def subject_points(s: SubjectNca) -> SubjectPoints:
    """The subject's stored samples by state, and those the lambda_z fit used."""
    t = np.asarray(s.sample_times, dtype=float)
    c = np.array([np.nan if x is None else x for x in s.sample_concs], dtype=float)
    state = np.asarray(s.sample_states, dtype=object)
    measured = state == "measured"
    before = state == "before dose"
    used = np.zeros(len(t), dtype=bool)
    if s.lambda_z is not None:
        used = np.isin(t, np.asarray(s.lambda_z.fit_times, dtype=float)) & measured
    return SubjectPoints(
        measured_t=t[measured],
        measured_c=c[measured],
        blq_zero_t=t[state == "blq zero"],
        blq_excluded_t=t[state == "blq excluded"],
        before_dose_t=t[before & ~np.isnan(c)],
        before_dose_c=c[before & ~np.isnan(c)],
        lambda_z_t=t[used],
        lambda_z_c=c[used],
    )


@dataclass(frozen=True)
class GroupMean:
    """Mean +/- SD of one group at each sampling time with enough subjects."""

    label: str
    n_subjects: int
    time: NDArray[np.float64]
    mean: NDArray[np.float64]
    sd: NDArray[np.float64]
    n: NDArray[np.int64]


def group_label(result: NcaResult, s: SubjectNca) -> str:
    """The group a subject is summarised in: its ``group`` columns, else its dose when the
    doses differ, else ``all``."""
    if result.settings.group:
        return "; ".join(f"{g}={s.group_value(g)}" for g in result.settings.group)
    if len({x.dose for x in result.subjects}) > 1:
        return f"{s.dose:g} {result.units.get('dose', '')}".strip()
    return "all"


def group_means(result: NcaResult) -> list[GroupMean]:
    """Mean +/- SD (n - 1) by group at each time where at least half the group has a value."""
    groups: dict[str, list[SubjectNca]] = {}
    for s in result.subjects:
        groups.setdefault(group_label(result, s), []).append(s)
    out: list[GroupMean] = []
    for label, members in groups.items():
        values: dict[float, list[float]] = {}
        # actual times differing between subjects sampled alike: the k-th sample of each
        # subject is one nominal time (shown at the median of their actual times)
        counts = {len(s.sample_times) for s in members}
        by_rank = len(counts) == 1 and len({s.sample_times for s in members}) > 1
        rank_times = np.median([s.sample_times for s in members], axis=0) if by_rank else None
        for s in members:
            rows = zip(s.sample_times, s.sample_concs, s.sample_states, strict=True)
            for k, (t, c, state) in enumerate(rows):
                at = float(rank_times[k]) if rank_times is not None else t
                if state == "measured" and c is not None:
                    values.setdefault(at, []).append(c)
                elif state == "blq zero":
                    values.setdefault(at, []).append(0.0)
        times = sorted(t for t, v in values.items() if 2 * len(v) >= len(members))
        arrays = [np.asarray(values[t]) for t in times]
        out.append(
            GroupMean(
                label=label,
                n_subjects=len(members),
                time=np.asarray(times, dtype=float),
                mean=np.asarray([a.mean() for a in arrays], dtype=float),
                sd=np.asarray([a.std(ddof=1) if len(a) > 1 else np.nan for a in arrays]),
                n=np.asarray([len(a) for a in arrays], dtype=np.int64),
            )
        )
    return out
