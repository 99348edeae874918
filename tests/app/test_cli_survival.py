"""``cxcr4lab survival`` and ``cxcr4lab trial`` end to end on a temporary database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "clinical"


def test_survival_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(
        "survival",
        str(EXAMPLES / "fortress_adtte.csv"),
        "--adsl",
        str(EXAMPLES / "fortress_adsl.csv"),
        "--paramcd",
        "PFS",
        "--by",
        "ARM",
        "--reference",
        "eribulin",
        "--tau",
        "12",
        "--subgroup",
        "STRAT1",
    )
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "Log-rank" in run.out and "SIMULATED" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "number at risk" in html


def test_survival_json(cli: Cli) -> None:
    out = cli(
        "survival",
        str(EXAMPLES / "fortress_adtte.csv"),
        "--adsl",
        str(EXAMPLES / "fortress_adsl.csv"),
        "--paramcd",
        "OS",
        "--by",
        "ARM",
        "--json",
        "--no-save",
    ).out
    payload = json.loads(out)
    assert payload["kind"] == "survival" and payload["endpoint"] == "OS"
    assert len(payload["curves"]) == 2


def test_survival_bad_input_names_the_record(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "adtte.csv"
    bad.write_text("USUBJID,PARAMCD,AVAL,CNSR\nS1,PFS,10,0\nS2,PFS,12,3\n", encoding="utf-8")
    run = cli("survival", str(bad), "--paramcd", "PFS")
    assert run.code != 0
    text = run.out + run.err
    assert "row 3" in text and "S2" in text and "CNSR" in text


def test_trial_simulate(cli: Cli) -> None:
    run = cli(
        "trial",
        "simulate",
        "--n",
        "432",
        "--orr",
        "0.13,0.137",
        "--replicates",
        "2000",
        "--json",
    )
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["kind"] == "trial" and payload["power_orr"] < 0.1
    bad = cli("trial", "simulate", "--orr", "0.13")
    assert bad.code != 0 and "--orr" in bad.out + bad.err


def test_trial_fortress(cli: Cli) -> None:
    run = cli("trial", "fortress", "--replicates", "2000")
    assert run.code == 0, run.err
    assert "Why FORTRESS failed" in run.out and "Fisher p = 1.00" in run.out


LUNG = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "cox" / "lung.csv"


def test_survival_of_a_plain_table_with_subgroup_interactions(cli: Cli, tmp_path: Path) -> None:
    run = cli(
        "survival",
        str(LUNG),
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "sex",
        "--input-time-unit",
        "days",
        "--time-unit",
        "days",
        "--landmark",
        "365",
        "--subgroup",
        "ph.ecog",
    )
    assert run.code == 0, run.err
    out = run.out
    assert "Survival by sex: lung.csv" in out and "median (days)" in out
    assert "S(365 days) 1:" in out and "Log-rank: chi-square 10.327 on 1 df" in out
    assert "interaction p" in out and "0.7553 (2 df)" in out  # R anova: 0.7552520649
    assert "ph.ecog: 1 subject(s) without a value" in out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "number at risk" in html and "interaction p" in html
    assert "times in days" in html


def test_survival_one_group_and_weeks_from_an_adtte(cli: Cli) -> None:
    run = cli(
        "survival",
        str(EXAMPLES / "fortress_adtte.csv"),
        "--paramcd",
        "OS",
        "--time-unit",
        "weeks",
        "--no-save",
    )
    assert run.code == 0, run.err
    assert "OS (one group)" in run.out and "median (weeks)" in run.out
    assert "S(26 weeks) all" in run.out and "Log-rank" not in run.out


def test_survival_bad_plain_table_names_file_row_and_column(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "mine.csv"
    bad.write_text("Days,Dead,Arm\n10,1,A\n-4,0,B\n", encoding="utf-8")
    run = cli("survival", str(bad), "--time", "days", "--event", "dead", "--by", "arm")
    assert run.code != 0
    text = run.out + run.err
    assert "mine.csv" in text and "row 3" in text and "days" in text and "negative" in text
    missing = cli("survival", str(bad), "--event", "dead", "--no-save")
    assert missing.code != 0 and "--time" in missing.out + missing.err


def test_km_pictures_have_censoring_marks_risk_tables_and_interaction_p() -> None:
    from cxcr4lab.report.sections.survival import hazard_forest_figure, km_figure
    from cxcr4lab.runs import run_kind
    from cxcr4lab.web.plots.survival import figures

    result = run_kind(
        "survival",
        {"table": ("lung.csv", LUNG.read_bytes())},
        {
            "time": "time",
            "event": "status",
            "by": "sex",
            "subgroup": "ph.ecog",
            "input_time_unit": "days",
        },
    ).result
    censored = [km.censored() for km in result.curves]
    assert [sum(c[2]) for c in censored] == [26, 37]  # R: 138 - 112, 90 - 53 censored
    shown = figures(result)
    traces = shown["kaplan_meier"]["data"]
    marks = [t for t in traces if t.get("mode") == "markers"]
    assert [m["x"] for m in marks] == [list(c[0]) for c in censored]
    assert all(m["marker"]["symbol"] == "cross-thin-open" for m in marks)
    at_risk = [t for t in traces if t.get("yaxis") == "y2"]
    five = str(result.curves[0].n_at_risk(5.0))  # months
    assert at_risk[0]["x"][:2] == [0.0, 5.0] and at_risk[0]["text"][:2] == ["138", five]
    assert shown["kaplan_meier"]["layout"]["annotations"][0]["text"].startswith("number at risk")
    notes = shown["forest"]["layout"]["annotations"]
    assert [n["text"] for n in notes] == ["interaction p = 0.755"] and notes[0]["y"] == "ph.ecog=0"
    km = km_figure(result)
    plus = [ln for ln in km.axes[0].lines if ln.get_marker() == "+"]
    assert [len(ln.get_xdata()) for ln in plus] == [len(c[0]) for c in censored]
    texts = [t.get_text() for t in km.axes[1].texts]
    assert texts[:2] == ["138", five]
    forest = hazard_forest_figure(result.subgroups, "1", interactions=result.interactions)
    written = " ".join(t.get_text() for t in forest.axes[0].texts)
    assert "interaction p" in written and "0.755" in written
