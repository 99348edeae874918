"""Receptor theory: converting a competitor's IC50 into its equilibrium constant.

Cheng & Prusoff (1973), Biochem Pharmacol 22:3099-3108, for a competitive inhibitor of the
binding of a ligand at concentration [L] with equilibrium dissociation constant Kd:

    Ki = IC50 / (1 + [L] / Kd)

Concentrations are mol/L floats (any consistent unit works: the ratio [L]/Kd is unitless).

>>> cheng_prusoff_ki(ic50=10e-9, ligand=0.1e-9, kd=0.1e-9)
5e-09

For a competitive antagonist inhibiting a functional response to an agonist at concentration
[A], with the agonist's own concentration-response curve a logistic of midpoint EC50 and slope n,
Leff & Dougall (1993), Trends Pharmacol Sci 14:110-112, give the functional analogue:

    Kb = IC50 / ((2 + ([A] / EC50)^n)^(1/n) - 1)

which is Cheng-Prusoff's IC50 / (1 + [A]/EC50) when n = 1. It is exact for a Gaddum-type
competitive antagonist (the agonist curve shifted by the factor 1 + [B]/Kb with unchanged shape
and maximum), whatever the receptor reserve, because it only uses the agonist curve itself.

>>> round(leff_dougall_kb(ic50=5e-9, agonist=20e-9, ec50=5e-9, hill=1.0) * 1e9, 12)
1.0
"""

from __future__ import annotations

import math

from cxcr4lab.core.errors import InputError

__all__ = [
    "cheng_prusoff_ic50",
    "cheng_prusoff_ki",
    "leff_dougall_factor",
    "leff_dougall_ic50",
    "leff_dougall_kb",
]


def _check(**values: float) -> None:
    for name, v in values.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InputError(f"must be a positive finite concentration, got {v!r}", field=name)


def cheng_prusoff_ki(*, ic50: float, ligand: float, kd: float) -> float:
    """Ki (mol/L) from IC50, labelled-ligand concentration and its Kd (all mol/L)."""
    _check(ic50=ic50, ligand=ligand, kd=kd)
    return ic50 / (1.0 + ligand / kd)


def cheng_prusoff_ic50(*, ki: float, ligand: float, kd: float) -> float:
    """The IC50 (mol/L) a competitor of affinity Ki shows at ligand concentration ``ligand``."""
    _check(ki=ki, ligand=ligand, kd=kd)
    return ki * (1.0 + ligand / kd)


def leff_dougall_factor(*, agonist: float, ec50: float, hill: float = 1.0) -> float:
    """IC50 / Kb for a competitive antagonist against agonist ``agonist`` (EC50, slope ``hill``).

    ``(2 + ([A]/EC50)^n)^(1/n) - 1``; 1 + [A]/EC50 when n = 1.
    """
    _check(agonist=agonist, ec50=ec50)
    if not (isinstance(hill, (int, float)) and math.isfinite(hill) and hill > 0):
        raise InputError(f"must be a positive finite Hill slope, got {hill!r}", field="hill")
    ratio = agonist / ec50
    return float((2.0 + ratio**hill) ** (1.0 / hill) - 1.0)


def leff_dougall_kb(*, ic50: float, agonist: float, ec50: float, hill: float = 1.0) -> float:
    """Functional antagonist Kb (mol/L) from an inhibition curve's IC50 against agonist ``agonist``.

    ``ec50`` and ``hill`` describe the agonist's own concentration-response curve (Leff & Dougall
    1993); all concentrations in mol/L.
    """
    _check(ic50=ic50)
    return ic50 / leff_dougall_factor(agonist=agonist, ec50=ec50, hill=hill)


def leff_dougall_ic50(*, kb: float, agonist: float, ec50: float, hill: float = 1.0) -> float:
    """The IC50 (mol/L) a competitive antagonist of constant ``kb`` shows against ``agonist``."""
    _check(kb=kb)
    return kb * leff_dougall_factor(agonist=agonist, ec50=ec50, hill=hill)
