"""bench/scale: one server process against two (`antrean serve --workers N`) on PostgreSQL and
Redis, on the same machine, the same store and the same clients.

Per process count: the trivial endpoint (GET /api/v1/sites, no database), ticket issue,
call-next and a citizen's tracking read (GET /api/v1/tickets/CODE, which the tracking page polls),
each flat out from concurrent keep-alive clients, with the server's CPU time per request (all
its processes). The process counts take turns (1, 2, 1, 2, …), so a host whose
speed drifts moves both alike; the rates are of the summed turns. The hall comes from
bench/dispatch (sites × counters, a pool of waiting tickets).

    python -m bench.scale.run --sites 200 --counters 20 --waiting 100000 --clients 64
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
from collections import Counter
from pathlib import Path

from bench.dispatch.run import (
    POSTGRES_ADMIN,
    SERVICES,
    drop_postgres,
    load,
    postgres_database,
    seed,
)
from bench.httpclient import KeepAlive
from bench.server import free_port, open_desks, process_tree_cpu_seconds, raise_fd_limit, start_antrean

PHASES = ("trivial", "issue", "call_next", "track")
POOL = 24  # PostgreSQL connections per server process, in every turn


async def database_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving ``database`` (they run on this
    machine's cores too)."""
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN + "/postgres")
    try:
        pids = [row[0] for row in await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", database)]
    finally:
        await connection.close()
    return {pid: process_tree_cpu_seconds(pid) for pid in pids}


def start_server(url: str, workdir: Path, port: int, workers: int,
                 redis_url: str) -> subprocess.Popen[bytes]:
    # Fewer connections than the server's default forty per process: two processes' eighty
    # would take most of a PostgreSQL's hundred that other work on the machine shares.
    env = {"ANTREAN_REDIS_URL": redis_url, "ANTREAN_DATABASE_POOL": str(POOL),
           "ANTREAN_REDIS_CHANNEL": f"antrean:bench:{uuid.uuid4().hex}"}
    return start_antrean(["--database-url", url, "--workers", str(workers)], workdir, port,
                         env=env, timeout=180)


async def connect_spread(port: int, clients: int, workers: int
                         ) -> tuple[list[KeepAlive], Counter[int], int]:
    """``clients`` keep-alive connections, each worker holding its share; how many each took,
    and how many connections were opened again to get there.

    The kernel hands a new connection to whichever worker accepts first, and 64 connections
    opened at once mostly land on one. In a hall the connections are many and come and go, and
    an idle worker accepts first, so the load evens out; here it is evened out by opening a
    connection again when its worker already holds its share."""
    share = -(-clients // workers)
    connections: list[KeepAlive] = []
    spread: Counter[int] = Counter()
    reopened = 0
    while len(connections) < clients:
        connection = KeepAlive("127.0.0.1", port)
        pid = int((await connection.get("/livez")).json()["pid"])  # type: ignore[index]
        if spread[pid] >= share and reopened < 100 * clients:
            connection.close()
            reopened += 1
            continue
        spread[pid] += 1
        connections.append(connection)
    return connections, spread, reopened


async def one_turn(url: str, workdir: Path, workers: int, redis_url: str, sites: int,
                   clients: int, seconds: float) -> dict:
    database = url.rsplit("/", 1)[1]
    port = free_port()
    server = start_server(url, workdir, port, workers, redis_url)
    connections: list[KeepAlive] = []
    try:
        await asyncio.sleep(2)  # every worker started (the first answers /healthz alone)
        connections, spread, reopened = await connect_spread(port, clients, workers)

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
            codes.append(response.json()["tracking_code"])  # type: ignore[index]

        codes: list[str] = []

        async def track(i: int) -> None:
            # A citizen's tracking page polls its ticket: status, people ahead, estimate.
            response = await connections[i].get(f"/api/v1/tickets/{codes[i * 7919 % len(codes)]}")
            assert response.status == 200, response.text

        desks = await open_desks(f"http://127.0.0.1:{port}", clients, sites)

        async def call_next(i: int) -> None:
            counter, officer = desks[i]
            response = await connections[i].post(f"/api/v1/counters/{counter}/call-next",
                                                  {**officer, "Idempotency-Key": uuid.uuid4().hex})
            assert response.status in (200, 204), response.text

        result: dict = {"spread": sorted(spread.values(), reverse=True), "reopened": reopened}
        for name, request in zip(PHASES, (trivial, issue, call_next, track), strict=True):
            began = process_tree_cpu_seconds(server.pid)
            client_began = time.process_time()
            database_began = await database_cpu(database)
            latencies = await load(clients, seconds, request)
            database_ended = await database_cpu(database)
            result[name] = {"requests": len(latencies),
                            "server_cpu": process_tree_cpu_seconds(server.pid) - began,
                            "client_cpu": time.process_time() - client_began,
                            "database_cpu": sum(cpu - database_began.get(pid, 0.0)
                                                for pid, cpu in database_ended.items())}
        await asyncio.sleep(6)  # every worker has shared its figures (every 5 s)
        result["bus"] = bus_figures((await connections[0].get("/metrics")).text)
        return result
    except BaseException:
        log = (workdir / "server.log").read_text(encoding="utf-8", errors="replace")
        print("the server's log ends:\n" + log[-6000:], file=sys.stderr)
        raise
    finally:
        for connection in connections:
            connection.close()
        server.terminate()
        server.wait(60)


def bus_figures(text: str) -> dict[str, float]:
    """From /metrics, summed over the workers: events read from the log because the bus had
    not brought them in time, and the bus's deliveries from other processes and their lag."""
    sums = {"log_fills": 0.0, "deliveries": 0.0, "lag_seconds": 0.0}
    names = {"antrean_event_log_fills_total": "log_fills",
             "antrean_event_bus_lag_seconds_count": "deliveries",
             "antrean_event_bus_lag_seconds_sum": "lag_seconds"}
    for line in text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in names:
            sums[names[name]] += float(line.rsplit(" ", 1)[1])
    return sums


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--counters", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5,
                        help="each phase of each turn")
    parser.add_argument("--turns", type=int, default=3,
                        help="turns of each process count, alternating")
    parser.add_argument("--workers", default="1,2", help="the process counts compared")
    parser.add_argument("--redis", default=os.environ.get("ANTREAN_REDIS_URL",
                                                          "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    raise_fd_limit()
    counts = [int(n) for n in args.workers.split(",")]
    keys = ("requests", "server_cpu", "client_cpu", "database_cpu")
    totals = {n: {phase: dict.fromkeys(keys, 0.0) for phase in PHASES} for n in counts}
    spreads: dict[int, list[list[int]]] = {n: [] for n in counts}
    pg_name = asyncio.run(postgres_database())
    url = f"{POSTGRES_ADMIN}/{pg_name}"
    try:
        began = time.monotonic()
        asyncio.run(seed(url, args.sites, args.counters, args.waiting))
        print(f"seeded {args.sites} sites × {args.counters} counters, {args.waiting} waiting "
              f"in {time.monotonic() - began:.0f}s", flush=True)
        with tempfile.TemporaryDirectory(prefix="antrean-scale-") as tmp:
            for turn in range(args.turns):
                for workers in counts:
                    result = asyncio.run(one_turn(url, Path(tmp), workers, args.redis,
                                                  args.sites, args.clients, args.seconds))
                    spreads[workers].append(result["spread"])
                    for phase in PHASES:
                        for key in keys:
                            totals[workers][phase][key] += result[phase][key]
                    rates = ", ".join(f"{phase} {result[phase]['requests'] / args.seconds:.0f}/s"
                                      for phase in PHASES)
                    bus = result["bus"]
                    lag = bus["lag_seconds"] / bus["deliveries"] * 1000 if bus["deliveries"] else 0
                    print(f"turn {turn + 1}, {workers} process(es): {rates}; connections per "
                          f"process {result['spread']}; bus: {bus['deliveries']:.0f} deliveries "
                          f"from other processes, mean lag {lag:.1f} ms, {bus['log_fills']:.0f} "
                          "reads of the log for late events", flush=True)
    finally:
        asyncio.run(drop_postgres(pg_name))
    elapsed = args.seconds * args.turns
    summary: dict = {}
    for workers in counts:
        summary[workers] = {phase: {
            "rate": totals[workers][phase]["requests"] / elapsed,
            "server_cpu_ms": 1000 * totals[workers][phase]["server_cpu"]
            / max(1, totals[workers][phase]["requests"]),
            "database_cpu_ms": 1000 * totals[workers][phase]["database_cpu"]
            / max(1, totals[workers][phase]["requests"]),
            "client_cpu_share": totals[workers][phase]["client_cpu"] / elapsed,
        } for phase in PHASES}
        line = " | ".join(f"{phase} {s['rate']:.0f}/s (CPU a request: server "
                          f"{s['server_cpu_ms']:.2f} ms, PostgreSQL {s['database_cpu_ms']:.2f} ms; "
                          f"client {s['client_cpu_share']:.0%} of a core)"
                          for phase, s in summary[workers].items())
        print(f"{workers} process(es): {line}")
    base = counts[0]
    for workers in counts[1:]:
        ratios = ", ".join(f"{phase} {summary[workers][phase]['rate'] / summary[base][phase]['rate']:.2f}×"
                           for phase in PHASES)
        print(f"{workers} processes against {base}: {ratios} (target: issue and call-next ≥ 1.6×)")
    print(json.dumps({"summary": summary, "spreads": spreads}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
