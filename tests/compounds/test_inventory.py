"""Stock inventory domain: expiry per storage rule at the boundaries, freeze-thaw limits, net
peptide weight by hand, the solubility table, and the solubility assessment against R."""

from __future__ import annotations

import math
from datetime import date

import pytest

from cxcr4lab.compounds import load_registry
from cxcr4lab.compounds.inventory import (
    add_months,
    aliquot_status,
    assess_solubility,
    expiry,
    net_peptide_stock,
    parse_form,
    read_solubility_csv,
    solubility_table,
    storage_rule,
)
from cxcr4lab.core.errors import InputError

BAL = load_registry().get("balixafortide")


# --- expiry -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "temperature", "months", "prepared", "expires"),
    [
        # seed 001 handling table: lyophilised powder at -20 °C, stable for 36 months
        ("lyophilised powder", -20, 36, date(2026, 3, 1), date(2029, 3, 1)),
        # seed 001 stability table: solution at -80 °C up to 1 year, at -20 °C up to 1 month
        ("solution", -80, 12, date(2026, 3, 1), date(2027, 3, 1)),
        ("solution", -20, 1, date(2026, 3, 1), date(2026, 4, 1)),
        ("solution", -20, 1, date(2026, 1, 31), date(2026, 2, 28)),  # clamped to the month end
        ("solution", -20, 1, date(2028, 1, 31), date(2028, 2, 29)),  # leap year
    ],
)
def test_expiry_per_rule_and_its_boundary_day(
    form: str, temperature: float, months: float, prepared: date, expires: date
) -> None:
    e = expiry(BAL, form, temperature, prepared)
    assert e.rule.months == months
    assert e.expires_on == expires
    # the day before the boundary is still usable; the boundary day is expired
    assert not e.expired(date.fromordinal(expires.toordinal() - 1))
    assert e.expired(expires)
    assert "balixafortide" in e.source and f"{months:g} month" in e.source


def test_the_powder_rule_source_is_stated() -> None:
    e = expiry(BAL, "powder", -20, date(2026, 1, 1))
    # the registry's 36 months (seed 001 handling table); the other source's >= 12 months noted
    assert e.rule.describe().startswith("lyophilised powder at -20 °C: stable for 36 months")
    assert ">= 12 months" in e.source


@pytest.mark.parametrize(
    ("form", "temperature"), [("solution", 4), ("solution", -70), ("lyophilised powder", -80)]
)
def test_a_temperature_no_rule_covers_is_refused(form: str, temperature: float) -> None:
    with pytest.raises(InputError, match="no storage rule of balixafortide covers") as info:
        storage_rule(BAL, form, temperature)
    assert info.value.place.field == "storage temperature"
    assert "solution at -80 °C: use within 12 months" in str(info.value)


def test_forms_are_read_forgivingly_and_unknown_ones_refused() -> None:
    assert parse_form("Lyophilized") == "lyophilised powder"
    assert parse_form("stock  solution") == "solution"
    with pytest.raises(InputError, match="form must be one of"):
        parse_form("gel")


def test_add_months_fractional_months_count_days() -> None:
    assert add_months(date(2026, 1, 1), 0.5) == date(2026, 1, 16)  # 15.2 days -> 15


# --- aliquot status -----------------------------------------------------------------------------


def _status(on: date, thaws: int = 0, **kw: object) -> str:
    args: dict[str, object] = {
        "label": "BAL-A01",
        "compound": BAL,
        "form": "solution",
        "stock_prepared_on": date(2026, 1, 10),
        "stock_temperature_c": -80,
        "prepared_on": date(2026, 1, 10),
        "temperature_c": -20,
        "thaws": thaws,
        "on": on,
    }
    args.update(kw)
    return aliquot_status(**args).state  # type: ignore[arg-type]


def test_aliquot_expires_by_its_own_rule_at_the_boundary() -> None:
    assert _status(date(2026, 2, 9)) == "ok"
    assert _status(date(2026, 2, 10)) == "expired"


def test_aliquot_expires_no_later_than_its_stock() -> None:
    # stock (-80 °C, 12 months) made 2025-03-01 expires 2026-03-01; a -20 °C aliquot made
    # 2026-02-15 would last to 2026-03-15 on its own
    kw = {"stock_prepared_on": date(2025, 3, 1), "prepared_on": date(2026, 2, 15)}
    assert _status(date(2026, 2, 28), **kw) == "ok"
    s = aliquot_status(
        label="X",
        compound=BAL,
        form="solution",
        stock_prepared_on=date(2025, 3, 1),
        stock_temperature_c=-80,
        prepared_on=date(2026, 2, 15),
        temperature_c=-20,
        thaws=0,
        on=date(2026, 3, 1),
    )
    assert s.state == "expired" and s.expires_on == date(2026, 3, 1)
    assert "stock prepared 2025-03-01" in s.reason


def test_freeze_thaw_default_allows_one_refreeze() -> None:
    on = date(2026, 1, 20)
    assert [_status(on, thaws=n) for n in range(4)] == ["ok", "ok", "ok", "over-thawed"]
    # no re-freeze allowed: the second thaw is one too many
    assert [_status(on, thaws=n, max_refreezes=0) for n in range(3)] == [
        "ok",
        "ok",
        "over-thawed",
    ]
    s = aliquot_status(
        label="X",
        compound=BAL,
        form="solution",
        stock_prepared_on=date(2026, 1, 10),
        stock_temperature_c=-80,
        prepared_on=date(2026, 1, 10),
        temperature_c=-80,
        thaws=3,
        on=on,
    )
    assert s.reason == "thawed 3 times: re-frozen 2 times, more than the 1 allowed"


def test_expired_wins_over_over_thawed_and_both_reasons_are_kept() -> None:
    s = aliquot_status(
        label="X",
        compound=BAL,
        form="solution",
        stock_prepared_on=date(2026, 1, 10),
        stock_temperature_c=-80,
        prepared_on=date(2026, 1, 10),
        temperature_c=-20,
        thaws=5,
        on=date(2026, 6, 1),
    )
    assert s.state == "expired" and len(s.reasons) == 2
    with pytest.raises(InputError, match="whole number >= 0"):
        _status(date(2026, 1, 20), max_refreezes=-1)


# --- net peptide weight -------------------------------------------------------------------------


def test_net_peptide_weight_by_hand() -> None:
    # 1 mL of 10 mM: 1e-5 mol x 1864.1 g/mol = 18.641 mg of peptide; at 80 % net peptide
    # content (TFA salt) weigh 18.641 / 0.80 = 23.30125 mg of powder
    w = net_peptide_stock(
        mw_g_per_mol=1864.1,
        peptide_content=0.80,
        concentration="10 mM",
        volume="1 mL",
        salt_form="TFA salt",
    )
    assert w.stock.mass_g == pytest.approx(18.641e-3, rel=1e-12)
    assert w.gross_mass_g == pytest.approx(23.30125e-3, rel=1e-12)
    assert "TFA salt" in w.describe()
    rows = w.summary().set_index("field")
    assert rows.loc["gross_mass_to_weigh", "value"] == pytest.approx(23.30125, rel=1e-12)
    assert rows.loc["gross_mass_to_weigh", "unit"] == "mg"


def test_net_peptide_volume_from_a_weighed_mass() -> None:
    # 5 mg powder x 0.75 = 3.75 mg peptide; V = 3.75e-3 / (1864.1 x 0.001) = 2.01169 mL at 1 mM
    w = net_peptide_stock(
        mw_g_per_mol=1864.1, peptide_content=0.75, gross_mass="5 mg", concentration="1 mM"
    )
    assert w.stock.volume_l == pytest.approx(3.75e-3 / (1864.1 * 1e-3), rel=1e-12)
    assert w.gross_mass_g == pytest.approx(5e-3, rel=1e-12)


@pytest.mark.parametrize("content", [0, 1.2, -0.5, math.nan, "80%"])
def test_peptide_content_must_be_a_fraction(content: object) -> None:
    with pytest.raises(InputError) as info:
        net_peptide_stock(
            mw_g_per_mol=1864.1,
            peptide_content=content,  # type: ignore[arg-type]
            concentration="1 mM",
            volume="1 mL",
        )
    assert info.value.place.field == "peptide_content"


# --- solubility ---------------------------------------------------------------------------------


def test_solubility_table_shows_text_never_nan() -> None:
    table = solubility_table(BAL)
    rows = table.set_index("solvent")["solubility"].to_dict()
    assert rows == {"water": "100 mg/mL", "DMSO": "soluble"}
    assert not table.isna().any().any()
    assert "nan" not in table.to_string().lower()


STANDARDS_X = [0, 10, 25, 50, 100, 200]  # µg/mL (SIMULATED)
STANDARDS_Y = [1.8, 52.1, 128.9, 251.2, 507.6, 1003.4]  # peak area


def test_solubility_assessment_against_R() -> None:
    # R 4.x (Rscript):
    #   x <- c(0, 10, 25, 50, 100, 200); y <- c(1.8, 52.1, 128.9, 251.2, 507.6, 1003.4)
    #   fit <- lm(y ~ x)
    #   coef(fit)  # 2.57926953981 5.01175164354; sigma(fit) 2.398675371
    #   summary(fit)$coefficients[, 2]  # SE 1.3377426713040 0.0142033363116
    #   inv <- function(y0, m, dil) {   # invert predict()'s prediction band at mean(y0)
    #     pv <- sigma(fit)^2 / m
    #     x0 <- (mean(y0) - coef(fit)[1]) / coef(fit)[2]
    #     f_lo <- function(x) predict(fit, data.frame(x = x), interval = "prediction",
    #                                 pred.var = pv)[, "upr"] - mean(y0)
    #     f_hi <- function(x) predict(fit, data.frame(x = x), interval = "prediction",
    #                                 pred.var = pv)[, "lwr"] - mean(y0)
    #     c(x0, uniroot(f_lo, c(x0 - 100, x0), tol = 1e-12)$root,
    #       uniroot(f_hi, c(x0, x0 + 100), tol = 1e-12)$root) * dil }
    #   inv(c(612.3, 618.9, 605.1), 3, 200)  # 24323.6606206 24115.8212743 24532.9228497
    #   inv(95.4, 1, 1000)                   # 18520.6165553 17038.1805446 19997.4000743
    a = assess_solubility(
        STANDARDS_X,
        STANDARDS_Y,
        {"PBS": ([612.3, 618.9, 605.1], 200), "medium": ([95.4], 1000)},
        unit="µg/mL",
    )
    cal = a.calibration
    assert cal.intercept == pytest.approx(2.57926953981, rel=1e-9)
    assert cal.slope == pytest.approx(5.01175164354, rel=1e-10)
    assert cal.sigma == pytest.approx(2.398675371, rel=1e-9)
    assert cal.intercept_se == pytest.approx(1.3377426713040, rel=1e-9)
    assert cal.slope_se == pytest.approx(0.0142033363116, rel=1e-9)
    pbs, medium = a.samples
    for got, want in (
        ((pbs.concentration, pbs.lower, pbs.upper), (24323.6606206, 24115.8212743, 24532.9228497)),
        (
            (medium.concentration, medium.lower, medium.upper),
            (18520.6165553, 17038.1805446, 19997.4000743),
        ),
    ):
        assert got == pytest.approx(want, rel=1e-8)  # uniroot tol 1e-12 on ~100-wide brackets
    assert not pbs.extrapolated and pbs.readings == 3
    back = type(a).from_dict(a.to_dict())
    assert back == a


def test_an_unbounded_interval_is_none_not_nan() -> None:
    # a line whose slope is not clearly nonzero (t * SE(slope) > |slope|)
    a = assess_solubility([0, 1, 2, 3], [1.0, 3.0, 0.5, 2.6], {"s": ([2.0], 1)}, unit="µM")
    assert a.samples[0].lower is None and a.samples[0].upper is None


CSV = b"""type,name,concentration,response,dilution
standard,,0,1.8,
standard,,10,52.1,
standard,,25,128.9,
standard,,50,251.2,
standard,,100,507.6,
standard,,200,1003.4,
sample,PBS,,612.3,200
sample,PBS,,618.9,200
sample,PBS,,605.1,200
"""


def test_the_csv_gives_the_same_numbers() -> None:
    a = read_solubility_csv(CSV, "sol.csv", unit="ug/mL")
    assert a.samples[0].concentration == pytest.approx(24323.6606206, rel=1e-10)
    assert list(a.summary().columns)[5] == "solubility_ug_per_mL"


@pytest.mark.parametrize(
    ("row", "line", "column", "message"),
    [
        (4, b"standard,,-5,128.9,", "concentration", ">= 0"),
        (10, b"sample,PBS,,605.1,100", "dilution", "two dilutions"),
        (2, b"blank,,0,1.8,", "type", "standard or sample"),
        (10, b"sample,,,605.1,200", "name", "needs a name"),
        (10, b"sample,PBS,,605.1,0.5", "dilution", ">= 1"),
        (7, b"standard,,200,lots,", "response", "not a number"),
    ],
)
def test_bad_solubility_csv_names_the_place(
    row: int, line: bytes, column: str, message: str
) -> None:
    lines = CSV.splitlines()
    lines[row - 1] = line
    with pytest.raises(InputError) as info:
        read_solubility_csv(b"\n".join(lines), "sol.csv", unit="µg/mL")
    assert info.value.place.file == "sol.csv"
    assert (info.value.place.row, info.value.place.column) == (row, column)
    assert message in str(info.value)


def test_solubility_needs_a_concentration_unit_and_three_standards() -> None:
    with pytest.raises(InputError) as info:
        read_solubility_csv(CSV, "sol.csv", unit="mg")
    assert info.value.place.field == "unit"
    with pytest.raises(InputError, match="at least 3 standards"):
        assess_solubility([0, 1], [0, 1], {"s": ([1.0], 1)}, unit="µM")
