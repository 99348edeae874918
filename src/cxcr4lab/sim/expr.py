"""Safe arithmetic expressions for model equations (parsed with :mod:`ast`, never ``eval``-ed raw).

An expression may use numbers, names (states, parameters, outputs, ``t`` for time in h), the
operators ``+ - * / **``, parentheses and the functions ``exp``, ``log``, ``sqrt``, ``abs``.
Anything else (attributes, subscripts, comparisons, calls to other functions) is refused with
an :class:`~cxcr4lab.core.errors.InputError` naming the equation.

The parsed tree is turned into Python source with every name renamed (for the generated numpy
and numba code) and into SBML L3 infix (for :func:`libsbml.parseL3Formula`).

>>> e = parse_expression("-(CL/V1)*A1 + exp(-k*t)", where="A1")
>>> sorted(e.symbols)
['A1', 'CL', 'V1', 'k', 't']
>>> e.python({"CL": "p0", "V1": "p1", "A1": "y0", "k": "p2", "t": "t"})
'-(p0 / p1) * y0 + math.exp(-p2 * t)'
>>> e.sbml()
'(((-(CL / V1)) * A1) + exp(((-k) * t)))'
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.core.errors import InputError

__all__ = ["FUNCTIONS", "Expression", "parse_expression"]

#: Allowed functions: name -> (Python source, SBML L3 infix name).
FUNCTIONS: Mapping[str, tuple[str, str]] = {
    "exp": ("math.exp", "exp"),
    "log": ("math.log", "ln"),
    "sqrt": ("math.sqrt", "sqrt"),
    "abs": ("abs", "abs"),
}

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_UNARY = (ast.UAdd, ast.USub)


def _check(node: ast.AST, text: str, where: str, symbols: set[str]) -> None:
    if isinstance(node, ast.Expression):
        _check(node.body, text, where, symbols)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
        _check(node.left, text, where, symbols)
        _check(node.right, text, where, symbols)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, _UNARY):
        _check(node.operand, text, where, symbols)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise InputError(f"{text!r}: only numbers allowed as constants", field=where)
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise InputError(f"{text!r}: function {node.id!r} used as a value", field=where)
        symbols.add(node.id)
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS or node.keywords or len(node.args) != 1:
            shown = name or ast.unparse(node.func)
            raise InputError(
                f"{text!r}: call to {shown!r} not allowed (allowed: {', '.join(FUNCTIONS)}, "
                "one argument each)",
                field=where,
            )
        _check(node.args[0], text, where, symbols)
    else:
        raise InputError(
            f"{text!r}: {type(node).__name__} not allowed (use numbers, names, + - * / ** and "
            f"{', '.join(FUNCTIONS)})",
            field=where,
        )


class _Rename(ast.NodeTransformer):
    def __init__(self, names: Mapping[str, str], sbml: bool) -> None:
        self.names = names
        self.sbml = sbml

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(id=self.names.get(node.id, node.id)), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        assert isinstance(node.func, ast.Name)
        py, sb = FUNCTIONS[node.func.id]
        arg = self.visit(node.args[0])
        return ast.copy_location(ast.Call(ast.Name(id=sb if self.sbml else py), [arg], []), node)


@dataclass(frozen=True)
class Expression:
    """A validated expression: its text, the equation it belongs to and the names it uses."""

    text: str
    where: str
    symbols: frozenset[str]

    def _tree(self) -> ast.Expression:
        return ast.parse(self.text, mode="eval")

    def python(self, names: Mapping[str, str]) -> str:
        """Python source with names replaced via ``names`` (functions from :mod:`math`)."""
        tree = _Rename(names, sbml=False).visit(self._tree())
        return ast.unparse(tree)

    def sbml(self, names: Mapping[str, str] | None = None) -> str:
        """SBML Level 3 infix text (``^`` for powers, ``ln`` for the natural log)."""
        tree = _Rename(names or {}, sbml=True).visit(self._tree())
        return _to_infix(tree.body)


def _to_infix(node: ast.AST) -> str:
    if isinstance(node, ast.BinOp):
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}[type(node.op)]
        return f"({_to_infix(node.left)} {op} {_to_infix(node.right)})"
    if isinstance(node, ast.UnaryOp):
        return f"({'-' if isinstance(node.op, ast.USub) else '+'}{_to_infix(node.operand)})"
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)
        return repr(float(node.value))
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return f"{node.func.id}({_to_infix(node.args[0])})"
    raise AssertionError(type(node).__name__)  # pragma: no cover - refused by _check


def parse_expression(text: str, *, where: str) -> Expression:
    """Parse and check ``text``; errors name the equation ``where``."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("expression is empty", field=where)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise InputError(f"{text!r} is not a valid expression ({exc.msg})", field=where) from None
    symbols: set[str] = set()
    _check(tree, text, where, symbols)
    return Expression(text.strip(), where, frozenset(symbols))
