"""Compounds: the registry (identity, solubility, storage), identity checks, stocks and dilutions.

Importing this package imports RDKit (through :mod:`.identity`); the CLI imports it lazily.
"""

from __future__ import annotations

from cxcr4lab.compounds.identity import (
    DEFAULT_MW_TOLERANCE_G_PER_MOL,
    IdentityCheck,
    check_identity,
    formula_weight,
)
from cxcr4lab.compounds.registry import (
    Compound,
    Registry,
    Solubility,
    StorageRule,
    load_registry,
    normalize_name,
)
from cxcr4lab.compounds.stock import (
    HALF_LOG,
    MIN_PIPETTE_L,
    DilutionSeries,
    StockSolution,
    dilution_series,
    parse_factor,
    stock_solution,
)

__all__ = [
    "DEFAULT_MW_TOLERANCE_G_PER_MOL",
    "HALF_LOG",
    "MIN_PIPETTE_L",
    "Compound",
    "DilutionSeries",
    "IdentityCheck",
    "Registry",
    "Solubility",
    "StockSolution",
    "StorageRule",
    "check_identity",
    "dilution_series",
    "formula_weight",
    "load_registry",
    "normalize_name",
    "parse_factor",
    "stock_solution",
]
