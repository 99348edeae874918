"""Reading combination blocks: SynergyFinder's long table, replicates, the wide matrix, units and
every bad input of issue 14, each named; random tables raise nothing but InputError."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcr4lab.combination.blocks import (
    Block,
    BlockSet,
    make_block,
    read_blocks,
    read_matrix,
)
from cxcr4lab.core.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"
HEADER = "block_id,drug_row,drug_col,conc_r,conc_c,response,conc_r_unit,conc_c_unit"


def _table(rows: list[tuple[object, ...]], header: str = HEADER) -> bytes:
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _grid(
    block: str = "1",
    *,
    unit: str = "nM",
    skip: tuple[float, float] | None = None,
    response: float | None = None,
) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for r in (0, 10, 20):
        for c in (0, 5, 50):
            if skip == (r, c):
                continue
            value = response if response is not None and (r, c) == (20, 50) else r + c / 2
            rows.append((block, "docetaxel", "balixafortide", r, c, value, unit, unit))
    return rows


def test_reads_the_reference_blocks() -> None:
    blocks = read_blocks((DATA / "blocks.csv").read_bytes())
    assert blocks.block_ids == ("1", "2", "3")
    b = blocks.block("1")
    assert b.shape == (10, 10)
    assert b.drug_row == "Pyronaridine Tetraphosphate" and b.unit_r == "uM"
    assert b.conc_r[0] == 0 and b.conc_r_shown[1] == pytest.approx(0.000293)
    assert b.conc_r[1] == pytest.approx(0.000293e-6, rel=1e-15)
    assert not b.has_replicates


def test_units_are_stored_in_mol_per_litre_with_the_display_unit() -> None:
    b = read_blocks(_table(_grid(unit="nM"))).blocks[0]
    assert b.conc_r == pytest.approx((0.0, 1e-8, 2e-8), rel=1e-15)
    assert b.conc_c == pytest.approx((0.0, 5e-9, 5e-8), rel=1e-15)
    assert b.conc_r_shown == (0.0, 10.0, 20.0) and b.unit_r == "nM"
    mass = _grid(unit="ng/mL")
    b = read_blocks(
        _table(mass), molecular_weights={"docetaxel": 807.9, "balixafortide": 1803.1}
    ).blocks[0]
    assert b.conc_r[1] == pytest.approx(10e-6 / 807.9)
    with pytest.raises(InputError, match="molecular weight"):
        read_blocks(_table(mass))


def test_spellings_of_one_unit_are_one_unit() -> None:
    rows = _grid(unit="uM")
    rows[3] = (*rows[3][:6], "µM", "µM")
    assert read_blocks(_table(rows)).blocks[0].unit_r == "uM"


def test_viability_is_converted_to_inhibition() -> None:
    rows = [(*r[:5], 100 - float(r[5]), *r[6:]) for r in _grid()]  # type: ignore[arg-type]
    b = read_blocks(_table(rows), response_kind="viability").blocks[0]
    assert b.response == read_blocks(_table(_grid())).blocks[0].response
    assert b.response_kind == "viability"


def test_replicates_are_kept_and_averaged() -> None:
    blocks = read_blocks((DATA / "oneil_replicates.csv").read_bytes())
    b = blocks.block("3")
    assert b.has_replicates
    assert {len(cell) for row in b.replicates for cell in row} == {4}
    frame = pd.read_csv(DATA / "oneil_replicates.csv")
    cell = frame[(frame.block_id == 3) & (frame.conc_r == 0.0325) & (frame.conc_c == 0.775)]
    i, j = b.conc_r_shown.index(0.0325), b.conc_c_shown.index(0.775)
    assert b.replicates[i][j] == tuple(cell.response)
    assert b.response[i][j] == pytest.approx(cell.response.mean(), rel=1e-15)
    assert len(b.to_frame()) == len(frame[frame.block_id == 3])


def test_synergyfinder_spellings_of_the_columns() -> None:
    frame = pd.read_csv(DATA / "oneil_replicates.csv").rename(
        columns={"drug_row": "drug1", "drug_col": "drug2", "conc_r": "conc1", "conc_c": "conc2"}
    )
    frame = frame.drop(columns=["conc_c_unit"]).rename(columns={"conc_r_unit": "conc_unit"})
    b = read_blocks(frame).block("3")
    assert b.drug_row == "MK-1775" and b.unit_c == "uM"


def test_wide_matrix() -> None:
    text = b"docetaxel \\ balixafortide,0,5,50\n0,0,2.5,25\n10,10,12.5,35\n20,20,22.5,45\n"
    b = read_matrix(text, drug_row="docetaxel", drug_col="balixafortide", unit_r="nM")
    assert b.response == read_blocks(_table(_grid())).blocks[0].response
    frame = pd.DataFrame(
        [[0, 0, 2.5, 25], [10, 10, 12.5, 35], [20, 20, 22.5, 45]], columns=["", "0", "5", "50"]
    )
    assert read_matrix(frame, drug_row="a", drug_col="b", unit_r="nM").response == b.response
    with pytest.raises(InputError, match=r"cell \(conc_r=10 nM, conc_c=5 nM\) is missing"):
        read_matrix(
            b",0,5,50\n0,0,2.5,25\n10,10,,35\n20,20,22.5,45\n",
            drug_row="a",
            drug_col="b",
            unit_r="nM",
            name="plate.csv",
        )


def test_make_block_round_trips_through_json() -> None:
    b = make_block([0, 1, 2], [0, 3, 6], np.arange(9.0).reshape(3, 3), unit_r="uM")
    again = Block.from_dict(b.to_dict())
    assert again == b


# --- bad input, each named -----------------------------------------------------------------------


def _error(content: bytes, **kw: object) -> InputError:
    with pytest.raises(InputError) as info:
        read_blocks(content, name="screen.csv", **kw)  # type: ignore[arg-type]
    return info.value


def test_block_without_single_drug_rows() -> None:
    rows = [r for r in _grid() if r[4] != 0]
    err = _error(_table(rows))
    assert err.place.block == "1" and err.place.file == "screen.csv"
    assert "no single-drug rows of 'docetaxel': no row has conc_c = 0" in err.message


def test_matrix_with_a_missing_cell() -> None:
    err = _error(_table(_grid(skip=(10, 50))))
    assert err.place.block == "1"
    assert "cell (conc_r=10 nM, conc_c=50 nM) is missing" in err.message


def test_response_outside_the_range() -> None:
    err = _error(_table(_grid(response=201.0)))
    assert err.place.block == "1" and err.place.row == 10
    assert "response 201 % inhibition at (conc_r=20 nM, conc_c=50 nM)" in err.message
    err = _error(_table(_grid(response=-160.0)), response_kind="viability")  # 260 % inhibition
    assert "-160 % viability" in err.message
    assert read_blocks(_table(_grid(response=-60.0)), response_kind="viability").blocks


def test_mixed_units_in_one_block() -> None:
    rows = _grid()
    rows[4] = (*rows[4][:6], "uM", "nM")
    err = _error(_table(rows))
    assert err.place.block == "1" and err.place.row == 6
    assert "mixed units in one block: conc_r_unit is 'nM' (row 2) and 'uM' (row 6)" in err.message


def test_one_concentration_per_drug() -> None:
    rows = [r for r in _grid() if r[3] in (0, 10) and r[4] in (0, 5)]
    err = _error(_table(rows))
    assert (
        "'docetaxel' has 1 non-zero concentration(s) (0, 10); at least 2 are needed" in err.message
    )


def test_unreadable_values_are_named() -> None:
    rows = _grid()
    rows[2] = (*rows[2][:3], "ten", *rows[2][4:])
    assert "conc_r 'ten' is not a number" in _error(_table(rows)).message
    rows = _grid()
    rows[2] = (*rows[2][:5], "", *rows[2][6:])
    err = _error(_table(rows))
    assert err.place.row == 4 and "response is missing" in err.message
    rows = _grid()
    rows[0] = (*rows[0][:6], "furlong", "furlong")
    assert "conc_r_unit" in _error(_table(rows)).message
    rows = _grid()
    rows[1] = (rows[1][0], "paclitaxel", *rows[1][2:])
    assert "mixed drug_row" in _error(_table(rows)).message
    assert (
        "missing column(s) response"
        in _error(b"block_id,drug_row,drug_col,conc_r,conc_c\n1,a,b,0,0\n").message
    )


def test_other_blocks_are_still_scored() -> None:
    rows = _grid("good") + _grid("no-single", skip=(0, 0)) + [r for r in _grid("bad") if r[4] != 0]
    rows += _grid("range", response=250.0)
    result = read_blocks(_table(rows), strict=False)
    assert isinstance(result, BlockSet)
    assert result.block_ids == ("good",)
    problems = {p.block_id: p.message for p in result.problems}
    assert set(problems) == {"no-single", "bad", "range"}
    assert "cell (conc_r=0 nM, conc_c=0 nM) is missing" in problems["no-single"]
    assert "outside -100..200 % inhibition" in problems["range"]
    public = read_blocks((DATA / "public_blocks.csv").read_bytes(), strict=False)
    assert public.block_ids == ("1", "2", "3", "4", "5", "6")
    assert public.problems == ()
    flags = public.block("2").flags
    assert len(flags) == 7  # its row-drug monotherapy falls to -87 %
    assert flags[0] == (
        "row 44: response -53.8751 % inhibition at (conc_r=9.7656 nM, conc_c=0 nM) is outside "
        "-50..150 % inhibition; scored, check the normalisation"
    )
    assert all(not public.block(b).flags for b in ("1", "3", "4", "5", "6"))


# --- random tables -------------------------------------------------------------------------------

_cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0", "1", "-1", "1e-3", "nan", "inf", "1e400", "uM", "nM", "ng/mL", "", " "]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cell, min_size=8, max_size=8), min_size=1, max_size=12))
def test_random_long_tables_raise_only_input_errors(rows: list[list[str]]) -> None:
    content = _table([tuple(r) for r in rows])
    for strict in (True, False):
        try:
            result = read_blocks(content, strict=strict)
        except InputError:
            continue
        for block in result.blocks:
            assert block.shape[0] >= 3 and block.shape[1] >= 3


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_input_errors(content: bytes) -> None:
    for reader in (
        lambda: read_blocks(content),
        lambda: read_matrix(content, drug_row="a", drug_col="b", unit_r="nM"),
    ):
        with contextlib.suppress(InputError):
            reader()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(_cell, min_size=2, max_size=5), min_size=2, max_size=6),
    st.sampled_from(["nM", "uM", "mg/L", "bogus", ""]),
)
def test_random_matrices_raise_only_input_errors(grid: list[list[str]], unit: str) -> None:
    content = ("\n".join(",".join(r) for r in grid) + "\n").encode()
    with contextlib.suppress(InputError):
        read_matrix(content, drug_row="a", drug_col="b", unit_r=unit)
