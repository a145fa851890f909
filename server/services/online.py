"""Antrean online: bookings of a slot, remote numbers of today, and their check-in at the hall.

Places are counted in ``online_counts`` by one upsert that returns the new count: a command
that finds the count past its limit is refused and rolls back, so the last place of a slot or
of a quota's part is taken once under any concurrency, on SQLite and PostgreSQL alike
(invariant 9). A remote ticket is stored ``remote``, outside every line, so no counter can be
handed it before check-in; checked in, it joins its line where it was issued (it keeps its
place). A booking gets its ticket at check-in, in its service's booked line (see dispatch).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.events import (
    BookingCancelled,
    BookingCheckedIn,
    BookingCreated,
    BookingLapsed,
    BookingRef,
    TicketIssued,
)
from common.protocol.models import TicketOut
from common.protocol.online import BookingOut, SlotOut, SlotsOut
from server.config.hall import WEEKDAYS
from server.domain import online as rules
from server.domain.numbering import service_day
from server.domain.tickets import TicketAction, TicketStatus
from server.services.actor import Actor
from server.services.catalog import Catalog, ServiceInfo, SiteInfo
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.new_tickets import insert_new_ticket
from server.services.queries import lock_lines, people_ahead_and_open, ticket_out
from server.services.tickets import (
    load_ticket,
    new_tracking_code,
    ticket_ref,
    transition,
)
from server.services.uow import UnitOfWork
from server.store import models as m

log = logging.getLogger(__name__)

WALK_IN, ONLINE = "walk_in", "online"  # the two parts of a daily quota in online_counts
PHONE = re.compile(r"^\+?[0-9]{8,15}$")


# ---------------------------------------------------------------- personal data

def nik_hash(nik: str, key: bytes) -> str:
    """The NIK as stored: a keyed hash, enough to see the same NIK twice, not to read it."""
    return hmac.new(key, nik.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """``0812****5678``: what staff see of a citizen's phone."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:4] + "*" * (len(phone) - 8) + phone[-4:] if len(phone) > 8 \
        else phone[:2] + "*" * (len(phone) - 4) + phone[-2:]


def normal_phone(phone: str) -> str:
    digits = re.sub(r"[\s\-().]", "", phone)
    if digits.startswith("+62"):
        digits = "0" + digits[3:]
    elif digits.startswith("62") and len(digits) > 10:
        digits = "0" + digits[2:]
    return digits


# ---------------------------------------------------------------- counting places

def _take_statement(dialect: str):
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    counts = m.OnlineCount.core_table()
    return insert_(counts).values(
        service_id=bindparam("service_id"), service_day=bindparam("day"),
        slot=bindparam("slot"), taken=1,
    ).on_conflict_do_update(
        index_elements=[counts.c.service_id, counts.c.service_day, counts.c.slot],
        set_={"taken": counts.c.taken + 1},
    ).returning(counts.c.taken)


_TAKE = {dialect: _take_statement(dialect) for dialect in ("postgresql", "sqlite")}
_COUNTS = m.OnlineCount.core_table()
_RELEASE = (update(_COUNTS).where(_COUNTS.c.service_id == bindparam("of_service"),
                                  _COUNTS.c.service_day == bindparam("of_day"),
                                  _COUNTS.c.slot == bindparam("of_slot"), _COUNTS.c.taken > 0)
            .values(taken=_COUNTS.c.taken - 1))


async def take_place(session: AsyncSession, service_id: int, day: date, slot: str) -> int:
    """One more place taken; the count with it. The caller refuses (and so rolls back) when
    it passes the limit: the row stays locked until then, so counts are never overtaken."""
    dialect = session.get_bind().dialect.name
    return int((await session.execute(_TAKE[dialect], {
        "service_id": service_id, "day": day, "slot": slot})).scalar_one())


async def release_place(session: AsyncSession, service_id: int, day: date, slot: str) -> None:
    await session.execute(_RELEASE, {"of_service": service_id, "of_day": day, "of_slot": slot})


async def taken_places(session: AsyncSession, service_ids: list[int], day: date
                       ) -> dict[tuple[int, str], int]:
    rows = await session.execute(select(_COUNTS.c.service_id, _COUNTS.c.slot, _COUNTS.c.taken)
                                 .where(_COUNTS.c.service_id.in_(service_ids),
                                        _COUNTS.c.service_day == day))
    return {(service_id, slot): taken for service_id, slot, taken in rows.all()}


def quota_parts(service: ServiceInfo) -> rules.QuotaSplit | None:
    if service.daily_quota is None:
        return None
    return rules.split_quota(service.daily_quota, service.online.online_share)


async def take_walk_in_place(uow: UnitOfWork, service: ServiceInfo, day: date) -> None:
    """A walk-in number of a service whose quota is shared with online: its part counted."""
    parts = quota_parts(service)
    if parts is None:
        return
    if await take_place(uow.session, service.id, day, WALK_IN) > parts.walk_in:
        raise Conflict("Kuota nomor antrean di tempat untuk layanan ini hari ini sudah habis.",
                       "Today's quota of walk-in tickets for this service has been reached.",
                       code="quota_reached", quota=parts.walk_in)


async def _take_online_place(uow: UnitOfWork, service: ServiceInfo, day: date) -> None:
    parts = quota_parts(service)
    if parts is None:
        return
    if await take_place(uow.session, service.id, day, ONLINE) > parts.online:
        raise Conflict("Kuota antrean online layanan ini untuk hari itu sudah habis.",
                       "The online quota of this service for that day has been reached.",
                       code="quota_reached", quota=parts.online)


def slot_capacity(uow: UnitOfWork, service: ServiceInfo) -> int:
    return rules.slot_capacity(service.online.slot_capacity,
                               len(uow.catalog.counters_for(service.id)),
                               service.online.slot_minutes, service.service_minutes)


# ---------------------------------------------------------------- slots

def slots_of_day(site: SiteInfo, service: ServiceInfo, day: date) -> list[time]:
    opening = service.opening
    if day in opening.holidays:
        return []
    windows = opening.weekly[WEEKDAYS[day.weekday()]]
    return list(rules.day_slots(windows, service.online.slot_minutes))


def slot_moment(site: SiteInfo, day: date, start: time) -> datetime:
    return datetime.combine(day, start, ZoneInfo(site.timezone)).astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class SlotFree:
    start: time
    at: datetime
    free: int


async def free_slots(session: AsyncSession, uow_catalog_counters: int, site: SiteInfo,
                     service: ServiceInfo, day: date, now: datetime) -> list[SlotFree]:
    capacity = rules.slot_capacity(service.online.slot_capacity, uow_catalog_counters,
                                   service.online.slot_minutes, service.service_minutes)
    taken = await taken_places(session, [service.id], day)
    parts = quota_parts(service)
    online_left = None if parts is None else parts.online - taken.get((service.id, ONLINE), 0)
    result = []
    for start in slots_of_day(site, service, day):
        at = slot_moment(site, day, start)
        if at <= now:
            continue
        free = capacity - taken.get((service.id, f"{start:%H:%M}"), 0)
        if online_left is not None:
            free = min(free, online_left)
        result.append(SlotFree(start, at, max(0, free)))
    return result


# ---------------------------------------------------------------- the citizen's requests

@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    nik: str | None


def _booking_ref(uow: UnitOfWork, booking: m.Booking) -> BookingRef:
    service = uow.catalog.services[booking.service_id]
    return BookingRef(id=booking.id, kind=booking.kind,  # type: ignore[arg-type]
                      service=service.code, agency=uow.catalog.agencies[service.agency_id].code,
                      service_day=booking.service_day, slot_at=booking.slot_at,
                      status=booking.status)  # type: ignore[arg-type]


async def _check_person(uow: UnitOfWork, site: SiteInfo, service: ServiceInfo, person: Person,
                        day: date, key: bytes) -> tuple[str, str | None]:
    """The phone as stored and the NIK's hash; refused with what is wrong, or when the person
    already holds as many active bookings of the service that day as the hall allows."""
    name = " ".join(person.name.split())
    if not 2 <= len(name) <= 120:
        raise Invalid("Tulis nama Anda (2 sampai 120 huruf).",
                      "Write your name (2 to 120 characters).", code="invalid_name")
    phone = normal_phone(person.phone)
    if not PHONE.match(phone):
        raise Invalid("Nomor HP tidak valid. Tulis seperti 081234567890.",
                      "The phone number is not valid. Write it like 081234567890.",
                      code="invalid_phone")
    hashed = None
    if person.nik:
        found = rules.check_nik(person.nik.strip(), service_day(uow.now, site.timezone))
        if isinstance(found, rules.NikProblem):
            message, message_en = NIK_MESSAGES[found]
            raise Invalid(message, message_en, code="invalid_nik", problem=found.value)
        hashed = nik_hash(person.nik.strip(), key)
    elif service.online.nik_required:
        raise Invalid("Layanan ini memerlukan NIK (16 angka, ada di KTP atau KK Anda).",
                      "This service needs your NIK (16 digits, on your ID card or family card).",
                      code="nik_required")
    same_person = m.Booking.phone == phone if hashed is None else or_(
        m.Booking.phone == phone, m.Booking.nik_hash == hashed)
    active = await uow.session.scalar(select(func.count()).select_from(m.Booking).where(
        m.Booking.service_id == service.id, m.Booking.service_day == day,
        m.Booking.status == "booked", same_person))
    if int(active or 0) >= service.online.active_per_person:
        raise Conflict("Anda sudah memiliki pendaftaran aktif untuk layanan ini pada hari itu.",
                       "You already hold an active booking for this service that day.",
                       code="booking_limit", limit=service.online.active_per_person)
    return phone, hashed


NIK_MESSAGES: dict[rules.NikProblem, tuple[str, str]] = {
    rules.NikProblem.LENGTH: ("NIK harus 16 angka.", "A NIK is 16 digits."),
    rules.NikProblem.ZEROS: ("NIK tidak boleh nol semua.", "A NIK cannot be all zeros."),
    rules.NikProblem.REGION: ("Kode wilayah NIK (6 angka pertama) tidak dikenal.",
                              "The NIK's region code (its first 6 digits) is not known."),
    rules.NikProblem.BIRTH_DATE: ("Tanggal lahir dalam NIK (angka ke-7 sampai 12) tidak valid.",
                                  "The birth date in the NIK (digits 7 to 12) is not valid."),
    rules.NikProblem.SERIAL: ("Nomor urut NIK (4 angka terakhir) tidak boleh 0000.",
                              "The NIK's serial (its last 4 digits) cannot be 0000."),
}


def _require_service_online(service: ServiceInfo, kind: str) -> None:
    allowed = service.online.booking if kind == "slot" else service.online.remote
    if not allowed:
        raise Conflict("Layanan ini tidak menerima pendaftaran online dengan cara itu.",
                       "This service does not take online bookings that way.",
                       code="online_not_offered", kind=kind)


def _parse_slot(site: SiteInfo, service: ServiceInfo, day: date, slot: str,
                now: datetime) -> tuple[time, datetime]:
    today = service_day(now, site.timezone)
    if not today <= day <= today + timedelta(days=service.online.booking_days_ahead):
        raise Invalid(
            f"Pilih tanggal antara hari ini dan {service.online.booking_days_ahead} hari ke depan.",
            f"Choose a date from today to {service.online.booking_days_ahead} days ahead.",
            code="date_out_of_range", days_ahead=service.online.booking_days_ahead)
    starts = {f"{s:%H:%M}": s for s in slots_of_day(site, service, day)}
    if slot not in starts:
        raise Invalid("Jam itu bukan slot layanan ini pada tanggal itu.",
                      "That time is not a slot of this service on that date.",
                      code="unknown_slot")
    at = slot_moment(site, day, starts[slot])
    if at <= now:
        raise Invalid("Slot itu sudah lewat.", "That slot has passed.", code="slot_passed")
    return starts[slot], at


async def _take_slot(uow: UnitOfWork, service: ServiceInfo, day: date, slot: str) -> None:
    capacity = slot_capacity(uow, service)
    if await take_place(uow.session, service.id, day, slot) > capacity:
        raise Conflict("Slot ini sudah penuh. Pilih jam lain.",
                       "This slot is full. Choose another time.", code="slot_full",
                       capacity=capacity)


async def book(uow: UnitOfWork, site: SiteInfo, service_code: str, day: date, slot: str,
               person: Person, key: bytes) -> m.Booking:
    service = uow.catalog.service(site.id, service_code)
    _require_service_online(service, "slot")
    _, at = _parse_slot(site, service, day, slot, uow.now)
    phone, hashed = await _check_person(uow, site, service, person, day, key)
    await _take_slot(uow, service, day, slot)
    await _take_online_place(uow, service, day)
    booking = m.Booking(site_id=site.id, service_id=service.id, kind="slot",
                        code=new_tracking_code(), status="booked", service_day=day,
                        slot_at=at, slot=slot, name=" ".join(person.name.split()), phone=phone,
                        nik_hash=hashed, created_at=uow.now)
    uow.session.add(booking)
    await uow.session.flush()
    uow.audit(site.id, "booking.create", booking_id=booking.id, service=service.code,
              day=day.isoformat(), slot=slot)
    uow.emit(site.id, BookingCreated(site=site.code, at=uow.now,
                                     booking=_booking_ref(uow, booking)))
    log.info("booking %s for %s on %s %s", booking.id, service.code, day, slot)
    return booking


async def take_remote(uow: UnitOfWork, site: SiteInfo, service_code: str, person: Person,
                      key: bytes) -> m.Booking:
    """Today's number, taken from a phone: numbered now, in no line until check-in."""
    service = uow.catalog.service(site.id, service_code)
    _require_service_online(service, "remote")
    if not service.opening.is_open(uow.now):
        raise Conflict("Layanan ini sedang tutup; antrean online hari ini tidak tersedia.",
                       "This service is closed; today's online numbers are not available.",
                       code="service_closed")
    day = service_day(uow.now, site.timezone)
    phone, hashed = await _check_person(uow, site, service, person, day, key)
    await _take_online_place(uow, service, day)
    code = new_tracking_code()
    row = dict(
        site_id=site.id, service_id=service.id, issued_service_id=service.id, service_day=day,
        priority=False, priority_reason=None, channel="web", tracking_code=code,
        status=TicketStatus.REMOTE, issued_at=uow.now, queued_at=uow.now,
        reserve_expires_at=None, device_id=None, call_count=0, transfer_count=0,
        called_out_of_order=False,
    )
    stored, _ = await insert_new_ticket(uow.session, row, service.prefix, joins_line=False)
    booking = m.Booking(site_id=site.id, service_id=service.id, kind="remote", code=code,
                        status="booked", service_day=day, slot_at=None, slot=None,
                        name=" ".join(person.name.split()), phone=phone, nik_hash=hashed,
                        ticket_id=stored.id, created_at=uow.now)
    uow.session.add(booking)
    await uow.session.flush()
    uow.audit(site.id, "booking.remote", ticket_id=stored.id, booking_id=booking.id,
              number=stored.number, service=service.code)
    uow.emit(site.id, BookingCreated(site=site.code, at=uow.now,
                                     booking=_booking_ref(uow, booking)))
    log.info("remote number %s (%s) at %s", stored.number, service.code, site.code)
    return booking


_BY_CODE = select(m.Booking).where(m.Booking.code == bindparam("code"))


async def find_booking(session: AsyncSession, code: str, *, lock: bool = False
                       ) -> m.Booking | None:
    statement = _BY_CODE.with_for_update() if lock else _BY_CODE
    found: m.Booking | None = await session.scalar(statement, {"code": code.strip().upper()})
    return found


def _unknown(code: str) -> NotFound:
    return NotFound("Kode pendaftaran tidak ditemukan. Periksa lagi kodenya.",
                    "No booking has that code. Check the code again.", code="unknown_booking")


async def _release(uow: UnitOfWork, booking: m.Booking) -> None:
    service = uow.catalog.services[booking.service_id]
    if booking.slot is not None:
        await release_place(uow.session, service.id, booking.service_day, booking.slot)
    if quota_parts(service) is not None:
        await release_place(uow.session, service.id, booking.service_day, ONLINE)


async def cancel(uow: UnitOfWork, code: str) -> m.Booking:
    booking = await find_booking(uow.session, code, lock=True)
    if booking is None:
        raise _unknown(code)
    if booking.status == "cancelled":
        return booking  # cancelling twice is harmless
    if booking.status != "booked":
        raise Conflict("Pendaftaran ini sudah check-in atau kedaluwarsa; tidak bisa dibatalkan.",
                       "This booking is checked in or lapsed; it cannot be cancelled.",
                       code="not_cancellable", status=booking.status)
    if booking.ticket_id is not None:
        ticket = await load_ticket(uow, booking.ticket_id)
        if ticket.status == TicketStatus.REMOTE:
            transition(ticket, TicketAction.CANCEL)
            ticket.ended_at = uow.now
    booking.status = "cancelled"
    booking.ended_at = uow.now
    await _release(uow, booking)
    uow.audit(booking.site_id, "booking.cancel", ticket_id=booking.ticket_id,
              booking_id=booking.id)
    site = uow.catalog.sites[booking.site_id]
    uow.emit(site.id, BookingCancelled(site=site.code, at=uow.now,
                                       booking=_booking_ref(uow, booking)))
    return booking


async def remote_cancelled(uow: UnitOfWork, ticket: m.Ticket) -> None:
    """Staff cancelled a remote number (``tickets.cancel``): its booking ends too."""
    booking = await uow.session.scalar(
        select(m.Booking).where(m.Booking.ticket_id == ticket.id).with_for_update())
    if booking is None or booking.status != "booked":
        return
    booking.status = "cancelled"
    booking.ended_at = uow.now
    await _release(uow, booking)
    site = uow.catalog.sites[booking.site_id]
    uow.emit(site.id, BookingCancelled(site=site.code, at=uow.now,
                                       booking=_booking_ref(uow, booking)))


async def reschedule(uow: UnitOfWork, code: str, day: date, slot: str) -> m.Booking:
    booking = await find_booking(uow.session, code, lock=True)
    if booking is None:
        raise _unknown(code)
    if booking.kind != "slot" or booking.status != "booked":
        raise Conflict("Hanya pendaftaran slot yang belum check-in yang dapat dijadwalkan ulang.",
                       "Only a slot booking not yet checked in can be rescheduled.",
                       code="not_reschedulable", status=booking.status)
    site = uow.catalog.sites[booking.site_id]
    service = uow.catalog.services[booking.service_id]
    _, at = _parse_slot(site, service, day, slot, uow.now)
    if (booking.service_day, booking.slot) == (day, slot):
        return booking
    await _release(uow, booking)
    await _take_slot(uow, service, day, slot)
    await _take_online_place(uow, service, day)
    old_day, old_slot = booking.service_day, booking.slot
    booking.service_day, booking.slot, booking.slot_at = day, slot, at
    uow.audit(site.id, "booking.reschedule", booking_id=booking.id,
              from_day=old_day.isoformat(), from_slot=old_slot, day=day.isoformat(), slot=slot)
    uow.emit(site.id, BookingCancelled(site=site.code, at=uow.now, rescheduled=True,
                                       booking=_booking_ref(uow, booking)))
    uow.emit(site.id, BookingCreated(site=site.code, at=uow.now,
                                     booking=_booking_ref(uow, booking)))
    return booking


# ---------------------------------------------------------------- check-in at the hall

def _authorize_check_in(uow: UnitOfWork, site: SiteInfo, service: ServiceInfo
                        ) -> Literal["kiosk", "officer"]:
    actor = uow.actor
    actor.require_site(site.id)
    if actor.kind == "device":
        if actor.role != "kiosk":
            raise Forbidden("Hanya kios atau petugas yang dapat melakukan check-in.",
                            "Only a kiosk or an officer may check a citizen in.")
        return "kiosk"
    if actor.role == "officer" and actor.agency_id != service.agency_id:
        raise Forbidden("Pendaftaran ini untuk layanan instansi lain.",
                        "This booking is for another agency's service.", code="wrong_agency")
    return "officer"


def _local_hhmm(site: SiteInfo, moment: datetime) -> str:
    return f"{moment.astimezone(ZoneInfo(site.timezone)):%H:%M}"


async def check_in(uow: UnitOfWork, site: SiteInfo, code: str) -> TicketOut:
    """A booking code or a remote number's code, scanned from the phone or typed."""
    booking = await find_booking(uow.session, code_of(code), lock=True)
    if booking is None or booking.site_id != site.id:
        raise _unknown(code)
    service = uow.catalog.services[booking.service_id]
    by = _authorize_check_in(uow, site, service)
    if booking.status == "checked_in":
        raise Conflict("Kode ini sudah check-in. Nomor antrean Anda sudah tercetak.",
                       "This code is already checked in; its ticket has been printed.",
                       code="already_checked_in")
    if booking.status in ("cancelled", "lapsed"):
        raise Conflict("Pendaftaran ini sudah dibatalkan atau kedaluwarsa. Silakan ambil nomor "
                       "antrean di kios.",
                       "This booking was cancelled or has lapsed. Please take a walk-in number.",
                       code="too_late", status=booking.status)
    today = service_day(uow.now, site.timezone)
    if booking.service_day != today:
        if booking.service_day > today:
            assert booking.slot_at is not None
            opens = booking.slot_at - timedelta(minutes=site.online.check_in_before_minutes)
            raise _too_early(site, opens, booking.service_day)
        raise _too_late()
    # The lines of its service: a ticket joining ahead of others waits for a choosing counter.
    await lock_lines(uow.session, [service.id])
    if booking.kind == "remote":
        assert booking.ticket_id is not None
        ticket = await load_ticket(uow, booking.ticket_id)
        if ticket.status == TicketStatus.LAPSED:
            raise _too_late()
        if ticket.status != TicketStatus.REMOTE:
            raise Conflict("Nomor ini sudah check-in.", "This number is already checked in.",
                           code="already_checked_in")
        transition(ticket, TicketAction.CHECK_IN)  # it keeps queued_at: its place in the line
    else:
        assert booking.slot_at is not None
        verdict = rules.check_in_window(booking.slot_at, uow.now,
                                        site.online.check_in_before_minutes,
                                        site.online.check_in_after_minutes)
        if isinstance(verdict, rules.TooEarly):
            raise _too_early(site, verdict.opens_at, None)
        if isinstance(verdict, rules.TooLate):
            raise _too_late()
        row = dict(
            site_id=site.id, service_id=service.id, issued_service_id=service.id,
            service_day=today, priority=False, priority_reason=None, channel="appointment",
            tracking_code=new_tracking_code(), status=TicketStatus.WAITING, issued_at=uow.now,
            queued_at=uow.now, reserve_expires_at=None,
            device_id=uow.actor.id if uow.actor.kind == "device" else None, call_count=0,
            transfer_count=0, called_out_of_order=False, slot_at=booking.slot_at,
        )
        stored, _ = await insert_new_ticket(uow.session, row, service.prefix, joins_line=True)
        ticket = m.Ticket(id=stored.id, sequence=stored.sequence, number=stored.number, **row)
        booking.ticket_id = ticket.id
    booking.status = "checked_in"
    booking.checked_in_at = uow.now
    ref = ticket_ref(uow, ticket)
    uow.audit(site.id, "booking.check_in", ticket_id=ticket.id, booking_id=booking.id,
              number=ticket.number, by=by)
    uow.emit(site.id, BookingCheckedIn(site=site.code, at=uow.now,
                                       booking=_booking_ref(uow, booking), ticket=ref, by=by))
    uow.emit(site.id, TicketIssued(site=site.code, at=uow.now, ticket=ref))
    uow.touch_queue(service.id)
    log.info("%s checked in (%s, %s) at %s", ticket.number, booking.kind, by, site.code)
    return await ticket_out(uow.session, uow.catalog, ticket)


def _too_early(site: SiteInfo, opens_at: datetime, day: date | None) -> Conflict:
    hhmm = _local_hhmm(site, opens_at)
    if day is not None:
        return Conflict(f"Pendaftaran Anda untuk tanggal {day:%d/%m/%Y}. Silakan datang "
                        f"tanggal itu mulai pukul {hhmm.replace(':', '.')}.",
                        f"Your booking is for {day:%d/%m/%Y}. Please come that day from "
                        f"{hhmm}.", code="too_early", opens_at=hhmm, day=day.isoformat())
    return Conflict(f"Terlalu awal. Silakan check-in lagi pukul {hhmm.replace(':', '.')}.",
                    f"Too early. Please check in again at {hhmm}.", code="too_early",
                    opens_at=hhmm)


def _too_late() -> Conflict:
    return Conflict("Waktu check-in untuk pendaftaran ini sudah lewat. Silakan ambil nomor "
                    "antrean biasa di kios.",
                    "The check-in time of this booking has passed. Please take a walk-in "
                    "number at the kiosk.", code="too_late")


# ---------------------------------------------------------------- housekeeping

async def lapse(uow: UnitOfWork) -> int:
    """Remote numbers past their grace and bookings past their check-in window lapse. Every
    round: both reads go through partial indexes of what is still open (a handful of rows in a
    day), one statement each for all the sites."""
    changed = 0
    # Read without locks: a lapsing number is then locked as check-in and cancel lock it, its
    # booking first, so the three never wait for each other in a circle.
    remote = (await uow.session.scalars(
        select(m.Ticket).where(m.Ticket.status == TicketStatus.REMOTE))).all()
    for ticket in remote:
        site = uow.catalog.sites[ticket.site_id]
        ahead, _ = await people_ahead_and_open(uow.session, ticket)
        state = rules.remote_state(ahead, ticket.turn_passed_at, uow.now,
                                   site.online.remote_grace_minutes)
        if state is rules.RemoteState.TURN_PASSED and ticket.turn_passed_at is None:
            ticket.turn_passed_at = uow.now
            changed += 1
        elif state is rules.RemoteState.LAPSED:
            booking = await uow.session.scalar(
                select(m.Booking).where(m.Booking.ticket_id == ticket.id).with_for_update())
            fresh = await uow.session.scalar(
                select(m.Ticket).where(m.Ticket.id == ticket.id).with_for_update()
                .execution_options(populate_existing=True))
            if fresh is None or fresh.status != TicketStatus.REMOTE:
                continue  # checked in or cancelled meanwhile
            ticket = fresh
            transition(ticket, TicketAction.LAPSE)
            ticket.ended_at = uow.now
            if booking is not None:
                booking.status = "lapsed"
                booking.ended_at = uow.now
            uow.audit(site.id, "booking.lapse", ticket_id=ticket.id,
                      reason="remote number not checked in within the grace")
            uow.emit(site.id, BookingLapsed(
                site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket),
                booking=_booking_ref(uow, booking) if booking else _remote_ref(uow, ticket)))
            changed += 1
    if not uow.catalog.sites:
        return changed
    soonest = min(site.online.check_in_after_minutes for site in uow.catalog.sites.values())
    late = (await uow.session.scalars(select(m.Booking).where(
        m.Booking.status == "booked", m.Booking.slot_at < uow.now - timedelta(minutes=soonest))
        .with_for_update())).all()
    for booking in late:
        hall = uow.catalog.sites.get(booking.site_id)
        if hall is None or booking.slot_at is None or booking.slot_at >= uow.now - timedelta(
                minutes=hall.online.check_in_after_minutes):
            continue
        booking.status = "lapsed"
        booking.ended_at = uow.now
        uow.audit(hall.id, "booking.lapse", booking_id=booking.id,
                  reason="not checked in within the window")
        uow.emit(hall.id, BookingLapsed(site=hall.code, at=uow.now,
                                        booking=_booking_ref(uow, booking)))
        changed += 1
    return changed


async def erase_personal_data(uow: UnitOfWork) -> int:
    """Names, phones and NIK hashes older than each hall's retention days are erased (in the
    full housekeeping round: a few minutes late is still within the day)."""
    erased_total = 0
    for site in uow.catalog.sites.values():
        erase_before = uow.now - timedelta(days=site.online.retention_days)
        erased = await uow.session.execute(
            update(m.Booking).where(m.Booking.site_id == site.id,
                                    m.Booking.created_at < erase_before,
                                    m.Booking.erased_at.is_(None))
            .values(name="", phone="", nik_hash=None, erased_at=uow.now))
        count = int(erased.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            uow.audit(site.id, "booking.erase", count=count,
                      reason=f"personal data past {site.online.retention_days} days")
            erased_total += count
    return erased_total


async def lapse_and_erase(uow: UnitOfWork) -> int:
    """Both at once (for tests and tools)."""
    return await lapse(uow) + await erase_personal_data(uow)


def _remote_ref(uow: UnitOfWork, ticket: m.Ticket) -> BookingRef:
    service = uow.catalog.services[ticket.service_id]
    return BookingRef(id=0, kind="remote", service=service.code,
                      agency=uow.catalog.agencies[service.agency_id].code,
                      service_day=ticket.service_day, slot_at=None, status="lapsed")


# ---------------------------------------------------------------- as the citizen sees it

async def booking_out(session: AsyncSession, catalog: Catalog, booking: m.Booking
                      ) -> BookingOut:
    site = catalog.sites[booking.site_id]
    service = catalog.services[booking.service_id]
    ticket = None
    if booking.ticket_id is not None:
        row = await session.get(m.Ticket, booking.ticket_id)
        if row is not None:
            ticket = await ticket_out(session, catalog, row)
    opens = closes = None
    if booking.slot_at is not None:
        opens = _local_hhmm(site, booking.slot_at - timedelta(
            minutes=site.online.check_in_before_minutes))
        closes = _local_hhmm(site, booking.slot_at + timedelta(
            minutes=site.online.check_in_after_minutes))
    return BookingOut(
        code=booking.code, kind=booking.kind,  # type: ignore[arg-type]
        status=booking.status,  # type: ignore[arg-type]
        site=site.code, site_name=site.name, service=service.code, service_name=service.name,
        service_name_en=service.name_en, agency_name=catalog.agencies[service.agency_id].name,
        day=booking.service_day, slot=booking.slot, slot_at=booking.slot_at,
        check_in_from=opens, check_in_until=closes, name=booking.name,
        phone_masked=mask_phone(booking.phone), requirements=list(service.requirements),
        requirements_en=list(service.requirements_en),
        booking_url=f"{site.public_base_url}/online/{booking.code}", ticket=ticket)


async def booking_by_code(session: AsyncSession, catalog: Catalog, code: str) -> BookingOut:
    booking = await find_booking(session, code)
    if booking is None:
        raise _unknown(code)
    return await booking_out(session, catalog, booking)


async def slots_out(session: AsyncSession, catalog: Catalog, site: SiteInfo,
                    service_code: str, day: date, now: datetime) -> SlotsOut:
    service = catalog.service(site.id, service_code)
    _require_service_online(service, "slot")
    counters = len(catalog.counters_for(service.id))
    free = await free_slots(session, counters, site, service, day, now)
    capacity = rules.slot_capacity(service.online.slot_capacity, counters,
                                   service.online.slot_minutes, service.service_minutes)
    return SlotsOut(service=service.code, day=day, capacity=capacity,
                    slots=[SlotOut(start=f"{s.start:%H:%M}", at=s.at, free=s.free)
                           for s in free])


def code_of(scanned: str) -> str:
    """The code in what was typed or scanned: a bare code, or the QR's address ending in it."""
    text = scanned.strip().rstrip("/")
    return text.rsplit("/", 1)[-1].upper()


async def bookings_of_day(session: AsyncSession, catalog: Catalog, actor: Actor, site: SiteInfo,
                          day: date, service_code: str | None) -> list[BookingOut]:
    """A day's bookings and remote numbers for staff: phones masked; an officer sees their own
    agency's services only."""
    actor.require_site(site.id)
    if actor.kind != "officer":
        raise Forbidden("Hanya petugas yang dapat melihat daftar pendaftaran.",
                        "Only staff may list the bookings.")
    services = [s for s in catalog.site_services(site.id)
                if (service_code is None or s.code == service_code)
                and (actor.role != "officer" or s.agency_id == actor.agency_id)]
    if not services:
        return []
    rows = (await session.scalars(select(m.Booking).where(
        m.Booking.site_id == site.id, m.Booking.service_day == day,
        m.Booking.service_id.in_([s.id for s in services]))
        .order_by(m.Booking.slot_at.asc().nulls_first(), m.Booking.id))).all()
    return [await booking_out(session, catalog, row) for row in rows]
