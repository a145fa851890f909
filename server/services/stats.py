"""Managers' statistics, aggregated in the database (SQLite and PostgreSQL, one code path).

Nothing here loads tickets into Python: every figure is a GROUP BY. Percentiles have no SQL
function on SQLite, so each is picked with window functions: the rows of a group are numbered in
order (ROW_NUMBER) and counted (COUNT OVER), and the row whose number is the nearest rank
ceil(p·n) is the percentile, the same method as ``server.domain.stats.percentiles``.

Open time of counters and officers comes from the audit trail (counter.open/pause/resume/close):
each open or resume lasts until the counter's next state change (LEAD), clipped to the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.stats import (
    CounterUse,
    Durations,
    GroupBy,
    HallNow,
    HourLoad,
    OfficerUse,
    OutOfOrderCall,
    Satisfaction,
    ServiceNow,
    StatsOut,
    StatsRow,
)
from server.domain.stats import IKM_ELEMENTS, ikm_band, ikm_index, per_hour, share
from server.services.catalog import Catalog, SiteInfo
from server.services.errors import Invalid, NotFound
from server.store import models as m
from server.store.models import UtcDateTime

MAX_RANGE_DAYS = 400
OUT_OF_ORDER_SHOWN = 50
OPEN_ACTIONS = ("counter.open", "counter.resume")
COUNTER_ACTIONS = ("counter.open", "counter.pause", "counter.resume", "counter.close")
T = m.Ticket


@dataclass(frozen=True)
class StatsQuery:
    """What a manager asks: a date range of service days, a grouping and optional filters."""

    date_from: date
    date_to: date
    group_by: GroupBy = "service"
    agency: str | None = None
    service: str | None = None
    counter: int | None = None
    officer: str | None = None

    def filters(self) -> dict[str, str]:
        raw = {"agency": self.agency, "service": self.service,
               "counter": None if self.counter is None else str(self.counter),
               "officer": self.officer}
        return {k: v for k, v in raw.items() if v is not None}


# ---------------------------------------------------------------- dialect helpers

def _utc(value: datetime) -> ColumnElement[datetime]:
    return bindparam(None, value, type_=UtcDateTime())


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[float]:
    if dialect == "sqlite":
        return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)
    return cast(func.extract("epoch", end - start), Float)


def local_hour(dialect: str, moment: Any, timezone: str, on: date) -> ColumnElement[int]:
    if dialect == "sqlite":
        # SQLite knows no zones: shift by the zone's offset on the range's first day (Indonesia
        # keeps no daylight saving time, so one offset is exact for WIB, WITA and WIT).
        local_midnight = datetime.combine(on, time(12), ZoneInfo(timezone))
        offset = local_midnight.utcoffset() or timedelta(0)
        modifier = f"{int(offset.total_seconds()):+d} seconds"
        return cast(func.strftime("%H", moment, modifier), Integer)
    return cast(func.extract("hour", func.timezone(timezone, moment)), Integer)


def _greatest(dialect: str, a: Any, b: Any) -> ColumnElement[Any]:
    return func.max(a, b) if dialect == "sqlite" else func.greatest(a, b)


def _least(dialect: str, a: Any, b: Any) -> ColumnElement[Any]:
    return func.min(a, b) if dialect == "sqlite" else func.least(a, b)


# ---------------------------------------------------------------- the selection

@dataclass
class Selection:
    catalog: Catalog
    site: SiteInfo
    query: StatsQuery
    dialect: str
    now: datetime
    start: datetime = field(init=False)
    end: datetime = field(init=False)

    def __post_init__(self) -> None:
        zone = ZoneInfo(self.site.timezone)
        self.start = datetime.combine(self.query.date_from, time(0), zone).astimezone(UTC)
        self.end = datetime.combine(self.query.date_to + timedelta(days=1), time(0),
                                    zone).astimezone(UTC)

    def where(self) -> list[ColumnElement[bool]]:
        """Tickets of the range, less reservations that were never confirmed (never issued)."""
        q = self.query
        clauses: list[ColumnElement[bool]] = [
            T.site_id == self.site.id,
            T.service_day >= q.date_from, T.service_day <= q.date_to,
            T.status != "reserved",
            or_(T.status != "expired", T.reserve_expires_at.is_(None)),
        ]
        if q.service is not None:
            clauses.append(T.service_id == self.catalog.service(self.site.id, q.service).id)
        if q.agency is not None:
            agency_ids = [a.id for a in self.catalog.agencies.values()
                          if a.site_id == self.site.id and a.code == q.agency]
            if not agency_ids:
                raise NotFound(f"Instansi '{q.agency}' tidak dikenal.",
                               f"No agency has the code '{q.agency}'.", code="unknown_agency")
            clauses.append(m.Service.agency_id == agency_ids[0])
        if q.counter is not None:
            clauses.append(T.counter_id == self._counter_id(q.counter))
        if q.officer is not None:
            clauses.append(T.officer_id == select(m.Officer.id).where(
                m.Officer.username == q.officer).scalar_subquery())
        return clauses

    def _counter_id(self, number: int) -> int:
        for counter in self.catalog.site_counters(self.site.id):
            if counter.number == number:
                return counter.id
        raise NotFound(f"Loket {number} tidak ditemukan.", f"No counter has the number {number}.",
                       code="unknown_counter")

    def key(self, group_by: GroupBy) -> ColumnElement[Any]:
        keys: dict[str, Any] = {
            "site": literal(0),
            "agency": m.Service.agency_id,
            "service": T.service_id,
            "counter": T.counter_id,
            "officer": T.officer_id,
            "hour": local_hour(self.dialect, T.issued_at, self.site.timezone, self.query.date_from),
        }
        chosen: ColumnElement[Any] = keys[group_by]
        return chosen

    def tickets(self, *columns: Any) -> Select[Any]:
        return (select(*columns).select_from(T).join(m.Service, m.Service.id == T.service_id)
                .where(*self.where()))

    def seconds(self, start: Any, end: Any) -> ColumnElement[float]:
        return seconds_between(self.dialect, start, end)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


# ---------------------------------------------------------------- queries

async def _counts(session: AsyncSession, sel: Selection, key: ColumnElement[Any]
                  ) -> dict[Any, dict[str, Any]]:
    wait = sel.seconds(T.issued_at, T.first_called_at)
    statement = sel.tickets(
        key.label("k"),
        func.count().label("issued"),
        _count(T.status == "finished").label("served"),
        _count(T.status == "no_show").label("no_shows"),
        _count(T.status == "cancelled").label("cancelled"),
        _count(T.status == "expired").label("expired"),
        _count(T.transfer_count > 0).label("transferred"),
        _count(T.priority.is_(True)).label("priority"),
        _count(T.first_called_at.is_not(None)).label("called"),
        _count(and_(T.first_called_at.is_not(None),
                    wait <= m.Service.sla_minutes * 60)).label("called_within_sla"),
        _count(T.called_out_of_order.is_(True)).label("out_of_order"),
        func.count(T.rating).label("ratings"),
        func.avg(T.rating).label("rating_mean"),
    ).group_by(key)
    return {row.k: dict(row._mapping) for row in (await session.execute(statement)).all()}


async def _percentiles(session: AsyncSession, sel: Selection, key: ColumnElement[Any],
                       start: Any, end: Any) -> dict[Any, Durations]:
    """Mean, nearest-rank median and p90, and max of (end − start) per group, in SQL."""
    value = sel.seconds(start, end)
    values = sel.tickets(key.label("k"), value.label("v")).where(
        start.is_not(None), end.is_not(None)).subquery()
    ranked = select(
        values.c.k, values.c.v,
        func.row_number().over(partition_by=values.c.k, order_by=values.c.v).label("rn"),
        func.count().over(partition_by=values.c.k).label("n"),
    ).subquery()
    rn, n = ranked.c.rn, ranked.c.n
    statement = select(
        ranked.c.k, func.count().label("count"), func.avg(ranked.c.v).label("mean"),
        func.max(case((rn == (n + 1) // 2, ranked.c.v))).label("median"),       # ceil(n/2)
        func.max(case((rn == (9 * n + 9) // 10, ranked.c.v))).label("p90"),    # ceil(9n/10)
        func.max(ranked.c.v).label("max"),
    ).group_by(ranked.c.k)
    return {row.k: Durations(count=int(row[1]), mean=_round(row.mean),
                             median=_round(row.median), p90=_round(row.p90), max=_round(row.max))
            for row in (await session.execute(statement)).all()}


async def _satisfaction(session: AsyncSession, sel: Selection, key: ColumnElement[Any]
                        ) -> dict[Any, tuple[int, dict[str, float]]]:
    elements = [func.avg(m.Survey.answers[e].as_integer()).label(e) for e in IKM_ELEMENTS]
    statement = sel.tickets(key.label("k"), func.count(m.Survey.id).label("respondents"),
                            *elements).join(m.Survey, m.Survey.ticket_id == T.id).group_by(key)
    result = {}
    for row in (await session.execute(statement)).all():
        means = {e: round(float(getattr(row, e)), 4) for e in IKM_ELEMENTS}
        result[row.k] = (int(row.respondents), means)
    return result


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _satisfaction_out(survey: tuple[int, dict[str, float]] | None, ratings: int,
                      rating_mean: Any) -> Satisfaction:
    respondents, means = survey or (0, {})
    index = ikm_index(means) if respondents else None
    return Satisfaction(respondents=respondents, index=index,
                        band=ikm_band(index) if index is not None else None, elements=means,
                        ratings=ratings,
                        rating_mean=None if rating_mean is None else round(float(rating_mean), 2))


async def _open_intervals(session: AsyncSession, sel: Selection, by: str
                          ) -> dict[Any, float]:
    """Seconds open per counter (by='counter') or per officer who opened (by='officer')."""
    a = m.AuditEntry
    history = select(
        a.counter_id, a.action, a.actor_type, a.actor_id, a.at,
        func.lead(a.at).over(partition_by=a.counter_id, order_by=(a.at, a.id)).label("next_at"),
    ).where(a.site_id == sel.site.id, a.action.in_(COUNTER_ACTIONS),
            a.at >= _utc(sel.start - timedelta(days=1)), a.at < _utc(sel.end)).subquery()
    until = _least(sel.dialect, func.coalesce(history.c.next_at, _utc(min(sel.now, sel.end))),
                   _utc(sel.end))
    since = _greatest(sel.dialect, history.c.at, _utc(sel.start))
    seconds = sel.seconds(since, until)
    owner = history.c.counter_id if by == "counter" else history.c.actor_id
    statement = select(owner.label("k"), func.sum(seconds).label("s")).where(
        history.c.action.in_(OPEN_ACTIONS), until > since,
        *(() if by == "counter" else (history.c.actor_type == "officer",)),
    ).group_by(owner)
    return {row.k: float(row.s or 0) for row in (await session.execute(statement)).all()}


async def _serving_seconds(session: AsyncSession, sel: Selection
                           ) -> dict[Any, tuple[float, int]]:
    served = sel.seconds(T.started_at, T.finished_at)
    statement = sel.tickets(T.counter_id.label("k"),
                            func.sum(case((T.finished_at.is_not(None), served), else_=0.0)),
                            _count(T.status == "finished")).where(
        T.counter_id.is_not(None)).group_by(T.counter_id)
    return {k: (float(s or 0), int(n or 0)) for k, s, n in (await session.execute(statement)).all()}


async def _out_of_order_calls(session: AsyncSession, sel: Selection) -> list[OutOfOrderCall]:
    a = m.AuditEntry
    statement = (select(a).where(a.site_id == sel.site.id, a.action == "ticket.call_out_of_order",
                                 a.at >= _utc(sel.start), a.at < _utc(sel.end))
                 .order_by(a.at.desc(), a.id.desc()).limit(OUT_OF_ORDER_SHOWN))
    calls = []
    for entry in (await session.scalars(statement)).all():
        counter = sel.catalog.counters.get(entry.counter_id or 0)
        calls.append(OutOfOrderCall(at=entry.at, number=(entry.details or {}).get("number"),
                                    counter=counter.number if counter else None,
                                    officer=entry.actor_name, reason=entry.reason or ""))
    return calls


# ---------------------------------------------------------------- labels and the whole answer

async def _officers(session: AsyncSession, ids: Sequence[Any]) -> dict[int, tuple[str, str]]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await session.execute(select(m.Officer.id, m.Officer.username, m.Officer.name)
                                 .where(m.Officer.id.in_(wanted)))
    return {i: (username, name) for i, username, name in rows.all()}


def _label(sel: Selection, group_by: GroupBy, key: Any,
           officers: dict[int, tuple[str, str]]) -> tuple[str, str]:
    if key is None:
        return "-", {"counter": "belum dipanggil", "officer": "belum dipanggil"}.get(group_by, "-")
    if group_by == "site":
        return sel.site.code, sel.site.name
    if group_by == "agency":
        agency = sel.catalog.agencies.get(key)
        return (agency.code, agency.name) if agency else (str(key), str(key))
    if group_by == "service":
        service = sel.catalog.services.get(key)
        return (service.code, service.name) if service else (str(key), str(key))
    if group_by == "counter":
        counter = sel.catalog.counters.get(key)
        return (str(counter.number), counter.name) if counter else (str(key), str(key))
    if group_by == "officer":
        return officers.get(key, (str(key), str(key)))
    return str(key), f"{int(key):02d}.00–{int(key):02d}.59"


async def _rows(session: AsyncSession, sel: Selection, group_by: GroupBy,
                officers: dict[int, tuple[str, str]], *, times: bool = True) -> list[StatsRow]:
    """One row per group; ``times=False`` leaves out the percentiles (three window queries)."""
    key = sel.key(group_by)
    counts = await _counts(session, sel, key)
    wait: dict[Any, Durations] = {}
    walk: dict[Any, Durations] = {}
    service: dict[Any, Durations] = {}
    if times:
        wait = await _percentiles(session, sel, key, T.issued_at, T.first_called_at)
        walk = await _percentiles(session, sel, key, T.first_called_at, T.started_at)
        service = await _percentiles(session, sel, key, T.started_at, T.finished_at)
    surveys = await _satisfaction(session, sel, key)
    if group_by == "officer":
        officers.update(await _officers(session, list(counts)))
    empty = Durations(count=0, mean=None, median=None, p90=None, max=None)
    rows = []
    for k, c in counts.items():
        code, label = _label(sel, group_by, k, officers)
        called, within = int(c["called"] or 0), int(c["called_within_sla"] or 0)
        rows.append(StatsRow(
            key=code, label=label, issued=int(c["issued"]), served=int(c["served"] or 0),
            no_shows=int(c["no_shows"] or 0), cancelled=int(c["cancelled"] or 0),
            expired=int(c["expired"] or 0), transferred=int(c["transferred"] or 0),
            priority=int(c["priority"] or 0), wait=wait.get(k, empty), walk=walk.get(k, empty),
            service=service.get(k, empty), called=called, called_within_sla=within,
            sla_share=share(within, called), out_of_order=int(c["out_of_order"] or 0),
            satisfaction=_satisfaction_out(surveys.get(k), int(c["ratings"] or 0),
                                           c["rating_mean"]),
        ))
    if group_by == "hour":
        rows.sort(key=lambda r: int(r.key))
    else:
        rows.sort(key=lambda r: (r.key == "-", r.key.zfill(6) if r.key.isdigit() else r.key))
    return rows


async def _hours(session: AsyncSession, sel: Selection) -> list[HourLoad]:
    hour = sel.key("hour")
    wait = sel.seconds(T.issued_at, T.first_called_at)
    statement = sel.tickets(hour.label("h"), func.count(), func.avg(wait)).group_by(hour)
    loads = {int(h): HourLoad(hour=int(h), issued=int(n), wait_mean=_round(w))
             for h, n, w in (await session.execute(statement)).all()}
    return [loads[h] for h in sorted(loads)]


async def statistics(session: AsyncSession, catalog: Catalog, site: SiteInfo, query: StatsQuery,
                     now: datetime) -> StatsOut:
    if query.date_to < query.date_from:
        raise Invalid("Tanggal akhir sebelum tanggal awal.", "date_to is before date_from.",
                      code="bad_range")
    if (query.date_to - query.date_from).days >= MAX_RANGE_DAYS:
        raise Invalid(f"Rentang paling panjang {MAX_RANGE_DAYS} hari.",
                      f"The range may span at most {MAX_RANGE_DAYS} days.", code="range_too_long")
    dialect = session.get_bind().dialect.name
    sel = Selection(catalog, site, query, dialect, now)
    officers: dict[int, tuple[str, str]] = {}
    totals = (await _rows(session, sel, "site", officers)) or [_empty_row(site)]
    rows = await _rows(session, sel, query.group_by, officers)
    hours = await _hours(session, sel)
    peak = [h.hour for h in sorted(hours, key=lambda h: (-h.issued, h.hour)) if h.issued][:3]

    open_by_counter = await _open_intervals(session, sel, "counter")
    serving = await _serving_seconds(session, sel)
    counters = []
    for counter in catalog.site_counters(site.id):
        if query.counter is not None and counter.number != query.counter:
            continue
        agency = catalog.agencies[counter.agency_id]
        if query.agency is not None and agency.code != query.agency:
            continue
        opened = open_by_counter.get(counter.id, 0.0)
        busy, served = serving.get(counter.id, (0.0, 0))
        if not opened and not served:
            continue
        counters.append(CounterUse(counter=counter.number, name=counter.name, agency=agency.code,
                                   open_seconds=round(opened, 1), serving_seconds=round(busy, 1),
                                   utilisation=share(round(busy), round(opened)), served=served))

    officer_rows = rows if query.group_by == "officer" else await _rows(
        session, sel, "officer", officers, times=False)
    open_by_officer = await _open_intervals(session, sel, "officer")
    ids_by_username = {username: i for i, (username, _) in officers.items()}
    officer_uses = []
    for row in officer_rows:
        if row.key == "-":
            continue
        opened = open_by_officer.get(ids_by_username.get(row.key), 0.0)
        officer_uses.append(OfficerUse(username=row.key, name=row.label,
                                       open_seconds=round(opened, 1), served=row.served,
                                       tickets_per_hour=_round2(per_hour(row.served, opened)),
                                       satisfaction=row.satisfaction))
    return StatsOut(site=site.code, date_from=query.date_from, date_to=query.date_to,
                    group_by=query.group_by, filters=query.filters(), generated_at=now,
                    totals=totals[0], rows=rows, hours=hours, peak_hours=peak, counters=counters,
                    officers=officer_uses, out_of_order_calls=await _out_of_order_calls(session, sel))


def _round2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _empty_row(site: SiteInfo) -> StatsRow:
    empty = Durations(count=0, mean=None, median=None, p90=None, max=None)
    return StatsRow(key=site.code, label=site.name, issued=0, served=0, no_shows=0, cancelled=0,
                    expired=0, transferred=0, priority=0, wait=empty, walk=empty, service=empty,
                    called=0, called_within_sla=0, sla_share=None, out_of_order=0,
                    satisfaction=_satisfaction_out(None, 0, None))



async def hall_now(session: AsyncSession, catalog: Catalog, site: SiteInfo, now: datetime
                   ) -> HallNow:
    """Waiting per service with its longest current wait, and counters by state."""
    from server.services.queries import today

    day = today(catalog, site.id, now)
    rows = await session.execute(
        select(T.service_id, func.count(), func.min(T.queued_at))
        .where(T.site_id == site.id, T.service_day == day, T.status == "waiting")
        .group_by(T.service_id))
    waiting = {sid: (int(n), oldest) for sid, n, oldest in rows.all()}
    states = dict((await session.execute(
        select(m.Counter.state, func.count()).where(m.Counter.site_id == site.id, m.Counter.active)
        .group_by(m.Counter.state))).all())
    services = []
    for service in catalog.site_services(site.id):
        count, oldest = waiting.get(service.id, (0, None))
        services.append(ServiceNow(
            service=service.code, name=service.name,
            agency=catalog.agencies[service.agency_id].code, waiting=count,
            longest_wait_seconds=None if oldest is None else round(
                (now - oldest).total_seconds(), 1)))
    longest = [s.longest_wait_seconds for s in services if s.longest_wait_seconds is not None]
    return HallNow(site=site.code, at=now, waiting=sum(s.waiting for s in services),
                   longest_wait_seconds=max(longest) if longest else None,
                   counters_open=int(states.get("open", 0)),
                   counters_paused=int(states.get("paused", 0)),
                   counters_closed=int(states.get("closed", 0)), services=services)


async def grouped_rows(session: AsyncSession, catalog: Catalog, site: SiteInfo,
                       query: StatsQuery, now: datetime) -> list[StatsRow]:
    """Only the per-group rows of ``statistics`` (for a second grouping of the same range)."""
    sel = Selection(catalog, site, query, session.get_bind().dialect.name, now)
    return await _rows(session, sel, query.group_by, {})
