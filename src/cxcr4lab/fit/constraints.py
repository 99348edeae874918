"""Expressions tying parameters, as lmfit's ``expr``: ``{"top": "bottom + 100"}``.

Expressions are evaluated by asteval (the safe evaluator lmfit uses), with numpy functions such
as ``log10``, ``exp`` and ``sqrt``; they may name the model's other parameters (free or fixed)
but not another tied one. A tied parameter is not fitted: its value, and through the chain
rule its share of the Jacobian, follow from the parameters it names.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Callable, Mapping

import numpy as np
from asteval import Interpreter
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.fit.models import Model

__all__ = ["compile_ties"]

Filler = Callable[
    [NDArray[np.complex128] | NDArray[np.float64]], NDArray[np.complex128] | NDArray[np.float64]
]


def compile_ties(model: Model, tied: Mapping[str, str], *, place: Place | None = None) -> Filler:
    """A function filling the tied entries of a parameter vector (real or complex)."""
    where = place or Place(field="tied")
    names = set(model.param_names)
    targets = {model.index(name): name for name in tied}
    for name, expr in tied.items():
        field = f"tied[{name!r}]"
        try:
            tree = ast.parse(expr, mode="eval")
        except SyntaxError as exc:
            raise InputError(
                f"{expr!r} is not an expression ({exc.msg})", place=where, field=field
            ) from None
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        params = used & names
        if name in params:
            raise InputError(f"{name} cannot be tied to itself", place=where, field=field)
        if params & set(tied):
            raise InputError(
                f"{expr!r} names another tied parameter ({', '.join(sorted(params & set(tied)))})",
                place=where,
                field=field,
            )
    interp = Interpreter(
        minimal=True, use_numpy=True, writer=io.StringIO(), err_writer=io.StringIO()
    )

    def fill(
        p: NDArray[np.complex128] | NDArray[np.float64],
    ) -> NDArray[np.complex128] | NDArray[np.float64]:
        out = p.copy()
        for i, value in enumerate(p):
            interp.symtable[model.param_names[i]] = value
        for index, name in targets.items():
            value = interp.eval(tied[name])
            if interp.error:
                message = interp.error[0].get_error()[1].strip().splitlines()[-1]
                interp.error = []
                raise InputError(
                    f"cannot evaluate {tied[name]!r}: {message}",
                    place=where,
                    field=f"tied[{name!r}]",
                )
            out[index] = value
        return out

    return fill
