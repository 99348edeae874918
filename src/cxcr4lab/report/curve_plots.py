"""Pictures of every fitted curve of a batch fit (``cxcr4lab fit``), for a screener.

:func:`curve_plot_files` returns a folder's files: one small PNG per curve (``curves/*.png``:
the data, the fitted curve from the stored parameters, its 95 % confidence band, the IC50 with
its CI as a bar at half effect, the flags in a coloured box), ``index.html`` (a contact sheet
of those pictures grouped by flag, most serious first) and ``contact_sheet.pdf`` (the same
sheet on A4 pages, to print or page through).

Drawn by hand with matplotlib (Agg): no library draws batch dose-response sheets (Prism and R's
drc plot one curve at a time), and a screen has thousands of curves. So one figure is made once
and its artists are given each curve's data in turn: nothing is created per curve, memory does
not grow with the number of curves, and a PNG takes about 30 ms (a PDF thumbnail about 15 ms).
The band comes from a refit of each curve started at its stored parameters
(:func:`~cxcr4lab.fit.solve.fit_curve`, then :meth:`~cxcr4lab.fit.result.FitResult.band`;
about 1 ms), as the stored result keeps no covariance. Curve ids and flag codes are data
(hostile input): file names keep only ``[A-Za-z0-9._-]``, every text in the HTML is escaped,
and matplotlib reads no ``$...$`` in them as mathematics.
"""

from __future__ import annotations

import html
import io
import math
import re
import textwrap
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.text import Text

    from cxcr4lab.fit.batch_result import BatchFitResult, CurveRow
    from cxcr4lab.fit.models import Model
    from cxcr4lab.fit.result import FitResult

__all__ = ["FLAG_ORDER", "curve_plot_files", "safe_file_names"]

Array = NDArray[np.float64]

FLAG_ORDER: Final = (
    "not_converged",
    "no_effect",
    "outside_range",
    "inverted",
    "steep",
    "shallow",
    "overshoot",
    "wide_ci",
    "ci_unbounded",
    "ambiguous",
)
"""The order of the contact sheets' groups; then the other flags, then the unflagged curves."""

_OTHER: Final = "other"
_SEVERE: Final = ("not_converged", "no_effect")
_HELD_HILL: Final = 30.0
"""Where :mod:`cxcr4lab.fit.batch` holds a Hill slope that ran off (a step), without an SE."""
_PNG_SIZE: Final = (4.0, 3.0)  # inches
_PNG_DPI: Final = 80
_THUMB_WIDTH: Final = 240  # px in index.html (the PNGs are 320 x 240)
_A4: Final = (8.27, 11.69)  # inches
_COLS, _ROWS = 4, 5
_GRID_PNG, _GRID_PDF = 160, 60  # points of a drawn curve
_RED: Final = ("#fbe0e0", "#c62828", "#8e0000")  # box face, edge, text
_AMBER: Final = ("#fff0c2", "#e0a000", "#6d4c00")
_FIT, _BAND, _BAR = "#1f5fa8", "#9cc3ee", "#d35400"
_RESERVED: Final = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)]
)


# --- names and text ------------------------------------------------------------------------------


def safe_file_names(ids: Sequence[str], *, limit: int = 80) -> list[str]:
    """One file name stem per id: only ``[A-Za-z0-9._-]`` (others become ``_``), no leading dot,
    at most ``limit`` characters, never a reserved device name, unique even on a file system
    that ignores case (a repeat gets ``-2``, ``-3``, ...).

    >>> safe_file_names(["../../x", "A b", "a_b", "<script>", "con.txt"])
    ['___.._x', 'A_b', 'a_b-2', '_script_', '_con.txt']
    """
    used: set[str] = set()
    out: list[str] = []
    for curve_id in ids:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", curve_id)[:limit]
        stem = re.sub(r"^\.+", lambda m: "_" * len(m.group()), stem) or "curve"
        if stem.split(".")[0].lower() in _RESERVED:
            stem = "_" + stem
        name, k = stem, 1
        while name.lower() in used:
            k += 1
            name = f"{stem}-{k}"
        used.add(name.lower())
        out.append(name)
    return out


def _printable(text: str, limit: int) -> str:
    """``text`` for a picture or a caption: control characters as ``?``, at most ``limit``
    characters (``…`` marks a cut)."""
    shown = "".join(c if c.isprintable() else "?" for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _curves(n: int) -> str:
    return f"{n:,} curve" + ("" if n == 1 else "s")


def _g(value: float) -> str:
    return f"{value:.3g}"


def _severe(code: str) -> bool:
    """A flag under which the stored estimates are empty: no curve to draw."""
    return code in _SEVERE or code.startswith("bad_input")


def _sentence(code: str) -> str:
    from cxcr4lab.fit.flags import FLAG_TEXT

    return FLAG_TEXT.get(code, code)


def _group(codes: Sequence[str]) -> str:
    """The contact sheet's group of a curve: its first flag in :data:`FLAG_ORDER`, ``other``
    for other flags only, ``""`` when unflagged."""
    first = next((f for f in FLAG_ORDER if f in codes), None)
    return first if first is not None else (_OTHER if codes else "")


def _group_title(key: str) -> str:
    if key == "":
        return "unflagged"
    if key == _OTHER:
        return "other flags"
    return f"{key}: {_sentence(key)}"


def _flag_counts(rows: Sequence[CurveRow]) -> dict[str, int]:
    """Curves per flag code, in :data:`FLAG_ORDER` then by name (a curve counts under each of
    its codes)."""
    counts: dict[str, int] = {}
    for row in rows:
        for code in dict.fromkeys(row.flag_codes):
            counts[code] = counts.get(code, 0) + 1
    known = [c for c in FLAG_ORDER if c in counts]
    return {c: counts[c] for c in known + sorted(set(counts) - set(known))}


def _label(model: str) -> str:
    """``EC50`` for a model whose potency is an EC50, else ``IC50``."""
    from cxcr4lab.fit.models import MODELS

    found = MODELS.get(model)
    return "EC50" if found is not None and any("ec50" in p for p in found.param_names) else "IC50"


def _potency_text(row: CurveRow, unit: str, label: str, level: int) -> str:
    """``IC50 3.2 nM (95% CI 2.1–4.8)``; an open side of the CI is ``open``."""
    if row.ic50 is None:
        return f"{label} n/a"
    lo = "open" if row.ic50_lower is None else _g(row.ic50_lower)
    hi = "open" if row.ic50_upper is None else _g(row.ic50_upper)
    return f"{label} {_g(row.ic50)} {unit} ({level}% CI {lo}–{hi})"


# --- the data of one picture ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Points:
    """The long table of points, indexed by curve id (as text)."""

    rows: dict[str, NDArray[np.intp]]
    conc: Array
    response: Array
    weight: Array | None
    unit: NDArray[np.object_] | None

    @classmethod
    def of(cls, points: pd.DataFrame) -> _Points:
        import pandas as pd

        from cxcr4lab.core.errors import Place
        from cxcr4lab.core.tables import require_columns

        require_columns(
            points, ("curve_id", "concentration", "response"), place=Place(field="points")
        )
        ids = points["curve_id"].astype(str).reset_index(drop=True)

        def numbers(name: str) -> Array:
            values = pd.to_numeric(points[name], errors="coerce")
            return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))

        return cls(
            rows={
                str(k): np.asarray(v, dtype=np.intp)
                for k, v in ids.groupby(ids, sort=False).indices.items()
            },
            conc=numbers("concentration"),
            response=numbers("response"),
            weight=numbers("weight") if "weight" in points.columns else None,
            unit=points["unit"].astype(str).to_numpy() if "unit" in points.columns else None,
        )


@dataclass(frozen=True)
class _Geometry:
    """What one curve's picture shows; x in log10 of the curve's concentration unit."""

    x: Array
    y: Array
    y0: Array
    """Responses at zero dose, drawn at ``zero_x`` (the left edge, past an axis break)."""
    zero_x: float | None
    fit: tuple[Array, Array] | None
    band: tuple[Array, Array] | None
    ic50: float | None
    ci: tuple[float, float, bool, bool] | None
    """(lower, upper, lower closed, upper closed): an open side runs to the axis edge."""
    half: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    ticks: tuple[list[float], list[str]]
    xlabel: str
    title: str
    short_title: str
    """Id and potency alone, for a thumbnail."""
    flags: tuple[str, ...]
    flags_left: bool
    """Put the flags' box top left (fewer points there than top right)."""
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Context:
    """What every curve of the result shares."""

    result: BatchFitResult
    points: _Points
    unit: str
    molar_per_unit: float
    level: int

    def unit_of(self, indices: NDArray[np.intp]) -> tuple[str, float]:
        """The curve's concentration unit and mol/L per unit (a ``unit`` column wins)."""
        if self.points.unit is None or self.result.unit != "per curve" or not len(indices):
            return self.unit, self.molar_per_unit
        from cxcr4lab.core.units import molar_factor

        unit = str(self.points.unit[indices[0]])
        return unit, molar_factor(unit)


def _stored_params(
    row: CurveRow, model: Model, fixed: dict[str, float], factor: float
) -> Array | None:
    """The row's parameters in ``model``'s order and scale, or None if one is not stored."""
    named: dict[str, float | None] = {
        "bottom": row.bottom,
        "top": row.top,
        "hill": row.hill,
        "log10_ic50": row.log10_ic50,
        "ic50": None if row.ic50 is None else row.ic50 * factor,  # linear scale, mol/L
    }
    extra = dict(row.extra)
    values: list[float] = []
    for name in model.param_names:
        value = fixed.get(name, named[name] if name in named else extra.get(name))
        if value is None or not math.isfinite(value):
            return None
        values.append(float(value))
    return np.array(values)


def _refit_band(
    ctx: _Context,
    row: CurveRow,
    model: Model,
    params: Array,
    data: tuple[Array, Array, Array | None],
    grid: Array,
    drawn: Array,
) -> tuple[tuple[Array, Array] | None, str | None]:
    """The 95 % (``1 - alpha``) confidence band on ``grid`` (the model's x) from a refit started
    at the stored parameters, or None and why there is none."""
    from cxcr4lab.core.errors import Cxcr4labError
    from cxcr4lab.fit.solve import fit_curve

    x, y, w = data
    fixed = {n: v for n, v in ctx.result.fixed if n in model.param_names}
    held = ""
    extra = dict(row.extra)
    if (
        "steep" in row.flag_codes
        and row.hill is not None
        and abs(row.hill) == _HELD_HILL
        and extra.get("hill_se") is None
        and "hill" in model.param_names
    ):
        fixed["hill"] = row.hill
        held = f"band with the Hill slope held at {row.hill:g}, as in the fit"
    bounds = {
        n: (-math.inf if lo is None else lo, math.inf if hi is None else hi)
        for n, lo, hi in ctx.result.bounds
        if n in model.param_names and n not in fixed
    }
    start = {n: float(v) for n, v in zip(model.param_names, params, strict=True) if n not in fixed}
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            refit: FitResult = fit_curve(
                model, x, y, weights=w, fixed=fixed, start=start, bounds=bounds or None,
                alpha=ctx.result.alpha,
            )  # fmt: skip
            if not refit.converged or refit.covariance is None:
                return None, "no confidence band: the refit gave no covariance"
            again = refit.predict(grid)
            lo, hi = refit.band(grid, alpha=ctx.result.alpha)
    except (Cxcr4labError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return None, f"no confidence band: the refit failed ({_printable(str(exc), 60)})"
    ok = np.isfinite(drawn) & np.isfinite(again)
    span = float(np.ptp(drawn[ok])) if ok.any() else 0.0
    scale = max(span, float(np.ptp(y)) if y.size else 0.0, 1e-12)
    if not ok.any() or float(np.max(np.abs(again[ok] - drawn[ok]))) > 0.01 * scale:
        return None, "no confidence band: the refit did not reproduce the stored fit"
    return (lo, hi), (held or None)


def _ticks(left: float, right: float, zero_x: float | None) -> tuple[list[float], list[str]]:
    """Decade ticks (half decades on a short axis) labelled as plain concentrations; ``0`` at
    the zero-dose position."""
    first, last = math.ceil(left), math.floor(right)
    step = max(1, math.ceil((last - first + 1) / 7))
    ticks = [float(v) for v in range(first, last + 1, step)]
    if right - left < 2.5:
        halves = [t + math.log10(3.0) for t in range(first - 1, last + 1)]
        ticks = sorted(ticks + [t for t in halves if left <= t <= right])
    labels = [f"{float(f'{10.0**t:.1g}'):g}" for t in ticks]  # 0.01, 0.03, 300, 1e+06
    if zero_x is not None:
        ticks, labels = [zero_x, *ticks], ["0", *labels]
    return ticks, labels


def _curve_points(ctx: _Context, row: CurveRow) -> tuple[str, float, Array, Array, Array | None]:
    """The curve's unit, mol/L per unit, and its usable points: log10 concentration (in the
    unit; ``-inf`` at zero dose), response and weight (None if unweighted)."""
    indices = ctx.points.rows.get(row.curve_id, np.zeros(0, dtype=np.intp))
    unit, factor = ctx.unit_of(indices)
    conc, resp = ctx.points.conc[indices], ctx.points.response[indices]
    keep = np.isfinite(conc) & np.isfinite(resp) & (conc >= 0)
    weight = None if ctx.points.weight is None else ctx.points.weight[indices]
    if weight is not None and np.isfinite(weight).any():
        keep &= np.isfinite(weight) & (weight > 0)
        weight = weight[keep]
    else:
        weight = None
    with np.errstate(divide="ignore"):
        return unit, factor, np.log10(conc[keep]), resp[keep], weight


def _fitted(ctx: _Context, row: CurveRow, factor: float) -> tuple[Model | None, Array | None, str]:
    """The row's model and stored parameters, or why no fit is drawn."""
    from cxcr4lab.core.errors import NotFoundError
    from cxcr4lab.fit.models import get_model

    severe = [f for f in row.flag_codes if _severe(f)]
    if severe:
        return None, None, f"no fit drawn: {_sentence(severe[0])}"
    try:
        model = get_model(row.model)
    except NotFoundError:
        return None, None, f"no fit drawn: model {_printable(row.model, 30)} is not known"
    params = _stored_params(row, model, dict(ctx.result.fixed), factor)
    if params is None:
        return model, None, "no fit drawn: the result does not store every parameter"
    return model, params, ""


def _ci_on_axis(row: CurveRow, left: float, right: float) -> tuple[float, float, bool, bool]:
    """The potency's CI in log10 of the unit within the axis, and whether each side closes on
    it (an open side, or one beyond the axis, runs to the edge without a cap)."""
    lower = row.ic50_lower if row.ic50_lower is not None and row.ic50_lower > 0 else 0.0
    upper = row.ic50_upper if row.ic50_upper is not None and row.ic50_upper > 0 else math.inf
    a = math.log10(lower) if lower > 0 else -math.inf
    b = math.log10(upper)
    return (
        min(max(a, left), right),
        max(min(b, right), left),
        left <= a <= right,
        left <= b <= right,
    )


def _y_limits(shown: Array, fit_y: Array | None) -> tuple[float, float]:
    """The data's range, widened to the fitted curve (by at most the data's span each way)."""
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (0.0, 1.0)
    span = hi - lo or max(abs(hi), 1.0) * 0.2
    if fit_y is not None:
        fy = np.clip(fit_y[np.isfinite(fit_y)], lo - span, hi + span)
        if fy.size:
            lo, hi = min(lo, float(fy.min())), max(hi, float(fy.max()))
    pad = 0.08 * (hi - lo or span)
    return lo - pad, hi + pad


def _titles(ctx: _Context, row: CurveRow, unit: str, fitted: bool) -> tuple[str, str]:
    """The picture's title (id; potency with CI, Hill, R^2) and the thumbnail's (id, potency)."""
    full, short = [_printable(row.curve_id, 58)], [_printable(row.curve_id, 34)]
    if not fitted:
        return "\n".join([*full, "no fit"]), "\n".join([*short, "no fit"])
    potency = _potency_text(row, unit, _label(row.model), ctx.level)
    stats = [potency]
    if row.hill is not None:
        stats.append(f"Hill {_g(row.hill)}")
    r2 = dict(row.extra).get("r_squared")
    if r2 is not None:
        stats.append(f"R² {r2:.3f}")
    return (
        "\n".join([*full, ", ".join(stats)]),
        "\n".join([*short, potency.replace(f"{ctx.level}% CI ", "")]),
    )


def _crowded(
    x: Array, y: Array, xlim: tuple[float, float], ylim: tuple[float, float], left: bool = False
) -> int:
    """Points in the top right (``left``: top left) corner, where the flags' box goes."""
    width = 0.4 * (xlim[1] - xlim[0])
    side = x <= xlim[0] + width if left else x >= xlim[1] - width
    return int(np.sum(side & (y >= ylim[1] - 0.2 * (ylim[1] - ylim[0]))))


def _geometry(ctx: _Context, row: CurveRow, n_grid: int) -> _Geometry:
    """Everything one curve's picture shows (refitting the curve for its band); the fitted
    curve is drawn on ``n_grid`` points (more near the IC50 of a steep curve)."""
    unit, factor, x_all, resp, weight = _curve_points(ctx, row)
    zero = np.isneginf(x_all)
    x, y, y0 = x_all[~zero], resp[~zero], resp[zero]
    model, params, why = _fitted(ctx, row, factor)
    notes = [why] if why else []
    if not x_all.size:
        notes.append("no data points for this curve id in the table")
    lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
    if hi - lo < 0.5:
        lo, hi = lo - 0.25, hi + 0.25

    # the potency in log10 of the unit, kept within 2 decades of the data
    true = math.log10(row.ic50) if params is not None and row.ic50 and row.ic50 > 0 else None
    ic50 = None if true is None else min(max(true, lo - 2.0), hi + 2.0)
    if ic50 is not None:
        if ic50 != true:
            notes.append(f"{_label(row.model)} {_g(row.ic50 or 0.0)} {unit} lies beyond the axis")
        lo, hi = min(lo, ic50), max(hi, ic50)
    left, right = lo - 0.3, hi + 0.3
    zero_x = left - 0.7 if y0.size else None
    if zero_x is not None:
        notes.append("squares at 0: zero dose")

    fit = band = None
    half = math.nan
    if model is not None and params is not None:
        shift = math.log10(factor)

        def model_x(v: Array) -> Array:  # log10 of the unit -> the model's x
            out = v + shift if model.x_is_log10 else 10.0**v * factor
            return np.asarray(out, dtype=np.float64)

        gx = np.linspace(left, right, n_grid)
        if row.hill is not None and abs(row.hill) > 5 and ic50 is not None:  # resolve a step
            gx = np.union1d(gx, ic50 + np.linspace(-2.0, 2.0, 41) / abs(row.hill))
        with np.errstate(all="ignore"):
            gy = np.asarray(model.f(model_x(gx), params), dtype=np.float64)
            if true is not None:
                half = float(model.f(model_x(np.array([true])), params)[0])
        gy = np.where(np.isfinite(gy), gy, np.nan)
        fit = (gx, gy)
        use = np.ones(x_all.size, dtype=bool) if model.zero_dose_ok else ~zero
        data = (model_x(x_all[use]), resp[use], None if weight is None else weight[use])
        band, said = _refit_band(ctx, row, model, params, data, model_x(gx), gy)
        notes += [said] if said else []

    title, short = _titles(ctx, row, unit, fit is not None)
    xlim = (left if zero_x is None else zero_x - 0.3, right)
    px = np.where(zero, zero_x or 0.0, x_all)  # every point where it is drawn
    ylim = _y_limits(resp, None if fit is None else fit[1])
    return _Geometry(
        x=x,
        y=y,
        y0=y0,
        zero_x=zero_x,
        fit=fit,
        band=band,
        ic50=ic50,
        ci=None if ic50 is None else _ci_on_axis(row, left, right),
        half=half,
        xlim=xlim,
        ylim=ylim,
        ticks=_ticks(left, right, zero_x),
        xlabel=f"concentration ({_printable(unit, 20)}, log scale)",
        title=title,
        short_title=short,
        flags=row.flag_codes,
        flags_left=_crowded(px, resp, xlim, ylim) > _crowded(px, resp, xlim, ylim, left=True),
        notes=tuple(notes),
    )


# --- drawing -------------------------------------------------------------------------------------


@contextmanager
def _quiet() -> Iterator[None]:
    """No warnings for glyphs the font lacks (curve ids may hold any character)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from", category=UserWarning)
        warnings.filterwarnings("ignore", message=r".* natively", category=UserWarning)
        yield


class _Panel:
    """One curve's axes with its artists, made once and given each curve's data in turn."""

    def __init__(self, ax: Axes, size: float, note_y: float, thumbnail: bool) -> None:
        from matplotlib.patches import Polygon
        from matplotlib.transforms import blended_transform_factory

        self.ax, self.thumbnail = ax, thumbnail
        small = size / 7.0
        self.band = Polygon(np.zeros((3, 2)), closed=True, fc=_BAND, ec="none", alpha=0.6)
        ax.add_patch(self.band)
        (self.fit,) = ax.plot([], [], color=_FIT, lw=1.4 * small)
        (self.points,) = ax.plot([], [], "o", color="0.15", ms=3.2 * small, mew=0)
        (self.zero,) = ax.plot([], [], "s", mfc="none", mec="0.15", ms=3.4 * small, mew=0.8)
        (self.ci,) = ax.plot([], [], color=_BAR, lw=1.3 * small)
        (self.caps,) = ax.plot([], [], "|", color=_BAR, ms=6 * small, mew=1.3 * small)
        (self.mark,) = ax.plot([], [], "D", color=_BAR, ms=3.2 * small, mew=0)
        on_axis = blended_transform_factory(ax.transData, ax.transAxes)
        box = {"boxstyle": "round,pad=0.25", "lw": 0.8}
        self.gap = ax.text(0, 0, "//", transform=on_axis, ha="center", va="center", clip_on=False)
        self.gap.set(fontsize=size, bbox={"fc": "white", "ec": "none", "pad": 0.3})
        self.flags = ax.text(0.98, 0.96, "", transform=ax.transAxes, ha="right", va="top")
        self.flags.set(fontsize=size - 1, bbox=box, zorder=5)
        self.note = ax.text(0.0, note_y, "", transform=ax.transAxes, ha="left", va="top")
        self.note.set(fontsize=size - 1.5, color="0.3", clip_on=False, linespacing=1.2)
        # fixed title and label positions: matplotlib then measures no tick labels to place them
        self.title: Text = ax.set_title(" ", fontsize=size, loc="left", y=1.0, pad=3)
        self.title.set_linespacing(1.2)
        ax.xaxis.set_label_coords(0.5, -0.12)
        ax.yaxis.set_label_coords(-0.12, 0.5)
        for text in (self.flags, self.note, self.title, ax.xaxis.label):
            text.set_parse_math(False)  # a curve id like "$x$" is text, not mathematics
        ax.tick_params(labelsize=size - 1, length=2.5 * small, pad=1.5)
        if thumbnail:
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.yaxis.label.set_fontsize(size)
        ax.xaxis.label.set_fontsize(size)

    def hide(self) -> None:
        self.ax.set_visible(False)

    def show(self, g: _Geometry) -> None:
        ax = self.ax
        ax.set_visible(True)
        self.points.set_data(g.x, g.y)
        self.zero.set_data(np.full(g.y0.size, g.zero_x or 0.0), g.y0)
        self.gap.set_visible(g.zero_x is not None)
        if g.zero_x is not None:
            self.gap.set_x(g.zero_x + 0.35)
        self.fit.set_data(*(g.fit or ([], [])))
        self.band.set_visible(False)
        if g.fit is not None and g.band is not None:
            gx, (lo, hi) = g.fit[0], g.band
            ok = np.isfinite(lo) & np.isfinite(hi)
            if ok.sum() > 1:
                xs = np.concatenate([gx[ok], gx[ok][::-1]])
                self.band.set_xy(np.column_stack([xs, np.concatenate([hi[ok], lo[ok][::-1]])]))
                self.band.set_visible(True)
        if g.ic50 is not None and g.ci is not None and math.isfinite(g.half):
            a, b, closed_a, closed_b = g.ci
            self.ci.set_data([a, b], [g.half, g.half])
            caps = [v for v, closed in ((a, closed_a), (b, closed_b)) if closed]
            self.caps.set_data(caps, [g.half] * len(caps))
            self.mark.set_data([g.ic50], [g.half])
        else:
            for line in (self.ci, self.caps, self.mark):
                line.set_data([], [])
        ax.set_xlim(*g.xlim)
        ax.set_ylim(*g.ylim)
        ticks, labels = g.ticks
        if self.thumbnail and len(ticks) > 5:  # every other label: less ink, faster pages
            labels = [t if k % 2 == 0 or t == "0" else "" for k, t in enumerate(labels)]
        ax.set_xticks(ticks, labels)
        ax.set_xlabel("" if self.thumbnail else g.xlabel)
        self.title.set_text(g.short_title if self.thumbnail else g.title)
        self.flags.set_visible(bool(g.flags))
        if g.flags:
            self.flags.set_x(0.02 if g.flags_left else 0.98)
            self.flags.set_horizontalalignment("left" if g.flags_left else "right")
            face, edge, ink = _RED if any(_severe(f) for f in g.flags) else _AMBER
            self.flags.set_text(_printable(", ".join(g.flags), 60))
            self.flags.set_color(ink)
            patch = self.flags.get_bbox_patch()
            if patch is not None:
                patch.set(facecolor=face, edgecolor=edge)
        notes = [n for n in g.notes if not (self.thumbnail and n.startswith("squares at 0"))]
        self.note.set_text("\n".join(_printable(n, 90) for n in notes[:3]))


class _Picture:
    """The one PNG figure (4 x 3 in, 80 dpi), redrawn for every curve."""

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=_PNG_SIZE, dpi=_PNG_DPI)
        FigureCanvasAgg(self.fig)
        ax = self.fig.add_axes((0.15, 0.25, 0.81, 0.6))
        ax.set_ylabel("response")
        self.panel = _Panel(ax, size=7.0, note_y=-0.25, thumbnail=False)

    def png(self, g: _Geometry) -> bytes:
        self.panel.show(g)
        buf = io.BytesIO()
        with _quiet():
            self.fig.savefig(buf, format="png", dpi=_PNG_DPI, metadata={"Software": None})
        return buf.getvalue()


@dataclass(frozen=True)
class _Page:
    group: str
    rows: list[int]
    continued: bool


def _pages(groups: list[tuple[str, list[int]]]) -> list[_Page]:
    """The PDF's pages: each group starts a page, ``_COLS x _ROWS`` curves a page."""
    per = _COLS * _ROWS
    return [
        _Page(key, members[i : i + per], i > 0)
        for key, members in groups
        for i in range(0, len(members), per)
    ]


def _contact_pdf(
    ctx: _Context,
    rows: Sequence[CurveRow],
    pages: list[_Page],
    head: list[str],
    tick: Callable[[], None],
) -> bytes:
    """The thumbnails on A4 pages, one panel per curve (vector, small)."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    width, height = _A4
    fig = Figure(figsize=_A4)
    top, margin = 1.25, 0.45  # inches: header band, page margin
    cell_w = (width - 2 * margin) / _COLS
    cell_h = (height - top - margin) / _ROWS
    panels = []
    for r in range(_ROWS):
        for c in range(_COLS):
            x0 = margin + c * cell_w + 0.32
            y0 = height - top - (r + 1) * cell_h + 0.42
            box = (x0 / width, y0 / height, (cell_w - 0.42) / width, (cell_h - 0.82) / height)
            panels.append(_Panel(fig.add_axes(box), size=5.0, note_y=-0.14, thumbnail=True))
    header = fig.text(margin / width, 1 - 0.3 / height, "", va="top", fontsize=7, linespacing=1.4)
    group = fig.text(margin / width, 1 - 1.0 / height, "", va="top", fontsize=9, weight="bold")
    folio = fig.text(1 - margin / width, 0.25 / height, "", ha="right", fontsize=6, color="0.4")
    for text in (header, group, folio):
        text.set_parse_math(False)
    buf = io.BytesIO()
    meta = {"Creator": "cxcr4lab", "Producer": "cxcr4lab (matplotlib)", "CreationDate": None}
    sizes: dict[str, int] = {}
    for page in pages:
        sizes[page.group] = sizes.get(page.group, 0) + len(page.rows)
    with _quiet(), PdfPages(buf, metadata=meta) as pdf:
        for number, page in enumerate(pages, start=1):
            header.set_text("\n".join(head) if number == 1 else head[0])
            more = " (continued)" if page.continued else ""
            title = f"{_group_title(page.group)}: {_curves(sizes[page.group])}{more}"
            group.set_text(_printable(title, 110) if page.rows else "no curves to draw")
            folio.set_text(f"page {number} of {len(pages)}")
            for k, panel in enumerate(panels):
                if k < len(page.rows):
                    panel.show(_geometry(ctx, rows[page.rows[k]], _GRID_PDF))
                else:
                    panel.hide()
            pdf.savefig(fig)
            tick()
    return buf.getvalue()


# --- the contact sheet in HTML -------------------------------------------------------------------

_CSS = """body{font:13px/1.4 sans-serif;margin:1.2em;color:#222}
h2{font-size:15px;margin:1.4em 0 .4em;border-bottom:1px solid #ccc}
figure{display:inline-block;vertical-align:top;width:%dpx;margin:0 6px 10px 0}
img{display:block;border:1px solid #ddd}
figcaption{font-size:11px;overflow-wrap:anywhere}
.red{color:#8e0000}.amber{color:#6d4c00}.note{color:#8e0000}"""


def _index_html(
    ctx: _Context,
    rows: Sequence[CurveRow],
    names: Sequence[str],
    groups: list[tuple[str, list[int]]],
    summary: str,
    notes: list[str],
) -> str:
    """The contact sheet: a summary, then captioned thumbnails by group (every text from the
    data escaped; no script, no external resource)."""
    e, result, level = html.escape, ctx.result, ctx.level
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'; '
        "object-src 'none'\">",
        f"<title>Fitted curves of {e(_printable(result.source, 200))}</title>",
        f"<style>{_CSS % _THUMB_WIDTH}</style></head><body>",
        f"<h1>Fitted curves of {e(_printable(result.source, 200))}</h1>",
        f"<p>{e(summary)}</p>",
        *(f'<p class="note">{e(n)}</p>' for n in notes),
        "<p>Each picture: the data (open squares: zero dose, at the left edge past an axis "
        f"break), the fitted curve, its {level}% confidence band (shaded), the IC50 with its "
        f"{level}% CI at half effect (bar) and the flags (red: no estimates).</p>",
        "<p>"
        + " · ".join(
            f'<a href="#group-{i}">{e(_printable(_group_title(k), 80))} ({len(m):,})</a>'
            for i, (k, m) in enumerate(groups)
        )
        + "</p>",
    ]
    height = round(_THUMB_WIDTH * _PNG_SIZE[1] / _PNG_SIZE[0])
    for i, (key, members) in enumerate(groups):
        title = e(_printable(_group_title(key), 200))
        out.append(f'<h2 id="group-{i}">{title}: {_curves(len(members))}</h2><div>')
        for j in members:
            row, src = rows[j], f"curves/{names[j]}.png"
            label = e(_printable(row.curve_id, 200))
            unit = ctx.unit_of(ctx.points.rows.get(row.curve_id, np.zeros(0, np.intp)))[0]
            no_fit = any(_severe(f) for f in row.flag_codes)
            potency = "no fit" if no_fit else e(_potency_text(row, unit, _label(row.model), level))
            caption = f"{label}<br>{potency}"
            if row.flag_codes:
                ink = "red" if no_fit else "amber"
                codes = e(_printable(", ".join(row.flag_codes), 200))
                caption += f'<br><span class="{ink}">{codes}</span>'
            out.append(
                f'<figure><a href="{e(src)}"><img src="{e(src)}" width="{_THUMB_WIDTH}" '
                f'height="{height}" alt="curve {label}" loading="lazy"></a>'
                f"<figcaption>{caption}</figcaption></figure>"
            )
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- the folder ----------------------------------------------------------------------------------


def curve_plot_files(
    result: BatchFitResult,
    points: pd.DataFrame,
    *,
    molar_per_unit: float,
    progress: Callable[[int, int], None] | None = None,
    max_curves: int = 20_000,
) -> dict[str, bytes]:
    """A folder of pictures of every fitted curve of ``result``: file name -> content.

    ``points`` is the long table that was fitted (``curve_id``, ``concentration``,
    ``response``; optional ``weight``, and ``unit`` when the result's unit is ``per curve``),
    concentrations in ``result.unit``, of which one is ``molar_per_unit`` mol/L (1e-9 for nM).
    Returns ``curves/<safe id>.png`` per curve (320 x 240 px), ``index.html`` (a contact sheet,
    grouped by flag in :data:`FLAG_ORDER`, then other flags, then unflagged) and
    ``contact_sheet.pdf`` (the same on A4 pages, 4 x 5 a page, each group from a new page).
    Only the first ``max_curves`` curves are drawn (both sheets say so). ``progress(done,
    total)`` is called after each PNG and each PDF page (``total``: curves drawn + pages).
    """
    from cxcr4lab.core.errors import InputError

    if not (math.isfinite(molar_per_unit) and molar_per_unit > 0):
        raise InputError(
            f"must be a positive number of mol/L, got {molar_per_unit}", field="molar_per_unit"
        )
    level = round(100 * (1 - result.alpha))
    ctx = _Context(result, _Points.of(points), result.unit, molar_per_unit, level)
    rows = result.rows[: max(max_curves, 0)]
    names = safe_file_names([r.curve_id for r in rows])
    order = [*FLAG_ORDER, _OTHER, ""]
    by_group: dict[str, list[int]] = {k: [] for k in order}
    for i, row in enumerate(rows):
        by_group[_group(row.flag_codes)].append(i)
    groups = [(k, by_group[k]) for k in order if by_group[k]]
    pages = _pages(groups) or [_Page("", [], False)]
    total = len(rows) + len(pages)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    files: dict[str, bytes] = {}
    picture = _Picture()
    for row, name in zip(rows, names, strict=True):
        files[f"curves/{name}.png"] = picture.png(_geometry(ctx, row, _GRID_PNG))
        tick()

    counts = _flag_counts(result.rows)
    flagged = sum(bool(r.flag_codes) for r in result.rows)
    per_flag = ", ".join(f"{code} {n:,}" for code, n in counts.items())
    summary = (
        f"{_curves(len(result.rows))}, model {result.model}, concentrations in {result.unit}; "
        f"{flagged:,} flagged" + (f" ({per_flag})" if per_flag else "") + "."
    )
    notes = []
    if len(result.rows) > len(rows):
        notes.append(
            f"Only the first {len(rows):,} of {len(result.rows):,} curves are drawn "
            f"(max_curves = {max_curves:,})."
        )
    head = [
        _printable(f"Fitted curves of {result.source}", 120),
        *textwrap.wrap(_printable(summary, 400), 160, max_lines=2, placeholder=" …"),
        *notes,
        f"x: concentration ({_printable(result.unit, 20)}), log scale; open squares: zero dose; "
        f"line: the fit, shaded: its {level}% confidence band; bar: IC50 with its {level}% CI",
    ]
    files["index.html"] = _index_html(ctx, rows, names, groups, summary, notes).encode()
    files["contact_sheet.pdf"] = _contact_pdf(ctx, rows, pages, head, tick)
    return files


def fit_plot_files(
    result: BatchFitResult, inputs: Mapping[str, tuple[str, bytes]], options: Any
) -> dict[str, bytes]:
    """The ``fit`` kind's ``--plots DIR``: :func:`curve_plot_files` of the run's input table
    (read as the run read it, :func:`cxcr4lab.runs.fit.read_curve_table`), with progress."""
    from cxcr4lab.core.units import molar_factor
    from cxcr4lab.runs._kind import report_progress
    from cxcr4lab.runs.fit import read_curve_table

    curves = read_curve_table(inputs, options)

    def progress(done: int, total: int) -> None:
        report_progress("Drawing curves", done, total)

    factor = 1.0 if result.unit == "per curve" else molar_factor(result.unit)
    return curve_plot_files(result, curves.frame, molar_per_unit=factor, progress=progress)
