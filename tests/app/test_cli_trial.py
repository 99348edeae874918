"""``cxcr4lab trial 3plus3 / simulate / fortress``: stored, shown by ``results show``, reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]


def _report(cli: Cli, analysis_id: int, out: Path) -> str:
    run = cli("report", str(analysis_id), "--out", str(out))
    assert run.code == 0, run.err
    return (out / f"analysis-{analysis_id}.html").read_text(encoding="utf-8")


def test_3plus3_saves_shows_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli("trial", "3plus3", "--save")
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "Expected patients 19.4" in run.out
    shown = cli("results", "show", "1")
    assert shown.code == 0, shown.err
    assert "three_plus_three" in shown.out and "E[patients]" in shown.out and "0.494" in shown.out
    html = _report(cli, 1, tmp_path / "rep")
    assert html.count("<svg") == 2 and "ASSUMED DLT" in html and "0.494" in html
    assert "increments 0.5 and 1.0 mg/kg" in html  # the balixafortide ladder


def test_3plus3_bad_input_names_the_option(cli: Cli) -> None:
    bad = cli("trial", "3plus3", "--dlt", "0.1,x")
    assert bad.code == 2 and "--dlt" in bad.err
    short = cli("trial", "3plus3", "--dlt", "0.1,0.2")
    assert short.code == 2 and "one DLT probability per dose" in short.err
    assert cli("results", "list").out.startswith("No stored analyses")


def test_trial_and_fortress_results_show_and_report(cli: Cli, tmp_path: Path) -> None:
    assert cli("trial", "simulate", "--replicates", "400", "--save").code == 0
    assert cli("trial", "fortress", "--replicates", "400", "--save").code == 0
    trial = cli("results", "show", "1")
    assert trial.code == 0, trial.err
    assert "(trial," in trial.out and "Trial simulation" in trial.out and "log-rank" in trial.out
    fortress = cli("results", "show", "2")
    assert fortress.code == 0, fortress.err
    assert "(fortress," in fortress.out and "Why FORTRESS failed" in fortress.out
    assert "9/24 responses, ORR 37.5% (exact 95% CI 18.8-59.4%)" in fortress.out
    html = _report(cli, 1, tmp_path / "rep")
    assert html.count("<svg") == 1 and "analytic (%)" in html and "SIMULATED" in html
    html = _report(cli, 2, tmp_path / "rep")
    assert html.count("<svg") == 3 and "Clopper-Pearson 95% CI 18.8-59.4%" in html
    assert "predicted Phase 3 ORR 29.5%" in html and "FORTRESS -0.62 pp" in html


def test_one_module_prints_the_three_kinds() -> None:
    import cxcr4lab.commands.trial as trial
    from cxcr4lab.runs import kind_for_result

    for kind in ("trial", "three_plus_three", "fortress"):
        found = kind_for_result(kind)
        assert found is not None and found.terminal_view() is trial.print_result
    assert kind_for_result("no_such_kind") is None
