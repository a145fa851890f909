"""Notifications' cost: the issue rate and the call-next rate of one hall with notifications on
(a webhook channel, many subscribed tickets) against the same hall with them off, in the same
run, in alternating turns; and the messages the outbox queues per second while counters call.

    python -m bench.notify.run --seconds 5 --rounds 3 --clients 8 --subscribed 300

Two `antrean serve` processes on SQLite files, one per hall (identical but for
``[site.notify]``); the "on" hall's webhook is a local HTTP server answering 200 at once. Each
turn: kiosk clients issue flat out for ``--seconds`` to one server, then to the other; then
officers at ``--counters`` counters call-next flat out the same way (every ticket of the "on"
hall subscribed, so each call writes its messages: called, and "N ahead" to those who moved
within N). Printed: the rates summed over the turns, on / off, and the outbox rows per second.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench.httpclient import KeepAlive
from bench.server import free_port, run_fast, start_antrean

KIOSK = {"Authorization": "Bearer bench-kiosk-token"}
SECRET = "bench-webhook-secret"


def hall(notify: str, counters: int) -> str:
    rows = "\n".join(f'[[counter]]\nnumber = {n}\nagency = "DUKCAPIL"\nservices = {{ KTP = 1 }}\n'
                     for n in range(1, counters + 1))
    return f'''[site]
code = "BENCH"
name = "Aula Uji Beban"
timezone = "Asia/Jakarta"
always_open = true
public_base_url = "http://127.0.0.1:8000"

[site.notify]
{notify}

[[agency]]
code = "DUKCAPIL"
name = "Dukcapil"

[[service]]
agency = "DUKCAPIL"
code = "KTP"
prefix = "A"
name = "KTP-el"

{rows}
[[device]]
kind = "kiosk"
name = "kiosk-1"
token = "bench-kiosk-token"

[[officer]]
username = "petugas"
name = "Petugas Uji"
agency = "DUKCAPIL"
password = "rahasia-petugas"
'''


def gateway() -> tuple[str, list[int]]:
    received = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            received[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/notify", received


async def flat_out(port: int, seconds: float, clients: int, request: object) -> int:
    """Requests answered 2xx by ``clients`` keep-alive clients sending flat out."""
    done = 0
    deadline = time.monotonic() + seconds

    async def one(n: int) -> None:
        nonlocal done
        client = KeepAlive("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                method, path, headers, body = request(n)  # type: ignore[operator]
                response = await client.request(method, path, headers, body)
                if 200 <= response.status < 300:
                    done += 1
        finally:
            client.close()

    await asyncio.gather(*(one(n) for n in range(clients)))
    return done


def login(port: int) -> dict[str, str]:
    token = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                       json={"username": "petugas", "password": "rahasia-petugas"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def outbox_rows(database: Path) -> int:
    """Messages the outbox holds (read from the hall's SQLite file, beside the server)."""
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM notify_outbox").fetchone()[0])


async def main(args: argparse.Namespace) -> None:
    url, received = gateway()
    work = Path(tempfile.mkdtemp(prefix="antrean-bench-notify-"))
    if args.unreachable:  # the outbox fills, the sender backs off: the derivation's cost alone
        url = f"http://127.0.0.1:{free_port()}/notify"
    notify = {"off": 'channel = "none"',
              "on": f'channel = "webhook"\nwebhook_url = "{url}"\nahead = 3\nper_hour = 1000'}
    ports: dict[str, int] = {}
    processes = []
    for mode in ("off", "on"):
        folder = work / mode
        (folder / "data").mkdir(parents=True)
        (folder / "hall.toml").write_text(hall(notify[mode], args.counters))
        ports[mode] = free_port()
        processes.append(start_antrean(["--config", str(folder / "hall.toml")], folder,
                                       ports[mode], env={"ANTREAN_WEBHOOK_SECRET": SECRET},
                                       timeout=60))
    try:
        subscribe_port = ports["on"]
        codes: list[str] = []

        def issue(n: int) -> tuple[str, str, dict[str, str], object]:
            return "POST", "/api/v1/sites/BENCH/tickets", KIOSK, {"service": "KTP"}

        # The "on" hall's line holds --subscribed subscribed tickets before any turn.
        with httpx.Client(base_url=f"http://127.0.0.1:{subscribe_port}") as client:
            for i in range(args.subscribed):
                ticket = client.post("/api/v1/sites/BENCH/tickets", json={"service": "KTP"},
                                     headers=KIOSK).json()
                codes.append(ticket["tracking_code"])
                client.post(f"/api/v1/tickets/{ticket['tracking_code']}/notify",
                            json={"phone": f"0812{i:08d}"}).raise_for_status()
        # The confirmations (and "N ahead" for the front) are delivered before the turns: a
        # backlog being sent would weigh on the first "on" turn alone.
        deadline = time.monotonic() + 120
        while (not args.unreachable and received[0] < args.subscribed
               and time.monotonic() < deadline):
            await asyncio.sleep(0.2)
        issued = {"off": 0, "on": 0}
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                issued[mode] += await flat_out(ports[mode], args.seconds, args.clients, issue)
        seconds = args.seconds * args.rounds
        print(f"issue, flat out ({args.clients} kiosk clients, {seconds:.0f} s each):")
        for mode in ("off", "on"):
            print(f"  notifications {mode:3}: {issued[mode] / seconds:8.1f} tickets/s")
        print(f"  on / off: {issued['on'] / max(1, issued['off']):.3f}")

        headers = {mode: login(port) for mode, port in ports.items()}
        counter_ids = {}
        for mode, port in ports.items():
            counters = httpx.get(f"http://127.0.0.1:{port}/api/v1/sites/BENCH/counters").json()
            counter_ids[mode] = [c["id"] for c in counters]
            for counter in counter_ids[mode]:
                httpx.post(f"http://127.0.0.1:{port}/api/v1/counters/{counter}/open",
                           headers=headers[mode]).raise_for_status()
        called = {"off": 0, "on": 0}
        sent_before = received[0]
        database = work / "on" / "data" / "antrean.db"
        queued_before = outbox_rows(database)
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                def call(n: int, mode: str = mode) -> tuple[str, str, dict[str, str], object]:
                    counter = counter_ids[mode][n % len(counter_ids[mode])]
                    return ("POST", f"/api/v1/counters/{counter}/call-next", headers[mode],
                            None)
                called[mode] += await flat_out(ports[mode], args.seconds,
                                               min(args.clients, args.counters), call)
        queued = outbox_rows(database) - queued_before
        print(f"call-next, flat out ({min(args.clients, args.counters)} officers; the first "
              f"{args.subscribed} tickets of the 'on' line subscribed):")
        for mode in ("off", "on"):
            print(f"  notifications {mode:3}: {called[mode] / seconds:8.1f} calls/s")
        print(f"  on / off: {called['on'] / max(1, called['off']):.3f}")
        await asyncio.sleep(2.0)  # the sender catches up
        delivered = received[0] - sent_before
        print(f"outbox: {queued} messages queued in the 'on' call turns "
              f"({queued / seconds:.1f}/s of its {seconds:.0f} s); {delivered} delivered to the "
              f"webhook by the end, {received[0]} in all (subscription confirmations included)")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one turn")
    parser.add_argument("--rounds", type=int, default=3, help="turns per mode")
    parser.add_argument("--clients", type=int, default=8, help="kiosk clients issuing")
    parser.add_argument("--counters", type=int, default=8, help="counters calling")
    parser.add_argument("--subscribed", type=int, default=1000,
                        help="subscribed tickets in the 'on' hall's line before the turns")
    parser.add_argument("--unreachable", action="store_true",
                        help="the webhook answers nothing: messages are queued, not sent")
    run_fast(main(parser.parse_args()))
