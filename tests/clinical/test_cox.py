"""Cox regression with covariates against R's survival::coxph on the public lung data.

The reference numbers were made with R 4.2.2, survival 3.4-0 (Debian bookworm r-cran-survival)::

    library(survival); d <- lung; d$status <- d$status - 1; d$sex <- factor(d$sex)
    f1 <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = d, ties = "efron")
    d$sex <- relevel(d$sex, ref = "2")
    f2 <- coxph(Surv(time, status) ~ age + sex + strata(inst), data = d, ties = "efron")
    d$sex <- relevel(d$sex, ref = "1")
    f3 <- coxph(Surv(time, status) ~ age * sex, data = d, ties = "efron")
    summary(f1)$coefficients; summary(f1)$conf.int; f1$loglik; summary(f1)$logtest; ...
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from lifelines.datasets import load_lung

from cxcr4lab.clinical.cox import CoxModel, CoxResult, fit_cox
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, run_kind

REL = 2e-5  # lifelines' Newton-Raphson stops at its own tolerance; R's at 1e-9 of the loglik
REL_P = 1e-4  # a two-sided p moves ~z times as much as z does


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return load_lung()


def terms(result: CoxResult) -> dict[str, tuple[float, float, float]]:
    return {t.term: (t.coef, t.se, t.p) for t in result.terms}


def test_main_effects_match_r_coxph(lung: pd.DataFrame) -> None:
    model = CoxModel("time", "status", ("age", "sex", "ph.ecog"), (("sex", "1"),))
    r = fit_cox(lung, model)
    expected = {  # coef, se(coef), Pr(>|z|)
        "age": (0.01106676456, 0.009267411014, 2.324156810e-01),
        "sex2": (-0.55261239570, 0.167739053787, 9.860513721e-04),
        "ph.ecog": (0.46372847537, 0.113577266162, 4.447066652e-05),
    }
    got = terms(r)
    assert list(got) == list(expected)
    for term, (coef, se, p) in expected.items():
        assert got[term][:2] == pytest.approx((coef, se), rel=REL), term
        assert got[term][2] == pytest.approx(p, rel=REL_P), term
    sex = next(t for t in r.terms if t.term == "sex2")
    assert (sex.hr, sex.hr_lower, sex.hr_upper) == pytest.approx(
        (0.5754445562, 0.4142130185, 0.7994351274), rel=REL
    )
    assert (r.n, r.events, r.dropped, r.df) == (227, 164, 1, 3)
    assert (r.loglik_null, r.loglik) == pytest.approx((-744.480455761, -729.230121375), rel=1e-8)
    assert r.lr_chisq == pytest.approx(30.50066877, rel=1e-6)
    assert r.lr_p == pytest.approx(1.082817699e-06, rel=1e-4)
    assert r.wald_chisq == pytest.approx(29.93, abs=0.005)  # R prints the Wald test rounded
    assert r.concordance == pytest.approx(0.637135493, rel=1e-6)


def test_strata_and_a_chosen_reference_match_r(lung: pd.DataFrame) -> None:
    model = CoxModel("time", "status", ("age", "sex"), (("sex", "2"),), strata=("inst",))
    r = fit_cox(lung, model)
    got = terms(r)
    assert got["age"] == pytest.approx((0.01920489834, 0.00987322481, 0.051756987280), rel=REL_P)
    assert got["sex1"] == pytest.approx((0.49235151865, 0.18156342931, 0.006693250907), rel=REL_P)
    assert (r.n, r.events) == (227, 164)
    assert (r.loglik_null, r.loglik) == pytest.approx((-329.827747636, -323.500707807), rel=1e-8)


def test_interaction_matches_r(lung: pd.DataFrame) -> None:
    model = CoxModel(
        "time", "status", ("age", "sex"), (("sex", "1"),), interactions=(("age", "sex"),)
    )
    r = fit_cox(lung, model)
    got = terms(r)
    assert list(got) == ["age", "sex2", "age:sex2"]
    assert got["age"] == pytest.approx((0.020342664744, 0.01139507451, 0.07422635302), rel=REL)
    assert got["sex2"] == pytest.approx((0.095322315805, 1.22871826310, 0.93816321843), rel=1e-3)
    assert got["age:sex2"] == pytest.approx(
        (-0.009688559039, 0.01941394220, 0.61774302887), rel=1e-3
    )
    assert r.loglik == pytest.approx(-742.724139992, rel=1e-8)


def test_the_kind_runs_its_example_and_round_trips() -> None:
    kind = KINDS["cox"]
    example = kind.examples[0]
    outcome = run_kind("cox", example_inputs(example), dict(example.options))
    result: CoxResult = outcome.result
    assert [t.term for t in result.terms] == ["age", "sex2", "ph.ecog"]
    assert outcome.parameters["formula"] == "Surv(time, status) ~ age + sex + ph.ecog"
    again = CoxResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_censor_column_and_paramcd_of_an_adtte(lung: pd.DataFrame, tmp_path: Path) -> None:
    adtte = lung.rename(columns={"time": "AVAL"}).assign(
        CNSR=1 - lung["status"], PARAMCD="OS", USUBJID=range(len(lung))
    )
    other = adtte.assign(PARAMCD="PFS", AVAL=adtte["AVAL"] / 2)
    content = pd.concat([adtte, other]).drop(columns="status").to_csv(index=False).encode()
    options = {
        "time": "aval",
        "censor": "CNSR",
        "paramcd": "OS",
        "covariate": ["age", "sex"],
        "categorical": "sex=1",
    }
    result = run_kind("cox", {"table": ("adtte.csv", content)}, options).result
    plain = fit_cox(lung, CoxModel("time", "status", ("age", "sex"), (("sex", "1"),)))
    got, expected = terms(result), terms(plain)
    assert list(got) == list(expected)
    for term in expected:
        assert got[term] == pytest.approx(expected[term], rel=1e-9), term


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"covariate": "age; nosuch"}, "nosuch"),
        ({"covariate": "age; sex", "categorical": "sex=9"}, "reference level '9'"),
        ({"covariate": "age", "categorical": "sex=1"}, "not a --covariate"),
        ({"covariate": "age", "categorical": "sex"}, "COLUMN=REFERENCE"),
        ({"covariate": "age", "interaction": "age:sex"}, "not a --covariate"),
        ({"covariate": "age", "interaction": "age"}, "A:B"),
        ({"covariate": "age", "conf_level": "1.5"}, "conf_level"),
        ({}, "covariate"),
    ],
)
def test_bad_options_are_one_clear_error(options: dict[str, str], message: str) -> None:
    files = example_inputs(KINDS["cox"].examples[0])
    with pytest.raises(InputError) as err:
        run_kind("cox", files, options)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(status=d["status"] * 2), "0 (censored) or 1 (event)"),
        (lambda d: d.assign(time=-d["time"]), "a time > 0"),
        (lambda d: d.assign(age="old"), "not numeric"),
        (lambda d: d.assign(age=60), "constant"),
        (lambda d: d.head(3), "did not converge"),
    ],
)
def test_bad_tables_name_the_place(lung: pd.DataFrame, change, message: str) -> None:  # type: ignore[no-untyped-def]
    content = change(lung).to_csv(index=False).encode()
    with pytest.raises(InputError) as err:
        run_kind("cox", {"table": ("lung.csv", content)}, {"covariate": "age"})
    assert message in str(err.value)
    assert "lung.csv" in str(err.value)
