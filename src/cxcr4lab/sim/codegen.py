"""Generate Python/numba source for a model and import it from an on-disk cache.

Why generated source: numba compiles plain scalar code well, and the fastest RHS is the model's
equations written out line by line. Writing the generated module to a file (named by the hash
of its text) lets ``njit(cache=True)`` keep the machine code between runs, so a model is
compiled once per machine, not once per process.

Why a hand-written integrator (the kernel below) instead of looping ``solve_ivp``: a
population is thousands of small, independent ODE systems; calling scipy per subject costs
milliseconds of Python overhead each. The kernel is the Dormand-Prince 5(4) method (the
``RK45`` of scipy) with Hairer's 4th-order dense output for exact hits on output times, the
same error norm and step control, run per subject, the subjects handed to the threads in small
chunks as the threads come free (:func:`cxcr4lab.core.parallel.run_chunked`). Dose times, infusion
starts/ends and resets are integration breakpoints (the step never crosses them).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from cxcr4lab.sim.model import TIME, Model

__all__ = ["cache_dir", "generated_module", "linear_block", "module_source"]


def cache_dir() -> Path:
    """Where generated modules (and numba's cache next to them) live."""
    from cxcr4lab.core.cache import cache_root

    path = cache_root() / "sim"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _names(model: Model) -> dict[str, str]:
    names = {TIME: "t"}
    names.update({p: f"p_{p}" for p in model.parameter_names})
    names.update({s: f"y_{s}" for s in model.state_names})
    return names


def _rhs_lines(
    model: Model, only: tuple[int, ...] | None = None, name: str = "rhs_py"
) -> list[str]:
    """``dy = f(t, y, p) + r``; with ``only``, just those derivatives (the others untouched)."""
    names = _names(model)
    return [
        f"def {name}(t, y, p, r, dy):",
        *[f"    p_{p} = p[{i}]" for i, p in enumerate(model.parameter_names)],
        *[f"    y_{s} = y[{i}]" for i, s in enumerate(model.state_names)],
        *[
            f"    dy[{i}] = {model.expression('d' + s).python(names)} + r[{i}]"
            for i, s in enumerate(model.state_names)
            if only is None or i in only
        ],
    ]


def linear_block(model: Model) -> tuple[int, ...]:
    """Indices of the states forming a closed, linear, time-invariant block (e.g. the PK).

    A state belongs if its equation uses no ``t``, only states of the block, is linear and
    homogeneous in them (checked numerically at random points), and the block's matrix is
    invertible at the default parameters (every mode decays). The batch kernel integrates
    these states exactly (eigen-decomposition) and leaves only the others to Dormand-Prince.
    """
    import math

    import numpy as np

    ns = len(model.states)
    deps = {
        i: {model.state_names.index(x) for x in model.expression("d" + s).symbols if x in
            model.state_names}
        for i, s in enumerate(model.state_names)
        if TIME not in model.expression("d" + s).symbols
    }  # fmt: skip
    env: dict[str, object] = {"math": math}
    exec("\n".join(_rhs_lines(model)), env)
    rhs = env["rhs_py"]
    assert callable(rhs)
    rng = np.random.default_rng(12345)
    zero = np.zeros(ns)
    p0 = np.array([q.value for q in model.parameters]) * rng.uniform(
        0.8, 1.25, len(model.parameters)
    )

    def f(y: np.ndarray) -> np.ndarray:
        out = np.empty(ns)
        with np.errstate(all="ignore"):
            try:
                rhs(0.0, y, p0, zero, out)
            except (ZeroDivisionError, OverflowError, ValueError):
                out[:] = np.nan
        return out

    block = set(deps)
    while True:
        block = {i for i in block if deps[i] <= block}
        if not block:
            return ()
        idx = sorted(block)
        base = rng.uniform(0.5, 2.0, ns)
        a = np.zeros(ns)
        b = np.zeros(ns)
        a[idx] = rng.uniform(0.5, 2.0, len(idx))
        b[idx] = rng.uniform(0.5, 2.0, len(idx))
        ya, yb, yab, y2a = base.copy(), base.copy(), base.copy(), base.copy()
        ya[idx], yb[idx], yab[idx], y2a[idx] = a[idx], b[idx], a[idx] + b[idx], 2 * a[idx]
        y0 = base.copy()
        y0[idx] = 0.0
        fa, fb, fab, f2a, f0 = f(ya), f(yb), f(yab), f(y2a), f(y0)
        bad = set()
        for i in idx:
            scale = max(abs(fa[i]), abs(fb[i]), 1e-300)
            ok = (
                np.isfinite([fa[i], fb[i], fab[i], f2a[i], f0[i]]).all()
                and abs(fab[i] - fa[i] - fb[i]) <= 1e-9 * scale
                and abs(f2a[i] - 2 * fa[i]) <= 1e-9 * scale
                and abs(f0[i]) <= 1e-12 * scale
            )
            if not ok:
                bad.add(i)
        if bad:
            block -= bad
            continue
        K = np.empty((len(idx), len(idx)))
        for c, i in enumerate(idx):
            y = base.copy()
            y[idx] = 0.0
            y[i] = 1.0
            K[:, c] = f(y)[idx]
        lam = np.linalg.eigvals(K)
        if np.any(np.abs(lam.imag) > 1e-9 * np.abs(lam).max()) or np.any(
            np.abs(lam) < 1e-12 * np.abs(K).max()
        ):
            return ()
        return tuple(idx)


def module_source(model: Model, *, exact_linear: bool = True) -> str:
    """Source of the generated module: ``rhs``, ``init``, ``observe`` and the batch kernel.

    With ``exact_linear`` the states of :func:`linear_block` are solved exactly in the kernel.
    """
    names = _names(model)
    unpack_p = [f"    p_{p} = p[{i}]" for i, p in enumerate(model.parameter_names)]
    unpack_y = [f"    y_{s} = y[{i}]" for i, s in enumerate(model.state_names)]
    lin = linear_block(model) if exact_linear else ()
    nonlin = tuple(i for i in range(len(model.states)) if i not in lin)
    rhs_lin = ["def rhs_lin_py(p, yl, dl):", *unpack_p]
    rhs_lin += [f"    y_{model.state_names[i]} = yl[{k}]" for k, i in enumerate(lin)]
    rhs_lin += [
        f"    dl[{k}] = {model.expression('d' + model.state_names[i]).python(names)}"
        for k, i in enumerate(lin)
    ]
    if not lin:
        rhs_lin.append("    pass")
    init = []
    for i, s in enumerate(model.states):
        value = (
            model.expression(f"init {s.name}").python(names)
            if isinstance(s.init, str)
            else repr(float(s.init))
        )
        init.append(f"    y[{i}] = {value}")
    obs = [
        f"    o[{i}] = {model.expression('out ' + o).python(names)}"
        for i, o in enumerate(model.output_names)
    ]
    n_out = len(model.output_names)
    obs += [f"    o[{n_out + i}] = y[{i}]" for i in range(len(model.state_names))]
    # the same values, only those asked for (o[q, j] = observable sel[q] at output time j)
    values = [model.expression("out " + o).python(names) for o in model.output_names]
    values += [f"y[{i}]" for i in range(len(model.state_names))]
    obs_sel = ["def observe_sel_py(t, y, p, sel, o, j):", *unpack_p, *unpack_y]
    obs_sel += ["    for q in range(sel.shape[0]):", "        k = sel[q]"]
    for i, v in enumerate(values):
        obs_sel += [f"        {'if' if i == 0 else 'elif'} k == {i}:", f"            o[q, j] = {v}"]
    # which states each observable reads (outputs, then the states themselves)
    deps = [
        [s in model.expression("out " + o).symbols for s in model.state_names]
        for o in model.output_names
    ]
    deps += [[i == k for k in range(len(model.states))] for i in range(len(model.states))]
    # the states of the linear block that the other states' equations read
    read = set().union(*(model.expression("d" + model.state_names[i]).symbols for i in nonlin))
    lin_rhs = [model.state_names[i] in read for i in lin] or [False]
    body = "\n".join(
        [
            f"# generated by cxcr4lab.sim.codegen for model {model.name!r}; do not edit",
            "import math",
            "import numpy as np",
            "from numba import njit",
            "from cxcr4lab.core.parallel import claim",
            "",
            f"NS = {len(model.states)}",
            f"NO = {n_out + len(model.states)}",
            f"NL = {len(lin)}",
            f"NN = {len(nonlin)}",
            f"LIN = np.array({list(lin) or [0]}, dtype=np.int64)",
            f"NONLIN = np.array({list(nonlin) or [0]}, dtype=np.int64)",
            f"DEPS = np.array({deps}, dtype=np.bool_).reshape(NO, NS)",
            f"LIN_RHS = np.array({lin_rhs}, dtype=np.bool_)",
            "",
            *_rhs_lines(model),
            "",
            *_rhs_lines(model, nonlin, "rhs_nl_py"),
            "",
            *rhs_lin,
            "",
            "def init_py(p, y):",
            *unpack_p,
            *init,
            "",
            "def observe_py(t, y, p, o):",
            *unpack_p,
            *unpack_y,
            *obs,
            "",
            *obs_sel,
            "",
            "rhs = njit(cache=True, nogil=True, error_model='numpy')(rhs_py)",
            "rhs_nl = njit(cache=True, nogil=True, error_model='numpy')(rhs_nl_py)",
            "rhs_lin = njit(cache=True, nogil=True, error_model='numpy')(rhs_lin_py)",
            "init = njit(cache=True, nogil=True, error_model='numpy')(init_py)",
            "observe = njit(cache=True, nogil=True, error_model='numpy')(observe_py)",
            "observe_sel = njit(cache=True, nogil=True, error_model='numpy')(observe_sel_py)",
            _KERNEL,
        ]
    )
    return body + "\n"


def generated_module(model: Model, *, exact_linear: bool = True) -> ModuleType:
    """Import (writing first if needed) the generated module of ``model``."""
    src = model._sources.get(exact_linear)
    if src is None:  # building the source is ms of work: once per model object
        src = model._sources[exact_linear] = module_source(model, exact_linear=exact_linear)
    digest = hashlib.sha256(src.encode()).hexdigest()[:16]
    name = f"cxcr4lab_sim_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != src:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(src)
        tmp.replace(path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# The integrator, appended to every generated module (it calls that module's rhs/init/observe).
_KERNEL = '''
# Dormand-Prince 5(4) tableau, error weights (b - b_hat) and Hairer's dense-output weights
C2, C3, C4, C5 = 1 / 5, 3 / 10, 4 / 5, 8 / 9
A21 = 1 / 5
A31, A32 = 3 / 40, 9 / 40
A41, A42, A43 = 44 / 45, -56 / 15, 32 / 9
A51, A52, A53, A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
A61, A62, A63, A64, A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
B1, B3, B4, B5, B6 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
E1, E3, E4, E5, E6, E7 = 71 / 57600, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40
D1, D3, D4 = -12715105075 / 11282082432, 87487479700 / 32700410799, -10690763975 / 1880347072
D5, D6, D7 = 701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423


@njit(cache=True, nogil=True)
def _norm(v, y, rtol, atol):
    if NN == 0:
        return 0.0
    s = 0.0
    for q in range(NN):
        i = NONLIN[q]
        s += (v[i] / (atol + rtol * abs(y[i]))) ** 2
    return math.sqrt(s / NN)


@njit(cache=True, nogil=True)
def _linear_at(tau, tseg, lam, V, w, yp, y, m):
    """Exact values of the linear block at time tau (segment started at tseg); m is scratch."""
    if NL == 0:
        return
    for a in range(NL):
        m[a] = math.exp(lam[a] * (tau - tseg)) * w[a]
    for i in range(NL):
        acc = yp[i]
        for a in range(NL):
            acc += V[i, a] * m[a]
        y[LIN[i]] = acc


@njit(cache=True, nogil=True)
def _linear_some(tau, tseg, lam, V, w, yp, y, m, modes, states):
    """_linear_at for the block's states flagged in states (NL bools) only, from the modes
    flagged in modes (those with V[i, a] != 0 for one of them): a term V[i, a] m[a] with
    V[i, a] == 0 adds nothing, so it is skipped. The other states of y keep stale values."""
    if NL == 0:
        return
    for a in range(NL):
        if modes[a]:
            m[a] = math.exp(lam[a] * (tau - tseg)) * w[a]
    for i in range(NL):
        if states[i]:
            acc = yp[i]
            for a in range(NL):
                if V[i, a] != 0.0:
                    acc += V[i, a] * m[a]
            y[LIN[i]] = acc


@njit(cache=True, nogil=True)
def _modes(V, states):
    """The modes (columns of V) that the flagged states of the linear block use."""
    used = np.zeros(max(NL, 1), dtype=np.bool_)
    for i in range(NL):
        if states[i]:
            for a in range(NL):
                if V[i, a] != 0.0:
                    used[a] = True
    return used


@njit(cache=True, nogil=True)
def _one(p, et, ek, ec, ev, ne, t_out, sel, need, rtol, atol, h_max, max_steps, o):
    """Integrate one subject; observables ``sel`` at t_out go to o (len(sel) x nt).

    Returns the number of steps, or -1 if max_steps was exceeded. The states of the linear
    block take their exact values at every stage, so the stages update only the others (and
    evaluate only the block's states the others' equations read, LIN_RHS, in full at a
    segment's end); the dense output interpolates only the states the observables ``need``
    (bools, NS).
    """
    nt = t_out.shape[0]
    y = np.empty(NS)
    init(p, y)
    r = np.zeros(NS)
    k1 = np.zeros(NS); k2 = np.zeros(NS); k3 = np.zeros(NS); k4 = np.zeros(NS)
    k5 = np.zeros(NS); k6 = np.zeros(NS); k7 = np.zeros(NS)
    yt = np.empty(NS); yn = np.empty(NS); mm = np.empty(max(NL, 1))
    # the linear block (states integrated exactly): K = V diag(lam) V^-1, per subject
    K = np.zeros((max(NL, 1), max(NL, 1)))
    lam = np.zeros(max(NL, 1))
    V = np.eye(max(NL, 1))
    Vi = np.eye(max(NL, 1))
    w = np.zeros(max(NL, 1))
    yp = np.zeros(max(NL, 1))
    if NL > 0:
        unit = np.zeros(NL)
        col = np.empty(NL)
        for a in range(NL):
            unit[a] = 1.0
            rhs_lin(p, unit, col)
            unit[a] = 0.0
            for i in range(NL):
                K[i, a] = col[i]
        lam, V = np.linalg.eig(K)
        Vi = np.linalg.inv(V)
    need_lin = False
    lin_out = np.zeros(max(NL, 1), dtype=np.bool_)
    for i in range(NL):
        lin_out[i] = need[LIN[i]]
        need_lin = need_lin or need[LIN[i]]
    modes_rhs = _modes(V, LIN_RHS)
    modes_out = _modes(V, lin_out)
    t = t_out[0]
    if ne > 0 and et[0] < t:
        t = et[0]
    k = 0
    j = 0
    steps = 0
    while True:
        while k < ne and et[k] <= t:
            if ek[k] == 0:
                y[ec[k]] += ev[k]
            elif ek[k] == 1:
                r[ec[k]] += ev[k]
                if abs(r[ec[k]]) < 1e-12 * abs(ev[k]):
                    r[ec[k]] = 0.0
            else:
                init(p, y)
                for i in range(NS):
                    r[i] = 0.0
            k += 1
        while j < nt and t_out[j] <= t:
            observe_sel(t_out[j], y, p, sel, o, j)
            j += 1
        if j >= nt:
            return steps
        t_end = t_out[nt - 1]
        if k < ne and et[k] < t_end:
            t_end = et[k]
        tseg = t
        if NL > 0:
            # particular solution yp = -K^-1 r and modal weights w = V^-1 (y - yp)
            for a in range(NL):
                acc = 0.0
                for i in range(NL):
                    acc += Vi[a, i] * r[LIN[i]]
                w[a] = acc / lam[a]
            for i in range(NL):
                acc = 0.0
                for a in range(NL):
                    acc += V[i, a] * w[a]
                yp[i] = -acc
            for a in range(NL):
                acc = 0.0
                for i in range(NL):
                    acc += Vi[a, i] * (y[LIN[i]] - yp[i])
                w[a] = acc
        # starting step (Hairer's simple estimate), limited by the segment and h_max
        rhs_nl(t, y, p, r, k1)
        d0 = _norm(y, y, rtol, atol)
        d1 = _norm(k1, y, rtol, atol)
        h = 0.01 * d0 / d1 if (d0 > 1e-5 and d1 > 1e-5) else 1e-6
        while t < t_end:
            last = False
            if h > h_max:
                h = h_max
            if t + h >= t_end - 1e-12 * abs(t_end):
                h = t_end - t
                last = True
            for q in range(NN):
                i = NONLIN[q]
                yt[i] = y[i] + h * A21 * k1[i]
            _linear_some(t + C2 * h, tseg, lam, V, w, yp, yt, mm, modes_rhs, LIN_RHS)
            rhs_nl(t + C2 * h, yt, p, r, k2)
            for q in range(NN):
                i = NONLIN[q]
                yt[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i])
            _linear_some(t + C3 * h, tseg, lam, V, w, yp, yt, mm, modes_rhs, LIN_RHS)
            rhs_nl(t + C3 * h, yt, p, r, k3)
            for q in range(NN):
                i = NONLIN[q]
                yt[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
            _linear_some(t + C4 * h, tseg, lam, V, w, yp, yt, mm, modes_rhs, LIN_RHS)
            rhs_nl(t + C4 * h, yt, p, r, k4)
            for q in range(NN):
                i = NONLIN[q]
                yt[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
            _linear_some(t + C5 * h, tseg, lam, V, w, yp, yt, mm, modes_rhs, LIN_RHS)
            rhs_nl(t + C5 * h, yt, p, r, k5)
            for q in range(NN):
                i = NONLIN[q]
                yt[i] = y[i] + h * (
                    A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]
                )
            _linear_some(t + h, tseg, lam, V, w, yp, yt, mm, modes_rhs, LIN_RHS)
            rhs_nl(t + h, yt, p, r, k6)
            for q in range(NN):
                i = NONLIN[q]
                yn[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i])
            tn = t_end if last else t + h
            if last:  # the whole block at the segment's end
                _linear_at(tn, tseg, lam, V, w, yp, yn, mm)
            else:  # the last stage's
                for i in range(NL):
                    if LIN_RHS[i]:
                        yn[LIN[i]] = yt[LIN[i]]
            rhs_nl(tn, yn, p, r, k7)
            e = 0.0
            if NN > 0:
                s = 0.0
                for q in range(NN):
                    i = NONLIN[q]
                    er = h * (
                        E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]
                    )
                    sc = atol + rtol * max(abs(y[i]), abs(yn[i]))
                    s += (er / sc) ** 2
                e = math.sqrt(s / NN)
            steps += 1
            if steps > max_steps:
                return -1
            if e <= 1.0:
                while j < nt and t_out[j] < tn:
                    th = (t_out[j] - t) / h
                    th1 = 1.0 - th
                    for q in range(NN):
                        i = NONLIN[q]
                        if not need[i]:
                            continue
                        r2 = yn[i] - y[i]
                        r3 = h * k1[i] - r2
                        r4 = r2 - h * k7[i] - r3
                        r5 = h * (D1 * k1[i] + D3 * k3[i] + D4 * k4[i] + D5 * k5[i]
                                  + D6 * k6[i] + D7 * k7[i])
                        yt[i] = y[i] + th * (r2 + th1 * (r3 + th * (r4 + th1 * r5)))
                    if need_lin:
                        _linear_some(
                            t_out[j], tseg, lam, V, w, yp, yt, mm, modes_out, lin_out
                        )
                    observe_sel(t_out[j], yt, p, sel, o, j)
                    j += 1
                t = tn
                for i in range(NS):
                    y[i] = yn[i]
                    k1[i] = k7[i]
                fac = 5.0 if e == 0.0 else min(5.0, max(0.2, 0.9 * e ** -0.2))
                h = h * fac
            else:
                h = h * max(0.2, 0.9 * e ** -0.2)


@njit(cache=True, nogil=True)
def simulate_chunks(
    chunk, counter, P, et, ek, ec, ev, ne, t_out, sel, need, rtol, atol, h_max, max_steps, out,
    steps,
):
    """Integrate the subjects (rows of P) of the chunks this thread claims from counter;
    need: the states the observables sel read (DEPS[sel].any(axis=0))."""
    n = P.shape[0]
    while True:
        lo = claim(counter) * chunk
        if lo >= n:
            return
        for s in range(lo, min(lo + chunk, n)):
            steps[s] = _one(
                P[s], et[s], ek[s], ec[s], ev[s], ne[s], t_out, sel, need, rtol, atol, h_max,
                max_steps, out[s],
            )
'''
