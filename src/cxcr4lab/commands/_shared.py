"""Helpers shared by the per-assay command modules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "FORMATS",
    "DatabaseOption",
    "FormatOption",
    "JsonOption",
    "ProjectOption",
    "SaveOption",
    "TitleOption",
    "conc",
    "emit_frame",
    "out_console",
    "output_format",
    "project_for_save",
    "safe_url",
    "write_atomic",
]

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database", envvar="CXCR4LAB_DATABASE_URL", help="SQLAlchemy URL of the results database."
    ),
]
TitleOption = Annotated[str | None, typer.Option("--title", help="Title for the stored analysis.")]
SaveOption = Annotated[bool, typer.Option("--save/--no-save", help="Store the analysis.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON (the same as --format json).")
]
FORMATS = ("table", "csv", "json")
"""Output formats of every command that prints a result or a table."""
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="Output: table (for a terminal), csv (the results table) or json (everything).",
        metavar="[table|csv|json]",
    ),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="File the stored analysis under this web-app project, so its members see it "
        "(see `cxcr4lab project create`).",
    ),
]


PIPE_WIDTH = 10_000
"""Console width when output goes to a file or pipe: wide enough that no table is cut."""


def out_console() -> Console:
    """The console of a command's output: the terminal's width in a terminal; in a pipe or
    file, :data:`PIPE_WIDTH` columns, so tables are never cut to 80 columns or wrapped."""
    import sys

    from rich.console import Console

    width = None if sys.stdout.isatty() else PIPE_WIDTH
    return Console(width=width)


def output_format(fmt: str, as_json: bool = False) -> str:
    """The chosen output format (``--json`` is ``--format json``); an unknown one is an error
    naming ``--format``.

    >>> output_format("CSV")
    'csv'
    """
    chosen = "json" if as_json else fmt.strip().lower()
    if chosen not in FORMATS:
        from cxcr4lab.core.errors import InputError, quote

        raise InputError(f"must be one of {', '.join(FORMATS)}; got {quote(fmt)}", field="--format")
    return chosen


def emit_frame(frame: Any, fmt: str, *, title: str = "") -> None:
    """Print a table (a pandas DataFrame) as a rich table with every column, as CSV (formula
    prefixes escaped) or as JSON records, on standard output."""
    import sys

    if fmt == "csv":
        from cxcr4lab.core.export import safe_csv

        sys.stdout.write(safe_csv(frame))
        return
    if fmt == "json":  # floats as Python writes them (shortest exact), missing values as null
        import json

        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        sys.stdout.write(json.dumps(records, indent=2, default=str) + "\n")
        return
    from rich.table import Table

    table = Table(title=title or None)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    out_console().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if value != value else f"{value:.4g}"
    return str(value)


def project_for_save(project: str | None, save: bool) -> str | None:
    """The ``--project`` name, refusing it with ``--no-save`` (nothing would be filed).

    >>> project_for_save(None, False) is None
    True
    """
    if project is not None and not save:
        from cxcr4lab.core.errors import InputError

        raise InputError(
            "files a stored analysis under a project; it cannot go with --no-save",
            field="--project",
        )
    return project


def conc(text: str, field: str, *, mw_g_per_mol: float | None = None) -> float:
    """A concentration option (e.g. ``0.1nM``) in mol/L; the error names the option."""
    from cxcr4lab.core.errors import Place
    from cxcr4lab.core.units import to_molar

    return to_molar(text, place=Place(field=field), allow_zero=False, mw_g_per_mol=mw_g_per_mol)


def write_atomic(path: Path, content: str | bytes, *, field: str = "--out") -> None:
    """Write ``content`` (text as UTF-8) to ``path``, parents created, via a unique temporary
    file renamed into place, so no half-written file is left behind; a directory or an
    unwritable path is one error naming ``field`` (see :func:`cxcr4lab.core.files.write_atomic`)."""
    from cxcr4lab.core.files import write_atomic as write

    write(path, content, field=field)


def safe_url(url: str) -> str:
    """A database URL to show: its password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
