"""Managers' statistics, added up in the database (SQLite and PostgreSQL, one code path).

Nothing here loads tickets into Python. Closed days are read from the roll-ups of
``server.services.stats_rollup`` (per service × counter × officer, and per service × hour; whole
months where they are complete); the other days of the range (today, or a day not rolled up yet)
are added up from tickets by the same SELECT that builds the roll-ups. Python then adds the few
resulting rows (at most one per service × counter × officer) into totals and groups.

Counts, sums, means, maxima and SLA shares are exact; durations are whole seconds. Median and
p90 are read off a histogram of fixed buckets (``server.domain.stats.BUCKETS``): the bucket is
exact, the value inside it interpolated.

Open time of counters and officers comes from the audit trail (counter.open/pause/resume/close):
each open or resume lasts until the counter's next state change (LEAD), clipped to its day (or
run of days not rolled up). Closed days' open seconds are rolled up too (``stats_open``), so
only today's audit rows are read. A counter left open for more than a whole day counts from
the last state change of the day before each day or run only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    VisitStatsOut,
    VisitTally,
)
from server.domain import visit_stats
from server.domain.stats import (
    IKM_ELEMENTS,
    bucket_percentile,
    ikm_band,
    ikm_index,
    per_hour,
    share,
)
from server.services.catalog import Catalog, SiteInfo
from server.services.errors import Invalid, NotFound
from server.services.stats_rollup import (
    DAY,
    MONTH,
    cover,
    month_start,
    rollup_sums,
    ticket_select,
)
from server.store import models as m
from server.store.models import BUCKET_COUNT, MEASURES, UtcDateTime

MAX_RANGE_DAYS = 400
# Service days statistics can be asked for: any date converts to an instant in every zone.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
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
        """Refuses, before any query, a range no statistics can have and unknown filters: an
        export checks here before the first byte of its file."""
        q = self.query
        if not FIRST_DAY <= q.date_from <= LAST_DAY or not FIRST_DAY <= q.date_to <= LAST_DAY:
            raise Invalid(f"Tanggal harus antara {FIRST_DAY} dan {LAST_DAY}.",
                          f"Dates must lie between {FIRST_DAY} and {LAST_DAY}.",
                          code="date_out_of_range")
        if q.date_to < q.date_from:
            raise Invalid("Tanggal akhir sebelum tanggal awal.", "date_to is before date_from.",
                          code="bad_range")
        if (q.date_to - q.date_from).days >= MAX_RANGE_DAYS:
            raise Invalid(f"Rentang paling panjang {MAX_RANGE_DAYS} hari.",
                          f"The range may span at most {MAX_RANGE_DAYS} days.",
                          code="range_too_long")
        self.start, self.end = day_bounds(q.date_from, q.date_to, self.site.timezone)
        self.check()

    def where(self) -> list[ColumnElement[bool]]:
        """Tickets of the range, less reservations that were never confirmed (never issued)."""
        q = self.query
        return [
            T.site_id == self.site.id,
            T.service_day >= q.date_from, T.service_day <= q.date_to,
            T.status != "reserved",
            or_(T.status != "expired", T.reserve_expires_at.is_(None)),
            *self.filters(T),
        ]

    def check(self) -> None:
        """Unknown agency, service or counter: the friendly NotFound before any query."""
        self.filters(T.__table__.c)

    def filters(self, c: Any) -> list[ColumnElement[bool]]:
        """The query's filters on columns named service_id, counter_id and officer_id (of
        tickets or of a roll-up)."""
        q = self.query
        clauses: list[ColumnElement[bool]] = []
        if q.service is not None:
            clauses.append(c.service_id == self.catalog.service(self.site.id, q.service).id)
        if q.agency is not None:
            agency_ids = [a.id for a in self.catalog.agencies.values()
                          if a.site_id == self.site.id and a.code == q.agency]
            if not agency_ids:
                raise NotFound(f"Instansi '{q.agency}' tidak dikenal.",
                               f"No agency has the code '{q.agency}'.", code="unknown_agency")
            clauses.append(c.service_id.in_([s.id for s in self.catalog.site_services(self.site.id)
                                             if s.agency_id == agency_ids[0]]))
        if q.counter is not None:
            clauses.append(c.counter_id == self._counter_id(q.counter))
        if q.officer is not None:
            clauses.append(c.officer_id == select(m.Officer.id).where(
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


# ---------------------------------------------------------------- reading the measures

Key = tuple[Any, ...]
MAXIMA = frozenset(i for i, name in enumerate(MEASURES) if name.endswith("_max"))
AT = {name: i for i, name in enumerate(MEASURES)}
HOURS_PANEL = ("issued", "wait_n", "wait_sum")


class Measures:
    """Measures (``MEASURES``) per key, added up from roll-up rows and from tickets."""

    def __init__(self) -> None:
        self.by_key: dict[Key, list[int]] = {}

    def add(self, key: Key, values: Sequence[Any]) -> None:
        into = self.by_key.get(key)
        if into is None:
            self.by_key[key] = [int(v or 0) for v in values]
            return
        for i, value in enumerate(values):
            v = int(value or 0)
            into[i] = max(into[i], v) if i in MAXIMA else into[i] + v

    def regroup(self, key: Callable[[Key], Any]) -> dict[Any, list[int]]:
        grouped = Measures()
        for k, values in self.by_key.items():
            grouped.add((key(k),), values)
        return {k[0]: v for k, v in grouped.by_key.items()}


def _durations(values: list[int], kind: str) -> Durations:
    n = values[AT[f"{kind}_n"]]
    if not n:
        return Durations(count=0, mean=None, median=None, p90=None, max=None)
    top = values[AT[f"{kind}_max"]]
    first = AT[f"{kind}_h00"]
    histogram = values[first:first + BUCKET_COUNT]
    return Durations(count=n, mean=_round(values[AT[f"{kind}_sum"]] / n),
                     median=_round(bucket_percentile(0.5, histogram, top)),
                     p90=_round(bucket_percentile(0.9, histogram, top)), max=_round(top))


def _satisfaction_of(values: list[int]) -> Satisfaction:
    respondents = values[AT["respondents"]]
    means = ({e: round(values[AT[f"ikm_{e}"]] / respondents, 4) for e in IKM_ELEMENTS}
             if respondents else {})
    index = ikm_index(means) if respondents else None
    ratings = values[AT["ratings"]]
    return Satisfaction(respondents=respondents, index=index,
                        band=ikm_band(index) if index is not None else None, elements=means,
                        ratings=ratings, rating_mean=round(values[AT["rating_sum"]] / ratings, 2)
                        if ratings else None)


def _row(code: str, label: str, v: list[int]) -> StatsRow:
    called, within = v[AT["called"]], v[AT["called_within_sla"]]
    return StatsRow(
        key=code, label=label, issued=v[AT["issued"]], served=v[AT["served"]],
        no_shows=v[AT["no_shows"]], cancelled=v[AT["cancelled"]], expired=v[AT["expired"]],
        transferred=v[AT["transferred"]], priority=v[AT["priority"]],
        wait=_durations(v, "wait"), walk=_durations(v, "walk"), service=_durations(v, "service"),
        called=called, called_within_sla=within, sla_share=share(within, called),
        out_of_order=v[AT["out_of_order"]], satisfaction=_satisfaction_of(v))


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


async def _marks(session: AsyncSession, sel: Selection) -> set[tuple[str, date]]:
    p = m.StatsPeriod
    rows = await session.execute(select(p.grain, p.period_start).where(
        p.site_id == sel.site.id, p.period_start >= month_start(sel.query.date_from),
        p.period_start <= sel.query.date_to))
    return {(grain, start) for grain, start in rows.all()}


async def _measures(session: AsyncSession, sel: Selection, marks: set[tuple[str, date]],
                    hourly: bool, only: Sequence[str] = MEASURES) -> Measures:
    """Measures per (service, counter, officer), or per (service, hour) when ``hourly``: closed
    periods from the roll-ups, the other days (today) from tickets with the same sums. Only the
    measures named in ``only`` are read from the roll-ups (the others stay 0)."""
    q = sel.query
    model = m.StatsHourly if hourly else m.StatsDaily
    table = model.__table__
    names = ("service_id", "hour") if hourly else ("service_id", "counter_id", "officer_id")
    if hourly and (q.counter is not None or q.officer is not None):
        marks = set()  # the hourly roll-up has no counter or officer: read tickets
    months, days, loose = cover(q.date_from, q.date_to, marks)
    found = Measures()
    if months or days:
        periods = []
        if months:
            periods.append(and_(table.c.grain == MONTH, table.c.period_start.in_(months)))
        if days:
            periods.append(and_(table.c.grain == DAY, table.c.period_start.in_(days)))
        keys = [table.c[n] for n in names]
        wanted = [c for c in rollup_sums(table) if c.name in only]
        statement = select(*keys, *wanted).where(
            table.c.site_id == sel.site.id, or_(*periods), *sel.filters(table.c)).group_by(*keys)
        for row in (await session.execute(statement)).all():
            values = [0] * len(MEASURES)
            for column, value in zip(wanted, row[len(names):], strict=True):
                values[AT[column.name]] = value
            found.add(tuple(row[:len(names)]), values)
    if loose:
        hour = sel.key("hour")
        by: list[Any] = ([T.service_id, hour] if hourly
                         else [T.service_id, T.counter_id, T.officer_id])
        statement = ticket_select(*by).where(
            T.site_id == sel.site.id,
            or_(*(and_(T.service_day >= a, T.service_day <= b) for a, b in loose)),
            *sel.filters(T.__table__.c))
        for row in (await session.execute(statement)).all():
            found.add(tuple(row[:len(by)]), row[len(by):])
    return found


def day_bounds(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight before ``first`` and after ``last``."""
    zone = ZoneInfo(timezone)
    return (datetime.combine(first, time(0), zone).astimezone(UTC),
            datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC))


def open_select(dialect: str, site_id: int, start: datetime, end: datetime, now: datetime
                ) -> Select[Any]:
    """Seconds open within [start, end) per counter and officer (the officer who opened or
    resumed it; none when it was not an officer), from the counters' audit rows: each open or
    resume lasts until the counter's next state change (LEAD), clipped to the window and now."""
    a = m.AuditEntry
    history = select(
        a.counter_id, a.action, a.actor_type, a.actor_id, a.at,
        func.lead(a.at).over(partition_by=a.counter_id, order_by=(a.at, a.id)).label("next_at"),
    ).where(a.site_id == site_id, a.action.in_(COUNTER_ACTIONS),
            a.at >= _utc(start - timedelta(days=1)), a.at < _utc(end)).subquery()
    until = _least(dialect, func.coalesce(history.c.next_at, _utc(min(now, end))), _utc(end))
    since = _greatest(dialect, history.c.at, _utc(start))
    officer = case((history.c.actor_type == "officer", history.c.actor_id), else_=None)
    return (select(history.c.counter_id, officer.label("officer_id"),
                   func.sum(seconds_between(dialect, since, until)).label("open_seconds"))
            .where(history.c.action.in_(OPEN_ACTIONS), until > since)
            .group_by(history.c.counter_id, officer))


async def _open_intervals(session: AsyncSession, sel: Selection, marks: set[tuple[str, date]]
                          ) -> tuple[dict[Any, float], dict[Any, float]]:
    """Seconds open per counter, and per officer who opened or resumed it: closed periods from
    the roll-up, the other days (today) from the audit trail, one window per run of days."""
    months, days, loose = cover(sel.query.date_from, sel.query.date_to, marks)
    statements: list[Any] = []
    if months or days:
        o = m.StatsOpen
        periods = []
        if months:
            periods.append(and_(o.grain == MONTH, o.period_start.in_(months)))
        if days:
            periods.append(and_(o.grain == DAY, o.period_start.in_(days)))
        statements.append(select(o.counter_id, o.officer_id, func.sum(o.open_seconds))
                          .where(o.site_id == sel.site.id, or_(*periods))
                          .group_by(o.counter_id, o.officer_id))
    for first, last in loose:
        start, end = day_bounds(first, last, sel.site.timezone)
        statements.append(open_select(sel.dialect, sel.site.id, start, end, sel.now))
    by_counter: dict[Any, float] = {}
    by_officer: dict[Any, float] = {}
    for statement in statements:
        for counter_id, officer_id, s in (await session.execute(statement)).all():
            by_counter[counter_id] = by_counter.get(counter_id, 0.0) + float(s or 0)
            if officer_id is not None:
                by_officer[officer_id] = by_officer.get(officer_id, 0.0) + float(s or 0)
    return by_counter, by_officer


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

async def _officers(session: AsyncSession, ids: Iterable[Any]) -> dict[int, tuple[str, str]]:
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


def _group_key(sel: Selection, group_by: GroupBy) -> Callable[[Key], Any]:
    def agency(k: Key) -> Any:
        service = sel.catalog.services.get(k[0])
        return service.agency_id if service else None

    return {"site": lambda k: 0, "agency": agency, "service": lambda k: k[0],
            "counter": lambda k: k[1], "officer": lambda k: k[2], "hour": lambda k: k[1]
            }[group_by]


def _rows(sel: Selection, group_by: GroupBy, measures: Measures,
          officers: dict[int, tuple[str, str]]) -> list[StatsRow]:
    """One row per group of the measures (per service × counter × officer, or × hour)."""
    rows = []
    for k, values in measures.regroup(_group_key(sel, group_by)).items():
        code, label = _label(sel, group_by, k, officers)
        rows.append(_row(code, label, values))
    if group_by == "hour":
        rows.sort(key=lambda r: int(r.key))
    else:
        rows.sort(key=lambda r: (r.key == "-", r.key.zfill(6) if r.key.isdigit() else r.key))
    return rows


async def _grouped(session: AsyncSession, sel: Selection, group_by: GroupBy,
                   marks: set[tuple[str, date]], combos: Measures | None,
                   officers: dict[int, tuple[str, str]]) -> list[StatsRow]:
    if group_by == "hour":
        return _rows(sel, "hour", await _measures(session, sel, marks, hourly=True), officers)
    assert combos is not None
    if group_by == "officer":
        officers.update(await _officers(session, {k[2] for k in combos.by_key}))
    return _rows(sel, group_by, combos, officers)


async def statistics(session: AsyncSession, catalog: Catalog, site: SiteInfo, query: StatsQuery,
                     now: datetime) -> StatsOut:
    dialect = session.get_bind().dialect.name
    sel = Selection(catalog, site, query, dialect, now)
    marks = await _marks(session, sel)
    combos = await _measures(session, sel, marks, hourly=False)
    hourly = await _measures(session, sel, marks, hourly=True,
                             only=MEASURES if query.group_by == "hour" else HOURS_PANEL)
    officers = await _officers(session, {k[2] for k in combos.by_key})
    totals = _rows(sel, "site", combos, officers) or [_empty_row(site)]
    rows = (_rows(sel, "hour", hourly, officers) if query.group_by == "hour"
            else _rows(sel, query.group_by, combos, officers))
    hours = [HourLoad(hour=int(h), issued=v[AT["issued"]],
                      wait_mean=_round(v[AT["wait_sum"]] / v[AT["wait_n"]])
                      if v[AT["wait_n"]] else None)
             for h, v in sorted(hourly.regroup(lambda k: k[1]).items())]
    peak = [h.hour for h in sorted(hours, key=lambda h: (-h.issued, h.hour)) if h.issued][:3]

    open_by_counter, open_by_officer = await _open_intervals(session, sel, marks)
    by_counter = combos.regroup(lambda k: k[1])
    counters = []
    for counter in catalog.site_counters(site.id):
        if query.counter is not None and counter.number != query.counter:
            continue
        agency = catalog.agencies[counter.agency_id]
        if query.agency is not None and agency.code != query.agency:
            continue
        opened = open_by_counter.get(counter.id, 0.0)
        values = by_counter.get(counter.id)
        busy = float(values[AT["service_sum"]]) if values else 0.0
        served = values[AT["served"]] if values else 0
        if not opened and not served:
            continue
        counters.append(CounterUse(counter=counter.number, name=counter.name, agency=agency.code,
                                   open_seconds=round(opened, 1), serving_seconds=round(busy, 1),
                                   utilisation=share(round(busy), round(opened)), served=served))

    officer_uses = []
    for officer_id, values in sorted(combos.regroup(lambda k: k[2]).items(),
                                     key=lambda item: officers.get(item[0], ("", ""))[0]):
        if officer_id is None:
            continue
        username, name = officers.get(officer_id, (str(officer_id), str(officer_id)))
        opened = open_by_officer.get(officer_id, 0.0)
        served = values[AT["served"]]
        officer_uses.append(OfficerUse(username=username, name=name,
                                       open_seconds=round(opened, 1), served=served,
                                       tickets_per_hour=_round2(per_hour(served, opened)),
                                       satisfaction=_satisfaction_of(values)))
    return StatsOut(site=site.code, date_from=query.date_from, date_to=query.date_to,
                    group_by=query.group_by, filters=query.filters(), generated_at=now,
                    totals=totals[0], rows=rows, hours=hours, peak_hours=peak, counters=counters,
                    officers=officer_uses, out_of_order_calls=await _out_of_order_calls(session, sel),
                    online=await _online_rows(session, catalog, site, query),
                    visits=await visit_statistics(session, site, query))


async def _online_rows(session: AsyncSession, catalog: Catalog, site: SiteInfo,
                       query: StatsQuery) -> list[Any]:
    from server.services.online_stats import online_rows  # it reads StatsQuery from here

    return await online_rows(session, catalog, site, query)


async def visit_statistics(session: AsyncSession, site: SiteInfo, query: StatsQuery
                           ) -> VisitStatsOut:
    """Visits of the days chosen: per day, overall, and the commonest combinations. The
    agency filter keeps the visits with a stop at that agency's services."""
    rows = (await session.execute(
        select(m.Visit.service_day, m.Visit.combination, m.Visit.status, m.Visit.visit_seconds)
        .where(m.Visit.site_id == site.id, m.Visit.service_day >= query.date_from,
               m.Visit.service_day <= query.date_to))).all()
    facts = [visit_stats.VisitFact(day, combination, status, seconds)
             for day, combination, status, seconds in rows]
    if query.service is not None:
        facts = [f for f in facts if query.service in f.combination.split(" + ")]

    def out(tally: visit_stats.Tally) -> VisitTally:
        return VisitTally(key=tally.key, visits=tally.visits, finished=tally.finished,
                          lapsed=tally.lapsed, mean_visit_seconds=tally.mean_visit_seconds)

    return VisitStatsOut(totals=out(visit_stats.overall(facts)),
                         days=[out(t) for t in visit_stats.by_day(facts)],
                         combinations=[out(t) for t in visit_stats.combinations(facts)])


def _round2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _empty_row(site: SiteInfo) -> StatsRow:
    empty = Durations(count=0, mean=None, median=None, p90=None, max=None)
    return StatsRow(key=site.code, label=site.name, issued=0, served=0, no_shows=0, cancelled=0,
                    expired=0, transferred=0, priority=0, wait=empty, walk=empty, service=empty,
                    called=0, called_within_sla=0, sla_share=None, out_of_order=0,
                    satisfaction=Satisfaction(respondents=0, index=None, band=None, elements={},
                                              ratings=0, rating_mean=None))


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
    marks = await _marks(session, sel)
    combos = (None if query.group_by == "hour"
              else await _measures(session, sel, marks, hourly=False))
    return await _grouped(session, sel, query.group_by, marks, combos, {})
