"""Helpers shared by the per-assay command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "DatabaseOption",
    "JsonOption",
    "ProjectOption",
    "SaveOption",
    "TitleOption",
    "conc",
    "project_for_save",
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
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="File the stored analysis under this web-app project, so its members see it "
        "(see `cxcr4lab project create`).",
    ),
]


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
