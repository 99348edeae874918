"""pERK/pAKT western densitometry: band table -> ratios -> IC50 per blot and combined.

Expected values come from the simulation truth (scripts/simulate_western.py for the bundled
example, and the blots simulated below), never from the code under test. No published worked
example of western densitometry with its band volumes was found.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.assays.western import (
    WesternResult,
    WesternSettings,
    analyse,
    phospho_base,
)
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, input_blobs, run_kind

EXAMPLE_IC50_NM = {"pERK": 80.0, "pAKT": 150.0}  # scripts/simulate_western.py
PUBLISHED_NAMALWA_BELOW_NM = 200.0  # seed_facts.toml [[potency]] pERK / pAKT, Namalwa
CONCS = [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0]


def blots_csv(
    rng: np.random.Generator,
    *,
    ic50: dict[str, float | None],
    n_blots: int = 3,
    noise: float = 0.06,
    exposures: tuple[float, ...] = (1.0, 0.5, 2.0, 1.3),
    basal: float = 0.25,
    compound: str = "cmpd",
) -> str:
    """Band table: per blot an unstimulated lane, a vehicle lane and CONCS; pX = X * exposure *
    (basal + f), f = 1 / (1 + C/IC50) (None: no effect); GAPDH beside."""
    out = io.StringIO()
    out.write("blot,lane,target,intensity,compound,concentration\n")
    for b in range(n_blots):
        lanes = [("unstimulated", None), ("vehicle", None)] + [(compound, c) for c in CONCS]
        for k, (name, conc) in enumerate(lanes, start=1):
            load = 1 + 0.1 * rng.standard_normal()
            text = "0" if conc is None else f"{conc} nM"
            for p, value in ic50.items():
                total = 30000 * load * (1 + 0.03 * rng.standard_normal())
                f = 1.0 if conc is None or value is None else 1 / (1 + conc / value)
                level = basal if name == "unstimulated" else basal + f
                band = 30000 * load * exposures[b] * level * (1 + noise * rng.standard_normal())
                out.write(f"B{b + 1},{k},{p},{band:.2f},{name},{text}\n")
                out.write(f"B{b + 1},{k},{p[1:]},{total:.2f},{name},{text}\n")
            out.write(f"B{b + 1},{k},GAPDH,{50000 * load:.2f},{name},{text}\n")
    return out.getvalue()


def run(text: str, settings: WesternSettings | None = None) -> WesternResult:
    return analyse(read_table_bytes(text.encode(), "bands.csv"), settings or WesternSettings())


def assert_json_round_trip(result: WesternResult) -> None:
    again = WesternResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert again == result
    assert again.summary().equals(result.summary())


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("pERK", "ERK"),
        ("p-AKT", "AKT"),
        ("phospho-ERK1/2", "ERK1/2"),
        ("Phospho AKT", "AKT"),
        ("ERK", None),
        ("PTEN", None),
        ("GAPDH", None),
    ],
)
def test_phospho_names(name: str, base: str | None) -> None:
    assert phospho_base(name) == base


# --- the bundled example ----------------------------------------------------------------------


def test_bundled_example_recovers_the_simulation_truth() -> None:
    (example,) = KINDS["western"].examples
    files = example_inputs(example)
    result = run_kind("western", files, dict(example.options)).result  # CXCL12 100 ng/mL
    assert result.settings.agonist_molar == pytest.approx(100 / 7963.5 * 1e-6)
    assert result.settings.cell_line == "Namalwa"
    assert [b.role for b in input_blobs(KINDS["western"], files)] == ["bands"]
    assert result.blots == ("1", "2", "3")
    for target, truth in EXAMPLE_IC50_NM.items():
        c = result.combined_curve(target, "balixafortide")
        assert c.ic50_lower_molar is not None and c.ic50_upper_molar is not None
        # the truth inside the combined 95% CI (not widened)
        assert c.ic50_lower_molar < truth * 1e-9 < c.ic50_upper_molar, target
        assert c.ic50_molar < PUBLISHED_NAMALWA_BELOW_NM * 1e-9
        assert not {"no_effect", "outside_range", "not_converged"} & set(c.flags)
        assert len(c.offsets) == 3 and c.hill == pytest.approx(1.0, abs=0.3)
        # the shared curve's CI is narrower than the typical (median) single blot's
        width = math.log10(c.ic50_upper_molar / c.ic50_lower_molar)
        widths = []
        for blot in result.blots:
            b = result.blot_curve(target, "balixafortide", blot)
            assert b.ic50_lower_molar is not None and b.ic50_upper_molar is not None
            widths.append(math.log10(b.ic50_upper_molar / b.ic50_lower_molar))
        assert width < float(np.median(widths))
    pots = result.potencies("#5")
    assert {p.system.split(",")[0] for p in pots} == {"pERK", "pAKT"}
    assert all(p.assay == "pERK / pAKT inhibition (western blot)" for p in pots)
    assert_json_round_trip(result)


# --- blots simulated here ---------------------------------------------------------------------


@pytest.mark.parametrize("normalise_to", ["total", "loading"])
def test_simulated_blots_recover_ic50(normalise_to: str) -> None:
    text = blots_csv(np.random.default_rng(1), ic50={"pERK": 30.0, "pAKT": 300.0})
    result = run(text, WesternSettings(normalise_to=normalise_to))  # type: ignore[arg-type]
    for target, truth in (("pERK", 30.0), ("pAKT", 300.0)):
        c = result.combined_curve(target, "cmpd")
        assert c.ic50_lower_molar is not None and c.ic50_upper_molar is not None
        assert truth / 1.5 <= c.ic50_molar * 1e9 <= truth * 1.5
        assert c.ic50_lower_molar / 1.5 <= truth * 1e-9 <= c.ic50_upper_molar * 1.5
        for o in c.offsets:  # floor-normalised: plateaus near 0 and 100 on every blot
            assert o.bottom == pytest.approx(0, abs=12) and o.top == pytest.approx(100, abs=12)
    norm = {lane.normaliser for lane in result.lanes}
    assert norm == ({"ERK", "AKT"} if normalise_to == "total" else {"GAPDH"})


def test_response_is_normalised_by_hand() -> None:
    text = blots_csv(np.random.default_rng(2), ic50={"pERK": 30.0}, n_blots=1)
    rows = [line.split(",") for line in text.splitlines()[1:]]
    band = {(r[1], r[2]): float(r[3]) for r in rows}
    ratio = {lane: band[(lane, "pERK")] / band[(lane, "ERK")] for lane in ("1", "2", "5")}
    result = run(text)
    lane5 = next(x for x in result.lanes if x.lane == "5" and x.target == "pERK")
    assert lane5.ratio == pytest.approx(ratio["5"], rel=1e-12)
    expected = 100 * (ratio["5"] - ratio["1"]) / (ratio["2"] - ratio["1"])
    assert lane5.response_pct == pytest.approx(expected, rel=1e-12)
    no_floor = run(text, WesternSettings(floor=False))
    lane5 = next(x for x in no_floor.lanes if x.lane == "5" and x.target == "pERK")
    assert lane5.response_pct == pytest.approx(100 * ratio["5"] / ratio["2"], rel=1e-12)


def test_combined_fit_of_identical_blots_equals_the_single_blot_fit() -> None:
    """Consistency of the shared-curve fit: three copies of one blot, at different exposures
    (which the floor normalisation removes), give that blot's IC50 and slope exactly."""
    one = blots_csv(np.random.default_rng(3), ic50={"pERK": 50.0}, n_blots=1)
    lines = one.splitlines()
    copies = [lines[0]] + [
        line.replace("B1,", f"B{k},", 1).replace(
            f",{line.split(',')[3]},", f",{float(line.split(',')[3]) * scale:.6f},"
        )
        for k, scale in ((1, 1.0), (2, 0.5), (3, 2.0))
        for line in lines[1:]
    ]
    result = run("\n".join(copies) + "\n")
    single = result.blot_curve("pERK", "cmpd", "B1")
    combined = result.combined_curve("pERK", "cmpd")
    assert combined.ic50_molar == pytest.approx(single.ic50_molar, rel=1e-5)
    assert combined.hill == pytest.approx(single.fit.params["hill"], rel=1e-5)


def test_a_compound_without_effect_is_flagged() -> None:
    result = run(blots_csv(np.random.default_rng(4), ic50={"pERK": None}))
    c = result.combined_curve("pERK", "cmpd")
    assert "no_effect" in c.flags
    assert result.potencies() == []


def test_too_few_concentrations_on_a_blot_is_a_note() -> None:
    text = blots_csv(np.random.default_rng(5), ic50={"pERK": 30.0})
    kept = [
        line
        for line in text.splitlines()
        if not (line.startswith("B3,") and line.split(",")[1] in {"5", "6", "7", "8", "9", "10"})
    ]
    result = run("\n".join(kept) + "\n")
    assert any("blot B3" in n and "too few" in n for n in result.notes)
    assert result.combined_curve("pERK", "cmpd").blots == ("B1", "B2", "B3")
    with pytest.raises(KeyError):
        result.blot_curve("pERK", "cmpd", "B3")


# --- bad inputs ---------------------------------------------------------------------------------


def _text() -> list[str]:
    return blots_csv(np.random.default_rng(6), ic50={"pERK": 30.0}).splitlines()


def test_negative_intensity() -> None:
    lines = _text()
    cells = lines[7].split(",")
    cells[3] = "-12"
    lines[7] = ",".join(cells)
    with pytest.raises(InputError) as err:
        run("\n".join(lines))
    assert "bands.csv, row 8, column 'intensity'" in str(err.value)


def test_missing_vehicle_lane() -> None:
    lines = [line for line in _text() if not (line.startswith("B2,2,"))]
    with pytest.raises(InputError) as err:
        run("\n".join(lines))
    assert "blot B2" in str(err.value) and "vehicle" in str(err.value)


def test_duplicate_lane_and_target() -> None:
    lines = _text()
    lines.append(lines[4].replace(lines[4].split(",")[3], "123"))
    with pytest.raises(InputError) as err:
        run("\n".join(lines))
    assert "duplicate blot=B1, lane=2, target=perk" in str(err.value)
    assert f"row {len(lines)}" in str(err.value) and "first seen at row 5" in str(err.value)


def test_phospho_band_without_its_total() -> None:
    lines = [line for line in _text() if not line.startswith("B1,4,ERK,")]
    with pytest.raises(InputError) as err:
        run("\n".join(lines))
    assert "blot B1, lane 4" in str(err.value) and "ERK" in str(err.value)


def test_saturated_band() -> None:
    lines = _text()
    lines[0] += ",saturated"
    lines[1:] = [line + "," for line in lines[1:]]
    lines[9] += "yes"
    with pytest.raises(InputError) as err:
        run("\n".join(lines))
    assert "row 10" in str(err.value) and "saturated" in str(err.value)


def test_concentration_without_unit() -> None:
    lines = [line.replace(",3.0 nM", ",3") for line in _text()]
    with pytest.raises(InputError) as err:
        run("\n".join(lines))
    assert "concentration" in str(err.value) and "unit" in str(err.value)


def test_missing_column() -> None:
    lines = [",".join(line.split(",")[:4]) for line in _text()]
    with pytest.raises(InputError) as err:
        run("\n".join(lines))
    assert "compound" in str(err.value) and "bands.csv" in str(err.value)


def test_settings_refuse_bad_normaliser() -> None:
    with pytest.raises(InputError, match="normalise_to"):
        WesternSettings(normalise_to="gapdh")  # type: ignore[arg-type]
