"""Potency estimates across assays, in one shape for the cross-assay summary and forest plot.

Every assay result offers ``potencies()``: IC50, Ki, Kb, EC50 or GI50 per compound, in mol/L
with its CI. Published values from the seed documents are loaded the same way; most are upper
bounds ("< 10 nM"), carried as ``bound = "<"`` and never shown as point estimates.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import pandas as pd

from cxcr4lab.core.serial import Serial

__all__ = ["Potency", "potency_table", "published_potencies"]

_NM = 1e-9


@dataclass(frozen=True)
class Potency(Serial):
    """One potency: ``value_molar`` (mol/L) with CI, or a bound when ``bound`` is ``<`` or ``>``."""

    compound: str
    assay: str
    parameter: Literal["IC50", "Ki", "Kb", "EC50", "GI50"]
    value_molar: float | None
    lower_molar: float | None = None
    upper_molar: float | None = None
    bound: Literal["=", "<", ">"] = "="
    system: str = ""
    source: str = ""
    flags: tuple[str, ...] = ()
    published: bool = False


@lru_cache(maxsize=1)
def published_potencies() -> tuple[Potency, ...]:
    """Balixafortide's published in-vitro IC50 bounds (seed documents)."""
    text = resources.files("cxcr4lab.assays").joinpath("data/published.toml").read_text("utf-8")
    rows = tomllib.loads(text)["potency"]
    return tuple(
        Potency(
            compound="balixafortide",
            assay=r["assay"],
            parameter="IC50",
            value_molar=float(r["ic50_nM_below"]) * _NM,
            bound="<",
            system=r["system"],
            source="published (seed technical guides)",
            published=True,
        )
        for r in rows
    )


def potency_table(potencies: Iterable[Potency]) -> pd.DataFrame:
    """One row per potency, concentrations in nM; bounds shown as ``< 10`` in ``shown``."""
    rows = []
    for p in potencies:
        value = None if p.value_molar is None else p.value_molar / _NM
        lower = None if p.lower_molar is None else p.lower_molar / _NM
        upper = None if p.upper_molar is None else p.upper_molar / _NM
        if value is None:
            shown = "not determined"
        elif p.bound != "=":
            shown = f"{p.bound} {value:.3g}"
        else:
            ci = "" if lower is None or upper is None else f" ({lower:.3g}-{upper:.3g})"
            shown = f"{value:.3g}{ci}"
        rows.append(
            {
                "compound": p.compound,
                "assay": p.assay,
                "system": p.system,
                "parameter": p.parameter,
                "value_nM": value,
                "lower_nM": lower,
                "upper_nM": upper,
                "bound": p.bound,
                "shown_nM": shown,
                "source": p.source,
                "published": p.published,
                "flags": ",".join(p.flags),
            }
        )
    return pd.DataFrame(rows)
