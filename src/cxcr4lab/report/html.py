"""Self-contained HTML reports: tables with units and CIs, figures inline as SVG.

Rendered with Jinja2 (autoescaped); no external file, script or font is referenced, so a report
can be mailed or archived as one file. Each result kind has a section renderer in
:mod:`cxcr4lab.report.sections`; the cross-assay potency summary leads the report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from cxcr4lab.assays.potency import Potency, potency_table, published_potencies
from cxcr4lab.fit import FLAG_TEXT

__all__ = ["environment", "fmt", "potency_summary_html", "render_report", "write_report"]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment over ``cxcr4lab/report/templates`` (autoescaping on)."""
    return Environment(
        loader=PackageLoader("cxcr4lab.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )


def fmt(v: float | None, digits: int = 3) -> str:
    """A number for people: ``n/a`` for missing or non-finite values."""
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def potency_summary_html(analyses: Sequence[tuple[int, str, Any]]) -> str:
    """The cross-assay potency summary that leads a report on ``(id, title, result)`` analyses
    (a table and the forest plot); empty when none of them measured a potency."""
    return _summary_html([p for i, t, r in analyses for p in r.potencies(source=f"#{i} {t}")])


def _summary_html(potencies: Sequence[Potency]) -> str:
    from cxcr4lab.report.figures import forest_plot_svg

    measured = [p for p in potencies if not p.published]
    if not measured:
        return ""
    everything = [*measured, *published_potencies()]
    table = potency_table(everything)
    return (
        environment()
        .get_template("potency_summary.html.j2")
        .render(rows=table.to_dict("records"), forest_svg=forest_plot_svg(everything))
    )


def render_report(
    analyses: Sequence[tuple[int, str, Any]],
    *,
    title: str = "cxcr4lab report",
    notes: Sequence[str] = (),
    database: str = "",
    summary: bool = True,
    sections: Sequence[str] | None = None,
    summary_html: str | None = None,
) -> str:
    """The HTML text of a report on ``(id, title, result)`` analyses of any kind.

    ``sections`` (one per analysis, in order) and ``summary_html`` are the analyses' sections
    and the potency summary when they were already rendered (the dossier draws them in worker
    processes: :func:`cxcr4lab.report.sections.render_section`, :func:`potency_summary_html`).
    """
    from cxcr4lab.report.sections import render_section

    if sections is not None and len(sections) != len(analyses):
        raise ValueError(f"{len(sections)} sections for {len(analyses)} analyses")
    html = [render_section(i, t, r) for i, t, r in analyses] if sections is None else list(sections)
    parts = [{"id": i, "title": t, "html": h} for (i, t, _), h in zip(analyses, html, strict=True)]
    potencies = [p for i, t, r in analyses for p in r.potencies(source=f"#{i} {t}")]
    if not summary:
        summary_html = ""
    elif summary_html is None:
        summary_html = _summary_html(potencies)
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            title=title,
            version=metadata.version("cxcr4lab"),
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            database=database,
            notes=list(notes),
            summary=summary_html,
            sections=parts,
            flag_text=FLAG_TEXT if potencies else {},
        )
    )


def write_report(path: Path, html: str, *, field: str = "--out") -> Path:
    """Write ``html`` to ``path`` (parents created) via a unique temporary file, so no half
    report remains; a bad path is one error naming ``field``."""
    from cxcr4lab.core.files import write_atomic

    return write_atomic(path, html, field=field)
