"""The compound inventory in the web app: ``/inventory`` (stocks and aliquots with their status,
forms to add them, to record a thaw, to mark an aliquot available, empty or discarded, and to
work out the net peptide weight) and the JSON API under ``/api/inventory``.

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

__all__ = ["AliquotIn", "MarkIn", "StockIn", "pages", "router"]

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
CONCENTRATION_UNITS = ("mM", "µM", "nM", "M", "mg/mL", "µg/mL")
"""Units the weigh form offers for the target concentration (molar or mass per volume)."""
VOLUME_UNITS = ("mL", "µL", "L")
"""Units the weigh form offers for the volume."""


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


class MarkIn(BaseModel):
    """An aliquot's lifecycle status: ``available``, ``empty`` (used up) or ``discarded``."""

    status: str = Field(max_length=32, description="available, empty or discarded")


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


def _mark(store: Store, who: Principal, label: str, status: str) -> AliquotRecord:
    """Mark one of the caller's aliquots (404 for any other); the store refuses a status not in
    :data:`~cxcr4lab.compounds.inventory.LIFECYCLE` (field ``status``) before writing."""
    _visible_aliquot(store, who, label)
    return store.inventory.set_status(label, status)


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


@router.post("/aliquots/{label}/mark")
def mark(request: Request, who: ApiWho, label: Label, body: MarkIn) -> dict[str, Any]:
    """Mark the aliquot available, empty (used up) or discarded; its status after it."""
    store = app_store(request)
    return _mark(store, who, label, body.status).to_dict(store.inventory.today())


# --- pages --------------------------------------------------------------------------------------


def _page(
    request: Request,
    who: Principal,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    from cxcr4lab.compounds.inventory import LIFECYCLE
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
        lifecycle=LIFECYCLE,
        concentration_units=CONCENTRATION_UNITS,
        volume_units=VOLUME_UNITS,
        **({"weigh": {}} | extra),
    )


async def _shown(
    request: Request,
    who: Principal,
    status: int,
    error: str | None,
    form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The page, with an error or a result (its database reads in a thread, off the event
    loop)."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(lambda: _page(request, who, status, error, form, **extra))


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


async def _refused(request: Request, who: Any, exc: Exception, form: Any) -> Response:
    """The page again with why a form was refused: the fields pydantic names (422), the
    store's place (422), or not found (404)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        text = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return await _shown(request, who, 422, shorten(text, 500), form)
    status = 404 if isinstance(exc, NotFoundError) else 422
    return await _shown(request, who, status, shorten(str(exc), 500), form)


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
    except (ValidationError, InputError, NotFoundError) as exc:
        return await _refused(request, who, exc, form)
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
    except (ValidationError, InputError, NotFoundError) as exc:
        return await _refused(request, who, exc, form)
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


@pages.post("/aliquots/{label}/mark")
async def mark_form(request: Request, who: PageWho, label: Label) -> Response:
    """Mark an aliquot available, empty or discarded from the page's per-row form."""
    from starlette.concurrency import run_in_threadpool

    form = await _form(request, who)
    store = app_store(request)
    try:
        await run_in_threadpool(lambda: _mark(store, who, label, form.get("status", "")))
    except InputError as exc:
        return await _shown(request, who, 422, shorten(str(exc), 500))
    return RedirectResponse(f"/inventory#aliquot-{label}", status_code=303)


def _quantity(form: dict[str, str], field: str) -> str:
    value = form.get(field, "").strip()
    if not value:
        raise InputError("must be given, e.g. 10", field=field)
    return f"{value} {form.get(f'{field}_unit', '').strip()}".strip()


def _weigh(form: dict[str, str]) -> dict[str, Any]:
    """The net peptide weight for the weigh form, by
    :func:`~cxcr4lab.compounds.inventory.net_peptide_stock` as ``cxcr4lab inventory weigh``:
    the bench line and the summary rows (value as text, with its unit)."""
    from cxcr4lab.compounds.inventory import net_peptide_stock
    from cxcr4lab.compounds.registry import load_registry
    from cxcr4lab.core.errors import quote

    try:
        found = load_registry().get(form.get("compound", "").strip())
    except NotFoundError as exc:
        raise InputError(str(exc), field="compound") from None
    if found.molecular_weight_g_per_mol is None:
        raise InputError(f"{found.name} has no molecular weight in the registry", field="compound")
    content_text = form.get("peptide_content", "").strip()
    try:
        content = float(content_text)
    except ValueError:
        raise InputError(
            f"must be a fraction in (0, 1], e.g. 0.8, got {quote(content_text)}",
            field="peptide_content",
        ) from None
    w = net_peptide_stock(
        mw_g_per_mol=found.molecular_weight_g_per_mol,
        peptide_content=content,
        concentration=_quantity(form, "concentration"),
        volume=_quantity(form, "volume"),
    )
    rows = [
        (str(r.field), f"{r.value:.6g}" if isinstance(r.value, float) else str(r.value), r.unit)
        for r in w.summary().itertuples()
    ]
    line = f"{found.name} ({found.molecular_weight_g_per_mol:g} g/mol): {w.describe()}"
    return {"line": line, "rows": rows}


@pages.post("/weigh")
async def weigh_form(request: Request, who: PageWho) -> Response:
    """Net peptide weight from the page's form: the powder to weigh, in mg; a bad quantity is
    shown by the form, naming the field (422)."""
    from starlette.concurrency import run_in_threadpool

    form = await _form(request, who)
    form.pop("csrf", None)
    try:
        weighing = await run_in_threadpool(lambda: _weigh(form))
    except InputError as exc:
        return await _shown(request, who, 422, None, weigh=form, weigh_error=shorten(str(exc), 500))
    return await _shown(request, who, 200, None, weigh=form, weighing=weighing)
