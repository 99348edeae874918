"""Cox regression with covariates against R's survival::coxph and cox.zph, on the public lung
and Rossi data as bundled in ``src/cxcr4lab/examples/cox/`` (see its README for the sources).

The reference numbers were made with R 4.2.2 Patched, survival 3.5-3 (Debian bookworm)::

    library(survival)
    show <- function(f) {
      print(coef(summary(f)), digits = 10)           # coef, exp(coef), se(coef), z, p
      print(f$loglik, digits = 12)                     # null and fitted log-likelihood
      print(c(2 * diff(f$loglik), f$wald.test, f$score), digits = 12)   # LR, Wald, score
      print(f$concordance["concordance"], digits = 12)
      print(cox.zph(f, transform = "rank")$table, digits = 10)
    }
    rossi <- read.csv("src/cxcr4lab/examples/cox/rossi.csv")
    lung <- read.csv("src/cxcr4lab/examples/cox/lung.csv")   # status already 0/1
    d <- lung; d$sex <- factor(d$sex)
    show(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = d))                 # lung_efron
    show(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = d, ties = "breslow"))
                                                                              # lung_breslow
    show(coxph(Surv(time, status) ~ age * sex, data = d))                     # lung_interaction
    d$ph.ecog <- relevel(factor(d$ph.ecog), ref = "1")
    show(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = d, ties = "breslow"))
                                                                  # lung_ecog_factor_breslow
    d <- lung; d$sex <- relevel(factor(d$sex), ref = "2")
    show(coxph(Surv(time, status) ~ age + sex + strata(inst), data = d))         # lung_strata
    show(coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio,
               data = rossi, ties = "efron"))                                     # rossi_efron
    # ... and ties = "breslow"                                                  # rossi_breslow
    r2 <- rossi; r2$race <- relevel(factor(r2$race), ref = "1")
    show(coxph(Surv(week, arrest) ~ fin + age + race + prio + fin:age + strata(wexp),
               data = r2, ties = "breslow"))          # rossi_strata_breslow (and _efron)

Tolerances: coefficients and SEs to 1e-6 relative (the issue asks 1e-4 and 1e-3; both fits stop
at the maximum, R's at a 1e-9 relative change of the log-likelihood, ours one Newton step past
it), two-sided p and the PH tests to 1e-5 relative, log-likelihoods to 1e-9 relative, the LR,
Wald and score tests to 1e-6 and the concordance to 1e-9 (a count ratio: exact when the linear
predictors order the subjects as R's do). The largest differences seen over these nine fits:
coefficients 2.2e-9 absolute, SEs 1.0e-9, p 2.4e-7 relative, log-likelihoods 5e-10, LR, Wald and
score tests 4.9e-7 (on 33; R's Wald test is taken at R's stopping point), concordance 5e-13, PH
chi-squares 5.2e-8, their p 4.2e-9.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from cxcr4lab.clinical.cox import CoxModel, CoxResult, fit_cox
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, run_kind

COEF = 1e-6  # coefficients and SEs, relative
P = 1e-5  # two-sided p of the terms; chi-squares and p of the PH tests, relative
LOGLIK = 1e-9  # relative
TESTS = 1e-6  # LR, Wald and score chi-squares, relative
EXAMPLES = resources.files("cxcr4lab.examples").joinpath("cox")
SERIAL = Path(__file__).resolve().parents[1] / "data" / "serial" / "cox.json"


def bundled(name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(EXAMPLES.joinpath(name).read_bytes()))


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return bundled("lung.csv")


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    return bundled("rossi.csv")


def terms(result: CoxResult) -> dict[str, tuple[float, float, float]]:
    return {t.term: (t.coef, t.se, t.p) for t in result.terms}


@dataclass(frozen=True)
class Reference:
    """One ``coxph`` fit as R printed it (see the module docstring)."""

    data: str
    model: CoxModel
    terms: dict[str, tuple[float, float, float]]
    """term: (coef, se(coef), Pr(>|z|))."""
    loglik: tuple[float, float]
    lr_wald_score: tuple[float, float, float]
    concordance: float
    zph: dict[str, tuple[float, int, float]] = field(default_factory=dict)
    """term or GLOBAL: (chisq, df, p) of cox.zph(fit, transform = "rank")."""


ROSSI = ("fin", "age", "race", "wexp", "mar", "paro", "prio")
ROSSI_STRATA = CoxModel(
    "week",
    "arrest",
    ("fin", "age", "race", "prio"),
    (("race", "1"),),
    interactions=(("fin", "age"),),
    strata=("wexp",),
)

REFERENCES = {
    "lung_efron": Reference(
        "lung",
        CoxModel("time", "status", ("age", "sex", "ph.ecog"), (("sex", "1"),)),
        {
            "age": (0.01106676456, 0.009267411014, 2.324156810e-01),
            "sex2": (-0.55261239570, 0.167739053787, 9.860513721e-04),
            "ph.ecog": (0.46372847537, 0.113577266162, 4.447066652e-05),
        },
        (-744.480455761, -729.230121375),
        (30.5006687732, 29.9292512092, 30.4999227049),
        0.637135493,
        {
            "age": (0.117291507, 1, 0.7319908389),
            "sex": (2.044694680, 1, 0.1527376251),
            "ph.ecog": (2.544878393, 1, 0.1106524303),
            "GLOBAL": (4.710680141, 3, 0.1942504866),
        },
    ),
    "lung_breslow": Reference(
        "lung",
        CoxModel("time", "status", ("age", "sex", "ph.ecog"), (("sex", "1"),), ties="breslow"),
        {
            "age": (0.01104113635, 0.009266770114, 2.334666814e-01),
            "sex2": (-0.55188956979, 0.167742448021, 1.001514828e-03),
            "ph.ecog": (0.46294704059, 0.113574052061, 4.578373147e-05),
        },
        (-744.692819266, -729.488705177),
        (30.4082281788, 29.8390008397, 30.4064069153),
        0.637135493,
        {
            "age": (0.1176897376, 1, 0.7315537895),
            "sex": (2.0363214290, 1, 0.1535806593),
            "ph.ecog": (2.5414104757, 1, 0.1108956824),
            "GLOBAL": (4.6969177602, 3, 0.1953839605),
        },
    ),
    "lung_ecog_factor_breslow": Reference(
        "lung",
        CoxModel(
            "time",
            "status",
            ("age", "sex", "ph.ecog"),
            (("sex", "1"), ("ph.ecog", "1")),
            ties="breslow",
        ),
        {
            "age": (0.01077049274, 0.009311453049, 0.247397802615),
            "sex2": (-0.54511346701, 0.168231256617, 0.001194196211),
            "ph.ecog0": (-0.40969672774, 0.199605176850, 0.040117640749),
            "ph.ecog2": (0.49199248936, 0.189744576771, 0.009516493143),
            "ph.ecog3": (1.54634629670, 1.020993521871, 0.129886264000),
        },
        (-744.692819266, -729.304782346),
        (30.7760738395, 31.3439822366, 33.4654840462),
        0.63688280184,
        {
            "age": (0.098161800, 1, 0.7540467975),
            "sex": (2.117243278, 1, 0.1456484973),
            "ph.ecog": (6.003142188, 3, 0.1114574508),
            "GLOBAL": (7.989461855, 5, 0.1568173625),
        },
    ),
    "lung_interaction": Reference(
        "lung",
        CoxModel("time", "status", ("age", "sex"), (("sex", "1"),), interactions=(("age", "sex"),)),
        {
            "age": (0.020342664744, 0.01139507451, 0.07422635302),
            "sex2": (0.095322315805, 1.22871826310, 0.93816321843),
            "age:sex2": (-0.009688559039, 0.01941394220, 0.61774302887),
        },
        (-749.909801390, -742.724139992),
        (14.3713227971, 14.119953641, 14.5566878231),
        0.602403317678,
        {
            "age": (0.1124293826, 1, 0.7373950903),
            "sex": (2.3771191491, 1, 0.1231244165),
            "age:sex": (2.5628622050, 1, 0.1094003568),
            "GLOBAL": (2.9875966408, 3, 0.3935414863),
        },
    ),
    "lung_strata": Reference(  # no ties within an institution: Breslow gives the same
        "lung",
        CoxModel("time", "status", ("age", "sex"), (("sex", "2"),), strata=("inst",)),
        {
            "age": (0.01920489834, 0.00987322481, 0.051756987280),
            "sex1": (0.49235151865, 0.18156342931, 0.006693250907),
        },
        (-329.827747636, -323.500707807),
        (12.6540796594, 12.0651870683, 12.3215302941),
        0.616390306122,
        {
            "age": (0.04021885314, 1, 0.8410532836),
            "sex": (2.24652373794, 1, 0.1339149378),
            "GLOBAL": (2.26586735828, 2, 0.3220869692),
        },
    ),
    "rossi_efron": Reference(
        "rossi",
        CoxModel("week", "arrest", ROSSI),
        {
            "fin": (-0.37942216649, 0.19137948071, 0.047416094866),
            "age": (-0.05743774268, 0.02199947060, 0.009031239904),
            "race": (0.31389978784, 0.30799277656, 0.308117966977),
            "wexp": (-0.14979569767, 0.21222429625, 0.480289694009),
            "mar": (-0.43370387794, 0.38186805767, 0.256064243381),
            "paro": (-0.08487108250, 0.19575667191, 0.664612365679),
            "prio": (0.09149708099, 0.02864854996, 0.001404245279),
        },
        (-675.380632347, -658.747659446),
        (33.2659458016, 32.1126106806, 33.5286888997),
        0.6403292471,
        {
            "fin": (1.38380845141, 1, 0.23945349328),
            "age": (0.89642146157, 1, 0.34374306452),
            "race": (2.25997815120, 1, 0.13275593400),
            "wexp": (4.15968375317, 1, 0.04139713259),
            "mar": (0.08959214185, 1, 0.76469630445),
            "paro": (0.02185165569, 1, 0.88248241370),
            "prio": (1.64080345194, 1, 0.20021526697),
            "GLOBAL": (11.02518340712, 7, 0.13752429886),
        },
    ),
    "rossi_breslow": Reference(
        "rossi",
        CoxModel("week", "arrest", ROSSI, ties="breslow"),
        {
            "fin": (-0.37902188743, 0.19136442586, 0.047632920090),
            "age": (-0.05724592504, 0.02198318573, 0.009212185334),
            "race": (0.31412976691, 0.30801727974, 0.307802155708),
            "wexp": (-0.15111460006, 0.21212316088, 0.476222776575),
            "mar": (-0.43278257376, 0.38179493526, 0.256984538315),
            "paro": (-0.08498283527, 0.19574820731, 0.664184151814),
            "prio": (0.09111154209, 0.02863125296, 0.001461402456),
        },
        (-675.683389417, -659.120605677),
        (33.1255674803, 31.9810174608, 33.3828204241),
        0.640423183505,
        {
            "fin": (1.37093614993, 1, 0.24165110532),
            "age": (0.89320219597, 1, 0.34461101595),
            "race": (2.24505796207, 1, 0.13404188573),
            "wexp": (4.12812300971, 1, 0.04217610623),
            "mar": (0.08934274533, 1, 0.76501438743),
            "paro": (0.02059223237, 1, 0.88589535975),
            "prio": (1.61809052864, 1, 0.20335824177),
            "GLOBAL": (10.93230986374, 7, 0.14159900714),
        },
    ),
    "rossi_strata_breslow": Reference(
        "rossi",
        replace(ROSSI_STRATA, ties="breslow"),
        {
            "fin": (1.59191199869, 1.03446335896, 0.1238342968839),
            "age": (-0.02649779401, 0.02624708975, 0.3127101214076),
            "race0": (-0.35028790251, 0.30739873256, 0.2544851125374),
            "prio": (0.09361810198, 0.02812706641, 0.0008734664474),
            "fin:age": (-0.08638813530, 0.04530849370, 0.0565639358691),
        },
        (-593.089435561, -580.212806855),
        (25.7532574107, 21.2313386853, 22.5880068567),
        0.617682198327,
        {
            "fin": (0.9640034013, 1, 0.32618028061),
            "age": (2.7668224029, 1, 0.09623703268),
            "race": (1.8825836035, 1, 0.17004079469),
            "prio": (0.6312443248, 1, 0.42689925448),
            "fin:age": (1.9252208648, 1, 0.16528225606),
            "GLOBAL": (7.6739551716, 5, 0.17514369469),
        },
    ),
    "rossi_strata_efron": Reference(
        "rossi",
        ROSSI_STRATA,
        {
            "fin": (1.60229876396, 1.03572310977, 0.1218550708677),
            "age": (-0.02656053251, 0.02626521262, 0.3118997735206),
            "race0": (-0.35275811854, 0.30741562660, 0.2511767973228),
            "prio": (0.09403210501, 0.02814167450, 0.0008336222506),
            "fin:age": (-0.08686456690, 0.04536749165, 0.0555323750251),
        },
        (-592.773120256, -579.814545007),
        (25.9171504992, 21.3431240778, 22.7161927062),
        0.617682198327,
        {
            "fin": (0.9661368038, 1, 0.32564554235),
            "age": (2.7815681725, 1, 0.09535476124),
            "race": (1.8988966156, 1, 0.16820187485),
            "prio": (0.6335804407, 1, 0.42604501833),
            "fin:age": (1.9332574344, 1, 0.16440250538),
            "GLOBAL": (7.7332783870, 5, 0.17156074512),
        },
    ),
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_against_r_coxph(name: str, lung: pd.DataFrame, rossi: pd.DataFrame) -> None:
    ref = REFERENCES[name]
    r = fit_cox(lung if ref.data == "lung" else rossi, ref.model)
    got = terms(r)
    assert list(got) == list(ref.terms)
    for term, (coef, se, p) in ref.terms.items():
        assert got[term][:2] == pytest.approx((coef, se), rel=COEF), term
        assert got[term][2] == pytest.approx(p, rel=P), term
    assert (r.loglik_null, r.loglik) == pytest.approx(ref.loglik, rel=LOGLIK)
    assert (r.lr_chisq, r.wald_chisq, r.score_chisq) == pytest.approx(ref.lr_wald_score, rel=TESTS)
    assert r.concordance == pytest.approx(ref.concordance, rel=1e-9)
    assert r.df == len(ref.terms)
    ph = {t.term: (t.chisq, t.df, t.p) for t in r.ph_tests}
    assert list(ph) == list(ref.zph)
    for term, (chisq, df, p) in ref.zph.items():
        assert ph[term] == pytest.approx((chisq, df, p), rel=P), term


def test_main_effects_hr_ci_and_counts_match_r(lung: pd.DataFrame) -> None:
    r = fit_cox(lung, REFERENCES["lung_efron"].model)
    sex = next(t for t in r.terms if t.term == "sex2")
    # R: summary(f)$conf.int["sex2", ]: exp(coef) 0.5754445562, lower .95 0.4142130185,
    # upper .95 0.7994351274
    assert (sex.hr, sex.hr_lower, sex.hr_upper) == pytest.approx(
        (0.5754445562, 0.4142130185, 0.7994351274), rel=COEF
    )
    assert (r.n, r.events, r.dropped, r.df) == (227, 164, 1, 3)
    assert r.lr_p == pytest.approx(1.082817699e-06, rel=P)
    assert (r.model.ties, r.source) == ("efron", "table")


def test_breslow_and_efron_differ_only_with_tied_event_times(rossi: pd.DataFrame) -> None:
    efron = fit_cox(rossi, CoxModel("week", "arrest", ("fin", "prio")))
    breslow = fit_cox(rossi, CoxModel("week", "arrest", ("fin", "prio"), ties="breslow"))
    assert efron.terms[0].coef != pytest.approx(breslow.terms[0].coef, rel=1e-4)
    untied = rossi.assign(week=rossi["week"] + rossi.index / 1000)  # every time distinct
    a = fit_cox(untied, CoxModel("week", "arrest", ("fin", "prio")))
    b = fit_cox(untied, CoxModel("week", "arrest", ("fin", "prio"), ties="breslow"))
    for (term, got), expected in zip(terms(a).items(), terms(b).values(), strict=True):
        assert got == pytest.approx(expected, rel=1e-9), term


def test_the_kind_runs_its_example_and_round_trips() -> None:
    kind = KINDS["cox"]
    example = kind.examples[0]
    outcome = run_kind("cox", example_inputs(example), dict(example.options))
    result: CoxResult = outcome.result
    assert [t.term for t in result.terms] == ["age", "sex2", "ph.ecog"]
    assert outcome.parameters["formula"] == "Surv(time, status) ~ age + sex + ph.ecog"
    assert outcome.parameters["ties"] == "efron"
    again = CoxResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    assert "ties" not in result.to_dict()["model"]  # the default is not written


def test_the_rossi_example_is_rs_breslow_fit() -> None:
    example = KINDS["cox"].examples[1]
    outcome = run_kind("cox", example_inputs(example), dict(example.options))
    result: CoxResult = outcome.result
    ref = REFERENCES["rossi_breslow"]
    got = terms(result)
    assert list(got) == list(ref.terms)
    for term, expected in ref.terms.items():
        assert got[term] == pytest.approx(expected, rel=P), term
    assert result.model.ties == "breslow" and result.time_unit == "weeks"
    assert outcome.parameters["ties"] == "breslow"
    assert "(breslow ties)" in outcome.title
    d = result.to_dict()
    assert d["model"]["ties"] == "breslow"
    assert CoxResult.from_dict(json.loads(json.dumps(d))) == result


def test_a_result_stored_before_ties_and_the_score_test_still_reads() -> None:
    old = CoxResult.from_dict(json.loads(SERIAL.read_text(encoding="utf-8")))
    assert (old.model.ties, old.score_chisq, old.score_p) == ("efron", None, None)
    assert "Grambsch-Therneau" in old.ph_method


def test_censor_column_and_paramcd_of_an_adtte(lung: pd.DataFrame, tmp_path: Path) -> None:
    adtte = lung.rename(columns={"time": "AVAL"}).assign(
        CNSR=1 - lung["status"], PARAMCD="OS", USUBJID=range(len(lung))
    )
    other = adtte.assign(PARAMCD="PFS", AVAL=adtte["AVAL"] / 2)
    content = pd.concat([adtte, other]).drop(columns="status").to_csv(index=False).encode()
    options: dict[str, object] = {
        "time": "aval",
        "censor": "CNSR",
        "paramcd": "OS",
        "covariate": ["age", "sex"],
        "categorical": "sex=1",
        "ties": "breslow",
    }
    result = run_kind("cox", {"table": ("adtte.csv", content)}, options).result
    plain = fit_cox(
        lung, CoxModel("time", "status", ("age", "sex"), (("sex", "1"),), ties="breslow")
    )
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
        ({"covariate": "age", "ties": "exact"}, "ties: must be one of 'efron', 'breslow'"),
        ({}, "covariate"),
    ],
)
def test_bad_options_are_one_clear_error(options: dict[str, object], message: str) -> None:
    files = example_inputs(KINDS["cox"].examples[0])
    with pytest.raises(InputError) as err:
        run_kind("cox", files, options)
    assert message in str(err.value)


def test_an_unknown_ties_value_given_to_the_domain_is_one_clear_error(lung: pd.DataFrame) -> None:
    model = CoxModel("time", "status", ("age",), ties="exact")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"^ties: must be one of 'efron', 'breslow'; got 'exact'"):
        fit_cox(lung, model)


def _text_time(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(time=d["time"].astype(str).where(d.index != 5, "ten days"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.assign(status=d["status"] * 2),
            "row 2, column 'status': must be 0 (censored) ",
        ),
        (lambda d: d.assign(status=d["status"] + 1), "R's 1 = censored, 2 = event coding?"),
        (
            lambda d: d.assign(time=-d["time"]),
            "row 2, column 'time': must be a time > 0; got '-306'",
        ),
        (lambda d: d.assign(time=d["time"] * 0), "row 2, column 'time': must be a time > 0"),
        (_text_time, "row 7, column 'time': must be a number (a time > 0); got 'ten days'"),
        (lambda d: d.assign(age="old"), "column 'age': is not numeric ('old')"),
        (lambda d: d.assign(age=60), "constant"),
        (lambda d: d.assign(sex=d["age"] * 2), "'sex' is a linear combination"),
        (lambda d: d.head(3), "did not converge"),
    ],
)
def test_bad_tables_name_the_place(lung: pd.DataFrame, change, message: str) -> None:  # type: ignore[no-untyped-def]
    content = change(lung).to_csv(index=False).encode()
    options: dict[str, object] = {"covariate": "age; sex" if "sex" in message else "age"}
    with pytest.raises(InputError) as err:
        run_kind("cox", {"table": ("lung.csv", content)}, options)
    assert message in str(err.value)
    assert str(err.value).startswith("lung.csv")
