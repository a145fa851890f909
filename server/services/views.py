"""What clients read: the sites, their services and counters, a hall snapshot, a tracked ticket."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.models import (
    CounterOut,
    CounterSnapshot,
    ServiceOut,
    SiteOut,
    SiteVoiceOut,
    Snapshot,
    TicketOut,
)
from server.services import online
from server.services.catalog import Catalog, CounterInfo, SiteInfo
from server.services.errors import NotFound
from server.services.queries import (
    expected_wait,
    queue_summaries,
    ticket_out,
    today,
    waiting_and_open,
)
from server.store import models as m

RECENT_CALLS = 10


def site_out(site: SiteInfo, now: datetime) -> SiteOut:
    from server.domain.numbering import service_day

    return SiteOut(code=site.code, name=site.name, name_en=site.name_en, timezone=site.timezone,
                   service_day=service_day(now, site.timezone), open_now=site.opening.is_open(now),
                   running_text=site.running_text, public_base_url=site.public_base_url,
                   voice=SiteVoiceOut(numbers=site.voice.numbers, agencies=dict(site.voice.agencies)))


def list_sites(catalog: Catalog, now: datetime) -> list[SiteOut]:
    return [site_out(s, now) for s in sorted(catalog.sites.values(), key=lambda s: s.code)]


async def list_services(session: AsyncSession, catalog: Catalog, site: SiteInfo,
                        now: datetime) -> list[ServiceOut]:
    services = catalog.site_services(site.id)
    day = today(catalog, site.id, now)
    counts, open_ids = await waiting_and_open(session, site.id, [s.id for s in services], day)
    issued = dict((await session.execute(
        select(m.DailySequence.service_id, m.DailySequence.last_sequence)
        .where(m.DailySequence.service_day == day,
               m.DailySequence.service_id.in_([s.id for s in services])))).all())
    taken = (await online.taken_places(session, [s.id for s in services if s.online.enabled], day)
             if any(s.online.enabled for s in services) else {})
    result = []
    for service in services:
        waiting = counts.get(service.id, (0, 0))[0]
        open_now = service.opening.is_open(now)
        quota_left = (max(0, service.daily_quota - issued.get(service.id, 0))
                      if service.daily_quota is not None else None)
        online_left = None
        parts = online.quota_parts(service) if service.online.enabled else None
        if parts is not None:
            quota_left = max(0, parts.walk_in - taken.get((service.id, online.WALK_IN), 0))
            online_left = max(0, parts.online - taken.get((service.id, online.ONLINE), 0))
        closed_reason = ("closed" if not open_now
                         else "quota_reached" if quota_left == 0 else None)
        result.append(ServiceOut(
            code=service.code, prefix=service.prefix,
            agency=catalog.agencies[service.agency_id].out(), name=service.name,
            name_en=service.name_en, requirements=list(service.requirements),
            requirements_en=list(service.requirements_en), fee=service.fee,
            fee_note=service.fee_note, fee_note_en=service.fee_note_en,
            sla_minutes=service.sla_minutes, open_now=open_now,
            next_opening=None if open_now else service.opening.next_opening(now),
            closed_reason=closed_reason, waiting=waiting,
            estimated_wait_minutes=expected_wait(catalog, service, waiting, open_ids),
            daily_quota=service.daily_quota, quota_left=quota_left,
            online_remote=service.online.remote, online_booking=service.online.booking,
            online_left=online_left, nik_required=service.online.nik_required,
        ))
    return result


def counter_out(catalog: Catalog, counter: CounterInfo, row: m.Counter,
                 officer_name: str | None, served_today: int = 0) -> CounterOut:
    return CounterOut(
        id=counter.id, number=counter.number, name=counter.name,
        agency=catalog.agencies[counter.agency_id].out(),
        services={catalog.services[sid].code: w for sid, w in counter.weights.items()},
        state=row.state,  # type: ignore[arg-type]
        pause_reason=row.pause_reason, officer=officer_name, bus_address=counter.bus_address,
        served_today=served_today)


async def served_today(session: AsyncSession, site_id: int, day: date) -> dict[int, int]:
    """Tickets each counter of the site finished on ``day``."""
    rows = await session.execute(
        select(m.Ticket.counter_id, func.count())
        .where(m.Ticket.site_id == site_id, m.Ticket.service_day == day,
               m.Ticket.status == "finished", m.Ticket.counter_id.is_not(None))
        .group_by(m.Ticket.counter_id))
    return {counter_id: int(count) for counter_id, count in rows.all() if counter_id is not None}


async def _counter_rows(session: AsyncSession, site_id: int
                        ) -> list[tuple[m.Counter, str | None]]:
    rows = await session.execute(
        select(m.Counter, m.Officer.name)
        .outerjoin(m.Officer, m.Officer.id == m.Counter.officer_id)
        .where(m.Counter.site_id == site_id, m.Counter.active).order_by(m.Counter.number))
    return [(counter, name) for counter, name in rows.all()]


async def list_counters(session: AsyncSession, catalog: Catalog, site: SiteInfo, now: datetime
                        ) -> list[CounterOut]:
    served = await served_today(session, site.id, today(catalog, site.id, now))
    return [counter_out(catalog, catalog.counters[row.id], row, name, served.get(row.id, 0))
            for row, name in await _counter_rows(session, site.id) if row.id in catalog.counters]


async def one_counter(session: AsyncSession, catalog: Catalog, counter: CounterInfo,
                      now: datetime) -> CounterOut:
    row, name = (await session.execute(
        select(m.Counter, m.Officer.name).outerjoin(m.Officer, m.Officer.id == m.Counter.officer_id)
        .where(m.Counter.id == counter.id))).one()
    served = await served_today(session, counter.site_id, today(catalog, counter.site_id, now))
    return counter_out(catalog, counter, row, name, served.get(counter.id, 0))


async def snapshot(session: AsyncSession, catalog: Catalog, site: SiteInfo, now: datetime,
                   agencies: frozenset[str] | None = None) -> Snapshot:
    """The hall as it stands; ``seq`` is read in the same transaction, so a client that resumes
    from it misses nothing and sees nothing twice. With ``agencies`` (a display zone's), only
    their counters, lines and calls."""
    seq = await session.scalar(select(m.Site.last_event_seq).where(m.Site.id == site.id))
    services = [s for s in catalog.site_services(site.id)
                if agencies is None or catalog.agencies[s.agency_id].code in agencies]
    served = await served_today(session, site.id, today(catalog, site.id, now))
    counters = []
    for row, officer_name in await _counter_rows(session, site.id):
        info = catalog.counters.get(row.id)
        if info is None or (agencies is not None
                            and catalog.agencies[info.agency_id].code not in agencies):
            continue
        ticket = None
        if row.current_ticket_id is not None:
            current = await session.get(m.Ticket, row.current_ticket_id)
            if current is not None:
                ticket = await ticket_out(session, catalog, current)
        counters.append(CounterSnapshot(
            counter=counter_out(catalog, info, row, officer_name, served.get(row.id, 0)),
            ticket=ticket))
    recent = (await session.scalars(
        select(m.Ticket).where(m.Ticket.site_id == site.id,
                               m.Ticket.service_day == today(catalog, site.id, now),
                               m.Ticket.last_called_at.is_not(None),
                               m.Ticket.service_id.in_([s.id for s in services]))
        .order_by(m.Ticket.last_called_at.desc(), m.Ticket.id.desc()).limit(RECENT_CALLS))).all()
    return Snapshot(
        site=site_out(site, now), seq=int(seq or 0), counters=counters,
        queues=await queue_summaries(session, catalog, [s.id for s in services], now),
        recent_calls=[await ticket_out(session, catalog, t) for t in recent],
    )


async def tracked_ticket(session: AsyncSession, catalog: Catalog, tracking_code: str) -> TicketOut:
    ticket = await session.scalar(
        select(m.Ticket).where(m.Ticket.tracking_code == tracking_code.upper()))
    if ticket is None or ticket.site_id not in catalog.sites:
        raise NotFound("Tiket dengan kode itu tidak ditemukan.",
                       "No ticket has that tracking code.", code="unknown_ticket")
    return await ticket_out(session, catalog, ticket)
