"""Helpers shared by the inhibition-plate commands (arrestin, calcium, chemotaxis, viability)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.inhibition import InhibitionPlate
    from cxcr4lab.assays.layout import Layout
    from cxcr4lab.assays.readers import PlateData
    from cxcr4lab.store import InputBlob

__all__ = [
    "AgonistConcOption",
    "AgonistEC50Option",
    "AgonistHillOption",
    "BlockOption",
    "LayoutOption",
    "SaturationOption",
    "agonist_molar",
    "named",
    "print_plate",
    "read_layout_input",
    "read_plate_input",
]

LayoutOption = Annotated[Path, typer.Option("--layout", "-l", help="wellmap TOML layout.")]
BlockOption = Annotated[
    str | None, typer.Option("--block", help="Plate block to use when the file holds several.")
]
AgonistConcOption = Annotated[
    str | None,
    typer.Option(
        "--agonist-conc",
        help="CXCL12 concentration in the antagonist wells, e.g. 100ng/mL or 12.5nM (for Kb).",
    ),
]
AgonistEC50Option = Annotated[
    str | None,
    typer.Option(
        "--agonist-ec50",
        help="CXCL12 EC50 (e.g. 50ng/mL) when the plate has no CXCL12 curve of its own.",
    ),
]
AgonistHillOption = Annotated[
    float, typer.Option("--agonist-hill", help="CXCL12 Hill slope with --agonist-ec50.")
]
SaturationOption = Annotated[
    float | None,
    typer.Option("--saturation", help="Detector ceiling: readings at or above it are refused."),
]


def agonist_molar(text: str | None, option: str) -> float | None:
    """A CXCL12 concentration option in mol/L (mass units converted with its MW)."""
    if text is None:
        return None
    from cxcr4lab.commands._shared import conc
    from cxcr4lab.workflows import compound_mw

    return conc(text, option, mw_g_per_mol=compound_mw("CXCL12"))


def named(source: Path | tuple[str, bytes], field: str | None = None) -> tuple[str, bytes]:
    """A path read (errors name ``field``, the option or argument) or a (name, bytes) pair."""
    from cxcr4lab.workflows import read_input

    return (source.name, read_input(source, field)) if isinstance(source, Path) else source


def read_plate_input(
    source: Path | tuple[str, bytes], block: str | None, field: str = "PLATE"
) -> tuple[PlateData, InputBlob]:
    """The chosen plate of a plate export and the file as an input blob."""
    from cxcr4lab.assays.readers import read_plates_bytes
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.store import InputBlob

    name, content = named(source, field)
    plates = read_plates_bytes(content, name)
    if block is None and len(plates) > 1:
        listed = ", ".join(quote(p.block) for p in plates)
        raise InputError(
            f"file holds {len(plates)} plates ({listed}); choose one with --block", file=name
        )
    chosen = plates[0] if block is None else next((p for p in plates if p.block == block), None)
    if chosen is None:
        raise InputError(
            f"no block named {quote(block)}; blocks: {', '.join(quote(p.block) for p in plates)}",
            file=name,
        )
    return chosen, InputBlob(name, "plate", content)


def read_layout_input(
    source: Path | tuple[str, bytes], field: str = "--layout"
) -> tuple[Layout, InputBlob]:
    from cxcr4lab.assays.layout import read_layout_bytes
    from cxcr4lab.store import InputBlob
    from cxcr4lab.workflows import compound_mw

    name, content = named(source, field)
    return read_layout_bytes(content, name, mw_lookup=compound_mw), InputBlob(
        name, "layout", content
    )


def print_plate(
    console: Console,
    plate: InhibitionPlate,
    *,
    ic50_name: str = "IC50",
    extra: Sequence[tuple[str, dict[str, str]]] = (),
) -> None:
    """Potency table (IC50, Kb where computed), agonist curve, QC and edge-effect lines.

    ``extra``: (column title, {compound: text}) for assay-specific columns.
    """
    from rich.markup import escape

    from cxcr4lab.report.formats import potency_display

    has_kb = any(c.kb_molar is not None for c in plate.curves)
    table = Table(title="Potency (4PL; 95% profile-likelihood CI)")
    cols = ["compound", f"{ic50_name} (nM)", "95% CI (nM)"]
    if has_kb:
        cols += ["Kb (nM)", "95% CI (nM)"]
    cols += ["Hill", *[t for t, _ in extra], "n", "flags"]
    for col in cols:
        table.add_column(col, justify="left" if col in ("compound", "flags") else "right")
    for c in plate.curves:
        row: list[Any] = [
            c.compound,
            *potency_display(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c),
        ]
        if has_kb:
            row += potency_display(c.kb_molar, c.kb_lower_molar, c.kb_upper_molar, c)
        row += [f"{c.hill:.2f}", *[values.get(c.compound, "-") for _, values in extra]]
        row += [str(c.fit.n), ", ".join(c.flags) or "-"]
        table.add_row(*row)
    console.print(table)
    if plate.agonist is not None:
        a = plate.agonist
        effect = (
            ""
            if a.effect_at_agonist_pct is None
            else f"; the assay concentration sits at its EC{a.effect_at_agonist_pct:.0f}"
        )
        console.print(
            escape(f"Agonist {a.compound}: EC50 {a.ec50_molar / 1e-9:.3g} nM, Hill {a.hill:.2f}")
            + escape(effect)
        )
    if has_kb:
        console.print(escape(f"Kb basis: {plate.kb_basis}"))
    qc = plate.qc
    verdict = "[green]pass[/green]" if qc.passed else "[red]fail[/red]"
    z = "n/a" if qc.z_prime is None else f"{qc.z_prime:.2f}"
    sb = "n/a" if qc.signal_to_background is None else f"{qc.signal_to_background:.1f}"
    reasons = f" ({escape('; '.join(qc.reasons))})" if qc.reasons else ""
    console.print(f"Plate QC {verdict}: Z' = {z}, S/B = {sb}{reasons}")
    e = plate.edge
    if e.difference_pct is not None:
        word = "[red]edge effect[/red]" if e.flagged else "no edge effect"
        p = "n/a" if e.p_value is None else f"{e.p_value:.2g}"
        console.print(
            f"Edge check: {word} (outer ring - interior {e.difference_pct:+.1f} %-points, p = {p})"
        )
