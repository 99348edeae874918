"""The stored result of a batch of curve fits (``cxcr4lab fit``): one row per curve.

The rows are :func:`~cxcr4lab.fit.batch.fit_table`'s columns (``TABLE_COLUMNS``): curve id,
model, converged, bottom, top, hill, the IC50 with its CI in the input unit, log10 IC50 (of
mol/L) with its SE, RSS, number of points and flags. Missing values are ``None`` (never NaN),
so the result round-trips exactly through JSON (``to_dict`` / ``from_dict``).

>>> row = CurveRow("A", "4pl", True, 0.0, 100.0, 1.0, 10.0, 8.0, 12.5, -8.0, 0.05, 3.2, 8, "")
>>> result = BatchFitResult("curves.csv", "4pl", "nM", (row,))
>>> BatchFitResult.from_dict(result.to_dict()) == result, result.n_converged
(True, 1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

from cxcr4lab.core.serial import Serial, stored

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["BatchFitResult", "CurveRow"]


@stored(omit_default=("extra", "meta"))
@dataclass(frozen=True)
class CurveRow:
    """One fitted curve (``ic50`` and its CI in the input unit; ``log10_ic50`` of mol/L);
    ``flags`` are ``;``-joined codes (empty: none); ``extra`` the further inference columns
    (:data:`~cxcr4lab.fit.batch.INFERENCE_COLUMNS_DOC`: SEs and CIs of every parameter, pIC50,
    EDs, R^2, sigma, AICc), ``meta`` the input's metadata columns carried through (text)."""

    curve_id: str
    model: str
    converged: bool
    bottom: float | None
    top: float | None
    hill: float | None
    ic50: float | None
    ic50_lower: float | None
    ic50_upper: float | None
    log10_ic50: float | None
    log10_ic50_se: float | None
    rss: float | None
    n: int
    flags: str
    extra: tuple[tuple[str, float | None], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(f for f in self.flags.split(";") if f)


def _slug(unit: str) -> str:
    """A unit as a column-name suffix: ``nM``, ``uM`` (for µM), ``mol_per_L``."""
    import re

    text = unit.replace("µ", "u").replace("μ", "u").replace("/", "_per_")
    return re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "unit"


def _number(value: Any) -> float | None:
    """A float, or None for a missing or non-finite value."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@stored(omit_default=("notes",))
@dataclass(frozen=True)
class BatchFitResult(Serial):
    """Every curve of a long table fitted with one ``model``.

    ``source`` is the input file's name, ``unit`` the unit of the ``ic50`` columns (the file's
    concentration unit; ``"per curve"`` when the file has a ``unit`` column), ``alpha`` sets the
    CI level; ``fixed`` holds ``(parameter, value)`` pairs and ``bounds`` ``(parameter, lower,
    upper)`` triples given to every fit (in the model's scale: ``log10_ic50`` in log10 mol/L;
    an open side is infinite, stored as None).
    """

    kind: ClassVar[str] = "fit"

    source: str
    model: str
    unit: str
    rows: tuple[CurveRow, ...]
    alpha: float = 0.05
    fixed: tuple[tuple[str, float], ...] = ()
    bounds: tuple[tuple[str, float, float], ...] = ()
    notes: tuple[str, ...] = ()
    """What reading the input noted (columns not carried, the X scale of a Prism table)."""

    @property
    def n_converged(self) -> int:
        return sum(r.converged for r in self.rows)

    @property
    def n_flagged(self) -> int:
        return sum(bool(r.flags) for r in self.rows)

    def constraint_text(self) -> str:
        """``fixed hill = 1; bounded top in [90, 110]``, or '' if neither."""
        parts = [f"{n} = {v:g}" for n, v in self.fixed]
        text = f"fixed {', '.join(parts)}" if parts else ""
        if self.bounds:
            inside = ", ".join(f"{n} in [{lo:g}, {hi:g}]" for n, lo, hi in self.bounds)
            text += ("; " if text else "") + f"bounded {inside}"
        return text

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame,
        *,
        source: str,
        model: str,
        unit: str,
        alpha: float = 0.05,
        fixed: tuple[tuple[str, float], ...] = (),
        bounds: tuple[tuple[str, float, float], ...] = (),
        meta: Mapping[str, Sequence[object]] | None = None,
        notes: tuple[str, ...] = (),
    ) -> BatchFitResult:
        """The result of :func:`~cxcr4lab.fit.batch.fit_table`'s frame (NaN becomes None);
        ``meta`` maps metadata column names to one value per curve (in the frame's order)."""
        numbers: tuple[str, ...] = ("bottom", "top", "hill", "ic50", "ic50_lower", "ic50_upper")
        numbers += ("log10_ic50", "log10_ic50_se", "rss")
        columns = {name: table[name].tolist() for name in table.columns}
        base = {"curve_id", "model", "converged", "n", "flags", *numbers}
        extra = [c for c in table.columns if c not in base and c not in (meta or {})]
        meta_columns = list(meta or {})
        rows = tuple(
            CurveRow(
                curve_id=str(columns["curve_id"][i]),
                model=str(columns["model"][i]),
                converged=bool(columns["converged"][i]),
                n=int(columns["n"][i]),
                flags=str(columns["flags"][i]),
                **{name: _number(columns[name][i]) for name in numbers},
                extra=tuple((c, _number(columns[c][i])) for c in extra),
                meta=tuple((c, str((meta or {})[c][i])) for c in meta_columns),
            )
            for i in range(len(table))
        )
        return cls(source, model, unit, rows, alpha, fixed, bounds, notes)

    def table(self) -> pd.DataFrame:
        """One row per curve: the metadata carried from the input, then the columns of
        ``fit_table`` and the inference columns, each unit in its column's name
        (``ic50_nM``, ``log10_ic50_M``, ``ed90_nM``; with a unit per curve the
        concentrations are in each curve's own unit, named in ``conc_unit``); missing values
        NaN."""
        import pandas as pd

        names = [f.name for f in fields(CurveRow) if f.name not in ("extra", "meta")]
        frame = pd.DataFrame([[getattr(r, n) for n in names] for r in self.rows], columns=names)
        numbers = [n for n in names if n not in ("curve_id", "model", "converged", "n", "flags")]
        frame = frame.astype(dict.fromkeys(numbers, "float64"))
        if self.rows and self.rows[0].extra:
            extra = pd.DataFrame(
                [[v for _, v in r.extra] for r in self.rows],
                columns=[c for c, _ in self.rows[0].extra],
                dtype="float64",
            )
            frame = pd.concat([frame.drop(columns=["flags"]), extra, frame[["flags"]]], axis=1)
        if self.rows and self.rows[0].meta:
            meta = pd.DataFrame(
                [[v for _, v in r.meta] for r in self.rows],
                columns=[c for c, _ in self.rows[0].meta],
            )
            frame = pd.concat([frame[["curve_id"]], meta, frame.drop(columns=["curve_id"])], axis=1)
        return frame.rename(columns=self._unit_names([str(c) for c in frame.columns]))

    def _unit_names(self, columns: Sequence[str]) -> dict[str, str]:
        """Column renames that put the unit in the name."""
        per_curve = self.unit == "per curve"
        conc = "" if per_curve else "_" + _slug(self.unit)
        out = {}
        for c in columns:
            stem = c.removesuffix("_lower").removesuffix("_upper")
            if c.startswith("log10_") and not c.endswith("_se"):
                out[c] = f"{c}_M"
            elif (
                stem == "ic50" or stem == "ec50" or (stem.startswith("ed") and stem[2:3].isdigit())
            ):
                out[c] = f"{c}{conc}"
        return out

    def summary(self) -> pd.DataFrame:
        """The table, as the API and the report list it."""
        return self.table()

    def potencies(self, source: str = "") -> list[Any]:
        """None: the curves of a batch are not named compounds of the cross-assay summary."""
        return []
