"""The hall simulator: seeded, realistic in shape, and its history readable by the statistics."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from common.protocol.stats import StatsOut
from server.domain.simulation import Plan, SimCounter, SimService, simulate_day, summary

DAY = date(2025, 3, 10)
SERVICES = [SimService(1, 1, "A", 10.0, popularity=2.0), SimService(2, 1, "B", 6.0),
            SimService(3, 2, "P", 5.0)]
COUNTERS = [SimCounter(10, 1, frozenset({1, 2}), officer_id=7),
            SimCounter(11, 1, frozenset({1}), officer_id=7), SimCounter(12, 2, frozenset({3}))]


def _day(seed: int, counters: list[SimCounter] = COUNTERS, per_day: int = 150):  # type: ignore[no-untyped-def]
    return simulate_day(DAY, "Asia/Jakarta", SERVICES, counters, Plan(tickets_per_day=per_day),
                        seed)


def test_the_same_seed_gives_the_same_day() -> None:
    first, again, other = _day(3), _day(3), _day(4)
    assert [(t.number, t.issued_at, t.first_called_at, t.status) for t in first.tickets] == [
        (t.number, t.issued_at, t.first_called_at, t.status) for t in again.tickets]
    assert [t.issued_at for t in first.tickets] != [t.issued_at for t in other.tickets]


def test_a_day_has_a_morning_peak_and_a_consistent_life_per_ticket() -> None:
    day = _day(5, per_day=400)
    by_hour: dict[int, int] = {}
    for ticket in day.tickets:
        local = ticket.issued_at.hour
        by_hour[local] = by_hour.get(local, 0) + 1
        if ticket.first_called_at:
            assert ticket.issued_at <= ticket.first_called_at
            assert ticket.counter_id in {10, 11, 12}
        if ticket.status == "finished":
            assert ticket.started_at and ticket.first_called_at <= ticket.started_at  # type: ignore[operator]
            assert ticket.started_at < ticket.finished_at  # type: ignore[operator]
    assert by_hour[9] > by_hour[12] and by_hour[9] > by_hour[15]
    statuses = {t.status for t in day.tickets}
    assert {"finished", "no_show"} <= statuses and "waiting" not in statuses
    assert any(t.priority_reason for t in day.tickets)
    actions = [e.action for e in day.counter_events if e.counter_id == 10]
    assert actions[0] == "counter.open" and actions[-1] == "counter.close"


def test_another_counter_shortens_the_wait() -> None:
    busy = summary(_day(6, per_day=300))
    extra = summary(_day(6, [*COUNTERS, SimCounter(13, 1, frozenset({1}))], per_day=300))
    assert extra["wait_p90_min"] < busy["wait_p90_min"]  # type: ignore[operator]


def test_simulated_history_goes_into_the_store_and_into_statistics(tmp_path: Path) -> None:
    from common.cli import main

    data = tmp_path / "data"
    assert main(["--log-level", "WARNING", "simulate", "--data-dir", str(data), "--days", "2",
                 "--start", "2025-03-10", "--seed", "9", "--tickets-per-day", "200",
                 "--into-store"]) == 0

    async def read(rolled_up: bool) -> StatsOut:
        from sqlalchemy import delete, func, select

        from server.services import stats
        from server.services.catalog import Catalog
        from server.store import models as m
        from server.store.db import Database, sqlite_url

        db = Database(sqlite_url(data))
        try:
            if not rolled_up:  # forget the roll-ups' marks: the days are read from the sources
                async with db.write() as session:
                    await session.execute(delete(m.StatsPeriod))
            async with db.read() as session:
                if rolled_up:  # the counters' open seconds are rolled up for both days
                    days = await session.scalar(select(func.count(func.distinct(
                        m.StatsOpen.period_start))).where(m.StatsOpen.grain == "d",
                                                          m.StatsOpen.period_start.in_(
                                                              [date(2025, 3, 10),
                                                               date(2025, 3, 11)])))
                    assert days == 2
                catalog = await Catalog.load(session)
                site = next(iter(catalog.sites.values()))
                return await stats.statistics(
                    session, catalog, site, stats.StatsQuery(date(2025, 3, 10),
                                                             date(2025, 3, 11)),
                    datetime(2025, 3, 12, tzinfo=UTC))
        finally:
            await db.dispose()

    result = asyncio.run(read(rolled_up=True))
    issued, counters, index = (result.totals.issued, len(result.counters),
                               result.totals.satisfaction.index)
    assert 300 < issued < 500 and counters > 10 and index is not None
    assert all(c.open_seconds > 0 for c in result.counters)
    assert any(o.tickets_per_hour for o in result.officers)
    from_sources = asyncio.run(read(rolled_up=False))
    assert (result.counters, result.officers, result.totals) == (
        from_sources.counters, from_sources.officers, from_sources.totals)
