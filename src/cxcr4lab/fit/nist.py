"""NIST StRD nonlinear regression problems: the reference test of the fitting engine.

The 27 ``.dat`` files of NIST's Statistical Reference Datasets hold data, two starting points
and certified values (11 significant digits) for every parameter, its standard deviation and
the residual sum of squares. :func:`read_problem` parses one file into a frozen
:class:`NistProblem`; :func:`nist_model` gives its model as a :class:`Model` (analytic Jacobian
where short, complex step otherwise); :func:`lre` scores agreement in correct digits.

>>> lre(1.00000001, 1.0) > 7.9, lre(2.0, 2.0)
(True, 11.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, NotFoundError
from cxcr4lab.fit.models import Model
from cxcr4lab.fit.user import model_from_function

__all__ = ["NIST_PROBLEMS", "NistProblem", "lre", "nist_model", "read_problem"]

Array = NDArray[np.float64]

NIST_PROBLEMS: tuple[str, ...] = (
    "Misra1a", "Chwirut2", "Chwirut1", "Lanczos3", "Gauss1", "Gauss2", "DanWood", "Misra1b",
    "Kirby2", "Hahn1", "Nelson", "MGH17", "Lanczos1", "Lanczos2", "Gauss3", "Misra1c",
    "Misra1d", "Roszman1", "ENSO",
    "MGH09", "Thurber", "BoxBOD", "Rat42", "MGH10", "Eckerle4", "Rat43", "Bennett5",
)  # fmt: skip
"""The 27 problems in NIST's order (8 lower, 11 average, 8 higher difficulty)."""

_MAX_LRE = 11.0
"""NIST certifies 11 significant digits, so LRE is capped there."""

_PI = 3.141592653589793238462643383279  # the value printed in Roszman1.dat


@dataclass(frozen=True)
class NistProblem:
    """One StRD problem as certified by NIST.

    ``x`` has one column per predictor (Nelson has two); ``y`` is the response as fitted
    (``log(y)`` for Nelson, whose model is for ``log[y]``). ``start1`` is NIST's distant
    start, ``start2`` the closer one.
    """

    name: str
    difficulty: str
    formula: str
    x: Array
    y: Array
    start1: tuple[float, ...]
    start2: tuple[float, ...]
    certified: tuple[float, ...]
    certified_sd: tuple[float, ...]
    certified_rss: float
    certified_residual_sd: float
    dof: int

    @property
    def n_params(self) -> int:
        return len(self.certified)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(f"b{j + 1}" for j in range(self.n_params))

    @property
    def x_fit(self) -> Array:
        """The 1-D ``x`` handed to the fitter: the predictor, or for several predictors the
        observation number (the model then looks the predictors up)."""
        return self.x[:, 0] if self.x.shape[1] == 1 else np.arange(len(self.y), dtype=float)

    def start(self, which: int) -> dict[str, float]:
        """NIST starting point 1 or 2 as a ``start`` mapping for ``fit_curve``."""
        values = {1: self.start1, 2: self.start2}[which]
        return dict(zip(self.param_names, values, strict=True))


def lre(estimate: float, certified: float, *, cap: float = _MAX_LRE) -> float:
    """Log relative error ``-log10(|estimate - certified| / |certified|)``: the number of
    correct significant digits, capped at ``cap`` (NIST's 11); 0 for non-finite estimates."""
    if not math.isfinite(estimate):
        return 0.0
    if estimate == certified:
        return cap
    scale = abs(certified) if certified != 0 else 1.0
    return float(min(cap, max(0.0, -math.log10(abs(estimate - certified) / scale))))


def _header_range(lines: list[str], label: str, path: Path) -> tuple[int, int]:
    for line in lines[:12]:
        m = re.search(label + r"\s*\(lines\s+(\d+)\s+to\s+(\d+)\)", line)
        if m:
            return int(m.group(1)), int(m.group(2))
    raise InputError(f"no '{label} (lines a to b)' in the header", file=str(path))


def read_problem(path: str | Path) -> NistProblem:
    """Parse one NIST StRD nonlinear ``.dat`` file (layout: tests/data/nist_strd/README.md)."""
    path = Path(path)
    text = path.read_text(encoding="ascii")
    lines = text.splitlines()
    name = path.stem
    m = re.search(r"Dataset Name:\s+(\S+)", text)
    if m:
        name = m.group(1)
    m = re.search(r"(\w+) Level of Difficulty", text)
    if not m:
        raise InputError("no 'Level of Difficulty' line", file=str(path))
    difficulty = m.group(1)

    # The formula: the lines after "k Parameters (...)" up to the starting values table.
    formula_lines: list[str] = []
    in_model = False
    for line in lines:
        if re.match(r"\s*\d+ Parameters", line):
            in_model = True
            continue
        if in_model:
            if "Starting" in line or "Start 1" in line:
                break
            if line.strip():
                formula_lines.append(line.strip())
    formula = re.sub(r"\s+", " ", " ".join(formula_lines)).strip()

    starts, starts_end = _header_range(lines, "Starting Values", path)
    cert_start, cert_end = _header_range(lines, "Certified Values", path)
    data_start, data_end = _header_range(lines, "Data", path)
    s1: list[float] = []
    s2: list[float] = []
    cv: list[float] = []
    sd: list[float] = []
    pattern = re.compile(r"^\s*b(\d+)\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)")
    for i in range(starts - 1, starts_end):
        pm = pattern.match(lines[i])
        if not pm or int(pm.group(1)) != len(s1) + 1:
            raise InputError(f"not a parameter line: {lines[i]!r}", file=str(path), row=i + 1)
        s1.append(float(pm.group(2)))
        s2.append(float(pm.group(3)))
        cv.append(float(pm.group(4)))
        sd.append(float(pm.group(5)))
    block = "\n".join(lines[starts_end : cert_end + 1])

    def certified_number(label: str) -> float:
        cm = re.search(label + r":\s+(\S+)", block)
        if not cm:
            raise InputError(f"no certified '{label}'", file=str(path))
        return float(cm.group(1))

    rss = certified_number("Residual Sum of Squares")
    res_sd = certified_number("Residual Standard Deviation")
    dof = int(certified_number("Degrees of Freedom"))
    del cert_start
    rows = [lines[i].split() for i in range(data_start - 1, data_end) if lines[i].strip()]
    data = np.array(rows, dtype=float)
    y = data[:, 0]
    if re.match(r"log\[y\]", formula):
        y = np.log(y)
    return NistProblem(
        name=name,
        difficulty=difficulty,
        formula=formula,
        x=np.ascontiguousarray(data[:, 1:]),
        y=y,
        start1=tuple(s1),
        start2=tuple(s2),
        certified=tuple(cv),
        certified_sd=tuple(sd),
        certified_rss=rss,
        certified_residual_sd=res_sd,
        dof=dof,
    )


# --- the 27 model functions, vectorised over x, complex-safe -------------------------------------
# Each takes x and b1..bk; all use only operations that carry a complex step (exp, power, trig).

Func = Callable[..., Any]


def _misra1a(x: Any, b1: Any, b2: Any) -> Any:
    return b1 * (1 - np.exp(-b2 * x))


def _misra1a_jac(x: Any, b1: Any, b2: Any) -> Any:
    e = np.exp(-b2 * x)
    return np.column_stack([1 - e, b1 * x * e])


def _chwirut(x: Any, b1: Any, b2: Any, b3: Any) -> Any:
    return np.exp(-b1 * x) / (b2 + b3 * x)


def _chwirut_jac(x: Any, b1: Any, b2: Any, b3: Any) -> Any:
    e, d = np.exp(-b1 * x), b2 + b3 * x
    return np.column_stack([-x * e / d, -e / d**2, -x * e / d**2])


def _lanczos(x: Any, b1: Any, b2: Any, b3: Any, b4: Any, b5: Any, b6: Any) -> Any:
    return b1 * np.exp(-b2 * x) + b3 * np.exp(-b4 * x) + b5 * np.exp(-b6 * x)


def _lanczos_jac(x: Any, b1: Any, b2: Any, b3: Any, b4: Any, b5: Any, b6: Any) -> Any:
    e2, e4, e6 = np.exp(-b2 * x), np.exp(-b4 * x), np.exp(-b6 * x)
    return np.column_stack([e2, -b1 * x * e2, e4, -b3 * x * e4, e6, -b5 * x * e6])


def _gauss(x: Any, b1: Any, b2: Any, b3: Any, b4: Any, b5: Any, b6: Any, b7: Any, b8: Any) -> Any:
    return (
        b1 * np.exp(-b2 * x)
        + b3 * np.exp(-((x - b4) ** 2) / b5**2)
        + b6 * np.exp(-((x - b7) ** 2) / b8**2)
    )


def _danwood(x: Any, b1: Any, b2: Any) -> Any:
    return b1 * x**b2


def _danwood_jac(x: Any, b1: Any, b2: Any) -> Any:
    p = x**b2
    return np.column_stack([p, b1 * p * np.log(x)])


def _misra1b(x: Any, b1: Any, b2: Any) -> Any:
    return b1 * (1 - (1 + b2 * x / 2) ** (-2))


def _kirby2(x: Any, b1: Any, b2: Any, b3: Any, b4: Any, b5: Any) -> Any:
    return (b1 + b2 * x + b3 * x**2) / (1 + b4 * x + b5 * x**2)


def _cubic_ratio(x: Any, b1: Any, b2: Any, b3: Any, b4: Any, b5: Any, b6: Any, b7: Any) -> Any:
    return (b1 + b2 * x + b3 * x**2 + b4 * x**3) / (1 + b5 * x + b6 * x**2 + b7 * x**3)


def _mgh17(x: Any, b1: Any, b2: Any, b3: Any, b4: Any, b5: Any) -> Any:
    return b1 + b2 * np.exp(-x * b4) + b3 * np.exp(-x * b5)


def _misra1c(x: Any, b1: Any, b2: Any) -> Any:
    return b1 * (1 - (1 + 2 * b2 * x) ** (-0.5))


def _misra1d(x: Any, b1: Any, b2: Any) -> Any:
    return b1 * b2 * x * ((1 + b2 * x) ** (-1))


def _roszman1(x: Any, b1: Any, b2: Any, b3: Any, b4: Any) -> Any:
    return b1 - b2 * x - np.arctan(b3 / (x - b4)) / _PI


def _enso(
    x: Any, b1: Any, b2: Any, b3: Any, b4: Any, b5: Any, b6: Any, b7: Any, b8: Any, b9: Any
) -> Any:
    w = 2 * _PI * x
    return (
        b1
        + b2 * np.cos(w / 12)
        + b3 * np.sin(w / 12)
        + b5 * np.cos(w / b4)
        + b6 * np.sin(w / b4)
        + b8 * np.cos(w / b7)
        + b9 * np.sin(w / b7)
    )


def _mgh09(x: Any, b1: Any, b2: Any, b3: Any, b4: Any) -> Any:
    return b1 * (x**2 + x * b2) / (x**2 + x * b3 + b4)


def _rat42(x: Any, b1: Any, b2: Any, b3: Any) -> Any:
    return b1 / (1 + np.exp(b2 - b3 * x))


def _rat42_jac(x: Any, b1: Any, b2: Any, b3: Any) -> Any:
    e = np.exp(b2 - b3 * x)
    d = 1 + e
    return np.column_stack([1 / d, -b1 * e / d**2, b1 * x * e / d**2])


def _mgh10(x: Any, b1: Any, b2: Any, b3: Any) -> Any:
    return b1 * np.exp(b2 / (x + b3))


def _mgh10_jac(x: Any, b1: Any, b2: Any, b3: Any) -> Any:
    e = np.exp(b2 / (x + b3))
    return np.column_stack([e, b1 * e / (x + b3), -b1 * b2 * e / (x + b3) ** 2])


def _eckerle4(x: Any, b1: Any, b2: Any, b3: Any) -> Any:
    return (b1 / b2) * np.exp(-0.5 * ((x - b3) / b2) ** 2)


def _rat43(x: Any, b1: Any, b2: Any, b3: Any, b4: Any) -> Any:
    return b1 / ((1 + np.exp(b2 - b3 * x)) ** (1 / b4))


def _bennett5(x: Any, b1: Any, b2: Any, b3: Any) -> Any:
    return b1 * (b2 + x) ** (-1 / b3)


_FUNCS: dict[str, tuple[Func, Func | None]] = {
    "Misra1a": (_misra1a, _misra1a_jac),
    "Chwirut1": (_chwirut, _chwirut_jac),
    "Chwirut2": (_chwirut, _chwirut_jac),
    "Lanczos1": (_lanczos, _lanczos_jac),
    "Lanczos2": (_lanczos, _lanczos_jac),
    "Lanczos3": (_lanczos, _lanczos_jac),
    "Gauss1": (_gauss, None),
    "Gauss2": (_gauss, None),
    "Gauss3": (_gauss, None),
    "DanWood": (_danwood, _danwood_jac),
    "Misra1b": (_misra1b, None),
    "Kirby2": (_kirby2, None),
    "Hahn1": (_cubic_ratio, None),
    "Thurber": (_cubic_ratio, None),
    "MGH17": (_mgh17, None),
    "Misra1c": (_misra1c, None),
    "Misra1d": (_misra1d, None),
    "Roszman1": (_roszman1, None),
    "ENSO": (_enso, None),
    "MGH09": (_mgh09, None),
    "BoxBOD": (_misra1a, _misra1a_jac),
    "Rat42": (_rat42, _rat42_jac),
    "MGH10": (_mgh10, _mgh10_jac),
    "Eckerle4": (_eckerle4, None),
    "Rat43": (_rat43, None),
    "Bennett5": (_bennett5, None),
}


def _nelson_factory(x1: Array, x2: Array) -> Func:
    """Nelson's two predictors, looked up by observation number (the fitter's 1-D ``x``)."""

    def nelson(i: Any, b1: Any, b2: Any, b3: Any) -> Any:
        k = np.asarray(i).astype(int)
        return b1 - b2 * x1[k] * np.exp(-b3 * x2[k])

    return nelson


def nist_model(problem: NistProblem) -> Model:
    """The problem's model for ``fit_curve(model, problem.x_fit, problem.y, start=...)``.

    Registered as ``nist_<name>``; no automatic starts (NIST's starts are the test).
    """
    if problem.name == "Nelson":
        func: Func = _nelson_factory(problem.x[:, 0].copy(), problem.x[:, 1].copy())
        jac: Func | None = None
    elif problem.name in _FUNCS:
        func, jac = _FUNCS[problem.name]
    else:
        raise NotFoundError(f"no model for NIST problem {problem.name!r}")
    return model_from_function(
        func,
        name=f"nist_{problem.name}",
        param_names=problem.param_names,
        jac=jac,
        title=f"NIST StRD {problem.name}: {problem.formula}",
    )
