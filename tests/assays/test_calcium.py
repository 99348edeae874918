"""Calcium flux: kinetic export + layout -> F0, peak dF/F0, AUC -> IC50 and Kb with CIs.

Truth of the bundled examples (scripts/simulate_calcium.py): CXCL12 EC50 3 nM, Hill 1.5, added
at 60 ng/mL = 7.534 nM; Kb balixafortide 0.8 nM, plerixafor 30 nM; by Leff-Dougall (checked
against the Gaddum identity in tests/receptor/test_theory.py) IC50 = 2.293 Kb.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.assays.plate_sim import expected_ic50

from cxcr4lab.assays.calcium import CalciumResult, CalciumSettings, analyse, well_kinetics
from cxcr4lab.assays.inhibition import PlateSettings
from cxcr4lab.assays.kinetic import read_kinetic, read_kinetic_bytes
from cxcr4lab.assays.layout import read_layout
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, Example, example_inputs, input_blobs, run_kind

FOLDER = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "calcium"
A_NM = 60.0 / 7963.5 * 1e3
KB_NM = {"balixafortide": 0.8, "plerixafor": 30.0}
SETTINGS = CalciumSettings(PlateSettings(agonist_molar=A_NM * 1e-9), injection_s=20.0)
FACTOR = 1.5


def assert_json_round_trip(result: CalciumResult) -> None:
    again = CalciumResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert again == result
    assert again.summary().equals(result.summary())


@pytest.mark.parametrize("readout", ["peak", "auc"])
@pytest.mark.parametrize("example", KINDS["calcium"].examples, ids=lambda e: e.files["kinetic"])
def test_bundled_examples_recover_the_simulation_truth(example: Example, readout: str) -> None:
    files = example_inputs(example)
    options = {"agonist_conc": f"{A_NM} nM", "injection": "20", "readout": readout}
    result = run_kind("calcium", files, options).result
    assert [b.role for b in input_blobs(KINDS["calcium"], files)] == ["kinetic", "layout"]
    assert result.analysis.qc.passed, result.analysis.qc.reasons
    assert len(result.times_s) == 121 and len(result.kinetics) == 96
    for compound, kb in KB_NM.items():
        c = result.curve(compound)
        ic50 = expected_ic50(kb, A_NM, 3.0, 1.5) * 1e-9
        assert ic50 == pytest.approx(2.293 * kb * 1e-9, rel=1e-3)
        for value, lo, hi, truth in (
            (c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, ic50),
            (c.kb_molar, c.kb_lower_molar, c.kb_upper_molar, kb * 1e-9),
        ):
            assert value is not None and lo is not None and hi is not None
            assert truth / FACTOR < value < truth * FACTOR
            assert lo / FACTOR <= truth <= hi * FACTOR, (compound, lo, hi, truth)
        assert not c.flags
    agonist = result.analysis.agonist
    assert agonist is not None
    assert agonist.ec50_molar == pytest.approx(3e-9, rel=0.3)
    assert result.curve("balixafortide").ic50_molar < 10e-9  # published bound
    # traces: one group per compound and concentration, plus the controls
    roles = {g.role for g in result.traces}
    assert roles == {"max", "buffer", "sample", "agonist"}
    assert sum(g.n_wells for g in result.traces) == 96
    assert_json_round_trip(result)


def test_well_kinetics_by_hand() -> None:
    times = np.arange(0.0, 10.0, 1.0)
    trace = np.array([100, 102, 98, 100, 300, 250, 200, 150, 100, 100], dtype=float)
    data = read_kinetic_bytes(
        (
            "Time (s),A1\n" + "\n".join(f"{t:g},{v:g}" for t, v in zip(times, trace, strict=True))
        ).encode(),
        "k.csv",
    )
    settings = CalciumSettings(PlateSettings(), injection_s=4.0)
    k, dff = well_kinetics(times, trace, settings, well="A1", data=data)
    assert k.f0 == 100.0  # mean of 100, 102, 98, 100
    assert k.peak_dff0 == 2.0 and k.time_to_peak_s == 0.0
    # trapezoid over t = 4..9 of 2, 1.5, 1, 0.5, 0, 0
    assert k.auc_dff0_s == pytest.approx((2 + 1.5) / 2 + (1.5 + 1) / 2 + (1 + 0.5) / 2 + 0.25)
    windowed = CalciumSettings(PlateSettings(), injection_s=4.0, window_s=2.0)
    assert well_kinetics(times, trace, windowed, well="A1", data=data)[0].auc_dff0_s == 3.0
    np.testing.assert_allclose(dff, trace / 100 - 1)


def test_the_three_kinetic_shapes_read_the_same() -> None:
    wide = read_kinetic(FOLDER / "flipr_run1.csv")
    rows = ["well,time (ms),rfu"]
    for j, w in enumerate(wide.wells):
        rows += [f"{w},{t * 1000:g},{wide.values[i, j]:g}" for i, t in enumerate(wide.times_s)]
    long = read_kinetic_bytes(("\n".join(rows) + "\n").encode(), "long.csv")
    by_well = ["Well," + ",".join(f"{t:g}" for t in wide.times_s)]
    by_well += [
        f"{w}," + ",".join(f"{v:g}" for v in wide.values[:, j]) for j, w in enumerate(wide.wells)
    ]
    transposed = read_kinetic_bytes(("\n".join(by_well) + "\n").encode(), "wt.csv")
    for other in (long, transposed):
        assert other.wells == wide.wells
        np.testing.assert_allclose(other.times_s, wide.times_s)
        np.testing.assert_allclose(other.values, wide.values)
    assert wide.format.wells == 96


# --- bad inputs ----------------------------------------------------------------------------------


def test_uneven_time_points_between_wells() -> None:
    text = "well,time,rfu\n" + "".join(f"A1,{t},{100 + t}\n" for t in range(6))
    text += "".join(f"A2,{t + (0.5 if t == 3 else 0)},{100 + t}\n" for t in range(6))
    with pytest.raises(InputError) as err:
        read_kinetic_bytes(text.encode(), "uneven.csv")
    message = str(err.value)
    assert "uneven.csv" in message and "well A2" in message and "uneven time points" in message
    assert "row 11" in message  # the line of A2's fourth reading


def test_a_well_with_fewer_readings() -> None:
    text = "well,time,rfu\n" + "".join(f"A1,{t},{100 + t}\n" for t in range(6))
    text += "".join(f"B1,{t},{100 + t}\n" for t in range(5))
    with pytest.raises(InputError, match=r"well B1.*5 readings"):
        read_kinetic_bytes(text.encode(), "short.csv")


def test_ragged_time_by_well_file() -> None:
    text = "Time (s),A1,A2\n0,10,11\n1,10,11\n2,10\n3,10,11\n"
    with pytest.raises(InputError) as err:
        read_kinetic_bytes(text.encode(), "ragged.csv")
    assert "ragged.csv" in str(err.value) and "row 4" in str(err.value)
    assert "well A2" in str(err.value) and "ragged" in str(err.value)


def test_time_going_backwards() -> None:
    text = "Time (s),A1\n0,10\n1,10\n1,10\n3,10\n"
    with pytest.raises(InputError, match=r"row 4.*does not increase"):
        read_kinetic_bytes(text.encode(), "t.csv")


def test_not_a_kinetic_file() -> None:
    with pytest.raises(InputError, match="no kinetic table"):
        read_kinetic_bytes(b"a,b\n1,2\n", "x.csv")


def _write(tmp_path: Path, data_text: str) -> Path:
    path = tmp_path / "k.csv"
    path.write_text(data_text, encoding="utf-8")
    return path


def _flipr_with(tmp_path: Path, well: str, value: str, time_index: int = 40) -> Path:
    lines = (FOLDER / "flipr_run1.csv").read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Time (s)"))
    col = lines[header].split(",").index(well)
    cells = lines[header + 1 + time_index].split(",")
    cells[col] = value
    lines[header + 1 + time_index] = ",".join(cells)
    return _write(tmp_path, "\n".join(lines) + "\n")


def test_negative_fluorescence(tmp_path: Path) -> None:
    path = _flipr_with(tmp_path, "C5", "-3")
    with pytest.raises(InputError) as err:
        analyse(read_kinetic(path), read_layout(FOLDER / "layout96.toml"), SETTINGS)
    assert "well C5" in str(err.value) and "40 s" in str(err.value) and "k.csv" in str(err.value)


def test_saturated_fluorescence(tmp_path: Path) -> None:
    path = _flipr_with(tmp_path, "D7", "65535")
    with pytest.raises(InputError) as err:
        analyse(read_kinetic(path), read_layout(FOLDER / "layout96.toml"), SETTINGS)
    assert "well D7" in str(err.value) and "saturated" in str(err.value)


def test_baseline_too_short() -> None:
    settings = CalciumSettings(SETTINGS.plate, injection_s=0.5)
    with pytest.raises(InputError, match="injection_s"):
        analyse(
            read_kinetic(FOLDER / "flipr_run1.csv"), read_layout(FOLDER / "layout96.toml"), settings
        )


def test_missing_buffer_controls(tmp_path: Path) -> None:
    text = (FOLDER / "layout96.toml").read_text(encoding="utf-8").replace('"buffer"', '"empty"')
    (tmp_path / "l.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        analyse(read_kinetic(FOLDER / "flipr_run1.csv"), read_layout(tmp_path / "l.toml"), SETTINGS)
    assert "l.toml" in str(err.value) and "buffer" in str(err.value)


def test_layout_for_another_plate_size(tmp_path: Path) -> None:
    text = "Time (s),A1,P24\n0,10,10\n1,10,10\n2,10,10\n"
    with pytest.raises(InputError) as err:
        analyse(
            read_kinetic(_write(tmp_path, text)), read_layout(FOLDER / "layout96.toml"), SETTINGS
        )
    assert "384-well" in str(err.value) and "k.csv" in str(err.value)


def test_a_used_well_missing_from_the_export(tmp_path: Path) -> None:
    data = read_kinetic(FOLDER / "flipr_run1.csv")
    lines = (FOLDER / "flipr_run1.csv").read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Time (s)"))
    col = lines[header].split(",").index("B4")
    cut = [
        ",".join(c for j, c in enumerate(line.split(",")) if j != col) for line in lines[header:]
    ]
    path = _write(tmp_path, "\n".join(cut) + "\n")
    assert len(read_kinetic(path).wells) == len(data.wells) - 1
    with pytest.raises(InputError, match="well B4"):
        analyse(read_kinetic(path), read_layout(FOLDER / "layout96.toml"), SETTINGS)


@pytest.mark.parametrize(
    ("field", "kwargs"), [("injection_s", {"injection_s": -1.0}), ("readout", {"readout": "max"})]
)
def test_settings_refuse_bad_values(field: str, kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"plate": PlateSettings(), "injection_s": 20.0, **kwargs}
    with pytest.raises(InputError, match=field):
        CalciumSettings(**args)  # type: ignore[arg-type]
