"""Antrean online's figures for the dashboard and its exports: per service, the online share
of numbers, the bookings' no-show rate, punctuality (first call − slot) and the quota's use.

Read straight from the period's tickets and bookings (a hall's online traffic is a few hundred
rows a day); the formulas are ``server.domain.online.OnlineFigures``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.stats import OnlineRow
from server.config.hall import WEEKDAYS
from server.domain.online import OnlineFigures
from server.services.catalog import Catalog, ServiceInfo, SiteInfo
from server.services.stats import StatsQuery
from server.store import models as m


def _services(catalog: Catalog, site: SiteInfo, query: StatsQuery) -> list[ServiceInfo]:
    chosen = []
    for service in catalog.site_services(site.id):
        if not service.online.enabled:
            continue
        if query.service is not None and service.code != query.service:
            continue
        if query.agency is not None and catalog.agencies[service.agency_id].code != query.agency:
            continue
        chosen.append(service)
    return chosen


def _open_days(service: ServiceInfo, query: StatsQuery) -> int:
    days = 0
    day = query.date_from
    while day <= query.date_to:
        if day not in service.opening.holidays and (
                service.opening.always_open or service.opening.weekly[WEEKDAYS[day.weekday()]]):
            days += 1
        day += timedelta(days=1)
    return days


async def online_rows(session: AsyncSession, catalog: Catalog, site: SiteInfo,
                      query: StatsQuery) -> list[OnlineRow]:
    services = _services(catalog, site, query)
    if not services:
        return []
    ids = [s.id for s in services]
    in_period = (m.Ticket.service_day >= query.date_from, m.Ticket.service_day <= query.date_to)
    from_bookings = set((await session.scalars(select(m.Booking.ticket_id).where(
        m.Booking.site_id == site.id, m.Booking.ticket_id.is_not(None),
        m.Booking.service_day >= query.date_from, m.Booking.service_day <= query.date_to))).all())
    walk_in: dict[int, int] = defaultdict(int)
    online: dict[int, int] = defaultdict(int)
    punctuality: dict[int, list[int]] = defaultdict(list)
    tickets = await session.execute(
        select(m.Ticket.id, m.Ticket.issued_service_id, m.Ticket.slot_at,
               m.Ticket.first_called_at)
        .where(m.Ticket.site_id == site.id, m.Ticket.issued_service_id.in_(ids), *in_period))
    for ticket_id, service_id, slot_at, called_at in tickets.all():
        if ticket_id in from_bookings:
            online[service_id] += 1
        else:
            walk_in[service_id] += 1
        if slot_at is not None and called_at is not None:
            punctuality[service_id].append(int((called_at - slot_at).total_seconds()))
    made: dict[int, int] = defaultdict(int)
    checked: dict[int, int] = defaultdict(int)
    lapsed: dict[int, int] = defaultdict(int)
    bookings = await session.execute(
        select(m.Booking.service_id, m.Booking.status)
        .where(m.Booking.site_id == site.id, m.Booking.service_id.in_(ids),
               m.Booking.service_day >= query.date_from, m.Booking.service_day <= query.date_to))
    for service_id, status in bookings.all():
        if status != "cancelled":
            made[service_id] += 1
        if status == "checked_in":
            checked[service_id] += 1
        elif status == "lapsed":
            lapsed[service_id] += 1
    rows = []
    for service in services:
        quota = (service.daily_quota * _open_days(service, query)
                 if service.daily_quota is not None else None)
        figures = OnlineFigures(
            walk_in=walk_in[service.id], online=online[service.id], bookings=made[service.id],
            checked_in=checked[service.id], lapsed=lapsed[service.id],
            punctuality_seconds=tuple(punctuality[service.id]), quota=quota,
            used=walk_in[service.id] + online[service.id])
        rows.append(OnlineRow(
            service=service.code, label=service.name, walk_in=figures.walk_in,
            online=figures.online, online_share=_round(figures.online_share),
            bookings=figures.bookings, checked_in=figures.checked_in, lapsed=figures.lapsed,
            no_show_rate=_round(figures.no_show_rate),
            punctuality_mean_seconds=_round(figures.punctuality_mean, 1),
            punctuality_median_seconds=figures.punctuality_median, quota=quota,
            quota_used=figures.used, quota_use=_round(figures.quota_use)))
    return rows


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
