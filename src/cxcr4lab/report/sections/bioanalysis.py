"""Report section of an LC-MS/MS run: calibration with residuals, acceptance table, profiles."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.bioanalysis import BioanalysisResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["calibration_svg", "profiles_svg", "render"]


def _arr(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def calibration_svg(result: BioanalysisResult) -> str:
    """Top: ratio vs nominal (log-log) with the fitted line; bottom: accuracy (%) per
    calibrator and QC with the ±15% (±20% at the LLOQ) limits; rejected points open."""
    s = result.settings
    fig = Figure(figsize=(6.2, 5.6))
    ax, rx = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1.4, 1]})
    cal = result.of_type("calibrator")
    qc = result.of_type("qc")
    nominal = np.array([i.nominal or np.nan for i in cal])
    x = np.geomspace(np.nanmin(nominal) / 1.5, np.nanmax(nominal) * 1.5, 200)
    ax.plot(
        x, result.fit.predict(x), color="k", lw=1.2, label=f"{s.regression}, weight {s.weighting}"
    )
    for group, marker, label in ((cal, "o", "calibrators"), (qc, "s", "QCs")):
        for used in (True, False):
            pts = [i for i in group if (i.used_in_fit or i.type == "qc") == used and i.ratio]
            if not pts:
                continue
            ax.plot(
                [i.nominal for i in pts],
                [i.ratio for i in pts],
                marker,
                ls="none",
                color="#1f77b4" if marker == "o" else "#ff7f0e",
                markerfacecolor="none" if not used else None,
                label=label + ("" if used else " (rejected)"),
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel("peak-area ratio (analyte / IS)")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(f"{s.analyte} calibration, {result.run}", fontsize=9)
    for group, marker, colour in ((cal, "o", "#1f77b4"), (qc, "s", "#ff7f0e")):
        pts = [i for i in group if i.accuracy_pct is not None]
        rx.plot(
            [i.nominal for i in pts],
            [(i.accuracy_pct or 100.0) - 100 for i in pts],
            marker,
            ls="none",
            color=colour,
        )
        bad = [i for i in pts if not i.passed]
        rx.plot(
            [i.nominal for i in bad],
            [(i.accuracy_pct or 100) - 100 for i in bad],
            "x",
            color="#d62728",
            ms=9,
        )
    lloq = result.lloq or float(np.nanmin(nominal))
    rx.axhspan(-s.calibrator_limit_pct, s.calibrator_limit_pct, color="#2ca02c", alpha=0.08)
    rx.plot([lloq / 1.3, lloq * 1.3], [s.lloq_limit_pct] * 2, color="#2ca02c", lw=1)
    rx.plot([lloq / 1.3, lloq * 1.3], [-s.lloq_limit_pct] * 2, color="#2ca02c", lw=1)
    rx.axhline(0, color="0.5", lw=0.6)
    rx.set_xlabel(f"nominal concentration ({s.unit})")
    rx.set_ylabel("bias (%)")
    return to_svg(fig)


def profiles_svg(result: BioanalysisResult) -> str:
    """Concentration-time profile per subject (semi-log); BLQ shown at the bound, open."""
    fig = Figure(figsize=(5.6, 4))
    ax = fig.subplots()
    unknowns = [i for i in result.of_type("unknown") if i.time_h is not None and i.concentration]
    subjects = list(dict.fromkeys(i.subject or "" for i in unknowns))
    for k, subject in enumerate(subjects):
        pts = sorted(
            (i for i in unknowns if (i.subject or "") == subject), key=lambda i: i.time_h or 0
        )
        colour = _COLOURS[k % len(_COLOURS)]
        exact = [i for i in pts if i.bound == "="]
        ax.plot(
            _arr([i.time_h for i in exact]),
            _arr([i.concentration for i in exact]),
            "o-",
            color=colour,
            ms=4,
            label=subject or "(no subject)",
        )
        bounds = [i for i in pts if i.bound != "="]
        ax.plot(
            _arr([i.time_h for i in bounds]),
            _arr([i.concentration for i in bounds]),
            "v",
            color=colour,
            markerfacecolor="none",
        )
    ax.set_yscale("log")
    ax.set_xlabel("time after start of infusion (h)")
    ax.set_ylabel(f"{result.settings.analyte} ({result.settings.unit})")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(
        "plasma concentrations (▽ below LLOQ)" + ("" if result.passed else " — RUN FAILED"),
        fontsize=9,
    )
    return to_svg(fig)


def render(analysis_id: int, title: str, result: BioanalysisResult) -> str:
    s = result.settings
    acceptance = [
        {
            "id": i.sample_id,
            "type": i.type,
            "nominal": fmt(i.nominal, 4),
            "ratio": fmt(i.ratio, 4),
            "back": fmt(i.back_calculated, 4),
            "accuracy": fmt(i.accuracy_pct, 4),
            "passed": bool(i.passed),
            "used": i.used_in_fit,
        }
        for i in result.injections
        if i.type in ("calibrator", "qc")
    ]
    unknowns = [
        {
            "id": i.sample_id,
            "subject": i.subject or "",
            "time": "" if i.time_h is None else f"{i.time_h:g}",
            "dilution": f"{i.dilution:g}",
            "conc": "n/a"
            if i.concentration is None
            else ("" if i.bound == "=" else f"{i.bound} ") + fmt(i.concentration, 4),
            "nm": "n/a"
            if i.concentration_nm is None
            else ("" if i.bound == "=" else f"{i.bound} ") + fmt(i.concentration_nm, 4),
            "flags": ", ".join(i.flags),
        }
        for i in result.of_type("unknown")
    ]
    p = result.fit.params
    equation = f"ratio = {p['intercept']:.4g} + {p['slope']:.4g} x" + (
        f" + {p['curvature']:.4g} x²" if "curvature" in p else ""
    )
    section = {
        "id": analysis_id,
        "title": title,
        "run": result.run,
        "s": s,
        "equation": equation,
        "lloq": fmt(result.lloq, 4),
        "uloq": fmt(result.uloq, 4),
        "passed": result.passed,
        "reasons": list(result.reasons),
        "acceptance": acceptance,
        "unknowns": unknowns,
        "calibration_svg": calibration_svg(result),
        "profiles_svg": profiles_svg(result),
    }
    return environment().get_template("bioanalysis.html.j2").render(s=section)
