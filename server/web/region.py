"""The region's dashboard at the centre: every hall side by side, how fresh its records are,
and each hall's own dashboard read from its mirror (``server.web.pages.dashboard_page``).

A hall whose link is down shows its figures as history ("terakhir terhubung 3 jam lalu") and
says its live queue is not available; its queue is never shown as of now from old records.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from common.protocol.region import RegionHall
from common.protocol.stats import GroupBy
from server.api.deps import Context
from server.app import ServerContext
from server.domain.link import Freshness
from server.region import view
from server.region.api import region_sheets
from server.services import export
from server.services.actor import Actor
from server.services.errors import DomainError
from server.web.i18n import translator
from server.web.pages import SESSION_COOKIE, clock_of, dashboard_page, templates

router = APIRouter(include_in_schema=False)

FRESHNESS_WORDS = {
    Freshness.LIVE.value: "terhubung",
    Freshness.CATCHING_UP.value: "mengejar",
    Freshness.SILENT.value: "terputus",
    Freshness.NEVER.value: "belum pernah terhubung",
}


async def _region_manager(request: Request, context: ServerContext) -> Actor | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        actor = await context.actors.resolve(context.db, token, context.clock())
        view.require_region_manager(actor.kind, actor.role, actor.site_id)
    except DomainError:
        return None
    return actor


def _unavailable(hall: RegionHall) -> str:
    link = hall.link
    if link.freshness == Freshness.NEVER.value:
        return "Antrean langsung tidak tersedia: gedung ini belum pernah terhubung ke pusat."
    if link.freshness == Freshness.CATCHING_UP.value:
        return (f"Antrean langsung tidak tersedia: gedung ini sedang mengirim data yang "
                f"tertunda ({link.backlog} perubahan lagi).")
    return (f"Antrean langsung tidak tersedia: gedung ini terakhir terhubung "
            f"{link.heard_words}.")


@router.get("/region", response_class=HTMLResponse)
async def region_page(request: Request, context: Context,
                      date_from: Annotated[date | None, Query()] = None,
                      date_to: Annotated[date | None, Query()] = None) -> Response:
    actor = await _region_manager(request, context)
    if actor is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    error = None
    try:
        out = await view.overview(context, date_from, date_to)
    except DomainError as exc:
        error = exc.message
        out = await view.overview(context, None, None)
    query = f"date_from={out.date_from}&date_to={out.date_to}"
    return templates.TemplateResponse(request, "region.html", {
        "lang": "id", "t": translator("id"), "actor": actor, "out": out, "error": error,
        "words": FRESHNESS_WORDS, "unavailable": _unavailable, "query": query,
        "minutes": _minutes})


@router.get("/region/now.json")
async def region_now(request: Request, context: Context) -> Response:
    """Each hall's link and, where it is live, its queue now (the region page refreshes)."""
    if await _region_manager(request, context) is None:
        return Response(status_code=401)
    out = await view.overview(context, None, None, figures=False)
    body = [{"site": h.site, "link": h.link.model_dump(mode="json"),
             "words": FRESHNESS_WORDS[h.link.freshness],
             "now": h.now.model_dump(mode="json") if h.now is not None else None,
             "unavailable": _unavailable(h) if h.now is None else None} for h in out.halls]
    return Response(_json(body), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


@router.get("/region/export/kpi.{fmt}")
async def region_export(fmt: Literal["csv", "xlsx"], request: Request, context: Context,
                        date_from: date | None = None, date_to: date | None = None) -> Response:
    if await _region_manager(request, context) is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    out = await view.overview(context, date_from, date_to, "en")
    return export.sheets_response(region_sheets(out), fmt,
                                  f"antrean-region-{out.date_from}_{out.date_to}.{fmt}")


@router.get("/region/{code}", response_class=HTMLResponse)
async def hall_page(
    code: str, request: Request, context: Context,
    date_from: Annotated[date | None, Query()] = None,
    date_to: Annotated[date | None, Query()] = None,
    group_by: GroupBy = "service", agency: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    actor = await _region_manager(request, context)
    if actor is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    hall = await view.hall(context, code)
    if hall.info is None:  # nothing of the hall has arrived: the region page says so
        return RedirectResponse("/region", status_code=303)
    info = view.site_of(hall)
    now = await view.hall_now(hall)
    out = RegionHall(site=code, name=info.name, link=hall.link_out(), now=now, totals=None)
    local = clock_of(info)
    banner = (f"Data pusat untuk gedung ini, sampai {local(hall.as_of, '%d/%m %H.%M')} waktu "
              f"gedung (terakhir terhubung {out.link.heard_words}).")
    return await dashboard_page(
        request, hall.store(), info, actor, now, date_from, date_to, group_by, agency,
        base=f"/region/{code}", now_url=f"/region/{code}/now.json", banner=banner,
        unavailable=_unavailable(out), back="/region")


@router.get("/region/{code}/now.json")
async def hall_now(code: str, request: Request, context: Context) -> Response:
    if await _region_manager(request, context) is None:
        return Response(status_code=401)
    hall = await view.hall(context, code)
    now = await view.hall_now(hall)
    if now is None:
        info = view.site_of(hall)
        out = RegionHall(site=code, name=info.name, link=hall.link_out(), now=None, totals=None)
        body = _json({"available": False, "message": _unavailable(out)})
    else:
        body = now.model_dump_json()
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/region/{code}/export/{kind}.{fmt}")
async def hall_export(
    code: str, kind: Literal["tickets", "kpi"], fmt: Literal["csv", "xlsx"], request: Request,
    context: Context, date_from: date | None = None, date_to: date | None = None,
    group_by: GroupBy = "service", agency: str | None = None,
) -> Response:
    if await _region_manager(request, context) is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    hall = await view.hall(context, code)
    query = view.hall_query(hall, date_from, date_to, group_by, agency or None)
    return await export.response(hall.store(), view.site_of(hall), query, kind, fmt)


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f} mnt"


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
