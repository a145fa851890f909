"""How fast the manager's dashboard answers over a year of a busy hall, on SQLite.

    python bench/stats/run.py [--days 300] [--tickets-per-day 1500] [--data-dir DIR] [--keep]

Fills a fresh SQLite store with seeded simulated days of the sample hall (300 days × ~1,500
tickets ≈ 450,000 tickets), then times each query the dashboard makes: the best and the median
of five runs, in milliseconds. Pass --database-url to measure PostgreSQL instead.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics as pystats
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from server.app import prepare_store
from server.domain.simulation import Plan, simulate_day
from server.services import stats
from server.services.catalog import Catalog
from server.settings import Settings
from server.simulate import hall_model, write_days
from server.store import models as m
from server.store.db import Database

START = date(2025, 1, 6)
RUNS = 3
SLOWEST: list[float] = []  # the slowest single SQL statement of the current run, in ms


async def fill(db: Database, catalog: Catalog, days: int, per_day: int, seed: int) -> int:
    site = sorted(catalog.sites.values(), key=lambda s: s.code)[0]
    services, counters = await hall_model(db, catalog, site.id)
    plan = Plan(tickets_per_day=per_day)
    written = 0
    for first in range(0, days, 10):
        chunk = [simulate_day(START + timedelta(days=i), site.timezone, services, counters, plan,
                              seed) for i in range(first, min(days, first + 10))]
        written += await write_days(db, site.id, chunk, seed)
        print(f"  {written} tickets written", flush=True)
    return written


def watch_statements(db: Database) -> None:
    """Time every SQL statement, so the slowest single query of each dashboard call is known."""
    from sqlalchemy import event

    @event.listens_for(db.read_engine.sync_engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info["began"] = time.perf_counter()

    @event.listens_for(db.read_engine.sync_engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        SLOWEST.append((time.perf_counter() - conn.info.pop("began")) * 1000)


async def timed(label: str, work: Callable[[], Awaitable[object]]
                ) -> tuple[str, float, float, float, int]:
    samples = []
    slowest = []
    statements = 0
    for _ in range(RUNS):
        SLOWEST.clear()
        began = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - began) * 1000)
        slowest.append(max(SLOWEST, default=0.0))
        statements = len(SLOWEST)
    return label, min(samples), pystats.median(samples), pystats.median(slowest), statements


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--tickets-per-day", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the filled store")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="antrean-bench-stats-"))
    settings = Settings(data_dir=data_dir, database_url=args.database_url, demo=True)
    db = Database(settings.effective_database_url, sqlite_synchronous="NORMAL")
    try:
        await prepare_store(settings, db)
        async with db.read() as session:
            catalog = await Catalog.load(session)
            existing = await session.scalar(select(func.count()).select_from(m.Ticket))
        if not existing:
            began = time.perf_counter()
            await fill(db, catalog, args.days, args.tickets_per_day, args.seed)
            print(f"filled in {time.perf_counter() - began:.0f} s")
        async with db.read() as session:
            total = await session.scalar(select(func.count()).select_from(m.Ticket))
        site = sorted(catalog.sites.values(), key=lambda s: s.code)[0]
        last = START + timedelta(days=args.days - 1)
        now = datetime.combine(last, clock_time(11), ZoneInfo(site.timezone))

        def query(days: int, group_by: stats.GroupBy = "service") -> stats.StatsQuery:
            return stats.StatsQuery(date_from=last - timedelta(days=days - 1), date_to=last,
                                    group_by=group_by)

        async def full(q: stats.StatsQuery) -> None:
            async with db.read() as session:
                await stats.statistics(session, catalog, site, q, now)

        async def rows(q: stats.StatsQuery) -> None:
            async with db.read() as session:
                await stats.grouped_rows(session, catalog, site, q, now)

        async def hall_now() -> None:
            async with db.read() as session:
                await stats.hall_now(session, catalog, site, now)

        cases = [
            ("now panel (waiting per service, counters)", hall_now),
            ("statistics, 1 day (the dashboard's default)", lambda: full(query(1))),
            ("statistics, 7 days", lambda: full(query(7))),
            ("statistics, 30 days", lambda: full(query(30))),
            ("statistics, 90 days", lambda: full(query(90))),
            (f"statistics, all {args.days} days", lambda: full(query(args.days))),
            ("rows by agency, 30 days", lambda: rows(query(30, "agency"))),
            ("rows by counter, 30 days", lambda: rows(query(30, "counter"))),
            ("rows by officer, 30 days", lambda: rows(query(30, "officer"))),
            ("rows by hour, 30 days", lambda: rows(replace(query(30), group_by="hour"))),
        ]
        watch_statements(db)
        print(f"\n{total} tickets on {db.dialect}; best and median of {RUNS} runs\n")
        print("| dashboard call | SQL statements | whole call, best ms | whole call, median ms "
              "| slowest statement, median ms |\n|---|---:|---:|---:|---:|")
        for label, work in cases:
            name, best, median, slowest, count = await timed(label, work)
            print(f"| {name} | {count} | {best:.0f} | {median:.0f} | {slowest:.0f} |", flush=True)
    finally:
        await db.dispose()
        if not args.keep and args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
