"""The ``synergy`` kind from every surface: the three input forms (long table, wide matrix,
checkerboard plate with a layout), ``--out``/``--cells``, bad input naming its place, the API."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from cxcr4lab.runs import KINDS, example_inputs, run_kind
from tests.conftest import EXAMPLES, CliRun
from tests.web.conftest import Lab

SYN = EXAMPLES.parent / "synergy"
LONG = SYN / "docetaxel_balixafortide_pc3.csv"
PLATE = SYN / "checkerboard_pc3_plate.csv"
LAYOUT = SYN / "checkerboard_layout.toml"
FAST = {"method": ["bliss", "hsa"], "iterations": "5"}


def _run(files: dict[str, tuple[str, bytes]], **options: object) -> object:
    return run_kind("synergy", files, {**FAST, **options}).result


def _matrix_text(block: object) -> str:
    rows = ["," + ",".join(f"{c:g}" for c in block.conc_c_shown)]  # type: ignore[attr-defined]
    for cr, values in zip(block.conc_r_shown, block.response, strict=True):  # type: ignore[attr-defined]
        rows.append(f"{cr:g}," + ",".join(f"{v:.6f}" for v in values))
    return "\n".join(rows) + "\n"


def test_the_cli_writes_blocks_and_cells(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    out, cells = tmp_path / "blocks.csv", tmp_path / "cells.csv"
    run = cli(
        "synergy", str(LONG), "--method", "all", "--iterations", "5", "--out", str(out),
        "--cells", str(cells), "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "Block scores" in run.out and "Chou-Talalay" in run.out and "MuSyC" in run.out
    blocks = pd.read_csv(out)
    assert list(blocks.columns[:3]) == ["block_id", "drug_row", "drug_col"]
    assert {"bliss", "hsa", "loewe", "zip"} <= set(blocks.columns)
    assert blocks.loc[0, "bliss"] > 10  # the simulated truth sensitises: synergy
    per_cell = pd.read_csv(cells)
    assert len(per_cell) == 36
    for m in ("bliss", "hsa", "loewe", "zip"):
        assert {f"{m}_ref", f"{m}_synergy"} <= set(per_cell.columns)
        combo = per_cell[(per_cell.conc_r > 0) & (per_cell.conc_c > 0)]
        assert blocks.loc[0, m] == pytest.approx(combo[f"{m}_synergy"].mean(), rel=1e-9)


def test_the_wide_matrix_and_xlsx_give_the_long_tables_scores() -> None:
    long = _run({"data": ("t.csv", LONG.read_bytes())})
    block = long.blocks[0].block  # type: ignore[attr-defined]
    text = _matrix_text(block)
    wide = _run(
        {"data": ("m.csv", text.encode())},
        drug_row="docetaxel",
        drug_col="balixafortide",
        unit="nM",
    )
    frame = pd.read_csv(io.StringIO(text), header=None, dtype=str).fillna("")
    buffer = io.BytesIO()
    frame.to_excel(buffer, header=False, index=False)
    xlsx = _run(
        {"data": ("m.xlsx", buffer.getvalue())},
        drug_row="docetaxel",
        drug_col="balixafortide",
        unit="nM",
    )
    want = long.summary().loc[0, ["bliss", "hsa"]]  # type: ignore[attr-defined]
    for other in (wide, xlsx):
        got = other.summary().loc[0, ["bliss", "hsa"]]  # type: ignore[attr-defined]
        assert list(got) == pytest.approx(list(want), abs=1e-5)
    long_xlsx = io.BytesIO()
    pd.read_csv(LONG).to_excel(long_xlsx, index=False)
    again = _run({"data": ("t.xlsx", long_xlsx.getvalue())})
    assert again.summary().loc[0, "bliss"] == pytest.approx(want["bliss"], abs=1e-9)  # type: ignore[attr-defined]


def test_a_checkerboard_plate_with_its_layout() -> None:
    result = _run(
        {"data": (PLATE.name, PLATE.read_bytes()), "layout": (LAYOUT.name, LAYOUT.read_bytes())}
    )
    (b,) = result.blocks  # type: ignore[attr-defined]
    assert b.block_id == "PC-3 48 h plate"
    assert b.block.shape == (6, 6)
    assert {len(c) for row in b.block.replicates for c in row} == {2}
    assert b.block.replicates[0][0] and b.scores.score("bliss") > 10


def _layout(text: str) -> tuple[str, bytes]:
    return ("layout.toml", text.encode())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace(
                'role = "combination"', 'role = "sample"\ncompound = "x"\nconc = "1 nM"'
            ),
            'role = "combination"',
        ),
        (lambda t: t.replace('conc_r = "0.3 nM"', 'conc_r = "0.3"'), "B1"),
        (lambda t: t.replace('[row.H]\nrole = "blank"', ""), "blank"),
        (lambda t: t.replace('drug_col = "balixafortide"', ""), "drug_col"),
        (lambda t: t.replace('conc_c = "30 nM"', 'conc_c = "30 parsecs"'), "conc_c"),
    ],
    ids=["no-combination-role", "no-unit", "no-blank", "no-drug-name", "bad-unit"],
)
def test_a_bad_layout_names_the_place(edit: Callable[[str], str], message: str) -> None:
    from cxcr4lab.core.errors import InputError

    text = edit(LAYOUT.read_text())
    with pytest.raises(InputError) as err:
        _run({"data": (PLATE.name, PLATE.read_bytes()), "layout": _layout(text)})
    assert message in str(err.value)


def test_bad_blocks_are_refused_by_name_and_the_others_scored(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    good = LONG.read_text().splitlines()
    bad = [line.replace("PC-3 48 h", "flat") for line in good[1:] if ",0,30," not in line]
    one_conc = [
        line.replace("PC-3 48 h", "one-dose")
        for line in good[1:]
        if line.split(",")[3] in ("0", "0.3")
    ]
    path = tmp_path / "screen.csv"
    path.write_text("\n".join([*good, *bad, *one_conc]) + "\n")
    run = cli("synergy", str(path), "--method", "bliss", "--no-save")
    assert run.code == 0, run.err
    assert "Refused: block 'flat'" in run.out and "is missing" in run.out
    assert "Refused: block 'one-dose'" in run.out and "1 non-zero concentration" in run.out
    assert "Block PC-3 48 h" in run.out


@pytest.mark.parametrize(
    ("content", "options", "words"),
    [
        (b",0,1,2\n0,0,10,20\n1,10,30,40\n2,20,40,60\n", {}, "drug_row, drug_col, unit"),
        (b"", {}, "file is empty"),
        (b"block_id,drug_row\n1,a\n", {}, "missing column(s)"),
    ],
    ids=["matrix-without-names", "empty", "long-without-columns"],
)
def test_bad_tables_are_one_error(
    cli: Callable[..., CliRun], tmp_path: Path, content: bytes, options: dict[str, str], words: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    run = cli("synergy", str(path), "--no-save")
    assert run.code == 2
    assert words in run.err and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_a_bad_method_is_refused_on_the_cli_and_the_api(
    cli: Callable[..., CliRun], lab: Lab
) -> None:
    run = cli("synergy", str(LONG), "--method", "synergy", "--no-save")
    assert run.code == 2 and "--method" in run.err and "expected all or one of" in run.err
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/synergy",
            data={"project": "alpha", "method": "synergy"},
            files={"data": (LONG.name, LONG.read_bytes())},
        )
    assert response.status_code == 422
    assert response.json()["place"]["field"] == "method"


def test_the_example_through_the_api_is_stored(lab: Lab) -> None:
    example = KINDS["synergy"].examples[1]
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/synergy",
            data={"project": "alpha", "iterations": "5"},
            files=example_inputs(example),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        stored = client.get(f"/api/analyses/{body['id']}").json()
    assert stored["kind"] == "synergy"
    assert body["results"][0]["drug_row"] == "eribulin"
    assert body["results"][0]["bliss"] > 10
