from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cxcr4lab.runs.nca import lambda_z_range
from tests.conftest import CliRun

DATA = Path(__file__).resolve().parents[1] / "data" / "pk"


def test_analyze_nca_theoph(cli: Callable[..., CliRun]) -> None:
    run = cli("analyze", "nca", str(DATA / "theoph.csv"), "--no-save")
    assert run.code == 0, run.err
    assert "12 subjects" in run.out
    assert "216.6" in run.out  # subject 1 AUCinf_obs (WinNonlin 216.611933)


def test_analyze_nca_json_with_override(cli: Callable[..., CliRun]) -> None:
    run = cli(
        "analyze",
        "nca",
        str(DATA / "indometh.csv"),
        "--no-save",
        "--json",
        "--auc-method",
        "log-down",
        "--lambda-z",
        "1:2-8",
    )
    assert run.code == 0, run.err
    out = json.loads(run.out)
    first = out["subjects"][0]
    assert first["lambda_z"]["manual"] and first["lambda_z"]["n_points"] == 6
    assert first["auc_last"] == pytest.approx(2.00989843640473, rel=1e-6)


def test_analyze_nca_saves(cli: Callable[..., CliRun]) -> None:
    run = cli("analyze", "nca", str(DATA / "theoph.csv"))
    assert run.code == 0, run.err
    assert "saved as analysis #" in run.out


def test_bad_file_exits_2_naming_the_row(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    shutil.copy(DATA / "theoph.csv", bad)
    bad.write_text(bad.read_text().replace("1,0.25,2.84,320", "1,0.25,-2.84,320"))
    run = cli("analyze", "nca", str(bad), "--no-save")
    assert run.code == 2
    assert "bad.csv, row 3, column 'conc'" in run.err + run.out


def test_lambda_z_option_parsing(cli: Callable[..., CliRun]) -> None:
    assert lambda_z_range("A-1:0.5-24") == ("A-1", 0.5, 24.0)
    with pytest.raises(ValueError, match="SUBJECT:START-END"):
        lambda_z_range("3:6")
    data = str(DATA / "theoph.csv")
    run = cli("nca", data, "--lambda-z", "1:5-24.4", "--lambda-z", "3:6", "--no-save")
    assert run.code == 2
    assert run.err.strip() == (
        "error: --lambda-z: '3:6': expected SUBJECT:START-END in hours, e.g. 3:6-24"
    )
    run = cli("nca", data, "--lambda-z", "3:24-6", "--no-save")
    assert run.code == 2 and "--lambda-z: '3:24-6': need 0 <= START < END" in run.err


def test_nca_is_at_the_top_level_and_under_analyze(cli: Callable[..., CliRun]) -> None:
    for path in (("nca",), ("analyze", "nca")):
        run = cli(*path, str(DATA / "theoph.csv"), "--json", "--no-save")
        assert run.code == 0, run.err
        assert json.loads(run.out)["kind"] == "nca"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_nca_out_writes_one_row_per_subject(
    cli: Callable[..., CliRun], tmp_path: Path, suffix: str
) -> None:
    import pandas as pd

    target = tmp_path / f"nca{suffix}"
    theoph = str(DATA / "theoph.csv")
    run = cli("nca", theoph, "--no-save", "--out", str(target))
    assert run.code == 0, run.err
    table = pd.read_csv(target) if suffix == ".csv" else pd.read_excel(target)
    import io

    shown = pd.read_csv(io.StringIO(cli("nca", theoph, "--no-save", "--format", "csv").out))
    assert len(table) == 12 == len(shown)
    assert list(table.columns) == list(shown.columns)
    assert table["subject"].astype(str).tolist() == shown["subject"].astype(str).tolist()


EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "pk"
CDISC = Path(__file__).resolve().parents[1] / "data" / "cdisc"


def test_multiple_dose_prints_and_writes_steady_state(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    """The SIMULATED phase 1 example: dose table, steady state, partial AUC, statistics by
    cohort and dose proportionality, in the terminal and in the files."""
    run = cli(
        "nca",
        str(EXAMPLES / "phase1_md_conc.csv"),
        "--doses",
        str(EXAMPLES / "phase1_md_doses.csv"),
        "--conc-unit",
        "ng/mL",
        "--auc-method",
        "log-down",
        "--lloq",
        "5",
        "--steady-state",
        "--interval",
        "0-24",
        "--group",
        "cohort",
        "--proportionality-dose",
        "dose_level",
        "--intervals-out",
        str(tmp_path / "intervals.csv"),
        "--stats-out",
        str(tmp_path / "stats.xlsx"),
        "--pp-out",
        str(tmp_path / "pp.csv"),
        "--no-save",
    )
    assert run.code == 0, run.err
    for title in ("Steady state", "Dosing intervals", "Summary statistics", "Dose proportionality"):
        assert title in run.out
    import pandas as pd

    intervals = pd.read_csv(tmp_path / "intervals.csv")
    ss = intervals[intervals["interval"] == "steady state"]
    assert len(ss) == 18 and ss["CLss (L/h)"].between(1, 20).all()
    assert ss["Rac_obs"].between(1.0, 2.0).all()
    stats = pd.read_excel(tmp_path / "stats.xlsx")
    assert set(stats["group"]) == {f"cohort={d} mg/kg" for d in ("2", "2.5", "3", "4", "5", "5.5")}
    pp = pd.read_csv(tmp_path / "pp.csv")
    assert {"AUCTAU", "CMIN", "CAVG", "AUCINT", "LAMZHL"} <= set(pp["PPTESTCD"])
    tau = pp[pp["PPTESTCD"] == "AUCTAU"]
    assert set(tau["PPSTINT"]) == {"PT0H", "PT48H"} and set(tau["PPSTRESU"]) == {"h*ng/mL"}


def test_a_pc_domain_needs_a_dose_table(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    pc = str(CDISC / "pc_simulated.csv")
    run = cli("nca", pc, "--analyte", "POL6326", "--no-save")
    assert run.code == 2 and "PC domain holds no doses" in run.err + run.out
    doses = tmp_path / "doses.csv"
    doses.write_text(
        "subject,time,dose,route,duration\n"
        + "".join(f"SIM-01-00{i},0,385,infusion,2\n" for i in (1, 2))
    )
    run = cli("nca", pc, "--analyte", "POL6326", "--doses", str(doses), "--json", "--no-save")
    assert run.code == 0, run.err
    out = json.loads(run.out)
    assert out["units"]["conc"] == "ng/mL" and len(out["subjects"]) == 2
    assert out["subjects"][0]["route"] == "infusion"


def test_a_dose_table_naming_an_unknown_subject_exits_2(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    doses = tmp_path / "doses.csv"
    doses.write_text("subject,time,dose\n1,0,320\n99,0,320\n")
    conc = tmp_path / "conc.csv"
    conc.write_text("subject,time,conc\n1,0,0\n1,1,5\n1,2,4\n1,4,2\n")
    run = cli("nca", str(conc), "--doses", str(doses), "--no-save")
    assert run.code == 2
    assert "doses.csv, column 'subject'" in run.err + run.out and "'99'" in run.err + run.out
