"""``cxcr4lab inventory``: import, stocks, aliquots, thaws, net peptide weight, solubility,
report; and a plate analysis whose layout names an expired aliquot stored with the flag."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cxcr4lab.store import Store
from tests.conftest import CliRun

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples"
INVENTORY = EXAMPLES / "inventory"


def _import(cli: Callable[..., CliRun]) -> None:
    run = cli("inventory", "import", str(INVENTORY / "inventory.toml"))
    assert run.code == 0, run.err
    assert "added 2 stocks and 4 aliquots" in run.out


def test_example_inventory_statuses(cli: Callable[..., CliRun]) -> None:
    _import(cli)
    run = cli("inventory", "aliquot", "list", "--on", "2026-12-03", "--format", "json")
    assert run.code == 0, run.err
    states = {r["label"]: r["status"] for r in json.loads(run.out)}
    assert states == {
        "BAL-2026-001-A01": "ok",
        "BAL-2026-001-A02": "ok",
        "BAL-2026-001-A03": "expired",
        "BAL-2026-001-A04": "over-thawed",
    }
    # with two re-freezes allowed the thrice-thawed aliquot is ok again
    run = cli(
        "inventory", "aliquot", "list", "--on", "2026-12-03", "--max-refreezes", "2",
        "--format", "json",
    )  # fmt: skip
    assert {r["label"]: r["status"] for r in json.loads(run.out)}["BAL-2026-001-A04"] == "ok"
    run = cli("inventory", "stock", "list")
    assert run.code == 0, run.err
    assert "stable for 36 months" in run.out and "2028-07-01" in run.out  # powder, registry rule
    assert "net_peptide_content_%" in run.out and "acetate" in run.out


def test_add_thaw_and_refusals(cli: Callable[..., CliRun], db_url: str) -> None:
    run = cli(
        "inventory", "stock", "add", "POL6326", "--lot", "L1", "--form", "solution",
        "--solvent", "DMSO", "--conc", "10mM", "--temperature", "-80",
        "--prepared-on", "2026-01-10", "--aliquot", "L1-A1=50uL", "--aliquot", "L1-A2=50uL",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "added stock #1: balixafortide lot L1, solution 10 mM in DMSO, -80 °C" in run.out
    assert "expires 2027-01-10" in run.out and "2 aliquots" in run.out
    run = cli(
        "inventory", "aliquot", "add", "1", "L1-A3", "--volume", "20uL", "--temperature", "-20"
    )
    assert run.code == 0, run.err
    assert "20 µL at -20 °C" in run.out
    for n in (1, 2, 3):
        run = cli("inventory", "aliquot", "thaw", "L1-A1")
        assert run.code == 0, run.err
        assert f"thawed {n} time" in run.out
    assert "status over-thawed" in run.out
    with Store(db_url) as store:
        assert store.inventory.aliquot("L1-A1").freeze_thaw_count == 3
    run = cli("inventory", "aliquot", "mark", "L1-A1", "discarded")
    assert run.code == 0 and "L1-A1: discarded" in run.out
    run = cli("inventory", "aliquot", "thaw", "L1-A1")
    assert run.code == 2 and "is discarded; it cannot be thawed" in run.err
    run = cli("inventory", "aliquot", "mark", "L1-A1", "lost")
    assert run.code == 2 and "status: must be one of available, empty, discarded" in run.err

    refusals = [
        (("--prepared-on", "2999-01-01"), "prepared_on: 2999-01-01 is in the future"),
        (("--temperature", "4"), "storage_temperature_c: no storage rule"),
        (("--conc", "-5mM"), "concentration: concentration must be > 0"),
        (("--aliquot", "L1-A1=5uL"), "label: an aliquot labelled 'L1-A1' already exists"),
        (("--aliquot", "X1=-5uL"), "volume: volume must be > 0"),
    ]
    for extra, message in refusals:
        args = {"--conc": "10mM", "--temperature": "-80", "--prepared-on": "2026-01-10"}
        args[extra[0]] = extra[1]
        flat = [x for k, v in args.items() if k != "--aliquot" for x in (k, v)]
        if extra[0] == "--aliquot":
            flat += list(extra)
        run = cli(
            "inventory", "stock", "add", "balixafortide", "--lot", "L2", "--form", "solution",
            "--solvent", "water", *flat,
        )  # fmt: skip
        assert run.code == 2, (extra, run.out)
        assert message in run.err, (extra, run.err)
        assert len(run.err.strip().splitlines()) == 1
    run = cli(
        "inventory", "stock", "add", "aspirin", "--lot", "L3", "--form", "powder",
        "--temperature", "-20",
    )  # fmt: skip
    assert run.code == 2 and "compound: no compound 'aspirin'" in run.err
    with Store(db_url) as store:
        assert len(store.inventory.stocks()) == 1  # nothing of the refused adds was written
        assert len(store.inventory.aliquots()) == 3


def test_import_is_all_or_none(cli: Callable[..., CliRun], tmp_path: Path, db_url: str) -> None:
    text = (INVENTORY / "inventory.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("storage_temperature_C = -20   #", "storage_temperature_C = 4   #"))
    run = cli("inventory", "import", str(bad))
    assert run.code == 2
    assert "bad.toml" in run.err and "stocks[1].storage_temperature_c" in run.err
    with Store(db_url) as store:
        assert store.inventory.stocks() == []
    bad.write_text(text.replace('label = "BAL-2026-001-A01"', 'label = "x"\ncolour = "red"'))
    run = cli("inventory", "import", str(bad))
    assert run.code == 2 and "unknown key(s) colour" in run.err


def test_weigh_net_peptide(cli: Callable[..., CliRun]) -> None:
    # 1 mL x 10 mM x 1864.1 g/mol = 18.641 mg peptide; / 0.80 = 23.30 mg powder
    run = cli(
        "inventory", "weigh", "balixafortide", "--peptide-content", "0.8", "--conc", "10mM",
        "--volume", "1mL", "--salt-form", "TFA salt", "--format", "json",
    )  # fmt: skip
    assert run.code == 0, run.err
    rows = {r["field"]: r for r in json.loads(run.out)}
    assert rows["gross_mass_to_weigh"]["value"] == pytest.approx(23.30125, rel=1e-9)
    assert rows["gross_mass_to_weigh"]["unit"] == "mg"
    assert rows["salt_form"]["value"] == "TFA salt"


def test_solubility_assessment(cli: Callable[..., CliRun]) -> None:
    csv = str(INVENTORY / "solubility.csv")
    run = cli("inventory", "solubility", csv, "--unit", "ug/mL", "--compound", "POL6326")
    assert run.code == 0, run.err
    # R lm + inverted predict(): 24323.6606 [24115.8213, 24532.9228] (tests/compounds)
    assert "24,323.7 ug/mL" in run.out and "24,115.8 – 24,532.9 ug/mL" in run.out
    assert "100 mg/mL" in run.out and "soluble" in run.out and "nan" not in run.out.lower()
    run = cli("inventory", "solubility", csv, "--unit", "ug/mL", "--format", "json")
    rows = json.loads(run.out)
    assert rows[0]["solubility_ug_per_mL"] == pytest.approx(24323.6606206, rel=1e-9)
    assert rows[1]["lower_ug_per_mL"] == pytest.approx(17038.1805446, rel=1e-8)
    run = cli("inventory", "solubility", csv, "--unit", "mg")
    assert run.code == 2 and "unit" in run.err


def test_report(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    _import(cli)
    out = tmp_path / "inventory.html"
    run = cli("inventory", "report", "--out", str(out), "--on", "2026-12-03")
    assert run.code == 0, run.err
    html = out.read_text("utf-8")
    assert "Compound inventory" in html and "BAL-2026-001-A03" in html
    assert "2 aliquots not to use" in html and "over-thawed" in html
    assert "100 mg/mL" in html and ">nan<" not in html.lower()


def test_an_analysis_naming_an_expired_aliquot_is_stored_with_the_flag(
    cli: Callable[..., CliRun], db_url: str
) -> None:
    _import(cli)
    run = cli(
        "analyze", "binding", str(EXAMPLES / "binding" / "plate96_run1.csv"),
        "--layout", str(INVENTORY / "layout_aliquot.toml"),
        "--radioligand-conc", "0.1nM", "--kd", "0.5nM",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "caution: aliquot BAL-2026-001-A03 expired: expired on 2026-11-01" in run.err
    with Store(db_url) as store:
        record = store.get(store.list()[0].id)
    (check,) = record.parameters["aliquots"]
    assert check["label"] == "BAL-2026-001-A03" and check["state"] == "expired"
    assert check["expires_on"] == "2026-11-01"
    assert record.parameters["aliquot_flags"] == [
        "aliquot BAL-2026-001-A03 expired: " + check["reason"]
    ]
    # the plain layout names no aliquot: nothing is added to the parameters
    run = cli(
        "analyze", "binding", str(EXAMPLES / "binding" / "plate96_run1.csv"),
        "--layout", str(EXAMPLES / "binding" / "layout96.toml"),
        "--radioligand-conc", "0.1nM", "--kd", "0.5nM",
    )  # fmt: skip
    assert run.code == 0, run.err
    with Store(db_url) as store:
        assert "aliquots" not in store.get(store.list()[0].id).parameters


def test_aliquot_checks_ok_unknown_and_over_thawed(cli: Callable[..., CliRun], db_url: str) -> None:
    from datetime import date

    from cxcr4lab.workflows import aliquot_checks, with_aliquot_checks

    _import(cli)
    layout = (INVENTORY / "layout_aliquot.toml").read_bytes()
    layout = layout.replace(b'"BAL-2026-001-A03"', b'"BAL-2026-001-A01"')
    layout = b'aliquot = "NOT-IN-STOCK"\n' + layout.replace(
        b'[row."D-F"]\ncompound = "plerixafor"\n',
        b'[row."D-F"]\ncompound = "plerixafor"\naliquot = "BAL-2026-001-A04"\n',
    )
    with Store(db_url) as store:
        checks = aliquot_checks(store, [("l.toml", layout)], on=date(2026, 12, 3))
        assert [(c["label"], c["state"]) for c in checks] == [
            ("NOT-IN-STOCK", "unknown"),
            ("BAL-2026-001-A01", "ok"),
            ("BAL-2026-001-A04", "over-thawed"),
        ]
        assert checks[0]["reason"] == "not in the inventory"
        assert with_aliquot_checks(store, {"kd": 1.0}, [("l.toml", b"[col.1]\n")]) == {"kd": 1.0}


def test_results_show_prints_the_stored_aliquot_flags(
    cli: Callable[..., CliRun], db_url: str
) -> None:
    _import(cli)
    run = cli(
        "analyze", "binding", str(EXAMPLES / "binding" / "plate96_run1.csv"),
        "--layout", str(INVENTORY / "layout_aliquot.toml"),
        "--radioligand-conc", "0.1nM", "--kd", "0.5nM",
    )  # fmt: skip
    assert run.code == 0, run.err
    with Store(db_url) as store:
        analysis_id = store.list()[0].id
        (flag,) = store.get(analysis_id).parameters["aliquot_flags"]
    cautions = [line for line in run.err.splitlines() if line.startswith("caution:")]
    assert cautions == [f"caution: {flag}"]
    for fmt in ("table", "json", "csv"):  # on standard error: the output stays parseable
        shown = cli("results", "show", str(analysis_id), "--format", fmt)
        assert shown.code == 0, shown.err
        assert [line for line in shown.err.splitlines() if line.startswith("caution:")] == cautions
        assert "caution:" not in shown.out
    # an analysis whose layout names no aliquot shows no caution
    run = cli(
        "analyze", "binding", str(EXAMPLES / "binding" / "plate96_run1.csv"),
        "--layout", str(EXAMPLES / "binding" / "layout96.toml"),
        "--radioligand-conc", "0.1nM", "--kd", "0.5nM",
    )  # fmt: skip
    with Store(db_url) as store:
        plain_id = store.list()[0].id
    shown = cli("results", "show", str(plain_id))
    assert shown.code == 0 and "caution" not in shown.err
