"""The compound inventory in the web app: ``/inventory`` (stocks and aliquots with their status,
forms to add them and to record a thaw) and the JSON API under ``/api/inventory``.

A stock belongs to a project; a caller sees and changes only the stocks (and their aliquots) of
their own projects. Forms carry the session's CSRF token; API writes made with a session cookie
need the ``X-CSRF-Token`` header (:func:`~cxcr4lab.web.auth.api_principal`), as everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from cxcr4lab.core.errors import InputError, NotFoundError
from cxcr4lab.store import AliquotRecord, AliquotSpec, StockRecord, Store
from cxcr4lab.web.api import project_for
from cxcr4lab.web.auth import Principal, api_principal, app_store, check_csrf, page_principal
from cxcr4lab.web.models import ErrorOut
from cxcr4lab.web.security import shorten

__all__ = ["AliquotIn", "StockIn", "pages", "router"]

router = APIRouter(
    prefix="/api/inventory",
    tags=["inventory"],
    responses={
        401: {"model": ErrorOut, "description": "not logged in"},
        404: {"model": ErrorOut, "description": "not found in your projects"},
        422: {"model": ErrorOut, "description": "bad input, naming the field"},
    },
)
pages = APIRouter(prefix="/inventory", include_in_schema=False)
ApiWho = Annotated[Principal, Depends(api_principal)]
PageWho = Annotated[Principal, Depends(page_principal)]
Label = Annotated[str, Path(max_length=64, description="aliquot label")]
Refreezes = Annotated[int | None, Query(ge=0, le=100, description="re-freezes allowed (default 1)")]


class AliquotIn(BaseModel):
    """An aliquot to add: ``volume`` with a unit (``"50 µL"``); ``storage_temperature_C`` None:
    the stock's; ``prepared_on`` None: today (UTC)."""

    label: str = Field(max_length=64)
    volume: str = Field(max_length=64, description="e.g. 50 µL")
    prepared_on: date | None = None
    storage_temperature_C: float | None = None

    def spec(self) -> AliquotSpec:
        return AliquotSpec(self.label, self.volume, self.prepared_on, self.storage_temperature_C)


class StockIn(BaseModel):
    """A stock to add, with any aliquots (one transaction)."""

    project: str = Field(max_length=200, description="project name or id")
    compound: str = Field(max_length=200)
    lot: str = Field(max_length=64)
    form: str = Field(max_length=32, description="lyophilised powder or solution")
    prepared_on: date
    storage_temperature_C: float
    solvent: str | None = Field(default=None, max_length=64)
    concentration: str | None = Field(default=None, max_length=64, description="e.g. 10 mM")
    peptide_content: float | None = Field(default=None, description="fraction 0-1")
    salt_form: str | None = Field(default=None, max_length=64)
    aliquots: list[AliquotIn] = Field(default_factory=list, max_length=1000)


class AliquotAddIn(AliquotIn):
    stock_id: int = Field(ge=1, le=2**31 - 1)


def _visible_stock(store: Store, who: Principal, stock_id: int) -> StockRecord:
    try:
        stock = store.inventory.stock(stock_id)
    except (NotFoundError, InputError):
        stock = None
    if stock is None or stock.project_id not in who.project_ids:
        raise NotFoundError(f"no stock {stock_id} in your projects")
    return stock


def _visible_aliquot(store: Store, who: Principal, label: str) -> AliquotRecord:
    try:
        found = store.inventory.aliquot(label)
    except (NotFoundError, InputError):
        found = None
    if found is None or found.project_id not in who.project_ids:
        raise NotFoundError(f"no aliquot {label!r} in your projects")
    return found


def _add_stock(store: Store, who: Principal, body: StockIn) -> StockRecord:
    return store.inventory.add_stock(
        compound=body.compound,
        lot=body.lot,
        form=body.form,
        prepared_on=body.prepared_on,
        storage_temperature_c=body.storage_temperature_C,
        solvent=body.solvent,
        concentration=body.concentration,
        peptide_content=body.peptide_content,
        salt_form=body.salt_form,
        aliquots=[a.spec() for a in body.aliquots],
        created_by=who.user.id,
        project_id=project_for(who, body.project),
    )


def _add_aliquot(store: Store, who: Principal, body: AliquotAddIn) -> AliquotRecord:
    _visible_stock(store, who, body.stock_id)
    return store.inventory.add_aliquots(body.stock_id, [body.spec()], created_by=who.user.id)[0]


# --- JSON API -----------------------------------------------------------------------------------


@router.get("/stocks")
def list_stocks(request: Request, who: ApiWho) -> list[dict[str, Any]]:
    """Stocks of the caller's projects, with their expiry and the storage rule it comes from."""
    stocks = app_store(request).inventory.stocks(project_ids=who.project_ids)
    return [s.to_dict() for s in stocks]


@router.post("/stocks", status_code=201)
def add_stock(request: Request, who: ApiWho, body: StockIn) -> dict[str, Any]:
    """Add a stock (and its aliquots, in one transaction) to one of the caller's projects."""
    return _add_stock(app_store(request), who, body).to_dict()


@router.get("/aliquots")
def list_aliquots(
    request: Request,
    who: ApiWho,
    stock_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    max_refreezes: Refreezes = None,
) -> list[dict[str, Any]]:
    """Aliquots of the caller's projects with their status today (ok, expired, over-thawed)."""
    store = app_store(request)
    if stock_id is not None:
        _visible_stock(store, who, stock_id)
    day = store.inventory.today()
    found = store.inventory.aliquots(stock_id=stock_id, project_ids=who.project_ids)
    return [a.to_dict(day, max_refreezes=max_refreezes) for a in found]


@router.post("/aliquots", status_code=201)
def add_aliquot(request: Request, who: ApiWho, body: AliquotAddIn) -> dict[str, Any]:
    """Add an aliquot to a stock of one of the caller's projects."""
    store = app_store(request)
    return _add_aliquot(store, who, body).to_dict(store.inventory.today())


@router.get("/aliquots/{label}")
def get_aliquot(
    request: Request, who: ApiWho, label: Label, max_refreezes: Refreezes = None
) -> dict[str, Any]:
    """One aliquot with its status today."""
    store = app_store(request)
    found = _visible_aliquot(store, who, label)
    return found.to_dict(store.inventory.today(), max_refreezes=max_refreezes)


@router.post("/aliquots/{label}/thaw")
def thaw(request: Request, who: ApiWho, label: Label) -> dict[str, Any]:
    """Record a thaw of the aliquot (its freeze-thaw count + 1); its status after it."""
    store = app_store(request)
    _visible_aliquot(store, who, label)
    return store.inventory.record_thaw(label).to_dict(store.inventory.today())


# --- pages --------------------------------------------------------------------------------------


def _page(
    request: Request,
    who: Principal,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    from cxcr4lab.report.inventory import aliquot_frame, stock_frame
    from cxcr4lab.web.pages import render

    store = app_store(request)
    day = store.inventory.today()
    stocks = store.inventory.stocks(project_ids=who.project_ids)
    aliquots = store.inventory.aliquots(project_ids=who.project_ids)
    sframe, aframe = stock_frame(stocks), aliquot_frame(aliquots, day)
    return render(
        request,
        "inventory.html.j2",
        status,
        today=day.isoformat(),
        stock_columns=list(sframe.columns),
        stock_rows=sframe.to_dict("records"),
        aliquot_columns=list(aframe.columns),
        aliquot_rows=aframe.to_dict("records"),
        stocks=stocks,
        error=error,
        form=form or {},
    )


async def _shown(
    request: Request,
    who: Principal,
    status: int,
    error: str,
    form: dict[str, str] | None = None,
) -> Response:
    """The page with an error (its database reads in a thread, off the event loop)."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(lambda: _page(request, who, status, error, form))


@pages.get("")
def inventory_page(request: Request, who: PageWho) -> Response:
    """Stocks and aliquots of the caller's projects, with status; forms to add them."""
    return _page(request, who)


async def _form(request: Request, who: Principal) -> dict[str, str]:
    async with request.form() as data:
        form = {k: v for k, v in data.items() if isinstance(v, str)}
    check_csrf(request, who, form.get("csrf"))
    return form


def _lines(text: str) -> list[AliquotIn]:
    out = []
    for i, line in enumerate(t for t in text.splitlines() if t.strip()):
        label, sep, volume = line.partition("=")
        if not sep:
            raise InputError(f"line {i + 1}: write LABEL=VOLUME, e.g. A01=50 µL", field="aliquots")
        out.append(AliquotIn(label=label.strip(), volume=volume.strip()))
    return out


def _blank(value: str | None) -> str | None:
    return None if value is None or not value.strip() else value.strip()


@pages.post("/stocks")
async def add_stock_form(request: Request, who: PageWho) -> Response:
    """Add a stock from the page's form; errors are shown on the page, naming the field."""
    from pydantic import ValidationError
    from starlette.concurrency import run_in_threadpool

    form = await _form(request, who)
    try:
        body = StockIn(
            project=form.get("project", ""),
            compound=form.get("compound", ""),
            lot=form.get("lot", ""),
            form=form.get("form", ""),
            prepared_on=form.get("prepared_on") or "",  # type: ignore[arg-type]
            storage_temperature_C=form.get("storage_temperature_C") or "",  # type: ignore[arg-type]
            solvent=_blank(form.get("solvent")),
            concentration=_blank(form.get("concentration")),
            peptide_content=_blank(form.get("peptide_content")),  # type: ignore[arg-type]
            salt_form=_blank(form.get("salt_form")),
            aliquots=_lines(form.get("aliquots", "")),
        )
        stock = await run_in_threadpool(lambda: _add_stock(app_store(request), who, body))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return await _shown(request, who, 422, shorten(problems, 500), form)
    except (InputError, NotFoundError) as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return await _shown(request, who, status, shorten(str(exc), 500), form)
    return RedirectResponse(f"/inventory#stock-{stock.id}", status_code=303)


@pages.post("/aliquots")
async def add_aliquot_form(request: Request, who: PageWho) -> Response:
    """Add an aliquot from the page's form."""
    from pydantic import ValidationError
    from starlette.concurrency import run_in_threadpool

    form = await _form(request, who)
    try:
        body = AliquotAddIn(
            stock_id=form.get("stock_id") or 0,  # type: ignore[arg-type]
            label=form.get("label", ""),
            volume=form.get("volume", ""),
            prepared_on=_blank(form.get("prepared_on")),  # type: ignore[arg-type]
            storage_temperature_C=_blank(form.get("storage_temperature_C")),  # type: ignore[arg-type]
        )
        made = await run_in_threadpool(lambda: _add_aliquot(app_store(request), who, body))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return await _shown(request, who, 422, shorten(problems, 500), form)
    except (InputError, NotFoundError) as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return await _shown(request, who, status, shorten(str(exc), 500), form)
    return RedirectResponse(f"/inventory#aliquot-{made.label}", status_code=303)


@pages.post("/aliquots/{label}/thaw")
async def thaw_form(request: Request, who: PageWho, label: Label) -> Response:
    """Record a thaw from the page's button."""
    from starlette.concurrency import run_in_threadpool

    await _form(request, who)
    store = app_store(request)

    def record() -> None:
        _visible_aliquot(store, who, label)
        store.inventory.record_thaw(label)

    try:
        await run_in_threadpool(record)
    except InputError as exc:
        return await _shown(request, who, 422, shorten(str(exc), 500))
    return RedirectResponse(f"/inventory#aliquot-{label}", status_code=303)
