"""Individual maps with covariates and between-occasion variability (engine layer).

:func:`covariate_map` builds the :class:`~cxcr4lab.fit.nlme_model.IndividualMap` of the usual
population PK parameterisation, linear before its transform (mu-referenced)::

    psi_ik = theta_k + sum_c beta_kc g_c(z_i) + offset_k(z_i) + eta_ik + kappa_ik,o
    phi_ik = exp(psi_ik)  (log-normal)   or   psi_ik  (additive)

with the covariate terms of :class:`CovariateEffect` (on the log scale for a log-normal
parameter, so that ``power`` is ``(z / ref)^beta``):

==============  ======================  =============================================
kind            term                     estimated
==============  ======================  =============================================
``power``       beta log(z / ref)        beta (the exponent)
``allometric``  e log(z / ref)           nothing (e fixed: 0.75 clearances, 1 volumes)
``linear``      beta (z - ref)           beta (exponential model on a log parameter)
``categorical`` beta [z == level]        beta (exp(beta): the ratio to the other level)
==============  ======================  =============================================

Between-occasion variability (``bov``): each named parameter gets one eta per occasion,
``kappa_o`` (named ``CL@occ1``, ...), all sharing one SD (``bov sd(CL)``, NONMEM's
``$OMEGA BLOCK(1) SAME``); the occasion of each observation selects its kappa. The map is then
evaluated per observation (``per_observation``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.fit.nlme_model import IndividualMap, LinearPredictor, Transform

__all__ = ["COVARIATE_KINDS", "CovariateEffect", "CovariateKind", "covariate_map"]

Array = NDArray[np.float64]
CovariateKind = Literal["power", "allometric", "linear", "categorical"]
COVARIATE_KINDS: tuple[CovariateKind, ...] = ("power", "allometric", "linear", "categorical")


@dataclass(frozen=True)
class CovariateEffect:
    """One covariate term on one parameter (see the module docstring).

    ``reference``: the centre (power, allometric, linear) or the level (categorical) where the
    effect applies. ``exponent``: the fixed allometric exponent (None: 0.75 for a parameter
    named CL or Q*, 1 otherwise).
    """

    parameter: str
    covariate: str
    kind: CovariateKind
    reference: float
    exponent: float | None = None

    def __post_init__(self) -> None:
        place = f"covariate {self.parameter}~{self.covariate}"
        if self.kind not in COVARIATE_KINDS:
            raise InputError(
                f"kind must be one of {COVARIATE_KINDS}, got {quote(self.kind)}", field=place
            )
        if not math.isfinite(self.reference):
            raise InputError(f"reference must be finite, got {quote(self.reference)}", field=place)
        if self.kind in ("power", "allometric") and self.reference <= 0:
            raise InputError(f"reference must be > 0, got {quote(self.reference)}", field=place)

    @property
    def name(self) -> str:
        """The name of the estimated coefficient (``CL~WT``)."""
        return f"{self.parameter}~{self.covariate}"

    @property
    def estimated(self) -> bool:
        return self.kind != "allometric"

    @property
    def fixed_exponent(self) -> float:
        if self.exponent is not None:
            return self.exponent
        p = self.parameter.upper()
        return 0.75 if p == "CL" or p.startswith("Q") else 1.0

    def term(self, z: Array) -> Array:
        """g(z) for the covariate values z (M,)."""
        if self.kind in ("power", "allometric"):
            with np.errstate(all="ignore"):
                out: Array = np.log(z / self.reference)
            return out
        if self.kind == "linear":
            return np.asarray(z - self.reference, dtype=float)
        return np.asarray(z == self.reference, dtype=float)


def covariate_map(
    phi_names: Sequence[str],
    random: Sequence[str],
    *,
    transform: Transform | Mapping[str, Transform] = "log",
    covariates: Sequence[CovariateEffect] = (),
    z_names: Sequence[str] = (),
    bov: Sequence[str] = (),
    n_occasions: int = 1,
) -> IndividualMap:
    """The map of the module docstring. ``z_names`` are the data's subject covariates (the
    columns of ``z``); thetas are the parameters, then the estimated covariate coefficients.

    >>> eff = CovariateEffect("CL", "WT", "allometric", 70.0)
    >>> m = covariate_map(["CL", "V"], ["CL"], covariates=[eff], z_names=["WT"])
    >>> th = np.log([[5.0, 50.0]])
    >>> m.phi(th, np.zeros((1, 1)), np.array([[140.0]])).round(4).tolist()  # 5 * 2^0.75
    [[8.409, 50.0]]
    """
    names = tuple(phi_names)
    rand = tuple(random)
    zn = tuple(z_names)
    for r in (*rand, *bov):
        if r not in names:
            raise InputError(f"{quote(r)} is not one of the parameters {names}", field="random")
    if len(set(rand)) != len(rand) or len(set(bov)) != len(bov):
        raise InputError("a parameter is named twice", field="random")
    if n_occasions < 1:
        raise InputError(f"needs at least one occasion, got {n_occasions}", field="occasions")
    if isinstance(transform, str):
        scales: tuple[Transform, ...] = (transform,) * len(names)
    else:
        scales = tuple(transform.get(n, "none") for n in names)
    seen: set[str] = set()
    for c in covariates:
        if c.parameter not in names:
            raise InputError(
                f"{quote(c.parameter)} is not one of the parameters {names}",
                field=f"covariate {c.name}",
            )
        if c.covariate not in zn:
            raise InputError(
                f"{quote(c.covariate)} is not a subject covariate of the data {zn}",
                field=f"covariate {c.name}",
            )
        key = f"{c.name}:{c.reference}" if c.kind == "categorical" else c.name
        if key in seen:
            raise InputError(
                "the same covariate effect is given twice", field=f"covariate {c.name}"
            )
        seen.add(key)
    p_phi = len(names)
    estimated = [c for c in covariates if c.estimated]
    fixed = [c for c in covariates if not c.estimated]
    beta_names = tuple(
        f"{c.name}[{c.reference:g}]" if c.kind == "categorical" else c.name for c in estimated
    )
    theta_names = names + beta_names
    p = len(theta_names)
    q_bsv = len(rand)
    b = np.zeros((p_phi, q_bsv))
    for j, r in enumerate(rand):
        b[names.index(r), j] = 1.0
    logs = np.array([s == "log" for s in scales])
    est_rows = [names.index(c.parameter) for c in estimated]
    est_z = [zn.index(c.covariate) for c in estimated]
    fix_rows = [names.index(c.parameter) for c in fixed]
    fix_z = [zn.index(c.covariate) for c in fixed]
    bov_rows = [names.index(r) for r in bov]
    n_bov = len(bov) * n_occasions if n_occasions > 1 else 0

    def design(z: Array) -> Array:
        m = z.shape[0]
        x = np.zeros((m, p_phi, p))
        x[:, np.arange(p_phi), np.arange(p_phi)] = 1.0
        for k, (c, row, col) in enumerate(zip(estimated, est_rows, est_z, strict=True)):
            x[:, row, p_phi + k] = c.term(z[:, col])
        return x

    def offset(z: Array) -> Array:
        out = np.zeros((z.shape[0], p_phi))
        for c, row, col in zip(fixed, fix_rows, fix_z, strict=True):
            out[:, row] += c.fixed_exponent * c.term(z[:, col])
        return out

    def bov_design(zo: Array) -> Array:
        """(rows, p_phi, n_bov): which kappa enters each parameter at each row's occasion."""
        rows = zo.shape[0]
        out = np.zeros((rows, p_phi, n_bov))
        if n_bov:
            occ = zo[:, -1].astype(np.intp)
            for j, row in enumerate(bov_rows):
                out[np.arange(rows), row, j * n_occasions + occ] = 1.0
        return out

    per_obs = n_bov > 0

    def lin(theta: Array, eta: Array, z: Array) -> Array:
        zs = z[:, : len(zn)]
        psi: Array = (
            np.matmul(design(zs), theta[:, :, None])[:, :, 0] + offset(zs) + eta[:, :q_bsv] @ b.T
        )
        if per_obs:
            psi = psi + np.matmul(bov_design(z), eta[:, q_bsv:, None])[:, :, 0]
        return psi

    def h(theta: Array, eta: Array, z: Array) -> Array:
        psi = lin(theta, eta, z)
        out: Array = np.where(logs, np.exp(np.where(logs, psi, 0.0)), psi)
        return out

    def d_theta(theta: Array, eta: Array, z: Array) -> Array:
        scale = np.where(logs, h(theta, eta, z), 1.0)
        return scale[:, :, None] * design(z[:, : len(zn)])

    def d_eta(theta: Array, eta: Array, z: Array) -> Array:
        scale = np.where(logs, h(theta, eta, z), 1.0)
        full = np.broadcast_to(b, (z.shape[0], p_phi, q_bsv))
        if per_obs:
            full = np.concatenate([full, bov_design(z)], axis=2)
        return scale[:, :, None] * full

    none: tuple[Transform, ...] = tuple("none" for _ in beta_names)
    bov_names = tuple(f"{r}@occ{o + 1}" for r in bov for o in range(n_occasions)) if n_bov else ()
    sd = tuple(f"sd({r})" for r in rand) + (
        tuple(f"bov sd({r})" for r in bov for _ in range(n_occasions)) if n_bov else ()
    )
    return IndividualMap(
        phi_names=names,
        theta_names=theta_names,
        eta_names=rand + bov_names,
        h=h,
        theta_scales=scales + none,
        d_theta=d_theta,
        d_eta=d_eta,
        per_observation=per_obs,
        eta_sd=sd,
        n_block=q_bsv,
        linear=LinearPredictor(design=design, offset=offset, b=b, logs=logs),
    )
