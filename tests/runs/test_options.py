"""The declared options of a kind: parsing, messages and the forms generated from them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

import httpx
import pytest
from fastapi import FastAPI

from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import (
    KINDS,
    example_inputs,
    form_parameters,
    option,
    option_specs,
    parse_options,
    run_kind,
    widgets,
)


@dataclass(frozen=True)
class Demo:
    conc: float = option("A concentration.", quantity="concentration", example="1 nM")
    readout: Literal["peak", "auc"] = option("Readout.", default="peak")
    window: float | None = option("Window after injection.", default=None, unit="s", gt=0)
    points: int = option("Points.", default=8, ge=3, le=24)
    label: str = option("Label.", default="")
    smooth: bool = option("Smooth first.", default=False)


def test_specs_are_read_from_the_declaration() -> None:
    specs = {s.name: s for s in option_specs(Demo)}
    assert specs["conc"].kind == "quantity" and specs["conc"].required
    assert specs["readout"].kind == "choice" and specs["readout"].choices == ("peak", "auc")
    assert specs["window"].kind == "number" and specs["window"].constraint() == "a number > 0 (s)"
    assert specs["points"].kind == "integer"
    assert specs["points"].constraint() == "a whole number >= 3 and <= 24"
    assert specs["smooth"].kind == "flag" and specs["label"].kind == "text"


def test_parse_reads_text_and_defaults() -> None:
    got = parse_options(Demo, {"conc": "2.5 nM", "window": "30", "points": "12", "smooth": "yes"})
    assert got == Demo(conc=pytest.approx(2.5e-9), window=30.0, points=12, smooth=True)
    assert parse_options(Demo, {"conc": "1 uM", "readout": "", "window": None}).readout == "peak"


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"conc": "1e300 M"}, "conc", "outside the plausible range 1 aM to 10 M"),
        ({"conc": "9**9**8 nM"}, "conc", "cannot read"),
        ({"conc": 5.0}, "conc", "must be a concentration from 1 aM to 10 M (e.g. 1 nM); got 5.0"),
        ({}, "conc", "is needed: a concentration from 1 aM to 10 M (e.g. 1 nM)"),
        ({"conc": "1 nM", "readout": "max"}, "readout", "must be one of 'peak', 'auc'; got 'max'"),
        ({"conc": "1 nM", "window": "-1"}, "window", "must be a number > 0 (s); got '-1'"),
        ({"conc": "1 nM", "window": "nan"}, "window", "must be a number > 0 (s); got 'nan'"),
        ({"conc": "1 nM", "points": "2.5"}, "points", "must be a whole number >= 3"),
        ({"conc": "1 nM", "smooth": "perhaps"}, "smooth", "must be true or false"),
        ({"conc": "1 nM", "colour": "red"}, "colour", "is not an option of this analysis"),
    ],
)
def test_bad_values_are_one_error_naming_the_option(
    raw: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_options(Demo, raw)
    assert caught.value.place.field == field
    assert words in caught.value.message


def test_an_undeclared_field_is_a_definition_error() -> None:
    @dataclass(frozen=True)
    class Bare:
        x: float = 1.0

    with pytest.raises(TypeError, match="not declared with option"):
        option_specs(Bare)


def _form_app() -> FastAPI:
    import inspect

    app = FastAPI()

    async def endpoint(**given: object) -> dict[str, object]:
        try:
            parsed = parse_options(Demo, given)
        except InputError as exc:
            return {"field": exc.place.field, "message": exc.message}
        return {"conc": parsed.conc, "readout": parsed.readout}

    endpoint.__signature__ = inspect.Signature(form_parameters(Demo))  # type: ignore[attr-defined]
    app.add_api_route("/demo", endpoint, methods=["POST"])
    return app


def test_form_parameters_carry_descriptions_defaults_and_choices() -> None:
    async def calls() -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
        transport = httpx.ASGITransport(app=_form_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            schema = (await client.get("/openapi.json")).json()
            good = (await client.post("/demo", data={"conc": "3 nM"})).json()
            bad = (await client.post("/demo", data={"conc": "3 nM", "readout": "max"})).json()
        return schema, good, bad

    schema, good, bad = asyncio.run(calls())
    bodies = schema["components"]["schemas"]  # type: ignore[index]
    body = next(v for k, v in bodies.items() if k.startswith("Body_"))["properties"]
    assert body["readout"]["enum"] == ["", "peak", "auc"]
    assert "one of 'peak', 'auc' (default peak)" in body["readout"]["description"]
    assert "a concentration from 1 aM to 10 M" in body["conc"]["description"]
    assert good["conc"] == pytest.approx(3e-9)
    assert bad == {"field": "readout", "message": "must be one of 'peak', 'auc'; got 'max'"}


def test_widgets() -> None:
    shown = {w["name"]: w for w in widgets(Demo)}
    assert shown["readout"]["widget"] == "select" and shown["readout"]["default"] == "peak"
    assert shown["conc"]["required"] and shown["conc"]["allowed"].startswith("a concentration")
    assert shown["smooth"]["widget"] == "checkbox"


def test_binding_kind_gives_the_result_of_the_assay_module() -> None:
    """The registry's binding run equals the assay module called directly."""
    from cxcr4lab.assays.binding import BindingSettings, analyse
    from cxcr4lab.assays.layout import read_layout_bytes
    from cxcr4lab.assays.readers import read_plate_bytes

    kind = KINDS["binding"]
    example = kind.examples[0]
    files = example_inputs(example)
    outcome = run_kind("binding", files, dict(example.options))
    direct = analyse(
        read_plate_bytes(files["plate"][1], files["plate"][0]),
        read_layout_bytes(files["layout"][1], files["layout"][0]),
        BindingSettings(radioligand_molar=0.1e-9, kd_molar=0.5e-9),
    )
    assert [c.compound for c in outcome.result.curves] == [c.compound for c in direct.curves]
    for got, want in zip(outcome.result.curves, direct.curves, strict=True):
        assert got.ki_molar == pytest.approx(want.ki_molar, rel=1e-12)
    assert outcome.title == "Binding plate96_run1.csv"


def test_run_kind_refuses_unknown_kinds_and_wrong_files() -> None:
    with pytest.raises(InputError, match="is not an analysis kind"):
        run_kind("nope", {}, {})
    files = example_inputs(KINDS["binding"].examples[0])
    with pytest.raises(InputError, match=r"expected wellmap TOML layout.*got a \.csv file"):
        run_kind("binding", {**files, "layout": ("layout.csv", b"x")}, {})
    with pytest.raises(InputError, match="is needed") as caught:
        run_kind("binding", {"plate": files["plate"]}, {})
    assert caught.value.place.field == "layout"
