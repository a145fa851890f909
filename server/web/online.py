"""The citizen's Antrean online pages: take today's number from a phone, book a slot, and the
booking's own page (code, QR on screen, as PNG and in an .ics file, cancel, reschedule).

Plain forms, rendered on the server: a cheap phone on a slow link needs no script to book;
the one script (online.js) only keeps a remote number's "people ahead" fresh. Each form carries
an Idempotency-Key of its own, so a citizen tapping "send" twice books once.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from common.protocol.online import BookingOut
from server.api.deps import Context
from server.api.online import CITIZEN
from server.app import ServerContext
from server.domain.numbering import service_day
from server.services import online
from server.services.catalog import ServiceInfo, SiteInfo
from server.services.errors import DomainError, NotFound
from server.services.runner import Idempotency
from server.services.uow import UnitOfWork
from server.web.i18n import LANGUAGES, WORDS
from server.web.pages import _CODE, _lang, _render

router = APIRouter(include_in_schema=False)
DAY_NAMES = {"id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
             "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def _service(context: ServerContext, site_code: str, service_code: str
             ) -> tuple[SiteInfo, ServiceInfo]:
    site = context.catalog.site(site_code)
    return site, context.catalog.service(site.id, service_code)


def _message(exc: DomainError, lang: str) -> str:
    return exc.message_en if lang == "en" else exc.message


async def _form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v)[:200] for k, v in form.items() if isinstance(v, str)}


async def _run(context: ServerContext, request: Request, values: dict[str, str],
               command: Any) -> Any:
    key = values.get("key") or None
    idempotency = (Idempotency.of(key, "POST", request.url.path,
                                  {k: v for k, v in values.items() if k != "key"})
                   if key else None)
    return await context.runner.run(CITIZEN, command, created=True, idempotency=idempotency)


# ---------------------------------------------------------------- today's number, remotely

@router.get("/online/{site}/{service}/ambil", response_class=HTMLResponse)
async def remote_form(site: str, service: str, request: Request, context: Context,
                      lang: str | None = None) -> HTMLResponse:
    language = _lang(request, lang)
    try:
        info, svc = _service(context, site, service)
    except NotFound:
        return _render(request, "not_found.html", language, status=404, code=service)
    return _render(request, "online_form.html", language, site=info, service=svc,
                   kind="remote", values={}, error=None, key=secrets.token_hex(16))


@dataclass(frozen=True)
class _Submitted:
    """A citizen's filled-in form for a service, as both online forms take it."""

    language: str
    site: SiteInfo
    service: ServiceInfo
    values: dict[str, str]
    person: online.Person


async def _submitted(site: str, service: str, request: Request, context: ServerContext
                     ) -> _Submitted | Response:
    """The form, or the page that says the service is unknown."""
    language = _lang(request, None)
    try:
        info, svc = _service(context, site, service)
    except NotFound:
        return _render(request, "not_found.html", language, status=404, code=service)
    values = await _form_values(request)
    return _Submitted(language, info, svc, values, online.Person(
        values.get("name", ""), values.get("phone", ""), values.get("nik") or None))


@router.post("/online/{site}/{service}/ambil", response_class=HTMLResponse)
async def remote_submit(site: str, service: str, request: Request, context: Context
                        ) -> Response:
    form = await _submitted(site, service, request, context)
    if isinstance(form, Response):
        return form
    language, info, svc, values, person = (form.language, form.site, form.service, form.values,
                                           form.person)
    key = context.settings.nik_hash_key()

    async def command(uow: UnitOfWork) -> BookingOut:
        booking = await online.take_remote(uow, info, svc.code, person, key)
        return await online.booking_out(uow.session, uow.catalog, booking)

    try:
        outcome = await _run(context, request, values, command)
    except DomainError as exc:
        return _render(request, "online_form.html", language, status=exc.status, site=info,
                       service=svc, kind="remote", values=values, error=_message(exc, language),
                       key=values.get("key") or secrets.token_hex(16))
    return RedirectResponse(f"/online/{outcome.body['code']}", status_code=303)


# ---------------------------------------------------------------- a date and a slot

def _days(site: SiteInfo, service: ServiceInfo, now: datetime, lang: str
          ) -> list[tuple[date, str]]:
    today = service_day(now, site.timezone)
    days = []
    for offset in range(service.online.booking_days_ahead + 1):
        day = today + timedelta(days=offset)
        if online.slots_of_day(site, service, day):
            days.append((day, f"{DAY_NAMES[lang][day.weekday()]} {day:%d/%m}"))
    return days


async def _booking_form(request: Request, context: ServerContext, site: SiteInfo,
                        service: ServiceInfo, lang: str, chosen_day: str | None,
                        values: dict[str, str], error: str | None, status: int = 200,
                        action: str | None = None, code: str | None = None) -> HTMLResponse:
    now = context.clock()
    days = _days(site, service, now, lang)
    day = days[0][0] if days else service_day(now, site.timezone)
    if chosen_day:
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(chosen_day)
    async with context.db.read() as session:
        slots = await online.free_slots(session, len(context.catalog.counters_for(service.id)),
                                        site, service, day, now)
    return _render(request, "online_form.html", lang, status=status, site=site, service=service,
                   kind="slot", values=values, error=error, key=values.get("key") or
                   secrets.token_hex(16), days=days, day=day, slots=slots,
                   action=action, code=code)


@router.get("/online/{site}/{service}/pesan", response_class=HTMLResponse)
async def booking_form(site: str, service: str, request: Request, context: Context,
                       lang: str | None = None, day: str | None = None) -> HTMLResponse:
    language = _lang(request, lang)
    try:
        info, svc = _service(context, site, service)
    except NotFound:
        return _render(request, "not_found.html", language, status=404, code=service)
    return await _booking_form(request, context, info, svc, language, day, {}, None)


@router.post("/online/{site}/{service}/pesan", response_class=HTMLResponse)
async def booking_submit(site: str, service: str, request: Request, context: Context
                         ) -> Response:
    form = await _submitted(site, service, request, context)
    if isinstance(form, Response):
        return form
    language, info, svc, values, person = (form.language, form.site, form.service, form.values,
                                           form.person)
    key = context.settings.nik_hash_key()
    try:
        day = date.fromisoformat(values.get("day", ""))
    except ValueError:
        day = service_day(context.clock(), info.timezone)

    async def command(uow: UnitOfWork) -> BookingOut:
        booking = await online.book(uow, info, svc.code, day, values.get("slot", ""), person,
                                    key)
        return await online.booking_out(uow.session, uow.catalog, booking)

    if not values.get("slot"):
        words = WORDS["choose_slot"]
        return await _booking_form(request, context, info, svc, language, values.get("day"),
                                   values, words[1 if language == "en" else 0], status=422)
    try:
        outcome = await _run(context, request, values, command)
    except DomainError as exc:
        return await _booking_form(request, context, info, svc, language, values.get("day"),
                                   values, _message(exc, language), status=exc.status)
    return RedirectResponse(f"/online/{outcome.body['code']}", status_code=303)


# ---------------------------------------------------------------- the booking's page

async def _booking(context: ServerContext, code: str) -> BookingOut | None:
    if not _CODE.match(code):
        return None
    async with context.db.read() as session:
        try:
            return await online.booking_by_code(session, context.catalog, code)
        except NotFound:
            return None


def qr_svg(text: str) -> str:
    """The QR as inline SVG: no image to fetch, sharp on any screen."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg


@router.get("/online/{code}", response_class=HTMLResponse)
async def booking_page(code: str, request: Request, context: Context,
                       lang: str | None = None, error: str | None = None,
                       status: int = 200) -> HTMLResponse:
    language = _lang(request, lang)
    booking = await _booking(context, code)
    if booking is None:
        return _render(request, "not_found.html", language, status=404, code=code)
    site = context.catalog.site(booking.site)
    service = context.catalog.service(site.id, booking.service)
    labels = {k: v[1 if language == "en" else 0] for k, v in WORDS.items()
              if k in ("people_left", "go_to_hall", "your_turn_passed", "offline_note")}
    return _render(request, "online_booking.html", language, status=status, booking=booking,
                   site=site,
                   service=service, qr=qr_svg(booking.booking_url), error=error,
                   labels=labels, slot_day=booking.day, key=secrets.token_hex(16),
                   day_names=DAY_NAMES[language])


@router.get("/online/{code}/qr.png")
async def booking_qr_png(code: str, context: Context) -> Response:
    booking = await _booking(context, code)
    if booking is None:
        raise NotFound("Kode pendaftaran tidak ditemukan.", "No booking has that code.",
                       code="unknown_booking")
    buffer = io.BytesIO()
    qrcode.make(booking.booking_url, box_size=10, border=3).save(buffer)
    return Response(buffer.getvalue(), media_type="image/png", headers={
        "Content-Disposition": f'attachment; filename="antrean-{booking.code}.png"'})


def _folded(line: str) -> str:
    """A content line folded at 75 octets, as RFC 5545 wants (a space starts each follow-on)."""
    data = line.encode()
    parts: list[str] = []
    start = 0
    while len(data) - start > 75:
        end = start + (75 if not parts else 74)
        while end > start and (data[end] & 0xC0) == 0x80:  # never inside a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode())
        start = end
    parts.append(data[start:].decode())
    return "\r\n ".join(parts)


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@router.get("/online/{code}/booking.ics")
async def booking_ics(code: str, context: Context) -> Response:
    booking = await _booking(context, code)
    if booking is None or booking.slot_at is None:
        raise NotFound("Kode pendaftaran tidak ditemukan.", "No booking has that code.",
                       code="unknown_booking")
    site = context.catalog.site(booking.site)
    service = context.catalog.service(site.id, booking.service)
    utc = ZoneInfo("UTC")
    start = booking.slot_at.astimezone(utc)
    end = start + timedelta(minutes=service.online.slot_minutes)
    stamp = context.clock().astimezone(utc)
    requirements = "\n".join(f"- {r}" for r in booking.requirements)
    description = (f"Kode: {booking.code}\nCheck-in di kios: {booking.check_in_from}–"
                   f"{booking.check_in_until}\n{requirements}\n{booking.booking_url}")
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Antrean//online//ID", "BEGIN:VEVENT",
        f"UID:{booking.code}@antrean", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{_ics_text(booking.service_name + ' · ' + booking.site_name)}",
        f"LOCATION:{_ics_text(booking.site_name)}",
        f"DESCRIPTION:{_ics_text(description)}", f"URL:{booking.booking_url}",
        "END:VEVENT", "END:VCALENDAR", ""]
    return Response("\r\n".join(_folded(line) for line in lines), media_type="text/calendar",
                    headers={"Content-Disposition":
                             f'attachment; filename="antrean-{booking.code}.ics"'})


@router.post("/online/{code}/batal", response_class=HTMLResponse)
async def cancel_submit(code: str, request: Request, context: Context) -> Response:
    language = _lang(request, None)
    values = await _form_values(request)

    async def command(uow: UnitOfWork) -> BookingOut:
        booking = await online.cancel(uow, code)
        return await online.booking_out(uow.session, uow.catalog, booking)

    try:
        await _run(context, request, values, command)
    except DomainError as exc:
        return await booking_page(code, request, context, error=_message(exc, language),
                                  status=exc.status)
    return RedirectResponse(f"/online/{code}", status_code=303)


@router.get("/online/{code}/ubah", response_class=HTMLResponse)
async def reschedule_form(code: str, request: Request, context: Context,
                          lang: str | None = None, day: str | None = None) -> HTMLResponse:
    language = _lang(request, lang)
    booking = await _booking(context, code)
    if booking is None or booking.kind != "slot":
        return _render(request, "not_found.html", language, status=404, code=code)
    site = context.catalog.site(booking.site)
    service = context.catalog.service(site.id, booking.service)
    return await _booking_form(request, context, site, service, language, day, {}, None,
                               action=f"/online/{code}/ubah", code=code)


@router.post("/online/{code}/ubah", response_class=HTMLResponse)
async def reschedule_submit(code: str, request: Request, context: Context) -> Response:
    language = _lang(request, None)
    booking = await _booking(context, code)
    if booking is None:
        return _render(request, "not_found.html", language, status=404, code=code)
    site = context.catalog.site(booking.site)
    service = context.catalog.service(site.id, booking.service)
    values = await _form_values(request)
    try:
        day = date.fromisoformat(values.get("day", ""))
    except ValueError:
        day = booking.day

    async def command(uow: UnitOfWork) -> BookingOut:
        moved = await online.reschedule(uow, code, day, values.get("slot", ""))
        return await online.booking_out(uow.session, uow.catalog, moved)

    try:
        await _run(context, request, values, command)
    except DomainError as exc:
        return await _booking_form(request, context, site, service, language, values.get("day"),
                                   values, _message(exc, language), status=exc.status,
                                   action=f"/online/{code}/ubah", code=code)
    return RedirectResponse(f"/online/{code}", status_code=303)


__all__ = ["LANGUAGES", "router"]
