"""Regimen comparison: invariants that must hold in one virtual population, the verdict, the
schedule parser and its errors, and the JSON round trip."""

from __future__ import annotations

import itertools
import json
from functools import lru_cache

import numpy as np
import pytest

from cxcr4lab.core.errors import InputError, Place, UnitError
from cxcr4lab.pkpd.comparison import (
    RegimenComparison,
    compare_regimens,
    default_candidates,
    describe,
    parse_days,
    parse_schedule,
)
from cxcr4lab.pkpd.regimen_simulation import SimulationSettings, proportion_ci
from cxcr4lab.workflows import result_types

SETTINGS = SimulationSettings(n_patients=60, cycles=2, seed=11)


@lru_cache(maxsize=1)
def defaults() -> RegimenComparison:
    return compare_regimens(settings=SETTINGS)


def test_default_candidates() -> None:
    names = [r.title for r in default_candidates()]
    assert len(names) == 10 and len(set(names)) == 10
    assert names[-1] == "balixafortide 5.5 mg/kg d1-3 + eribulin 1.1 mg/m^2 d2,9"
    trial = next(
        r for r in default_candidates() if r.title.startswith("balixafortide 5.5 mg/kg d1-3,8")
    )
    assert trial.drug("eribulin").days == (2, 9) and trial.drug("balixafortide").infusion_h == 2.0


def test_higher_balixafortide_dose_gives_more_time_above_target() -> None:
    rows = [r for r in defaults().rows if "d1-3,8-10" in r.name and "1.4 mg/m^2" in r.name]
    assert [r.regimen.drug("balixafortide").dose.amount for r in rows] == [2.0, 3.0, 4.0, 5.5]
    for a, b in itertools.pairwise(rows):
        assert b.above[1] > a.above[1] and b.above[0] >= a.above[0] and b.cmax > a.cmax
        assert b.p_held >= a.p_held
    # balixafortide has no effect on the ANC in the model: identical neutropenia
    assert len({(r.grade3, r.grade4, r.nadir) for r in rows}) == 1


def test_reduced_eribulin_gives_less_neutropenia() -> None:
    by_name = {r.name: r for r in defaults().rows}
    for full in [n for n in by_name if "eribulin 1.4" in n]:
        reduced = by_name[full.replace("eribulin 1.4", "eribulin 1.1")]
        assert reduced.grade3 < by_name[full].grade3
        assert reduced.nadir[1] > by_name[full].nadir[1]
        assert reduced.above == by_name[full].above  # occupancy does not depend on eribulin


def test_days_1_to_3_only_leave_day_9_uncovered() -> None:
    result = defaults()
    short = result.row("balixafortide 5.5 mg/kg d1-3 + eribulin 1.4 mg/m^2 d2,9")
    full = result.row("balixafortide 5.5 mg/kg d1-3,8-10 + eribulin 1.4 mg/m^2 d2,9")
    assert full.p_held > 0.9 > 0.5 > short.p_held
    assert short.above[1] < full.above[1] / 1.5
    assert not result.meets_both(short)


def test_verdict_follows_the_thresholds() -> None:
    result = defaults()
    for r in result.rows:
        assert result.meets_both(r) == (r.p_held >= 0.9 and r.p_grade3 <= 0.5)
    strict = compare_regimens(default_candidates()[:2], SETTINGS, limit=0.0)
    assert not any(strict.meets_both(r) for r in strict.rows)
    assert strict.summary()["meets both"].tolist() == [False, False]


def test_confidence_intervals_are_exact() -> None:
    r = defaults().rows[0]
    assert r.ci("grade3") == proportion_ci(r.grade3, r.n)
    frame = defaults().summary()
    assert (
        frame.loc[0, "P(grade>=3) 95% CI lower"]
        <= r.p_grade3
        <= frame.loc[0, "P(grade>=3) 95% CI upper"]
    )
    with pytest.raises(InputError):
        r.ci("nope")


def test_round_trip() -> None:
    result = defaults()
    back = RegimenComparison.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.to_dict() == result.to_dict()
    assert result_types()["regimen_comparison"] is RegimenComparison
    assert result.notes[0].startswith("SIMULATED")


def test_parse_schedule_and_describe() -> None:
    reg = parse_schedule("Balixafortide 500 ug/kg d1-3,8-10; eribulin 1.4 mg/m^2 d2, 9")
    assert [describe(d) for d in reg.drugs] == ["0.5 mg/kg d1-3,8-10", "1.4 mg/m^2 d2,9"]
    assert parse_days("1-3,8,10-11") == (1, 2, 3, 8, 10, 11)


@pytest.mark.parametrize(
    ("text", "error", "needle"),
    [
        ("docetaxel 5 mg/kg d1", InputError, "unknown drug 'docetaxel'"),
        ("balixafortide -5 mg/kg d1-3", InputError, "positive"),
        ("balixafortide 5 mL d1-3", UnitError, "not a dose"),
        ("balixafortide 5 mg/kg d3-1", InputError, "backwards"),
        ("balixafortide 5 mg/kg", InputError, "cannot read"),
        ("eribulin 1.4 mg/m^2 d2,22", InputError, "after the end"),
    ],
)
def test_schedule_errors_name_the_place(text: str, error: type[Exception], needle: str) -> None:
    with pytest.raises(error, match=needle) as err:
        parse_schedule(text, place=Place(field="--schedule"))
    assert isinstance(err.value, InputError) and err.value.place.field == "--schedule"


def test_bad_comparison_input() -> None:
    with pytest.raises(InputError) as err:
        compare_regimens(default_candidates()[:1], SETTINGS, limit=1.5)
    assert err.value.place.field == "limit"
    with pytest.raises(InputError) as err:
        compare_regimens(default_candidates()[:1], SETTINGS, hold_fraction=0.0)
    assert err.value.place.field == "held-by"
    twice = (default_candidates()[0], default_candidates()[0])
    with pytest.raises(InputError, match="twice"):
        compare_regimens(twice, SETTINGS)
    with pytest.raises(InputError, match="no schedules"):
        compare_regimens((), SETTINGS)
    assert np.isfinite(defaults().rows[0].auc)
