"""``cxcr4lab receptor calibrate|schild|plate|recover`` end to end on a temporary database, and
the report sections of the three receptor result kinds."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from cxcr4lab.receptor.mechanistic import Cxcr4Model
from cxcr4lab.report import render_report
from cxcr4lab.report.sections import render_section
from cxcr4lab.runs import KINDS, example_inputs, run_kind
from cxcr4lab.studies.calibration import calibrate
from cxcr4lab.workflows import result_types
from tests.conftest import CliRun

Cli = Callable[..., CliRun]
KB = 0.15e-9


def _one_line_error(run: CliRun, *needles: str) -> None:
    assert run.code == 2, (run.out, run.err)
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), run.err
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_calibrate_saves_prints_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli("receptor", "calibrate")
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "SIMULATED" in run.out
    assert "published bounds met: 10 of 10" in run.out
    assert "any Kb <= 0.18 nM" in run.out and "x receptor reserve" in run.out
    assert run.out.count(" ok ") + run.out.count(" ok│") >= 10
    shown = cli("results", "show", "1")
    assert "receptor_calibration" in shown.out and "Potency consistency" in shown.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert "Potency consistency" in html and "x receptor reserve" in html
    assert html.count('class="pass">ok<') == 10 and html.count("<svg") == 1


def test_calibrate_json_with_a_kb_that_misses(cli: Cli) -> None:
    run = cli("receptor", "calibrate", "--kb", "0.3nM", "--json", "--no-save")
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["kind"] == "receptor_calibration" and payload["id"] is None
    assert payload["kb_molar"] == pytest.approx(0.3e-9)
    met = [p["predicted_ic50_molar"] < p["bound_molar"] for p in payload["predictions"]]
    assert 0 < sum(met) < 10  # 0.3 nM is above the 0.18 nM edge: some bounds are missed
    assert cli("results", "list").out.startswith("No stored analyses")


def test_calibrate_kb_in_mass_units_uses_the_molecular_weight(cli: Cli) -> None:
    run = cli("receptor", "calibrate", "--kb", "0.2796ng/mL", "--json", "--no-save")
    assert run.code == 0, run.err
    assert json.loads(run.out)["kb_molar"] == pytest.approx(0.2796e-6 / 1864.1, rel=1e-9)


def test_schild_json_and_saved_report(cli: Cli, tmp_path: Path) -> None:
    run = cli("receptor", "schild", "--antagonist-conc", "1nM;10nM", "--antagonist-conc", "100nM")
    assert run.code == 0, run.err
    assert "inside the CI" in run.out and "saved as analysis #1" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert "Schild plot" in html and "Dose ratios" in html and "SIMULATED" in html
    payload = json.loads(cli("receptor", "schild", "--seed", "2", "--json", "--no-save").out)
    assert payload["kind"] == "schild" and payload["seed"] == 2
    pa2 = dict(zip(payload["fit"]["param_names"], payload["fit"]["values"], strict=True))["pA2"]
    assert pa2 == pytest.approx(9.824, abs=0.05)


def test_virtual_binding_plate_round_trips_through_analyze(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "plates" / "virtual.csv"
    run = cli("receptor", "plate", "binding", "--out", str(out), "--seed", "11")
    assert run.code == 0, run.err
    layout = tmp_path / "plates" / "virtual_layout.toml"
    assert out.read_text(encoding="utf-8").startswith('"SIMULATED')
    assert "SIMULATED" in layout.read_text(encoding="utf-8")
    command = next(line for line in run.out.splitlines() if line.startswith("cxcr4lab analyze"))
    args = shlex.split(command)[1:]
    assert args[:3] == ["analyze", "binding", str(out)]
    analysed = cli(*args, "--json", "--no-save")
    assert analysed.code == 0, analysed.err
    (curve,) = json.loads(analysed.out)["curves"]
    assert curve["ki_lower_molar"] <= KB <= curve["ki_upper_molar"]
    assert not curve["flags"]


def test_virtual_arrestin_plate_with_another_kb(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "arr.csv"
    layout = tmp_path / "arr.toml"
    run = cli(
        "receptor", "plate", "arrestin", "--out", str(out), "--layout", str(layout),
        "--kb", "2nM", "--seed", "14",
    )  # fmt: skip
    assert run.code == 0, run.err
    command = next(line for line in run.out.splitlines() if line.startswith("cxcr4lab analyze"))
    analysed = cli(*shlex.split(command)[1:], "--json", "--no-save")
    assert analysed.code == 0, analysed.err
    (curve,) = json.loads(analysed.out)["analysis"]["curves"]
    assert curve["kb_lower_molar"] <= 2e-9 <= curve["kb_upper_molar"]


def test_recover_json(cli: Cli) -> None:
    run = cli("receptor", "recover", "--json", "--no-save")
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["kind"] == "virtual_recovery" and len(payload["rows"]) == 5
    for row in payload["rows"]:
        assert row["lower_molar"] <= payload["kb_molar"] <= row["upper_molar"]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("receptor", "calibrate", "--kb", "-0.15nM"), ("--kb", ">")),
        (("receptor", "calibrate", "--kb", "0nM"), ("--kb",)),
        (("receptor", "calibrate", "--kb", "0.15 parsec"), ("--kb", "not a concentration")),
        (("receptor", "schild", "--antagonist-conc", "3nM"), ("--antagonist-conc", "two")),
        (("receptor", "schild", "--antagonist-conc", "0nM;3nM"), ("--antagonist-conc", "> 0")),
        (("receptor", "schild", "--antagonist-conc", "1nM,3nM"), ("--antagonist-conc", "';'")),
        (("receptor", "schild", "--readout", "calcium"), ("--readout", "'calcium'")),
        (("receptor", "schild", "--cell", "HeLa"), ("--cell", "'HeLa'")),
        (("receptor", "schild", "--noise", "-1"), ("--noise",)),
        (("receptor", "plate", "elisa", "--out", "x.csv"), ("ASSAY", "'elisa'", "binding")),
        (
            ("receptor", "plate", "chemotaxis", "--cell", "HeLa", "--out", "x.csv"),
            ("--cell", "'HeLa'"),
        ),
    ],
)
def test_bad_input_is_one_clear_line(cli: Cli, args: tuple[str, ...], needles: tuple[str]) -> None:
    _one_line_error(cli(*args), *needles)
    assert cli("results", "list").out.startswith("No stored analyses")


def test_plate_with_bad_input_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    _one_line_error(cli("receptor", "plate", "binding", "--out", str(out), "--kb", "1 parsec"))
    assert not list(tmp_path.iterdir())


# --- report sections -------------------------------------------------------------------------


def test_kinds_are_registered_with_sections_and_printers() -> None:
    for kind in ("receptor_calibration", "schild", "virtual_recovery"):
        assert kind in result_types()
        assert callable(KINDS[kind].terminal_view())


def test_calibration_section_marks_misses() -> None:
    html = render_section(7, "Kb 0.3 nM", calibrate(Cxcr4Model().with_kb(0.3e-9)))
    assert 'id="analysis-7"' in html and "SIMULATED" in html
    misses = html.count('class="fail">miss<')
    oks = html.count('class="pass">ok<')
    assert misses > 0 and misses + oks == 10
    assert "&lt; 400" in html and "x amplification" in html and "<svg" in html


def test_dossier_examples_store_and_render_fast() -> None:
    import time

    analyses = []
    examples = [
        (name, example)
        for name in ("receptor_calibration", "schild", "virtual_recovery")
        for example in KINDS[name].examples
    ]
    for i, (name, example) in enumerate(examples, start=1):
        started = time.perf_counter()
        files = example_inputs(example)
        outcome = run_kind(name, files, dict(example.options))
        result, parameters = outcome.result, dict(outcome.parameters)
        assert time.perf_counter() - started < 30  # generous on a shared CI runner
        assert "SIMULATED" in example.title and files == {}
        assert KINDS[name].result_class().kind == result.kind == name
        again = result_types()[result.kind].from_dict(json.loads(json.dumps(result.to_dict())))
        assert again == result and json.dumps(parameters)
        analyses.append((i, example.title, result))
    html = render_report(analyses, title="receptor")
    assert html.count("<svg") >= 3 + 1  # three sections and the potency summary's forest plot
    assert re.search(r"pA2 9\.8\d\d \(95% CI 9\.8\d\d-9\.8\d\d", html)
    assert "covers it for 5 of 5 plates" in html


def test_schild_choices_match_the_model() -> None:
    import typing

    from cxcr4lab.runs.schild import Options
    from cxcr4lab.studies.calibration import CELL_LINES
    from cxcr4lab.studies.schild_study import SCHILD_READOUTS

    hints = typing.get_type_hints(Options)
    assert typing.get_args(hints["readout"]) == SCHILD_READOUTS
    assert typing.get_args(hints["cell"]) == tuple(CELL_LINES)
