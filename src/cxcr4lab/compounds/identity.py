"""Identity checks: does a compound's SMILES reproduce its stated formula, MW and InChIKey?

RDKit computes the molecular formula (Hill order), the average molecular weight (g/mol, IUPAC
standard atomic weights) and the standard InChIKey from the SMILES; each disagreement with the
registry entry is listed as a problem. Without a SMILES only the formula is checked against the
molecular weight, and the check is not ``ok`` (the structure was not confirmed).

>>> from cxcr4lab.compounds.registry import load_registry
>>> check_identity(load_registry().get("plerixafor")).ok
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem import rdMolDescriptors

from cxcr4lab.compounds.registry import Compound

__all__ = ["DEFAULT_MW_TOLERANCE_G_PER_MOL", "IdentityCheck", "check_identity", "formula_weight"]

DEFAULT_MW_TOLERANCE_G_PER_MOL = 0.1
"""Registry molecular weights are given to 0.1 g/mol, so agreement within 0.1 g/mol is asked."""

_ELEMENT = re.compile(r"([A-Z][a-z]?)(\d*)")


@dataclass(frozen=True)
class IdentityCheck:
    """The result of :func:`check_identity`; computed values are ``None`` without a SMILES."""

    compound: str
    structure_checked: bool
    formula: str | None
    molecular_weight_g_per_mol: float | None
    inchikey: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the structure was checked and nothing disagreed."""
        return self.structure_checked and not self.problems

    def summary(self) -> pd.DataFrame:
        """Computed values and problems: columns ``field``, ``value``, ``unit``."""
        rows: list[tuple[str, object, str]] = [
            ("compound", self.compound, ""),
            ("structure_checked", self.structure_checked, ""),
            ("formula", self.formula or "", ""),
            (
                "molecular_weight",
                float("nan")
                if self.molecular_weight_g_per_mol is None
                else self.molecular_weight_g_per_mol,
                "g/mol",
            ),
            ("inchikey", self.inchikey or "", ""),
            ("ok", self.ok, ""),
        ]
        rows += [("problem", p, "") for p in self.problems]
        return pd.DataFrame(rows, columns=["field", "value", "unit"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "compound": self.compound,
            "structure_checked": self.structure_checked,
            "formula": self.formula,
            "molecular_weight_g_per_mol": self.molecular_weight_g_per_mol,
            "inchikey": self.inchikey,
            "problems": list(self.problems),
            "ok": self.ok,
        }


def _element_counts(formula: str) -> dict[str, int] | None:
    """Element counts of a neutral Hill formula such as ``'C28H54N8'``; None if unreadable."""
    text = formula.replace(" ", "")
    if not text or _ELEMENT.sub("", text):
        return None
    counts: dict[str, int] = {}
    for symbol, number in _ELEMENT.findall(text):
        counts[symbol] = counts.get(symbol, 0) + (int(number) if number else 1)
    return counts


def formula_weight(formula: str) -> float:
    """Average molecular weight (g/mol) of a neutral formula, from RDKit's atomic weights.

    >>> round(formula_weight("C28H54N8"), 2)
    502.8
    """
    counts = _element_counts(formula)
    if counts is None:
        raise ValueError(f"cannot read formula {formula!r}")
    table = Chem.GetPeriodicTable()
    try:
        return sum(table.GetAtomicWeight(symbol) * n for symbol, n in counts.items())
    except RuntimeError:  # RDKit raises on an unknown element symbol
        raise ValueError(f"unknown element in formula {formula!r}") from None


def _average_weight(mol: Chem.Mol) -> float:
    """Average molecular weight (g/mol), hydrogens included (as RDKit's Descriptors.MolWt)."""
    h = Chem.GetPeriodicTable().GetAtomicWeight("H")
    return sum(a.GetMass() + a.GetTotalNumHs() * h for a in mol.GetAtoms())


def check_identity(
    compound: Compound, *, mw_tolerance_g_per_mol: float = DEFAULT_MW_TOLERANCE_G_PER_MOL
) -> IdentityCheck:
    """Compare the compound's SMILES with its formula, average MW (g/mol) and InChIKey."""
    problems: list[str] = []
    stated = compound.formula
    if stated is not None and _element_counts(stated) is None:
        problems.append(f"stated formula {stated!r} cannot be read")
        stated = None

    if compound.smiles is None:
        if stated is not None and compound.molecular_weight_g_per_mol is not None:
            mw = formula_weight(stated)
            if abs(mw - compound.molecular_weight_g_per_mol) > mw_tolerance_g_per_mol:
                problems.append(
                    f"stated MW {compound.molecular_weight_g_per_mol:g} g/mol does not match "
                    f"the stated formula {stated} ({mw:.2f} g/mol)"
                )
        return IdentityCheck(compound.name, False, None, None, None, tuple(problems))

    block = rdBase.BlockLogs()  # RDKit reports parse errors on stderr; we report them here
    try:
        mol = Chem.MolFromSmiles(compound.smiles)
    finally:
        del block
    if mol is None:
        problems.append("SMILES cannot be parsed by RDKit")
        return IdentityCheck(compound.name, True, None, None, None, tuple(problems))

    formula = rdMolDescriptors.CalcMolFormula(mol)
    weight = _average_weight(mol)
    inchikey = Chem.MolToInchiKey(mol) or None  # type: ignore[no-untyped-call]
    if stated is not None and _element_counts(formula) != _element_counts(stated):
        problems.append(f"formula from SMILES is {formula}, registry says {stated}")
    stated_mw = compound.molecular_weight_g_per_mol
    if stated_mw is not None and abs(weight - stated_mw) > mw_tolerance_g_per_mol:
        problems.append(
            f"average MW from SMILES is {weight:.2f} g/mol, registry says {stated_mw:g} g/mol "
            f"(tolerance {mw_tolerance_g_per_mol:g})"
        )
    if compound.inchikey is not None and inchikey != compound.inchikey:
        same_skeleton = inchikey is not None and inchikey[:14] == compound.inchikey[:14]
        why = " (same connectivity: stereo or protonation differs)" if same_skeleton else ""
        problems.append(
            f"InChIKey from SMILES is {inchikey}, registry says {compound.inchikey}{why}"
        )
    return IdentityCheck(compound.name, True, formula, weight, inchikey, tuple(problems))
