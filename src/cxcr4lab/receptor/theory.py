"""Receptor theory: converting a competitor's IC50 into its equilibrium constant.

Cheng & Prusoff (1973), Biochem Pharmacol 22:3099-3108, for a competitive inhibitor of the
binding of a ligand at concentration [L] with equilibrium dissociation constant Kd:

    Ki = IC50 / (1 + [L] / Kd)

Concentrations are mol/L floats (any consistent unit works: the ratio [L]/Kd is unitless).

>>> cheng_prusoff_ki(ic50=10e-9, ligand=0.1e-9, kd=0.1e-9)
5e-09
"""

from __future__ import annotations

import math

from cxcr4lab.core.errors import InputError

__all__ = ["cheng_prusoff_ic50", "cheng_prusoff_ki"]


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
