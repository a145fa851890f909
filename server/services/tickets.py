"""Ticket commands: issue, confirm, call, recall, start, finish, no-show, return, transfer, cancel."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select

from common.formats import clock_time, day_name
from common.protocol.events import (
    CounterRef,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketRecalled,
    TicketRef,
    TicketReturned,
    TicketServing,
    TicketTransferred,
)
from common.protocol.models import TicketOut
from server.domain import dispatch
from server.domain.numbering import service_day
from server.domain.stats import whole_seconds
from server.domain.tickets import (
    ACTIVE_AT_COUNTER,
    IllegalTransition,
    TicketAction,
    TicketStatus,
    next_status,
)

# The visit's hooks; that module uses this one's helpers, at call time only.
from server.services import visits
from server.services.actor import Actor
from server.services.catalog import Catalog, CounterInfo, SiteInfo
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.new_tickets import insert_new_ticket
from server.services.queries import line_heads_and_queue, lock_lines, ticket_out
from server.services.stats_rollup import invalidate
from server.services.uow import UnitOfWork
from server.store import models as m

log = logging.getLogger(__name__)

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
TRACKING_LENGTH = 10


def new_tracking_code() -> str:
    # One draw of random bytes, not one per letter (each a system call): 256 is a multiple
    # of the alphabet's 32 letters, so a byte picks each letter equally often.
    return "".join(TRACKING_ALPHABET[byte % len(TRACKING_ALPHABET)]
                   for byte in secrets.token_bytes(TRACKING_LENGTH))


# ---------------------------------------------------------------- references used in events

def ticket_ref(uow: UnitOfWork, ticket: m.Ticket) -> TicketRef:
    service = uow.catalog.services[ticket.service_id]
    agency = uow.catalog.agencies[service.agency_id]
    return TicketRef(id=ticket.id, number=ticket.number, service=service.code,
                     service_name=service.name, service_name_en=service.name_en,
                     agency=agency.code, agency_name=agency.name, priority=ticket.priority,
                     status=ticket.status)  # type: ignore[arg-type]


def counter_ref(uow: UnitOfWork, counter: CounterInfo) -> CounterRef:
    return CounterRef(id=counter.id, number=counter.number, name=counter.name,
                      agency=uow.catalog.agencies[counter.agency_id].code)


# ---------------------------------------------------------------- loading and permission

# Built once, like the statements in queries: every command loads its ticket and counter.
_TICKET = select(m.Ticket).where(m.Ticket.id == bindparam("id"))
_TICKET_FOR_UPDATE = _TICKET.with_for_update()
_COUNTER_FOR_UPDATE = select(m.Counter).where(m.Counter.id == bindparam("id")).with_for_update()
_TICKET_PLACE = select(m.Ticket.status, m.Ticket.counter_id, m.Ticket.service_id,
                       m.Ticket.site_id).where(m.Ticket.id == bindparam("id"))
_TICKET_NUMBERED = select(m.Ticket.id).where(
    m.Ticket.site_id == bindparam("site_id"), m.Ticket.service_day == bindparam("day"),
    m.Ticket.number == bindparam("number"))


async def load_ticket(uow: UnitOfWork, ticket_id: int, *, lock: bool = True) -> m.Ticket:
    ticket = await uow.session.scalar(_TICKET_FOR_UPDATE if lock else _TICKET, {"id": ticket_id})
    if ticket is None:
        raise NotFound(f"Tiket {ticket_id} tidak ditemukan.", f"No ticket has the id {ticket_id}.",
                       code="unknown_ticket")
    return ticket


async def load_counter_row(uow: UnitOfWork, counter_id: int) -> m.Counter:
    row = await uow.session.scalar(_COUNTER_FOR_UPDATE, {"id": counter_id})
    if row is None:
        uow.catalog.counter(counter_id)  # raises the friendly NotFound
        raise AssertionError("unreachable")
    return row


def _counter_holding(status: str, counter_id: int | None) -> int | None:
    return counter_id if status in ACTIVE_AT_COUNTER else None


async def _lock_with_its_counter(uow: UnitOfWork, ticket_id: int, *,
                                 joining: str | None = None
                                 ) -> tuple[m.Ticket, m.Counter | None]:
    """The ticket, and the row of the counter holding it (if one does), both locked: the counter
    first, as call-next takes them. Taken the other way round, a finish and a call-next at one
    counter could each hold the lock the other waits for. ``joining``: the code of a service
    whose line the ticket is about to join; that line and the ticket's own are held too (see
    ``lock_lines``), between the counter and the ticket."""
    place = (await uow.session.execute(_TICKET_PLACE, {"id": ticket_id})).first()
    holder = _counter_holding(place.status, place.counter_id) if place is not None else None
    counter_row = await load_counter_row(uow, holder) if holder is not None else None
    if joining is not None and place is not None:
        target = uow.catalog.service(place.site_id, joining)
        await lock_lines(uow.session, [place.service_id, target.id])
    ticket = await load_ticket(uow, ticket_id)
    now_at = _counter_holding(ticket.status, ticket.counter_id)
    if now_at is None:
        return ticket, None  # it left its counter meanwhile: the command judges it as it is now
    if now_at != holder:
        raise Conflict(f"Tiket {ticket.number} baru saja dipanggil ke loket lain; coba lagi.",
                       f"Ticket {ticket.number} was just called to another counter; try again.",
                       code="race")
    return ticket, counter_row


def authorize_counter(actor: Actor, counter: CounterInfo, catalog: Catalog) -> None:
    """An officer acts only at counters of their own agency; a keypad only at its own counter."""
    actor.require_site(counter.site_id)
    if actor.kind == "device":
        if actor.role == "keypad" and actor.counter_id == counter.id:
            return
        raise Forbidden("Perangkat ini tidak boleh melayani loket.",
                        "This device may not act at a counter.")
    if actor.role in ("admin", "manager"):
        return
    if actor.agency_id != counter.agency_id:
        owner = catalog.agencies[counter.agency_id]
        mine = catalog.agencies.get(actor.agency_id) if actor.agency_id is not None else None
        yours_id = f"Anda petugas {mine.name}" if mine else "Anda tidak terdaftar di instansi itu"
        yours_en = (f"you are an officer of {mine.name_en or mine.name}" if mine
                    else "you are not registered with it")
        raise Forbidden(
            f"{counter.name} adalah loket {owner.name}; {yours_id}. Masuklah di loket "
            "instansi Anda.",
            f"{counter.name} is a counter of {owner.name_en or owner.name}; {yours_en}. Log in "
            "at a counter of your own agency.",
            code="wrong_agency", counter_agency=owner.code)


def authorize_ticket(uow: UnitOfWork, ticket: m.Ticket) -> None:
    if ticket.counter_id is not None:
        authorize_counter(uow.actor, uow.catalog.counter(ticket.counter_id), uow.catalog)
        return
    service = uow.catalog.services[ticket.service_id]
    uow.actor.require_site(service.site_id)
    if uow.actor.kind == "device" or (
        uow.actor.role == "officer" and uow.actor.agency_id != service.agency_id
    ):
        raise Forbidden("Tiket ini milik instansi lain.",
                        "This ticket belongs to another agency.", code="wrong_agency")


def transition(ticket: m.Ticket, action: TicketAction) -> None:
    try:
        ticket.status = next_status(TicketStatus(ticket.status), action)
    except IllegalTransition as exc:
        raise Conflict(
            f"Tiket {ticket.number} berstatus {exc.status.value}; tidak bisa {action.value}.",
            f"Ticket {ticket.number} is {exc.status.value}; it cannot be {action.value}ed.",
            code="illegal_transition", status=exc.status.value, action=action.value,
        ) from exc


def _require_counter_holds(counter_row: m.Counter, ticket: m.Ticket) -> None:
    if counter_row.current_ticket_id != ticket.id:
        raise Conflict(
            f"Tiket {ticket.number} tidak sedang dilayani di loket ini.",
            f"Ticket {ticket.number} is not the current ticket of this counter.",
            code="not_at_this_counter")


# ---------------------------------------------------------------- issuing

def _closed_message(site: SiteInfo, opening_at: object) -> tuple[str, str]:
    if opening_at is None:
        return "Layanan ini sedang tutup.", "This service is closed."
    from datetime import datetime

    assert isinstance(opening_at, datetime)
    local = opening_at.astimezone(ZoneInfo(site.timezone))
    when_id = f"{day_name(local, 'id')} {local:%d/%m} pukul {clock_time(local)}"
    when_en = f"{local:%A %d/%m} at {clock_time(local)}"
    return (f"Layanan ini sedang tutup. Buka kembali {when_id}.",
            f"This service is closed. It opens again {when_en}.")


async def issue(
    uow: UnitOfWork, site: SiteInfo, service_code: str, priority_reason: str | None,
    channel: str, reserve: bool,
) -> TicketOut:
    actor = uow.actor
    if actor.kind == "device" and actor.role != "kiosk":
        raise Forbidden("Hanya kios yang dapat mengambil nomor.", "Only a kiosk may issue tickets.")
    actor.require_site(site.id)
    service = uow.catalog.service(site.id, service_code)
    if actor.kind == "officer" and actor.role == "officer" and actor.agency_id != service.agency_id:
        raise Forbidden("Petugas hanya dapat mengambil nomor untuk layanan instansinya.",
                        "An officer may issue tickets only for their own agency's services.",
                        code="wrong_agency")
    if not service.opening.is_open(uow.now):
        message, message_en = _closed_message(site, service.opening.next_opening(uow.now))
        next_open = service.opening.next_opening(uow.now)
        raise Conflict(message, message_en, code="service_closed",
                       next_opening=next_open.isoformat() if next_open else None)
    status = TicketStatus.RESERVED if reserve else TicketStatus.WAITING
    row = dict(
        site_id=site.id, service_id=service.id, issued_service_id=service.id,
        service_day=service_day(uow.now, site.timezone), priority=priority_reason is not None,
        priority_reason=priority_reason, channel=channel, tracking_code=new_tracking_code(),
        status=status, issued_at=uow.now, queued_at=uow.now,
        reserve_expires_at=uow.now + timedelta(seconds=site.reservation_seconds) if reserve else None,
        device_id=actor.id if actor.kind == "device" else None,
        call_count=0, transfer_count=0, called_out_of_order=False,
    )
    if service.online.enabled:
        # Its quota is shared with online numbers and bookings, which take numbers too:
        # the walk-in part is counted on its own (see services.online).
        from server.services.online import take_walk_in_place  # online imports this module

        await take_walk_in_place(uow, service, row["service_day"])  # type: ignore[arg-type]
    stored, place = await insert_new_ticket(uow.session, row, service.prefix,
                                            joins_line=not reserve)
    if (service.daily_quota is not None and not service.online.enabled
            and stored.sequence > service.daily_quota):
        # Refused, the command's changes roll back: the number is not used up.
        raise Conflict("Kuota nomor antrean layanan ini hari ini sudah habis.",
                       "Today's quota of tickets for this service has been reached.",
                       code="quota_reached", quota=service.daily_quota)
    # Only read from here on (the answer, the event): nothing in this command changes it.
    ticket = m.Ticket(id=stored.id, sequence=stored.sequence, number=stored.number, **row)
    if place is not None:
        uow.emit(site.id, TicketIssued(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket)))
        uow.touch_queue(service.id, as_read=(place.waiting, place.open_ids))
    uow.audit(site.id, "ticket.reserve" if reserve else "ticket.issue", ticket_id=ticket.id,
              number=ticket.number, service=service.code, priority_reason=priority_reason)
    log.info("issued %s (%s) at %s%s", ticket.number, service.code, site.code,
             " reserved" if reserve else "")
    return await ticket_out(uow.session, uow.catalog, ticket,
                            None if place is None else (place.ahead, place.open_ids))


async def confirm(uow: UnitOfWork, ticket_id: int) -> TicketOut:
    ticket = await load_ticket(uow, ticket_id)
    actor = uow.actor
    actor.require_site(ticket.site_id)
    if actor.kind == "device" and (actor.role != "kiosk" or ticket.device_id != actor.id):
        raise Forbidden("Hanya kios yang mencetak tiket ini yang dapat mengonfirmasinya.",
                        "Only the kiosk that reserved this ticket may confirm it.")
    if actor.kind != "device":
        authorize_ticket(uow, ticket)  # an officer of the service's agency, or a manager
    if ticket.status == TicketStatus.WAITING:
        return await ticket_out(uow.session, uow.catalog, ticket)  # confirming twice is harmless
    if (ticket.status == TicketStatus.RESERVED and ticket.reserve_expires_at is not None
            and ticket.reserve_expires_at <= uow.now):
        raise Conflict(f"Reservasi nomor {ticket.number} sudah kedaluwarsa.",
                       f"The reservation of {ticket.number} has expired.",
                       code="reservation_expired")
    transition(ticket, TicketAction.CONFIRM)
    ticket.reserve_expires_at = None
    site = uow.catalog.sites[ticket.site_id]
    uow.audit(site.id, "ticket.confirm", ticket_id=ticket.id)
    uow.emit(site.id, TicketIssued(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket)))
    uow.touch_queue(ticket.service_id)
    return await ticket_out(uow.session, uow.catalog, ticket)


async def expire_reservations(uow: UnitOfWork) -> int:
    rows = (await uow.session.scalars(
        select(m.Ticket).where(m.Ticket.status == TicketStatus.RESERVED,
                               m.Ticket.reserve_expires_at <= uow.now).with_for_update()
    )).all()
    for ticket in rows:
        transition(ticket, TicketAction.EXPIRE)
        ticket.ended_at = uow.now
        if ticket.in_visit:
            await visits.ended(uow, ticket)
        uow.audit(ticket.site_id, "ticket.expire", ticket_id=ticket.id,
                  reason="reservation not confirmed")
        log.info("reservation %s expired unconfirmed", ticket.number)
    return len(rows)


async def expire_past_days(uow: UnitOfWork) -> int:
    """Tickets still waiting from an earlier service day end as expired: they never carry over."""
    expired = 0
    for site in uow.catalog.sites.values():
        day = service_day(uow.now, site.timezone)
        rows = (await uow.session.scalars(
            select(m.Ticket).where(m.Ticket.site_id == site.id, m.Ticket.service_day < day,
                                   m.Ticket.status.in_([TicketStatus.WAITING,
                                                        TicketStatus.RESERVED]))
            .with_for_update())).all()
        for ticket in rows:
            ticket.status = TicketStatus.EXPIRED
            ticket.ended_at = uow.now
            if ticket.in_visit:
                await visits.ended(uow, ticket)
            uow.audit(site.id, "ticket.expire", ticket_id=ticket.id, reason="service day ended")
        expired += len(rows)
    return expired


# ---------------------------------------------------------------- calling

async def _finish_current(uow: UnitOfWork, counter_row: m.Counter, counter: CounterInfo) -> None:
    """Call-next at a counter still holding a ticket finishes it first (one key per action)."""
    if counter_row.current_ticket_id is None:
        return
    current = await load_ticket(uow, counter_row.current_ticket_id)
    if current.status in ACTIVE_AT_COUNTER:
        if current.started_at is None:
            current.started_at = current.last_called_at
        await _finish(uow, current, counter_row, counter, auto=True)
    counter_row.current_ticket_id = None


# Per service, the waiting tickets (all, priority); and the site's open counters.
LineCounts = tuple[dict[int, tuple[int, int]], set[int]]


async def _line_heads(uow: UnitOfWork, counter: CounterInfo
                      ) -> tuple[list[dispatch.Candidate], LineCounts]:
    """The heads of the counter's lines; with the waiting tickets (all, priority) of its
    services and the site's open counters, as they are before the call."""
    day = service_day(uow.now, uow.catalog.sites[counter.site_id].timezone)
    lines = tuple((service_id, priority) for service_id in sorted(counter.weights)
                  for priority in (True, False))
    booked = tuple(service_id for service_id in sorted(counter.weights)
                   if uow.catalog.services[service_id].online.booking)
    rows, waiting, open_ids = await line_heads_and_queue(uow.session, counter.site_id, lines,
                                                         day, booked)
    heads = []
    for tag, ticket_id, service_id, priority, queued_at in sorted(
            rows, key=lambda row: (row[2], not row[3], row[0])):
        heads.append(dispatch.Candidate(
            ticket_id=ticket_id, service_id=service_id, priority=bool(priority),
            queued_at=queued_at, weight=counter.weights[service_id],
            sla_minutes=uow.catalog.services[service_id].sla_minutes,
            slot_at=queued_at if tag == "booked" else None))
    return heads, (waiting, open_ids)


def _require_open(counter_row: m.Counter, counter: CounterInfo) -> None:
    if counter_row.state != "open":
        state_id = {"paused": "sedang jeda", "closed": "tutup"}.get(counter_row.state,
                                                                     counter_row.state)
        raise Conflict(f"{counter.name} {state_id}. Buka atau lanjutkan loket dulu.",
                       f"{counter.name} is {counter_row.state}; open or resume it first.",
                       code="counter_not_open", state=counter_row.state)


async def _hand_to_counter(uow: UnitOfWork, ticket: m.Ticket, counter_row: m.Counter,
                           counter: CounterInfo, *, out_of_order: bool,
                           line_before: LineCounts | None = None) -> TicketOut:
    """``line_before``: the counts of the ticket's line read before it left the line."""
    transition(ticket, TicketAction.CALL)
    ticket.counter_id = counter.id
    ticket.officer_id = uow.actor.id if uow.actor.kind == "officer" else counter_row.officer_id
    ticket.first_called_at = ticket.first_called_at or uow.now
    ticket.wait_seconds = whole_seconds(ticket.issued_at, ticket.first_called_at)
    ticket.last_called_at = uow.now
    ticket.call_count += 1
    ticket.called_out_of_order = ticket.called_out_of_order or out_of_order
    counter_row.current_ticket_id = ticket.id
    if ticket.in_visit:
        await visits.called(uow, ticket)
    site = uow.catalog.sites[counter.site_id]
    spoken_id, spoken_en = site.voice.wording.call(ticket.number, counter.number,
                                                   uow.catalog.agencies[counter.agency_id].code)
    uow.emit(site.id, TicketCalled(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket),
                                   counter=counter_ref(uow, counter), announce=spoken_id,
                                   announce_en=spoken_en, out_of_order=out_of_order))
    if line_before is None:
        uow.touch_queue(ticket.service_id)
    else:
        waiting, open_ids = line_before
        total, priority = waiting[ticket.service_id]
        uow.touch_queue(ticket.service_id,
                        as_read=((total - 1, priority - ticket.priority), open_ids))
    log.info("%s called to %s%s", ticket.number, counter.name,
             " out of order" if out_of_order else "")
    return await ticket_out(uow.session, uow.catalog, ticket)


# How often call-next chooses again when the head it chose left its line while the counter
# waited for the ticket's lock (cancelled, transferred, expired): each time is a new head.
CHOOSE_ATTEMPTS = 5


async def call_next(uow: UnitOfWork, counter_id: int) -> TicketOut | None:
    counter = uow.catalog.counter(counter_id)
    authorize_counter(uow.actor, counter, uow.catalog)
    counter_row = await load_counter_row(uow, counter_id)
    _require_open(counter_row, counter)
    # The counter's lines are its own until the commit: no other counter reads their heads
    # meanwhile, so nobody takes the ticket behind the one this counter is calling.
    await lock_lines(uow.session, counter.weights)
    await _finish_current(uow, counter_row, counter)
    site = uow.catalog.sites[counter.site_id]
    rhythm = dispatch.Rhythm(counter_row.consecutive_priority, counter_row.regular_since_priority,
                             counter_row.consecutive_booked)
    for _ in range(CHOOSE_ATTEMPTS):
        # The finished ticket is no longer waiting, so the line heads are the same with or
        # without its changes written; they go out with the call's own, in fewer statements.
        with uow.session.no_autoflush:
            heads, line_before = await _line_heads(uow, counter)
            chosen = dispatch.choose(heads, rhythm, site.policy, uow.now)
            if chosen is None:
                return None
            ticket = await load_ticket(uow, chosen.ticket_id)
        if ticket.status == TicketStatus.WAITING and ticket.service_id == chosen.service_id:
            break
        # A command that does not take the line (a cancel, housekeeping) changed it first.
        log.info("%s left its line while %s chose it; choosing again", ticket.number,
                 counter.name)
    else:
        raise Conflict("Antrean sedang berubah cepat; coba lagi.",
                       "The line kept changing; try again.", code="race")
    after = dispatch.after_call(rhythm, chosen)
    counter_row.consecutive_priority = after.consecutive_priority
    counter_row.regular_since_priority = after.regular_since_priority
    counter_row.consecutive_booked = after.consecutive_booked
    if dispatch.ahead_of_walk_ins(chosen, heads):
        # The one call out of issue order the policy makes itself: named in the audit trail.
        uow.audit(site.id, "ticket.call", ticket_id=ticket.id, counter_id=counter.id,
                  number=ticket.number, reason="booking_slot_due",
                  slot_at=chosen.queued_at.isoformat())
    else:
        uow.audit(site.id, "ticket.call", ticket_id=ticket.id, counter_id=counter.id,
                  number=ticket.number)
    return await _hand_to_counter(uow, ticket, counter_row, counter, out_of_order=False,
                                  line_before=line_before)


async def _ticket_numbered(uow: UnitOfWork, site_id: int, number: str) -> int:
    """Today's ticket of that number at the site (a prefix names one service of a site)."""
    day = service_day(uow.now, uow.catalog.sites[site_id].timezone)
    ticket_id = await uow.session.scalar(_TICKET_NUMBERED, {"site_id": site_id, "day": day,
                                                            "number": number})
    if ticket_id is None:
        raise NotFound(f"Tidak ada tiket bernomor {number} hari ini.",
                       f"No ticket has the number {number} today.", code="unknown_ticket")
    return ticket_id


async def call_specific(uow: UnitOfWork, counter_id: int, which: int | str,
                        reason: str) -> TicketOut:
    """Call a ticket out of order, named by its id or by its number as printed."""
    counter = uow.catalog.counter(counter_id)
    authorize_counter(uow.actor, counter, uow.catalog)
    ticket_id = (which if isinstance(which, int)
                 else await _ticket_numbered(uow, counter.site_id, which))
    counter_row = await load_counter_row(uow, counter_id)
    _require_open(counter_row, counter)
    # Its line before the ticket, as call-next takes them: a call-next choosing this very
    # ticket finishes first, and is not left holding a ticket called under it.
    place = (await uow.session.execute(_TICKET_PLACE, {"id": ticket_id})).first()
    if place is not None:
        await lock_lines(uow.session, [place.service_id])
    ticket = await load_ticket(uow, ticket_id)
    if ticket.site_id != counter.site_id or ticket.service_id not in counter.weights:
        raise Invalid(f"{counter.name} tidak melayani tiket {ticket.number}.",
                      f"{counter.name} does not serve the service of ticket {ticket.number}.",
                      code="service_not_served")
    if ticket.status in ACTIVE_AT_COUNTER and ticket.counter_id is not None:
        holder = uow.catalog.counter(ticket.counter_id)
        raise Conflict(f"{holder.name} sudah memanggil {ticket.number}.",
                       f"{holder.name} already called {ticket.number}.", code="already_called")
    if ticket.status != TicketStatus.WAITING:
        transition(ticket, TicketAction.CALL)  # raises the precise reason
    await _finish_current(uow, counter_row, counter)
    uow.audit(counter.site_id, "ticket.call_out_of_order", ticket_id=ticket.id,
              counter_id=counter.id, reason=reason, number=ticket.number)
    return await _hand_to_counter(uow, ticket, counter_row, counter, out_of_order=True)


# ---------------------------------------------------------------- at the counter

async def _at_counter(uow: UnitOfWork, ticket_id: int) -> tuple[m.Ticket, m.Counter, CounterInfo]:
    ticket, counter_row = await _lock_with_its_counter(uow, ticket_id)
    if counter_row is None:
        raise Conflict(f"Tiket {ticket.number} tidak sedang di loket mana pun.",
                       f"Ticket {ticket.number} is not at any counter now.",
                       code="not_at_counter", status=ticket.status)
    counter = uow.catalog.counter(counter_row.id)
    authorize_counter(uow.actor, counter, uow.catalog)
    _require_counter_holds(counter_row, ticket)
    return ticket, counter_row, counter


async def recall(uow: UnitOfWork, ticket_id: int) -> TicketOut:
    ticket, _, counter = await _at_counter(uow, ticket_id)
    transition(ticket, TicketAction.RECALL)
    ticket.call_count += 1
    ticket.last_called_at = uow.now
    site = uow.catalog.sites[counter.site_id]
    spoken_id, spoken_en = site.voice.wording.call(ticket.number, counter.number,
                                                   uow.catalog.agencies[counter.agency_id].code)
    uow.audit(site.id, "ticket.recall", ticket_id=ticket.id, counter_id=counter.id)
    uow.emit(site.id, TicketRecalled(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket),
                                     counter=counter_ref(uow, counter), announce=spoken_id,
                                     announce_en=spoken_en, call_count=ticket.call_count))
    return await ticket_out(uow.session, uow.catalog, ticket)


async def start(uow: UnitOfWork, ticket_id: int) -> TicketOut:
    ticket, _, counter = await _at_counter(uow, ticket_id)
    transition(ticket, TicketAction.START)
    ticket.started_at = uow.now
    ticket.walk_seconds = whole_seconds(ticket.first_called_at, ticket.started_at)
    site = uow.catalog.sites[counter.site_id]
    uow.audit(site.id, "ticket.start", ticket_id=ticket.id, counter_id=counter.id)
    uow.emit(site.id, TicketServing(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket),
                                    counter=counter_ref(uow, counter)))
    return await ticket_out(uow.session, uow.catalog, ticket)


async def _finish(uow: UnitOfWork, ticket: m.Ticket, counter_row: m.Counter, counter: CounterInfo,
                  *, auto: bool = False) -> None:
    transition(ticket, TicketAction.FINISH)
    ticket.finished_at = ticket.ended_at = uow.now
    ticket.walk_seconds = whole_seconds(ticket.first_called_at, ticket.started_at)
    ticket.service_seconds = whole_seconds(ticket.started_at, ticket.finished_at)
    counter_row.current_ticket_id = None
    if ticket.started_at is not None:
        uow.service_time(ticket.service_id, (uow.now - ticket.started_at).total_seconds() / 60)
    site = uow.catalog.sites[counter.site_id]
    uow.audit(site.id, "ticket.finish", ticket_id=ticket.id, counter_id=counter.id,
              auto=auto)
    uow.emit(site.id, TicketFinished(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket),
                                     counter=counter_ref(uow, counter)))
    if ticket.in_visit:  # the stop is done; a visit's number goes on to its next line
        await visits.finished(uow, ticket, counter)


async def finish(uow: UnitOfWork, ticket_id: int) -> TicketOut:
    ticket, counter_row, counter = await _at_counter(uow, ticket_id)
    if ticket.started_at is None:
        ticket.started_at = ticket.last_called_at
    await _finish(uow, ticket, counter_row, counter)
    return await ticket_out(uow.session, uow.catalog, ticket)


async def no_show(uow: UnitOfWork, ticket_id: int) -> TicketOut:
    ticket, counter_row, counter = await _at_counter(uow, ticket_id)
    transition(ticket, TicketAction.NO_SHOW)
    ticket.ended_at = uow.now
    counter_row.current_ticket_id = None
    if ticket.in_visit:  # the rest of the visit is held for the grace
        await visits.no_show(uow, ticket)
    site = uow.catalog.sites[counter.site_id]
    uow.audit(site.id, "ticket.no_show", ticket_id=ticket.id, counter_id=counter.id)
    uow.emit(site.id, TicketNoShow(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket),
                                   counter=counter_ref(uow, counter)))
    return await ticket_out(uow.session, uow.catalog, ticket)


async def return_to_line(uow: UnitOfWork, ticket_id: int, reason: str | None) -> TicketOut:
    """A no-show who turns up late goes back in the line, behind those already waiting."""
    ticket = await load_ticket(uow, ticket_id)
    authorize_ticket(uow, ticket)
    if ticket.service_day != service_day(uow.now, uow.catalog.sites[ticket.site_id].timezone):
        raise Conflict(f"Tiket {ticket.number} berasal dari hari layanan lain.",
                       f"Ticket {ticket.number} belongs to another service day.",
                       code="other_service_day")
    if ticket.in_visit:
        await visits.returned(uow, ticket)
    transition(ticket, TicketAction.RETURN)
    ticket.queued_at = uow.now
    ticket.counter_id = None
    ticket.ended_at = None
    site = uow.catalog.sites[ticket.site_id]
    uow.audit(site.id, "ticket.return", ticket_id=ticket.id, reason=reason)
    uow.emit(site.id, TicketReturned(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket)))
    uow.touch_queue(ticket.service_id)
    return await ticket_out(uow.session, uow.catalog, ticket)


async def transfer(uow: UnitOfWork, ticket_id: int, service_code: str,
                   reason: str | None) -> TicketOut:
    """Move a ticket to another service's line, keeping its number and its place in issue order."""
    # Both lines, so that the ticket never joins or leaves one while a counter chooses from it.
    ticket, counter_row = await _lock_with_its_counter(uow, ticket_id, joining=service_code)
    authorize_ticket(uow, ticket)
    visits.refuse_transfer(ticket)
    target = uow.catalog.service(ticket.site_id, service_code)
    source = uow.catalog.services[ticket.service_id]
    if target.id == ticket.service_id:
        raise Invalid("Tiket sudah berada di layanan itu.",
                      "The ticket is already in that service.", code="same_service")
    counter: CounterInfo | None = None
    if counter_row is not None:
        counter = uow.catalog.counter(counter_row.id)
        if counter_row.current_ticket_id == ticket.id:
            counter_row.current_ticket_id = None
    transition(ticket, TicketAction.TRANSFER)
    ticket.service_id = target.id
    ticket.counter_id = None
    ticket.transfer_count += 1
    site = uow.catalog.sites[ticket.site_id]
    uow.audit(site.id, "ticket.transfer", ticket_id=ticket.id,
              counter_id=counter.id if counter else None, reason=reason,
              from_service=source.code, to_service=target.code)
    uow.emit(site.id, TicketTransferred(
        site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket), from_service=source.code,
        counter=counter_ref(uow, counter) if counter else None))
    uow.touch_queue(source.id)
    uow.touch_queue(target.id)
    return await ticket_out(uow.session, uow.catalog, ticket)


async def cancel(uow: UnitOfWork, ticket_id: int, reason: str | None) -> TicketOut:
    ticket, counter_row = await _lock_with_its_counter(uow, ticket_id)
    actor = uow.actor
    if actor.kind == "device":
        # A kiosk may withdraw its own reservation (the citizen walked away before printing).
        if not (actor.role == "kiosk" and ticket.device_id == actor.id
                and ticket.status == TicketStatus.RESERVED):
            raise Forbidden("Perangkat ini tidak boleh membatalkan tiket.",
                            "This device may not cancel this ticket.")
    else:
        authorize_ticket(uow, ticket)
    was_waiting = ticket.status == TicketStatus.WAITING
    if ticket.status == TicketStatus.REMOTE:
        # A remote number cancelled by staff: its booking ends with it, its place goes back.
        from server.services.online import remote_cancelled  # online imports this module

        await remote_cancelled(uow, ticket)
    if counter_row is not None and counter_row.current_ticket_id == ticket.id:
        counter_row.current_ticket_id = None
    transition(ticket, TicketAction.CANCEL)
    ticket.ended_at = uow.now
    if ticket.in_visit:
        await visits.ended(uow, ticket)
    site = uow.catalog.sites[ticket.site_id]
    uow.audit(site.id, "ticket.cancel", ticket_id=ticket.id, reason=reason)
    uow.emit(site.id, TicketCancelled(site=site.code, at=uow.now, ticket=ticket_ref(uow, ticket),
                                      reason=reason))
    if was_waiting:
        uow.touch_queue(ticket.service_id)
    return await ticket_out(uow.session, uow.catalog, ticket)


async def rate(uow: UnitOfWork, ticket_id: int, rating: int) -> TicketOut:
    ticket = await load_ticket(uow, ticket_id)
    if ticket.status != TicketStatus.FINISHED:
        raise Conflict("Hanya layanan yang sudah selesai yang dapat dinilai.",
                       "Only a finished ticket can be rated.", code="not_finished")
    if ticket.counter_id is not None:
        authorize_counter(uow.actor, uow.catalog.counter(ticket.counter_id), uow.catalog)
    if ticket.rating is not None:
        raise Conflict("Tiket ini sudah dinilai.", "This ticket has already been rated.",
                       code="already_rated")
    ticket.rating = rating
    ticket.rated_at = uow.now
    await invalidate(uow.session, ticket.site_id, ticket.service_day)  # a closed day's roll-up
    uow.audit(ticket.site_id, "ticket.rate", ticket_id=ticket.id,
              counter_id=ticket.counter_id, rating=rating)
    return await ticket_out(uow.session, uow.catalog, ticket)

