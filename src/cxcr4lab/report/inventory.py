"""The compound inventory for people: stock and aliquot tables with units and status, and the
inventory section of an HTML report (the same tables the command line and the web app show)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxcr4lab.report.html import environment

if TYPE_CHECKING:
    from cxcr4lab.store import AliquotRecord, StockRecord

__all__ = ["aliquot_frame", "render_inventory_report", "render_inventory_section", "stock_frame"]


def _pct(value: float | None) -> str:
    return "not stated" if value is None else f"{100 * value:.4g}"


def stock_frame(stocks: Sequence[StockRecord]) -> pd.DataFrame:
    """One row per stock; units in the column names; the expiry's rule and source beside it."""
    rows = []
    for s in stocks:
        found = s.expiry()
        rows.append(
            {
                "id": s.id,
                "compound": s.compound,
                "lot": s.lot,
                "form": s.form,
                "concentration": s.concentration or "–",
                "solvent": s.solvent or "–",
                "net_peptide_content_%": _pct(s.peptide_content),
                "salt_form": s.salt_form or "not stated",
                "prepared_on": s.prepared_on.isoformat(),
                "storage_C": f"{s.storage_temperature_c:g}",
                "expires_on": found.expires_on.isoformat(),
                "rule": found.rule.describe(),
                "created_by": s.created_by or "–",
            }
        )
    columns = [
        "id",
        "compound",
        "lot",
        "form",
        "concentration",
        "solvent",
        "net_peptide_content_%",
        "salt_form",
        "prepared_on",
        "storage_C",
        "expires_on",
        "rule",
        "created_by",
    ]
    return pd.DataFrame(rows, columns=columns)


def aliquot_frame(
    aliquots: Sequence[AliquotRecord], on: date, *, max_refreezes: int | None = None
) -> pd.DataFrame:
    """One row per aliquot with its status on ``on`` (ok, expired, over-thawed) and the reason."""
    rows = []
    for a in aliquots:
        check = a.check(on, max_refreezes=max_refreezes)
        rows.append(
            {
                "label": a.label,
                "stock": a.stock_id,
                "compound": a.compound,
                "lot": a.lot,
                "volume_uL": f"{a.volume_l * 1e6:.4g}",
                "prepared_on": a.prepared_on.isoformat(),
                "storage_C": f"{a.storage_temperature_c:g}",
                "thaws": f"{a.freeze_thaw_count} of {check.max_thaws}",
                "expires_on": check.expires_on.isoformat(),
                "in_stock": a.status,
                "status": check.state,
                "reason": check.reason,
            }
        )
    columns = [
        "label",
        "stock",
        "compound",
        "lot",
        "volume_uL",
        "prepared_on",
        "storage_C",
        "thaws",
        "expires_on",
        "in_stock",
        "status",
        "reason",
    ]
    return pd.DataFrame(rows, columns=columns)


def _table(frame: pd.DataFrame, caption: str = "") -> dict[str, Any]:
    return {
        "caption": caption,
        "columns": list(frame.columns),
        "rows": [list(r) for r in frame.itertuples(index=False)],
    }


def render_inventory_section(
    stocks: Sequence[StockRecord],
    aliquots: Sequence[AliquotRecord],
    on: date,
    *,
    max_refreezes: int | None = None,
) -> str:
    """The inventory as a report section (HTML): stocks, aliquots with status, and the
    registry's solubility of each compound in stock."""
    from cxcr4lab.compounds.inventory import DEFAULT_MAX_REFREEZES, solubility_table
    from cxcr4lab.compounds.registry import load_registry

    registry = load_registry()
    refreezes = DEFAULT_MAX_REFREEZES if max_refreezes is None else max_refreezes
    afr = aliquot_frame(aliquots, on, max_refreezes=refreezes)
    bad = afr[afr["status"] != "ok"]
    solubility = []
    for name in dict.fromkeys(s.compound for s in stocks):
        table = solubility_table(registry.get(name), origin=registry.origin)
        if len(table):
            solubility.append((name, _table(table, name)))
    section = {
        "on": on.isoformat(),
        "origin": registry.origin,
        "max_refreezes": refreezes,
        "flagged": len(bad),
        "flags": [f"{r.label}: {r.status}" for r in bad.itertuples()],
        "stocks": _table(stock_frame(stocks)),
        "aliquots": _table(afr),
        "solubility": solubility,
    }
    return environment().get_template("inventory.html.j2").render(s=section)


def render_inventory_report(
    stocks: Sequence[StockRecord],
    aliquots: Sequence[AliquotRecord],
    on: date,
    *,
    max_refreezes: int | None = None,
    title: str = "cxcr4lab inventory",
    database: str = "",
) -> str:
    """A self-contained HTML report of the inventory (the report page with one section)."""
    html = render_inventory_section(stocks, aliquots, on, max_refreezes=max_refreezes)
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            title=title,
            version=metadata.version("cxcr4lab"),
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            database=database,
            notes=[],
            summary="",
            sections=[{"id": "inventory", "title": "Compound inventory", "html": html}],
            flag_text={},
        )
    )
