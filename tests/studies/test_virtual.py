"""Virtual experiments: the assay analyses recover the model's Kb; a Schild study its pKb.

The plates are analysed by cxcr4lab.assays (binding: Cheng-Prusoff Ki; arrestin and calcium:
Leff-Dougall Kb from the plate's own CXCL12 curve), code written independently of the model.
"""

from __future__ import annotations

import pytest

from cxcr4lab.assays import arrestin, binding, calcium, chemotaxis
from cxcr4lab.assays.kinetic import read_kinetic_bytes
from cxcr4lab.assays.layout import read_layout_bytes
from cxcr4lab.assays.readers import read_plates_bytes
from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.mechanistic import Cxcr4Model
from cxcr4lab.studies.virtual import (
    schild_experiment,
    virtual_arrestin_plate,
    virtual_binding_plate,
    virtual_calcium_plate,
    virtual_chemotaxis_plate,
)

MODEL = Cxcr4Model()


def _inside(value: float | None, lo: float | None, hi: float | None, truth: float) -> None:
    assert value is not None and lo is not None and hi is not None
    assert lo <= truth <= hi, (lo, value, hi, truth)


def test_binding_plate_recovers_kb() -> None:
    vp = virtual_binding_plate(MODEL, seed=11)
    assert b"SIMULATED" in vp.plate and b"SIMULATED" in vp.layout
    plate = read_plates_bytes(vp.plate, vp.plate_name)[0]
    result = binding.analyse(plate, read_layout_bytes(vp.layout, "layout.toml"), vp.settings)  # type: ignore[arg-type]
    c = result.curve("balixafortide")
    _inside(c.ki_molar, c.ki_lower_molar, c.ki_upper_molar, MODEL.kb)
    assert not c.flags


def test_arrestin_plate_recovers_kb() -> None:
    vp = virtual_arrestin_plate(MODEL, seed=12)
    plate = read_plates_bytes(vp.plate, vp.plate_name)[0]
    result = arrestin.analyse(plate, read_layout_bytes(vp.layout, "layout.toml"), vp.settings)  # type: ignore[arg-type]
    c = result.curve("balixafortide")
    _inside(c.kb_molar, c.kb_lower_molar, c.kb_upper_molar, MODEL.kb)
    agonist = result.analysis.agonist
    assert agonist is not None and agonist.effect_at_agonist_pct == pytest.approx(80, abs=8)


def test_calcium_plate_recovers_kb() -> None:
    vp = virtual_calcium_plate(MODEL, seed=13)
    data = read_kinetic_bytes(vp.plate, vp.plate_name)
    result = calcium.analyse(data, read_layout_bytes(vp.layout, "layout.toml"), vp.settings)  # type: ignore[arg-type]
    c = result.curve("balixafortide")
    _inside(c.kb_molar, c.kb_lower_molar, c.kb_upper_molar, MODEL.kb)
    assert result.analysis.qc.passed


@pytest.mark.parametrize("cell", ["Jurkat", "MDA-MB-231"])
def test_chemotaxis_plate_recovers_kb(cell: str) -> None:
    vp = virtual_chemotaxis_plate(MODEL, seed=15, cell=cell)
    plate = read_plates_bytes(vp.plate, vp.plate_name)[0]
    layout = read_layout_bytes(vp.layout, "layout.toml")
    result = chemotaxis.analyse_plate(plate, layout, vp.settings)  # type: ignore[arg-type]
    c = result.curve("balixafortide")
    _inside(c.kb_molar, c.kb_lower_molar, c.kb_upper_molar, MODEL.kb)
    bound = {"Jurkat": 10e-9, "MDA-MB-231": 20e-9}[cell]  # seed_facts.toml [[potency]]
    assert c.ic50_molar < bound


def test_a_different_kb_is_recovered_too() -> None:
    model = MODEL.with_kb(2e-9)
    vp = virtual_arrestin_plate(model, seed=14)
    plate = read_plates_bytes(vp.plate, vp.plate_name)[0]
    c = arrestin.analyse(plate, read_layout_bytes(vp.layout, "l.toml"), vp.settings).curve(  # type: ignore[arg-type]
        "balixafortide"
    )
    _inside(c.kb_molar, c.kb_lower_molar, c.kb_upper_molar, 2e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_schild_experiment_returns_pkb(seed: int) -> None:
    e = schild_experiment(MODEL, seed=seed, noise_pct=0.5)
    assert e.fit.pa2 == pytest.approx(e.pkb, abs=0.1)
    assert e.fit.schild_slope == pytest.approx(1.0, abs=0.1)
    assert e.fit.regression_pa2 is not None
    assert e.fit.regression_pa2 == pytest.approx(e.pkb, abs=0.15)
    assert set(e.data.columns) == {"log10 CXCL12 (M)", "balixafortide (M)", "response (%)"}


def test_schild_on_the_amplified_perk_readout() -> None:
    """Receptor reserve does not bias pA2: the Gaddum shift is parallel at any tau."""
    e = schild_experiment(
        MODEL,
        seed=3,
        readout="perk",
        cell="Namalwa",
        noise_pct=0.5,
        antagonist_molar=(0.0, 3e-9, 30e-9, 300e-9),
    )
    assert e.fit.pa2 == pytest.approx(e.pkb, abs=0.1)


def test_schild_refuses_negative_noise() -> None:
    with pytest.raises(InputError, match="noise_pct"):
        schild_experiment(MODEL, seed=1, noise_pct=-1.0)
