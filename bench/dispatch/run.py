"""bench/dispatch: a national-scale day on one server process over HTTP.

Sites × counters, a pool of waiting tickets; tickets issued per second (each a durable commit)
and call-next latency under concurrent clients flat out, then paced at a steady rate (open
loop), on SQLite and PostgreSQL. Baseline from the same run: a trivial endpoint on the same
server stack (GET /api/v1/sites, no database), flat out and paced alike.

    python -m bench.dispatch.run --sites 200 --counters 20 --waiting 100000 --clients 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.httpclient import KeepAlive
from bench.server import free_port, open_desks, raise_fd_limit, start_antrean
from bench.wsclient import percentile

SERVICES = ("A", "B", "C", "D")
POSTGRES_ADMIN = os.environ.get("ANTREAN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def site_toml(i: int, counters: int) -> str:
    services = "".join(f'[[service]]\nagency = "AG"\ncode = "S{p}"\nprefix = "{p}"\n'
                       f'name = "Layanan {p}"\n' for p in SERVICES)
    weights = ", ".join(f"S{p} = 1" for p in SERVICES)
    desks = "".join(f'[[counter]]\nnumber = {n}\nagency = "AG"\nservices = {{ {weights} }}\n'
                    for n in range(1, counters + 1))
    return (f'[site]\ncode = "S{i:03d}"\nname = "Hall {i}"\nalways_open = true\n'
            f'[[agency]]\ncode = "AG"\nname = "Agency"\n{services}{desks}'
            f'[[device]]\nkind = "kiosk"\nname = "kiosk"\ntoken = "bench-kiosk-{i:03d}"\n'
            f'[[officer]]\nusername = "officer{i:03d}"\nname = "Officer"\nagency = "AG"\n'
            f'password = "bench-password"\n')


async def seed(url: str, sites: int, counters: int, waiting: int) -> None:
    """The hall through the service layer; the waiting pool in bulk, as the service layer would
    have left it (numbers, daily sequences, the line-head index), so that 100,000 tickets take
    seconds rather than the better part of an hour."""
    from sqlalchemy import insert

    from server.config.hall import parse_hall
    from server.domain.numbering import format_number, service_day
    from server.services import sync
    from server.services.catalog import Catalog
    from server.services.tickets import new_tracking_code
    from server.store import models as m
    from server.store.db import Database
    from server.store.migrate import upgrade

    db = Database(url, sqlite_synchronous="NORMAL")
    await upgrade(db)
    now = datetime.now(UTC)
    for i in range(sites):
        async with db.write() as session:
            await sync.apply_hall(session, parse_hall(site_toml(i, counters)), now,
                                  always_open=True)
    async with db.read() as session:
        catalog = await Catalog.load(session)
    per_service = waiting // sites // len(SERVICES)
    for site in catalog.sites.values():
        day = service_day(now, site.timezone)
        tickets, sequences = [], []
        for service in (s for s in catalog.services.values() if s.site_id == site.id):
            sequences.append({"service_id": service.id, "service_day": day,
                              "last_sequence": per_service})
            tickets += [{
                "site_id": site.id, "service_id": service.id, "issued_service_id": service.id,
                "service_day": day, "sequence": n, "number": format_number(service.prefix, n),
                "priority": False, "channel": "kiosk", "tracking_code": new_tracking_code(),
                "status": "waiting", "issued_at": now, "queued_at": now,
            } for n in range(1, per_service + 1)]
        async with db.write() as session:
            await session.execute(insert(m.DailySequence), sequences)
            if tickets:
                await session.execute(insert(m.Ticket), tickets)
    # A hall's first day rolls up the month's earlier days once (a month's roll-up needs them
    # all); they have no tickets, so each leaves only its marker. With 200 sites that is
    # thousands of days, which housekeeping would otherwise work through while we measure.
    marks = []
    for site in catalog.sites.values():
        today = service_day(now, site.timezone)
        marks += [{"site_id": site.id, "grain": "d", "period_start": today.replace(day=d),
                   "built_at": now} for d in range(1, today.day)]
    if marks:
        async with db.write() as session:
            await session.execute(insert(m.StatsPeriod), marks)
    await db.dispose()


def start_server(url: str, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    return start_antrean(["--database-url", url], workdir, port, env={}, timeout=120)


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(clients: int, seconds: float, request) -> list[float]:
    """Run ``request(client_index)`` from ``clients`` loops for ``seconds``; latencies."""
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def loop(i: int) -> None:
        while time.monotonic() < stop:
            began = time.monotonic()
            await request(i)
            latencies.append(time.monotonic() - began)

    await asyncio.gather(*(loop(i) for i in range(clients)))
    return latencies


async def paced(rate: float, seconds: float, desks: int, request) -> list[float]:
    """Open loop: a call-next every 1/rate seconds, by the desks in turn. A desk still busy
    with its previous call makes the next one wait, and latency counts from when the call
    was due, so a slow server cannot hide its backlog by slowing the callers down."""
    latencies: list[float] = []
    locks = [asyncio.Lock() for _ in range(desks)]
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def one(i: int, due: float) -> None:
        async with locks[i % desks]:
            await request(i % desks)
        latencies.append(loop.time() - due)

    calls = []
    for i in range(int(rate * seconds)):
        due = began + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        calls.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*calls)
    return latencies


async def measure(url: str, sites: int, clients: int, seconds: float, workdir: Path,
                  call_rate: float, rounds: int) -> dict:
    KeepAlive.resent = 0
    port = free_port()
    server = start_server(url, workdir, port)
    # One keep-alive connection per client, each with one request at a time.
    connections = [KeepAlive("127.0.0.1", port) for _ in range(clients)]
    try:
        async def trivial(i: int) -> None:
            response = await connections[i].get("/api/v1/sites")
            assert response.status == 200

        async def issue(i: int) -> None:
            site = i % sites
            headers = {"Authorization": f"Bearer bench-kiosk-{site:03d}",
                       "Idempotency-Key": uuid.uuid4().hex}
            response = await connections[i].post(f"/api/v1/sites/S{site:03d}/tickets",
                                                  headers, {"service": f"S{SERVICES[i % 4]}"})
            assert response.status == 201, response.text

        desks = await open_desks(f"http://127.0.0.1:{port}", clients, sites)

        async def call_next(i: int) -> None:
            counter, officer = desks[i]
            headers = {**officer, "Idempotency-Key": uuid.uuid4().hex}
            response = await connections[i].post(f"/api/v1/counters/{counter}/call-next",
                                                  headers)
            assert response.status in (200, 204), response.text

        # The trivial endpoint and the issue take turns, so that a machine whose speed drifts
        # (a shared host) moves both alike; their shares are of the summed turns.
        server_cpu = {"trivial": 0.0, "issue": 0.0}
        trivial_lat: list[float] = []
        issue_lat: list[float] = []
        for _ in range(rounds):
            for name, request, latencies in (("trivial", trivial, trivial_lat),
                                             ("issue", issue, issue_lat)):
                began = cpu_seconds(server.pid)
                latencies += await load(clients, seconds / rounds, request)
                server_cpu[name] += cpu_seconds(server.pid) - began
        began = cpu_seconds(server.pid)
        call_lat = await load(clients, seconds, call_next)
        server_cpu["call_next"] = cpu_seconds(server.pid) - began
        paced_trivial = await paced(call_rate, seconds, clients, trivial)
        paced_lat = await paced(call_rate, seconds, clients, call_next)
    finally:
        for connection in connections:
            connection.close()
        server.terminate()
        server.wait(30)
    return {"trivial_rps": len(trivial_lat) / seconds, "issue_rps": len(issue_lat) / seconds,
            "issue_p99_ms": percentile(issue_lat, 0.99) * 1000,
            "call_next_p50_ms": percentile(call_lat, 0.5) * 1000,
            "call_next_p99_ms": percentile(call_lat, 0.99) * 1000,
            "call_next_rps": len(call_lat) / seconds, "paced_rate": call_rate,
            "paced_trivial_p50_ms": percentile(paced_trivial, 0.5) * 1000,
            "paced_trivial_p99_ms": percentile(paced_trivial, 0.99) * 1000,
            "paced_p50_ms": percentile(paced_lat, 0.5) * 1000,
            "paced_p99_ms": percentile(paced_lat, 0.99) * 1000,
            "server_cpu_ms_per_request": {
                "trivial": 1000 * server_cpu["trivial"] / len(trivial_lat),
                "issue": 1000 * server_cpu["issue"] / len(issue_lat),
                "call_next": 1000 * server_cpu["call_next"] / len(call_lat)},
            "resent_on_stale_connection": KeepAlive.resent}


async def postgres_database() -> str:
    import asyncpg

    name = f"antrean_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(POSTGRES_ADMIN + "/postgres")
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return name


async def drop_postgres(name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN + "/postgres")
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


@contextmanager
def bench_store(kind: str, prefix: str) -> Iterator[tuple[Path, str]]:
    """A work folder and an empty store of ``kind`` ("postgres": a new database, dropped
    after; else SQLite in the folder)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        if kind != "postgres":
            yield workdir, f"sqlite:///{workdir / 'data' / 'antrean.db'}"
            return
        pg_name = asyncio.run(postgres_database())
        try:
            yield workdir, f"{POSTGRES_ADMIN}/{pg_name}"
        finally:
            asyncio.run(drop_postgres(pg_name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--counters", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=10,
                        help="turns the trivial endpoint and the issue take, each of "
                             "SECONDS / ROUNDS, alternating")
    parser.add_argument("--call-rate", type=float, default=10,
                        help="call-nexts per second in the open-loop phase (4,000 counters "
                             "each calling every 6 to 7 minutes make about 10)")
    args = parser.parse_args()
    raise_fd_limit()
    results = {}
    for kind in args.db.split(","):
        with bench_store(kind, "antrean-dispatch-") as (workdir, url):
            began = time.monotonic()
            asyncio.run(seed(url, args.sites, args.counters, args.waiting))
            print(f"{kind}: seeded {args.sites} sites × {args.counters} counters, "
                  f"{args.waiting} waiting in {time.monotonic() - began:.0f}s", flush=True)
            results[kind] = asyncio.run(measure(url, args.sites, args.clients, args.seconds,
                                                workdir, args.call_rate, args.rounds))
        r = results[kind]
        cpu = r["server_cpu_ms_per_request"]
        print(f"{kind}: trivial {r['trivial_rps']:.0f} req/s | issue {r['issue_rps']:.0f}/s "
              f"({r['issue_rps'] / r['trivial_rps']:.0%} of trivial) | call-next p50 "
              f"{r['call_next_p50_ms']:.1f} ms p99 {r['call_next_p99_ms']:.1f} ms "
              f"({r['call_next_rps']:.0f}/s, {args.clients} clients flat out) | paced at "
              f"{r['paced_rate']:.0f}/s: p50 {r['paced_p50_ms']:.1f} ms p99 "
              f"{r['paced_p99_ms']:.1f} ms (trivial {r['paced_trivial_p50_ms']:.1f} / "
              f"{r['paced_trivial_p99_ms']:.1f} ms) | server CPU per request: trivial "
              f"{cpu['trivial']:.2f} ms, issue {cpu['issue']:.2f} ms, call-next "
              f"{cpu['call_next']:.2f} ms | resent on a stale connection: "
              f"{r['resent_on_stale_connection']}", flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
