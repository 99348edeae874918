"""The NLME model interface (engine layer): data, prediction, individual parameters, error, Omega.

A nonlinear mixed-effects model here is five small frozen pieces, none of which knows about PK:

* :class:`NlmeData`: the stacked observations, sorted by subject: ``subject`` (index of the
  subject of each observation), ``y`` and the covariates ``x`` (time, dose, ...; one column per
  name), plus subject-level covariates ``z`` (none are used yet; covariate models come later);
* :class:`StructuralModel`: the prediction ``f(phi, x)``, one vectorised call over *all*
  observations at once (``phi`` has one row per observation), with an optional analytic
  Jacobian ``df/dphi`` (central differences otherwise);
* :class:`IndividualMap`: ``phi_i = h(theta, eta_i, z_i)``, vectorised over subjects. The usual
  maps come from :func:`individual_map`: additive (``phi = theta + eta``, R nlme's linear map
  with ``A_i = I``) and log-normal (``phi = theta * exp(eta)``, estimated as
  ``exp(log theta + eta)``), per parameter;
* :class:`ErrorModel`: additive ``a``, proportional ``b |f|`` or combined
  ``sqrt(a^2 + b^2 f^2)`` residual standard deviation;
* the structure of Omega (``"diagonal"`` or a full ``"block"``), inside :class:`NlmeModel`.

A PK model is just one prediction: :data:`ONE_CMT_ORAL` is R's ``SSfol`` (one compartment,
first-order absorption, closed form) and :data:`BIEXP` R's ``SSbiexp``. Both have analytic
Jacobians.

:class:`ParameterLayout` maps the model to the one unconstrained vector the estimators work
on: ``theta`` (on its estimation scale), the lower Cholesky factor of Omega (log of the
diagonal, then the off-diagonal elements row by row; a diagonal Omega has only the logs,
i.e. the log standard deviations) and the log of each residual-error parameter.

Why hand-written: no established, maintained Python NLME estimator could be adopted (PyPI,
checked 2026: ``pharmpy-core`` drives NONMEM/nlmixr2 and does not estimate itself;
``pynlme`` 0.5 is a pre-release that reimplements MATLAB's nlmefit (Lindstrom-Bates) and
nlmefitsa (SAEM) without FOCE-I or the Laplacian; ``openpkpd``, ``pymixef`` and ``neopkpd`` are
0.x projects of a few months with no reference validation we could check; statsmodels'
``MixedLM`` is linear only). The estimators are small enough to own and are checked against
R nlme in ``tests/fit/test_nlme_lb.py``.

>>> import numpy as np
>>> phi = np.array([[-2.5, 0.5, -3.0]])
>>> round(float(ONE_CMT_ORAL.predict(phi, np.array([[4.0, 1.0]]))[0]), 4)
5.0589
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError, quote

__all__ = [
    "BIEXP",
    "ONE_CMT_ORAL",
    "ErrorKind",
    "ErrorModel",
    "IndividualMap",
    "LinearPredictor",
    "NlmeData",
    "NlmeModel",
    "OmegaStructure",
    "ParameterLayout",
    "StructuralModel",
    "Transform",
    "check_start",
    "individual_map",
    "nlme_model",
    "predict_observations",
]

Array = NDArray[np.float64]
Transform = Literal["none", "log"]
"""How an individual parameter depends on its theta and eta: ``none`` phi = theta + eta,
``log`` phi = exp(theta + eta) (theta estimated on the log scale, reported as exp(theta))."""
ErrorKind = Literal["additive", "proportional", "combined"]
OmegaStructure = Literal["diagonal", "block"]
PredictFn = Callable[[Array, Array], Array]
MapFn = Callable[[Array, Array, Array], Array]

_FD_STEP = float(np.cbrt(np.finfo(float).eps))
"""Relative step of central differences (~6e-6): the error is O(step^2) ~ 4e-11."""


def _subject_place(sid: str) -> str:
    return f"subject {quote(sid)}"


# --- the structural prediction -----------------------------------------------------------------


@dataclass(frozen=True)
class StructuralModel:
    """``f(phi, x) -> prediction``, vectorised: ``phi`` is (n_obs, n_phi), ``x`` (n_obs, n_x).

    ``jac`` (optional) returns ``df/dphi`` as (n_obs, n_phi); without it central differences
    are used (2 n_phi calls of ``f``). ``f_and_jac`` (optional) returns both from one pass.
    """

    name: str
    phi_names: tuple[str, ...]
    x_names: tuple[str, ...]
    f: PredictFn
    jac: PredictFn | None = None
    description: str = ""
    f_and_jac: Callable[[Array, Array], tuple[Array, Array]] | None = None

    def predict(self, phi: Array, x: Array) -> Array:
        return np.asarray(self.f(phi, x), dtype=float)

    def predict_and_jacobian(self, phi: Array, x: Array) -> tuple[Array, Array]:
        """The prediction (n_obs,) and ``df/dphi`` (n_obs, n_phi)."""
        if self.f_and_jac is not None:
            f, j = self.f_and_jac(phi, x)
            return np.asarray(f, dtype=float), np.asarray(j, dtype=float)
        return self.predict(phi, x), self.jacobian(phi, x)

    def jacobian(self, phi: Array, x: Array) -> Array:
        """``df/dphi`` at every observation, (n_obs, n_phi)."""
        if self.jac is not None:
            return np.asarray(self.jac(phi, x), dtype=float)
        out = np.empty(phi.shape, dtype=float)
        for k in range(phi.shape[1]):
            h = _FD_STEP * np.maximum(np.abs(phi[:, k]), 1.0)
            up, down = phi.copy(), phi.copy()
            up[:, k] += h
            down[:, k] -= h
            out[:, k] = (self.predict(up, x) - self.predict(down, x)) / (2.0 * h)
        return out


def _sfol(phi: Array, x: Array) -> Array:
    lke, lka, lcl = phi[:, 0], phi[:, 1], phi[:, 2]
    dose, t = x[:, 0], x[:, 1]
    ke, ka = np.exp(lke), np.exp(lka)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out: Array = (
            dose * np.exp(lke + lka - lcl) * (np.exp(-ke * t) - np.exp(-ka * t)) / (ka - ke)
        )
    return out


def _sfol_jac(phi: Array, x: Array) -> Array:
    lke, lka, lcl = phi[:, 0], phi[:, 1], phi[:, 2]
    dose, t = x[:, 0], x[:, 1]
    ke, ka = np.exp(lke), np.exp(lka)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        k = dose * np.exp(lke + lka - lcl)
        eke, eka = np.exp(-ke * t), np.exp(-ka * t)
        d = ka - ke
        c = k * (eke - eka) / d
        out = np.empty(phi.shape, dtype=float)
        out[:, 0] = c - k * t * ke * eke / d + c * ke / d
        out[:, 1] = c + k * t * ka * eka / d - c * ka / d
        out[:, 2] = -c
    return out


ONE_CMT_ORAL = StructuralModel(
    name="one_cmt_oral",
    phi_names=("lKe", "lKa", "lCl"),
    x_names=("dose", "time"),
    f=_sfol,
    jac=_sfol_jac,
    description=(
        "One compartment, first-order absorption and elimination, single dose at time 0 "
        "(R's SSfol): C = dose exp(lKe + lKa - lCl) (exp(-exp(lKe) t) - exp(-exp(lKa) t)) / "
        "(exp(lKa) - exp(lKe)); undefined where lKa = lKe."
    ),
)
"""R's ``SSfol(Dose, Time, lKe, lKa, lCl)``: rate constants and clearance on the log scale."""


def _biexp(phi: Array, x: Array) -> Array:
    t = x[:, 0]
    with np.errstate(over="ignore", invalid="ignore"):
        out: Array = phi[:, 0] * np.exp(-np.exp(phi[:, 1]) * t) + phi[:, 2] * np.exp(
            -np.exp(phi[:, 3]) * t
        )
    return out


def _biexp_jac(phi: Array, x: Array) -> Array:
    t = x[:, 0]
    out = np.empty(phi.shape, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        k1, k2 = np.exp(phi[:, 1]), np.exp(phi[:, 3])
        e1, e2 = np.exp(-k1 * t), np.exp(-k2 * t)
        out[:, 0] = e1
        out[:, 1] = -phi[:, 0] * e1 * t * k1
        out[:, 2] = e2
        out[:, 3] = -phi[:, 2] * e2 * t * k2
    return out


BIEXP = StructuralModel(
    name="biexp",
    phi_names=("A1", "lrc1", "A2", "lrc2"),
    x_names=("time",),
    f=_biexp,
    jac=_biexp_jac,
    description="A1 exp(-exp(lrc1) t) + A2 exp(-exp(lrc2) t) (R's SSbiexp).",
)
"""R's ``SSbiexp(time, A1, lrc1, A2, lrc2)``."""


# --- individual parameters ---------------------------------------------------------------------


@dataclass(frozen=True)
class LinearPredictor:
    """A map that is linear before its transform (mu-referenced, as SAEM wants it)::

        psi_i = X(z_i) theta + offset(z_i) + B eta_i,   phi_i = psi_i or exp(psi_i) (``logs``)

    ``design`` maps subject covariates (M, r) to X (M, n_phi, p), ``offset`` to (M, n_phi);
    ``b`` is (n_phi, q_bsv) over the first ``q_bsv`` etas (between-subject). Between-occasion
    etas, if any, follow them and are not part of this description.
    """

    design: Callable[[Array], Array]
    offset: Callable[[Array], Array]
    b: Array
    logs: NDArray[np.bool_]

    @property
    def q_bsv(self) -> int:
        return int(self.b.shape[1])


@dataclass(frozen=True)
class IndividualMap:
    """``phi = h(theta, eta, z)``, vectorised over subjects.

    ``h(theta (M, p), eta (M, q), z (M, r)) -> phi (M, n_phi)``: one row per subject (theta is
    given per row so that several parameter vectors can be evaluated in one call). The
    optional ``d_theta`` / ``d_eta`` return ``dphi/dtheta`` (M, n_phi, p) and ``dphi/deta``
    (M, n_phi, q); central differences otherwise. ``theta_scales[j] == "log"`` says that
    theta j is estimated on the log scale and reported as ``exp(theta_j)``.
    """

    phi_names: tuple[str, ...]
    theta_names: tuple[str, ...]
    eta_names: tuple[str, ...]
    h: MapFn
    theta_scales: tuple[Transform, ...]
    d_theta: MapFn | None = None
    d_eta: MapFn | None = None
    per_observation: bool = False
    """``h`` is evaluated per observation, with ``z`` = [subject covariates | occasion] (the
    0-based occasion of the observation, as a float, last): between-occasion variability."""
    eta_sd: tuple[str, ...] = ()
    """The reported name of each eta's SD (``sd(CL)``); etas sharing a name share one SD
    (between-occasion etas, NONMEM's ``$OMEGA ... SAME``). Empty: ``sd(<eta name>)`` each."""
    n_block: int | None = None
    """A ``block`` Omega correlates the first ``n_block`` etas only (None: all)."""
    linear: LinearPredictor | None = None
    """The map's linear form, where it has one (see :class:`LinearPredictor`)."""

    def __post_init__(self) -> None:
        if self.eta_sd and len(self.eta_sd) != len(self.eta_names):
            raise InputError(
                f"{len(self.eta_sd)} SD names for {len(self.eta_names)} etas", field="eta_sd"
            )
        if self.n_block is not None and not 0 <= self.n_block <= len(self.eta_names):
            raise InputError(f"n_block {self.n_block} out of range", field="n_block")

    @property
    def sd_names(self) -> tuple[str, ...]:
        """The reported name of each eta's SD (see :attr:`eta_sd`)."""
        return self.eta_sd or tuple(f"sd({n})" for n in self.eta_names)

    def phi(self, theta: Array, eta: Array, z: Array) -> Array:
        return np.asarray(self.h(theta, eta, z), dtype=float)

    def _rows(
        self, theta: Array, eta: Array, z: Array, sub: NDArray[np.intp], occasion: NDArray[np.intp]
    ) -> tuple[Array, Array, Array]:
        zo = np.column_stack([z[sub], occasion.astype(float)])
        return theta[sub], eta[sub], zo

    def at_observations(
        self, theta: Array, eta: Array, z: Array, sub: NDArray[np.intp], occasion: NDArray[np.intp]
    ) -> Array:
        """phi at each observation (N, n_phi) from per-subject theta, eta, z."""
        if self.per_observation:
            return self.phi(*self._rows(theta, eta, z, sub, occasion))
        return self.phi(theta, eta, z)[sub]

    def jac_eta_at_observations(
        self, theta: Array, eta: Array, z: Array, sub: NDArray[np.intp], occasion: NDArray[np.intp]
    ) -> Array:
        """dphi/deta at each observation (N, n_phi, q)."""
        if self.per_observation:
            return self.jac_eta(*self._rows(theta, eta, z, sub, occasion))
        return self.jac_eta(theta, eta, z)[sub]

    def jac_theta_at_observations(
        self, theta: Array, eta: Array, z: Array, sub: NDArray[np.intp], occasion: NDArray[np.intp]
    ) -> Array:
        """dphi/dtheta at each observation (N, n_phi, p)."""
        if self.per_observation:
            return self.jac_theta(*self._rows(theta, eta, z, sub, occasion))
        return self.jac_theta(theta, eta, z)[sub]

    def jac_theta(self, theta: Array, eta: Array, z: Array) -> Array:
        if self.d_theta is not None:
            return np.asarray(self.d_theta(theta, eta, z), dtype=float)
        return _fd_columns(lambda t: self.phi(t, eta, z), theta)

    def jac_eta(self, theta: Array, eta: Array, z: Array) -> Array:
        if self.d_eta is not None:
            return np.asarray(self.d_eta(theta, eta, z), dtype=float)
        return _fd_columns(lambda e: self.phi(theta, e, z), eta)


def _fd_columns(fun: Callable[[Array], Array], at: Array) -> Array:
    """Central differences of a row-wise map (M, a) -> (M, b): (M, b, a)."""
    cols = []
    for k in range(at.shape[1]):
        h = _FD_STEP * np.maximum(np.abs(at[:, k]), 1.0)
        up, down = at.copy(), at.copy()
        up[:, k] += h
        down[:, k] -= h
        cols.append((fun(up) - fun(down)) / (2.0 * h[:, None]))
    return np.stack(cols, axis=2) if cols else np.zeros((at.shape[0], 0, 0))


def individual_map(
    phi_names: Sequence[str],
    random: Sequence[str],
    transform: Transform | Mapping[str, Transform] = "none",
) -> IndividualMap:
    """The map with one theta per individual parameter and an eta on each of ``random``.

    ``transform`` ``"none"`` (R nlme's ``fixed = p ~ 1, random = p ~ 1``: phi = theta + eta)
    or ``"log"`` (log-normal: phi = theta exp(eta)), for all parameters or per name.

    >>> m = individual_map(["CL", "V"], random=["CL"], transform="log")
    >>> m.phi(np.log([[2.0, 10.0]]), np.array([[0.0]]), np.zeros((1, 0))).round(12).tolist()
    [[2.0, 10.0]]
    """
    names = tuple(phi_names)
    rand = tuple(random)
    for r in rand:
        if r not in names:
            raise InputError(f"{quote(r)} is not one of the parameters {names}", field="random")
    if len(set(rand)) != len(rand):
        raise InputError("a parameter is named twice", field="random")
    if isinstance(transform, str):
        scales: tuple[Transform, ...] = (transform,) * len(names)
    else:
        unknown = set(transform) - set(names)
        if unknown:
            raise InputError(f"unknown parameters {sorted(unknown)}", field="transform")
        scales = tuple(transform.get(n, "none") for n in names)
    for s in scales:
        if s not in ("none", "log"):
            raise InputError(f"must be 'none' or 'log', got {quote(s)}", field="transform")
    p, q = len(names), len(rand)
    b = np.zeros((p, q))
    for j, r in enumerate(rand):
        b[names.index(r), j] = 1.0
    logs = np.array([s == "log" for s in scales])

    def h(theta: Array, eta: Array, z: Array) -> Array:
        lin = theta + eta @ b.T
        return np.where(logs, np.exp(np.where(logs, lin, 0.0)), lin)

    def d_theta(theta: Array, eta: Array, z: Array) -> Array:
        phi = h(theta, eta, z)
        scale = np.where(logs, phi, 1.0)  # (M, p)
        return scale[:, :, None] * np.eye(p)[None, :, :]

    def d_eta(theta: Array, eta: Array, z: Array) -> Array:
        phi = h(theta, eta, z)
        scale = np.where(logs, phi, 1.0)
        return scale[:, :, None] * b[None, :, :]

    return IndividualMap(
        phi_names=names,
        theta_names=names,
        eta_names=rand,
        h=h,
        theta_scales=scales,
        d_theta=d_theta,
        d_eta=d_eta,
        linear=LinearPredictor(
            design=lambda z: np.broadcast_to(np.eye(p), (z.shape[0], p, p)).copy(),
            offset=lambda z: np.zeros((z.shape[0], p)),
            b=b,
            logs=logs,
        ),
    )


# --- residual error ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorModel:
    """Residual SD: ``additive`` a, ``proportional`` b |f|, ``combined`` sqrt(a^2 + b^2 f^2).

    ``additive`` / ``proportional`` are start values (``None``: 10% of the SD of y, and 0.1).
    """

    kind: ErrorKind = "additive"
    additive: float | None = None
    proportional: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("additive", "proportional", "combined"):
            raise InputError(
                f"must be additive, proportional or combined, got {quote(self.kind)}",
                field="error",
            )
        for name in ("additive", "proportional"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise InputError(f"start value must be finite and > 0, got {quote(v)}", field=name)

    @property
    def names(self) -> tuple[str, ...]:
        return {
            "additive": ("sigma_add",),
            "proportional": ("sigma_prop",),
            "combined": ("sigma_add", "sigma_prop"),
        }[self.kind]

    @property
    def has_additive(self) -> bool:
        return self.kind != "proportional"

    @property
    def has_proportional(self) -> bool:
        return self.kind != "additive"


# --- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NlmeModel:
    """A complete NLME model: prediction, individual map, start values, error and Omega.

    ``theta_start`` is on the reported scale (a log-normal parameter's typical value, not its
    log); ``omega_start`` are standard deviations of eta (default 0.3 each).
    """

    structural: StructuralModel
    individual: IndividualMap
    theta_start: tuple[float, ...]
    error: ErrorModel = field(default_factory=ErrorModel)
    omega: OmegaStructure = "diagonal"
    omega_start: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        ind = self.individual
        if tuple(ind.phi_names) != tuple(self.structural.phi_names):
            raise InputError(
                f"the individual map gives {ind.phi_names}, the prediction "
                f"{self.structural.name!r} needs {self.structural.phi_names}",
                field="individual",
            )
        if len(self.theta_start) != len(ind.theta_names):
            raise InputError(
                f"{len(self.theta_start)} start values for {len(ind.theta_names)} thetas",
                field="theta_start",
            )
        for name, v, s in zip(ind.theta_names, self.theta_start, ind.theta_scales, strict=True):
            if not math.isfinite(v) or (s == "log" and v <= 0):
                need = "finite and > 0 (log-normal)" if s == "log" else "finite"
                raise InputError(f"start value must be {need}, got {quote(v)}", field=name)
        if self.omega not in ("diagonal", "block"):
            raise InputError(
                f"must be 'diagonal' or 'block', got {quote(self.omega)}", field="omega"
            )
        if not ind.eta_names:
            raise InputError("at least one parameter needs a random effect", field="random")
        if self.omega_start is not None:
            if len(self.omega_start) != len(ind.eta_names):
                raise InputError(
                    f"{len(self.omega_start)} SDs for {len(ind.eta_names)} random effects",
                    field="omega_start",
                )
            for name, v in zip(ind.eta_names, self.omega_start, strict=True):
                if not (math.isfinite(v) and v > 0):
                    raise InputError(
                        f"start SD must be finite and > 0, got {quote(v)}", field=f"omega {name}"
                    )

    @property
    def theta_start_estimation(self) -> Array:
        """``theta_start`` on the estimation scale (log of log-normal parameters)."""
        t = np.asarray(self.theta_start, dtype=float)
        logs = np.array([s == "log" for s in self.individual.theta_scales])
        return np.where(logs, np.log(np.where(logs, t, 1.0)), t)


def nlme_model(
    structural: StructuralModel,
    theta: Mapping[str, float],
    random: Sequence[str],
    *,
    transform: Transform | Mapping[str, Transform] = "none",
    omega: OmegaStructure = "diagonal",
    omega_sd: Sequence[float] | None = None,
    error: ErrorModel | ErrorKind = "additive",
) -> NlmeModel:
    """An :class:`NlmeModel` with one theta per parameter of ``structural``.

    >>> m = nlme_model(ONE_CMT_ORAL, {"lKe": -2.5, "lKa": 0.5, "lCl": -3.0}, ["lKa", "lCl"])
    >>> m.individual.eta_names, m.error.kind
    (('lKa', 'lCl'), 'additive')
    """
    missing = [n for n in structural.phi_names if n not in theta]
    extra = [n for n in theta if n not in structural.phi_names]
    if missing or extra:
        raise InputError(
            f"needs a start value for each of {structural.phi_names}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {extra}" if extra else ""),
            field="theta",
        )
    imap = individual_map(structural.phi_names, random, transform)
    err = error if isinstance(error, ErrorModel) else ErrorModel(kind=error)
    return NlmeModel(
        structural=structural,
        individual=imap,
        theta_start=tuple(float(theta[n]) for n in structural.phi_names),
        error=err,
        omega=omega,
        omega_start=None if omega_sd is None else tuple(float(v) for v in omega_sd),
    )


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NlmeData:
    """Observations stacked by subject (rows of a subject are contiguous, subjects in order).

    ``subject[i]`` is the 0-based subject index of observation ``i``; ``rows`` the 1-based line
    of each observation in the source (for messages; the header is line 1 of a CSV).
    """

    subject_ids: tuple[str, ...]
    subject: NDArray[np.intp]
    y: Array
    x: Array
    x_names: tuple[str, ...]
    rows: NDArray[np.intp]
    z: Array = field(default_factory=lambda: np.zeros((0, 0)))
    z_names: tuple[str, ...] = ()
    y_name: str = "y"
    cens: NDArray[np.int8] | None = None
    """1 where the observation is below the limit of quantification and ``y`` holds that
    limit (the M3 method: the likelihood is P(Y < LLOQ)); 0 elsewhere. None: all observed."""
    occasion: NDArray[np.intp] | None = None
    """0-based occasion of each observation (between-occasion variability); None: all 0."""

    def __post_init__(self) -> None:
        n, m = len(self.y), len(self.subject_ids)
        cens = np.zeros(n, np.int8) if self.cens is None else np.asarray(self.cens, np.int8)
        occ = np.zeros(n, np.intp) if self.occasion is None else np.asarray(self.occasion, np.intp)
        object.__setattr__(self, "cens", cens)
        object.__setattr__(self, "occasion", occ)
        if cens.shape != (n,) or not np.isin(cens, (0, 1)).all():
            raise InputError("cens must be 0 or 1 for each observation", field="data")
        if occ.shape != (n,) or (n and occ.min() < 0):
            raise InputError("occasion must be an index >= 0 for each observation", field="data")
        if self.subject.shape != (n,) or self.rows.shape != (n,):
            raise InputError("subject, rows and y differ in length", field="data")
        if self.x.shape != (n, len(self.x_names)):
            raise InputError(f"x must be ({n}, {len(self.x_names)})", field="data")
        if m == 0:
            raise InputError("no subjects", field="data")
        if n and (np.any(np.diff(self.subject) < 0) or self.subject[0] < 0):
            raise InputError("observations must be sorted by subject", field="data")
        if n and self.subject[-1] >= m:
            raise InputError("subject index out of range", field="data")
        counts = np.bincount(self.subject, minlength=m)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            raise InputError(
                "has no observations", field=_subject_place(self.subject_ids[empty[0]])
            )
        bad = np.flatnonzero(~np.isfinite(self.y))
        if bad.size:
            i = int(bad[0])
            raise InputError(
                f"{self.y_name} is not finite ({quote(float(self.y[i]))})",
                row=int(self.rows[i]),
                column=self.y_name,
                field=_subject_place(self.subject_ids[self.subject[i]]),
            )
        bad_x = np.flatnonzero(~np.all(np.isfinite(self.x), axis=1))
        if bad_x.size:
            i = int(bad_x[0])
            col = self.x_names[int(np.flatnonzero(~np.isfinite(self.x[i]))[0])]
            raise InputError(
                f"{col} is not finite",
                row=int(self.rows[i]),
                column=col,
                field=_subject_place(self.subject_ids[self.subject[i]]),
            )
        if self.z.size and self.z.shape != (m, len(self.z_names)):
            raise InputError(f"z must be ({m}, {len(self.z_names)})", field="data")
        if self.z.size and not np.all(np.isfinite(self.z)):
            i, k = (int(v[0]) for v in np.nonzero(~np.isfinite(self.z)))
            raise InputError(
                f"covariate {self.z_names[k]} is missing",
                column=self.z_names[k],
                field=_subject_place(self.subject_ids[i]),
            )

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def n_subjects(self) -> int:
        return len(self.subject_ids)

    @property
    def counts(self) -> NDArray[np.intp]:
        return np.bincount(self.subject, minlength=self.n_subjects)

    @property
    def starts(self) -> NDArray[np.intp]:
        """Index of each subject's first observation (for ``np.add.reduceat``)."""
        c = self.counts
        return np.concatenate(([0], np.cumsum(c)[:-1])).astype(np.intp)

    @property
    def censored(self) -> NDArray[np.int8]:
        """:attr:`cens` as an array (zeros when the data have no BLQ observations)."""
        assert self.cens is not None
        return self.cens

    @property
    def occasions(self) -> NDArray[np.intp]:
        """:attr:`occasion` as an array (zeros without between-occasion data)."""
        assert self.occasion is not None
        return self.occasion

    @property
    def n_occasions(self) -> int:
        return int(self.occasions.max()) + 1 if self.n_obs else 1

    @property
    def z_matrix(self) -> Array:
        """Subject covariates, (n_subjects, n_z) (zero columns when there are none)."""
        return self.z if self.z.size else np.zeros((self.n_subjects, len(self.z_names)))

    def columns(self, names: Sequence[str]) -> Array:
        """The covariate columns ``names``, in that order."""
        idx = []
        for n in names:
            if n not in self.x_names:
                raise InputError(f"is needed by the model; the data have {self.x_names}", column=n)
            idx.append(self.x_names.index(n))
        return self.x[:, idx]

    @classmethod
    def from_arrays(
        cls,
        subject: ArrayLike,
        y: ArrayLike,
        x: Mapping[str, ArrayLike],
        *,
        subjects: Sequence[object] | None = None,
        y_name: str = "y",
        cens: ArrayLike | None = None,
        occasion: ArrayLike | None = None,
        z: Mapping[str, ArrayLike] | None = None,
        rows: ArrayLike | None = None,
    ) -> NlmeData:
        """Data from columns: subject labels, ``y`` and named covariates (any order of rows).

        ``subjects`` lists every subject (e.g. from a dosing or covariate table): one without
        observations is an error naming it. Rows are sorted by subject, stably. ``cens`` and
        ``occasion`` are per row (see the fields); ``z`` maps subject covariates to one value
        per subject, in the order of ``subjects`` (or of first appearance); ``rows`` are the
        source lines of the rows (default: 2, 3, ... as in a CSV with a header).
        """
        labels = [str(s) for s in np.asarray(subject, dtype=object).ravel()]
        yy = np.asarray(y, dtype=float).ravel()
        if len(labels) != len(yy):
            raise InputError(f"{len(labels)} subject labels for {len(yy)} values", field="data")
        order_ids = (
            [str(s) for s in subjects] if subjects is not None else list(dict.fromkeys(labels))
        )
        if len(set(order_ids)) != len(order_ids):
            raise InputError("a subject is listed twice", field="subjects")
        index = {s: i for i, s in enumerate(order_ids)}
        lines = (
            np.arange(len(yy), dtype=np.intp) + 2
            if rows is None
            else np.asarray(rows, dtype=np.intp).ravel()
        )
        unknown = [i for i, s in enumerate(labels) if s not in index]
        if unknown:
            i = unknown[0]
            raise InputError(
                "is not in the list of subjects",
                row=int(lines[i]),
                field=_subject_place(labels[i]),
            )
        sub = np.array([index[s] for s in labels], dtype=np.intp)
        order = np.argsort(sub, kind="stable")
        names = tuple(x)
        xs = (
            np.column_stack([np.asarray(x[k], dtype=float).ravel() for k in names])
            if names
            else np.zeros((len(yy), 0))
        )
        if xs.shape[0] != len(yy) or len(lines) != len(yy):
            raise InputError("covariates, rows and y differ in length", field="data")
        z_names = tuple(z or {})
        zs = (
            np.column_stack([np.asarray(v, dtype=float).ravel() for v in (z or {}).values()])
            if z_names
            else np.zeros((0, 0))
        )
        if z_names and zs.shape[0] != len(order_ids):
            raise InputError(
                f"subject covariates have {zs.shape[0]} values for {len(order_ids)} subjects",
                field="z",
            )
        return cls(
            subject_ids=tuple(order_ids),
            subject=sub[order],
            y=yy[order],
            x=xs[order],
            x_names=names,
            rows=lines[order],
            z=zs,
            z_names=z_names,
            y_name=y_name,
            cens=None if cens is None else np.asarray(cens, dtype=np.int8).ravel()[order],
            occasion=None
            if occasion is None
            else np.asarray(occasion, dtype=np.intp).ravel()[order],
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        subject: str,
        y: str,
        x: Sequence[str] | Mapping[str, str],
        subjects: Sequence[object] | None = None,
    ) -> NlmeData:
        """Data from a long table. ``x`` lists covariate columns, or maps the model's names to
        columns (``{"dose": "Dose", "time": "Time"}``).

        >>> df = pd.DataFrame({"ID": [1, 1, 2], "t": [1.0, 2.0, 1.0], "c": [3.0, 2.0, 4.0]})
        >>> d = NlmeData.from_frame(df, subject="ID", y="c", x={"time": "t"})
        >>> d.subject_ids, d.counts.tolist()
        (('1', '2'), [2, 1])
        """
        mapping = dict(x) if isinstance(x, Mapping) else {c: c for c in x}
        for col in (subject, y, *mapping.values()):
            if col not in frame.columns:
                raise InputError(f"is missing; the table has {list(frame.columns)}", column=col)
        yy = pd.to_numeric(frame[y], errors="coerce").to_numpy(dtype=float)
        return cls.from_arrays(
            frame[subject].to_numpy(),
            yy,
            {
                k: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
                for k, c in mapping.items()
            },
            subjects=subjects,
            y_name=y,
        )


# --- the unconstrained parameter vector ---------------------------------------------------------


@dataclass(frozen=True)
class ParameterLayout:
    """``x = [theta | Omega Cholesky (log diagonal, then lower off-diagonal by row) | log error]``.

    :meth:`report` maps ``x`` to the scale the Wald intervals are built on: theta as estimated,
    log SD of each eta, atanh of each correlation (block Omega), log of each error parameter.
    """

    theta_names: tuple[str, ...]
    theta_scales: tuple[Transform, ...]
    eta_names: tuple[str, ...]
    block: bool
    error_names: tuple[str, ...]
    has_additive: bool
    has_proportional: bool
    sd_names: tuple[str, ...] = ()
    """The reported name of each eta's SD; equal names share one parameter (empty: one each)."""
    n_block: int | None = None
    """The first ``n_block`` etas are correlated by a block Omega (None: all)."""

    @classmethod
    def of(cls, model: NlmeModel) -> ParameterLayout:
        ind = model.individual
        n_block = len(ind.eta_names) if ind.n_block is None else ind.n_block
        return cls(
            theta_names=ind.theta_names,
            theta_scales=ind.theta_scales,
            eta_names=ind.eta_names,
            block=model.omega == "block" and n_block > 1,
            error_names=model.error.names,
            has_additive=model.error.has_additive,
            has_proportional=model.error.has_proportional,
            sd_names=ind.sd_names,
            n_block=n_block,
        )

    @property
    def _sd_names(self) -> tuple[str, ...]:
        return self.sd_names or tuple(f"sd({n})" for n in self.eta_names)

    @property
    def sd_groups(self) -> tuple[str, ...]:
        """The distinct SD parameters, in order of first use."""
        return tuple(dict.fromkeys(self._sd_names))

    @property
    def sd_index(self) -> NDArray[np.intp]:
        """For each eta, the index of its SD parameter in :attr:`sd_groups`."""
        groups = self.sd_groups
        return np.array([groups.index(n) for n in self._sd_names], dtype=np.intp)

    @property
    def sd_first(self) -> NDArray[np.intp]:
        """For each SD parameter, the first eta that uses it."""
        idx = self.sd_index
        return np.array([int(np.flatnonzero(idx == g)[0]) for g in range(len(self.sd_groups))])

    @property
    def n_sd(self) -> int:
        return len(self.sd_groups)

    @property
    def p(self) -> int:
        return len(self.theta_names)

    @property
    def q(self) -> int:
        return len(self.eta_names)

    @property
    def n_omega(self) -> int:
        return self.n_sd + len(self._off_diagonal())

    @property
    def n_error(self) -> int:
        return len(self.error_names)

    @property
    def size(self) -> int:
        return self.p + self.n_omega + self.n_error

    @property
    def omega_slice(self) -> slice:
        return slice(self.p, self.p + self.n_omega)

    @property
    def error_slice(self) -> slice:
        return slice(self.p + self.n_omega, self.size)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the elements of ``x``."""
        th = tuple(
            f"log({n})" if s == "log" else n
            for n, s in zip(self.theta_names, self.theta_scales, strict=True)
        )
        om = tuple(f"log {n}" for n in self.sd_groups) + tuple(
            f"chol({self.eta_names[i]},{self.eta_names[j]})" for i, j in self._off_diagonal()
        )
        return th + om + tuple(f"log({n})" for n in self.error_names)

    def _off_diagonal(self) -> list[tuple[int, int]]:
        if not self.block:
            return []
        nb = self.q if self.n_block is None else self.n_block
        return [(i, j) for i in range(nb) for j in range(i)]

    def omega_factor(self, params: Array) -> Array:
        """Lower Cholesky factors (K, q, q) of Omega from the Omega parameters (K, n_omega)."""
        k = params.shape[0]
        q, ns = self.q, self.n_sd
        lower = np.zeros((k, q, q))
        idx = np.arange(q)
        lower[:, idx, idx] = np.exp(params[:, self.sd_index])
        for c, (i, j) in enumerate(self._off_diagonal()):
            lower[:, i, j] = params[:, ns + c]
        return lower

    def omega_params(self, lower: Array) -> Array:
        """The inverse of :meth:`omega_factor` for one factor (q, q)."""
        out = [math.log(lower[i, i]) for i in self.sd_first]
        out += [float(lower[i, j]) for i, j in self._off_diagonal()]
        return np.array(out)

    def unpack(self, xs: Array) -> tuple[Array, Array, Array, Array]:
        """theta (K, p), Omega factor (K, q, q), additive SD (K,), proportional SD (K,)."""
        xs = np.atleast_2d(xs)
        theta = xs[:, : self.p]
        lower = self.omega_factor(xs[:, self.omega_slice])
        err = np.exp(xs[:, self.error_slice])
        k = xs.shape[0]
        a = err[:, 0] if self.has_additive else np.zeros(k)
        b = err[:, -1] if self.has_proportional else np.zeros(k)
        return theta, lower, a, b

    def start(self, model: NlmeModel, data: NlmeData) -> Array:
        """The start vector: the model's start values, defaults where it has none."""
        sd = np.asarray(model.omega_start or (0.3,) * self.q, dtype=float)
        lower = np.diag(sd)
        err = []
        if self.has_additive:
            a = model.error.additive
            err.append(a if a is not None else max(0.1 * float(np.std(data.y)), 1e-8))
        if self.has_proportional:
            b = model.error.proportional
            err.append(b if b is not None else 0.1)
        return np.concatenate([model.theta_start_estimation, self.omega_params(lower), np.log(err)])

    def report_names(self) -> tuple[tuple[str, str, str], ...]:
        """(name, kind, scale of the interval) of each reported parameter."""
        out: list[tuple[str, str, str]] = [
            (n, "theta", "log" if s == "log" else "identity")
            for n, s in zip(self.theta_names, self.theta_scales, strict=True)
        ]
        out += [(n, "omega", "log") for n in self.sd_groups]
        out += [
            (f"cor({self.eta_names[j]},{self.eta_names[i]})", "omega", "atanh")
            for i, j in self._off_diagonal()
        ]
        out += [(n, "sigma", "log") for n in self.error_names]
        return tuple(out)

    def report(self, x: Array) -> Array:
        """``x`` on the interval scale (see the class docstring); one vector (P,)."""
        theta, lower, _, _ = self.unpack(x[None, :])
        omega = lower[0] @ lower[0].T
        sd = np.sqrt(np.diag(omega))
        parts = [theta[0], np.log(sd[self.sd_first])]
        if self.block:
            corr = [omega[i, j] / (sd[i] * sd[j]) for i, j in self._off_diagonal()]
            parts.append(np.arctanh(np.clip(corr, -1 + 1e-15, 1 - 1e-15)))
        parts.append(x[self.error_slice])
        return np.concatenate(parts)

    def report_jacobian(self, x: Array) -> Array:
        """d report(x) / dx (P, P), central differences (the map is cheap and smooth)."""
        n = len(x)
        out = np.empty((n, n))
        for k in range(n):
            h = 1e-6 * max(1.0, abs(x[k]))
            up, down = x.copy(), x.copy()
            up[k] += h
            down[k] -= h
            out[:, k] = (self.report(up) - self.report(down)) / (2 * h)
        return out


def check_start(model: NlmeModel, data: NlmeData) -> None:
    """One :class:`InputError` naming the subject when the prediction at the start values
    (eta = 0) is not finite, or is 0 where a proportional error needs it to be non-zero."""
    x = data.columns(model.structural.x_names)
    m = data.n_subjects
    theta = np.repeat(model.theta_start_estimation[None, :], m, axis=0)
    eta = np.zeros((m, len(model.individual.eta_names)))
    with np.errstate(all="ignore"):
        phi = model.individual.at_observations(
            theta, eta, data.z_matrix, data.subject, data.occasions
        )
        if not np.all(np.isfinite(phi)):
            i = int(np.flatnonzero(~np.all(np.isfinite(phi), axis=1))[0])
            raise InputError(
                "individual parameters are not finite at the start values",
                row=int(data.rows[i]),
                field=_subject_place(data.subject_ids[data.subject[i]]),
            )
        f = model.structural.predict(phi, x)
    if f.shape != (data.n_obs,):
        raise InputError(
            f"the prediction {model.structural.name!r} returned shape {f.shape}, "
            f"expected ({data.n_obs},)",
            field="model",
        )
    bad = ~np.isfinite(f)
    what = "not finite"
    if not bad.any() and model.error.kind == "proportional":
        bad = f == 0
        what = "0 (a proportional error needs a non-zero prediction; use combined)"
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        at = ", ".join(f"{n}={x[i, k]:g}" for k, n in enumerate(model.structural.x_names))
        raise InputError(
            f"the prediction of {model.structural.name!r} at the start values is {what} "
            f"({quote(float(f[i]))} at {at})",
            row=int(data.rows[i]),
            field=_subject_place(data.subject_ids[data.subject[i]]),
        )


def predict_observations(model: NlmeModel, data: NlmeData, theta: Array, eta: Array) -> Array:
    """The prediction at every observation (N,) for ``theta`` (p,) or per subject (m, p) on the
    estimation scale and ``eta`` per subject (m, q); the one place the pieces meet, used by
    the estimators' diagnostics and simulations."""
    m = data.n_subjects
    th = np.asarray(theta, dtype=float)
    th = np.repeat(th[None, :], m, axis=0) if th.ndim == 1 else th
    with np.errstate(all="ignore"):
        po = model.individual.at_observations(
            th, np.asarray(eta, dtype=float), data.z_matrix, data.subject, data.occasions
        )
        return model.structural.predict(po, data.columns(model.structural.x_names))
