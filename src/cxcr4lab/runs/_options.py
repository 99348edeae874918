"""Options declared once, as data: the settings of an analysis kind and every form they take.

A kind's ``Options`` is a frozen dataclass whose fields are made with :func:`option`: the help
text, the unit, the allowed values (choices, bounds, a plausible-range quantity kind) and the
default. From that declaration alone come

* :func:`parse_options`: text or typed values (from the command line, an API form or a web form)
  -> an ``Options`` instance, with one message per bad value, the same on every surface
  ("``kd``: must be a concentration from 1 aM to 10 M (e.g. 0.5 nM); got '1e300 M'");
* :func:`typer_parameters`: the ``typer.Option`` parameters of a command;
* :func:`form_parameters`: the FastAPI ``Form`` parameters of a request (so the OpenAPI schema
  carries each field's description, default and allowed values);
* :func:`widgets`: what a web form shows for each field.

Like scikit-learn's declared parameter constraints, an allowed value is spelled once, here.
Written by hand because no library derives typer options, FastAPI forms and web widgets from one
dataclass declaration with unit-aware quantity fields.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.core.errors import InputError, Place, quote

__all__ = [
    "OptionSpec",
    "Surface",
    "cli_flag",
    "form_parameters",
    "option",
    "option_specs",
    "parse_options",
    "typer_parameters",
    "widgets",
]

Surface = Literal["cli", "api", "web"]
Kind = Literal["number", "integer", "text", "choice", "flag", "quantity", "list"]

LIST_SEPARATORS = ";\n"
"""A list option given as one text (a form field) is split at these."""

_SPEC = "cxcr4lab.option"
_UNSET: Any = object()


@dataclass(frozen=True)
class OptionSpec:
    """One declared option: its name (the dataclass field), what it is and what it allows.

    ``quantity`` names a plausible range of :data:`cxcr4lab.core.units.RANGES` (only
    ``"concentration"`` is read from text today); such a field holds the SI value (mol/L) and is
    given as text with a unit. ``example`` is the text shown as its default or example.
    """

    name: str
    help: str
    kind: Kind
    default: Any
    required: bool
    unit: str = ""
    quantity: str | None = None
    choices: tuple[str, ...] = ()
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    example: str = ""
    mw_of: str | None = None
    """For a concentration: the compound whose molecular weight converts mass units (ng/mL)."""
    item: Callable[[str], Any] | None = None
    """For a list (a ``tuple[...]`` field): reads one item's text, raising ValueError (whose
    message is shown) or InputError if it is bad; None keeps the text."""

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--radioligand-conc``."""
        return cli_flag(self.name)

    def constraint(self) -> str:
        """What the option allows, as a phrase: ``one of 'peak', 'auc'``, ``a number > 0``."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "quantity":
            from cxcr4lab.core.units import RANGES

            shown = RANGES[self.quantity or "concentration"].text
            hint = f" (e.g. {self.example})" if self.example else ""
            return f"a {self.quantity} from {shown}{hint}"
        if self.kind == "flag":
            return "true or false"
        if self.kind == "text":
            return "text"
        if self.kind == "list":
            shown = f" such as {self.example}" if self.example else ""
            return f"a list of items{shown} (repeat the option, or separate them with ';')"
        noun = "a whole number" if self.kind == "integer" else "a number"
        bounds = [
            f"{op} {_num(v)}"
            for op, v in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt))
            if v is not None
        ]
        unit = f" ({self.unit})" if self.unit else ""
        return noun + (" " + " and ".join(bounds) if bounds else "") + unit


def _num(v: float) -> str:
    return f"{v:g}"


def cli_flag(name: str) -> str:
    """The flag of an option name.

    >>> cli_flag("radioligand_conc")
    '--radioligand-conc'
    """
    return "--" + name.replace("_", "-")


def option(
    help: str,
    *,
    default: Any = _UNSET,
    unit: str = "",
    quantity: str | None = None,
    choices: Sequence[str] = (),
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    example: str = "",
    mw_of: str | None = None,
    item: Callable[[str], Any] | None = None,
) -> Any:
    """A dataclass field declaring one option (see :class:`OptionSpec`); no default: required."""
    meta = {
        "help": help,
        "unit": unit,
        "quantity": quantity,
        "choices": tuple(choices),
        "ge": ge,
        "gt": gt,
        "le": le,
        "lt": lt,
        "example": example,
        "mw_of": mw_of,
        "item": item,
    }
    if isinstance(default, list):
        raise TypeError("a list option's default is a tuple")
    if default is _UNSET:
        return dataclasses.field(metadata={_SPEC: meta})
    return dataclasses.field(default=default, metadata={_SPEC: meta})


def option_specs(options: type[Any]) -> tuple[OptionSpec, ...]:
    """The declared options of an ``Options`` dataclass, in field order."""
    hints = typing.get_type_hints(options)
    out: list[OptionSpec] = []
    for f in dataclasses.fields(options):
        meta = f.metadata.get(_SPEC)
        if meta is None:
            raise TypeError(f"{options.__name__}.{f.name} is not declared with option()")
        required = f.default is dataclasses.MISSING
        default = None if required else f.default
        base = _base_type(hints[f.name])
        choices: tuple[str, ...] = meta["choices"]
        kind: Kind
        if typing.get_origin(base) is tuple:
            kind = "list"
        elif typing.get_origin(base) is Literal:
            kind, choices = "choice", tuple(str(a) for a in typing.get_args(base))
        elif meta["quantity"] is not None:
            if meta["quantity"] != "concentration":
                raise TypeError(f"{options.__name__}.{f.name}: only concentrations are read")
            kind = "quantity"
        elif base is bool:
            kind = "flag"
        elif base is int:
            kind = "integer"
        elif base is float:
            kind = "number"
        elif base is str:
            kind = "choice" if choices else "text"
        else:
            raise TypeError(f"{options.__name__}.{f.name}: unsupported option type {base!r}")
        out.append(
            OptionSpec(
                name=f.name,
                help=meta["help"],
                kind=kind,
                default=default,
                required=required,
                unit=meta["unit"],
                quantity=meta["quantity"],
                choices=choices,
                ge=meta["ge"],
                gt=meta["gt"],
                le=meta["le"],
                lt=meta["lt"],
                example=meta["example"],
                mw_of=meta["mw_of"],
                item=meta["item"],
            )
        )
    return tuple(out)


def _base_type(hint: Any) -> Any:
    """``float | None`` -> ``float``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


# --- parsing ----------------------------------------------------------------------------------


def _bad(spec: OptionSpec, value: object) -> InputError:
    return InputError(
        f"must be {spec.constraint()}; got {quote(value)}", place=Place(field=spec.name)
    )


def _is_empty(value: object) -> bool:
    if isinstance(value, list | tuple):
        return not any(not _is_empty(v) for v in value)
    return value is None or (isinstance(value, str) and not value.strip())


def parse_options(
    options: type[Any],
    raw: Mapping[str, object],
    *,
    mw_lookup: Callable[[str], float | None] | None = None,
) -> Any:
    """An ``options`` instance from ``raw`` values (text as typed, or typed values).

    Empty text and None take the default; an unknown name, a missing required option or a bad
    value is one :class:`InputError` naming the option (the same words on every surface).
    """
    specs = {s.name: s for s in option_specs(options)}
    unknown = sorted(set(raw) - set(specs))
    if unknown:
        raise InputError(
            f"is not an option of this analysis; the options are {', '.join(specs)}",
            place=Place(field=unknown[0]),
        )
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        value = raw.get(name)
        if _is_empty(value):
            if spec.required:
                raise InputError(f"is needed: {spec.constraint()}", place=Place(field=spec.name))
            continue
        values[name] = _convert(spec, value, mw_lookup)
    return options(**values)


def _convert(
    spec: OptionSpec, value: object, mw_lookup: Callable[[str], float | None] | None
) -> Any:
    if spec.kind == "quantity":
        return _quantity(spec, value, mw_lookup)
    if spec.kind == "list":
        return _items(spec, value)
    if spec.kind == "choice":
        text = str(value).strip()
        if text not in spec.choices:
            raise _bad(spec, value)
        return text
    if spec.kind == "text":
        return str(value).strip()
    if spec.kind == "flag":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise _bad(spec, value)
    return _number(spec, value)


def _items(spec: OptionSpec, value: object) -> tuple[Any, ...]:
    """A list option from repeated values or one text split at :data:`LIST_SEPARATORS`."""
    import re

    given = value if isinstance(value, list | tuple) else [value]
    texts = [
        part.strip()
        for v in given
        for part in re.split(f"[{re.escape(LIST_SEPARATORS)}]", str(v))
        if part.strip()
    ]
    if spec.item is None:
        return tuple(texts)
    out = []
    for text in texts:
        try:
            out.append(spec.item(text))
        except InputError as exc:
            raise InputError(exc.message, place=Place(field=spec.name)) from None
        except (ValueError, TypeError) as exc:
            reason = str(exc) or f"must be {spec.constraint()}"
            raise InputError(f"{quote(text)}: {reason}", place=Place(field=spec.name)) from None
    return tuple(out)


def _number(spec: OptionSpec, value: object) -> float | int:
    if isinstance(value, bool):
        raise _bad(spec, value)
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise _bad(spec, value) from None
    if not math.isfinite(number):
        raise _bad(spec, value)
    if spec.kind == "integer":
        if number != int(number):
            raise _bad(spec, value)
        number = int(number)
    if (
        (spec.ge is not None and not number >= spec.ge)
        or (spec.gt is not None and not number > spec.gt)
        or (spec.le is not None and not number <= spec.le)
        or (spec.lt is not None and not number < spec.lt)
    ):
        raise _bad(spec, value)
    return number


def _quantity(
    spec: OptionSpec, value: object, mw_lookup: Callable[[str], float | None] | None
) -> float:
    from cxcr4lab.core.units import to_molar

    if isinstance(value, float | int) and not isinstance(value, bool):
        raise _bad(spec, value)  # a bare number has no unit
    mw = None if spec.mw_of is None or mw_lookup is None else mw_lookup(spec.mw_of)
    return to_molar(str(value), place=Place(field=spec.name), allow_zero=False, mw_g_per_mol=mw)


# --- surfaces ---------------------------------------------------------------------------------


def _shown_default(spec: OptionSpec) -> str:
    """The default as a person types it ('' if none; a quantity shows its example)."""
    if spec.default is None:
        return ""
    if spec.kind == "list":
        return "; ".join(str(v) for v in spec.default)
    if spec.kind == "quantity":
        return spec.example
    return str(spec.default).lower() if spec.kind == "flag" else str(spec.default)


def _help(spec: OptionSpec) -> str:
    text = spec.help
    if spec.kind in ("number", "integer") and spec.unit:
        text += f" [{spec.unit}]"
    return text


def typer_parameters(options: type[Any]) -> list[inspect.Parameter]:
    """The keyword parameters (``typer.Option``) of a command taking ``options``.

    Every value arrives as text (``str | None``) and is read by :func:`parse_options`, so the
    command line gives the same messages as the API; choices are shown as the metavar.
    """
    import typer
    from rich.markup import escape

    params: list[inspect.Parameter] = []
    for spec in option_specs(options):
        extra: dict[str, Any] = {}
        if spec.kind == "choice":
            extra["metavar"] = "[" + "|".join(spec.choices) + "]"
        shown = _shown_default(spec)
        help_text = escape(  # typer renders help as rich markup: keep the brackets as text
            _help(spec)
            + (" [required]" if spec.required else f" [default: {shown}]" if shown else "")
        )
        if spec.kind == "flag":
            annotation: Any = typing.Annotated[
                bool | None,
                typer.Option(f"{spec.flag}/{cli_flag('no_' + spec.name)}", help=help_text),
            ]
        elif spec.kind == "list":
            annotation = typing.Annotated[
                list[str] | None,
                typer.Option(
                    spec.flag,
                    help=help_text + " (repeatable)",
                    show_default=False,
                    metavar=spec.example or "TEXT",
                ),
            ]
        else:
            annotation = typing.Annotated[
                str | None,
                typer.Option(spec.flag, help=help_text, show_default=False, **extra),
            ]
        params.append(
            inspect.Parameter(
                spec.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
            )
        )
    return params


def form_parameters(options: type[Any]) -> list[inspect.Parameter]:
    """The FastAPI ``Form`` parameters of a request taking ``options`` (all text, read by
    :func:`parse_options` so a bad value is a 422 naming the field, in the CLI's words); the
    OpenAPI schema shows each description, default and allowed values."""
    from fastapi import Form

    params: list[inspect.Parameter] = []
    for spec in option_specs(options):
        schema: dict[str, Any] = {}
        if spec.kind == "choice":
            schema["enum"] = ["", *spec.choices]
        shown = _shown_default(spec)
        description = (
            _help(spec) + f"; {spec.constraint()}" + (f" (default {shown})" if shown else "")
        )
        annotation = typing.Annotated[
            str,
            Form(
                max_length=4000 if spec.kind == "list" else 100,
                description=description,
                json_schema_extra=schema or None,
            ),
        ]
        params.append(
            inspect.Parameter(
                spec.name, inspect.Parameter.KEYWORD_ONLY, default="", annotation=annotation
            )
        )
    return params


def widgets(options: type[Any]) -> list[dict[str, Any]]:
    """What a web form shows per option: name, label, input type, choices, default, help."""
    out: list[dict[str, Any]] = []
    for spec in option_specs(options):
        widget = {
            "choice": "select",
            "flag": "checkbox",
            "number": "number",
            "integer": "number",
            "list": "textarea",
        }.get(spec.kind, "text")
        out.append(
            {
                "name": spec.name,
                "label": spec.name.replace("_", " "),
                "widget": widget,
                "choices": list(spec.choices),
                "default": _shown_default(spec),
                "required": spec.required,
                "help": spec.help,
                "allowed": spec.constraint(),
                "unit": spec.unit,
            }
        )
    return out
