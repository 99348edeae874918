"""Speed of the population PK fit (``popfit``, batched FOCE-I) against a plain scipy FOCE-I
objective evaluated one subject at a time.

    ./run python benchmarks/popfit.py                  # both cases (a few minutes)
    ./run python benchmarks/popfit.py --case theoph --repeat 5 --json /tmp/popfit.json

Cases:

* ``theoph``: R's ``datasets::Theoph`` (``tests/data/nlme/theoph.csv``, 12 subjects) in NONMEM
  form: AMT = Dose x Wt (mg) into CMT 1 (depot), concentrations (mg/L) in CMT 2; model
  ``1cmt-oral``, BSV on CL and ka, additive error.
* ``phase1-200``: 200 SIMULATED subjects (seeded, in the style of
  ``scripts/simulate_pk_population.py``): balixafortide 2-compartment model at the project's
  typical values (CL 5.44 L/h, V1 14 L, Q 10 L/h, V2 45.8 L at 70 kg), allometric weight
  (clearances (WT/70)^0.75, volumes WT/70), 30 % CV on CL and V1, combined error (1 ng/mL +
  10 %), LLOQ 5 ng/mL (M3), one 2 h infusion at 2.0-5.5 mg/kg, half the subjects sampled
  richly (14 samples to 120 h), half sparsely (3-4 random times). Fitted with all four
  allometric covariates.

**Ours**: :func:`cxcr4lab.pkpd.popfit.fit_population` (FOCE-I; wall time of the whole fit,
covariance step included) and its objective :class:`cxcr4lab.fit.nlme.FoceObjective` (every
subject of every parameter vector in one vectorised call).

**Baseline** (:class:`ScipyFoce`, written here): the same FOCE-I objective one subject at a
time, as one would write it with scipy: the conditional mode of the subject's ``-2 log L +
eta' Omega^-1 eta`` by ``scipy.optimize.minimize`` (BFGS, its own finite-difference gradient),
then ``OFV_i = l_i(eta*) + log det Omega + log det(Omega^-1 + A_i)`` with the FOCE-I matrix
``A_i = sum_j w_j g_j g_j'`` (``g = df/deta`` by central differences; ``w = 1/V + (dV/df)^2 /
(2 V^2)``, the M3 expected-information weight for BLQ samples), summed over subjects. It uses
the model's own prediction and individual-parameter map, so only the objective differs.

**Same parameter vectors**: both objectives are timed on the 1 + 2P vectors of one
central-difference gradient (what a BFGS iteration evaluates) at the start vector (inner
problems started at eta = 0) and at popfit's estimate (started at the modes there); their
OFVs must agree to a relative 1e-4 or the benchmark exits with status 1. Each timing is
repeated ``--repeat`` times (median). The ratio R is the scipy time per OFV evaluation over
popfit's. A full scipy-driven fit (BFGS on the same gradient, then the same R-matrix points)
is timed when its extrapolated cost is below ``--scipy-fit-budget`` seconds; otherwise its
time is extrapolated as (time per evaluation) x (evaluations popfit's fit needed), and the
output says which.

After the cases the environment is printed (CPUs, load, how the compiled engines ran, library
versions; ``benchmarks/_env.py``) and, with the results (every figure printed, as numbers),
written as JSON beside this file (``popfit.json``; ``--json PATH``, ``--json ''`` for none).
The last line reads ``popfit: X s; scipy FOCE: Y s; ratio: R``; with ``--case all``, one such
line per case, in the order above, each ending with the case's name in brackets.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import log_ndtr

from _env import environment, print_environment, write_json
from cxcr4lab.fit.nlme import FoceObjective, NlmeData, NlmeModel, ParameterLayout
from cxcr4lab.pkpd.balixafortide import TYPICAL, concentration
from cxcr4lab.pkpd.popfit import PopFitSettings, build_problem, fit_population

Array = NDArray[np.float64]

ROOT = Path(__file__).resolve().parents[1]
THEOPH = ROOT / "tests" / "data" / "nlme" / "theoph.csv"
JSON_OUT = Path(__file__).with_suffix(".json")
SEED = 20261230
N_SUBJECTS = 200
LEVELS_MG_PER_KG = (2.0, 2.5, 3.0, 4.0, 5.0, 5.5)
RICH_TIMES_H = (0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0, 48.0, 72.0, 96.0, 120.0)
SPARSE_WINDOWS_H = ((0.5, 2.5), (3.0, 12.0), (24.0, 72.0), (72.0, 120.0))
OMEGA_SD = math.sqrt(math.log1p(0.3**2))  # 30 % CV
TRUTH = {
    "CL": TYPICAL["CL"],
    "V1": TYPICAL["V1"],
    "Q": TYPICAL["Q2"],
    "V2": TYPICAL["V2"],
    "sd(CL)": OMEGA_SD,
    "sd(V1)": OMEGA_SD,
    "sigma_add": 1.0,
    "sigma_prop": 0.10,
}
"""Truth of the ``phase1-200`` case (typical values at 70 kg; L/h, L, ng/mL, fraction)."""
LLOQ = 5.0
GRAD_STEP = 1e-5
"""Relative step of the central-difference gradient (popfit's)."""
HESS_STEP = 1e-3
"""Relative step of the R-matrix second differences (popfit's)."""
AGREE_REL = 1e-4


# --- data ---------------------------------------------------------------------------------------


def theoph_frame() -> pd.DataFrame:
    """Theoph in NONMEM form: dose (mg) into the depot, concentrations (mg/L) in CMT 2."""
    raw = pd.read_csv(THEOPH)
    rows: list[dict[str, float]] = []
    for _, g in raw.groupby("Subject", sort=False):
        wt, dose = float(g["Wt"].iloc[0]), float(g["Dose"].iloc[0])
        base = {"ID": float(g["Subject"].iloc[0]), "WT": wt}
        rows.append(
            base | {"TIME": 0.0, "AMT": dose * wt, "DV": math.nan, "EVID": 1, "MDV": 1, "CMT": 1}
        )
        for t, c in zip(g["Time"], g["conc"], strict=True):
            rows.append(
                base
                | {"TIME": float(t), "AMT": math.nan, "DV": float(c), "EVID": 0, "MDV": 0, "CMT": 2}
            )
    return pd.DataFrame(rows)


def phase1_frame(n: int = N_SUBJECTS, seed: int = SEED) -> pd.DataFrame:
    """``n`` SIMULATED subjects (see the module docstring), NONMEM form, DV in ng/mL."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, float]] = []
    for sid in range(1, n + 1):
        level = LEVELS_MG_PER_KG[(sid - 1) % len(LEVELS_MG_PER_KG)]
        rich = sid % 2 == 1
        wt = round(float(rng.uniform(50.0, 100.0)), 1)
        s = wt / 70.0
        eta = rng.normal(0.0, OMEGA_SD, 2)
        params = {
            "CL": TRUTH["CL"] * s**0.75 * math.exp(eta[0]),
            "V1": TRUTH["V1"] * s * math.exp(eta[1]),
            "Q2": TRUTH["Q"] * s**0.75,
            "V2": TRUTH["V2"] * s,
        }
        if rich:
            times = np.array(RICH_TIMES_H)
        else:
            keep = (0, 2, 3) if rng.random() < 0.5 else (0, 1, 2, 3)
            times = np.round([rng.uniform(*SPARSE_WINDOWS_H[k]) for k in keep], 2)
        amt = round(level * wt, 1)
        f = 1000.0 * concentration(times, amt, 2.0, params)
        sd = np.sqrt(TRUTH["sigma_add"] ** 2 + (TRUTH["sigma_prop"] * f) ** 2)
        dv = np.round(f + sd * rng.normal(size=len(times)), 1)
        base = {"ID": float(sid), "WT": wt, "DOSE": level, "CMT": 1}
        rows.append(
            base
            | {
                "TIME": 0.0,
                "AMT": amt,
                "RATE": amt / 2.0,
                "DV": math.nan,
                "EVID": 1,
                "MDV": 1,
                "BLQ": 0,
            }
        )
        for t, y in zip(times, dv, strict=True):
            blq = bool(y < LLOQ)
            rows.append(
                base
                | {"TIME": float(t), "AMT": math.nan, "RATE": math.nan, "EVID": 0, "MDV": 0}
                | {"DV": LLOQ if blq else float(y), "BLQ": int(blq)}
            )
    return pd.DataFrame(rows)


CASES: dict[str, tuple[str, Callable[[], pd.DataFrame], PopFitSettings]] = {
    "theoph": (
        "Theoph, 12 subjects, 1cmt-oral, BSV CL and ka, additive error",
        theoph_frame,
        PopFitSettings(
            model="1cmt-oral", bsv=("CL", "ka"), error="additive", conc_unit="mg/L", dose_unit="mg"
        ),
    ),
    "phase1-200": (
        f"SIMULATED phase 1, {N_SUBJECTS} subjects, 2cmt-infusion, BSV CL and V1, combined "
        "error, allometric WT, M3 (LLOQ 5 ng/mL)",
        phase1_frame,
        PopFitSettings(
            model="2cmt-infusion",
            bsv=("CL", "V1"),
            error="combined",
            covariates=(
                "CL~WT:allometric",
                "V1~WT:allometric",
                "Q~WT:allometric",
                "V2~WT:allometric",
            ),
            conc_unit="ng/mL",
            dose_unit="mg",
            lloq=LLOQ,
        ),
    ),
}


# --- the baseline -------------------------------------------------------------------------------


class ScipyFoce:
    """The FOCE-I objective written plainly: subject by subject, ``scipy.optimize.minimize`` for
    each conditional mode (see the module docstring). Diagonal Omega only."""

    def __init__(self, model: NlmeModel, data: NlmeData) -> None:
        layout = ParameterLayout.of(model)
        if layout.block or layout.n_sd != layout.q:
            raise SystemExit("the baseline handles a diagonal Omega with one SD per eta only")
        self.model = model
        self.p, self.q = layout.p, layout.q
        self.has_add, self.has_prop = model.error.has_additive, model.error.has_proportional
        x = data.columns(model.structural.x_names)
        z = data.z_matrix
        cens = data.censored.astype(bool)
        self.subjects = [
            (data.y[s : s + c], x[s : s + c], z[i : i + 1], cens[s : s + c])
            for i, (s, c) in enumerate(zip(data.starts, data.counts, strict=True))
        ]
        self.eta_ref = np.zeros((len(self.subjects), self.q))
        self.n_evaluations = 0

    def _decode(self, x: Array) -> tuple[Array, Array, float, float]:
        """theta (p,), Omega diagonal (q,), a^2, b^2."""
        p, q = self.p, self.q
        theta = x[:p]
        omega = np.exp(2.0 * x[p : p + q])
        err = np.exp(x[p + q :])
        a = err[0] if self.has_add else 0.0
        b = err[-1] if self.has_prop else 0.0
        return theta, omega, float(a * a), float(b * b)

    def subject(
        self, i: int, theta: Array, omega: Array, a2: float, b2: float, eta0: Array
    ) -> tuple[float, Array]:
        """Subject i's FOCE-I OFV and conditional mode (eta)."""
        y, xo, z, cens = self.subjects[i]
        n = len(y)
        ind, st = self.model.individual, self.model.structural
        th = theta[None, :]

        def pred(eta: Array) -> Array:
            phi = ind.phi(th, eta[None, :], z)
            return st.predict(np.repeat(phi, n, axis=0), xo)

        def l_i(eta: Array) -> float:
            with np.errstate(all="ignore"):
                f = pred(eta)
                v = a2 + b2 * f * f
                r = y - f
                obs = np.log(2.0 * math.pi * v) + r * r / v
                terms = np.where(cens, -2.0 * log_ndtr(r / np.sqrt(v)), obs)
                val = float(np.sum(terms) + np.sum(eta * eta / omega))
            return val if math.isfinite(val) else 1e300

        res = minimize(l_i, eta0, method="BFGS")
        eta = np.asarray(res.x, dtype=float)
        f = pred(eta)
        g = np.empty((n, self.q))
        for k in range(self.q):
            h = 1e-6 * max(1.0, abs(eta[k]))
            up, down = eta.copy(), eta.copy()
            up[k] += h
            down[k] -= h
            g[:, k] = (pred(up) - pred(down)) / (2.0 * h)
        v = a2 + b2 * f * f
        w = 1.0 / v + 0.5 * (2.0 * b2 * f) ** 2 / (v * v)
        if cens.any():  # M3: lambda (lambda + zeta) (dzeta/df)^2, lambda the inverse Mills ratio
            s = np.sqrt(v)
            zeta = (y - f) / s
            lam = np.exp(-0.5 * zeta * zeta - 0.5 * math.log(2.0 * math.pi) - log_ndtr(zeta))
            dz = -(1.0 + zeta * b2 * f / s) / s
            w = np.where(cens, lam * (lam + zeta) * dz * dz, w)
        a_mat = (g * w[:, None]).T @ g
        _, logdet = np.linalg.slogdet(np.diag(1.0 / omega) + a_mat)
        return l_i(eta) + float(np.sum(np.log(omega))) + float(logdet), eta

    def ofv(self, xs: Array, *, keep_first: bool = False) -> Array:
        """Total OFV (K,) at the vectors ``xs`` (K, P); every subject starts at ``eta_ref``;
        ``keep_first``: the modes at the first vector become the next start."""
        xs = np.atleast_2d(xs)
        out = np.empty(len(xs))
        for k, x in enumerate(xs):
            self.n_evaluations += 1
            theta, omega, a2, b2 = self._decode(x)
            total = 0.0
            modes = np.empty_like(self.eta_ref)
            for i in range(len(self.subjects)):
                val, modes[i] = self.subject(i, theta, omega, a2, b2, self.eta_ref[i])
                total += val
            out[k] = total
            if k == 0 and keep_first:
                self.eta_ref = modes
        return out


def gradient_points(x: Array) -> Array:
    """The 1 + 2P vectors of a central-difference gradient at ``x`` (popfit's steps)."""
    h = GRAD_STEP * np.maximum(np.abs(x), 1.0)
    pts = np.repeat(x[None, :], 1 + 2 * len(x), axis=0)
    idx = np.arange(len(x))
    pts[1 + 2 * idx, idx] += h
    pts[2 + 2 * idx, idx] -= h
    return pts


def hessian_points(x: Array) -> Array:
    """The 1 + 2P + 2P(P-1) vectors of popfit's R-matrix (central second differences)."""
    n = len(x)
    h = HESS_STEP * np.maximum(np.abs(x), 1.0)
    pts = [x.copy()]
    for i in range(n):
        for s in (1.0, -1.0):
            v = x.copy()
            v[i] += s * h[i]
            pts.append(v)
    for i in range(n):
        for j in range(i):
            for si, sj in ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)):
                v = x.copy()
                v[i] += si * h[i]
                v[j] += sj * h[j]
                pts.append(v)
    return np.array(pts)


def scipy_fit(base: ScipyFoce, x0: Array) -> tuple[Array, float, int, float]:
    """A full fit driven by the baseline: scipy BFGS (popfit's gradient and gtol), then the
    R-matrix points. Returns the estimate, its OFV, the evaluations and the wall time (s)."""
    started = time.perf_counter()
    base.eta_ref[:] = 0.0
    base.n_evaluations = 0

    def fun(x: Array) -> tuple[float, Array]:
        pts = gradient_points(x)
        vals = base.ofv(pts, keep_first=True)
        h = pts[1::2, :].diagonal() - x
        return float(vals[0]), (vals[1::2] - vals[2::2]) / (2.0 * h)

    res = minimize(fun, x0, jac=True, method="BFGS", options={"gtol": 1e-4, "maxiter": 500})
    x = np.asarray(res.x, dtype=float)
    base.ofv(hessian_points(x))
    return x, float(res.fun), base.n_evaluations, time.perf_counter() - started


# --- timing -------------------------------------------------------------------------------------


def timed(fun: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Wall seconds of ``repeat`` calls of ``fun`` and the last result."""
    times: list[float] = []
    out: Any = None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fun()
        times.append(time.perf_counter() - started)
    return times, out


def run_case(name: str, repeat: int, budget_s: float) -> tuple[dict[str, Any], str]:
    """Run one case (printing as it goes); its results and its headline line."""
    title, make, settings = CASES[name]
    frame = make()
    source = f"{name} (benchmark)"
    print(f"\n== {name}: {title}")

    fit_times, result = timed(lambda: fit_population(frame, settings, source=source), repeat)
    fit_s = statistics.median(fit_times)
    fit = result.fit
    print(
        f"popfit FOCE-I fit: {fit_s:.2f} s (median of {repeat}: "
        f"{', '.join(f'{t:.2f}' for t in fit_times)}); {fit.iterations} BFGS iterations, "
        f"{fit.n_evaluations} OFV evaluations ({fit.n_evaluations / fit_s:.1f} per s), "
        f"OFV {fit.ofv:.4f}, converged {fit.converged}"
    )
    table = result.summary().set_index("parameter")
    for pname, row in table.iterrows():
        truth = TRUTH.get(str(pname)) if name == "phase1-200" else None
        lo, hi = row["ci95_lower"], row["ci95_upper"]
        ci = f"[{lo:.4g}, {hi:.4g}]"
        mark = ""
        if truth is not None:
            inside = lo <= truth <= hi
            mark = f"  truth {truth:.4g} {'inside' if inside else 'OUTSIDE'}"
        print(f"  {pname!s:<12}{row['estimate']:>12.4g} {row['unit']:<9}95% CI {ci:<24}{mark}")

    problem = build_problem(frame, settings, source=source)
    ours = FoceObjective(problem.model, problem.nlme_data)
    base = ScipyFoce(problem.model, problem.nlme_data)
    x_start = ours.layout.start(problem.model, problem.nlme_data)
    x_est = np.array(fit.estimation_values)
    points: dict[str, dict[str, Any]] = {}
    worst = 0.0
    for label, x in (("start", x_start), ("estimate", x_est)):
        pts = gradient_points(x)
        if label == "start":  # cold: every inner problem from eta = 0
            u0, eta0 = np.zeros_like(ours.u_ref), np.zeros_like(base.eta_ref)
        else:  # warm: from the conditional modes at x (as in the fit's last iterations)
            ours.u_ref = np.zeros_like(ours.u_ref)
            ours.ofv(x[None, :])
            u0 = ours.last_u[0].copy()
            base.eta_ref[:] = 0.0
            base.ofv(x[None, :], keep_first=True)
            eta0 = base.eta_ref.copy()

        def run_ours(u0: Array = u0, pts: Array = pts) -> Array:
            ours.u_ref = u0.copy()
            return ours.ofv(pts)

        def run_base(eta0: Array = eta0, pts: Array = pts) -> Array:
            base.eta_ref = eta0.copy()
            return base.ofv(pts)

        t_ours, v_ours = timed(run_ours, repeat)
        t_base, v_base = timed(run_base, repeat)
        rel = np.abs(v_ours - v_base) / np.abs(v_base)
        worst = max(worst, float(rel.max()))
        k = len(pts)
        points[label] = {
            "vectors": k,
            "popfit_s": t_ours,
            "scipy_s": t_base,
            "ofv_popfit": float(v_ours[0]),
            "ofv_scipy": float(v_base[0]),
            "max_relative_difference": float(rel.max()),
        }
        print(
            f"at the {label} ({k} vectors, inner problems from "
            f"{'eta = 0' if label == 'start' else 'the modes there'}): OFV popfit "
            f"{v_ours[0]:.6f}, scipy {v_base[0]:.6f}, difference {v_ours[0] - v_base[0]:+.2e} "
            f"(max relative over the {k} vectors {rel.max():.1e}); time per evaluation popfit "
            f"{1e3 * statistics.median(t_ours) / k:.2f} ms, scipy "
            f"{1e3 * statistics.median(t_base) / k:.2f} ms"
        )
    per_ours = sum(statistics.median(p["popfit_s"]) for p in points.values()) / sum(
        p["vectors"] for p in points.values()
    )
    per_base = sum(statistics.median(p["scipy_s"]) for p in points.values()) / sum(
        p["vectors"] for p in points.values()
    )
    ratio = per_base / per_ours
    extrapolated = per_base * fit.n_evaluations
    full: dict[str, Any] | None = None
    if extrapolated <= budget_s:
        x_sp, ofv_sp, n_sp, scipy_s = scipy_fit(base, x_start)
        how = f"measured: a full scipy-driven fit, {n_sp} evaluations, OFV {ofv_sp:.4f}"
        full = {"evaluations": n_sp, "ofv": ofv_sp, "seconds": scipy_s, "x": x_sp.tolist()}
        print(
            f"scipy-driven fit: {scipy_s:.1f} s, {n_sp} evaluations, OFV {ofv_sp:.4f} "
            f"(popfit {fit.ofv:.4f}, difference {ofv_sp - fit.ofv:+.2e})"
        )
    else:
        scipy_s = extrapolated
        how = (
            f"extrapolated: {1e3 * per_base:.1f} ms per evaluation x the {fit.n_evaluations} "
            f"evaluations popfit needed (budget {budget_s:g} s)"
        )
    print(
        f"OFV evaluations: popfit {1e3 * per_ours:.2f} ms each ({1 / per_ours:.1f}/s), scipy "
        f"per subject {1e3 * per_base:.2f} ms each ({1 / per_base:.2f}/s); scipy FOCE time {how}"
    )
    if not worst <= AGREE_REL:
        print(
            f"FAILED: the objectives differ by {worst:.2e} relative (> {AGREE_REL:g})",
            file=sys.stderr,
        )
    headline = f"popfit: {fit_s:.2f} s; scipy FOCE: {scipy_s:.1f} s; ratio: {ratio:.1f}"
    return {
        "case": name,
        "title": title,
        "subjects": fit.n_subjects,
        "observations": fit.n_obs,
        "popfit_fit_s": fit_times,
        "popfit_iterations": fit.iterations,
        "popfit_evaluations": fit.n_evaluations,
        "popfit_ofv": fit.ofv,
        "popfit_converged": bool(fit.converged),
        "estimates": {str(k): float(v) for k, v in table["estimate"].items()},
        "ci95": {
            str(k): [float(row["ci95_lower"]), float(row["ci95_upper"])]
            for k, row in table.iterrows()
        },
        "points": points,
        "popfit_ms_per_evaluation": 1e3 * per_ours,
        "scipy_ms_per_evaluation": 1e3 * per_base,
        "ratio": ratio,
        "scipy_fit_s": scipy_s,
        "scipy_fit": "measured" if full is not None else "extrapolated",
        "scipy_full_fit": full,
        "agree": worst <= AGREE_REL,
        "max_relative_difference": worst,
    }, headline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=(*CASES, "all"), default="all")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each measurement")
    parser.add_argument(
        "--scipy-fit-budget",
        type=float,
        default=120.0,
        help="run the full scipy-driven fit when its extrapolated time is below this (s)",
    )
    parser.add_argument("--json", default=str(JSON_OUT), help="'' for none")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    names = list(CASES) if args.case == "all" else [args.case]
    ran = [run_case(n, args.repeat, args.scipy_fit_budget) for n in names]
    results = [r for r, _ in ran]
    print()
    env = environment()
    print_environment(env)
    write_json(args.json, "popfit", {"repeat": args.repeat, "cases": results}, env)
    for name, (_, headline) in zip(names, ran, strict=True):
        print(headline if len(names) == 1 else f"{headline} [{name}]")
    return 0 if all(r["agree"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
