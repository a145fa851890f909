"""Visit commands: one number for several stops. The route itself is ``server.domain.visits``;
this module gathers its inputs (the stored plan, the lines now, the clock), writes its answer
and says what happened (audit, events).

The ticket row carries the current stop: its ``service_id`` is the line it is in, its
``queued_at`` the moment it joined that line (so its place counts from then, and its priority
class goes with it). A routed ticket joins its next line at the tail, as a new ticket does, so
it takes no line lock: nobody behind it is overtaken.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from common.protocol.events import TicketRouted, VisitChanged
from common.protocol.models import TicketOut
from server.domain import visits as route
from server.domain.numbering import service_day
from server.domain.tickets import TicketAction, TicketStatus
from server.services import tickets
from server.services.catalog import CounterInfo, SiteInfo
from server.services.errors import Conflict, Invalid
from server.services.queries import ticket_out
from server.services.uow import UnitOfWork
from server.services.visit_views import (
    live_services,
    store_visit,
    stored_visit,
    visit_out,
)
from server.store import models as m

log = logging.getLogger(__name__)


async def load_visit(uow: UnitOfWork, ticket: m.Ticket) -> m.Visit | None:
    if not ticket.in_visit:
        return None
    return await uow.session.get(m.Visit, ticket.id, with_for_update=True)


def _refused(exc: route.VisitError) -> Conflict | Invalid:
    said = {
        "too_many_stops": ("Terlalu banyak layanan untuk satu kunjungan.",
                           "Too many services for one visit."),
        "duplicate_stop": ("Layanan itu sudah ada dalam kunjungan ini.",
                           "That service is already in this visit."),
        "needs_cycle": ("Layanan-layanan ini saling membutuhkan; tidak bisa diurutkan.",
                        "These services need each other; they cannot be ordered."),
        "no_stops": ("Pilih sedikitnya satu layanan.", "Choose at least one service."),
        "unknown_stop": ("Layanan itu tidak ada dalam kunjungan ini.",
                         "That service is not a stop of this visit."),
        "stop_not_droppable": ("Persinggahan ini sudah dilayani atau sedang di loket; tidak bisa "
                               "dihapus.", "This stop was served or is at a counter; it cannot "
                               "be dropped."),
        "last_stop": ("Ini satu-satunya layanan kunjungan; batalkan tiketnya saja.",
                      "This is the visit's only service; cancel the ticket instead."),
        "visit_over": ("Kunjungan ini sudah selesai.", "This visit is over."),
    }.get(exc.code, ("Perubahan kunjungan ditolak.", "The change to the visit was refused."))
    kind = Invalid if exc.code in ("too_many_stops", "duplicate_stop", "needs_cycle",
                                   "no_stops", "unknown_stop") else Conflict
    return kind(said[0], said[1], code=exc.code)


async def _lines(uow: UnitOfWork, site: SiteInfo, visit: route.Visit) -> dict[str, int]:
    """How many wait in the lines the visit could go to next (only read when it matters)."""
    if site.visit_rules.order != "shortest":
        return {}
    codes = [visit.stops[index].service for index in route.ready(visit, site.visit_rules)]
    if len(codes) < 2:
        return {}
    ids = {uow.catalog.service(site.id, code).id: code for code in codes}
    day = service_day(uow.now, site.timezone)
    rows = (await uow.session.execute(
        select(m.Ticket.service_id, func.count()).where(
            m.Ticket.site_id == site.id, m.Ticket.service_day == day,
            m.Ticket.status == TicketStatus.WAITING, m.Ticket.service_id.in_(list(ids)))
        .group_by(m.Ticket.service_id))).all()
    counts = {code: 0 for code in codes}
    for service_id, count in rows:
        counts[ids[service_id]] = int(count)
    return counts


# ---------------------------------------------------------------- issuing

async def issue_visit(uow: UnitOfWork, site: SiteInfo, service_codes: list[str],
                      priority_reason: str | None, channel: str, reserve: bool) -> TicketOut:
    """One number for the services chosen: the first stop's ticket, issued as any ticket is
    (numbered by that service, in its line now), with the plan beside it."""
    for code in service_codes:
        uow.catalog.service(site.id, code)  # a friendly 404 for a code that does not exist
    try:
        visit = route.begin(service_codes, site.visit_rules, uow.now)
    except route.VisitError as exc:
        raise _refused(exc) from exc
    first = visit.current
    assert first is not None
    if len(visit.stops) == 1:
        return await tickets.issue(uow, site, first.service, priority_reason, channel, reserve)
    for stop in visit.stops[1:]:
        service = uow.catalog.service(site.id, stop.service)
        if not service.opening.is_open(uow.now):
            raise Conflict(f"Layanan {service.name} sedang tutup; pilih tanpa layanan itu.",
                           f"{service.name_en or service.name} is closed; choose without it.",
                           code="service_closed", service=service.code)
    issued = await tickets.issue(uow, site, first.service, priority_reason, channel, reserve)
    ticket = await tickets.load_ticket(uow, issued.id)
    ticket.in_visit = True
    row = m.Visit(ticket_id=ticket.id, site_id=site.id, service_day=ticket.service_day,
                  arrived_at=uow.now)
    store_visit(row, visit)
    uow.session.add(row)
    uow.audit(site.id, "visit.plan", ticket_id=ticket.id, number=ticket.number,
              services=list(visit.services))
    log.info("%s is a visit: %s", ticket.number, " → ".join(visit.services))
    return issued.model_copy(update={"visit": visit_out(uow.catalog, site.id, row)})


# ---------------------------------------------------------------- hooks in the ticket's life

async def called(uow: UnitOfWork, ticket: m.Ticket) -> None:
    row = await load_visit(uow, ticket)
    if row is None:
        return
    visit = stored_visit(row)
    if visit.status is route.VisitStatus.ACTIVE and visit.current is not None:
        store_visit(row, route.called(visit, uow.now))


async def finished(uow: UnitOfWork, ticket: m.Ticket, counter: CounterInfo | None) -> bool:
    """The ticket's stop was served (its FINISH already written and said): if the visit has a
    stop left, the ticket joins that line now. True when it did."""
    row = await load_visit(uow, ticket)
    if row is None:
        return False
    site = uow.catalog.sites[ticket.site_id]
    visit = stored_visit(row)
    if visit.current is None or visit.current.status is not route.StopStatus.AT_COUNTER:
        visit = route.called(visit, ticket.last_called_at or uow.now)
    after = route.finished(visit, site.visit_rules, uow.now,
                           await _lines(uow, site, route.as_if_done(visit)))
    store_visit(row, after)
    if after.current is None:
        log.info("%s finished its visit", ticket.number)
        return False
    source = uow.catalog.services[ticket.service_id]
    target = uow.catalog.service(site.id, after.current.service)
    # The stop is finished; the number goes on. FINISHED → WAITING is no ticket transition, so
    # the ticket takes its route from where it stood at the counter.
    ticket.status = TicketStatus.SERVING
    tickets.transition(ticket, TicketAction.ROUTE)
    ticket.service_id = target.id
    ticket.queued_at = uow.now
    ticket.counter_id = None
    ticket.started_at = ticket.finished_at = ticket.ended_at = None
    live = live_services(after)
    uow.audit(site.id, "visit.route", ticket_id=ticket.id,
              counter_id=counter.id if counter else None, from_service=source.code,
              to_service=target.code)
    uow.emit(site.id, TicketRouted(
        site=site.code, at=uow.now, ticket=tickets.ticket_ref(uow, ticket),
        from_service=source.code,
        counter=tickets.counter_ref(uow, counter) if counter else None,
        stop=live.index(target.code) + 1, stops=len(live)))
    uow.touch_queue(target.id)
    log.info("%s routed from %s to %s", ticket.number, source.code, target.code)
    return True


async def no_show(uow: UnitOfWork, ticket: m.Ticket) -> None:
    row = await load_visit(uow, ticket)
    if row is None:
        return
    visit = stored_visit(row)
    if visit.current is not None and visit.current.status is route.StopStatus.WAITING:
        visit = route.called(visit, ticket.last_called_at or uow.now)
    rules = uow.catalog.sites[ticket.site_id].visit_rules
    store_visit(row, route.missed(visit, rules, uow.now))


async def returned(uow: UnitOfWork, ticket: m.Ticket) -> None:
    row = await load_visit(uow, ticket)
    if row is None:
        return
    try:
        store_visit(row, route.returned(stored_visit(row), uow.now))
    except route.VisitError as exc:
        raise Conflict(f"Kunjungan {ticket.number} sudah gugur; ambil nomor baru.",
                       f"The visit of {ticket.number} has lapsed; take a new number.",
                       code="visit_lapsed") from exc


async def ended(uow: UnitOfWork, ticket: m.Ticket) -> None:
    """The ticket was cancelled or expired: what is left of its visit lapses with it."""
    row = await load_visit(uow, ticket)
    if row is None:
        return
    visit = stored_visit(row)
    if visit.status in (route.VisitStatus.ACTIVE, route.VisitStatus.HELD):
        store_visit(row, route.lapsed(visit))


def refuse_transfer(ticket: m.Ticket) -> None:
    if ticket.in_visit:
        raise Conflict(f"Tiket {ticket.number} adalah kunjungan; tambah atau hapus layanannya.",
                       f"Ticket {ticket.number} is a visit; add or drop its stops instead.",
                       code="visit_use_stops")


async def lapse_held(uow: UnitOfWork) -> int:
    """Visits held by a no-show past their grace lapse (a housekeeping round)."""
    rows = (await uow.session.scalars(
        select(m.Visit).where(m.Visit.status == route.VisitStatus.HELD,
                              m.Visit.held_until <= uow.now).with_for_update())).all()
    for row in rows:
        ticket = await tickets.load_ticket(uow, row.ticket_id)
        visit = route.lapsed(stored_visit(row))
        store_visit(row, visit)
        site = uow.catalog.sites[row.site_id]
        uow.audit(site.id, "visit.lapse", ticket_id=row.ticket_id, number=ticket.number,
                  reason="no-show grace passed")
        uow.emit(site.id, VisitChanged(site=site.code, at=uow.now,
                                       ticket=tickets.ticket_ref(uow, ticket), change="lapsed",
                                       service=None, services=live_services(visit)))
        log.info("visit %s lapsed after a no-show", ticket.number)
    return len(rows)


# ---------------------------------------------------------------- an officer changes the plan

async def _for_change(uow: UnitOfWork, ticket_id: int) -> tuple[m.Ticket, SiteInfo]:
    ticket = await tickets.load_ticket(uow, ticket_id)
    tickets.authorize_ticket(uow, ticket)
    return ticket, uow.catalog.sites[ticket.site_id]


async def add_stop(uow: UnitOfWork, ticket_id: int, service_code: str,
                   reason: str | None) -> TicketOut:
    """Another stop at the end of the plan; a single-service ticket becomes a visit."""
    ticket, site = await _for_change(uow, ticket_id)
    service = uow.catalog.service(site.id, service_code)
    if ticket.status in (TicketStatus.FINISHED, TicketStatus.CANCELLED, TicketStatus.EXPIRED):
        raise Conflict(f"Tiket {ticket.number} sudah berakhir.",
                       f"Ticket {ticket.number} has ended.", code="visit_over")
    row = await load_visit(uow, ticket)
    if row is None:
        current = uow.catalog.services[ticket.service_id]
        status = {TicketStatus.WAITING: route.StopStatus.WAITING,
                  TicketStatus.RESERVED: route.StopStatus.WAITING,
                  TicketStatus.NO_SHOW: route.StopStatus.MISSED}.get(
            TicketStatus(ticket.status), route.StopStatus.AT_COUNTER)
        visit = route.Visit(stops=(route.Stop(current.code, status, joined_at=ticket.queued_at,
                                              called_at=ticket.last_called_at),))
        row = m.Visit(ticket_id=ticket.id, site_id=site.id, service_day=ticket.service_day,
                      arrived_at=ticket.issued_at)
        ticket.in_visit = True
        uow.session.add(row)
    else:
        visit = stored_visit(row)
    try:
        visit = route.add_stop(visit, service.code, site.visit_rules)
    except route.VisitError as exc:
        raise _refused(exc) from exc
    store_visit(row, visit)
    uow.audit(site.id, "visit.add_stop", ticket_id=ticket.id, reason=reason,
              service=service.code, number=ticket.number)
    uow.emit(site.id, VisitChanged(site=site.code, at=uow.now,
                                   ticket=tickets.ticket_ref(uow, ticket), change="added",
                                   service=service.code, services=live_services(visit)))
    return await _answer(uow, ticket)


async def drop_stop(uow: UnitOfWork, ticket_id: int, service_code: str,
                    reason: str | None) -> TicketOut:
    """Take a stop not yet served out of the plan; the stop the ticket waits at now routes
    it on at once."""
    ticket, site = await _for_change(uow, ticket_id)
    row = await load_visit(uow, ticket)
    if row is None:
        raise Invalid(f"Tiket {ticket.number} hanya untuk satu layanan; batalkan saja.",
                      f"Ticket {ticket.number} has one service; cancel it instead.",
                      code="last_stop")
    visit = stored_visit(row)
    source = uow.catalog.services[ticket.service_id]
    try:
        after = route.drop_stop(visit, service_code, site.visit_rules, uow.now,
                                await _lines(uow, site, visit))
    except route.VisitError as exc:
        raise _refused(exc) from exc
    store_visit(row, after)
    uow.audit(site.id, "visit.drop_stop", ticket_id=ticket.id, reason=reason,
              service=service_code, number=ticket.number)
    was_current = visit.current is not None and visit.current.service == service_code
    if was_current:
        if after.current is None:  # nothing left: the visit ends with what it served
            ticket.status = TicketStatus.FINISHED
            ticket.ended_at = ticket.finished_at = uow.now
        else:
            target = uow.catalog.service(site.id, after.current.service)
            ticket.service_id = target.id
            ticket.queued_at = uow.now
            uow.touch_queue(target.id)
        uow.touch_queue(source.id)
    uow.emit(site.id, VisitChanged(site=site.code, at=uow.now,
                                   ticket=tickets.ticket_ref(uow, ticket), change="dropped",
                                   service=service_code, services=live_services(after)))
    return await _answer(uow, ticket)


async def _answer(uow: UnitOfWork, ticket: m.Ticket) -> TicketOut:
    return await ticket_out(uow.session, uow.catalog, ticket)
