"""The ``inventory`` kind: an inventory file (the TOML ``cxcr4lab inventory import`` reads)
checked without the store: each stock's and aliquot's expiry, freeze-thaw count and status on a
date, net peptide figures, the registry's solubility, and the solubility assessment when its CSV
is given (docs/inventory.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """The status date, the re-freeze limit and how to read the solubility assessment."""

    on: str = option(
        "Date the statuses are computed on, YYYY-MM-DD (empty: today, UTC).",
        default="",
        example="2026-12-03",
    )
    max_refreezes: int = option(
        "Re-freezes allowed before an aliquot is over-thawed (thawed n times = re-frozen n - 1).",
        default=1,
        ge=0,
        le=100,
    )
    solubility_unit: str = option(
        "Unit of the solubility CSV's standard concentrations, e.g. ug/mL or uM (needed with "
        "the solubility file).",
        default="",
        example="ug/mL",
    )
    level: float = option(
        "Confidence level of the solubility CIs (inverse prediction).",
        default=0.95,
        gt=0,
        lt=1,
    )


def _day(text: str) -> date:
    from cxcr4lab.core.errors import InputError, quote

    if not text:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"must be a date as YYYY-MM-DD, got {quote(text)}", field="on") from None


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Every stock's and aliquot's status on ``on`` (ok, expired, over-thawed, with reasons),
    and the solubility assessment's calibration and CIs when its CSV is given."""
    from cxcr4lab.compounds.inventory import read_solubility_csv
    from cxcr4lab.compounds.inventory_check import check_inventory
    from cxcr4lab.core.errors import InputError

    on = _day(options.on)
    assessment = None
    if "solubility" in inputs:
        if not options.solubility_unit:
            raise InputError(
                "is needed with a solubility file: the unit of its standards (e.g. ug/mL)",
                field="solubility_unit",
            )
        sol_name, sol_content = inputs["solubility"]
        assessment = read_solubility_csv(
            sol_content, sol_name, unit=options.solubility_unit, level=options.level
        )
    name, content = inputs["inventory"]
    result = check_inventory(
        content,
        name,
        on=on,
        today=datetime.now(UTC).date(),
        max_refreezes=options.max_refreezes,
        assessment=assessment,
    )
    parameters: dict[str, object] = {"on": result.on, "max_refreezes": options.max_refreezes}
    if assessment is not None:
        parameters |= {"solubility_unit": assessment.unit, "level": options.level}
    flagged = len(result.flagged)
    title = (
        f"Inventory {name} on {result.on}: {len(result.aliquots)} aliquots, {flagged} not to use"
    )
    return Outcome(result, parameters, title)


_NOTE = (
    "Compound inventory: SIMULATED (invented lots, dates, volumes and solubility readings; "
    "storage rules from the compound registry, seed 001). On 2026-12-03 aliquot "
    "BAL-2026-001-A03 is expired and BAL-2026-001-A04 over-thawed (examples/inventory/README.md)."
)

KIND = AnalysisKind(
    name="inventory",
    label="Compound inventory check: expiry, freeze-thaw, solubility (no store)",
    inputs=(
        InputSpec(
            "inventory",
            "inventory TOML: [[stock]] tables with [[stock.aliquot]] tables, as `cxcr4lab "
            "inventory import` reads",
            ("toml",),
            "inventory",
        ),
        InputSpec(
            "solubility",
            "solubility assessment CSV: type (standard/sample), name, concentration, response, "
            "dilution",
            ("csv",),
            "solubility",
            required=False,
            flag="--solubility",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.inventory:print_result",
    result="cxcr4lab.compounds.inventory_check:InventoryCheck",
    plots="cxcr4lab.web.plots.inventory:figures",
    docs="docs/inventory.md",
    examples=(
        Example(
            "Balixafortide stocks and aliquots on 2026-12-03, with a solubility assessment "
            "(simulated)",
            "inventory",
            {"inventory": "inventory.toml", "solubility": "solubility.csv"},
            {"on": "2026-12-03", "solubility_unit": "ug/mL"},
            _NOTE,
        ),
    ),
)
