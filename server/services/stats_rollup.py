"""Roll-ups of closed days for the managers' statistics.

A closed service day's tickets are added up once, per service × counter × officer
(``stats_daily``) and per service × local hour of issue (``stats_hourly``): counts, sums, maxima,
survey sums, and a histogram of each duration in the buckets of ``server.domain.stats.BUCKETS``.
Its counters' open seconds are added up from the audit trail per counter × officer who opened or
resumed the counter (``stats_open``).
A month whose days are all rolled up is added up again from its days. ``stats_periods`` marks
what is complete; a change to a closed day (a late survey or rating) deletes its marks, and the
statistics read that day from tickets until housekeeping rolls it up again.

The same SELECT that builds a roll-up also reads the days not rolled up (today), so both give the
same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.numbering import service_day
from server.domain.stats import BUCKETS
from server.services.catalog import Catalog, SiteInfo
from server.store import models as m
from server.store.models import MEASURES

T = m.Ticket
DAY, MONTH = "d", "m"
DAYS_PER_ROUND = 2  # days rolled up per housekeeping transaction (each ~0.2 s of writing)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _bucket(column: Any, index: int) -> ColumnElement[bool]:
    if index == 0:
        return column < BUCKETS[1]
    if index == len(BUCKETS) - 1:
        return column >= BUCKETS[index]
    return and_(column >= BUCKETS[index], column < BUCKETS[index + 1])


def ticket_measures() -> list[ColumnElement[Any]]:
    """Every measure of ``MEASURES`` over tickets (joined to services and surveys), labelled."""
    durations = {"wait": T.wait_seconds, "walk": T.walk_seconds, "service": T.service_seconds}
    values: dict[str, ColumnElement[Any]] = {
        "issued": func.count(),
        "served": _count(T.status == "finished"),
        "no_shows": _count(T.status == "no_show"),
        "cancelled": _count(T.status == "cancelled"),
        "expired": _count(T.status == "expired"),
        "transferred": _count(T.transfer_count > 0),
        "priority": _count(T.priority.is_(True)),
        "called": func.count(T.wait_seconds),
        "called_within_sla": _count(T.wait_seconds <= m.Service.sla_minutes * 60),
        "out_of_order": _count(T.called_out_of_order.is_(True)),
        "ratings": func.count(T.rating),
        "rating_sum": func.sum(T.rating),
        "respondents": func.count(m.Survey.id),
    }
    for kind, column in durations.items():
        values[f"{kind}_n"] = func.count(column)
        values[f"{kind}_sum"] = func.sum(column)
        values[f"{kind}_max"] = func.max(column)
        for i in range(len(BUCKETS)):
            values[f"{kind}_h{i:02d}"] = _count(_bucket(column, i))
    for name in MEASURES:
        if name.startswith("ikm_"):
            values[name] = func.sum(m.Survey.answers[name[4:]].as_integer())
    return [func.coalesce(values[name], 0).label(name) for name in MEASURES]


def counted() -> list[ColumnElement[bool]]:
    """Tickets that count: not reservations that were never confirmed (never issued)."""
    return [T.status != "reserved", or_(T.status != "expired", T.reserve_expires_at.is_(None))]


def ticket_select(*keys: Any) -> Select[Any]:
    """The measures of tickets grouped by ``keys``; the caller adds the WHERE."""
    return (select(*keys, *ticket_measures()).select_from(T)
            .join(m.Service, m.Service.id == T.service_id)
            .outerjoin(m.Survey, m.Survey.ticket_id == T.id)
            .where(*counted()).group_by(*keys))


def local_hour(dialect: str, timezone: str, on: date) -> ColumnElement[int]:
    from server.services.stats import local_hour as hour_of

    return hour_of(dialect, T.issued_at, timezone, on)


def open_select(dialect: str, site_id: int, start: datetime, end: datetime, now: datetime
                ) -> Select[Any]:
    from server.services.stats import open_select as opened

    return opened(dialect, site_id, start, end, now)


def day_bounds(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    from server.services.stats import day_bounds as bounds

    return bounds(first, last, timezone)


def rollup_sums(table: Any) -> list[ColumnElement[Any]]:
    """The measures of roll-up rows added up (maxima by MAX), labelled."""
    return [(func.max if name.endswith("_max") else func.sum)(table.c[name]).label(name)
            for name in MEASURES]


# ---------------------------------------------------------------- building

async def _forget(session: AsyncSession, site_id: int, grain: str, start: date) -> None:
    for model in (m.StatsDaily, m.StatsHourly, m.StatsOpen):
        await session.execute(delete(model).where(
            model.site_id == site_id, model.grain == grain, model.period_start == start))
    await session.execute(delete(m.StatsPeriod).where(
        m.StatsPeriod.site_id == site_id, m.StatsPeriod.grain == grain,
        m.StatsPeriod.period_start == start))


async def build_day(session: AsyncSession, site: SiteInfo, day: date, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    await _forget(session, site.id, DAY, day)
    names = ["site_id", "grain", "period_start", *MEASURES]
    constants = (literal(site.id), literal(DAY), literal(day, m.StatsPeriod.period_start.type))
    where = (T.site_id == site.id, T.service_day == day)
    daily = ticket_select(T.service_id, T.counter_id, T.officer_id).where(*where)
    await session.execute(insert(m.StatsDaily).from_select(
        [*names[:3], "service_id", "counter_id", "officer_id", *MEASURES],
        daily.with_only_columns(*constants, *daily.selected_columns)))
    hour = local_hour(dialect, site.timezone, day)
    hourly = ticket_select(T.service_id, hour).where(*where)
    await session.execute(insert(m.StatsHourly).from_select(
        [*names[:3], "service_id", "hour", *MEASURES],
        hourly.with_only_columns(*constants, *hourly.selected_columns)))
    start, end = day_bounds(day, day, site.timezone)
    opened = open_select(dialect, site.id, start, end, now)
    await session.execute(insert(m.StatsOpen).from_select(
        [*names[:3], "counter_id", "officer_id", "open_seconds"],
        opened.with_only_columns(*constants, *opened.selected_columns)))
    session.add(m.StatsPeriod(site_id=site.id, grain=DAY, period_start=day, built_at=now))
    await session.flush()


async def build_month(session: AsyncSession, site: SiteInfo, first: date, now: datetime) -> None:
    await _forget(session, site.id, MONTH, first)
    last = next_month(first) - timedelta(days=1)
    for model, keys in ((m.StatsDaily, ("service_id", "counter_id", "officer_id")),
                        (m.StatsHourly, ("service_id", "hour"))):
        table = model.__table__
        columns = [table.c[k] for k in keys]
        rows = select(literal(site.id), literal(MONTH),
                      literal(first, m.StatsPeriod.period_start.type), *columns,
                      *rollup_sums(table)).where(
            table.c.site_id == site.id, table.c.grain == DAY,
            table.c.period_start >= first, table.c.period_start <= last).group_by(*columns)
        await session.execute(insert(model).from_select(
            ["site_id", "grain", "period_start", *keys, *MEASURES], rows))
    o = m.StatsOpen
    opened = select(literal(site.id), literal(MONTH),
                    literal(first, m.StatsPeriod.period_start.type), o.counter_id, o.officer_id,
                    func.sum(o.open_seconds)).where(
        o.site_id == site.id, o.grain == DAY, o.period_start >= first,
        o.period_start <= last).group_by(o.counter_id, o.officer_id)
    await session.execute(insert(o).from_select(
        ["site_id", "grain", "period_start", "counter_id", "officer_id", "open_seconds"], opened))
    session.add(m.StatsPeriod(site_id=site.id, grain=MONTH, period_start=first, built_at=now))
    await session.flush()


async def catch_up(session: AsyncSession, catalog: Catalog, now: datetime,
                   limit: int | None = DAYS_PER_ROUND) -> int:
    """Roll up closed days not rolled up yet (at most ``limit`` days), then complete months.
    Returns how many days were rolled up."""
    built = 0
    for site in sorted(catalog.sites.values(), key=lambda s: s.id):
        today = service_day(now, site.timezone)
        first = await session.scalar(select(func.min(T.service_day)).where(T.site_id == site.id))
        if first is None:
            continue
        marks = {(grain, start) for grain, start in (await session.execute(
            select(m.StatsPeriod.grain, m.StatsPeriod.period_start).where(
                m.StatsPeriod.site_id == site.id))).all()}
        day = month_start(first)
        while day < today and (limit is None or built < limit):
            if (DAY, day) not in marks and (MONTH, month_start(day)) not in marks:
                await build_day(session, site, day, now)
                marks.add((DAY, day))
                built += 1
            day += timedelta(days=1)
        month = month_start(first)
        while next_month(month) <= today:
            days = _days(month, next_month(month) - timedelta(days=1))
            if (MONTH, month) not in marks and all((DAY, d) in marks for d in days):
                await build_month(session, site, month, now)
                marks.add((MONTH, month))
            month = next_month(month)
    return built


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def invalidate(session: AsyncSession, site_id: int, day: date) -> None:
    """A ticket of ``day`` changed after the fact: its day and month are rolled up again."""
    await session.execute(delete(m.StatsPeriod).where(
        m.StatsPeriod.site_id == site_id,
        or_(and_(m.StatsPeriod.grain == DAY, m.StatsPeriod.period_start == day),
            and_(m.StatsPeriod.grain == MONTH, m.StatsPeriod.period_start == month_start(day)))))


# ---------------------------------------------------------------- reading

def cover(first: date, last: date, marks: set[tuple[str, date]]
          ) -> tuple[list[date], list[date], list[tuple[date, date]]]:
    """Split a range into rolled-up months, rolled-up days, and runs of days read from tickets."""
    months: list[date] = []
    days: list[date] = []
    loose: list[date] = []
    day = first
    while day <= last:
        if day.day == 1 and (MONTH, day) in marks and next_month(day) - timedelta(days=1) <= last:
            months.append(day)
            day = next_month(day)
            continue
        (days if (DAY, day) in marks else loose).append(day)
        day += timedelta(days=1)
    return months, days, runs(loose)


def runs(days: Sequence[date]) -> list[tuple[date, date]]:
    found: list[tuple[date, date]] = []
    for day in days:
        if found and found[-1][1] + timedelta(days=1) == day:
            found[-1] = (found[-1][0], day)
        else:
            found.append((day, day))
    return found
