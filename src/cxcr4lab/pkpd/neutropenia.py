"""Friberg semi-mechanistic myelosuppression model for eribulin, and CTCAE grades of the ANC.

Friberg et al., J Clin Oncol 2002;20:4713-21: a proliferating pool ``Prol``, three transit
compartments ``T1..T3`` and circulating neutrophils ``Circ`` (10^9/L), all with rate constant
``ktr = 4/MTT`` (n + 1 = 4 transits over the mean transit time), feedback
``(Circ0/Circ)^gamma`` on proliferation and a linear drug effect ``Edrug = SLOPE * C``::

    dProl/dt = ktr Prol (1 - Edrug) (Circ0/Circ)^gamma - ktr Prol
    dT1/dt   = ktr (Prol - T1),  dT2/dt = ktr (T1 - T2),  dT3/dt = ktr (T2 - T3)
    dCirc/dt = ktr (T3 - Circ)

Eribulin parameters: van Hasselt et al., Br J Clin Pharmacol 2013;76:412-24 (population PK-PD
of eribulin-associated neutropenia, 1579 patients; final model typical values): ANC0 = Circ0 =
4.03 x 10^9/L (IIV 37.3 CV%), MTT = 109 h (IIV 13.9 CV%), gamma = 0.216 (IIV 12.2 CV%),
SLOPE = 0.0451 L/ug (IIV 54 CV%), driven by the eribulin plasma concentration in ug/L from
:data:`cxcr4lab.pkpd.pk.ERIBULIN_HUMAN`.

:func:`eribulin_neutropenia_model` can also carry the balixafortide 2-compartment PK (states
``B1, B2``) so one model simulates the combination regimen: CMT 1 is balixafortide's central
compartment and CMT 2 eribulin's, as in :func:`cxcr4lab.pkpd.regimens.regimen_events`.
Balixafortide has no effect on the ANC in this model.

CTCAE v5 "neutrophil count decreased": grade 1 < LLN-1.5, 2 < 1.5-1.0, 3 < 1.0-0.5,
4 < 0.5 x 10^9/L.

>>> ctcae_grade([4.0, 1.7, 1.2, 0.7, 0.3]).tolist()
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.pk import BALIXAFORTIDE_FU, BALIXAFORTIDE_HUMAN, ERIBULIN_HUMAN
from cxcr4lab.sim import Model, Output, Parameter, State

__all__ = [
    "ANC_LLN",
    "FRIBERG_ERIBULIN",
    "IIV_CV_PERCENT",
    "ctcae_grade",
    "eribulin_neutropenia_model",
    "nadir",
]

#: Lower limit of normal of the ANC (10^9/L) used for grade 1 unless a lab's own LLN is given.
ANC_LLN = 2.0

#: Typical values of van Hasselt et al. 2013 (units: 10^9/L, h, -, L/ug).
FRIBERG_ERIBULIN = {"Circ0": 4.03, "MTT": 109.0, "gamma": 0.216, "SLOPE": 0.0451}

#: Between-subject variability (CV%) of the same paper.
IIV_CV_PERCENT = {"Circ0": 37.3, "MTT": 13.9, "gamma": 12.2, "SLOPE": 54.0}

_KTR = "(4/MTT)"


def _friberg(conc: str) -> dict[str, str]:
    return {
        "Prol": f"{_KTR}*Prol*(1 - SLOPE*{conc})*(Circ0/Circ)**gamma - {_KTR}*Prol",
        "T1": f"{_KTR}*(Prol - T1)",
        "T2": f"{_KTR}*(T1 - T2)",
        "T3": f"{_KTR}*(T2 - T3)",
        "Circ": f"{_KTR}*(T3 - Circ)",
    }


def eribulin_neutropenia_model(*, with_balixafortide: bool = False) -> Model:
    """Eribulin 3-compartment PK (mg, L, L/h) + Friberg model; optionally balixafortide PK too."""
    e = {p.name: p.value for p in ERIBULIN_HUMAN.parameters}
    conc = "(1000*E1/V1)"  # ug/L
    eqs = {
        "E1": "-(CL/V1)*E1 - (Q2/V1)*E1 + (Q2/V2)*E2 - (Q3/V1)*E1 + (Q3/V3)*E3",
        "E2": "(Q2/V1)*E1 - (Q2/V2)*E2",
        "E3": "(Q3/V1)*E1 - (Q3/V3)*E3",
        **_friberg(conc),
    }
    pk_params = [
        Parameter("CL", e["CL"], "L/h", "eribulin clearance"),
        Parameter("V1", e["V1"], "L", "eribulin central volume"),
        Parameter("Q2", e["Q2"], "L/h"),
        Parameter("V2", e["V2"], "L"),
        Parameter("Q3", e["Q3"], "L/h"),
        Parameter("V3", e["V3"], "L"),
    ]
    pd_params = [
        Parameter("Circ0", FRIBERG_ERIBULIN["Circ0"], "1e9/L", "baseline ANC"),
        Parameter("MTT", FRIBERG_ERIBULIN["MTT"], "h", "mean transit time"),
        Parameter("gamma", FRIBERG_ERIBULIN["gamma"], "dimensionless", "feedback exponent"),
        Parameter("SLOPE", FRIBERG_ERIBULIN["SLOPE"], "L/ug", "linear drug effect"),
    ]
    blood = tuple(State(n, "1e9/L", "Circ0") for n in ("Prol", "T1", "T2", "T3", "Circ"))
    outputs = [Output("ANC", "Circ", "1e9/L"), Output("Ce", conc, "ug/L")]
    states: tuple[State, ...]
    if with_balixafortide:
        b = {p.name: p.value for p in BALIXAFORTIDE_HUMAN.parameters}
        states = (State("B1", "mg"), State("E1", "mg"), State("B2", "mg"))
        states += (State("E2", "mg"), State("E3", "mg"), *blood)
        eqs["B1"] = "-(CL_B/V1_B)*B1 - (Q2_B/V1_B)*B1 + (Q2_B/V2_B)*B2"
        eqs["B2"] = "(Q2_B/V1_B)*B1 - (Q2_B/V2_B)*B2"
        pk_params += [
            Parameter("CL_B", b["CL"], "L/h", "balixafortide clearance"),
            Parameter("V1_B", b["V1"], "L", "balixafortide central volume"),
            Parameter("Q2_B", b["Q2"], "L/h"),
            Parameter("V2_B", b["V2"], "L"),
            Parameter("FU_B", BALIXAFORTIDE_FU, "dimensionless", "balixafortide unbound fraction"),
        ]
        outputs += [Output("Cb", "B1/V1_B", "mg/L"), Output("Cbu", "FU_B*B1/V1_B", "mg/L")]
        name = "balixafortide_eribulin_friberg"
    else:
        states = (State("E1", "mg"), State("E2", "mg"), State("E3", "mg"), *blood)
        name = "eribulin_friberg"
    return Model(
        name,
        states=states,
        parameters=tuple(pk_params + pd_params),
        equations=eqs,
        outputs=tuple(outputs),
        description="eribulin PK + Friberg neutropenia (van Hasselt et al. 2013)",
    )


def ctcae_grade(anc: ArrayLike, *, lln: float = ANC_LLN) -> NDArray[np.int64]:
    """CTCAE v5 grade (0-4) of neutrophil count decreased for ANC values in 10^9/L."""
    a = np.asarray(anc, dtype=float)
    if np.any(~np.isfinite(a)) or np.any(a < 0):
        raise InputError("ANC must be finite and >= 0 (10^9/L)", field="ANC")
    if not lln > 1.5:
        raise InputError(f"LLN must be above 1.5 x 10^9/L, got {lln}", field="lln")
    edges = np.array([0.5, 1.0, 1.5, lln])
    return np.asarray(4 - np.searchsorted(edges, a, side="right"), dtype=np.int64)


def nadir(times: Sequence[float] | ArrayLike, anc: ArrayLike) -> tuple[float, float]:
    """Lowest ANC (10^9/L) and its time (h) along a trajectory (first time if tied)."""
    t = np.asarray(times, dtype=float)
    a = np.asarray(anc, dtype=float)
    if t.shape != a.shape or t.size == 0:
        raise InputError("times and ANC must be equally long and non-empty", field="ANC")
    i = int(np.argmin(a))
    return float(a[i]), float(t[i])
