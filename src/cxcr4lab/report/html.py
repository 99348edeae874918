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
from markupsafe import escape

from cxcr4lab.assays.potency import Potency, potency_table, published_potencies
from cxcr4lab.fit import FLAG_TEXT

__all__ = [
    "environment",
    "fmt",
    "potency_summary_html",
    "provenance_line",
    "render_report",
    "write_report",
]


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


def provenance_line(
    *,
    analysis_id: int,
    kind: str,
    inputs: Sequence[tuple[str, str]],
    software_version: str,
    created_at: datetime | None = None,
    source: str | None = None,
) -> str:
    """One line saying where a section's numbers come from: the data's source (a bundled
    example's note: SIMULATED or a public data set) if known, the input files with the start of
    their SHA-256 (the key they are stored under), and the analysis that made them.

    >>> provenance_line(analysis_id=3, kind="binding", inputs=[("p.csv", "ab" * 32)],
    ...                 software_version="0.1.0")
    'Inputs: p.csv (sha256 abababababab…). Analysis #3 (binding), cxcr4lab 0.1.0.'
    """
    parts = [source.strip().rstrip(".") + "."] if source and source.strip() else []
    if inputs:
        files = ", ".join(f"{name} (sha256 {digest[:12]}…)" for name, digest in inputs)
        parts.append(f"Inputs: {files}.")
    when = "" if created_at is None else f", {created_at:%Y-%m-%d %H:%M} UTC"
    parts.append(f"Analysis #{analysis_id} ({kind}), cxcr4lab {software_version}{when}.")
    return " ".join(parts)


def record_provenance(record: Any, source: str | None = None) -> str:
    """:func:`provenance_line` of a stored analysis (a store ``AnalysisRecord``)."""
    return provenance_line(
        analysis_id=record.id,
        kind=record.kind,
        inputs=[(i.name, i.sha256) for i in record.inputs],
        software_version=record.software_version,
        created_at=record.created_at,
        source=source,
    )


def _with_provenance(section: str, line: str) -> str:
    """``section`` with ``line`` as a paragraph right under its title (every section opens
    with its ``<h2>``; one without gets the line first)."""
    paragraph = f'<p class="provenance">{escape(line)}</p>'
    end = section.find("</h2>")
    if end < 0:
        return paragraph + section
    end += len("</h2>")
    return section[:end] + paragraph + section[end:]


def render_report(
    analyses: Sequence[tuple[int, str, Any]],
    *,
    title: str = "cxcr4lab report",
    notes: Sequence[str] = (),
    database: str = "",
    summary: bool = True,
    sections: Sequence[str] | None = None,
    summary_html: str | None = None,
    provenance: Sequence[str] | None = None,
) -> str:
    """The HTML text of a report on ``(id, title, result)`` analyses of any kind.

    ``sections`` (one per analysis, in order) and ``summary_html`` are the analyses' sections
    and the potency summary when they were already rendered (the dossier draws them in worker
    processes: :func:`cxcr4lab.report.sections.render_section`, :func:`potency_summary_html`).
    ``provenance`` (one line per analysis, :func:`provenance_line`) goes under each section's
    title.
    """
    from cxcr4lab.report.sections import render_section

    for given, what in ((sections, "sections"), (provenance, "provenance lines")):
        if given is not None and len(given) != len(analyses):
            raise ValueError(f"{len(given)} {what} for {len(analyses)} analyses")
    html = [render_section(i, t, r) for i, t, r in analyses] if sections is None else list(sections)
    if provenance is not None:
        html = [_with_provenance(h, line) for h, line in zip(html, provenance, strict=True)]
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
