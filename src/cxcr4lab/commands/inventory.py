"""``cxcr4lab inventory``: stocks and aliquots of compounds, their status, the net peptide weight
and the solubility assessment (docs/inventory.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cxcr4lab.commands._shared import DatabaseOption, FormatOption, emit_frame, output_format

if TYPE_CHECKING:
    from rich.console import Console

    from cxcr4lab.compounds.inventory import SolubilityAssessment
    from cxcr4lab.compounds.inventory_check import InventoryCheck
    from cxcr4lab.store import AliquotSpec, Store

__all__ = [
    "inventory_app",
    "print_assessment",
    "print_result",
    "read_inventory_toml",
    "register_in",
]

inventory_app = typer.Typer(
    help="Compound inventory: stocks, aliquots, expiry, freeze-thaw, solubility.",
    no_args_is_help=True,
)
stock_app = typer.Typer(help="Stocks (lots as powder or solution).", no_args_is_help=True)
aliquot_app = typer.Typer(help="Labelled aliquots of a stock.", no_args_is_help=True)
inventory_app.add_typer(stock_app, name="stock")
inventory_app.add_typer(aliquot_app, name="aliquot")

PreparedOption = Annotated[
    str | None,
    typer.Option("--prepared-on", help="Preparation date, YYYY-MM-DD (default: today, UTC)."),
]
RefreezeOption = Annotated[
    int | None,
    typer.Option(
        "--max-refreezes", help="Re-freezes allowed before an aliquot is over-thawed (default 1)."
    ),
]
OnOption = Annotated[
    str | None, typer.Option("--on", help="Status on this date, YYYY-MM-DD (default: today).")
]


def register_in(group: Callable[[str], typer.Typer]) -> None:
    group("").add_typer(inventory_app, name="inventory")


def _user_id(store: Store, name: str | None) -> int | None:
    if name is None:
        return None
    from cxcr4lab.core.errors import InputError, NotFoundError

    try:
        return store.accounts.user(name).id
    except NotFoundError:
        raise InputError(f"no user named {name!r}", field="--user") from None


def _day(text: str | None, store: Store) -> date:
    from cxcr4lab.core.errors import InputError

    if text is None:
        return store.inventory.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"must be a date as YYYY-MM-DD, got {text!r}", field="--on") from None


def _aliquot_specs(items: list[str], prepared_on: str | None) -> list[AliquotSpec]:
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.store import AliquotSpec

    specs = []
    for item in items:
        label, sep, volume = item.partition("=")
        if not sep or not label.strip() or not volume.strip():
            raise InputError(
                f"must be LABEL=VOLUME (e.g. A01=50uL), got {item!r}", field="--aliquot"
            )
        specs.append(AliquotSpec(label.strip(), volume.strip(), prepared_on))
    return specs


@stock_app.command("add")
def stock_add(
    compound: Annotated[str, typer.Argument(help="Registry compound (name or synonym).")],
    lot: Annotated[str, typer.Option("--lot", help="Supplier lot or batch.")],
    form: Annotated[
        str, typer.Option("--form", help="lyophilised powder (or: powder) or solution.")
    ],
    temperature: Annotated[
        float, typer.Option("--temperature", help="Storage temperature, °C (e.g. -80).")
    ],
    prepared_on: PreparedOption = None,
    solvent: Annotated[
        str | None, typer.Option("--solvent", help="Solvent of a solution (water, DMSO).")
    ] = None,
    concentration: Annotated[
        str | None, typer.Option("--conc", help="Concentration of a solution, e.g. 10mM, 1mg/mL.")
    ] = None,
    peptide_content: Annotated[
        float | None,
        typer.Option("--peptide-content", help="Net peptide content, fraction 0-1 (e.g. 0.82)."),
    ] = None,
    salt_form: Annotated[
        str | None, typer.Option("--salt-form", help="Counter-ion, e.g. 'TFA salt', 'acetate'.")
    ] = None,
    aliquot: Annotated[
        list[str] | None,
        typer.Option(
            "--aliquot", help="An aliquot made with the stock, LABEL=VOLUME (repeatable)."
        ),
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", help="Web-app project the stock belongs to.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Who made it (a user).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Add a stock (and its aliquots, all in one transaction)."""
    from cxcr4lab.store import Store
    from cxcr4lab.workflows import find_project

    with Store(database) as store:
        day = prepared_on if prepared_on is not None else store.inventory.today()
        stock = store.inventory.add_stock(
            compound=compound,
            lot=lot,
            form=form,
            prepared_on=day,
            storage_temperature_c=temperature,
            solvent=solvent,
            concentration=concentration,
            peptide_content=peptide_content,
            salt_form=salt_form,
            aliquots=_aliquot_specs(aliquot or [], str(day)),
            created_by=_user_id(store, user),
            project_id=None if project is None else find_project(store, project, field="--project"),
        )
        n = len(store.inventory.aliquots(stock_id=stock.id))
        found = stock.expiry()
    typer.echo(
        f"added stock #{stock.id}: {stock.compound} lot {stock.lot}, {stock.form}"
        + (f" {stock.concentration} in {stock.solvent}" if stock.concentration else "")
        + f", {stock.storage_temperature_c:g} °C, expires {found.expires_on} "
        f"({found.rule.describe()}); {n} aliquot{'' if n == 1 else 's'}"
    )


def read_inventory_toml(content: bytes, name: str) -> list[dict[str, object]]:
    """The stocks of an inventory TOML file as keywords of
    :meth:`~cxcr4lab.store.Inventory.add_stocks` (read by
    :func:`cxcr4lab.compounds.inventory.read_inventory_toml`, the aliquots as
    :class:`~cxcr4lab.store.AliquotSpec`)."""
    from cxcr4lab.compounds.inventory import read_inventory_toml as read_stocks
    from cxcr4lab.store import AliquotSpec

    return [
        {**entry, "aliquots": [AliquotSpec(**a) for a in entry["aliquots"]]}
        for entry in read_stocks(content, name)
    ]


@inventory_app.command("import")
def import_inventory(
    file: Annotated[
        Path,
        typer.Argument(
            help="Inventory TOML (stock tables, each with its aliquot tables; see docs/inventory.md)."
        ),
    ],
    project: Annotated[
        str | None, typer.Option("--project", help="Web-app project the stocks belong to.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Who made them (a user).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Add every stock and aliquot of an inventory file, all in one transaction (all or none)."""
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.store import Store
    from cxcr4lab.workflows import find_project, read_input

    stocks = read_inventory_toml(read_input(file, "inventory file"), file.name)
    with Store(database) as store:
        owner = _user_id(store, user)
        project_id = None if project is None else find_project(store, project, field="--project")
        for entry in stocks:
            entry["created_by"], entry["project_id"] = owner, project_id
        try:
            added = store.inventory.add_stocks(stocks)
        except InputError as exc:
            raise exc.at(file=file.name) from None
        n = sum(len(store.inventory.aliquots(stock_id=s.id)) for s in added)
    typer.echo(f"added {len(added)} stocks and {n} aliquots from {file.name}")


@stock_app.command("list")
def stock_list(
    compound: Annotated[str | None, typer.Option("--compound", help="Only this compound.")] = None,
    fmt: FormatOption = "table",
    database: DatabaseOption = None,
) -> None:
    """Every stock with its expiry and the storage rule it comes from."""
    from cxcr4lab.report.inventory import stock_frame
    from cxcr4lab.store import Store

    fmt = output_format(fmt)
    with Store(database) as store:
        stocks = store.inventory.stocks(compound=compound)
    emit_frame(stock_frame(stocks), fmt, title=f"Stocks ({len(stocks)})")


@aliquot_app.command("add")
def aliquot_add(
    stock_id: Annotated[int, typer.Argument(help="Stock id (see `inventory stock list`).")],
    label: Annotated[str, typer.Argument(help="Unique label, e.g. BAL-2026-001-A03.")],
    volume: Annotated[str, typer.Option("--volume", help="Volume, e.g. 50uL.")],
    prepared_on: PreparedOption = None,
    temperature: Annotated[
        float | None,
        typer.Option("--temperature", help="Storage temperature, °C (default: the stock's)."),
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Who made it (a user).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Add an aliquot of a stock."""
    from cxcr4lab.store import Store

    with Store(database) as store:
        made = store.inventory.add_aliquot(
            stock_id,
            label=label,
            volume=volume,
            prepared_on=prepared_on,
            storage_temperature_c=temperature,
            created_by=_user_id(store, user),
        )
        check = made.check(store.inventory.today())
    typer.echo(
        f"added aliquot {made.label} of stock #{made.stock_id}: {made.volume_l * 1e6:.4g} µL at "
        f"{made.storage_temperature_c:g} °C, expires {check.expires_on}"
    )


@aliquot_app.command("list")
def aliquot_list(
    stock_id: Annotated[int | None, typer.Option("--stock", help="Only this stock.")] = None,
    on: OnOption = None,
    max_refreezes: RefreezeOption = None,
    fmt: FormatOption = "table",
    database: DatabaseOption = None,
) -> None:
    """Every aliquot with its status (ok, expired, over-thawed) and the reason."""
    from cxcr4lab.report.inventory import aliquot_frame
    from cxcr4lab.store import Store

    fmt = output_format(fmt)
    with Store(database) as store:
        day = _day(on, store)
        aliquots = store.inventory.aliquots(stock_id=stock_id)
    frame = aliquot_frame(aliquots, day, max_refreezes=max_refreezes)
    emit_frame(frame, fmt, title=f"Aliquots on {day} ({len(aliquots)})")


@aliquot_app.command("thaw")
def aliquot_thaw(
    label: Annotated[str, typer.Argument(help="Aliquot label.")],
    max_refreezes: RefreezeOption = None,
    database: DatabaseOption = None,
) -> None:
    """Record a thaw of an aliquot (its freeze-thaw count + 1) and show its status."""
    from cxcr4lab.store import Store

    with Store(database) as store:
        thawed = store.inventory.record_thaw(label)
        check = thawed.check(store.inventory.today(), max_refreezes=max_refreezes)
    typer.echo(
        f"{thawed.label}: thawed {thawed.freeze_thaw_count} time"
        f"{'' if thawed.freeze_thaw_count == 1 else 's'}; status {check.state} ({check.reason})"
    )


@aliquot_app.command("mark")
def aliquot_mark(
    label: Annotated[str, typer.Argument(help="Aliquot label.")],
    status: Annotated[str, typer.Argument(help="available, empty or discarded.")],
    database: DatabaseOption = None,
) -> None:
    """Mark an aliquot available, empty (used up) or discarded."""
    from cxcr4lab.store import Store

    with Store(database) as store:
        marked = store.inventory.set_status(label, status)
    typer.echo(f"{marked.label}: {marked.status}")


@inventory_app.command("weigh")
def weigh(
    compound: Annotated[str, typer.Argument(help="Registry compound (name or synonym).")],
    peptide_content: Annotated[
        float, typer.Option("--peptide-content", help="Net peptide content, fraction 0-1.")
    ],
    concentration: Annotated[
        str | None, typer.Option("--conc", help="Target concentration, e.g. 10mM.")
    ] = None,
    volume: Annotated[str | None, typer.Option("--volume", help="Volume, e.g. 1mL.")] = None,
    mass: Annotated[
        str | None, typer.Option("--mass", help="Powder weighed (gross), e.g. 5mg.")
    ] = None,
    salt_form: Annotated[str, typer.Option("--salt-form", help="Counter-ion, noted.")] = "",
    solvent: Annotated[str, typer.Option("--solvent")] = "water",
    fmt: FormatOption = "table",
) -> None:
    """Net peptide weight: powder to weigh = moles x MW / peptide content (give two of --conc,
    --volume, --mass)."""
    from cxcr4lab.compounds.inventory import net_peptide_stock
    from cxcr4lab.compounds.registry import load_registry
    from cxcr4lab.core.errors import InputError

    fmt = output_format(fmt)
    found = load_registry().get(compound)
    if found.molecular_weight_g_per_mol is None:
        raise InputError(f"{found.name} has no molecular weight in the registry", field="compound")
    w = net_peptide_stock(
        mw_g_per_mol=found.molecular_weight_g_per_mol,
        peptide_content=peptide_content,
        concentration=concentration,
        volume=volume,
        gross_mass=mass,
        salt_form=salt_form,
        solvent=solvent,
    )
    if fmt == "table":
        typer.echo(f"{found.name} ({found.molecular_weight_g_per_mol:g} g/mol): {w.describe()}")
    emit_frame(w.summary(), fmt, title="Net peptide weight")


@inventory_app.command("solubility")
def solubility(
    csv: Annotated[
        Path,
        typer.Argument(
            help="CSV: type (standard/sample), name, concentration, response, dilution."
        ),
    ],
    unit: Annotated[
        str, typer.Option("--unit", help="Unit of the standards' concentration, e.g. ug/mL, uM.")
    ],
    level: Annotated[float, typer.Option("--level", help="Confidence level of the CI.")] = 0.95,
    compound: Annotated[
        str | None,
        typer.Option("--compound", help="Also show this compound's registry solubility."),
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Solubility assessment (seed Protocol 2): saturated-supernatant concentration from a
    calibration line, with the CI of the inverse prediction."""
    from cxcr4lab.commands._shared import out_console
    from cxcr4lab.compounds.inventory import read_solubility_csv, solubility_table
    from cxcr4lab.workflows import read_input

    fmt = output_format(fmt)
    result = read_solubility_csv(read_input(csv, "CSV"), csv.name, unit=unit, level=level)
    if fmt != "table":
        emit_frame(result.summary(), fmt)
        return
    print_assessment(out_console(), result)
    if compound is not None:
        from cxcr4lab.compounds.registry import load_registry

        registry = load_registry()
        known = solubility_table(registry.get(compound), origin=registry.origin)
        emit_frame(known, "table", title=f"{registry.get(compound).name}: registry solubility")


@inventory_app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "cxcr4lab-report/inventory.html"
    ),
    on: OnOption = None,
    max_refreezes: RefreezeOption = None,
    database: DatabaseOption = None,
) -> None:
    """Write the inventory as a self-contained HTML report."""
    from cxcr4lab.commands._shared import safe_url
    from cxcr4lab.core.files import check_output
    from cxcr4lab.report import write_report
    from cxcr4lab.report.inventory import render_inventory_report
    from cxcr4lab.store import Store

    check_output(out)
    with Store(database) as store:
        day = _day(on, store)
        html = render_inventory_report(
            store.inventory.stocks(),
            store.inventory.aliquots(),
            day,
            max_refreezes=max_refreezes,
            database=safe_url(store.url),
        )
    typer.echo(f"wrote {write_report(out, html)}")


# --- terminal views -------------------------------------------------------------------------------


def _num(v: float) -> str:
    return f"{v:,.1f}" if abs(v) >= 1000 else f"{v:.4g}"


def print_assessment(console: Console, result: SolubilityAssessment) -> None:
    """The solubility assessment: the calibration line and each saturated supernatant's
    concentration with its CI (inverse prediction), in the standards' unit."""
    from rich.markup import escape
    from rich.table import Table

    cal = result.calibration
    unit = escape(result.unit)
    console.print(
        f"[bold]Calibration[/bold] ({cal.n} standards, {cal.x_min:g}-{cal.x_max:g} {unit}): "
        f"response = {cal.intercept:.4g} (SE {cal.intercept_se:.2g}) + {cal.slope:.4g} "
        f"(SE {cal.slope_se:.2g}) x conc ({unit});  s = {cal.sigma:.3g}, "
        f"R² = {cal.r_squared:.5f}"
    )
    pct = f"{100 * result.level:g}%"
    table = Table(title=f"Saturated supernatants ({unit}, {pct} CI)")
    for column in ("sample", "readings", "measured", "dilution", "solubility", f"{pct} CI", "note"):
        table.add_column(column)
    for s in result.samples:
        ci = (
            "unbounded (slope not clearly nonzero)"
            if s.lower is None or s.upper is None
            else f"{_num(s.lower)} – {_num(s.upper)} {unit}"
        )
        table.add_row(
            escape(s.sample),
            str(s.readings),
            f"{_num(s.measured)} {unit}",
            f"{s.dilution:g}",
            f"{_num(s.concentration)} {unit}",
            ci,
            "outside the standards' range" if s.extrapolated else "",
        )
    console.print(table)


def print_result(console: Console, result: InventoryCheck, analysis_id: int | None) -> None:
    """Terminal view of ``cxcr4lab analyze inventory`` (the kind is declared in
    :mod:`cxcr4lab.runs.inventory`): stocks, aliquots with status, the registry's solubility,
    and the solubility assessment."""
    from rich.markup import escape
    from rich.table import Table

    def opt(value: float | None, digits: str = ".4g") -> str:
        return "–" if value is None else format(value, digits)

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    flagged = result.flagged
    console.print(
        f"[bold]{escape(f'Inventory {result.source}: status on {result.on}')}[/bold]{saved}\n"
        f"{len(result.stocks)} stocks, {len(result.aliquots)} aliquots; "
        f"{len(flagged)} not to use; re-freezes allowed: {result.max_refreezes}; "
        f"expiry by the storage rules of {escape(result.origin)}"
    )
    stocks = Table(title="Stocks")
    for column in (
        "compound",
        "lot",
        "form",
        "concentration",
        "solvent",
        "net peptide (%)",
        "salt form",
        "storage (°C)",
        "prepared",
        "expires",
        "rule",
        "status",
        "powder to weigh (mg/mL)",
    ):
        stocks.add_column(column, overflow="fold")
    for s in result.stocks:
        stocks.add_row(
            escape(s.compound),
            escape(s.lot),
            s.form,
            escape(s.concentration or "–"),
            escape(s.solvent or "–"),
            opt(None if s.peptide_content is None else 100 * s.peptide_content),
            escape(s.salt_form or "not stated"),
            f"{s.storage_temperature_c:g}",
            s.prepared_on,
            s.expires_on,
            escape(s.rule),
            s.state if s.state == "ok" else f"[bold red]{s.state}[/bold red]",
            opt(s.powder_mg_per_ml),
        )
    console.print(stocks)
    aliquots = Table(title=f"Aliquots on {result.on}")
    for column in (
        "label",
        "lot",
        "volume (µL)",
        "storage (°C)",
        "prepared",
        "expires",
        "by",
        "thaws",
        "in stock",
        "status",
        "reason",
        "powder (mg)",
        "peptide (mg)",
    ):
        aliquots.add_column(column, overflow="fold")
    for a in result.aliquots:
        aliquots.add_row(
            escape(a.label),
            escape(a.lot),
            f"{a.volume_ul:.4g}",
            f"{a.storage_temperature_c:g}",
            a.prepared_on,
            a.expires_on,
            f"{a.expiry_from}: {escape(a.rule)}",
            f"{a.freeze_thaw_count} of {a.max_thaws}",
            a.lifecycle,
            a.state if a.state == "ok" else f"[bold red]{a.state}[/bold red]",
            escape(a.reason),
            opt(a.powder_mg),
            opt(a.net_peptide_mg),
        )
    console.print(aliquots)
    if result.solubility:
        known = Table(title="Solubility (registry)")
        for column in ("compound", "solvent", "solubility", "note"):
            known.add_column(column)
        for f in result.solubility:
            known.add_row(
                escape(f.compound), escape(f.solvent), escape(f.solubility), escape(f.note)
            )
        console.print(known)
    if result.assessment is not None:
        print_assessment(console, result.assessment)
