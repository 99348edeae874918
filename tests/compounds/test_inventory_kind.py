"""The ``inventory`` analysis kind: an inventory file checked without the store gives the statuses
``cxcr4lab inventory import`` + ``aliquot list`` give on the same date; net peptide figures, the
registry's solubility as text, the solubility assessment with its CI; bad inputs refused with one
error naming the file and the table."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from tests.conftest import CliRun

from cxcr4lab.compounds.inventory_check import InventoryCheck, check_inventory
from cxcr4lab.core.errors import InputError
from cxcr4lab.report.sections.inventory import render
from cxcr4lab.runs import KINDS, example_inputs, run_kind

INVENTORY = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "inventory"
TOML = INVENTORY / "inventory.toml"
DAY = "2026-12-03"


def _run(toml: bytes | None = None, name: str = "inventory.toml", **options: str) -> InventoryCheck:
    files = {"inventory": (name, TOML.read_bytes() if toml is None else toml)}
    result = run_kind("inventory", files, {"on": DAY, **options}).result
    assert isinstance(result, InventoryCheck)
    return result


def _cli_states(cli: Callable[..., CliRun], *extra: str) -> dict[str, str]:
    run = cli("inventory", "aliquot", "list", "--on", DAY, "--format", "json", *extra)
    assert run.code == 0, run.err
    return {r["label"]: r["status"] for r in json.loads(run.out)}


def test_statuses_equal_those_of_the_store_on_the_same_date(cli: Callable[..., CliRun]) -> None:
    run = cli("inventory", "import", str(TOML))
    assert run.code == 0, run.err
    for refreezes in ("1", "2"):
        stored = _cli_states(cli, "--max-refreezes", refreezes)
        checked = _run(max_refreezes=refreezes)
        assert {a.label: a.state for a in checked.aliquots} == stored
        stored_rows = json.loads(
            cli(
                "inventory", "aliquot", "list", "--on", DAY, "--max-refreezes", refreezes,
                "--format", "json",
            ).out
        )  # fmt: skip
        for row, a in zip(stored_rows, checked.aliquots, strict=True):
            assert (row["expires_on"], row["reason"]) == (a.expires_on, a.reason)
    # the example's truth (examples/inventory/README.md), as the CLI tests know it
    assert {a.label: a.state for a in _run().aliquots} == {
        "BAL-2026-001-A01": "ok",
        "BAL-2026-001-A02": "ok",
        "BAL-2026-001-A03": "expired",
        "BAL-2026-001-A04": "over-thawed",
    }


def test_expiry_rules_thaws_and_stocks() -> None:
    result = _run()
    a03 = next(a for a in result.aliquots if a.label == "BAL-2026-001-A03")
    assert a03.expires_on == "2026-11-01" and a03.expiry_from == "aliquot"
    assert a03.rule.startswith("solution at -20 °C: use within 1 month")
    assert "registry.toml" in a03.source and a03.storage_temperature_c == -20
    a04 = next(a for a in result.aliquots if a.label == "BAL-2026-001-A04")
    assert (a04.freeze_thaw_count, a04.max_thaws) == (3, 2)
    assert a04.reason == "thawed 3 times: re-frozen 2 times, more than the 1 allowed"
    solution, powder = result.stocks
    assert solution.concentration == "10 mM" and solution.concentration_molar == 0.01
    assert solution.expires_on == "2027-06-15" and solution.state == "ok"
    # README: the powder lot (2025-07-01, -20 °C) expires 2028-07-01 (36 months)
    assert powder.expires_on == "2028-07-01" and powder.concentration is None
    assert result.on == DAY and result.max_refreezes == 1


def test_net_peptide_figures() -> None:
    solution, powder = _run().stocks
    # 1 mL x 10 mM = 10 µmol x 1864.1 g/mol = 18.641 mg peptide; / 0.82 = 22.7329 mg powder
    assert solution.net_peptide_mg_per_ml == pytest.approx(18.641, rel=1e-12)
    assert solution.powder_mg_per_ml == pytest.approx(18.641 / 0.82, rel=1e-12)
    a01 = _run().aliquots[0]
    assert a01.volume_ul == 50.0
    assert a01.powder_mg == pytest.approx(0.05 * 18.641 / 0.82, rel=1e-12)
    assert a01.net_peptide_mg == pytest.approx(0.05 * 18.641, rel=1e-12)
    assert powder.peptide_content == 0.78 and powder.powder_mg_per_ml is None


def test_solubility_table_and_assessment() -> None:
    example = KINDS["inventory"].examples[0]
    assert "SIMULATED" in example.note
    result = run_kind("inventory", example_inputs(example), dict(example.options)).result
    facts = {f.solvent: f.solubility for f in result.solubility}
    assert facts == {"water": "100 mg/mL", "DMSO": "soluble"}
    assert "nan" not in result.solubility_summary().to_csv().lower()
    a = result.assessment
    assert a is not None and a.unit == "ug/mL"
    pbs, medium = a.samples
    # R: lm(response ~ conc) on the standards, inverted predict(interval = "prediction",
    # pred.var = sigma^2 / m) (tests/compounds/test_inventory.py; tests/app/test_cli_inventory.py):
    # PBS 24323.6606206 [24115.8213, 24532.9228], medium lower 17038.1805446 (1:1000, 1 reading)
    assert pbs.concentration == pytest.approx(24323.6606206, rel=1e-9)
    assert (pbs.lower, pbs.upper) == (
        pytest.approx(24115.8213, rel=1e-8),
        pytest.approx(24532.9228, rel=1e-8),
    )
    assert medium.lower == pytest.approx(17038.1805446, rel=1e-8)
    # without the CSV: no assessment; with it but no unit: the option is named
    assert _run().assessment is None
    with pytest.raises(InputError) as caught:
        run_kind("inventory", example_inputs(example), {"on": DAY})
    assert caught.value.place.field == "solubility_unit"


def _bad(old: str, new: str) -> InputError:
    text = TOML.read_text("utf-8")
    assert old in text
    with pytest.raises(InputError) as caught:
        _run(text.replace(old, new, 1).encode(), name="bad.toml")
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "block", "field", "words"),
    [
        (
            "prepared_on = 2025-07-01",
            "prepared_on = 2099-07-01",
            "[[stock]] #2",
            "prepared_on",
            "2099-07-01 is in the future",
        ),
        (
            'compound = "POL6326"',
            'compound = "aspirin"',
            "[[stock]] #2",
            "compound",
            "no compound 'aspirin'",
        ),
        (
            "storage_temperature_C = -20   #",
            "storage_temperature_C = 4   #",
            "[[stock]] #2",
            "storage_temperature_C",
            "no storage rule of balixafortide covers lyophilised powder at 4 °C",
        ),
        (  # a -70 °C freezer is not the -80 °C rule (the aliquot's own temperature)
            'volume = "50 µL"\nprepared_on = 2026-10-01\nstorage_temperature_C = -20',
            'volume = "50 µL"\nprepared_on = 2026-10-01\nstorage_temperature_C = -70',
            "[[stock]] #1 [[stock.aliquot]] #3",
            "storage_temperature_C",
            "covers solution at -70 °C",
        ),
        (
            "prepared_on = 2026-10-01",
            "prepared_on = 2026-01-01",
            "[[stock]] #1 [[stock.aliquot]] #3",
            "prepared_on",
            "before its stock was prepared (2026-06-15)",
        ),
        (
            'label = "BAL-2026-001-A02"',
            'label = "BAL-2026-001-A01"',
            "[[stock]] #1 [[stock.aliquot]] #2",
            "label",
            "is given twice",
        ),
        (
            'concentration = "10 mM"',
            'concentration = "0 mM"',
            "[[stock]] #1",
            "concentration",
            "must be > 0",
        ),
    ],
)
def test_bad_inputs_name_the_file_and_the_table(
    old: str, new: str, block: str, field: str, words: str
) -> None:
    error = _bad(old, new)
    assert error.place.file == "bad.toml"
    assert error.place.block == block and error.place.field == field
    assert words in error.message
    assert str(error).startswith(f"bad.toml, block '{block}', {field}: ")


def test_a_preparation_after_the_status_date_and_a_bad_date_option() -> None:
    text = TOML.read_bytes()
    with pytest.raises(InputError) as caught:
        check_inventory(text, "inv.toml", on=date(2026, 6, 1), today=date(2026, 12, 3))
    assert caught.value.place.block == "[[stock]] #1"
    assert "after the date the statuses are computed on (2026-06-01)" in caught.value.message
    with pytest.raises(InputError) as caught:
        _run(on="3 Dec 2026")
    assert caught.value.place.field == "on"
    with pytest.raises(InputError) as caught:
        _run(max_refreezes="-1")
    assert caught.value.place.field == "max_refreezes"


def test_the_report_section_shows_statuses_figures_and_no_nan() -> None:
    example = KINDS["inventory"].examples[0]
    result = run_kind("inventory", example_inputs(example), dict(example.options)).result
    html = render(7, "inventory", result)
    assert html.count("<svg") == 2  # the expiry timeline and the calibration line
    assert "2 aliquots not to use" in html and "over-thawed" in html
    assert "100 mg/mL" in html and "24,323.7" in html
    assert not re.search(r">\s*nan\s*<", html.lower())


def test_the_terminal_view_through_the_cli(cli: Callable[..., CliRun]) -> None:
    run = cli(
        "analyze", "inventory", str(TOML), "--solubility", str(INVENTORY / "solubility.csv"),
        "--on", DAY, "--solubility-unit", "ug/mL", "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    for words in (
        "BAL-2026-001-A03",
        "expired",
        "over-thawed",
        "volume (µL)",
        "storage (°C)",
        "2028-07-01",
        "100 mg/mL",
        "24,323.7 ug/mL",
        "24,115.8 – 24,532.9 ug/mL",
    ):
        assert words in run.out, words
    assert "nan" not in run.out.lower()
