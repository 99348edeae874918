"""CD34+ enumeration (ISHAGE single platform): formula, recovery, FlowKit gating, bad inputs.

Formula (Keeney et al. 1998, Cytometry 34:61; the BD/ISHAGE single-platform method):
CD34+/µL = (CD34+ events / bead events) x (beads per tube / blood volume µL). Minimum events
(ISHAGE, Sutherland et al. 1996): 75,000 CD45+ events; 100 CD34+ events for a 10% CV.
The worked numbers below are hand arithmetic on that formula.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from tests.assays.flowdata import fcs_bytes

from cxcr4lab.assays.cd34 import (
    Cd34Counts,
    Cd34Result,
    Cd34Settings,
    GateNames,
    absolute_count,
    analyse,
    counts_from_events,
    counts_from_table,
)
from cxcr4lab.assays.flow import read_fcs_bytes, read_gates_bytes
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "cd34"
HEADER = "sample,cd45_events,cd34_events,bead_events,beads_per_tube,volume_ul"


def from_text(text: str) -> Cd34Result:
    table = read_table_bytes(text.encode(), "counts.csv")
    return analyse(counts_from_table(table), Cd34Settings(), source="counts.csv", input_format="t")


@pytest.mark.parametrize(
    ("cd34", "beads", "per_tube", "volume", "expected"),
    [
        (200, 5_000, 50_000, 100, 20.0),  # 200/5000 x 50000/100
        (100, 10_000, 50_000, 100, 5.0),
        (382, 4_000, 52_000, 100, 49.66),  # 0.0955 x 520
    ],
)
def test_ishage_formula_worked_examples(
    cd34: int, beads: int, per_tube: float, volume: float, expected: float
) -> None:
    assert absolute_count(cd34, beads, per_tube, volume) == pytest.approx(expected, rel=1e-4)
    row = f"{HEADER}\nX,80000,{cd34},{beads},{per_tube},{volume}\n"
    assert from_text(row).samples[0].cd34_per_ul == pytest.approx(expected, rel=1e-4)


def test_viable_events_are_counted_and_viability_reported() -> None:
    text = (
        "sample,cd45_events,viable_cd45_events,cd34_events,viable_cd34_events,bead_events,"
        "beads_per_tube,volume_ul\nX,80000,60000,200,150,5000,50000,100\n"
    )
    s = from_text(text).samples[0]
    assert s.cd34_per_ul == pytest.approx(15.0)  # 150 viable of 200
    assert s.viability_cd45_pct == pytest.approx(75.0) and s.viability_cd34_pct == pytest.approx(75)
    assert "low_viability" in s.flags


@pytest.mark.parametrize(
    ("cd45", "cd34", "passed", "flag"),
    [
        (80_000, 150, True, None),
        (80_000, 40, True, "low_cd34_events"),  # enough CD45+: passes, imprecise count flagged
        (30_000, 120, True, None),  # enough CD34+
        (30_000, 40, False, None),  # neither minimum
    ],
)
def test_minimum_event_qc(cd45: int, cd34: int, passed: bool, flag: str | None) -> None:
    s = from_text(f"{HEADER}\nX,{cd45},{cd34},5000,50000,100\n").samples[0]
    assert s.passed is passed
    if flag:
        assert flag in s.flags and s.cv_pct == pytest.approx(100 / np.sqrt(cd34))
    if not passed:
        assert "ISHAGE needs >= 75,000 CD45+ or >= 100 CD34+ events" in s.reasons[0]


def test_poisson_ci_covers_the_estimate() -> None:
    s = from_text(f"{HEADER}\nX,80000,100,5000,50000,100\n").samples[0]
    # Exact Poisson 95% CI for 100 events: 81.37-121.63 (Garwood), times 50000/100/5000 = 0.1.
    assert (s.lower_per_ul, s.upper_per_ul) == pytest.approx((8.137, 12.163), abs=2e-3)


def truth() -> dict[str, float]:
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    out = {}
    for donor, base, peak in re.findall(r"^\| (HV\d+) \| ([\d.]+) \| ([\d.]+) \|$", text, re.M):
        out[f"{donor}-0h"], out[f"{donor}-4h"] = float(base), float(peak)
    return out


def test_counts_example_recovers_the_truth() -> None:
    """Each tube's true value inside its 95% CI widened by the bead-count error (~1.7%); the
    peak mean near the cohort's 38.2 CD34+/µL."""
    table = read_table_bytes((EXAMPLES / "counts.csv").read_bytes(), "counts.csv")
    result = analyse(
        counts_from_table(table), Cd34Settings(), source="counts.csv", input_format="t"
    )
    true = truth()
    for s in result.samples:
        t = true[s.counts.sample]
        assert s.lower_per_ul * 0.95 <= t <= s.upper_per_ul * 1.05, s.counts.sample
        assert s.passed
    peaks = [s.cd34_per_ul for s in result.samples if s.counts.time_h == 4]
    assert np.mean(peaks) == pytest.approx(38.2, rel=0.1)
    assert all("low_cd34_events" in s.flags for s in result.samples if s.counts.time_h == 0)


GATES = b"""
[[gate]]
name = "beads"
[gate.range]
"CD45" = { min = 50000 }
[[gate]]
name = "cd45"
[gate.range]
"CD45" = { min = 200, max = 30000 }
[[gate]]
name = "viable_cd45"
parent = "cd45"
[gate.range]
"7-AAD" = { max = 500 }
[[gate]]
name = "cd34"
parent = "cd45"
[gate.range]
"CD34" = { min = 1000 }
[[gate]]
name = "viable_cd34"
parent = "cd34"
[gate.range]
"7-AAD" = { max = 500 }
"""


def tube(n_leuko: int, n_cd34: int, n_beads: int, n_dead: int = 0) -> bytes:
    """Well-separated populations, so every gate's count is known exactly."""
    rng = np.random.default_rng(5)

    def block(n: int, cd45: float, cd34: float, aad: float) -> np.ndarray:
        return np.column_stack(
            [
                rng.uniform(0.9, 1.1, n) * cd45,
                rng.uniform(0.9, 1.1, n) * cd34,
                rng.uniform(0.9, 1.1, n) * aad,
            ]
        )

    events = np.vstack(
        [
            block(n_leuko - n_dead, 3000, 100, 50),
            block(n_dead, 3000, 100, 3000),
            block(n_cd34, 1000, 5000, 50),
            block(n_beads, 100000, 100000, 100000),
            block(300, 20, 20, 20),  # debris
        ]
    )
    return fcs_bytes(events, ["FL1-A", "FL2-A", "FL3-A"], ["CD45", "CD34", "7-AAD"])


def test_fcs_counts_through_flowkit_gates() -> None:
    events = read_fcs_bytes(tube(76_000, 250, 4_000, n_dead=1_000), "tube.fcs")
    gates = read_gates_bytes(GATES, "gates.toml")
    c = counts_from_events(
        events, gates, GateNames(), sample="t", beads_per_tube=50_000, volume_ul=100
    )
    assert (c.cd45_events, c.cd34_events, c.bead_events) == (76_250, 250, 4_000)
    assert (c.viable_cd45_events, c.viable_cd34_events) == (75_250, 250)
    s = analyse([c], Cd34Settings(), source="tube.fcs", input_format="fcs").samples[0]
    assert s.cd34_per_ul == pytest.approx(250 / 4000 * 500) and s.passed


def test_fcs_demo_tube_fails_qc_as_documented() -> None:
    events = read_fcs_bytes((EXAMPLES / "demo_tube.fcs").read_bytes(), "demo_tube.fcs")
    gates = read_gates_bytes((EXAMPLES / "gates.toml").read_bytes(), "gates.toml")
    c = counts_from_events(
        events, gates, GateNames(), sample="demo", beads_per_tube=50_000, volume_ul=100
    )
    s = analyse([c], Cd34Settings(), source="demo", input_format="fcs").samples[0]
    assert not s.passed and "bead events" in s.reasons[0]
    # True value in the (10x enriched) tube: 382/µL; the CI widened by the bead error (9%).
    assert s.lower_per_ul * 0.8 <= 382 <= s.upper_per_ul * 1.2


def test_json_round_trip() -> None:
    result = from_text(f"{HEADER}\nA,80000,40,5000,50000,100\nB,30000,40,5000,50000,100\n")
    again = Cd34Result.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert again == result and again.summary().equals(result.summary())


# --- bad inputs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("sample,cd45_events\nX,1\n", "missing column(s) cd34_events"),
        (
            f"{HEADER}\nX,80000,-5,5000,50000,100\n",
            "row 2, column 'cd34_events': value must be >= 0",
        ),
        (f"{HEADER}\nX,80000,5.5,5000,50000,100\n", "row 2, column 'cd34_events'"),
        (f"{HEADER}\nX,80000,5,5000,50000,100\nX,1,1,1,1,1\n", "row 3: duplicate sample=X"),
        (f"{HEADER}\nX,80000,5,0,50000,100\n", "no bead events"),
        (f"{HEADER}\nX,80,500,5000,50000,100\n", "exceed the 80 CD45+ events"),
    ],
)
def test_bad_count_tables(text: str, needle: str) -> None:
    with pytest.raises(InputError) as info:
        from_text(text)
    assert "counts.csv" in str(info.value) and needle in str(info.value)


def test_unreadable_fcs_file() -> None:
    with pytest.raises(InputError, match=r"broken\.fcs: not an FCS file"):
        read_fcs_bytes(b"this is not flow data", "broken.fcs")
    truncated = tube(100, 10, 10)[:200]
    with pytest.raises(InputError, match=r"cut\.fcs: FlowKit cannot read this FCS file"):
        read_fcs_bytes(truncated, "cut.fcs")


def test_gate_naming_a_missing_channel_or_gate() -> None:
    events = read_fcs_bytes(tube(100, 10, 10), "tube.fcs")
    bad = read_gates_bytes(
        GATES.replace(b'"CD45" = { min = 200', b'"CD99" = { min = 200'), "g.toml"
    )
    with pytest.raises(InputError, match=r"tube\.fcs, gate 'cd45': no channel 'CD99'"):
        counts_from_events(events, bad, GateNames(), sample="t", beads_per_tube=1, volume_ul=1)
    few = read_gates_bytes(GATES.split(b'[[gate]]\nname = "viable_cd34"')[0], "g.toml")
    with pytest.raises(InputError, match="no gate 'viable_cd34' for viable_cd34"):
        counts_from_events(events, few, GateNames(), sample="t", beads_per_tube=1, volume_ul=1)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (b"not = [toml", "not a valid TOML"),
        (b"x = 1", "no [[gate]]"),
        (b'[[gate]]\nname = "a"\nparent = "b"\n[gate.range]\nX = { min = 1 }', "parent 'b'"),
        (b'[[gate]]\nname = "a"\n[gate.range]\nX = { min = 5, max = 1 }', "min 5 is not below"),
        (b'[[gate]]\nname = "a"\n[gate.range]\nX = { low = 5 }', "give { min"),
    ],
)
def test_bad_gate_files(text: bytes, needle: str) -> None:
    with pytest.raises(InputError) as info:
        read_gates_bytes(text, "gates.toml")
    assert "gates.toml" in str(info.value) and needle in str(info.value)


def test_counts_type_is_frozen() -> None:
    c = Cd34Counts("x", 1, 1, 1, 1.0, 1.0)
    with pytest.raises(AttributeError):
        c.sample = "y"  # type: ignore[misc]
