"""Report section of an in-vivo tumour study (kind ``invivo``).

``render`` tells a :class:`~cxcr4lab.studies.invivo.InvivoStudyResult` as steps: the design
(groups, doses with units, routes, schedules); the burden over time (every animal, and each
group's geometric mean with its 95 % CI, log scale); a waterfall of each animal's final
relative burden; TGI (both conventions, named) and T/C with NCI's activity criterion on the
analysis day; the per-day group comparisons (adjusted p, method named) and the adjusted-AUC
comparison; the mixed-model growth rates, doubling times and contrasts; Kaplan-Meier curves of
time to endpoint with censoring marks and the log-rank tests; SynergyLMM's time-resolved
combination index and synergy score (Bliss and HSA, 95 % bands) with the study's own terms
(burden reduction against the control, combination against each monotherapy); the Simeoni
TGI model (parameters with CIs, threshold concentrations, observed group geometric means
against the fitted curves, the combination against its additive prediction); endpoint
biomarkers and tissue scores (values by group and a forest plot of the effects); the
mouse-to-human translation of balixafortide (table and occupancy over time); dropouts, deaths,
exclusions, flags and notes.

Everything is drawn from the stored result (no refitting): the Kaplan-Meier steps are the
product-limit estimate of the stored per-animal times, the geometric means and their t
intervals come from the stored animal table. The data helpers (:func:`burden_summary`,
:func:`final_relative_burden`, :func:`kaplan_meier_steps`) import no drawing library; the web
figures (:mod:`cxcr4lab.web.plots.invivo`) use them too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxcr4lab.report.sections._worked import Step, render_steps

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from cxcr4lab.preclinical.efficacy import TgiResult, TimeToEndpoint
    from cxcr4lab.preclinical.endpoints import EndpointComparison
    from cxcr4lab.preclinical.growth import GrowthModelResult
    from cxcr4lab.preclinical.invivo_synergy import InvivoSynergyResult
    from cxcr4lab.preclinical.study import AnimalTable
    from cxcr4lab.studies.invivo import InvivoStudyResult
    from cxcr4lab.studies.invivo_translation import BalixafortideTranslation

__all__ = [
    "KmStep",
    "animal_courses",
    "burden_figure",
    "burden_label",
    "burden_name",
    "burden_summary",
    "endpoint_values",
    "endpoint_values_figure",
    "final_relative_burden",
    "forest_figure",
    "group_colours",
    "growth_figure",
    "kaplan_meier_figure",
    "kaplan_meier_steps",
    "occupancy_figure",
    "render",
    "simulated_text",
    "study_groups",
    "synergy_figure",
    "tgi_model_curves",
    "tgi_model_figure",
    "waterfall_figure",
]

DASH = "-"
CONTROL_COLOUR = "#6e6e6e"
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
"""Group colours in order (the control is grey)."""
METHOD_COLOURS = {"Bliss": "#1f77b4", "HSA": "#d62728", "RA": "#2ca02c"}

_BURDEN_TEXT = {
    "volume_mm3": ("tumour volume", "mm^3", "mm³", "log10_volume", "rtv", "RTV"),
    "total_flux_p_s": ("BLI total flux", "p/s", "p/s", "log10_flux", "relative_flux", "RTF"),
}
"""burden -> (name, unit in text, unit in figures, log10 column, relative column, short name
of the relative burden)."""

_RESPONSES = {
    "log_volume": "log10 tumour volume",
    "volume": "tumour volume",
    "rtv": "relative tumour volume (RTV)",
    "log_rtv": "log10 relative tumour volume",
    "log_flux": "log10 total flux",
    "log_relative_flux": "log10 relative total flux",
}


# --- text ------------------------------------------------------------------------------------------


class _Dashes:
    """Why a table shows "-": each reason collected once, said once in the section's header."""

    def __init__(self) -> None:
        self.reasons: dict[str, None] = {}

    def num(self, value: object, why: str, digits: int = 3) -> str:
        if value is None or isinstance(value, bool):
            return self._dash(why) if value is None else ("yes" if value else "no")
        v = float(value)  # type: ignore[arg-type]
        if not math.isfinite(v):
            return self._dash(why)
        return f"{v:.{digits}g}"

    def p(self, value: float | None, why: str) -> str:
        if value is None or not math.isfinite(value):
            return self._dash(why)
        return "< 0.0001" if value < 0.0001 else f"{value:.3g}"

    def interval(self, low: float | None, high: float | None, why: str, digits: int = 3) -> str:
        if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
            return self._dash(why)
        return f"{low:.{digits}g} to {high:.{digits}g}"

    def _dash(self, why: str) -> str:
        self.reasons[why] = None
        return DASH

    def text(self) -> str:
        if not self.reasons:
            return ""
        return ' "-" in the tables: ' + "; ".join(self.reasons) + "."


def _p_clause(p: str) -> str:
    """``p = 0.03`` or ``p < 0.0001``."""
    return f"p {p}" if p.startswith("<") else f"p = {p}"


def _table(caption: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> dict[str, Any]:
    return {"caption": caption, "columns": list(columns), "rows": [list(r) for r in rows]}


def _day(value: float) -> str:
    return f"{value:g}"


def burden_name(burden: str) -> str:
    """The burden in words: ``BLI total flux``, ``tumour volume``."""
    return _BURDEN_TEXT.get(burden, (burden,))[0]


def burden_label(burden: str, *, text: bool = False) -> str:
    """The burden with its unit: ``BLI total flux (p/s)``, ``tumour volume (mm³)`` (``text``:
    ``mm^3``)."""
    name, plain, unit, *_ = _BURDEN_TEXT.get(burden, (burden, "", "", "", "", ""))
    unit = plain if text else unit
    return f"{name} ({unit})" if unit else name


def simulated_text(result: InvivoStudyResult) -> str:
    """The line saying the data are SIMULATED: the bundled example (its file names and a
    design that says so), or any study whose design names itself simulated; else empty."""
    from cxcr4lab.runs.invivo import KIND

    design = result.table.design
    says = design is not None and "SIMULATED" in design.name.upper()
    name = result.source.replace("\\", "/").rsplit("/", 1)[-1]
    for e in KIND.examples:
        if says and name in e.files.values():
            return (
                "SIMULATED example data (bundled with cxcr4lab; the truth that generated them "
                f"is in examples/{e.folder}/README.md), not a measurement. "
            )
    return "SIMULATED data (the study design says so), not a measurement. " if says else ""


def study_groups(table: AnimalTable) -> list[str]:
    """The table's groups in the study's order: the control first, then as the design lists
    them, then any other in order of appearance."""
    order = list(table.design.group_names) if table.design is not None else []
    groups = [g for g in order if g in table.groups]
    groups += [g for g in table.groups if g not in groups]
    control = table.control or (table.design.control if table.design is not None else None)
    if control in groups:
        groups.remove(control)
        groups.insert(0, control)
    return groups


def group_colours(groups: Sequence[str], control: str | None) -> dict[str, str]:
    """One colour per group: the control grey, the others in :data:`COLOURS` order."""
    out: dict[str, str] = {}
    k = 0
    for g in groups:
        if g == control:
            out[g] = CONTROL_COLOUR
        else:
            out[g] = COLOURS[k % len(COLOURS)]
            k += 1
    return out


# --- data (no drawing) -----------------------------------------------------------------------------


def _log_column(table: AnimalTable, burden: str) -> pd.DataFrame:
    """``animal_id, group, day, log10`` of the burden (finite values only)."""
    column = _BURDEN_TEXT[burden][3] if burden in _BURDEN_TEXT else burden
    f = table.frame()
    if column in f:
        values = f[column].to_numpy(dtype=float)
    else:
        raw = f[burden].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(raw > 0, np.log10(raw), np.nan)
    out = pd.DataFrame(
        {"animal_id": f["animal_id"], "group": f["group"], "day": f["day"], "log10": values}
    )
    kept: pd.DataFrame = out.loc[np.isfinite(values)]
    return kept


def burden_summary(table: AnimalTable, burden: str, conf_level: float = 0.95) -> pd.DataFrame:
    """Per group and study day: ``group, day, n, geometric_mean, lower, upper`` of the burden
    (its unit; the interval is the t interval of the mean log10, back-transformed; NaN with
    one animal)."""
    from scipy import stats

    f = _log_column(table, burden)
    rows = []
    for g in study_groups(table):
        part = f[f["group"] == g]
        for d, at in part.groupby("day", sort=True):
            v = at["log10"].to_numpy(dtype=float)
            mean = float(v.mean())
            lo = hi = math.nan
            if len(v) > 1:
                half = (
                    float(stats.t.ppf(0.5 + conf_level / 2, len(v) - 1))
                    * float(v.std(ddof=1))
                    / math.sqrt(len(v))
                )
                lo, hi = 10 ** (mean - half), 10 ** (mean + half)
            rows.append(
                {
                    "group": g,
                    "day": float(str(d)),
                    "n": len(v),
                    "geometric_mean": 10**mean,
                    "lower": lo,
                    "upper": hi,
                }
            )
    return pd.DataFrame(rows, columns=["group", "day", "n", "geometric_mean", "lower", "upper"])


def animal_courses(
    table: AnimalTable, burden: str
) -> list[tuple[str, str, list[float], list[float]]]:
    """Each animal's burden over time: (animal, group, days, values in the burden's unit)."""
    f = _log_column(table, burden).sort_values(["animal_id", "day"])
    return [
        (str(a), str(part["group"].iloc[0]), part["day"].tolist(), (10 ** part["log10"]).tolist())
        for a, part in f.groupby("animal_id", sort=False)
    ]


def final_relative_burden(table: AnimalTable, burden: str, day: float) -> pd.DataFrame:
    """Each animal's last relative burden (value / baseline) up to ``day``: ``animal_id, group,
    day, relative, early`` (``early``: its last value is before ``day``), largest first."""
    column = _BURDEN_TEXT[burden][4] if burden in _BURDEN_TEXT else "rtv"
    f = table.frame()
    f = f[(f["day"] <= day + 1e-9) & np.isfinite(f[column].astype(float))]
    f = f[f[column].astype(float) > 0]
    last = f.sort_values("day").groupby("animal_id", sort=False).tail(1)
    out = pd.DataFrame(
        {
            "animal_id": last["animal_id"].astype(str),
            "group": last["group"].astype(str),
            "day": last["day"].astype(float),
            "relative": last[column].astype(float),
        }
    )
    out["early"] = out["day"] < day - 1e-9
    return out.sort_values("relative", ascending=False, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class KmStep:
    """One group's Kaplan-Meier curve (product limit of the stored times): step ``times``
    (starting at 0) and ``survival``; ``censored`` times and the curve's value there."""

    group: str
    n: int
    events: int
    times: tuple[float, ...]
    survival: tuple[float, ...]
    censored_times: tuple[float, ...]
    censored_survival: tuple[float, ...]


def kaplan_meier_steps(tte: TimeToEndpoint) -> list[KmStep]:
    """The product-limit estimate per group from the stored per-animal times (d)."""
    out = []
    order = [g.group for g in tte.groups] or list(dict.fromkeys(a.group for a in tte.animals))
    for g in order:
        animals = [a for a in tte.animals if a.group == g]
        t = np.array([a.time for a in animals], dtype=float)
        e = np.array([a.event for a in animals], dtype=bool)
        times, surv, ct, cs = [0.0], [1.0], [], []
        s = 1.0
        for u in np.unique(t):
            at_risk = int((t >= u).sum())
            d = int((e & (t == u)).sum())
            if d:
                s *= 1 - d / at_risk
                times.append(float(u))
                surv.append(s)
            c = int((~e & (t == u)).sum())
            if c:
                ct += [float(u)] * c
                cs += [s] * c
        out.append(KmStep(g, len(t), int(e.sum()), tuple(times), tuple(surv), tuple(ct), tuple(cs)))
    return out


def endpoint_values(result: InvivoStudyResult) -> pd.DataFrame | None:
    """Per-animal endpoint values (``animal_id, group, marker, value, unit``) if the stored
    result holds the endpoint table, else None (then only the group summaries are drawn)."""
    from cxcr4lab.preclinical.endpoints import EndpointTable

    for holder in (result, result.endpoints):
        if holder is None or not dataclasses.is_dataclass(holder):
            continue
        for f in dataclasses.fields(holder):
            value = getattr(holder, f.name, None)
            if isinstance(value, EndpointTable):
                return value.frame()
    return None


def _order(groups: Sequence[str], table: AnimalTable) -> list[str]:
    """``groups`` in the study's order (control first), unknown ones last."""
    known = [g for g in study_groups(table) if g in groups]
    return known + [g for g in dict.fromkeys(groups) if g not in known]


# --- figures ---------------------------------------------------------------------------------------


def _new(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _svg(fig: Figure) -> str:
    from cxcr4lab.report.figures import to_svg

    return to_svg(fig)


def _plain_log(ax: Any, which: str = "y") -> None:
    """Plain tick labels on a log axis (``0.4``, ``1e+06``, not mathtext powers); minor ticks
    labelled where the axis spans few decades (at 2, 3 and 5 below 30-fold, at 2 and 5 below
    300-fold)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis = ax.yaxis if which == "y" else ax.xaxis
    low, high = ax.get_ylim() if which == "y" else ax.get_xlim()
    label = FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(label)
    span = high / low if low > 0 else math.inf
    if span < 300:
        subs = (2.0, 3.0, 5.0) if span < 30 else (2.0, 5.0)
        axis.set_minor_locator(LogLocator(subs=subs))
        axis.set_minor_formatter(label)
        ticks = axis.get_major_ticks()
        if ticks:
            size = ticks[0].label1.get_fontsize()
            ax.tick_params(axis=which, which="minor", labelsize=size)
    else:
        axis.set_minor_formatter(NullFormatter())


def burden_figure(result: InvivoStudyResult) -> Figure:
    """Every animal's burden (thin lines) and each group's geometric mean with its 95 % CI
    (thick line, band) over study days, log scale; dropouts end with a cross."""
    table = result.table
    colours = group_colours(study_groups(table), result.efficacy.control)
    summary = burden_summary(table, result.burden)
    fates = {a.animal_id: a for a in table.animals}
    fig = _new(7.2, 4.6)
    ax = fig.subplots()
    for animal, group, days, values in animal_courses(table, result.burden):
        colour = colours.get(group, "black")
        ax.plot(days, values, color=colour, lw=0.6, alpha=0.35)
        fate = fates.get(animal)
        if fate is not None and fate.status != "alive":
            ax.plot(days[-1], values[-1], "x", color=colour, ms=6, mew=1.4)
    for g in study_groups(table):
        part = summary[summary["group"] == g]
        if part.empty:
            continue
        x = part["day"].to_numpy(dtype=float)
        ok = np.isfinite(part["lower"].to_numpy(dtype=float))
        ax.fill_between(
            x[ok],
            part["lower"].to_numpy()[ok],
            part["upper"].to_numpy()[ok],
            color=colours[g],
            alpha=0.18,
            lw=0,
        )
        ax.plot(x, part["geometric_mean"], "o-", color=colours[g], lw=2.2, ms=4, label=g)
    ax.set_yscale("log")
    ax.set_xlabel("study day (d)")
    ax.set_ylabel(f"{burden_label(result.burden)}, log scale")
    ax.axvline(result.efficacy.day, color="0.5", lw=0.8, ls=":")
    ax.legend(fontsize=7, frameon=False, title="geometric mean, 95% CI", title_fontsize=7)
    ax.set_title(
        f"Burden per animal (thin lines; x: dropout or death) and group geometric means; "
        f"dotted: analysis day {_day(result.efficacy.day)}",
        fontsize=8,
        loc="left",
    )
    _plain_log(ax)
    fig.tight_layout()
    return fig


def waterfall_figure(result: InvivoStudyResult) -> Figure | None:
    """Each animal's final relative burden (last value up to the analysis day over its
    baseline), largest first, bars from 1 on a log axis, coloured by group; hatched bars end
    before the analysis day. None without relative values."""
    from matplotlib.patches import Patch

    day = result.efficacy.day
    final = final_relative_burden(result.table, result.burden, day)
    if final.empty:
        return None
    colours = group_colours(study_groups(result.table), result.efficacy.control)
    fig = _new(max(6.0, min(11.0, 1.5 + 0.16 * len(final))), 4.2)
    ax = fig.subplots()
    x = np.arange(len(final))
    rel = final["relative"].to_numpy(dtype=float)
    bars = ax.bar(
        x,
        rel - 1.0,
        bottom=1.0,
        color=[colours.get(g, "black") for g in final["group"]],
        width=0.8,
        edgecolor="white",
        lw=0.3,
    )
    for bar, early in zip(bars, final["early"], strict=True):
        if early:
            bar.set_hatch("///")
            bar.set_edgecolor("black")
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(x, final["animal_id"].tolist(), rotation=90, fontsize=5.5)
    ax.set_xlim(-0.7, len(final) - 0.3)
    short = _BURDEN_TEXT.get(result.burden, ("", "", "", "", "", "relative burden"))[5]
    ax.set_ylabel(
        f"final / baseline {burden_name(result.burden)} (fold, log scale)",
        fontsize=8,
    )
    handles = [Patch(color=colours[g], label=g) for g in study_groups(result.table) if g in colours]
    if final["early"].any():
        handles.append(
            Patch(facecolor="white", edgecolor="black", hatch="///", label="last value early")
        )
    ax.legend(handles=handles, fontsize=7, frameon=False, ncols=2)
    ax.set_title(
        f"Waterfall of the final relative burden ({short}) per animal, day {_day(day)} or the "
        "animal's last measurement",
        fontsize=8,
        loc="left",
    )
    _plain_log(ax)
    fig.tight_layout()
    return fig


def growth_figure(growth: GrowthModelResult, colours: dict[str, str]) -> Figure:
    """Each group's growth rate (per day) with its CI, the control's as a dotted line."""
    rates = growth.rates
    fig = _new(6.4, 0.45 * len(rates) + 1.3)
    ax = fig.subplots()
    y = np.arange(len(rates))[::-1]
    for yi, g in zip(y, rates, strict=True):
        ax.errorbar(
            g.rate,
            yi,
            xerr=[[g.rate - g.lower], [g.upper - g.rate]],
            fmt="o",
            color=colours.get(g.group, "black"),
            capsize=3,
        )
    control = next((g for g in rates if g.group == growth.control), None)
    if control is not None:
        ax.axvline(control.rate, color="0.5", lw=0.8, ls=":")
    ax.set_yticks(y, [g.group for g in rates], fontsize=7)
    ax.set_ylim(-0.7, len(rates) - 0.3)
    level = round(100 * growth.conf_level)
    ax.set_xlabel(f"growth rate (per day: slope of ln burden), {level}% CI", fontsize=8)
    fig.tight_layout()
    return fig


def kaplan_meier_figure(tte: TimeToEndpoint, colours: dict[str, str]) -> Figure:
    """Kaplan-Meier step curves of time to endpoint, censoring marks ("|"), and n (events) per
    group in the legend; coinciding curves are drawn with different dashes."""
    steps = kaplan_meier_steps(tte)
    fig = _new(6.8, 4.0)
    ax = fig.subplots()
    dashes = ("-", "--", "-.", ":")
    t_max = max((a.time for a in tte.animals), default=1.0)
    for k, s in enumerate(steps):
        colour = colours.get(s.group, COLOURS[k % len(COLOURS)])
        x = [*s.times, t_max]
        y = [*s.survival, s.survival[-1]]
        ax.step(
            x,
            y,
            where="post",
            color=colour,
            ls=dashes[k % len(dashes)],
            lw=1.6,
            label=f"{s.group} (n = {s.n}, {s.events} events)",
        )
        if s.censored_times:
            ax.plot(s.censored_times, s.censored_survival, "|", color=colour, ms=10, mew=1.4)
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlim(0, t_max * 1.03 if t_max > 0 else 1.0)
    ax.set_xlabel("time from baseline (d)")
    ax.set_ylabel("fraction without endpoint")
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.set_title(f"Time to endpoint: {tte.definition}; |: censored", fontsize=8, loc="left")
    fig.tight_layout()
    return fig


def synergy_figure(synergy: Sequence[InvivoSynergyResult]) -> Figure:
    """Combination index (log scale, < 1 synergy) and synergy score (> 0 synergy) over days
    since baseline, one line per reference model with its interval band."""
    fig = _new(9.0, 3.9)
    ax_ci, ax_ss = fig.subplots(1, 2)
    for res in synergy:
        colour = METHOD_COLOURS.get(res.method, "black")
        pts = [p for p in res.points if p.ci is not None and p.ss is not None]
        if not pts:
            continue
        d = np.array([p.day for p in pts], dtype=float)

        def arr(name: str, pts: Sequence[Any] = pts) -> np.ndarray:
            return np.array(
                [math.nan if getattr(p, name) is None else getattr(p, name) for p in pts]
            )

        level = round(100 * res.conf_level)
        for ax, (est, lo, hi) in (
            (ax_ci, ("ci", "ci_lower", "ci_upper")),
            (ax_ss, ("ss", "ss_lower", "ss_upper")),
        ):
            low, high = arr(lo), arr(hi)
            ok = np.isfinite(low) & np.isfinite(high)
            ax.fill_between(d[ok], low[ok], high[ok], color=colour, alpha=0.15, lw=0)
            ax.plot(d, arr(est), "o-", color=colour, ms=4, label=f"{res.method} ({level}% CI)")
    ax_ci.axhline(1.0, color="0.3", lw=0.9, ls="--")
    ax_ci.set_yscale("log")
    ax_ci.set_ylabel("combination index CI (unitless; < 1 synergy)", fontsize=8)
    ax_ss.axhline(0.0, color="0.3", lw=0.9, ls="--")
    ax_ss.set_ylabel("synergy score SS (z; > 0 synergy)", fontsize=8)
    start = synergy[0].fit.day_start if synergy else 0.0
    for ax in (ax_ci, ax_ss):
        ax.set_xlabel(f"days since baseline (study day {_day(start)})", fontsize=8)
        ax.legend(fontsize=7, frameon=False)
    ax_ci.set_title("Combination index over time", fontsize=8, loc="left")
    ax_ss.set_title("Synergy score over time", fontsize=8, loc="left")
    _plain_log(ax_ci)
    fig.tight_layout()
    return fig


def _grid(n: int, per_row: int = 4) -> tuple[int, int]:
    cols = min(n, per_row)
    return math.ceil(n / cols), cols


def endpoint_values_figure(
    comparison: EndpointComparison,
    values: pd.DataFrame | None,
    table: AnimalTable,
    colours: dict[str, str],
) -> Figure:
    """One panel per marker, groups on the x axis: box plots with every animal's value (strip)
    when the values are stored, else the group summaries (mean ± SD, or geometric mean for a
    log-scale marker, and the median)."""
    markers = list(dict.fromkeys(g.marker for g in comparison.groups))
    scales = {e.marker: e.scale for e in comparison.effects}
    rows, cols = _grid(len(markers))
    fig = _new(2.6 * cols + 0.4, 2.7 * rows + 0.4)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    rng = np.random.default_rng(0)  # jitter only
    for ax, m in zip(axes, markers, strict=False):
        summaries = [g for g in comparison.groups if g.marker == m]
        groups = _order([g.group for g in summaries], table)
        unit = summaries[0].unit
        x = np.arange(len(groups))
        if values is not None:
            part = values[values["marker"] == m]
            data = [part.loc[part["group"] == g, "value"].to_numpy(dtype=float) for g in groups]
            ax.boxplot(
                data,
                positions=x,
                widths=0.55,
                showfliers=False,
                medianprops={"color": "black"},
                boxprops={"color": "0.4"},
            )
            for xi, g, v in zip(x, groups, data, strict=True):
                jitter = rng.uniform(-0.15, 0.15, len(v))
                ax.plot(xi + jitter, v, "o", ms=3, alpha=0.75, color=colours.get(g, "black"))
        else:
            by = {g.group: g for g in summaries}
            for xi, g in zip(x, groups, strict=True):
                s = by[g]
                c = colours.get(g, "black")
                if scales.get(m) == "log" and math.isfinite(s.geometric_mean):
                    ax.plot(xi, s.geometric_mean, "o", color=c, ms=6)
                elif math.isfinite(s.sd):
                    ax.errorbar(xi, s.mean, yerr=s.sd, fmt="o", color=c, capsize=3, ms=6)
                else:
                    ax.plot(xi, s.mean, "o", color=c, ms=6)
                ax.plot(xi + 0.22, s.median, "_", color="black", ms=10, mew=1.5)
        if scales.get(m) == "log":
            ax.set_yscale("log")
            _plain_log(ax)
        ax.set_xticks(x, groups, rotation=30, ha="right", fontsize=6.5)
        ax.set_ylabel(f"{m} ({unit})", fontsize=7)
        ax.tick_params(axis="y", labelsize=6.5)
        ax.set_title(m, fontsize=8)
    for ax in axes[len(markers) :]:
        ax.set_visible(False)
    if values is None:
        fig.suptitle(
            "Group summaries (dot: geometric mean for log-scale markers, mean ± SD otherwise; "
            "bar: median)",
            fontsize=8,
        )
    fig.tight_layout()
    return fig


def forest_figure(comparison: EndpointComparison) -> Figure:
    """One forest panel per marker (its own scale and unit): each comparison's effect with its
    CI, the no-effect line, and the estimate, CI and adjusted p written beside."""
    markers = list(dict.fromkeys(e.marker for e in comparison.effects))
    counts = [sum(e.marker == m for e in comparison.effects) for m in markers]
    fig = _new(8.0, 0.32 * sum(counts) + 0.75 * len(markers) + 0.3)
    axes = np.atleast_1d(
        fig.subplots(len(markers), 1, squeeze=False, gridspec_kw={"height_ratios": counts})
    ).ravel()
    level = round(100 * comparison.conf_level)
    for ax, m in zip(axes, markers, strict=True):
        effects = [e for e in comparison.effects if e.marker == m]
        y = np.arange(len(effects))[::-1]
        est = np.array([e.effect for e in effects], dtype=float)
        lo = np.array([e.ci_lower for e in effects], dtype=float)
        hi = np.array([e.ci_upper for e in effects], dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(est)
        ax.errorbar(
            est[ok],
            y[ok],
            xerr=[est[ok] - lo[ok], hi[ok] - est[ok]],
            fmt="s",
            color=COLOURS[0],
            capsize=2.5,
            ms=4,
        )
        e0 = effects[0]
        ax.axvline(e0.null, color="grey", lw=0.8, ls="--")
        if e0.scale == "log":
            ax.set_xscale("log")
            _plain_log(ax, "x")
            what = "ratio of geometric means (log scale)"
        else:
            what = f"difference of means ({e0.unit})"
        ax.set_yticks(y, [f"{e.group} vs {e.reference}" for e in effects], fontsize=6.5)
        ax.set_ylim(-0.6, len(effects) - 0.4)
        ax.tick_params(axis="x", labelsize=6.5)
        ax.set_title(f"{m}: {what}, {level}% CI", fontsize=7.5, loc="left")
        for yi, e in zip(y, effects, strict=True):
            p = "< 0.0001" if e.p_adjusted < 0.0001 else f"{e.p_adjusted:.2g}"
            ax.annotate(
                f"{e.effect:.3g} ({e.ci_lower:.3g} to {e.ci_upper:.3g}), p adj {p}",
                (1.02, yi),
                xycoords=("axes fraction", "data"),
                fontsize=6.5,
                va="center",
            )
    fig.tight_layout()
    return fig


def occupancy_figure(translation: BalixafortideTranslation) -> Figure:
    """CXCR4 occupancy (%) and unbound concentration (nM, log scale) over the 72 h from the
    first dose, mouse schedule against the clinical regimen (SIMULATED)."""
    courses = translation.occupancy_courses()
    fig = _new(9.0, 3.8)
    ax_ro, ax_c = fig.subplots(1, 2, sharex=True)
    for k, (name, part) in enumerate(courses.groupby("regimen", sort=False)):
        colour = COLOURS[k % len(COLOURS)]
        t = part["time after first dose (h)"].to_numpy(dtype=float)
        ax_ro.plot(t, part["occupancy (%)"], color=colour, lw=1.3, label=str(name))
        c = part["C unbound (nM)"].to_numpy(dtype=float)
        ok = c > 0
        ax_c.plot(t[ok], c[ok], color=colour, lw=1.3, label=str(name))
    target = 100 * translation.target
    ax_ro.axhline(target, color="0.3", lw=0.9, ls="--", label=f"{target:g} % target")
    ax_ro.set_ylim(0, 102)
    ax_ro.set_ylabel("CXCR4 occupancy (%)", fontsize=8)
    kd_nm = translation.kd_molar * 1e9
    ax_c.axhline(kd_nm, color="0.5", lw=0.8, ls=":", label=f"Kd {kd_nm:g} nM")
    ax_c.set_yscale("log")
    ax_c.set_ylabel("unbound concentration (nM, log scale)", fontsize=8)
    for ax in (ax_ro, ax_c):
        ax.set_xlabel("time after first dose (h)", fontsize=8)
        ax.legend(fontsize=6.5, frameon=False, loc="lower right")
    ax_ro.set_title("SIMULATED occupancy: mouse vs human", fontsize=8, loc="left")
    ax_c.set_title("SIMULATED unbound plasma concentration", fontsize=8, loc="left")
    _plain_log(ax_c)
    fig.tight_layout()
    return fig


def tgi_model_curves(result: InvivoStudyResult, points: int = 121) -> pd.DataFrame | None:
    """The Simeoni model's SIMULATED burden of each group over the study (``group, day,
    burden``; the combination's curve is the additive prediction); None without a fit."""
    if result.tgi is None:
        return None
    days = result.table.days
    return result.tgi.curves(np.linspace(days[0], days[-1], points))


def tgi_model_figure(result: InvivoStudyResult) -> Figure | None:
    """Observed group geometric means (points, 95 % CI bars) against the fitted Simeoni curves
    (lines; dashed with a band: the combination's additive prediction), log scale."""
    curves = tgi_model_curves(result)
    if curves is None:
        return None
    table = result.table
    colours = group_colours(study_groups(table), result.efficacy.control)
    observed = burden_summary(table, result.burden)
    combo = result.tgi_combination
    fig = _new(7.2, 4.4)
    ax = fig.subplots()
    for g in study_groups(table):
        colour = colours.get(g, "black")
        part = observed[observed["group"] == g]
        if not part.empty:
            mean = part["geometric_mean"].to_numpy(dtype=float)
            lo = np.where(np.isfinite(part["lower"]), part["lower"], mean)
            hi = np.where(np.isfinite(part["upper"]), part["upper"], mean)
            ax.errorbar(
                part["day"],
                mean,
                yerr=[mean - lo, hi - mean],
                fmt="o",
                color=colour,
                ms=4,
                capsize=2,
                label=f"{g} (observed)",
            )
        line = curves[curves["group"] == g]
        if line.empty:
            continue
        fitted = combo is None or g != combo.group
        ax.plot(
            line["day"],
            line["burden"],
            color=colour,
            lw=1.6,
            ls="-" if fitted else "--",
            label=f"{g} ({'fitted' if fitted else 'additive prediction'})",
        )
    if combo is not None and np.isfinite(combo.band_lower).all():
        ax.fill_between(
            combo.days,
            combo.band_lower,
            combo.band_upper,
            color=colours.get(combo.group, "black"),
            alpha=0.15,
            lw=0,
        )
    ax.set_yscale("log")
    ax.set_xlabel("study day (d)")
    ax.set_ylabel(f"{burden_label(result.burden)}, log scale")
    ax.legend(fontsize=6.5, frameon=False, ncol=2)
    ax.set_title(
        "Simeoni TGI model (SIMULATED curves from the fitted parameters) and group geometric means",
        fontsize=8,
        loc="left",
    )
    _plain_log(ax)
    fig.tight_layout()
    return fig


# --- steps -----------------------------------------------------------------------------------------


def _design_step(result: InvivoStudyResult, dash: _Dashes) -> Step:
    from cxcr4lab.preclinical.study import SCHEDULES

    table = result.table
    design = table.design
    n_on = {g: sum(a.group == g for a in table.animals) for g in study_groups(table)}
    last_day = max(table.days) if table.days else 0.0
    if design is None:
        rows = [[g, "yes" if g == result.efficacy.control else "", str(n_on[g])] for g in n_on]
        return Step(
            "Study design",
            (
                "No study design was given: groups as the animal table names them, the control "
                f"is {result.efficacy.control}; doses, routes and schedules unknown.",
            ),
            (_table("Groups", ["group", "control", "animals"], rows),),
        )
    rows = []
    for g in design.groups:
        for t in g.treatments or (None,):
            if t is None:
                dose, route, schedule, days, given = "untreated", DASH, DASH, DASH, DASH
                dash.reasons["untreated group: no route, schedule or days"] = None
            else:
                dose = "none (vehicle)" if math.isnan(t.dose) else f"{t.dose:g} {t.dose_unit}"
                route = t.route
                plan = SCHEDULES[t.schedule]
                schedule = f"{plan.label} ({plan.code})"
                end = "end of study" if t.end_day is None else _day(t.end_day)
                days = f"{_day(t.start_day)} to {end}"
                given = str(len(t.administrations(last_day)))
            rows.append(
                [
                    g.name,
                    "yes" if g.name == design.control else "",
                    t.compound if t is not None else "none",
                    dose,
                    route,
                    schedule,
                    days,
                    given,
                    dash.num(g.n_planned, "no planned group size in the design"),
                    str(n_on.get(g.name, 0)),
                ]
            )
    ep = design.endpoints
    limits = [f"body-weight loss >= {ep.max_body_weight_loss_pct:g} % of baseline"]
    if ep.max_tumour_volume_mm3 is not None:
        limits.append(f"tumour volume >= {ep.max_tumour_volume_mm3:g} mm^3")
    if ep.max_total_flux_p_s is not None:
        limits.append(f"total flux >= {ep.max_total_flux_p_s:.3g} p/s")
    paragraphs = [
        f"{design.name}"
        + (f"; model: {design.model}" if design.model else "")
        + f"; randomisation on study day {_day(design.randomisation_day)}; control group "
        f"{design.control}. Humane endpoints: {', '.join(limits)}.",
    ]
    if "length_mm" in table.measures:
        paragraphs.append(f"Caliper volume: {table.formula_text}.")
    return Step(
        "Study design",
        tuple(paragraphs),
        (
            _table(
                "Groups and treatments (doses per administration; days are study days, d)",
                [
                    "group",
                    "control",
                    "compound",
                    "dose",
                    "route",
                    "schedule",
                    "dosing days (d)",
                    f"administrations to day {_day(last_day)}",
                    "n planned",
                    "n on study",
                ],
                rows,
            ),
        ),
    )


def _burden_step(result: InvivoStudyResult, dash: _Dashes) -> Step:
    name, unit, *_ = _BURDEN_TEXT.get(result.burden, (result.burden, ""))
    summary = burden_summary(result.table, result.burden)
    rows = [
        [
            str(r["group"]),
            _day(float(r["day"])),
            str(r["n"]),
            dash.num(float(r["geometric_mean"]), "no value"),
            dash.interval(
                float(r["lower"]),
                float(r["upper"]),
                "a group measured in one animal has no interval",
            ),
        ]
        for r in summary.to_dict("records")
    ]
    other = [
        m
        for m in ("volume_mm3", "total_flux_p_s")
        if m != result.burden
        and (
            m in result.table.measures
            or (m == "volume_mm3" and "length_mm" in result.table.measures)
        )
    ]
    paragraphs = [
        f"Burden: {name} ({unit}), the table's primary measure; geometric means with 95% t "
        "intervals of the mean log10 value, back-transformed."
    ]
    if other:
        paragraphs.append(
            f"The table also holds {burden_label(other[0], text=True)} (a secondary readout, not analysed "
            "here as the burden)."
        )
    figures = [_svg(burden_figure(result))]
    return Step(
        "Tumour burden over time",
        tuple(paragraphs),
        (
            _table(
                f"Geometric mean {name} ({unit}) per group and study day",
                ["group", "day (d)", "n", f"geometric mean ({unit})", f"95% CI ({unit})"],
                rows,
            ),
        ),
        tuple(figures),
    )


def _waterfall_step(result: InvivoStudyResult) -> Step | None:
    fig = waterfall_figure(result)
    if fig is None:
        return None
    final = final_relative_burden(result.table, result.burden, result.efficacy.day)
    early = final[final["early"]]
    text = (
        f"Each bar is one animal's burden on day {_day(result.efficacy.day)} over its own "
        "baseline (fold change; 1 = no growth), coloured by group, largest first."
    )
    if not early.empty:
        text += (
            " Hatched: the animal's last value is earlier ("
            + ", ".join(
                f"{a} on day {_day(d)}"
                for a, d in zip(early["animal_id"], early["day"], strict=True)
            )
            + ")."
        )
    return Step("Waterfall of the final relative burden", (text,), figures=(_svg(fig),))


def _tgi_rows(res: TgiResult, dash: _Dashes) -> list[list[str]]:
    rows = []
    for g in res.groups:
        control = g.group == res.control
        rows.append(
            [
                g.group,
                str(g.n),
                dash.num(g.mean_baseline, "no mean"),
                dash.num(g.mean_day, "no mean"),
                dash.num(g.mean_relative, "no relative value"),
                dash.num(g.median_relative, "no relative value"),
                "0 (reference)" if control else dash.num(g.tgi_delta_pct, "TGI undefined"),
                "0 (reference)" if control else dash.num(g.tgi_rtv_pct, "TGI undefined"),
                dash.num(g.tc_mean_pct, "T/C undefined"),
                dash.num(g.tc_median_pct, "T/C undefined"),
                dash.num(g.tc_geometric_pct, "T/C undefined"),
                "control"
                if g.nci_active is None and control
                else dash.num(g.nci_active, "NCI criterion not applied"),
            ]
        )
    return rows


def _tgi_step(result: InvivoStudyResult, dash: _Dashes) -> Step | None:
    eff = result.efficacy
    parts = [(eff.tgi, "tumour volume", "RTV"), (eff.flux_tgi, "BLI total flux", "RTF")]
    if result.burden == "total_flux_p_s":
        parts.reverse()
    tables, paragraphs = [], []
    for series, what, rel in parts:
        res = next((r for r in series if r.day == eff.day), series[-1] if series else None)
        if res is None:
            continue
        u = res.unit
        tables.append(
            _table(
                f"TGI and T/C of {what} on day {_day(res.day)} against {res.control} "
                f"(means of the animals measured at baseline and day {_day(res.day)}; NCI "
                f"activity: median T/C <= {res.nci_threshold_pct:g} %)",
                [
                    "group",
                    "n",
                    f"mean baseline ({u})",
                    f"mean day {_day(res.day)} ({u})",
                    f"mean {rel} (fold)",
                    f"median {rel} (fold)",
                    "TGI delta (%)",
                    f"TGI {rel} (%)",
                    "T/C mean (%)",
                    "T/C median (%)",
                    "T/C geometric (%)",
                    "NCI active",
                ],
                _tgi_rows(res, dash),
            )
        )
        paragraphs += [f"{what}: {m}." for m in res.missing]
    if not tables:
        return None
    rel = "RTF" if result.burden == "total_flux_p_s" else "RTV"
    relname = "relative total flux" if rel == "RTF" else "relative tumour volume"
    lead = (
        "Two TGI conventions, named: TGI delta = (1 - (T_t - T_0) / (C_t - C_0)) x 100 on the "
        f"group means of the burden (T treated, C control, 0 baseline, t the day); TGI {rel} = "
        f"(1 - mean {rel}_T / mean {rel}_C) x 100 with {rel} the {relname} (value / the "
        "animal's baseline). T/C (%) = treated / control of the mean, median and geometric-mean "
        f"{rel}. NCI activity criterion (Plowman et al. 1997): median T/C <= 42 %."
    )
    return Step(f"TGI and T/C on day {_day(eff.day)}", (lead, *paragraphs), tuple(tables))


def _comparison_table(comp: Any, dash: _Dashes) -> dict[str, Any]:
    level = f"{comp.conf_level:.0%}"
    log = comp.response.startswith("log")
    method = (
        "Dunnett's many-to-one test (pooled variance)"
        if comp.adjustment == "dunnett"
        else "Holm's adjustment of the Welch p"
        if comp.adjustment == "holm"
        else "no adjustment"
    )
    rows = []
    for c in comp.comparisons:
        rows.append(
            [
                f"{c.group} vs {c.reference}",
                f"{c.n} / {c.n_reference}",
                dash.num(c.mean, "not estimable", 4),
                dash.num(c.mean_reference, "not estimable", 4),
                dash.num(c.difference, "not estimable"),
                dash.interval(c.ci_lower, c.ci_upper, "no interval"),
                *(
                    (
                        dash.num(c.ratio, "not estimable"),
                        dash.interval(c.ratio_lower, c.ratio_upper, "no interval"),
                    )
                    if log
                    else ()
                ),
                dash.p(c.welch_p, "no test"),
                dash.p(c.mann_whitney_p, "no test") + f" ({c.mann_whitney_method})",
                dash.p(c.p_adjusted, "no test"),
            ]
        )
    u = comp.unit
    return _table(
        f"Comparisons on day {_day(comp.day)} of {_RESPONSES.get(comp.response, comp.response)} "
        f"({u}): Welch t (difference, {level} CI"
        + ("; ratio of geometric means = 10^difference" if log else "")
        + f"), Mann-Whitney U; p adjusted by {method}",
        [
            "comparison",
            "n / n reference",
            f"mean ({u})",
            f"mean reference ({u})",
            f"difference ({u})",
            f"difference {level} CI",
            *(("ratio (fold)", f"ratio {level} CI") if log else ()),
            "Welch p",
            "Mann-Whitney p (method)",
            f"p adjusted ({comp.adjustment})",
        ],
        rows,
    )


def _comparisons_step(result: InvivoStudyResult, dash: _Dashes) -> Step | None:
    eff = result.efficacy
    tables, paragraphs = [], []
    for comp in (eff.comparisons, eff.flux_comparisons):
        if comp is None:
            continue
        tables.append(_comparison_table(comp, dash))
        paragraphs.append(
            f"One-way ANOVA over the groups ({_RESPONSES.get(comp.response, comp.response)}, "
            f"day {_day(comp.day)}): F = {dash.num(comp.anova_f, 'no test')}, "
            f"{_p_clause(dash.p(comp.anova_p, 'no test'))}."
        )
        paragraphs += list(comp.flags)
    auc = eff.auc
    if auc is not None and auc.comparisons:
        level = f"{auc.conf_level:.0%}"
        what = "tumour volume" if auc.measure == "volume" else "total flux"
        tables.append(
            _table(
                f"Adjusted AUC of log10 relative {what} to day {_day(auc.end_day)} (the animal's "
                f"mean log10 fold change over its follow-up; log10 units): Welch difference "
                f"({level} CI), ratio of means T/C with its bootstrap CI ({auc.bootstrap}), "
                "Holm over the comparisons",
                [
                    "comparison",
                    "n / n reference",
                    "mean aAUC (log10)",
                    "mean aAUC reference (log10)",
                    "difference (log10)",
                    f"{level} CI",
                    "aAUC ratio T/C",
                    f"ratio {level} CI",
                    "Welch p",
                    "Mann-Whitney p",
                    "p (Holm)",
                ],
                [
                    [
                        f"{c.group} vs {c.reference}",
                        f"{c.n} / {c.n_reference}",
                        dash.num(c.mean, "not estimable"),
                        dash.num(c.mean_reference, "not estimable"),
                        dash.num(c.difference, "not estimable"),
                        dash.interval(c.ci_lower, c.ci_upper, "no interval"),
                        dash.num(c.ratio, "not estimable"),
                        dash.interval(c.ratio_lower, c.ratio_upper, "no interval"),
                        dash.p(c.welch_p, "no test"),
                        dash.p(c.mann_whitney_p, "no test"),
                        dash.p(c.p_holm, "no test"),
                    ]
                    for c in auc.comparisons
                ],
            )
        )
        if auc.excluded:
            paragraphs.append("Left out of the AUC: " + "; ".join(auc.excluded) + ".")
    if not tables:
        return None
    return Step(f"Group comparisons on day {_day(eff.day)}", tuple(paragraphs), tuple(tables))


def _growth_step(result: InvivoStudyResult, dash: _Dashes) -> Step | None:
    growth = result.growth
    if growth is None:
        return None
    level = f"{growth.conf_level:.0%}"
    why_doubling = "no doubling time where the growth rate (or a CI bound) is <= 0"
    rows = [
        [
            g.group,
            str(g.n_animals),
            str(g.n_obs),
            dash.num(g.rate, "not estimable", 4),
            dash.interval(g.lower, g.upper, "no interval", 4),
            dash.num(g.doubling_time, why_doubling),
            dash.interval(g.doubling_lower, g.doubling_upper, why_doubling),
        ]
        for g in growth.rates
    ]
    contrasts = [
        [
            f"{c.group} vs {c.reference}",
            dash.num(c.difference, "not estimable", 4),
            dash.interval(c.lower, c.upper, "no interval", 4),
            str(c.df),
            dash.num(c.t, "no test"),
            dash.p(c.p, "no test"),
            dash.p(c.p_holm, "no test"),
        ]
        for c in (*growth.versus_control, *growth.pairwise)
    ]
    corr = dash.num(growth.correlation, "a correlation is undefined when a variance is 0")
    paragraphs = [
        f"Linear mixed model of ln {burden_label(growth.value, text=True)} ~ group x day with a random "
        f"intercept and slope per animal ({growth.method}; nlme's lme): {growth.n_animals} "
        f"animals, {growth.n_obs} observations ({growth.n_missing} missing). A group's slope is "
        "its exponential growth rate (per day); doubling time = ln 2 / rate (d). Between-animal "
        f"SD of the intercept {growth.intercept_sd:.3g} (ln units), of the slope "
        f"{growth.slope_sd:.3g} per day, correlation {corr}; residual SD "
        f"{growth.residual_sd:.3g}; optimiser {growth.optimiser}"
        + ("" if growth.converged else ", NOT converged")
        + ("; a variance component sits at its boundary (0)" if growth.boundary else "")
        + ".",
        *growth.flags,
    ]
    colours = group_colours(study_groups(result.table), result.efficacy.control)
    return Step(
        "Tumour growth model (mixed model, log scale)",
        tuple(paragraphs),
        (
            _table(
                f"Growth rates and doubling times ({level} t intervals, nlme's within-animal df)",
                [
                    "group",
                    "animals",
                    "observations",
                    "rate (/day)",
                    f"rate {level} CI (/day)",
                    "doubling time (d)",
                    f"doubling {level} CI (d)",
                ],
                rows,
            ),
            _table(
                "Rate contrasts (per day): each group against the control, then between treated "
                "groups; Holm within each set",
                [
                    "contrast",
                    "difference (/day)",
                    f"{level} CI (/day)",
                    "df",
                    "t",
                    "p",
                    "p (Holm)",
                ],
                contrasts,
            ),
        ),
        (_svg(growth_figure(growth, colours)),),
    )


def _endpoint_step(result: InvivoStudyResult, dash: _Dashes) -> Step | None:
    tte = result.efficacy.time_to_endpoint
    if tte is None:
        return None
    level = f"{tte.conf_level:.0%}"
    why_median = "a median not reached (the curve stays above 0.5) has no value"
    groups = [
        [
            g.group,
            str(g.n),
            str(g.events),
            dash.num(g.median, why_median),
            dash.interval(g.median_lower, g.median_upper, why_median),
        ]
        for g in tte.groups
    ]
    why_lr = "a log-rank test without events is undefined"
    tests = []
    if tte.overall is not None:
        o = tte.overall
        tests.append(
            ["all groups", str(o.df), dash.num(o.chisq, why_lr), dash.p(o.p, why_lr), "n/a"]
        )
    for t in tte.pairwise:
        tests.append(
            [
                f"{t.group} vs {t.reference}",
                str(t.df),
                dash.num(t.chisq, why_lr),
                dash.p(t.p, why_lr),
                dash.p(t.p_holm, why_lr),
            ]
        )
    events = sum(g.events for g in tte.groups)
    paragraphs = [
        f"Event: {tte.definition}. Dropouts and animals alive at their last measurement are "
        "censored there (marks on the curves)."
    ]
    if events == 0:
        paragraphs.append(
            "No animal reached the endpoint: every curve stays at 1 and the log-rank tests are "
            "undefined."
        )
    censored = [a for a in tte.animals if not a.event and not a.cause.endswith("measurement")]
    if censored:
        paragraphs.append(
            "Censored early: "
            + "; ".join(
                f"{a.animal_id} ({a.group}) at {_day(a.time)} d, {a.cause}" for a in censored
            )
            + "."
        )
    colours = group_colours(study_groups(result.table), result.efficacy.control)
    tables = [
        _table(
            f"Kaplan-Meier medians (d from baseline) with {level} CIs",
            ["group", "n", "events", "median (d)", f"median {level} CI (d)"],
            groups,
        )
    ]
    if tests:
        tables.append(
            _table(
                "Log-rank tests (pairs against the control, Holm-adjusted)",
                ["test", "df", "chi-square", "p", "p (Holm)"],
                tests,
            )
        )
    return Step(
        "Time to endpoint",
        tuple(paragraphs),
        tuple(tables),
        (_svg(kaplan_meier_figure(tte, colours)),),
    )


def _synergy_step(result: InvivoStudyResult, dash: _Dashes) -> Step | None:
    if not result.synergy:
        if result.arms is None:
            return Step(
                "In-vivo synergy",
                (
                    "Not computed: the design has no two monotherapies with their combination "
                    "(or no design was given).",
                ),
            )
        return None
    first = result.synergy[0]
    fit = first.fit
    level = f"{first.conf_level:.0%}"
    why_p = "no synergy where the refit up to that day failed"
    rows = []
    for res in result.synergy:
        for pt in res.points:
            rows.append(
                [
                    res.method,
                    _day(pt.day),
                    str(pt.n_obs),
                    dash.num(pt.ci, why_p),
                    dash.interval(pt.ci_lower, pt.ci_upper, why_p),
                    dash.num(pt.ss, why_p),
                    dash.interval(pt.ss_lower, pt.ss_upper, why_p),
                    dash.p(pt.p, why_p),
                    *((dash.p(pt.p_adjusted, why_p),) if res.padj != "none" else ()),
                ]
            )
    padj = first.padj != "none"
    se = f"cluster-robust {first.cr_type} SEs" if first.robust else "model-based SEs"
    hsa = next((r.hsa_reference for r in result.synergy if r.method == "HSA"), None)
    rates = ", ".join(f"{g} {r:.4g}/day" for g, r in zip(fit.groups, fit.rates, strict=True))
    paragraphs = [
        "SynergyLMM (Romero-Becerra et al. 2025): log relative burden ~ 0 + day:group with a "
        f"random slope per animal, refitted on the data up to each day; {se}, z tests. "
        "Combination index CI = exp(e x day) with e the combination's rate minus the expected "
        "one (CI < 1: synergy); synergy score SS = -e / SE (SS > 0: synergy). Bliss: expected "
        "rate = drug A + drug B - control; HSA: the better monotherapy"
        + (f" ({hsa})" if hsa else "")
        + f". Days are days since the baseline (study day {_day(fit.day_start)}).",
        f"Arms (control, drug A, drug B, combination): {', '.join(fit.groups)}. Growth rates of the fit on all days "
        f"(ln relative burden per day): {rates}.",
    ]
    seeds = []
    for r in first.reductions:
        seeds.append(
            [
                f"{r.group} vs {fit.groups[0]}",
                _day(r.day),
                "burden reduction vs control (%)",
                dash.num(r.reduction_pct, "not estimable"),
                dash.interval(r.lower_pct, r.upper_pct, "no interval"),
                dash.p(r.p, "no test"),
            ]
        )
    for c in first.versus_monotherapy:
        seeds.append(
            [
                f"{fit.groups[3]} vs {c.monotherapy}",
                _day(c.day),
                "burden reduction vs monotherapy (%)",
                dash.num(100 * (1 - c.rtv_ratio), "not estimable"),
                dash.interval(
                    100 * (1 - c.rtv_ratio_upper), 100 * (1 - c.rtv_ratio_lower), "no interval"
                ),
                dash.p(c.p, "no test"),
            ]
        )
    for c in first.versus_monotherapy:
        seeds.append(
            [
                f"{fit.groups[3]} vs {c.monotherapy}",
                _day(c.day),
                "rate difference (/day)",
                dash.num(c.difference, "not estimable", 4),
                dash.interval(c.lower, c.upper, "no interval", 4),
                dash.p(c.p, "no test"),
            ]
        )
    flags = [f for r in result.synergy for f in (*r.flags, *r.fit.flags)]
    notes = [
        f"{r.method}, day {_day(p.day)}: {p.note}"
        for r in result.synergy
        for p in r.points
        if p.note
    ]
    tables = [
        _table(
            f"Combination index and synergy score by day ({level} intervals; CI < 1 and SS > 0: "
            "synergy)",
            [
                "model",
                "day since baseline (d)",
                "observations",
                "CI (unitless)",
                f"CI {level}",
                "SS (z)",
                f"SS {level}",
                "p",
                *((f"p adjusted ({first.padj})",) if padj else ()),
            ],
            rows,
        ),
        _table(
            f"The study in its own terms (fit on all days; the same for every model): burden "
            f"(relative to baseline) reduction at the last day against the control and against "
            f"each monotherapy, {level} CI, z-test p",
            ["comparison", "day since baseline (d)", "measure", "estimate", f"{level} CI", "p"],
            seeds,
        ),
    ]
    return Step(
        "In-vivo synergy (SynergyLMM, Bliss and HSA)",
        tuple(dict.fromkeys([*paragraphs, *flags, *notes])),
        tuple(tables),
        (_svg(synergy_figure(result.synergy)),),
    )


def _markers_step(result: InvivoStudyResult, dash: _Dashes) -> Step | None:
    comp = result.endpoints
    if comp is None:
        return Step(
            "Endpoint biomarkers and tissue scores",
            ("No endpoint table was given: no biomarkers or tissue scores.",),
        )
    level = f"{comp.conf_level:.0%}"
    method = (
        "Holm over every marker and comparison"
        if comp.adjustment == "holm"
        else "Dunnett's many-to-one test per marker"
    )
    rows = [
        [
            e.marker,
            f"{e.group} vs {e.reference}",
            f"{e.n} / {e.n_reference}",
            f"{dash.num(e.center, 'not estimable')} / {dash.num(e.center_reference, 'not estimable')}"
            + f" {e.unit}",
            e.effect_kind + ("" if e.scale == "log" else f" ({e.unit})"),
            dash.num(e.effect, "not estimable"),
            dash.interval(e.ci_lower, e.ci_upper, "no interval") + f" ({e.ci_kind})",
            dash.p(e.p, "no test"),
            dash.p(e.p_adjusted, "no test"),
            dash.p(e.mann_whitney_p, "no test"),
        ]
        for e in comp.effects
    ]
    summary = [
        [
            g.marker,
            g.group,
            str(g.n),
            f"{dash.num(g.mean, 'not estimable')} {g.unit}",
            f"{dash.num(g.sd, 'an SD needs two animals')} {g.unit}",
            f"{dash.num(g.median, 'not estimable')} {g.unit}",
            f"{dash.num(g.geometric_mean, 'no geometric mean with a value <= 0')} {g.unit}",
        ]
        for g in comp.groups
    ]
    values = endpoint_values(result)
    colours = group_colours(study_groups(result.table), result.efficacy.control)
    paragraphs = [
        "Effects against the control: on the log scale (serum markers) the ratio of geometric "
        "means, on the linear scale (percentages, counts per field, areas) the difference of "
        f"means in the marker's unit; {level} Welch intervals and p; multiplicity: {method}.",
        *comp.flags,
    ]
    if values is None:
        paragraphs.append(
            "The stored result keeps each marker's group summaries, not every animal's value: "
            "the first figure shows the summaries, not box and strip plots."
        )
    return Step(
        "Endpoint biomarkers and tissue scores",
        tuple(paragraphs),
        (
            _table(
                f"Effects per marker ({level} CI; p adjusted: {method})",
                [
                    "marker",
                    "comparison",
                    "n / n reference",
                    "centre / reference",
                    "effect",
                    "estimate",
                    f"{level} CI",
                    "p (Welch)",
                    f"p adjusted ({comp.adjustment})",
                    "Mann-Whitney p",
                ],
                rows,
            ),
            _table(
                "Per marker and group",
                ["marker", "group", "n", "mean", "SD", "median", "geometric mean"],
                summary,
            ),
        ),
        (
            *(
                (_svg(endpoint_values_figure(comp, values, result.table, colours)),)
                if comp.groups
                else ()
            ),
            *((_svg(forest_figure(comp)),) if comp.effects else ()),
        ),
    )


def _translation_step(result: InvivoStudyResult, dash: _Dashes) -> Step | None:
    tr = result.translation
    if tr is None:
        return None
    pct = f"{100 * tr.target:g}"
    rows = [
        [
            r.label,
            r.species,
            r.regimen,
            r.basis,
            dash.num(r.half_life_h, "not estimable"),
            dash.num(r.fu, "not estimable"),
            dash.num(r.cmax_unbound_nM, "not estimable", 4),
            dash.num(r.cmax_unbound_ng_per_ml, "not estimable", 4),
            dash.num(r.auc_unbound_nM_h_per_day, "not estimable", 4),
            dash.num(r.auc_unbound_ng_h_per_ml_per_day, "not estimable", 4),
            dash.num(r.hours_above_target_per_day, "not estimable"),
        ]
        for r in tr.rows
    ]
    paragraphs = [
        f"{tr.note}. Occupancy RO = Cu / (Cu + Kd) with Cu the unbound plasma concentration "
        f"(fu x total) and Kd {tr.kd_molar * 1e9:g} nM (the project's balixafortide Kb; an "
        "in-vitro value applied to plasma, no CXCL12 competition)."
    ]
    return Step(
        "Mouse-to-human translation of balixafortide (SIMULATED)",
        tuple(paragraphs),
        (
            _table(
                "Unbound exposure and occupancy, mouse (and rat) schedule vs the clinical regimen",
                [
                    "regimen",
                    "species",
                    "schedule",
                    "window",
                    "t1/2 (h)",
                    "fu (fraction)",
                    "unbound Cmax (nM)",
                    "unbound Cmax (ng/mL)",
                    "unbound AUC (nM·h/day)",
                    "unbound AUC (ng·h/mL per day)",
                    f"time >= {pct} % occupancy (h/day)",
                ],
                rows,
            ),
        ),
        (_svg(occupancy_figure(tr)),),
    )


def _tgi_model_step(result: InvivoStudyResult, dash: _Dashes) -> Step | None:
    fit = result.tgi
    if fit is None:
        return None
    pct = f"{100 * (1 - fit.alpha):g}"
    summary = fit.summary()
    fixed = "held fixed (not estimated)"
    unbounded = "interval unbounded: the parameter is not identified by these data"
    rows = []
    for _, r in summary.iterrows():
        lo, hi = (float(r[f"CI {pct}% {end}"]) for end in ("lower", "upper"))
        why = fixed if math.isnan(lo) or math.isnan(hi) else unbounded
        rows.append(
            [
                str(r["parameter"]),
                dash.num(r["value"], "not estimable", 4),
                str(r["unit"]) or DASH,
                dash.interval(lo, hi, why, 4),
                dash.num(r["RSE (%)"], fixed, 3),
            ]
        )
    thresholds = []
    for d in fit.drugs:
        ct, ct_lo, ct_hi = fit.threshold_concentration(d.name)
        thresholds.append(
            f"{d.name} {dash.num(ct, 'k2 = 0: no threshold', 3)} mg/L "
            f"({pct} % CI {dash.interval(ct_lo, ct_hi, 'no interval', 3)})"
        )
    drugs = "; ".join(
        f"{d.name}: {d.pk.species} {d.pk.n_cmt}-compartment PK, t1/2 "
        f"{d.pk.terminal_half_life_h:.2g} h ({d.pk.source})"
        for d in fit.drugs
    )
    paragraphs = [
        "Simeoni et al. (Cancer Res 2004;64:1094): exponential then linear growth "
        "(lambda0, lambda1), each drug's plasma concentration C(t) damaging proliferating cells "
        "at rate k2 C, damaged cells dying through three transit compartments (k1); psi 20 "
        "(fixed). Fitted by least squares on the log of every animal's burden, pooled over the "
        f"groups {', '.join(fit.groups)}; Wald {pct} % CIs (log scale for w0, lambda0, lambda1, "
        f"k1). The PK driving it is SIMULATED from the design's doses: {drugs}.",
        "Threshold concentration C_T = lambda0 / k2, the constant plasma concentration that "
        "holds the exponential phase still: " + "; ".join(thresholds) + ".",
    ]
    if not fit.converged:
        paragraphs.append("The fit did not converge: the estimates are not reliable.")
    tables = [
        _table(
            f"Simeoni model parameters ({pct} % CI; residual SD of ln burden "
            f"{dash.num(fit.sigma, 'not estimable', 3)})",
            ["parameter", "estimate", "unit", f"{pct} % CI", "RSE (%)"],
            rows,
        )
    ]
    combo = result.tgi_combination
    if combo is not None:
        u = burden_label(result.burden)
        tables.append(
            _table(
                f"Group {combo.group!r}: observed against the additive prediction of the "
                "single-agent fit (gamma = 0)",
                [
                    "day (d)",
                    "n",
                    f"observed geometric mean, {u}",
                    f"additive prediction, {u}",
                    f"{pct} % prediction band",
                    "observed / additive",
                ],
                [
                    [
                        _day(d),
                        str(n),
                        dash.num(o, "no data", 4),
                        dash.num(p, "not estimable", 4),
                        dash.interval(lo, hi, "no covariance", 4),
                        dash.num(o / p if p else None, "not estimable", 3),
                    ]
                    for d, n, o, p, lo, hi in zip(
                        combo.days,
                        combo.n,
                        combo.observed_geomean,
                        combo.predicted_additive,
                        combo.band_lower,
                        combo.band_upper,
                        strict=True,
                    )
                ],
            )
        )
        g_lo, g_hi = combo.gamma_ci
        paragraphs.append(
            f"Interaction gamma (Terranova et al. 2013; 0 = additivity), fitted jointly with the "
            f"single-agent parameters to {combo.group!r} and the single-agent arms: "
            f"{dash.num(combo.gamma, 'not estimable', 3)} (L/mg)^2/day ({pct} % CI "
            f"{dash.interval(g_lo, g_hi, 'no interval', 3)}; "
            f"{_p_clause(dash.p(combo.gamma_p, 'no SE'))} for gamma = 0): "
            f"{combo.verdict}."
        )
    figure = tgi_model_figure(result)
    return Step(
        "Tumour-growth-inhibition PK/PD model (Simeoni)",
        tuple(paragraphs),
        tuple(tables),
        (_svg(figure),) if figure is not None else (),
    )


def _fates_step(result: InvivoStudyResult, dash: _Dashes) -> Step:
    table = result.table
    rows = []
    for a in table.animals:
        if a.status == "alive" and a.endpoint_day is None:
            continue
        rows.append(
            [
                a.animal_id,
                a.group,
                f"{_day(a.first_day)} to {_day(a.last_day)}",
                a.status,
                a.reason or DASH,
                dash.num(a.endpoint_day, "no humane endpoint met"),
                a.endpoint_reason or DASH,
            ]
        )
        if not a.reason:
            dash.reasons["no reason recorded"] = None
    for e in table.excluded:
        rows.append([e.animal_id, e.group, "excluded", "excluded", e.reason, DASH, DASH])
        dash.reasons["an excluded animal has no days or endpoint"] = None
    paragraphs: list[str] = []
    alive = sum(a.status == "alive" for a in table.animals)
    paragraphs.append(
        f"{len(table.animals)} animals analysed, {alive} alive at their last measurement; "
        f"{len(table.excluded)} excluded."
    )
    notes = list(
        dict.fromkeys(
            [
                *table.flags,
                *result.efficacy.flags,
                *result.notes,
            ]
        )
    )
    if notes:
        paragraphs.append("Flags and notes: " + " | ".join(notes) + ".")
    tables = []
    if rows:
        tables.append(
            _table(
                "Dropouts, deaths, humane endpoints and exclusions (days are study days, d)",
                [
                    "animal",
                    "group",
                    "days on study (d)",
                    "status",
                    "reason",
                    "endpoint day (d)",
                    "endpoint reason",
                ],
                rows,
            )
        )
    else:
        paragraphs.append("No dropout, death, humane endpoint or exclusion.")
    return Step("Dropouts, deaths, exclusions, flags and notes", tuple(paragraphs), tuple(tables))


def render(analysis_id: int, title: str, result: InvivoStudyResult) -> str:
    dash = _Dashes()
    table = result.table
    builders = (
        _design_step,
        _burden_step,
        lambda r, d: _waterfall_step(r),
        _tgi_step,
        _comparisons_step,
        _growth_step,
        _endpoint_step,
        _synergy_step,
        _tgi_model_step,
        _markers_step,
        _translation_step,
        _fates_step,
    )
    steps = [s for build in builders if (s := build(result, dash)) is not None]
    name, unit, *_ = _BURDEN_TEXT.get(result.burden, (result.burden, ""))
    days = table.days
    span = f"study days {_day(days[0])} to {_day(days[-1])}" if days else "no days"
    meta = (
        f"{simulated_text(result)}{result.source}: {len(table.animals)} animals in "
        f"{len(table.groups)} groups ({', '.join(study_groups(table))}), {span} (d); burden {name} "
        f"({unit}); control {result.efficacy.control}; comparisons on day "
        f"{_day(result.efficacy.day)}; 95% intervals unless stated.{dash.text()}"
    )
    return render_steps(analysis_id, title, meta, steps)
