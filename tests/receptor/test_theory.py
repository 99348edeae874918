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


# --- Leff & Dougall (1993): Kb from a functional inhibition curve ------------------------------
# No published worked example with numbers was found (searched: Leff & Dougall 1993 TiPS 14:110,
# Lazareno & Birdsall 1993 TiPS 14:237); the relation is checked against its defining identity
# instead. A competitive antagonist of known Kb shifts the agonist's logistic curve by the Gaddum
# factor 1 + [B]/Kb; the inhibition curve at a fixed [A] is computed from that model and its IC50
# found by root search, independently of the formula under test.


def _gaddum_response(agonist: float, antagonist: float, *, ec50: float, hill: float, kb: float):
    shifted = ec50 * (1.0 + antagonist / kb)
    return agonist**hill / (agonist**hill + shifted**hill)


def _inhibition_ic50(*, agonist: float, ec50: float, hill: float, kb: float) -> float:
    from scipy.optimize import brentq

    uninhibited = _gaddum_response(agonist, 0.0, ec50=ec50, hill=hill, kb=kb)

    def half(log_b: float) -> float:
        b = 10.0**log_b
        return _gaddum_response(agonist, b, ec50=ec50, hill=hill, kb=kb) - uninhibited / 2

    return float(10.0 ** brentq(half, -15.0, 0.0, xtol=1e-14))


@pytest.mark.parametrize("hill", [0.6, 1.0, 1.4, 2.5])
@pytest.mark.parametrize("ratio", [0.25, 1.0, 4.0, 20.0])  # [A]/EC50; 4 is the EC80 when n = 1
def test_leff_dougall_recovers_gaddum_kb(hill: float, ratio: float) -> None:
    from cxcr4lab.receptor.theory import leff_dougall_ic50, leff_dougall_kb

    kb, ec50 = 1.3e-9, 5e-9
    ic50 = _inhibition_ic50(agonist=ratio * ec50, ec50=ec50, hill=hill, kb=kb)
    assert leff_dougall_kb(ic50=ic50, agonist=ratio * ec50, ec50=ec50, hill=hill) == pytest.approx(
        kb, rel=1e-9
    )
    assert leff_dougall_ic50(kb=kb, agonist=ratio * ec50, ec50=ec50, hill=hill) == pytest.approx(
        ic50, rel=1e-9
    )


def test_leff_dougall_is_cheng_prusoff_when_the_slope_is_one() -> None:
    from cxcr4lab.receptor.theory import leff_dougall_kb

    # n = 1: Kb = IC50 / (1 + [A]/EC50); at the EC80 ([A] = 4 EC50) the IC50 is 5 Kb.
    assert leff_dougall_kb(ic50=5e-9, agonist=20e-9, ec50=5e-9) == pytest.approx(1e-9, rel=1e-14)
    assert leff_dougall_kb(ic50=7e-9, agonist=3e-9, ec50=2e-9, hill=1.0) == pytest.approx(
        cheng_prusoff_ki(ic50=7e-9, ligand=3e-9, kd=2e-9), rel=1e-14
    )


def test_leff_dougall_with_receptor_reserve() -> None:
    """Operational model (Black & Leff 1983) with slope 1 and tau = 10: the agonist curve is a
    logistic with EC50 = KA / (1 + tau) and slope 1, and the antagonist shifts KA by 1 + [B]/Kb,
    so Leff-Dougall with the *observed* EC50 (not KA) gives Kb back."""
    from scipy.optimize import brentq

    from cxcr4lab.receptor.theory import leff_dougall_kb

    ka, tau, kb = 50e-9, 10.0, 2e-9
    agonist = 20e-9

    def effect(b: float) -> float:
        k = ka * (1 + b / kb)
        return tau * agonist / (agonist + k + tau * agonist)

    ic50 = 10.0 ** brentq(lambda lb: effect(10.0**lb) - effect(0.0) / 2, -15.0, 0.0, xtol=1e-14)
    assert leff_dougall_kb(ic50=ic50, agonist=agonist, ec50=ka / (1 + tau)) == pytest.approx(
        kb, rel=1e-9
    )


@pytest.mark.parametrize(("field", "kwargs"), [("hill", {"hill": 0.0}), ("ec50", {"ec50": -1.0})])
def test_leff_dougall_refuses_bad_values(field: str, kwargs: dict[str, float]) -> None:
    from cxcr4lab.receptor.theory import leff_dougall_kb

    args = {"ic50": 1e-9, "agonist": 1e-9, "ec50": 1e-9, "hill": 1.0, **kwargs}
    with pytest.raises(InputError, match=field):
        leff_dougall_kb(**args)
