"""The mechanistic CXCL12/CXCR4 model: its pieces against receptor theory computed independently.

References: Gaddum occupancy and the operational model (cxcr4lab.receptor.operational, tested
against root searches in test_operational.py); a cascade of hyperbolic stages is checked by
composing the stages numerically; the Ca2+ transient by its qualitative physiology (rest,
transient rise and fall, graded with agonist, blocked by antagonist).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.mechanistic import (
    CellLine,
    Cxcr4Model,
    cascade_tau,
    functional_ec,
    functional_ic50,
    stage,
)
from cxcr4lab.receptor.operational import (
    gaddum_occupancy,
    operational_ec50,
    operational_effect,
    operational_ic50,
)

CELL = CellLine("test", expression=1.5)


def test_occupancy_is_gaddum() -> None:
    m = Cxcr4Model(ka=3e-9, kb=2e-10)
    for a, b in ((1e-9, 0.0), (1e-8, 1e-9), (3e-9, 3e-8)):
        assert m.occupancy(agonist=a, antagonist=b) == pytest.approx(
            gaddum_occupancy(agonist=a, antagonist=b, ka=3e-9, kb=2e-10), rel=1e-14
        )


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.1, 50.0), min_size=1, max_size=5), st.floats(-3, 3))
def test_cascade_is_one_operational_hyperbola(gains: list[float], log_a: float) -> None:
    """Stages composed one after another equal the operational model with tau_eff and the
    cascade's maximum (its value at full occupancy)."""
    ka = 1e-8
    a = ka * 10.0**log_a
    x = a / (a + ka)
    top = 1.0
    for g in gains:
        x, top = stage(g, x), stage(g, top)
    tau = cascade_tau(tuple(gains))
    emax = top * (1 + tau) / tau  # operational_max(tau) * emax = top
    assert x == pytest.approx(float(operational_effect(a, ka=ka, tau=tau, emax=emax)), rel=1e-9)


def test_readout_ec50_and_ic50_match_the_operational_model() -> None:
    m = Cxcr4Model()
    tau = cascade_tau(m.gains("perk", CELL))

    def curve(a: float) -> float:
        return m.response("perk", agonist=a, antagonist=0.0, cell=CELL)

    assert functional_ec(0.5, curve, top=1e-3) == pytest.approx(
        operational_ec50(ka=m.ka, tau=tau), rel=1e-5
    )
    a = 12.56e-9
    ic50 = functional_ic50(lambda b: m.response("perk", agonist=a, antagonist=b, cell=CELL))
    assert ic50 == pytest.approx(operational_ic50(kb=m.kb, agonist=a, ka=m.ka, tau=tau), rel=1e-7)


def test_inverse_agonism_lowers_constitutive_activity() -> None:
    inverse = Cxcr4Model(constitutive=0.05, inverse_efficacy=1.0)
    neutral = Cxcr4Model(constitutive=0.05, inverse_efficacy=0.0)
    for readout in ("g_protein", "perk", "pakt"):
        basal = inverse.response(readout, agonist=0.0, antagonist=0.0, cell=CELL)
        assert basal > 0.0
        blocked = inverse.response(readout, agonist=0.0, antagonist=1e-6, cell=CELL)
        assert blocked < 0.05 * basal
        same = neutral.response(readout, agonist=0.0, antagonist=1e-6, cell=CELL)
        assert same == pytest.approx(basal, rel=1e-12)
    plain = Cxcr4Model()
    assert plain.response("perk", agonist=0.0, antagonist=0.0, cell=CELL) == 0.0


def test_calcium_transient() -> None:
    m = Cxcr4Model()
    t = np.linspace(0.0, 120.0, 241)
    rest = m.calcium_trace(agonist=0.0, antagonist=0.0, cell=CELL, times_s=t)
    assert np.allclose(rest, m.calcium.ca_rest, rtol=1e-6)
    ca = m.calcium_trace(agonist=10e-9, antagonist=0.0, cell=CELL, times_s=t)
    peak = int(np.argmax(ca))
    assert 0.3 < ca[peak] < 2.0  # µmol/L, the range of agonist-evoked Ca2+ peaks
    assert 1.0 < t[peak] < 30.0  # rises within seconds
    assert ca[-1] < 0.8 * ca[peak]  # and falls (IP3R inactivation, GRK desensitisation)
    peaks = [m.calcium_peak(agonist=a, antagonist=0.0, cell=CELL) for a in (1e-11, 1e-10, 1e-9)]
    assert peaks[0] < peaks[1] < peaks[2]
    blocked = m.calcium_peak(agonist=1e-9, antagonist=1e-6, cell=CELL)
    assert blocked < 0.05 * peaks[2]


def test_internalisation_follows_arrestin() -> None:
    m = Cxcr4Model()
    free = m.surface_fraction(agonist=0.0, antagonist=0.0, cell=CELL)
    stimulated = m.surface_fraction(agonist=1e-7, antagonist=0.0, cell=CELL)
    rescued = m.surface_fraction(agonist=1e-7, antagonist=1e-6, cell=CELL)
    assert free == 1.0
    assert stimulated < 0.5
    assert stimulated < rescued <= 1.0


def test_arrestin_has_no_g_protein_amplification() -> None:
    m = Cxcr4Model(tau_g=1000.0)
    before = Cxcr4Model().response("arrestin", agonist=1e-9, antagonist=0.0, cell=CELL)
    assert m.response("arrestin", agonist=1e-9, antagonist=0.0, cell=CELL) == before


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: Cxcr4Model(kb=0.0), "kb"),
        (lambda: Cxcr4Model(constitutive=1.5), "constitutive"),
        (lambda: Cxcr4Model(inverse_efficacy=-0.1), "inverse_efficacy"),
        (lambda: CellLine("x", expression=0.0), "expression"),
        (lambda: Cxcr4Model().occupancy(agonist=-1e-9, antagonist=0.0), "agonist"),
        (lambda: Cxcr4Model().occupancy(agonist=1e-9, antagonist=float("nan")), "antagonist"),
        (lambda: cascade_tau(()), "gains"),
        (lambda: functional_ec(1.2, lambda a: a, top=1.0), "fraction"),
    ],
)
def test_bad_input_names_the_field(call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=field):
        call()
