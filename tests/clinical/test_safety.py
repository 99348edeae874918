"""AE incidence, exposure-adjusted rates (R's poisson.test) and the infusion-reaction aid."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from scipy.optimize import brentq
from scipy.stats import poisson
from statsmodels.stats.proportion import proportion_confint

from cxcr4lab.clinical.cdisc import read_clinical_bytes, validate_adae, validate_adsl
from cxcr4lab.clinical.safety import SafetyResult, ae_incidence, irr_action, poisson_rate_ci
from cxcr4lab.core.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "clinical"


def _read(name: str) -> pd.DataFrame:
    return read_clinical_bytes((EXAMPLES / name).read_bytes(), name)[0]


def test_poisson_rate_ci_against_r_poisson_test() -> None:
    # R: poisson.test(137, 24.19893) -> rate 5.661407, 95 percent CI 4.753125 6.692709
    rate, lo, hi = poisson_rate_ci(137, 24.19893)
    assert (rate, lo, hi) == pytest.approx((5.661407, 4.753125, 6.692709), abs=1e-6)
    # the exact bounds solve P(X >= k | mu) = 0.025 and P(X <= k | mu) = 0.025
    k, t = 7, 3.5
    low = brentq(lambda mu: poisson.sf(k - 1, mu) - 0.025, 1e-9, 100) / t
    high = brentq(lambda mu: poisson.cdf(k, mu) - 0.025, 1e-9, 100) / t
    assert poisson_rate_ci(k, t)[1:] == pytest.approx((low, high), rel=1e-9)
    assert poisson_rate_ci(0, 2.0)[1] == 0.0
    with pytest.raises(InputError, match="exposure"):
        poisson_rate_ci(3, 0.0)


def test_phase1b_table_is_reproduced_from_simulated_subject_level_data() -> None:
    sl = validate_adsl(_read("phase1b_adsl.csv"), "adsl")
    ae = validate_adae(_read("phase1b_adae.csv"), "adae", adsl=sl)
    r = ae_incidence(ae, sl)
    got = {t.term: t for t in r.terms}
    published = {  # seed_facts [trial.phase1b], n = 56, any grade
        "FATIGUE": 44,
        "NEUTROPENIA": 32,
        "INFUSION RELATED REACTION": 27,
        "ALOPECIA": 26,
        "CONSTIPATION": 26,
        "NAUSEA": 25,
    }
    for term, k in published.items():
        assert (got[term].n, got[term].n_any) == (56, k)
        assert got[term].ci_any == pytest.approx(
            tuple(100 * x for x in proportion_confint(k, 56, method="beta"))
        )
    serious = {"FEBRILE NEUTROPENIA": 5, "NEUTROPHIL COUNT DECREASED": 2, "PNEUMONIA": 2}
    for term, k in serious.items():
        assert got[term].n_serious == k
    assert got["SEPSIS"].n_grade3 == 1 and r.arms[0].max_grade_counts["grade 5"] == 1
    expansion = sl[sl["COHORT"] == "EXPANSION"]
    r_x = ae_incidence(ae[ae["USUBJID"].isin(expansion["USUBJID"])], expansion)
    neut = next(t for t in r_x.terms if t.term == "NEUTROPENIA")
    assert (neut.n, neut.n_grade3) == (24, 9)  # 9/24 grade 3/4 neutropenia
    assert r.terms[0].term == "ANY TEAE"


def test_counts_take_the_maximum_grade_once_per_subject_and_eair_counts_events() -> None:
    sl = validate_adsl(
        pd.DataFrame({"USUBJID": ["a", "b", "c"], "ARM": ["X", "X", "Y"], "TRTDURD": [365.25] * 3}),
        "adsl",
    )
    ae = validate_adae(
        pd.DataFrame(
            {
                "USUBJID": ["a", "a", "b", "c"],
                "AEDECOD": ["Nausea", "Nausea", "Nausea", "Rash"],
                "AETOXGR": [1, 3, 2, 2],
                "AESER": ["N", "Y", "N", "N"],
            }
        ),
        "adae",
        adsl=sl,
    )
    r = ae_incidence(ae, sl)
    nausea_x = next(t for t in r.terms if t.term == "NAUSEA" and t.arm == "X")
    assert (nausea_x.n_any, nausea_x.n_grade3, nausea_x.n_serious, nausea_x.n_events) == (
        2,
        1,
        1,
        3,
    )
    assert nausea_x.eair == pytest.approx(150.0)  # 3 events in 2 patient-years
    assert r.arms[0].max_grade_counts == {
        "none": 0,
        "grade 1": 0,
        "grade 2": 1,
        "grade 3": 1,
        "grade 4": 0,
        "grade 5": 0,
    }
    back = SafetyResult.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False)))
    assert back == r
    assert "EAIR (events/100 patient-years)" in r.summary().columns
    no_exposure = ae_incidence(ae, sl.drop(columns="TRTDURD"))
    assert no_exposure.terms[0].eair is None and "TRTDURD" in no_exposure.notes[0]
    with pytest.raises(InputError, match="not in ADSL"):
        ae_incidence(ae, sl, by="COHORT")


def test_infusion_reaction_aid_follows_the_seed_text() -> None:
    mild = irr_action(1)
    assert "antihistamines" in mild.action and "reduced rate" in mild.action
    severe = irr_action(3)
    assert "permanently discontinue" in severe.action and "epinephrine" in severe.detail
    assert irr_action(4).action == severe.action
    assert "seeds/001" in severe.source
    with pytest.raises(InputError, match="grade"):
        irr_action(0)
