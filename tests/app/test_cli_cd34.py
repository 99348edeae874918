"""``cxcr4lab analyze cd34`` end to end on a temporary database."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "cd34"


def test_count_table_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli("analyze", "cd34", str(EXAMPLES / "counts.csv"))
    assert run.code == 0, run.err
    assert (
        "saved as analysis #1" in run.out and "HV05-4h" in run.out and "low_cd34_events" in run.out
    )
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    assert "<svg" in (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")


def test_fcs_with_gates_stores_every_input(cli: Cli) -> None:
    run = cli(
        "analyze",
        "cd34",
        str(EXAMPLES / "demo_tube.fcs"),
        "--gates",
        str(EXAMPLES / "gates.toml"),
        "--beads-per-tube",
        "50000",
        "--volume-ul",
        "100",
    )
    assert run.code == 0, run.err
    assert "fail" in run.out and "bead events" in run.out
    shown = cli("results", "show", "1")
    assert "data: demo_tube.fcs" in shown.out and "gates: gates.toml" in shown.out


def test_json(cli: Cli) -> None:
    payload = json.loads(
        cli("analyze", "cd34", str(EXAMPLES / "counts.csv"), "--json", "--no-save").out
    )
    assert payload["kind"] == "cd34" and len(payload["samples"]) == 12


def test_failures_store_nothing(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.fcs"
    broken.write_bytes(b"FCS3.1   garbage that is not a header")
    run = cli(
        "analyze",
        "cd34",
        str(broken),
        "--gates",
        str(EXAMPLES / "gates.toml"),
        "--beads-per-tube",
        "50000",
        "--volume-ul",
        "100",
    )
    assert run.code == 2 and "broken.fcs" in run.err and "FlowKit cannot read" in run.err
    missing = cli("analyze", "cd34", str(EXAMPLES / "demo_tube.fcs"))
    assert missing.code == 2 and "--gates" in missing.err
    gates = str(EXAMPLES / "gates.toml")
    no_beads = cli("analyze", "cd34", str(EXAMPLES / "demo_tube.fcs"), "--gates", gates)
    assert no_beads.code == 2 and no_beads.err.startswith("error: --beads-per-tube: is needed")
    table = cli("analyze", "cd34", str(EXAMPLES / "counts.csv"), "--gates", gates)
    assert table.code == 2 and table.err.startswith("error: --gates: are for FCS input")
    assert cli("results", "list").out.startswith("No stored analyses")


def test_a_zip_of_fcs_files_is_one_sample_per_file(cli: Cli, tmp_path: Path) -> None:
    tube = (EXAMPLES / "demo_tube.fcs").read_bytes()
    tubes = tmp_path / "tubes.zip"
    with zipfile.ZipFile(tubes, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("run/HV01-4h.fcs", tube)
        z.writestr("run/HV02-4h.fcs", tube)
        z.writestr("run/notes.txt", "not a tube")
    run = cli(
        "analyze", "cd34", str(tubes), "--gates", str(EXAMPLES / "gates.toml"),
        "--beads-per-tube", "50000", "--volume-ul", "100", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert [s["counts"]["sample"] for s in payload["samples"]] == ["HV01-4h", "HV02-4h"]
    assert payload["source"] == "tubes.zip"
    shown = cli("results", "show", str(payload["id"]))
    assert "data: tubes.zip" in shown.out and "gates: gates.toml" in shown.out


def test_a_zip_bomb_is_refused_before_unpacking(cli: Cli, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.fcs", b"\0" * (20 * 2**20))
    run = cli(
        "analyze", "cd34", str(bomb), "--gates", str(EXAMPLES / "gates.toml"),
        "--beads-per-tube", "50000", "--volume-ul", "100",
    )  # fmt: skip
    assert run.code == 2 and "bomb.zip: a.fcs" in run.err and "zip bomb" in run.err


def test_a_bad_volume_names_the_flag(cli: Cli) -> None:
    run = cli(
        "analyze", "cd34", str(EXAMPLES / "demo_tube.fcs"), "--gates",
        str(EXAMPLES / "gates.toml"), "--beads-per-tube", "50000", "--volume-ul", "0",
    )  # fmt: skip
    assert run.code == 2
    assert run.err.strip() == "error: --volume-ul: must be a number > 0 (µL); got '0'"
