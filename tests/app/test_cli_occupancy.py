"""``cxcr4lab analyze occupancy`` end to end on a temporary database."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "occupancy"


def test_mfi_table_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli("analyze", "occupancy", str(EXAMPLES / "mfi_table.csv"))
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "S04" in run.out and "pre-dose" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    assert "<svg" in (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")


def test_fcs_manifest_through_flowkit(cli: Cli) -> None:
    run = cli(
        "analyze",
        "occupancy",
        str(EXAMPLES / "manifest.csv"),
        "--gates",
        str(EXAMPLES / "gates.toml"),
        "--fcs",
        str(EXAMPLES / "fcs.zip"),
        "--json",
    )
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["input_format"].startswith("FCS") and len(payload["points"]) == 3
    shown = cli("results", "show", str(payload["id"]))
    for stored in ("data: manifest.csv", "gates: gates.toml", "fcs: fcs.zip"):
        assert stored in shown.out


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return path


def test_fcs_files_are_found_by_base_name_and_one_fcs_file_is_taken(
    cli: Cli, tmp_path: Path
) -> None:
    with zipfile.ZipFile(EXAMPLES / "fcs.zip") as z:
        tubes = {n.rsplit("/", 1)[-1]: z.read(n) for n in z.namelist()}
    flat = _zip(tmp_path / "flat.zip", {"__MACOSX/._x.fcs": b"junk", **tubes})
    gates = str(EXAMPLES / "gates.toml")
    manifest = str(EXAMPLES / "manifest.csv")
    run = cli("analyze", "occupancy", manifest, "--gates", gates, "--fcs", str(flat), "--json")
    assert run.code == 0, run.err
    points = json.loads(run.out)["points"]
    assert [p["time_h"] for p in points] == [0, 2, 24]
    one = tmp_path / "S01_0h_cxcr4.fcs"
    one.write_bytes(tubes[one.name])
    run = cli("analyze", "occupancy", manifest, "--gates", gates, "--fcs", str(one))
    assert run.code == 2 and "row 4, column 'file'" in run.err  # the isotype tube is missing
    assert "is not the file given (S01_0h_cxcr4.fcs)" in run.err


def test_missing_fcs_file_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    with zipfile.ZipFile(EXAMPLES / "fcs.zip") as z:
        tubes = {n: z.read(n) for n in z.namelist() if "0h_isotype" not in n}
    partial = _zip(tmp_path / "partial.zip", tubes)
    gates = str(EXAMPLES / "gates.toml")
    manifest = str(EXAMPLES / "manifest.csv")
    run = cli("analyze", "occupancy", manifest, "--gates", gates, "--fcs", str(partial))
    assert run.code == 2
    assert "row 4, column 'file'" in run.err and "is not in partial.zip" in run.err
    run = cli("analyze", "occupancy", manifest, "--gates", gates)
    assert run.code == 2 and run.err.startswith("error: --fcs: is needed with gates")
    run = cli("analyze", "occupancy", str(EXAMPLES / "mfi_table.csv"), "--fcs", str(partial))
    assert run.code == 2 and "--gates" in run.err
    empty = _zip(tmp_path / "empty.zip", {"notes.txt": b"no tubes"})
    run = cli("analyze", "occupancy", manifest, "--gates", gates, "--fcs", str(empty))
    assert run.code == 2 and "empty.zip: the zip holds no .fcs file" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")


def test_a_bad_statistic_names_the_flag(cli: Cli) -> None:
    run = cli("analyze", "occupancy", str(EXAMPLES / "mfi_table.csv"), "--statistic", "mode")
    assert run.code == 2
    assert run.err.strip() == "error: --statistic: must be one of 'median', 'mean'; got 'mode'"
