"""Cheng-Prusoff against a published worked example.

University of Nebraska Medical Center, Receptor Binding Tutorial, "Competition: Analysis of Data:
Sample Experiment: Ki Determination" (www.unmc.edu/Pharmacology/receptortutorial): prazosin
competing with [3H]RX821002 at the alpha-2B adrenergic receptor. Radioligand Kd = 890 pM;
"Total Added" counts 36317, 36365 and 33589 cpm, counting efficiency 0.36, specific activity
59 Ci/mmol, 2.2e12 dpm/Ci, per mL of assay; IC50 of prazosin 10 nM; answer: Ki = 5.4 nM.
"""

from __future__ import annotations

import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.theory import cheng_prusoff_ic50, cheng_prusoff_ki


def _radioligand_molar() -> float:
    cpm = (36317 + 36365 + 33589) / 3
    curies = cpm / 0.36 / 2.2e12
    mol = curies / 59 * 1e-3  # Ci -> mmol -> mol
    return mol / 1e-3  # per mL of assay -> mol/L


def test_unmc_worked_example() -> None:
    ligand = _radioligand_molar()
    assert ligand == pytest.approx(758e-12, rel=1e-3)  # the tutorial's ~758 pM
    ki = cheng_prusoff_ki(ic50=10e-9, ligand=ligand, kd=890e-12)
    assert ki == pytest.approx(5.4e-9, abs=0.05e-9)  # stated to 2 significant digits


def test_inverse() -> None:
    assert cheng_prusoff_ic50(
        ki=cheng_prusoff_ki(ic50=7e-9, ligand=1e-10, kd=5e-10), ligand=1e-10, kd=5e-10
    ) == (pytest.approx(7e-9, rel=1e-14))


@pytest.mark.parametrize("bad", [0.0, -1e-9, float("nan"), float("inf")])
def test_bad_concentrations(bad: float) -> None:
    with pytest.raises(InputError, match="kd"):
        cheng_prusoff_ki(ic50=1e-9, ligand=1e-10, kd=bad)
