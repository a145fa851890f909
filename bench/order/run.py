"""bench/order: do counters calling flat out keep each line in issue order, and at what cost?

One hall of many counters sharing lines (each service served by several counters, each counter
serving two services), a pool of waiting tickets on PostgreSQL, several server processes on
one database, and every counter calling next flat out over its own keep-alive connection.
Printed per run: call-nexts per second, and the calls that took a ticket while an earlier one
of the same line (service and priority class) still waited, counted from the event log in
commit order. Baseline from the same run: the same load on the code of another revision
(``--before``, by default the one before call-next held its lines), taking turns with this
code (``--rounds``) so that a host whose speed drifts moves both alike.

    python -m bench.order.run --counters 200 --waiting 20000 --processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.dispatch.run import drop_postgres, postgres_database
from bench.httpclient import KeepAlive
from bench.server import ROOT, free_port, raise_fd_limit, start_antrean

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432"
BEFORE_THE_FIX = "LINE_LOCKS"  # the first commit holding lines introduced this name


def hall_toml(counters: int, services: int) -> str:
    lines = "".join(f'[[service]]\nagency = "AG"\ncode = "S{s:02d}"\nprefix = "{_prefix(s)}"\n'
                    f'name = "Layanan {s}"\n' for s in range(services))
    desks = "".join(
        f'[[counter]]\nnumber = {n}\nagency = "AG"\n'
        f'services = {{ S{n % services:02d} = 2, S{(n + 1) % services:02d} = 1 }}\n'
        for n in range(1, counters + 1))
    return (f'[site]\ncode = "ORDER"\nname = "Hall"\nalways_open = true\n'
            f'[[agency]]\ncode = "AG"\nname = "Agency"\n{lines}{desks}'
            f'[[officer]]\nusername = "officer"\nname = "Officer"\nagency = "AG"\n'
            f'password = "bench-password"\n')


def _prefix(s: int) -> str:
    return chr(ord("A") + s % 26) + (chr(ord("A") + s // 26) if s >= 26 else "")


async def seed(url: str, counters: int, services: int, waiting: int) -> None:
    """The hall through the service layer, the waiting pool in bulk (one in seven priority),
    migrated only as far as both revisions know (0004)."""
    from sqlalchemy import insert

    from server.config.hall import parse_hall
    from server.domain.numbering import format_number, service_day
    from server.services import sync
    from server.services.catalog import Catalog
    from server.services.tickets import new_tracking_code
    from server.store import models as m
    from server.store.db import Database
    from server.store.migrate import upgrade

    db = Database(url)
    await upgrade(db, "0004")
    now = datetime.now(UTC)
    async with db.write() as session:
        await sync.apply_hall(session, parse_hall(hall_toml(counters, services)), now,
                              always_open=True)
    async with db.read() as session:
        catalog = await Catalog.load(session)
    [site] = catalog.sites.values()
    day = service_day(now, site.timezone)
    per_service = waiting // services
    tickets, sequences = [], []
    for service in catalog.services.values():
        sequences.append({"service_id": service.id, "service_day": day,
                          "last_sequence": per_service})
        tickets += [{
            "site_id": site.id, "service_id": service.id, "issued_service_id": service.id,
            "service_day": day, "sequence": n, "number": format_number(service.prefix, n),
            "priority": n % 7 == 0, "priority_reason": "elderly" if n % 7 == 0 else None,
            "channel": "kiosk", "tracking_code": new_tracking_code(), "status": "waiting",
            "issued_at": now, "queued_at": now,
            "call_count": 0, "transfer_count": 0, "called_out_of_order": False,
        } for n in range(1, per_service + 1)]
    for n, ticket in enumerate(tickets):  # issue order: one millisecond apart
        ticket["queued_at"] = ticket["issued_at"] = now.replace(microsecond=0) + n * _MS
    async with db.write() as session:
        await session.execute(insert(m.DailySequence), sequences)
        await session.execute(insert(m.Ticket), tickets)
    await db.dispose()


_MS = datetime(2000, 1, 1, 0, 0, 0, 1000) - datetime(2000, 1, 1)


async def out_of_order(url: str, after_seq: int) -> tuple[int, int, int]:
    """(calls, calls that skipped an earlier ticket of their line, last event seq) among the
    calls after event ``after_seq``."""
    from sqlalchemy import func, select

    from server.store import models as m
    from server.store.db import Database

    db = Database(url)
    try:
        async with db.read() as session:
            last = await session.scalar(select(func.max(m.EventRecord.seq))) or 0
            calls = (await session.execute(
                select(m.EventRecord.seq, m.EventRecord.payload)
                .where(m.EventRecord.type == "ticket.called", m.EventRecord.seq > after_seq)
                .order_by(m.EventRecord.seq))).all()
            ids = [int(payload["ticket"]["id"]) for _, payload in calls]
            rows = {row.id: row for row in (await session.execute(select(
                m.Ticket.id, m.Ticket.service_id, m.Ticket.priority, m.Ticket.queued_at)
                .where(m.Ticket.id.in_(ids)))).all()} if ids else {}
            # What still waits counts too: a call past a ticket nobody called yet skipped it.
            waiting = (await session.execute(select(
                m.Ticket.service_id, m.Ticket.priority, func.min(m.Ticket.queued_at))
                .where(m.Ticket.status == "waiting")
                .group_by(m.Ticket.service_id, m.Ticket.priority))).all()
    finally:
        await db.dispose()
    earliest_waiting = {(s, p): q for s, p, q in waiting}
    lines: dict[tuple[int, bool], list[tuple[object, int]]] = {}
    for ticket_id in ids:
        row = rows[ticket_id]
        lines.setdefault((row.service_id, row.priority), []).append((row.queued_at, row.id))
    skipped = 0
    for line, called in lines.items():
        still = earliest_waiting.get(line)
        earliest_after = (still, 0) if still is not None else None
        for item in reversed(called):
            if earliest_after is not None and earliest_after < item:  # type: ignore[operator]
                skipped += 1  # an earlier ticket of its line was called later, or still waits
            earliest_after = item if earliest_after is None else min(  # type: ignore[type-var]
                earliest_after, item)
    return len(ids), skipped, last


async def call_flat_out(ports: list[int], counters: int, seconds: float) -> tuple[int, int]:
    """Every counter calling next for ``seconds``; (answered calls, refusals)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}", timeout=60) as http:
        login = await http.post("/api/v1/auth/token", json={"username": "officer",
                                                            "password": "bench-password"})
        officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        desks = [c["id"] for c in (await http.get("/api/v1/sites/ORDER/counters")).json()]
        for desk in desks[:counters]:
            await http.post(f"/api/v1/counters/{desk}/open", headers=officer)
    connections = [KeepAlive("127.0.0.1", ports[i % len(ports)]) for i in range(counters)]
    calls = refused = 0
    stop = time.monotonic() + seconds

    async def desk_loop(i: int) -> None:
        nonlocal calls, refused
        while time.monotonic() < stop:
            response = await connections[i].post(
                f"/api/v1/counters/{desks[i]}/call-next",
                {**officer, "Idempotency-Key": uuid.uuid4().hex})
            if response.status in (200, 204):
                calls += 1
            else:
                refused += 1
                if refused <= 3:
                    print(f"refused: {response.status} {response.text[:160]}", file=sys.stderr)

    try:
        await asyncio.gather(*(desk_loop(i) for i in range(counters)))
    finally:
        for connection in connections:
            connection.close()
    return calls, refused


def source_of(revision: str, into: Path) -> Path:
    """The tree of ``revision``, extracted to run from."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def revision_before_the_fix() -> str:
    first = subprocess.run(
        ["git", "log", "--reverse", "--format=%H", "-S", BEFORE_THE_FIX, "--",
         "server/services/queries.py"], cwd=ROOT, check=True, capture_output=True,
        text=True).stdout.split()
    if not first:
        raise SystemExit("no commit introduces the line locks here; pass --before REV")
    return f"{first[0]}^"


def run_turn(name: str, code: Path, url: str, workdir: Path, processes: int, counters: int,
             seconds: float, after_seq: int) -> dict[str, float]:
    ports = [free_port() for _ in range(processes)]
    for n in range(processes):
        (workdir / f"{name}-{n}").mkdir(exist_ok=True)
    servers = []
    try:
        for n, port in enumerate(ports):
            servers.append(start_antrean(["--database-url", url], workdir / f"{name}-{n}",
                                         port, env={}, timeout=120, code=code))
    except RuntimeError:
        for server in servers:
            server.terminate()
        for n in range(processes):
            log = workdir / f"{name}-{n}" / "server.log"
            if log.exists():
                print(log.read_text()[-3000:], file=sys.stderr)
        raise
    try:
        calls, refused = asyncio.run(call_flat_out(ports, counters, seconds))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(30)
    logged, skipped, last = asyncio.run(out_of_order(url, after_seq))
    return {"calls": calls, "refused": refused, "rate": calls / seconds,
            "tickets_called": logged, "out_of_order": skipped, "last_seq": last}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counters", type=int, default=200)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", help="the revision to compare with (default: the one "
                                         "before call-next held its lines)")
    args = parser.parse_args()
    raise_fd_limit()
    before = args.before or revision_before_the_fix()
    results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="antrean-order-") as tmp:
        workdir = Path(tmp)
        for name in results:
            (workdir / f"{name}-data").mkdir()
        codes = {"before": source_of(before, workdir / "before-code"), "after": ROOT}
        databases = {name: asyncio.run(postgres_database()) for name in results}
        try:
            for database in databases.values():
                asyncio.run(seed(f"{POSTGRES_ADMIN}/{database}", args.counters, args.services,
                                 args.waiting))
            print(f"seeded {args.counters} counters, {args.services} services, "
                  f"{args.waiting} waiting, twice; before = {before}", flush=True)
            seqs = dict.fromkeys(results, 0)
            for turn in range(args.rounds):
                for name in results:
                    outcome = run_turn(f"{name}{turn}", codes[name],
                                       f"{POSTGRES_ADMIN}/{databases[name]}", workdir,
                                       args.processes, args.counters, args.seconds, seqs[name])
                    seqs[name] = int(outcome["last_seq"])
                    results[name].append(outcome)
                    print(f"turn {turn + 1} {name}: {outcome['rate']:.0f} calls/s, "
                          f"{outcome['out_of_order']} out of order of "
                          f"{outcome['tickets_called']} tickets called, "
                          f"{outcome['refused']} refused", flush=True)
        finally:
            for database in databases.values():
                asyncio.run(drop_postgres(database))
    total = {name: {"rate": sum(r["calls"] for r in turns) / (args.seconds * args.rounds),
                    "out_of_order": sum(r["out_of_order"] for r in turns),
                    "called": sum(r["tickets_called"] for r in turns)}
             for name, turns in results.items()}
    ratio = total["after"]["rate"] / total["before"]["rate"]
    print(f"before: {total['before']['rate']:.0f} calls/s, {total['before']['out_of_order']} "
          f"out of order of {total['before']['called']} | after: "
          f"{total['after']['rate']:.0f} calls/s, {total['after']['out_of_order']} out of order "
          f"of {total['after']['called']} | after/before rate {ratio:.2f}", flush=True)
    print(json.dumps({"total": total, "turns": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
