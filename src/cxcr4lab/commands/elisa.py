"""``cxcr4lab analyze elisa``: standard curve, back-calculated unknowns, LLOQ/ULOQ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from cxcr4lab.commands import DossierRun

if TYPE_CHECKING:
    from cxcr4lab.assays.elisa import ElisaResult, ElisaSettings

__all__ = ["analyse_elisa_bytes", "dossier_runs", "print_result"]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]
EXAMPLES = (("trap5b", "TRAcP 5b"), ("ifng", "IFN-γ"), ("il2", "IL-2"))


def analyse_elisa_bytes(
    plate: tuple[str, bytes],
    layout: tuple[str, bytes],
    settings: ElisaSettings,
    *,
    block: str | None = None,
) -> ElisaResult:
    """Read a plate export and its layout (``(name, bytes)`` pairs) and analyse them."""
    from cxcr4lab.assays.elisa import analyse
    from cxcr4lab.assays.layout import read_layout_bytes
    from cxcr4lab.assays.readers import read_plates_bytes
    from cxcr4lab.core.errors import InputError, quote

    plates = read_plates_bytes(plate[1], plate[0])
    if block is None and len(plates) > 1:
        listed = ", ".join(repr(p.block) for p in plates)
        raise InputError(
            f"file holds {len(plates)} plates ({listed}); choose one with --block", file=plate[0]
        )
    chosen = plates[0] if block is None else next((p for p in plates if p.block == block), None)
    if chosen is None:
        raise InputError(
            f"no block named {quote(block)}; blocks: {', '.join(quote(p.block) for p in plates)}",
            file=plate[0],
        )
    return analyse(chosen, read_layout_bytes(layout[1], layout[0]), settings)


def print_result(console: Console, result: ElisaResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'ELISA {result.analyte}: {result.plate} [{result.block}]')}[/bold]{saved}"
    )
    c = result.choice
    verdict = "[green]pass[/green]" if result.passed else "[red]fail[/red]"
    rng = (
        "none"
        if result.lloq is None or result.uloq is None
        else f"{result.lloq:.4g}-{result.uloq:.4g} {result.unit} (in the well)"
    )
    console.print(
        f"Standard curve: {c.chosen} ({escape(c.how)}); quantitation range {escape(rng)}; "
        f"standards {verdict}"
        + (f" ({escape('; '.join(result.reasons))})" if result.reasons else "")
    )
    table = Table(title=f"{result.analyte} ({result.unit}, in the sample, dilution applied)")
    for col in ("sample", "group", "dilution", "mean OD", "CV %", "concentration", "flags"):
        table.add_column(col, justify="left" if col in ("sample", "group", "flags") else "right")
    for s in result.samples:
        shown = (
            "n/a"
            if s.value is None
            else (f"{s.value:.4g}" if s.bound == "=" else f"{s.bound} {s.value:.4g}")
        )
        table.add_row(
            escape(s.sample),
            escape(s.group or ("QC" if s.role == "qc" else "")),
            f"{s.dilution:g}",
            f"{s.mean_signal:.3f}",
            "-" if s.cv_pct is None else f"{s.cv_pct:.1f}",
            shown,
            ", ".join(s.flags) or "-",
        )
    console.print(table)


def dossier_runs() -> list[DossierRun]:
    from cxcr4lab.assays.elisa import ElisaSettings
    from cxcr4lab.store import InputBlob
    from cxcr4lab.workflows import example_bytes

    def make(key: str) -> RunOutput:
        plate = example_bytes("elisa", f"{key}_plate.csv")
        layout = example_bytes("elisa", f"{key}_layout.toml")
        result = analyse_elisa_bytes(plate, layout, ElisaSettings())
        inputs = [InputBlob(plate[0], "plate", plate[1]), InputBlob(layout[0], "layout", layout[1])]
        return result, inputs, {"model": "auto", "weighting": "none", "block": result.block}

    note = (
        "ELISA plates: SIMULATED (PC-3 bone-metastasis design, 4 arms x 5 mice; serum TRAcP 5b, "
        "IFN-γ, IL-2 with arm means stated in examples/elisa/README.md; 5PL/4PL true curves, "
        "3% OD noise)."
    )
    return [
        DossierRun(f"ELISA {label}, serum, day 29 (simulated)", _bind(make, key), (note,))
        for key, label in EXAMPLES
    ]


def _bind(make: Any, key: str) -> Any:
    return lambda: make(key)
