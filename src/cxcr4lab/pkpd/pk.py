"""Compartmental PK model declarations (IV; amounts in mg, volumes in L, clearances in L/h).

:func:`one_compartment`, :func:`two_compartment` and :func:`three_compartment` declare the
mammillary IV models in the ``CL, V1, Q2, V2, Q3, V3`` parameterisation with the plasma
concentration ``Cp = A1/V1`` (mg/L). Doses go into ``A1`` (CMT 1).

:data:`BALIXAFORTIDE_HUMAN` is the project's one human balixafortide model: 2 compartments
with the typical values (70 kg) derived in :mod:`cxcr4lab.pkpd.balixafortide` from physiology
and the seed facts ([pharmacokinetics] in seed_facts.toml; docs/balixafortide_pk.md). No human
concentration-time data are available to us, so the parameters are *derived*, not fitted:
CL = fu x GFR / (1 - non-renal share) = 5.44 L/h, V1 = extracellular fluid (14 L),
Q2 = 10 L/h (assumed) and V2 = 45.8 L from the terminal half-life of 10.2 h (the geometric
middle of the reported 7-15 h); distribution half-life 0.55 h. Linear by construction
(dose-linear), and an IV infusion into the central compartment peaks at its end. The ranges of
the parameters and the between-subject CVs are in that module. ``FU = 0.68`` (= 1 - 0.32)
gives the unbound concentration ``Cu``.

:data:`ERIBULIN_HUMAN` is a 3-compartment eribulin model (amounts in mg of eribulin mesilate,
concentration ``Cp`` in ug/L, the unit of the Friberg SLOPE of van Hasselt et al. 2013). The
population PK table of the model van Hasselt et al. used (Gupta/Hussein, Eisai) was not
available to us; the typical values are chosen inside the ranges of the Halaven label (FDA
2010; US prescribing information, clinical pharmacology: mean CL 1.16-2.42 L/h/m^2, Vd
43-114 L/m^2, elimination half-life about 40 h, triphasic disposition): for a 1.8 m^2 patient
CL = 3.2 L/h (1.78 L/h/m^2), V1 = 4 L, Q2 = 20 L/h, V2 = 15 L, Q3 = 6 L/h, V3 = 120 L
(Vss 139 L = 77 L/m^2), half-lives 5 min, 1.7 h and 42.7 h.

>>> {p.name: p.value for p in BALIXAFORTIDE_HUMAN.parameters}
{'CL': 5.44, 'V1': 14.0, 'Q2': 10.0, 'V2': 45.8, 'FU': 0.68}
>>> [round(float(h), 2) for h in half_lives(BALIXAFORTIDE_HUMAN)]
[10.24, 0.55]
>>> round(terminal_half_life(ERIBULIN_HUMAN), 1)
42.7
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cxcr4lab.pkpd.balixafortide import TYPICAL as _BALIXAFORTIDE_TYPICAL
from cxcr4lab.pkpd.occupancy_model import BALIXAFORTIDE_FU
from cxcr4lab.sim import Model, Output, Parameter, State, system_matrix

__all__ = [
    "BALIXAFORTIDE_FU",
    "BALIXAFORTIDE_HUMAN",
    "ERIBULIN_HUMAN",
    "half_lives",
    "mammillary_equations",
    "one_compartment",
    "terminal_half_life",
    "three_compartment",
    "two_compartment",
]


def mammillary_equations(v1: str, peripheral: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Right-hand sides of the mammillary IV model: amounts ``A1`` (central, clearance ``CL``,
    volume ``v1``) and ``A2, A3, ...``, one per ``(clearance, volume)`` name pair of
    ``peripheral``."""
    out = f"-(CL/{v1})*A1"
    eqs: dict[str, str] = {}
    for k, (q, v) in enumerate(peripheral, start=2):
        out += f" - ({q}/{v1})*A1 + ({q}/{v})*A{k}"
        eqs[f"A{k}"] = f"({q}/{v1})*A1 - ({q}/{v})*A{k}"
    return {"A1": out, **eqs}


def _eq(n: int) -> dict[str, str]:
    return mammillary_equations("V1", [(f"Q{k}", f"V{k}") for k in range(2, n + 1)])


def _params(n: int, values: Mapping[str, float]) -> tuple[Parameter, ...]:
    ps = [
        Parameter("CL", values["CL"], "L/h", "clearance"),
        Parameter("V1", values["V1"], "L", "central volume"),
    ]
    for k in range(2, n + 1):
        ps.append(Parameter(f"Q{k}", values[f"Q{k}"], "L/h", f"inter-compartmental clearance {k}"))
        ps.append(Parameter(f"V{k}", values[f"V{k}"], "L", f"peripheral volume {k}"))
    return tuple(ps)


def _model(
    n: int,
    name: str,
    values: Mapping[str, float],
    outputs: tuple[Output, ...] = (Output("Cp", "A1/V1", "mg/L"),),
    extra: tuple[Parameter, ...] = (),
    description: str = "",
) -> Model:
    return Model(
        name,
        states=tuple(State(f"A{k}", "mg") for k in range(1, n + 1)),
        parameters=_params(n, values) + extra,
        equations=_eq(n),
        outputs=outputs,
        description=description,
    )


def one_compartment(*, CL: float = 5.0, V1: float = 50.0) -> Model:
    """1-compartment IV model (``A1`` mg; ``Cp`` mg/L)."""
    return _model(1, "pk_1cmt_iv", {"CL": CL, "V1": V1})


def two_compartment(
    *, CL: float = 5.0, V1: float = 20.0, Q2: float = 10.0, V2: float = 50.0
) -> Model:
    """2-compartment IV model."""
    return _model(2, "pk_2cmt_iv", {"CL": CL, "V1": V1, "Q2": Q2, "V2": V2})


def three_compartment(
    *,
    CL: float = 5.0,
    V1: float = 20.0,
    Q2: float = 10.0,
    V2: float = 50.0,
    Q3: float = 2.0,
    V3: float = 100.0,
) -> Model:
    """3-compartment IV model."""
    return _model(3, "pk_3cmt_iv", {"CL": CL, "V1": V1, "Q2": Q2, "V2": V2, "Q3": Q3, "V3": V3})


BALIXAFORTIDE_HUMAN = _model(
    2,
    "balixafortide_human",
    _BALIXAFORTIDE_TYPICAL,
    outputs=(Output("Cp", "A1/V1", "mg/L"), Output("Cu", "FU*A1/V1", "mg/L")),
    extra=(Parameter("FU", BALIXAFORTIDE_FU, "dimensionless", "unbound fraction in plasma"),),
    description="human balixafortide, 2-compartment IV (derived parameters; see "
    "pkpd.balixafortide)",
)

ERIBULIN_HUMAN = _model(
    3,
    "eribulin_human",
    {"CL": 3.2, "V1": 4.0, "Q2": 20.0, "V2": 15.0, "Q3": 6.0, "V3": 120.0},
    outputs=(Output("Cp", "1000*A1/V1", "ug/L"),),
    description="human eribulin, 3-compartment IV (label-based typical values; see pkpd.pk)",
)


def half_lives(model: Model, params: Mapping[str, float] | None = None) -> np.ndarray:
    """Disposition half-lives (h), longest first, from the eigenvalues of the linear system."""
    K = system_matrix(model, model.parameter_vector(params))
    rates = np.sort(-np.linalg.eigvals(K).real)
    return np.asarray(np.log(2.0) / rates, dtype=float)


def terminal_half_life(model: Model, params: Mapping[str, float] | None = None) -> float:
    """Terminal (slowest) half-life in h."""
    return float(half_lives(model, params)[0])
