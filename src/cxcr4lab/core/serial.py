"""Results as JSON: one converter between frozen dataclasses and JSON-ready dicts, both ways.

Why cattrs: a result is a tree of frozen dataclasses whose annotations already say everything a
reader needs (``tuple[float, ...]``, ``Literal["=", "<", ">"]``, ``FitResult | None``,
``Mapping[str, int]``, nested results). cattrs builds the (un)structuring function of each class
from those annotations once, so no class writes its own ``from_dict``, and a bad stored result
fails with the path of the offending key instead of a bare ``KeyError`` deep in a constructor.

What :data:`converter` is configured for (the JSON the store already holds, byte for byte:
``tests/data/serial`` keeps results written by the hand-written ``to_dict`` methods this
replaced, and they load and are written again unchanged):

* **tuples** are written as JSON lists and read back as tuples, fixed-length ones
  (``tuple[float, float]``) checked for their length; ``Mapping`` fields read back as dicts;
* **Literal** fields must hold one of their values; ``X | None`` reads ``null`` as ``None``;
  nested frozen dataclasses are rebuilt through their constructors (so ``__post_init__`` checks
  run again); a missing key takes the field's default (results stored before the field
  existed, e.g. ``ci_method`` of a curve), unknown keys are ignored;
* **strict scalars**: ``str``, ``bool`` and ``int`` fields take only that JSON type (an integral
  number such as ``3.0`` is accepted for an ``int``); ``float`` fields take any number and keep
  a JSON int as an int (``48 == 48.0``), so a result is written back exactly as it was read;
* **non-finite floats**: JSON has no NaN or infinity and the store refuses them (its
  ``_check_json``). NaN is written as ``null`` and +/-infinity as ``"inf"`` / ``"-inf"``, as
  the result classes did (the ODE and regimen simulations wrote ``null`` for an infinity too,
  which still reads back as NaN); a ``float`` field reads ``null`` as NaN, a ``float | None``
  field as ``None``;
* **numpy**: numpy scalars (``np.float64`` from a reduction, ``np.int64`` from a count) are
  written as Python numbers, arrays (``NDArray`` fields) as nested lists and read back as arrays
  of the annotated dtype;
* **kind**: a class with a ``kind`` class variable (every stored result class) is written with
  ``"kind"`` as its first key, also when nested (a :class:`~cxcr4lab.pkpd.regimens.Regimen`
  inside a regimen simulation); a ``"kind"`` key is ignored when reading.

There are no enums, datetimes or renamed or computed keys in the results. A class whose stored
form differs from its fields says so next to it: :func:`stored` for keys written in another
order than the fields (``units`` before ``subjects``), a hook on :data:`converter` for a value
written another way (a ``DoseSpec`` as its text, ``"5.5 mg/kg"``). JSON that does not fit its
class raises one :class:`SerialError` naming the kind and the key.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Point(Serial):
...     x: float
...     labels: tuple[str, ...] = ()
>>> Point(float("inf"), ("a",)).to_dict()
{'x': 'inf', 'labels': ['a']}
>>> Point.from_dict({"x": 1.5, "labels": ["a", "b"]})
Point(x=1.5, labels=('a', 'b'))
>>> Point.from_dict({"labels": ["a"]})
Traceback (most recent call last):
...
cxcr4lab.core.serial.SerialError: stored Point result: key 'x' is missing
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Self, TypeVar, get_args, get_origin

import cattrs
import numpy as np
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from cxcr4lab.core.errors import Cxcr4labError, InputError, Place, quote

__all__ = ["Serial", "SerialError", "converter", "from_json", "stored", "to_json"]

T = TypeVar("T")

INF, NEG_INF = "inf", "-inf"
"""How +/-infinity are written (JSON has no infinity)."""


class SerialError(InputError):
    """A stored result (or a dict given to ``from_dict``) that does not fit its class, naming
    the kind and the key: ``stored binding result: key 'settings.kd_molar' is missing``.
    ``kind`` is the result's kind (the class name for a class without one), ``key`` the path
    of the key in the JSON (``wells[3].signal``; empty for the object as a whole)."""

    def __init__(
        self, message: str, *, kind: str = "", key: str = "", place: Place | None = None
    ) -> None:
        super().__init__(message, place=place or Place(field=f"stored {kind} result"))
        self.kind = kind
        self.key = key

    def at(self, **where: str | int | None) -> SerialError:
        """The same error with more of the place filled in (see :meth:`InputError.at`)."""
        more = super().at(**where)
        return SerialError(more.message, kind=self.kind, key=self.key, place=more.place)


converter = cattrs.Converter(
    detailed_validation=True,
    forbid_extra_keys=False,
    unstruct_collection_overrides={tuple: list, Sequence: list},
)
"""The one converter of stored results (see the module docstring)."""


# --- scalars ------------------------------------------------------------------------------------


def _float_out(value: Any) -> int | float | str | None:
    if isinstance(value, int | np.integer):  # an int in a float field is written as it is
        return value if type(value) is int else int(value)
    v = float(value)
    if math.isfinite(v):
        return value if type(value) is float else v
    if math.isnan(v):
        return None
    return INF if v > 0 else NEG_INF


def _float_in(value: Any, _: type) -> float:
    if value is None:
        return math.nan
    if value == INF:
        return math.inf
    if value == NEG_INF:
        return -math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {quote(value)}")
    return value  # a JSON int stays an int (48 == 48.0), so it is written back as it was


def _int_in(value: Any, _: type) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {quote(value)}")
    return value


def _str_in(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {quote(value)}")
    return value


def _bool_in(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {quote(value)}")
    return value


def _numpy_scalar_out(value: np.generic) -> Any:
    plain = value.item()
    return _float_out(plain) if isinstance(plain, float) else plain


def _is_literal(t: Any) -> bool:
    return get_origin(t) is Literal


def _literal_in(t: Any) -> Callable[[Any, Any], Any]:
    allowed = get_args(t)

    def structure(value: Any, _: Any) -> Any:
        if value not in allowed or type(value) not in {type(a) for a in allowed}:
            shown = ", ".join(quote(a) for a in allowed)
            raise ValueError(f"expected one of {shown}, got {quote(value)}")
        return value

    return structure


converter.register_unstructure_hook(float, _float_out)
converter.register_unstructure_hook(int, lambda v: v if type(v) is int else int(v))
converter.register_unstructure_hook(str, lambda v: v if type(v) is str else str(v))
converter.register_unstructure_hook(bool, lambda v: v if type(v) is bool else bool(v))
converter.register_structure_hook(float, _float_in)
converter.register_structure_hook(int, _int_in)
converter.register_structure_hook(str, _str_in)
converter.register_structure_hook(bool, _bool_in)
converter.register_unstructure_hook_func(
    lambda t: isinstance(t, type) and issubclass(t, np.generic), _numpy_scalar_out
)
converter.register_structure_hook_factory(_is_literal, _literal_in)


# --- tuples: JSON lists of the right length ----------------------------------------------------


def _is_tuple(t: Any) -> bool:
    return get_origin(t) is tuple and bool(get_args(t)) and get_args(t) != ((),)


def _tuple_in(t: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    args = get_args(t)
    homogeneous = len(args) == 2 and args[1] is Ellipsis
    hooks = [converter.get_structure_hook(a) for a in (args[:1] if homogeneous else args)]

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {quote(value)}")
        if not homogeneous and len(value) != len(args):
            raise ValueError(f"expected a list of {len(args)} values, got {len(value)}")
        out: list[Any] = []
        errors: list[Exception] = []
        for i, item in enumerate(value):
            k = 0 if homogeneous else i
            try:
                out.append(hooks[k](item, args[k]))
            except Exception as exc:
                note = cattrs.IterableValidationNote(f"Structuring {t} @ index {i}", i, args[k])
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                errors.append(exc)
        if errors:
            raise cattrs.IterableValidationError(f"While structuring {t!r}", errors, t)
        return tuple(out)

    return structure


converter.register_structure_hook_factory(_is_tuple, _tuple_in)


# --- numpy arrays -------------------------------------------------------------------------------


def _is_array(t: Any) -> bool:
    return t is np.ndarray or get_origin(t) is np.ndarray


def _array_out(value: np.ndarray) -> list[Any]:
    if value.dtype.kind == "f":
        return _clean(value.tolist())
    return list(value.tolist())


def _clean(rows: list[Any]) -> list[Any]:
    return [_clean(r) if isinstance(r, list) else _float_out(r) for r in rows]


def _array_in(t: Any) -> Callable[[Any, Any], np.ndarray]:
    dtype: Any = float
    args = get_args(t)  # NDArray[np.int64] is ndarray[shape, dtype[np.int64]]
    if len(args) == 2 and get_args(args[1]):
        dtype = get_args(args[1])[0]

    def structure(value: Any, _: Any) -> np.ndarray:
        if not isinstance(value, list):
            raise TypeError(f"expected a list of numbers, got {quote(value)}")
        if np.dtype(dtype).kind == "f":
            value = _unclean(value)
        return np.asarray(value, dtype=dtype)

    return structure


def _unclean(rows: list[Any]) -> list[Any]:
    return [_unclean(r) if isinstance(r, list) else _float_in(r, float) for r in rows]


converter.register_unstructure_hook_func(_is_array, _array_out)
converter.register_structure_hook_factory(_is_array, _array_in)


# --- dataclasses: kind tag and key order -------------------------------------------------------

_ORDER: dict[type, tuple[str, ...]] = {}
"""Classes whose stored keys come in another order than their fields (see :func:`stored`)."""
_OMIT: dict[type, dict[str, Any]] = {}
"""Fields written only when they differ from their default (see :func:`stored`)."""


def _kind(cls: type) -> str | None:
    """The ``kind`` class variable of a result class (not a field called ``kind``)."""
    if any(f.name == "kind" for f in dataclasses.fields(cls)):
        return None
    kind = getattr(cls, "kind", None)
    return kind if isinstance(kind, str) else None


def _is_dataclass_type(t: Any) -> bool:
    return isinstance(t, type) and dataclasses.is_dataclass(t)


def _unstructure_dataclass(cls: type) -> Callable[[Any], dict[str, Any]]:
    fields: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, converter)
    kind = _kind(cls)
    order = _ORDER.get(cls, ())
    omit = _OMIT.get(cls, {})

    def unstructure(obj: Any) -> dict[str, Any]:
        d = fields(obj)
        for name, default in omit.items():
            if getattr(obj, name) == default:
                del d[name]
        if order:
            d = {k: d[k] for k in order} | d
        return {"kind": kind, **d} if kind is not None else d

    return unstructure


def _structure_dataclass(cls: type) -> Callable[[Any, Any], Any]:
    build: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, converter)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object with keys, got {quote(value)}")
        return build(value, cls)

    return structure


converter.register_unstructure_hook_factory(_is_dataclass_type, _unstructure_dataclass)
converter.register_structure_hook_factory(_is_dataclass_type, _structure_dataclass)


def stored(
    *, order: Sequence[str] = (), omit_default: Sequence[str] = ()
) -> Callable[[type[T]], type[T]]:
    """Class decorator for a stored form that differs from the fields: ``order`` lists the keys
    written first (the other fields follow in their order), as the class's earlier ``to_dict``
    wrote them; ``omit_default`` names fields added later that are written only when they differ
    from their default, so results stored before them are written back byte for byte (and a
    missing key reads as the default)."""

    def register(cls: type[T]) -> type[T]:
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = [k for k in (*order, *omit_default) if k not in fields]
        if unknown:
            raise TypeError(f"{cls.__name__} has no fields {unknown}")
        if any(fields[k].default is dataclasses.MISSING for k in omit_default):
            raise TypeError(f"{cls.__name__}: an omitted field needs a default")
        _ORDER[cls] = tuple(order)
        _OMIT[cls] = {k: fields[k].default for k in omit_default}
        converter.register_unstructure_hook(cls, _unstructure_dataclass(cls))
        return cls

    return register


# --- the entry points ---------------------------------------------------------------------------


def to_json(obj: Any) -> dict[str, Any]:
    """``obj`` (a result dataclass) as a JSON-ready dict: ``{"kind": ..., field: value, ...}``
    (the ``"kind"`` key only for a class with a ``kind``)."""
    d = converter.unstructure(obj, unstructure_as=type(obj))
    if not isinstance(d, dict):
        raise TypeError(f"{type(obj).__name__} is not stored as a JSON object")
    return d


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """The ``cls`` instance ``data`` describes, equal to the one :func:`to_json` wrote; a
    :class:`SerialError` naming the kind and the (first) bad key if ``data`` does not fit."""
    kind = _kind(cls) or cls.__name__
    if not isinstance(data, Mapping):
        raise SerialError(f"is {quote(data)}, not a JSON object", kind=kind, key="")
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, Cxcr4labError, ValueError, TypeError, KeyError) as exc:
        problems = cattrs.transform_error(exc, path="$", format_exception=_problem)
        key, message = _split(problems[0])
        n = len(problems) - 1
        more = f" (and {n} more problem{'s' if n > 1 else ''})" if n else ""
        shown = f"key {quote(key)} {message}" if key else message.removeprefix("is ")
        raise SerialError(f"{shown}{more}", kind=kind, key=key) from exc


def _problem(exc: BaseException, _: type | None) -> str:
    if isinstance(exc, KeyError):
        return "is missing"
    if isinstance(exc, InputError):  # a class's own check (__post_init__, parse_dose)
        return f"is refused: {exc.message}"
    if isinstance(exc, AttributeError):  # cattrs reading a mapping from something else
        return "is wrong: expected an object with keys"
    if isinstance(exc, Cxcr4labError | ValueError | TypeError) and exc.args:
        return f"is wrong: {exc.args[0]}"
    return f"is wrong: {type(exc).__name__}"


def _split(problem: str) -> tuple[str, str]:
    """``"is missing @ $.settings.kd_molar"`` -> ``("settings.kd_molar", "is missing")``."""
    message, _, path = problem.rpartition(" @ ")
    return path.removeprefix("$").removeprefix("."), message


class Serial:
    """Mixin of the result dataclasses: ``to_dict`` / ``from_dict`` through :data:`converter`,
    so that ``cls.from_dict(json.loads(json.dumps(r.to_dict()))) == r``."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """This object as a JSON-ready dict (see :func:`to_json`)."""
        return to_json(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """The object ``d`` describes (see :func:`from_json`)."""
        return from_json(cls, d)
