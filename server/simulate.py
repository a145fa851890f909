"""`antrean simulate`: seeded days in a hall, written straight into the store as history, tried
as a staffing plan ("what if civil registry opens two more counters?") without writing, or
played against a running server through its API (server/simulate_live.py).

    antrean simulate --config hall.toml --days 30 --into-store       # a month of history
    antrean simulate --config hall.toml --extra-counters KTP=2       # the what-if, printed
    antrean simulate --server http://127.0.0.1:8000 --speed 600      # one day, live, in a minute
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from server.domain.simulation import Day, Plan, SimCounter, SimService, simulate_day, summary
from server.domain.stats import whole_seconds

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BATCH = 5000


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "simulate", help="simulate days in a hall (history for the store, a staffing what-if, or a day "
             "played against a running server)",
        description="Simulate seeded days in a hall: arrivals by hour with the morning peak, "
                    "service times per service, no-shows, priority tickets, transfers and "
                    "officers' breaks. The same seed gives the same days.")
    parser.add_argument("--config", type=Path, default=None,
                        help="the hall's TOML file (default: the sample hall)")
    parser.add_argument("--site", default=None, help="site code (default: the only/first site)")
    parser.add_argument("--days", type=int, default=1, help="how many days (default 1)")
    parser.add_argument("--start", type=date.fromisoformat, default=None,
                        help="first day, YYYY-MM-DD (default: DAYS days before today)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--tickets-per-day", type=int, default=1500,
                        help="average tickets per day (default 1500)")
    parser.add_argument("--visit-share", type=float, default=0.1, metavar="SHARE",
                        help="the share of citizens with 2 to 4 services on one number, at "
                             "different agencies (default 0.1)")
    parser.add_argument("--weekends", action="store_true", help="also simulate Sat and Sun")
    parser.add_argument("--extra-counters", action="append", default=[], metavar="SERVICE=N",
                        help="add N counters serving SERVICE only (repeatable): a staffing what-if")
    parser.add_argument("--into-store", action="store_true",
                        help="write the days into the database as history (default: only print)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the embedded SQLite database lives (default: ./antrean-data)")
    parser.add_argument("--database-url", default=None,
                        help="default: ANTREAN_DATABASE_URL, else SQLite in the data folder")
    live = parser.add_argument_group(
        "a day played against a running server",
        "Kiosks and officers act through the public API in compressed time; the server's own "
        "dispatch decides which ticket each counter gets. Accounts come from the hall file "
        "(--config; the sample hall's demo accounts work with `antrean serve --demo`) unless "
        "given here.")
    live.add_argument("--server", metavar="URL", default=None,
                      help="play one day against this server, e.g. http://127.0.0.1:8000")
    live.add_argument("--speed", type=float, default=60.0,
                      help="simulated seconds per real second (default 60: an 8-hour day in "
                           "8 minutes; 600 plays it in about a minute)")
    live.add_argument("--duration-minutes", type=float, default=None, metavar="M",
                      help="play only the first M simulated minutes of the day (from 08:00)")
    live.add_argument("--kiosk-token", action="append", default=[], metavar="TOKEN",
                      help="a kiosk device's token (repeatable; default: the hall file's kiosks)")
    live.add_argument("--officer", action="append", default=[], metavar="USER:PASSWORD",
                      help="an officer account to staff counters of its agency (repeatable; "
                           "default: the hall file's officers with a password)")
    live.add_argument("--manager", default=None, metavar="USER:PASSWORD",
                      help="an account that may read statistics (default: the hall file's "
                           "manager)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if args.server is not None:
        if args.into_store or args.extra_counters or args.days != 1 or args.start:
            print("antrean simulate: --server plays one day live; it does not combine with "
                  "--into-store, --extra-counters, --days or --start", file=sys.stderr)
            return 2
        from server.simulate_live import run_live

        return asyncio.run(run_live(args))
    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    from server.app import prepare_store
    from server.services.catalog import Catalog
    from server.settings import Settings
    from server.store.db import Database

    settings = Settings.from_env(data_dir=args.data_dir, database_url=args.database_url,
                                 config_path=args.config, demo=args.config is None)
    db = Database(settings.effective_database_url, sqlite_synchronous="NORMAL")
    try:
        await prepare_store(settings, db)
        async with db.read() as session:
            catalog = await Catalog.load(session)
        sites = sorted(catalog.sites.values(), key=lambda s: s.code)
        site = catalog.site(args.site) if args.site else sites[0]
        services, counters = await hall_model(db, catalog, site.id)
        counters = [*counters, *_extra_counters(args.extra_counters, catalog, site.id, counters)]
        start = args.start or (date.today() - timedelta(days=args.days))
        plan = Plan(tickets_per_day=args.tickets_per_day, visit_share=args.visit_share)
        days = [d for d in (start + timedelta(days=i) for i in range(args.days))
                if args.weekends or d.weekday() < 5]
        total = 0
        for index in range(0, len(days), 10):
            simulated = [simulate_day(d, site.timezone, services, counters, plan, args.seed)
                         for d in days[index:index + 10]]
            for day in simulated:
                print(day.day.isoformat(), " ".join(f"{k}={v}" for k, v in summary(day).items()))
            if args.into_store:
                total += await write_days(db, site.id, simulated, args.seed)
        if args.into_store:
            print(f"wrote {total} tickets into the store")
    finally:
        await db.dispose()
    return 0


async def hall_model(db: Any, catalog: Any, site_id: int
                     ) -> tuple[list[SimService], list[SimCounter]]:
    """The site's services and counters as the simulation sees them; each counter is staffed by
    an officer of its agency when the store has one."""
    from sqlalchemy import select

    from server.store import models as m

    async with db.read() as session:
        rows = (await session.execute(select(m.Officer.agency_id, m.Officer.id).where(
            m.Officer.role == "officer", m.Officer.active).order_by(m.Officer.id))).all()
    officer_of: dict[int, int] = {}
    for agency_id, officer_id in rows:
        officer_of.setdefault(agency_id, officer_id)
    counters = [SimCounter(c.id, c.agency_id, frozenset(c.weights), officer_of.get(c.agency_id))
                for c in catalog.site_counters(site_id)]
    services = [SimService(s.id, s.agency_id, s.prefix, s.service_minutes)
                for s in catalog.site_services(site_id)]
    return with_demand(services, counters, random.Random(site_id)), counters


def with_demand(services: Sequence[SimService], counters: Sequence[SimCounter],
                rng: random.Random) -> list[SimService]:
    """Demand follows the hall's staffing, give or take: a service's share of the counters'
    time, over its service time, times a little noise."""
    staffed: dict[int, float] = {}
    for counter in counters:
        for service_id in counter.services:
            staffed[service_id] = staffed.get(service_id, 0.0) + 1 / len(counter.services)
    return [replace(s, popularity=staffed.get(s.id, 0.0) / max(1.0, s.service_minutes)
                    * rng.uniform(0.7, 1.3)) for s in services]


def _extra_counters(specs: Sequence[str], catalog: Any, site_id: int,
                    existing: Sequence[SimCounter]) -> list[SimCounter]:
    extra = []
    next_id = max((c.id for c in existing), default=0) + 1000
    for spec in specs:
        code, _, count = spec.partition("=")
        service = catalog.service(site_id, code)
        officer = next((c.officer_id for c in existing if c.agency_id == service.agency_id), None)
        for _ in range(int(count or 1)):
            extra.append(SimCounter(next_id, service.agency_id, frozenset({service.id}), officer))
            next_id += 1
    return extra


async def write_days(db: Any, site_id: int, days: Sequence[Day], seed: int) -> int:
    """Write simulated days as history: tickets, surveys, counters' audit rows, daily numbers,
    and the statistics' roll-ups of the closed days, as housekeeping would make them.
    Simulated extra counters (what-if) cannot be written: they do not exist in the hall."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from server.services import stats_rollup
    from server.services.catalog import Catalog
    from server.store import models as m

    written = 0
    async with db.write() as session:
        known = set((await session.scalars(select(m.Counter.id))).all())
        names = dict((await session.execute(select(m.Officer.id, m.Officer.username))).all())
        for day in days:
            if any(t.counter_id is not None and t.counter_id not in known for t in day.tickets):
                raise SystemExit("extra counters are a what-if: they cannot go into the store")
            rng = random.Random(f"codes:{seed}:{day.day.isoformat()}")
            rows = [_ticket_row(site_id, day.day, t, rng) for t in day.tickets]
            ids: list[int] = []
            for i in range(0, len(rows), BATCH):
                result = await session.execute(
                    insert(m.Ticket).returning(m.Ticket.id, sort_by_parameter_order=True),
                    rows[i:i + BATCH])
                ids.extend(result.scalars().all())
            await _visits(session, site_id, day, ids)
            surveys = [{"ticket_id": tid, "site_id": site_id, "answers": t.survey, "comment": "",
                        "created_at": t.finished_at}
                       for tid, t in zip(ids, day.tickets, strict=True) if t.survey]
            if surveys:
                await session.execute(insert(m.Survey), surveys)
            audit = [{"site_id": site_id, "at": e.at, "actor_type": "officer" if e.officer_id
                      else "system", "actor_id": e.officer_id,
                      "actor_name": names.get(e.officer_id, "simulasi"), "action": e.action,
                      "ticket_id": None, "counter_id": e.counter_id, "reason": e.reason,
                      "details": {"simulated": True}} for e in day.counter_events]
            if audit:
                await session.execute(insert(m.AuditEntry), audit)
            await _sequences(session, day)
            await stats_rollup.invalidate(session, site_id, day.day)
            written += len(rows)
        await stats_rollup.catch_up(session, await Catalog.load(session), datetime.now(UTC),
                                    limit=None)
    return written


async def _visits(session: Any, site_id: int, day: Day, ids: Sequence[int]) -> None:
    """The visits among the day's tickets, as the server stores them: a stop served is done,
    the rest lapsed with the ticket (its times are those of its last stop)."""
    from sqlalchemy import insert, select

    from server.store import models as m

    visits = [(tid, t) for tid, t in zip(ids, day.tickets, strict=True) if t.plan]
    if not visits:
        return
    codes = dict((await session.execute(select(m.Service.id, m.Service.code))).all())
    rows = []
    for tid, t in visits:
        reached = t.plan.index(t.service_id)
        finished = t.status == "finished"
        plan = [{"service": codes[sid], "joined_at": None, "called_at": None,
                 "status": "done" if i < reached or (i == reached and finished) else "lapsed",
                 "finished_at": t.finished_at.isoformat()
                 if finished and i == reached and t.finished_at is not None else None}
                for i, sid in enumerate(t.plan)]
        rows.append({"ticket_id": tid, "site_id": site_id, "service_day": day.day,
                     "status": "finished" if finished else "lapsed", "held_until": None,
                     "plan": plan, "combination": " + ".join(sorted(codes[s] for s in t.plan)),
                     "arrived_at": t.issued_at,
                     "finished_at": t.finished_at if finished else None,
                     "visit_seconds": whole_seconds(t.issued_at, t.finished_at) if finished
                     else None})
    await session.execute(insert(m.Visit), rows)


def _ticket_row(site_id: int, day: date, t: Any, rng: random.Random) -> dict[str, Any]:
    return {
        "site_id": site_id, "service_id": t.service_id, "issued_service_id": t.issued_service_id,
        "service_day": day, "sequence": t.sequence, "number": t.number,
        "priority": t.priority_reason is not None, "priority_reason": t.priority_reason,
        "channel": "kiosk", "status": t.status, "issued_at": t.issued_at,
        "queued_at": t.queued_at, "reserve_expires_at": None,
        "first_called_at": t.first_called_at, "last_called_at": t.last_called_at,
        "started_at": t.started_at, "finished_at": t.finished_at, "ended_at": t.ended_at,
        "counter_id": t.counter_id, "officer_id": t.officer_id, "device_id": None,
        "call_count": t.call_count, "transfer_count": t.transfer_count,
        "called_out_of_order": False, "rating": t.rating, "in_visit": bool(t.plan),
        "wait_seconds": whole_seconds(t.issued_at, t.first_called_at),
        "walk_seconds": whole_seconds(t.first_called_at, t.started_at),
        "service_seconds": whole_seconds(t.started_at, t.finished_at),
        "rated_at": t.finished_at if t.rating is not None else None,
        "tracking_code": "".join(rng.choice(TRACKING_ALPHABET) for _ in range(12)),
    }


async def _sequences(session: Any, day: Day) -> None:
    """Numbering continues after simulated tickets, should live tickets follow on that day."""
    from server.store import models as m

    last: dict[int, int] = {}
    for t in day.tickets:
        last[t.issued_service_id] = max(last.get(t.issued_service_id, 0), t.sequence)
    for service_id, sequence in last.items():
        row = await session.get(m.DailySequence, (service_id, day.day))
        if row is None:
            session.add(m.DailySequence(service_id=service_id, service_day=day.day,
                                        last_sequence=sequence))
        else:
            row.last_sequence = max(row.last_sequence, sequence)
    await session.flush()
