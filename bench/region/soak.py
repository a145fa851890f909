"""bench/region: a busy hall held offline for days, then synced with its centre.

    python -m bench.region.soak [--days 3] [--tickets-per-day 1500] [--speed 600]
                                [--overhead 3000] [--workdir DIR]

1. A site server (the sample hall: 15 agencies, 42 services, 43 counters, open around the
   clock) whose upstream nothing answers plays ``--days`` seeded days (`antrean simulate
   --server`, seeds 1, 2, 3…), one after the other. The simulator plays the site's service day,
   so the days' traffic all falls on one date: three days' worth of tickets, events and audit
   rows, held in the outbox.
2. Then the centre starts where the upstream points. Printed: the time from the centre
   answering to the site being caught up (and per day's traffic), the compressed bytes the
   centre received per ticket, and whether the centre's figures for the hall equal the hall's.
   Baselines from the same run: the hall's whole database file gzipped (sending the file
   instead of its changes) and the time gzip takes over it.
3. ``--overhead N``: what capturing costs the hall: N tickets issued as fast as 8 kiosks can
   over HTTP, to a fresh server that captures (it has an upstream) and to one that does not,
   in alternating turns; tickets per second of each.

Targets (issue 23): a day catches up in under a minute here; under 2 KB per ticket.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.httpclient import KeepAlive
from bench.server import ROOT, free_port, start_antrean
from server.config.hall import load_hall, sample_hall_path
from server.region.mirror import mirror_url

KIOSK = {"Authorization": "Bearer demo-kiosk-1"}


def busy_hall(path: Path) -> Path:
    """The sample hall, open around the clock, in a zone where it is about midday now (the
    played days must not cross the hall's midnight)."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12
    zone = f"Etc/GMT{-offset:+d}" if offset else "UTC"
    text = sample_hall_path().read_text(encoding="utf-8")
    text = text.replace('timezone = "Asia/Jakarta"', f'timezone = "{zone}"', 1)
    text = text.replace("always_open = false", "always_open = true", 1)
    path.write_text(text, encoding="utf-8")
    return path


def antrean(*arguments: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "common.cli", "--log-level", "WARNING",
                           *arguments], cwd=ROOT, capture_output=True, text=True, input=stdin,
                          check=False)
    if done.returncode:
        raise SystemExit(f"antrean {' '.join(arguments)} failed: {done.stderr}")
    return done.stdout


def login(url: str, username: str, password: str) -> dict[str, str]:
    answer = httpx.post(f"{url}/api/v1/auth/token", json={"username": username,
                                                           "password": password}, timeout=30)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def uplink(url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/api/v1/uplink", timeout=30).json())


def wait_caught_up(url: str) -> None:
    while (state := uplink(url))["state"] != "caught_up" or state["backlog"]:
        time.sleep(0.05)


def close_the_day(url: str, database: Path, hall_file: Path) -> int:
    """Counters the played days left open are closed, their tickets in hand finished first:
    otherwise open time grows with the clock, and the hall and the centre, asked a moment
    apart, could not agree on it."""
    staff = {o.agency: (o.username, o.password) for o in load_hall(hall_file).officer
             if o.role == "officer" and o.agency and o.password}
    with sqlite3.connect(database) as db:
        open_counters = db.execute(
            "SELECT c.id, a.code, t.id, t.status FROM counters c JOIN agencies a "
            "ON a.id = c.agency_id LEFT JOIN tickets t ON t.id = c.current_ticket_id "
            "WHERE c.state != 'closed'").fetchall()
    sessions: dict[str, dict[str, str]] = {}
    for counter, agency, ticket, status in open_counters:
        if agency not in sessions:
            sessions[agency] = login(url, *staff[agency])
        officer = sessions[agency]
        if ticket is not None:
            step = "finish" if status == "serving" else "no-show"
            httpx.post(f"{url}/api/v1/tickets/{ticket}/{step}", headers=officer,
                       timeout=30).raise_for_status()
        httpx.post(f"{url}/api/v1/counters/{counter}/close", headers=officer,
                   timeout=30).raise_for_status()
    return len(open_counters)


def soak(work: Path, days: int, per_day: int, speed: float) -> None:
    hall_file = busy_hall(work / "hall.toml")
    code = load_hall(hall_file).site.code
    centre_dir = work / "centre"
    token = antrean("region", "add", code, "--hall", str(hall_file), "--data-dir",
                    str(centre_dir)).strip().splitlines()[-1]
    antrean("officer", "add", "wilayah", "--role", "manager", "--password-stdin", "--data-dir",
            str(centre_dir), stdin="rahasia-wilayah\n")
    centre_port, site_port = free_port(), free_port()
    (work / "site").mkdir()
    site = start_antrean(["--config", str(hall_file), "--upstream",
                          f"http://127.0.0.1:{centre_port}"], work / "site", site_port,
                         env={"ANTREAN_SITE_TOKEN": token}, timeout=120)
    site_url = f"http://127.0.0.1:{site_port}"
    centre = None
    try:
        played_started = time.monotonic()
        for seed in range(1, days + 1):
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "common.cli", "--log-level", "ERROR", "simulate",
                 "--server", site_url, "--config", str(hall_file), "--speed", str(speed),
                 "--tickets-per-day", str(per_day), "--seed", str(seed)],
                cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode:
                raise SystemExit(f"the simulated day failed: {done.stderr[-2000:]}")
            print(f"  day {seed} played in {time.monotonic() - started:.0f} s "
                  f"(link down: {uplink(site_url)['state']})", flush=True)
        played = time.monotonic() - played_started
        database = work / "site" / "data" / "antrean.db"
        with sqlite3.connect(database) as db:
            tickets = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
            events = db.execute("SELECT count(*) FROM events").fetchone()[0]
            held, raw = db.execute(
                "SELECT count(*), coalesce(sum(length(image)), 0) FROM sync_outbox").fetchone()
        before = uplink(site_url)

        centre_dir.mkdir(exist_ok=True)
        centre = _start_centre(centre_dir, centre_port)
        answering = time.monotonic()
        noticed = None
        while True:
            state = uplink(site_url)
            if noticed is None and state["state"] != "offline":
                noticed = time.monotonic()
            if state["state"] == "caught_up" and state["backlog"] == 0:
                break
            time.sleep(0.05)
        caught_up = time.monotonic() - (noticed or answering)
        waited = (noticed or answering) - answering

        with sqlite3.connect(centre_dir / "antrean.db") as db:
            bytes_in = db.execute("SELECT bytes_in FROM region_sites").fetchone()[0]
        mirror = Path(mirror_url(f"sqlite:///{centre_dir / 'antrean.db'}", code)
                      .split("///", 1)[1])
        with sqlite3.connect(mirror) as db:
            batches = db.execute("SELECT batches FROM mirror_state").fetchone()[0]
        gzip_started = time.monotonic()
        whole = len(gzip.compress(database.read_bytes(), compresslevel=6))
        gzip_seconds = time.monotonic() - gzip_started

        closed = close_the_day(site_url, database, hall_file)
        day = httpx.get(f"{site_url}/api/v1/sites", timeout=30).json()[0]["service_day"]
        params = {"date_from": day, "date_to": day}
        manager = login(site_url, "manajer", "demo-manajer")
        wait_caught_up(site_url)
        own = httpx.get(f"{site_url}/api/v1/sites/{code}/stats", params=params, timeout=120,
                        headers=manager).json()
        held_at_centre = httpx.get(
            f"http://127.0.0.1:{centre_port}/api/v1/region/sites/{code}/stats", params=params,
            timeout=120, headers=login(f"http://127.0.0.1:{centre_port}", "wilayah",
                                       "rahasia-wilayah")).json()
        differ = sorted(k for k in own if k != "generated_at" and own[k] != held_at_centre.get(k))

        print(f"\n{days} days' traffic of {code}: {tickets} tickets, {events} events, played "
              f"in {played:.0f} s with the link down")
        print(f"  held at the hall: {held} changes, {raw / 1e6:.1f} MB of rows "
              f"({raw / max(1, tickets):.0f} B per ticket uncompressed); the hall said "
              f"{before['backlog']} changes wait")
        print(f"  the hall found the link {waited:.1f} s after the centre answered (its "
              "backoff), then caught up in "
              f"{caught_up:.1f} s ({caught_up / days:.1f} s per day's traffic; target < 60 s), "
              f"{batches} batches")
        print(f"  sent {bytes_in / 1e6:.2f} MB compressed: {bytes_in / max(1, tickets):.0f} B per "
              "ticket (target < 2048)")
        print(f"  baseline, the hall's whole database gzipped: {whole / 1e6:.2f} MB, "
              f"{whole / max(1, tickets):.0f} B per ticket, gzip alone {gzip_seconds:.1f} s; "
              f"sent / baseline = {bytes_in / max(1, whole):.2f}")
        print(f"  (then {closed} counters left open were closed, and that sent too)")
        print("  the centre's statistics for the hall equal the hall's own: "
              + ("yes" if not differ else "NO, they differ in " + ", ".join(differ)))
    finally:
        for process in (site, centre):
            if process is not None:
                process.terminate()
                process.wait(30)


def _start_centre(centre_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """The centre on its data folder (where `antrean region add` wrote), logging beside it."""
    environment = {**os.environ, "ANTREAN_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "common.cli", "serve", "--data-dir", str(centre_dir), "--port",
         str(port)], cwd=ROOT, env=environment,
        stdout=open(centre_dir.parent / "centre.log", "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.terminate()
    raise SystemExit("the centre did not start")


async def _issue(port: int, site: str, services: list[str], count: int) -> float:
    clients = [KeepAlive("127.0.0.1", port) for _ in range(8)]
    issued = 0

    async def kiosk(client: KeepAlive, n: int) -> None:
        nonlocal issued
        for i in range(n):
            answer = await client.post(
                f"/api/v1/sites/{site}/tickets", {**KIOSK, "Idempotency-Key": uuid.uuid4().hex},
                {"service": services[i % len(services)]})
            if answer.status != 201:
                raise SystemExit(f"issue failed: {answer.status} {answer.text}")
            issued += 1

    started = time.perf_counter()
    await asyncio.gather(*(kiosk(c, count // len(clients)) for c in clients))
    seconds = time.perf_counter() - started
    for client in clients:
        client.close()
    return issued / seconds


def overhead(work: Path, count: int, turns: int = 4) -> None:
    hall_file = busy_hall(work / "overhead.toml")
    hall = load_hall(hall_file)
    services = [s.code for s in hall.service if s.daily_quota is None][:12]
    ports = {"captured": free_port(), "plain": free_port()}
    processes = {}
    for name, port in ports.items():
        folder = work / f"overhead-{name}"
        folder.mkdir()
        upstream = ["--upstream", f"http://127.0.0.1:{free_port()}"] if name == "captured" else []
        processes[name] = start_antrean(["--config", str(hall_file), *upstream], folder, port,
                                        env={"ANTREAN_SITE_TOKEN": "site_nobody"}, timeout=120)
    rates: dict[str, list[float]] = {name: [] for name in ports}
    try:
        for _ in range(turns):
            for name, port in ports.items():
                rates[name].append(asyncio.run(_issue(port, hall.site.code, services,
                                                      count // turns)))
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(30)
    totals = {name: sum(r) / len(r) for name, r in rates.items()}
    print(f"\ncapturing's cost on the issue path ({count} tickets each, 8 kiosks, {turns} "
          "alternating turns):")
    for name, rate in totals.items():
        print(f"  {name:9} {rate:7.0f} tickets/s  (turns: "
              + ", ".join(f"{r:.0f}" for r in rates[name]) + ")")
    print(f"  captured / plain = {totals['captured'] / totals['plain']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--tickets-per-day", type=int, default=1500)
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--overhead", type=int, default=3000, metavar="N",
                        help="tickets issued to each server for capturing's cost (0: skip)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the stores here (default: a temporary folder)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="antrean-region-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        soak(work, args.days, args.tickets_per_day, args.speed)
        if args.overhead:
            overhead(work, args.overhead)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
