"""bench/online: online bookings per second on one server process over HTTP, and the weight
of the online pages.

Sites (each with services taking bookings), then from concurrent clients flat out: bookings
(`POST /api/v1/sites/{site}/bookings`, each a durable commit counting its slot's places, with an
Idempotency-Key) against the trivial endpoint (`GET /api/v1/sites`, no database) in alternating
turns of the same run. Then the bytes a phone receives for the booking page, the booking form
and the catalogue, with everything they load.

    python -m bench.online.run --db postgres --sites 200 --clients 64 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.dispatch.run import (
    bench_store,
    cpu_seconds,
    load,
    start_server,
)
from bench.httpclient import KeepAlive
from bench.server import free_port, raise_fd_limit
from bench.wsclient import percentile

SERVICES = ("A", "B", "C", "D")
EVERY_DAY = ", ".join(f'{d} = "07:00-16:00"' for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                        "sun"))


def site_toml(i: int) -> str:
    services = "".join(
        f'[[service]]\nagency = "AG"\ncode = "S{p}"\nprefix = "{p}"\nname = "Layanan {p}"\n'
        f'requirements = ["Fotokopi Kartu Keluarga", "KTP-el asli"]\n'
        f'online = {{ remote = true, booking = true, slot_minutes = 30, slot_capacity = 1000, '
        f'booking_days_ahead = 7 }}\n' for p in SERVICES)
    weights = ", ".join(f"S{p} = 1" for p in SERVICES)
    return (f'[site]\ncode = "S{i:03d}"\nname = "Hall {i}"\nalways_open = true\n'
            f'hours = {{ {EVERY_DAY} }}\n'
            f'[[agency]]\ncode = "AG"\nname = "Agency"\n{services}'
            f'[[counter]]\nnumber = 1\nagency = "AG"\nservices = {{ {weights} }}\n'
            f'[[device]]\nkind = "kiosk"\nname = "kiosk"\ntoken = "bench-kiosk-{i:03d}"\n')


async def seed(url: str, sites: int) -> None:
    from server.config.hall import parse_hall
    from server.services import sync
    from server.store.db import Database
    from server.store.migrate import upgrade

    db = Database(url, sqlite_synchronous="NORMAL")
    await upgrade(db)
    now = datetime.now(UTC)
    for i in range(sites):
        async with db.write() as session:
            await sync.apply_hall(session, parse_hall(site_toml(i)), now, always_open=True)
    await db.dispose()


SLOTS = [f"{h:02d}:{m:02d}" for h in range(7, 16) for m in (0, 30)]


async def measure(url: str, sites: int, clients: int, seconds: float, workdir: Path,
                  rounds: int) -> dict[str, object]:
    KeepAlive.resent = 0
    port = free_port()
    server = start_server(url, workdir, port)
    connections = [KeepAlive("127.0.0.1", port) for _ in range(clients)]
    days = [str((datetime.now(UTC) + timedelta(days=d)).date()) for d in range(2, 8)]
    person = itertools.count()
    refused: dict[str, int] = {}
    try:
        async def trivial(i: int) -> None:
            response = await connections[i].get("/api/v1/sites")
            assert response.status == 200

        async def book(i: int) -> None:
            n = next(person)
            site = n % sites
            body = {"service": f"S{SERVICES[n // sites % 4]}", "day": days[n % len(days)],
                    "slot": SLOTS[n % len(SLOTS)], "name": f"Warga {n}",
                    "phone": f"08{n:010d}"}
            response = await connections[i].post(f"/api/v1/sites/S{site:03d}/bookings",
                                                  {"Idempotency-Key": uuid.uuid4().hex}, body)
            if response.status != 201:
                code = json.loads(response.text)["error"]["code"]
                refused[code] = refused.get(code, 0) + 1

        server_cpu = {"trivial": 0.0, "book": 0.0}
        trivial_lat: list[float] = []
        book_lat: list[float] = []
        for _ in range(rounds):
            for name, request, latencies in (("trivial", trivial, trivial_lat),
                                             ("book", book, book_lat)):
                began = cpu_seconds(server.pid)
                latencies += await load(clients, seconds / rounds, request)
                server_cpu[name] += cpu_seconds(server.pid) - began
        weights = await page_weights(f"http://127.0.0.1:{port}")
    finally:
        for connection in connections:
            connection.close()
        server.terminate()
        server.wait(30)
    return {"trivial_rps": len(trivial_lat) / seconds, "book_rps": len(book_lat) / seconds,
            "book_p50_ms": percentile(book_lat, 0.5) * 1000,
            "book_p99_ms": percentile(book_lat, 0.99) * 1000,
            "refused": refused, "page_bytes": weights,
            "server_cpu_ms_per_request": {
                "trivial": 1000 * server_cpu["trivial"] / max(1, len(trivial_lat)),
                "book": 1000 * server_cpu["book"] / max(1, len(book_lat))},
            "resent_on_stale_connection": KeepAlive.resent}


async def page_weights(base: str) -> dict[str, int]:
    """Each page with the style sheet and scripts it links, as the bytes a phone receives
    (uncompressed: the server sends no gzip)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        booked = (await http.post("/api/v1/sites/S000/bookings", json={
            "service": "SA", "day": str((datetime.now(UTC) + timedelta(days=3)).date()),
            "slot": "10:00", "name": "Warga Timbang", "phone": "081299998888"})).json()
        remote = (await http.post("/api/v1/sites/S000/remote-tickets", json={
            "service": "SB", "name": "Warga Jauh", "phone": "081299997777"})).json()
        pages = {"catalogue": "/layanan/S000", "booking_form": "/online/S000/SA/pesan",
                 "booking_page": f"/online/{booked['code']}",
                 "remote_page": f"/online/{remote['code']}"}
        weights = {}
        for name, path in pages.items():
            page = await http.get(path)
            assert page.status_code == 200, (path, page.status_code)
            total = len(page.content)
            for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text):
                total += len((await http.get(asset)).content)
            weights[name] = total
        return weights


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    raise_fd_limit()
    results = {}
    for kind in args.db.split(","):
        with bench_store(kind, "antrean-online-") as (workdir, url):
            began = time.monotonic()
            asyncio.run(seed(url, args.sites))
            print(f"{kind}: seeded {args.sites} sites × {len(SERVICES)} online services in "
                  f"{time.monotonic() - began:.0f}s", flush=True)
            results[kind] = asyncio.run(measure(url, args.sites, args.clients, args.seconds,
                                                workdir, args.rounds))
        r = results[kind]
        cpu = r["server_cpu_ms_per_request"]
        assert isinstance(cpu, dict)
        trivial, booked = float(r["trivial_rps"]), float(r["book_rps"])  # type: ignore[arg-type]
        print(f"{kind}: trivial {trivial:.0f} req/s | bookings {booked:.0f}/s "
              f"({booked / trivial:.0%} of trivial; p50 {r['book_p50_ms']:.1f} ms, p99 "
              f"{r['book_p99_ms']:.1f} ms; refused {r['refused']}) | server CPU per request: "
              f"trivial {cpu['trivial']:.2f} ms, booking {cpu['book']:.2f} ms | pages (bytes "
              f"with their assets): {r['page_bytes']}", flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
