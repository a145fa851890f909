"""Reads shared by commands and views: lines, positions, estimates, the ticket as clients see it."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Date,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Result, Row
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.models import ServiceQueue, TicketOut
from server.domain.estimate import estimate_wait_minutes, expected_service_minutes
from server.domain.numbering import service_day
from server.domain.tickets import TicketStatus
from server.services.catalog import Catalog, ServiceInfo
from server.services.visit_views import visit_out
from server.store import models as m

RECENT_SERVICE_TIMES = 20


class ServiceTimes:
    """The last few service times per service, as this process saw them finish; estimates only."""

    def __init__(self) -> None:
        self._minutes: dict[int, deque[float]] = {}

    def record(self, service_id: int, minutes: float) -> None:
        self._minutes.setdefault(service_id, deque(maxlen=RECENT_SERVICE_TIMES)).append(minutes)

    def expected(self, service: ServiceInfo, pending: Sequence[float] = ()) -> float:
        """``pending``: samples of a command not yet committed, counted as if recorded."""
        recent = [*self._minutes.get(service.id, ()), *pending][-RECENT_SERVICE_TIMES:]
        return expected_service_minutes(service.service_minutes, recent)


SERVICE_TIMES = ServiceTimes()
NO_PENDING: Mapping[int, Sequence[float]] = MappingProxyType({})


def today(catalog: Catalog, site_id: int, now: datetime) -> date:
    return service_day(now, catalog.sites[site_id].timezone)


# Statements asked on every command are built once, with their values bound at execution:
# building and fingerprinting a statement costs more than running it. A count and the site's
# open counters travel in one statement (a round trip costs more than either read): rows
# tagged "open" carry a counter's id, padded to the width of the other rows.
def open_counter_rows(width: int) -> Select[*tuple[Any, ...]]:
    return select(literal("open"), m.Counter.id, *[literal(0)] * (width - 2)).where(
        m.Counter.site_id == bindparam("site_id"), m.Counter.state == "open")


def apart_from_open_counters(result: Result[*tuple[Any, ...]]
                             ) -> tuple[list[Row[*tuple[Any, ...]]], set[int]]:
    """The rows of a statement built with ``open_counter_rows``: its own, and the open ids."""
    rows: list[Row[*tuple[Any, ...]]] = []
    open_ids: set[int] = set()
    for row in result.all():
        if row[0] == "open":
            open_ids.add(row[1])
        else:
            rows.append(row)
    return rows, open_ids


def serving_capacity(catalog: Catalog, service_id: int, open_ids: set[int]) -> int:
    """Counters that can serve the service now; before any opens, those that will."""
    counters = catalog.counters_for(service_id)
    open_now = sum(1 for c in counters if c in open_ids)
    return open_now or len(counters)


def expected_wait(catalog: Catalog, service: ServiceInfo, people: int, open_ids: set[int],
                  pending: Sequence[float] = ()) -> int:
    """Minutes until ``people`` waiting in the service's line are served, at the counters
    that serve it now and at its recent pace (``pending``: see ServiceTimes.expected)."""
    return estimate_wait_minutes(people, SERVICE_TIMES.expected(service, pending),
                                 serving_capacity(catalog, service.id, open_ids))


_WAITING_PER_SERVICE = (
    select(literal("waiting"), m.Ticket.service_id, func.count(),
           func.sum(case((m.Ticket.priority, 1), else_=0)))
    .where(m.Ticket.status == TicketStatus.WAITING, m.Ticket.service_day == bindparam("day"),
           m.Ticket.service_id.in_(bindparam("service_ids", expanding=True)))
    .group_by(m.Ticket.service_id))
_QUEUE_STATE: CompoundSelect[*tuple[Any, ...]] = union_all(_WAITING_PER_SERVICE,
                                                           open_counter_rows(4))


async def waiting_and_open(
    session: AsyncSession, site_id: int, service_ids: list[int], day: date
) -> tuple[dict[int, tuple[int, int]], set[int]]:
    """Per service, the waiting tickets (all, priority); and the site's open counters."""
    rows, open_ids = apart_from_open_counters(await session.execute(_QUEUE_STATE, {
        "day": day, "service_ids": service_ids, "site_id": site_id}))
    return {key: (int(total), int(priority or 0)) for _, key, total, priority in rows}, open_ids


async def queue_summaries(
    session: AsyncSession, catalog: Catalog, service_ids: list[int], now: datetime,
    pending: Mapping[int, Sequence[float]] = NO_PENDING
) -> list[ServiceQueue]:
    if not service_ids:
        return []
    site_id = catalog.services[service_ids[0]].site_id
    counts, open_ids = await waiting_and_open(session, site_id, service_ids,
                                              today(catalog, site_id, now))
    return summaries_of(catalog, service_ids, counts, open_ids, pending)


def summaries_of(catalog: Catalog, service_ids: list[int], counts: dict[int, tuple[int, int]],
                 open_ids: set[int], pending: Mapping[int, Sequence[float]] = NO_PENDING
                 ) -> list[ServiceQueue]:
    """The queue summaries of services of one site, from their waiting counts (all, priority)
    and the site's open counters; ``pending``: service times not yet committed, per service."""
    queues = []
    for service_id in service_ids:
        service = catalog.services[service_id]
        total, priority = counts.get(service_id, (0, 0))
        queues.append(ServiceQueue(
            service=service.code, agency=catalog.agencies[service.agency_id].code,
            waiting=total, waiting_priority=priority,
            estimated_wait_minutes=expected_wait(catalog, service, total, open_ids,
                                                 pending.get(service_id, ())),
        ))
    return queues


def line_head_query(service_id: int, day: date | BindParameter[date],
                    priority: bool) -> Select[int, datetime, int, bool]:
    """The earliest waiting ticket of one line: one seek in ix_tickets_line_head, ascending on
    every database, however long the day's history."""
    t = m.Ticket
    return (select(t.id, t.queued_at, t.service_id, t.priority)
            .where(t.service_id == service_id, t.service_day == day, t.priority == priority,
                   t.status == TicketStatus.WAITING, t.slot_at.is_(None))
            .order_by(t.queued_at.asc(), t.id.asc()).limit(1))


def booked_line_head_query(service_id: int, day: date | BindParameter[date],
                           priority: bool) -> Select[int, datetime | None, int, bool]:
    """The earliest slot among a service's checked-in bookings of one class (their own line,
    ix_tickets_booked_line)."""
    t = m.Ticket
    return (select(t.id, t.slot_at, t.service_id, t.priority)
            .where(t.service_id == service_id, t.service_day == day, t.priority == priority,
                   t.status == TicketStatus.WAITING, t.slot_at.is_not(None))
            .order_by(t.slot_at.asc(), t.id.asc()).limit(1))


@lru_cache(maxsize=4096)
def line_heads_query(lines: tuple[tuple[int, bool], ...], booked: tuple[int, ...] = ()
                     ) -> CompoundSelect[*tuple[Any, ...]]:
    """The heads of several lines (service, priority) in one statement, one index seek each,
    for the day bound as ``day``. Built once per set of lines: a counter asks on every call.
    Rows tagged "head": the ticket's id, service, priority (1 or 0) and time it joined.

    A plain read: a command that may take a head holds its lines first (``lock_lines``), so
    the heads it reads are the heads. Locking the rows instead fails both ways on PostgreSQL:
    with SKIP LOCKED another counter takes the ticket behind a head being chosen (out of
    issue order), and without it a head called meanwhile drops out of ``LIMIT 1`` and the
    line looks empty."""
    day = bindparam("day", type_=Date)
    heads = []
    for service_id, priority in lines:
        inner = line_head_query(service_id, day, priority).subquery()
        heads.append(select(literal("head"), inner.c.id, inner.c.service_id,
                            case((inner.c.priority, 1), else_=0), inner.c.queued_at))
    # ``booked``: the services taking bookings; their booked lines' heads, tagged "booked",
    # carry the slot where the others carry the time they joined.
    for service_id, priority in lines:
        if service_id in booked:
            inner = booked_line_head_query(service_id, day, priority).subquery()
            heads.append(select(literal("booked"), inner.c.id, inner.c.service_id,
                                case((inner.c.priority, 1), else_=0), inner.c.slot_at))
    return union_all(*heads)


@lru_cache(maxsize=4096)
def line_heads_and_queue_query(lines: tuple[tuple[int, bool], ...], booked: tuple[int, ...] = ()
                               ) -> CompoundSelect[*tuple[Any, ...]]:
    """The line heads, and in the same statement the waiting tickets of the services bound as
    ``service_ids`` and the site's open counters: a call takes a ticket from one of the
    lines, and its queue summary needs them."""
    return union_all(*line_heads_query(lines, booked).selects,
                     _WAITING_PER_SERVICE.add_columns(null()),
                     open_counter_rows(4).add_columns(null()))


async def line_heads_and_queue(
    session: AsyncSession, site_id: int, lines: tuple[tuple[int, bool], ...], day: date,
    booked: tuple[int, ...] = ()
) -> tuple[list[Row[*tuple[Any, ...]]], dict[int, tuple[int, int]], set[int]]:
    """The heads of ``lines`` (rows: tag, id, service_id, priority, queued_at); per service of
    the lines, the waiting tickets (all, priority); and the site's open counters."""
    service_ids = sorted({service_id for service_id, _ in lines})
    rows, open_ids = apart_from_open_counters(await session.execute(
        line_heads_and_queue_query(lines, booked),
        {"day": day, "service_ids": service_ids, "site_id": site_id}))
    heads = [row for row in rows if row[0] in ("head", "booked")]
    waiting = {row[1]: (int(row[2]), int(row[3] or 0)) for row in rows if row[0] == "waiting"}
    return heads, waiting, open_ids


# PostgreSQL's advisory locks of this class guard the lines of one service each (both
# priority classes, every day): a number no other lock of ours uses.
LINE_LOCKS = 0x4C494E  # "LIN"
# Taken in the order of the services' ids, whatever order they are given in, so that two
# commands holding some lines each never wait for each other; the sort comes before the
# function is called (PostgreSQL evaluates a volatile select list after ORDER BY).
_LOCK_LINES = text(
    "SELECT pg_advisory_xact_lock(CAST(:space AS INTEGER), service_id) "
    "FROM unnest(CAST(:service_ids AS INTEGER[])) AS service_id ORDER BY service_id")


async def lock_lines(session: AsyncSession, service_ids: Iterable[int]) -> None:
    """Hold the lines of these services until the transaction ends: the commands that take a
    ticket out of a line, or put one into it ahead of others, go one at a time per line, so
    a line's head is called before the ticket behind it. On SQLite the one writer holds
    every line already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(_LOCK_LINES, {"space": LINE_LOCKS,
                                        "service_ids": sorted(set(service_ids))})


def _earlier_in_line(priority: bool, ticket_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Waiting tickets called before the ticket ``ticket_id`` of class ``priority`` queued at
    ``queued_at``: a regular ticket also waits behind every priority ticket; a priority one
    only behind its class."""
    t = m.Ticket
    earlier = or_(t.queued_at < bindparam("queued_at"),
                  and_(t.queued_at == bindparam("queued_at"), t.id < ticket_id))
    return (and_(t.priority.is_(True), earlier) if priority
            else or_(t.priority.is_(True), earlier))


def _in_line() -> tuple[ColumnElement[bool], ...]:
    t = m.Ticket
    return (t.service_id == bindparam("service_id"), t.service_day == bindparam("day"),
            t.status == TicketStatus.WAITING)


_PEOPLE_AHEAD: dict[bool, CompoundSelect[*tuple[Any, ...]]] = {
    priority: union_all(
        select(literal("ahead"), func.count()).select_from(m.Ticket).where(
            *_in_line(), _earlier_in_line(priority, bindparam("ticket_id"))),
        open_counter_rows(2))
    for priority in (True, False)}


def line_of(priority: bool, ticket_id: ColumnElement[int]) -> Select[*tuple[Any, ...]]:
    """One pass over a line: its waiting tickets, the priority ones, and those before the
    ticket ``ticket_id`` (see ``_earlier_in_line``)."""
    t = m.Ticket
    return select(literal("line"), func.count(), func.sum(case((t.priority, 1), else_=0)),
                  func.sum(case((_earlier_in_line(priority, ticket_id), 1), else_=0))
                  ).where(*_in_line())


# After a ticket is inserted: its line, and the open counters.
LINE_OF_NEW_TICKET: dict[bool, CompoundSelect[*tuple[Any, ...]]] = {
    priority: union_all(line_of(priority, bindparam("ticket_id")), open_counter_rows(4))
    for priority in (True, False)}


async def people_ahead_and_open(session: AsyncSession, ticket: m.Ticket) -> tuple[int, set[int]]:
    """Who waits before ``ticket`` in its line; and the site's open counters."""
    [(_, ahead)], open_ids = apart_from_open_counters(await session.execute(
        _PEOPLE_AHEAD[ticket.priority], {
            "queued_at": ticket.queued_at, "ticket_id": ticket.id,
            "service_id": ticket.service_id, "day": ticket.service_day,
            "site_id": ticket.site_id}))
    return int(ahead), open_ids


async def ticket_out(session: AsyncSession, catalog: Catalog, ticket: m.Ticket,
                     place: tuple[int, set[int]] | None = None) -> TicketOut:
    """The ticket as clients see it; ``place`` (people ahead, open counters) when the caller
    has read it already."""
    service = catalog.services.get(ticket.service_id)
    if service is None:  # the service was removed from the configuration since
        service_row = await session.get_one(m.Service, ticket.service_id)
        agency_row = await session.get_one(m.Agency, service_row.agency_id)
        service_code, service_name, service_name_en = (
            service_row.code, service_row.name, service_row.name_en)
        agency_code, agency_name = agency_row.code, agency_row.name
    else:
        agency = catalog.agencies[service.agency_id]
        service_code, service_name, service_name_en = service.code, service.name, service.name_en
        agency_code, agency_name = agency.code, agency.name
    site = catalog.sites[ticket.site_id]
    ahead: int | None = None
    wait: int | None = None
    if ticket.status in (TicketStatus.WAITING, TicketStatus.RESERVED,
                         TicketStatus.REMOTE) and service is not None:
        ahead, open_ids = place or await people_ahead_and_open(session, ticket)
        wait = expected_wait(catalog, service, ahead, open_ids)
    counter = catalog.counters.get(ticket.counter_id) if ticket.counter_id else None
    visit = None
    if ticket.in_visit:  # a single-service ticket never reads the visits
        row = await session.get(m.Visit, ticket.id)
        visit = visit_out(catalog, ticket.site_id, row) if row is not None else None
    return TicketOut(
        id=ticket.id, number=ticket.number, tracking_code=ticket.tracking_code,
        tracking_url=f"{site.public_base_url}/t/{ticket.tracking_code}", site=site.code,
        service=service_code, service_name=service_name, service_name_en=service_name_en,
        agency=agency_code, agency_name=agency_name, status=ticket.status,  # type: ignore[arg-type]
        priority=ticket.priority, priority_reason=ticket.priority_reason,  # type: ignore[arg-type]
        channel=ticket.channel,  # type: ignore[arg-type]
        service_day=ticket.service_day, issued_at=ticket.issued_at,
        reserve_expires_at=ticket.reserve_expires_at, people_ahead=ahead,
        estimated_wait_minutes=wait, counter_id=ticket.counter_id,
        counter_number=counter.number if counter else None,
        counter_name=counter.name if counter else None, call_count=ticket.call_count,
        called_at=ticket.last_called_at, started_at=ticket.started_at,
        finished_at=ticket.finished_at, slot_at=ticket.slot_at, visit=visit,
    )
