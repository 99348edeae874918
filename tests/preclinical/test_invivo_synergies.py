"""``invivo_synergies``: several synergy methods from one model fit and one refit per day give
exactly what one ``invivo_synergy`` call per method gives (the refits do not depend on it)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.preclinical.invivo_synergy import invivo_synergies, invivo_synergy

DATA = Path(__file__).resolve().parents[1] / "data" / "invivo"
COLUMNS = {"subject": "animal_id", "Time": "day", "Treatment": "group", "TumorVolume": "volume_mm3"}
ARMS = {"control": "Control", "drug_a": "DrugA", "drug_b": "DrugB", "combination": "Combination"}


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return pd.read_csv(DATA / "grwth_data.csv").rename(columns=COLUMNS)


def _text(result: object) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


@pytest.mark.parametrize(
    "options",
    [{}, {"robust": True, "min_day": 9.0}, {"variance": "subject", "robust": True, "min_day": 6}],
)
def test_shared_refits_give_each_method_its_own_result(
    study: pd.DataFrame, options: dict[str, object]
) -> None:
    together = invivo_synergies(study, methods=("Bliss", "HSA", "RA"), **ARMS, **options)
    assert [r.method for r in together] == ["Bliss", "HSA", "RA"]
    for result in together:
        alone = invivo_synergy(study, method=result.method, **ARMS, **options)
        assert _text(result) == _text(alone)


def test_every_method_is_checked_before_fitting(study: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="Bliss, HSA or RA"):
        invivo_synergies(study, methods=("Bliss", "Loewe"), **ARMS)
    with pytest.raises(InputError, match="100 draws"):
        invivo_synergies(study, methods=("HSA", "RA"), nsim=10, **ARMS)
