"""The web pages: the citizen's ticket tracking page and service catalogue, and the manager's
dashboard. Rendered on the server from Jinja2 templates; the few scripts, the style sheet and
every chart (SVG) come from this server, so the pages work in a hall without internet."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from common.formats import day_month_year, fee, parse_day, short_date
from common.protocol.models import TicketOut
from common.protocol.notify import SubscriptionOut
from common.protocol.stats import GroupBy, HallNow, StatsOut, SurveyRequest
from server.api.deps import Context
from server.app import ServerContext
from server.domain.numbering import service_day
from server.domain.stats import IKM_ELEMENT_NAMES, IKM_ELEMENTS, band_words
from server.services import auth, export, outbox, stats, surveys, views
from server.services.actor import Actor
from server.services.catalog import Catalog, SiteInfo
from server.services.errors import DomainError, NotFound
from server.services.uow import UnitOfWork
from server.web import charts
from server.web.i18n import LANGUAGES, WORDS, translator

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SESSION_COOKIE = "antrean_session"
LANG_COOKIE = "antrean_lang"
CITIZEN = Actor(kind="system", id=None, name="warga (kode tiket)", role="citizen")
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(css|js|svg)$")
_CODE = re.compile(r"^[A-Za-z0-9]{4,16}$")
_STOP_TOKEN = re.compile(r"^[A-Za-z0-9_-]{10,32}$")

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(fee=fee, ikm_elements=IKM_ELEMENTS,
                             ikm_names=IKM_ELEMENT_NAMES, band_words=band_words)
router = APIRouter(include_in_schema=False)


def _lang(request: Request, lang: str | None) -> str:
    if lang in LANGUAGES:
        return lang
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGUAGES else "id"


def _render(request: Request, name: str, lang: str, status: int = 200, **values: Any
            ) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, name, {"lang": lang, "t": translator(lang), **values}, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def clock_of(site: SiteInfo) -> Any:
    zone = ZoneInfo(site.timezone)

    def local(moment: datetime | None, pattern: str = "%H.%M") -> str:
        return "" if moment is None else moment.astimezone(zone).strftime(pattern)

    return local


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    path = STATIC / name
    if not _STATIC_NAME.match(name) or not path.is_file():
        raise NotFound("Berkas tidak ditemukan.", "No such file.", code="no_file")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


# ---------------------------------------------------------------- the citizen's pages

async def _tracking_page(request: Request, context: ServerContext, code: str, lang: str,
                         status: int = 200, **extra: Any) -> HTMLResponse:
    ticket: TicketOut | None = None
    if _CODE.match(code):
        async with context.db.read() as session:
            try:
                ticket = await views.tracked_ticket(session, context.catalog, code)
                survey = await surveys.find(session, context.catalog, code)
                subscription = await outbox.of_ticket(session, ticket.id)
            except NotFound:
                ticket = None
    if ticket is None:
        return _render(request, "not_found.html", lang, status=404, code=code)
    site = context.catalog.site(ticket.site)
    agency = next((a for a in context.catalog.site_agencies(site.id) if a.code == ticket.agency),
                  None)
    agency_name = (agency.name_en or agency.name) if agency and lang == "en" else ticket.agency_name
    labels = {k: v[1 if lang == "en" else 0] for k, v in WORDS.items()
              if k.startswith("st_") or k in ("minutes", "about", "go_to", "offline_note")}
    return _render(request, "track.html", lang, status=status, ticket=ticket, site=site,
                   survey=survey, local=clock_of(site), labels=labels, agency_name=agency_name,
                   now=context.clock(), notify_enabled=site.notify.enabled,
                   notify_days=site.notify.retention_days, subscription=subscription, **extra)


@router.get("/t/{code}", response_class=HTMLResponse)
async def tracking_page(code: str, request: Request, context: Context,
                        lang: str | None = None) -> HTMLResponse:
    return await _tracking_page(request, context, code, _lang(request, lang))


@router.post("/t/{code}/survey", response_class=HTMLResponse)
async def survey_form(code: str, request: Request, context: Context) -> Response:
    lang = _lang(request, None)
    form = await request.form()
    raw = {e: form.get(e) for e in IKM_ELEMENTS}
    try:
        body = SurveyRequest.model_validate(
            {**{e: int(v) if isinstance(v, str) and v.isdigit() else v for e, v in raw.items()},
             "comment": str(form.get("comment") or "")[:1000]})
    except ValidationError:
        return await _tracking_page(request, context, code, lang, status=422,
                                    survey_error=translator(lang)("survey_incomplete"),
                                    chosen=raw)
    try:
        await context.runner.run(CITIZEN, lambda uow: surveys.submit(uow, code, body))
    except DomainError as exc:
        message = exc.message_en if lang == "en" else exc.message
        return await _tracking_page(request, context, code, lang, status=exc.status,
                                    survey_error=message, chosen=raw)
    return RedirectResponse(f"/t/{code}#survei", status_code=303)


@router.post("/t/{code}/notify", response_class=HTMLResponse)
async def notify_form(code: str, request: Request, context: Context) -> Response:
    """The tracking page's opt-in: the citizen's phone for this ticket's messages."""
    lang = _lang(request, None)
    form = await request.form()
    phone = str(form.get("phone") or "")[:30]
    try:
        await context.runner.run(CITIZEN, lambda uow: _subscribed(uow, code, phone, lang))
    except DomainError as exc:
        message = exc.message_en if lang == "en" else exc.message
        return await _tracking_page(request, context, code, lang, status=exc.status,
                                    notify_error=message)
    return RedirectResponse(f"/t/{code}#sms", status_code=303)


@router.get("/n/{token}", response_class=HTMLResponse)
async def stop_page(token: str, request: Request, context: Context,
                    lang: str | None = None) -> Response:
    """The opt-out link of the messages: asks first (a link preview must not stop them)."""
    chosen = _lang(request, lang)
    found = None
    if _STOP_TOKEN.match(token):
        async with context.db.read() as session:
            found = await outbox.of_stop_token(session, token)
    if found is None:
        return _render(request, "not_found.html", chosen, status=404, code=token[:32])
    return _render(request, "notify_stop.html", chosen, token=token, number=found.ticket_number,
                   phone_masked=found.phone_masked, stopped=not found.active)


@router.post("/n/{token}", response_class=HTMLResponse)
async def stop_form(token: str, request: Request, context: Context) -> Response:
    chosen = _lang(request, None)
    if not _STOP_TOKEN.match(token):
        return _render(request, "not_found.html", chosen, status=404, code=token[:32])
    try:
        found = await context.runner.run(CITIZEN, lambda uow: _stopped(uow, token))
    except DomainError:
        return _render(request, "not_found.html", chosen, status=404, code=token[:32])
    body = found.body or {}
    return _render(request, "notify_stop.html", chosen, token=token,
                   number=body.get("ticket_number", ""), phone_masked=body.get("phone_masked", ""),
                   stopped=True)


async def _subscribed(uow: UnitOfWork, code: str, phone: str, lang: str) -> SubscriptionOut:
    found = await outbox.subscribe(uow, code, phone, lang)
    return SubscriptionOut(ticket_number=found.ticket_number, phone_masked=found.phone_masked,
                           language="en" if found.language == "en" else "id", active=True)


async def _stopped(uow: UnitOfWork, token: str) -> SubscriptionOut:
    found = await outbox.stop(uow, token)
    return SubscriptionOut(ticket_number=found.ticket_number, phone_masked=found.phone_masked,
                           language="en" if found.language == "en" else "id", active=False)


@router.get("/layanan", response_class=HTMLResponse)
async def catalogue_index(request: Request, context: Context, lang: str | None = None
                          ) -> Response:
    sites = views.list_sites(context.catalog, context.clock())
    if len(sites) == 1:
        suffix = f"?lang={lang}" if lang in LANGUAGES else ""
        return RedirectResponse(f"/layanan/{sites[0].code}{suffix}", status_code=307)
    return _render(request, "sites.html", _lang(request, lang), sites=sites)


@router.get("/layanan/{site}", response_class=HTMLResponse)
async def catalogue(site: str, request: Request, context: Context, lang: str | None = None
                    ) -> HTMLResponse:
    language = _lang(request, lang)
    try:
        info = context.catalog.site(site)
    except NotFound:
        return _render(request, "not_found.html", language, status=404, code=site)
    async with context.db.read() as session:
        services = await views.list_services(session, context.catalog, info, context.clock())
    agencies: dict[str, list[Any]] = {}
    for service in services:
        agencies.setdefault(service.agency.code, []).append(service)
    return _render(request, "catalogue.html", language, site=info, agencies=agencies)


# ---------------------------------------------------------------- the manager's dashboard

async def _manager(request: Request, context: ServerContext) -> Actor | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        actor = await context.actors.resolve(context.db, token, context.clock())
    except DomainError:
        return None
    return actor if actor.role in ("manager", "admin") and actor.kind == "officer" else None


def _dashboard_site(context: ServerContext, actor: Actor, code: str | None) -> SiteInfo:
    if code:
        site = context.catalog.site(code)
        actor.require_site(site.id)
        return site
    if actor.site_id is not None:
        return context.catalog.sites[actor.site_id]
    return sorted(context.catalog.sites.values(), key=lambda s: s.code)[0]


@router.get("/dashboard/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return _render(request, "login.html", "id", error=None)


@router.post("/dashboard/login", response_class=HTMLResponse)
async def login(request: Request, context: Context,
                username: Annotated[str, Form(max_length=40)],
                password: Annotated[str, Form(max_length=200)]) -> Response:
    if "\x00" in username or "\x00" in password:
        return _render(request, "login.html", "id", status=422,
                       error="Nama pengguna atau kata sandi memuat karakter yang tidak sah.")
    try:
        token = await auth.login(context.db, context.catalog, username, password,
                                 context.clock(), request.client.host if request.client else None)
    except DomainError as exc:
        refusal = _render(request, "login.html", "id", status=exc.status, error=exc.message)
        if "retry_after" in exc.details:
            refusal.headers["Retry-After"] = str(exc.details["retry_after"])
        return refusal
    if token.officer.role not in ("manager", "admin"):
        return _render(request, "login.html", "id", status=403,
                       error="Dasbor hanya untuk manajer dan admin.")
    response = RedirectResponse("/dashboard", status_code=303)
    max_age = max(60, int((token.expires_at - context.clock()).total_seconds()))
    response.set_cookie(SESSION_COOKIE, token.access_token, max_age=max_age, httponly=True,
                        samesite="strict", path="/")
    return response


@router.post("/dashboard/logout")
async def logout(request: Request, context: Context) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await context.log_out(token)
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _query(context: export.Store, site: SiteInfo, date_from: date | None, date_to: date | None,
           group_by: GroupBy, agency: str | None) -> stats.StatsQuery:
    today = service_day(context.clock(), site.timezone)
    return stats.StatsQuery(date_from=date_from or today, date_to=date_to or today,
                            group_by=group_by, agency=agency or None)


def _days(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None, str | None]:
    """The period's days as the form sends them (DD/MM/YYYY, or ISO from links), or why not."""
    days: list[date | None] = []
    for text in (date_from, date_to):
        try:
            days.append(parse_day(text) if text else None)
        except ValueError:
            return None, None, (f"Tanggal '{(text or '')[:20]}' tidak dapat dibaca; tulis "
                                "HH/BB/TTTT, mis. 02/03/2026.")
    return days[0], days[1], None


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request, context: Context, site: str | None = None,
    date_from: Annotated[str | None, Query(max_length=20, description="DD/MM/YYYY")] = None,
    date_to: Annotated[str | None, Query(max_length=20, description="DD/MM/YYYY")] = None,
    group_by: GroupBy = "service", agency: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    actor = await _manager(request, context)
    if actor is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    if not context.catalog.sites:  # a region's centre with no hall of its own
        return RedirectResponse("/region", status_code=303)
    info = _dashboard_site(context, actor, site)
    async with context.db.read() as session:
        now = await stats.hall_now(session, context.catalog, info, context.clock())
        sent = (await outbox.staff_view(session, info, context.clock() - timedelta(days=1))
                if info.notify.enabled else None)
    return await dashboard_page(request, context, info, actor, now, date_from, date_to,
                                group_by, agency, outbox=sent)


async def dashboard_page(request: Request, store: export.Store, info: SiteInfo, actor: Actor,
                         now: HallNow | None, date_from: str | None, date_to: str | None,
                         group_by: GroupBy, agency: str | None, **extra: Any) -> HTMLResponse:
    """The dashboard of one hall from a store: the hall's own, or a centre's mirror of it
    (``extra``: the page's base address, where its now.json is, a banner, the words shown
    while the queue of now is not available)."""
    first, last, error = _days(date_from, date_to)
    query = _query(store, info, first, last, group_by, agency)
    async with store.db.read() as session:
        try:
            result = await stats.statistics(session, store.catalog, info,
                                            replace(query, group_by="service"), store.clock())
        except DomainError as exc:
            error = exc.message
            query = _query(store, info, None, None, group_by, None)
            result = await stats.statistics(session, store.catalog, info,
                                            replace(query, group_by="service"), store.clock())
        table = result.rows if group_by == "service" else await stats.grouped_rows(
            session, store.catalog, info, query, store.clock())
    agencies = [a.code for a in store.catalog.site_agencies(info.id)]
    return _render(request, "dashboard.html", "id", site=info, actor=actor, now=now,
                   result=result, table=table, query=query, agencies=agencies, error=error,
                   charts=_charts(store.catalog, info, result), export_query=_export_query(query),
                   local=clock_of(info), short_date=short_date, day_month_year=day_month_year,
                   **extra)


@router.get("/dashboard/now.json")
async def dashboard_now(request: Request, context: Context, site: str | None = None
                        ) -> Response:
    actor = await _manager(request, context)
    if actor is None:
        return Response(status_code=401)
    info = _dashboard_site(context, actor, site)
    async with context.db.read() as session:
        now = await stats.hall_now(session, context.catalog, info, context.clock())
    return Response(now.model_dump_json(), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


@router.get("/dashboard/export/{kind}.{fmt}")
async def dashboard_export(
    kind: Literal["tickets", "kpi"], fmt: Literal["csv", "xlsx"], request: Request,
    context: Context, site: str | None = None, date_from: date | None = None,
    date_to: date | None = None, group_by: GroupBy = "service", agency: str | None = None,
) -> Response:
    actor = await _manager(request, context)
    if actor is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    info = _dashboard_site(context, actor, site)
    query = _query(context, info, date_from, date_to, group_by, agency)
    return await export.response(context, info, query, kind, fmt)


def _export_query(query: stats.StatsQuery) -> str:
    parts = [f"date_from={query.date_from}", f"date_to={query.date_to}",
             f"group_by={query.group_by}"]
    if query.agency:
        parts.append(f"agency={query.agency}")
    return "&".join(parts)


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f} mnt"


def _bare_minutes(seconds: float | None) -> str:
    """Minutes for a table whose heading says the unit."""
    return "–" if seconds is None else f"{seconds / 60:.1f}"


def _opening_span(site: SiteInfo) -> tuple[int, int] | None:
    """The first and last hour of the day the hall opens in its week (None: open all day)."""
    windows = [w for day in site.opening.weekly.values() for w in day]
    if site.opening.always_open or not windows:
        return None
    last = max(end for _, end in windows)
    return (min(start for start, _ in windows).hour,
            last.hour - 1 if last.minute == 0 and last.second == 0 else last.hour)


def _charts(catalog: Catalog, site: SiteInfo, result: StatsOut) -> dict[str, Any]:
    waits = charts.columns(
        [(h.hour, None if h.wait_mean is None else h.wait_mean / 60,
          f"{_minutes(h.wait_mean)}, {h.issued} tiket") for h in result.hours],
        title="Rata-rata waktu tunggu per jam pengambilan", unit="menit",
        line=[(h.hour, float(h.issued)) for h in result.hours], line_label="tiket",
        span=_opening_span(site))
    sla_rows = result.rows  # always grouped by service
    sla = charts.horizontal_bars(
        [charts.Bar(r.label, None if r.sla_share is None else r.sla_share * 100,
                    "–" if r.sla_share is None else f"{r.sla_share * 100:.0f}%",
                    "#2f9e44" if (r.sla_share or 0) >= 0.8 else "#e8590c")
         for r in sla_rows if r.called],
        title="Dipanggil dalam target waktu (SLA) per layanan", maximum=100, target=80,
        target_label="80%")
    by_agency: dict[int, int] = {}
    colors: dict[int, str] = {}
    for row in result.rows:
        service = catalog.services.get(catalog.service(site.id, row.key).id) if any(
            s.code == row.key for s in catalog.site_services(site.id)) else None
        if service is not None:
            agency = catalog.agencies[service.agency_id]
            by_agency[agency.id] = by_agency.get(agency.id, 0) + row.issued
            colors[agency.id] = agency.color
    load = charts.horizontal_bars(
        [charts.Bar(catalog.agencies[a].name, float(n), f"{n} tiket", colors[a])
         for a, n in sorted(by_agency.items(), key=lambda item: -item[1])],
        title="Beban per instansi (tiket diambil)")
    return {"waits": waits, "sla": sla, "load": load, "minutes": _minutes, "mins": _bare_minutes}
