"""Receptor occupancy: the seed's formula, recovery of the simulated truth, FCS route, bad input.

%RO = (1 - MFI_post / MFI_pre) x 100 (seeds: "Protocol for CXCR4 Receptor Occupancy Assay by
Flow Cytometry"; seed_facts [assay.receptor_occupancy]), each MFI minus its isotype control.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from tests.assays.flowdata import fcs_bytes

from cxcr4lab.assays.flow import read_fcs_bytes, read_gates_bytes
from cxcr4lab.assays.occupancy import (
    OccupancyResult,
    OccupancySettings,
    analyse,
    mfi_from_events,
    receptor_occupancy,
    records_from_table,
)
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs._fcs import fcs_files, find_member

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "occupancy"
SETTINGS = OccupancySettings()


def from_text(text: str, settings: OccupancySettings = SETTINGS) -> OccupancyResult:
    table = read_table_bytes(text.encode(), "mfi.csv")
    return analyse(records_from_table(table), settings, source="mfi.csv", input_format="table")


def test_formula_worked_examples() -> None:
    # Hand arithmetic: specific MFI 1000 before; 200 left -> 80%; 1000 left -> 0%; 0 left -> 100%.
    assert receptor_occupancy(300, 1100, 100, 100) == pytest.approx(80.0)
    assert receptor_occupancy(1100, 1100, 100, 100) == pytest.approx(0.0)
    assert receptor_occupancy(100, 1100, 100, 100) == pytest.approx(100.0)
    # Without isotype subtraction the same tubes would read 72.7%: the background matters.
    assert receptor_occupancy(300, 1100) == pytest.approx(72.727, abs=1e-3)


def test_isotype_is_subtracted_per_time_point() -> None:
    text = (
        "subject,time_h,stain,mfi\nA,0,cxcr4,1100\nA,0,isotype,100\n"
        "A,4,cxcr4,450\nA,4,isotype,150\nA,24,cxcr4,1250\nA,24,isotype,100\n"
    )
    result = from_text(text)
    ro = {p.time_h: p.ro_pct for p in result.points}
    assert ro[0] is None and ro[4] == pytest.approx(70.0) and ro[24] == pytest.approx(-15.0)
    assert "negative_ro" in result.points[-1].flags  # kept and flagged, never clipped


def truth() -> dict[tuple[str, float], float]:
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    times = [float(t) for t in re.findall(r"%RO at ([\d.]+) h", text)]
    out = {}
    for line in re.findall(r"^\| (S\d+) \| [\d.]+ \| (.*) \|$", text, re.M):
        subject, values = line
        for t, v in zip(times, values.split(" | "), strict=True):
            out[(subject, t)] = float(v)
    return out


def test_mfi_table_example_recovers_the_truth() -> None:
    """3% MFI noise: %RO within 3 points of the truth at >= 80% occupancy (little specific
    signal left), within 6 points elsewhere."""
    result = from_text((EXAMPLES / "mfi_table.csv").read_text(encoding="utf-8"))
    true = truth()
    assert len(result.subjects()) == 4
    for p in result.points:
        t = true[(p.subject, p.time_h)]
        if p.ro_pct is None:
            assert t == 0
        else:
            assert abs(p.ro_pct - t) < (3 if t >= 80 else 6), (p.subject, p.time_h)
    by_time = result.by_time()
    assert list(by_time["n"]) == [4] * 5


def _member(files: list[tuple[str, bytes]], wanted: str) -> bytes:
    found = find_member(files, wanted)
    assert found is not None, wanted
    return found[1]


def test_fcs_example_through_flowkit() -> None:
    gates = read_gates_bytes((EXAMPLES / "gates.toml").read_bytes(), "gates.toml")
    table = read_table_bytes((EXAMPLES / "manifest.csv").read_bytes(), "manifest.csv")
    fcs = fcs_files(("fcs.zip", (EXAMPLES / "fcs.zip").read_bytes()))
    records = [
        mfi_from_events(
            read_fcs_bytes(_member(fcs, r["file"]), r["file"]),
            gates,
            "lymphocytes",
            "CXCR4-PE",
            subject=r["subject"],
            time_h=float(r["time_h"]),
            stain=r["stain"],
        )
        for r in table.frame.to_dict("records")
    ]
    result = analyse(records, SETTINGS, source="manifest.csv", input_format="fcs")
    true = truth()
    for p in result.points:
        if p.ro_pct is not None:
            assert abs(p.ro_pct - true[("S01", p.time_h)]) < 5


def test_mfi_in_a_gate_is_the_gated_median() -> None:
    rng = np.random.default_rng(2)
    inside = np.column_stack([rng.uniform(400, 600, 500), rng.normal(1000, 50, 500)])
    outside = np.column_stack([rng.uniform(50, 100, 300), rng.normal(9000, 50, 300)])
    events = read_fcs_bytes(
        fcs_bytes(np.vstack([inside, outside]), ["FSC-A", "FL2-A"], ["", "CXCR4-PE"]), "t.fcs"
    )
    gates = read_gates_bytes(
        b'[[gate]]\nname = "lymphocytes"\n[gate.range]\n"FSC-A" = { min = 300 }\n', "g.toml"
    )
    rec = mfi_from_events(
        events, gates, "lymphocytes", "CXCR4-PE", subject="A", time_h=0, stain="cxcr4"
    )
    assert rec.n_events == 500
    assert rec.mfi == pytest.approx(float(np.median(inside[:, 1].astype(np.float32))), rel=1e-6)
    mean = mfi_from_events(
        events, gates, "lymphocytes", "FL2-A", subject="A", time_h=0, stain="iso", statistic="mean"
    )
    assert (
        mean.mfi == pytest.approx(float(np.mean(inside[:, 1])), rel=1e-5)
        and mean.stain == "isotype"
    )


def test_json_round_trip() -> None:
    result = from_text((EXAMPLES / "mfi_table.csv").read_text(encoding="utf-8"))
    again = OccupancyResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert again == result and again.summary().equals(result.summary())


# --- bad inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("subject,time_h,mfi\nA,0,1\n", "missing column(s) stain"),
        (
            "subject,time_h,stain,mfi\nA,0,cxcr4,-5\nA,0,isotype,1\n",
            "row 2, column 'mfi': MFI -5 is negative",
        ),
        ("subject,time_h,stain,mfi\nA,0,cd4,5\n", "row 2, column 'stain': unknown stain"),
        ("subject,time_h,stain,mfi\nA,0,cxcr4,5\nA,0,cxcr4,6\n", "row 3: duplicate subject=A"),
        ("subject,time_h,stain,mfi\nA,4,cxcr4,500\nA,4,isotype,100\n", "subject A has no pre-dose"),
        (
            "subject,time_h,stain,mfi\nA,0,cxcr4,500\nA,4,cxcr4,200\nA,4,isotype,100\n",
            "no isotype control for subject A at 0 h",
        ),
        (
            "subject,time_h,stain,mfi\nA,0,cxcr4,90\nA,0,isotype,100\nA,2,cxcr4,90\nA,2,isotype,100\n",
            "not above the isotype",
        ),
    ],
)
def test_bad_input_names_the_place(text: str, needle: str) -> None:
    with pytest.raises(InputError) as info:
        from_text(text)
    assert "mfi.csv" in str(info.value) and needle in str(info.value)


def test_isotype_can_be_optional() -> None:
    text = "subject,time_h,stain,mfi\nA,0,cxcr4,1000\nA,4,cxcr4,250\n"
    result = from_text(text, OccupancySettings(require_isotype=False))
    assert result.points[1].ro_pct == pytest.approx(75.0) and "no_isotype" in result.points[1].flags


def test_too_few_events_in_the_gate() -> None:
    events = read_fcs_bytes(fcs_bytes(np.full((50, 2), 10.0), ["FSC-A", "FL2-A"]), "few.fcs")
    gates = read_gates_bytes(
        b'[[gate]]\nname = "g"\n[gate.range]\n"FSC-A" = { min = 1 }\n', "g.toml"
    )
    with pytest.raises(InputError, match=r"few\.fcs: only 50 events in gate 'g'"):
        mfi_from_events(events, gates, "g", "FL2-A", subject="A", time_h=0, stain="cxcr4")
