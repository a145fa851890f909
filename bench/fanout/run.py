"""bench/fanout: N display sockets on one server process; an officer calls; how long until the
last socket has `ticket.called`, against the bare `websockets` library broadcasting the same
message to the same N clients. Also the server's memory per idle socket, and the floor: N
plain loopback sends from one thread (``floor.py``). The sockets are read by a native client
(``crowd.c``) when a C compiler is at hand, so that the time is the servers'.

    python -m bench.fanout.run --sizes 1000,5000,10000 --calls 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from bench.fanout import native
from bench.fanout.floor import floor_ms
from bench.fanout.native import NativeCrowd
from bench.httpclient import KeepAlive
from bench.server import ROOT, free_port, raise_fd_limit, run_fast, start_antrean
from bench.wsclient import Crowd, percentile, rss_kib

MARKER = b'"ticket.called"'
HALL = """
[site]
code = "BENCH"
name = "Bench hall"
always_open = true
[[agency]]
code = "AG"
name = "Agency"
[[service]]
agency = "AG"
code = "SVC"
prefix = "A"
name = "Service"
[[counter]]
number = 1
agency = "AG"
services = { SVC = 1 }
[[device]]
kind = "display"
name = "display-1"
token = "bench-display-token"
[[device]]
kind = "kiosk"
name = "kiosk-1"
token = "bench-kiosk-token"
[[officer]]
username = "officer"
name = "Officer"
agency = "AG"
password = "bench-password"
"""


def make_crowd(binary: Path | None) -> Crowd | NativeCrowd:
    """The native crowd when it could be built, else the Python one (slower to read 10,000
    sockets than a server is to write them: then the client's time is measured)."""
    return Crowd(MARKER) if binary is None else NativeCrowd(binary, MARKER)


def start_hall(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    config = workdir / "hall.toml"
    config.write_text(HALL, encoding="utf-8")
    return start_antrean(["--config", str(config)], workdir, port,
                         env={"ANTREAN_HEARTBEAT_SECONDS": "3600"},
                         unset=("ANTREAN_DATABASE_URL",), timeout=60)  # the embedded SQLite


async def measure_antrean(sizes: list[int], calls: int, workdir: Path,
                          crowd_binary: Path | None) -> dict[int, dict]:
    port = free_port()
    server = start_hall(workdir, port)
    results: dict[int, dict] = {}
    crowd = make_crowd(crowd_binary)
    # The call goes through a minimal client, as the baseline's trigger is one frame: what is
    # timed is the server's work, not a general HTTP client's.
    trigger = KeepAlive("127.0.0.1", port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            kiosk = {"Authorization": "Bearer bench-kiosk-token"}
            for _ in range(calls * len(sizes) + 5):
                response = await http.post("/api/v1/sites/BENCH/tickets", headers=kiosk,
                                           json={"service": "SVC"})
                assert response.status_code == 201, response.text
            login = await http.post("/api/v1/auth/token", json={
                "username": "officer", "password": "bench-password"})
            officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            counter = (await http.get("/api/v1/sites/BENCH/counters")).json()[0]["id"]
            assert (await http.post(f"/api/v1/counters/{counter}/open",
                                    headers=officer)).status_code == 200
            await http.post(f"/api/v1/counters/{counter}/call-next", headers=officer)
            for size in sizes:
                snapshot = await http.get("/api/v1/sites/BENCH/snapshot", headers={
                    "Authorization": "Bearer bench-display-token"})
                head = snapshot.json()["seq"]
                before = rss_kib(server.pid)
                added = size - crowd.size
                began = time.monotonic()
                await crowd.connect("127.0.0.1", port,
                                    f"/api/v1/ws?token=bench-display-token&since={head}", added,
                                    ready=b'"synced"')
                connect_seconds = time.monotonic() - began
                await asyncio.sleep(1.0)
                per_socket = (rss_kib(server.pid) - before) / added
                latencies = []
                for _ in range(calls):
                    await crowd.arm()
                    t0 = time.monotonic()
                    response = await trigger.post(f"/api/v1/counters/{counter}/call-next",
                                                  officer)
                    assert response.status == 200, response.text
                    latencies.append(await crowd.wait() - t0)
                    await asyncio.sleep(0.05)
                results[size] = {"p50": percentile(latencies, 0.5) * 1000,
                                 "p99": percentile(latencies, 0.99) * 1000,
                                 "kib_per_socket": per_socket, "connect_s": connect_seconds}
                print(f"  antrean   N={size:>6}: p50 {results[size]['p50']:7.1f} ms  "
                      f"p99 {results[size]['p99']:7.1f} ms  {per_socket:5.1f} KiB/socket  "
                      f"(connected in {connect_seconds:.1f}s)", flush=True)
    finally:
        trigger.close()
        crowd.close()
        server.terminate()
        server.wait(30)
    return results


async def sample_message(workdir: Path) -> str:
    """A real ticket.called, to broadcast the same bytes in the baseline."""
    from datetime import UTC, datetime

    from common.protocol.events import CounterRef, TicketCalled, TicketRef

    return TicketCalled(
        site="BENCH", seq=123, at=datetime.now(UTC),
        ticket=TicketRef(id=17, number="A-017", service="SVC", service_name="Service",
                         service_name_en=None, agency="AG", agency_name="Agency",
                         priority=False, status="called"),
        counter=CounterRef(id=1, number=1, name="Loket 1", agency="AG"),
        announce="Nomor antrean A nol satu tujuh, silakan menuju loket satu",
        announce_en="Number A-017, please go to counter 1").model_dump_json()


async def measure_baseline(sizes: list[int], calls: int, workdir: Path,
                           crowd_binary: Path | None) -> dict[int, dict]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.fanout.baseline_server", str(port)],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write((await sample_message(workdir)).encode() + b"\n")
    server.stdin.flush()
    server.stdout.readline()
    results: dict[int, dict] = {}
    crowd = make_crowd(crowd_binary)
    try:
        async with connect(f"ws://127.0.0.1:{port}/") as trigger:
            for size in sizes:
                before = rss_kib(server.pid)
                added = size - crowd.size
                await crowd.connect("127.0.0.1", port, "/", added)
                await asyncio.sleep(1.0)
                per_socket = (rss_kib(server.pid) - before) / added
                latencies = []
                for _ in range(calls):
                    await crowd.arm()
                    t0 = time.monotonic()
                    await trigger.send("fire")
                    latencies.append(await crowd.wait() - t0)
                    await asyncio.sleep(0.05)
                results[size] = {"p50": percentile(latencies, 0.5) * 1000,
                                 "p99": percentile(latencies, 0.99) * 1000,
                                 "kib_per_socket": per_socket}
                print(f"  baseline  N={size:>6}: p50 {results[size]['p50']:7.1f} ms  "
                      f"p99 {results[size]['p99']:7.1f} ms  {per_socket:5.1f} KiB/socket",
                      flush=True)
    finally:
        crowd.close()
        server.kill()
        server.wait()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000",
                        help="socket counts, ascending (default 1000,5000,10000)")
    parser.add_argument("--calls", type=int, default=50, help="calls per size (default 50)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="antrean-fanout-") as tmp:
        workdir = Path(tmp)
        crowd_binary = native.build(workdir)
        print("fanout: time from call-next to the last socket having ticket.called, the "
              "sockets read by " + ("a native client" if crowd_binary else
                                     "a Python client (no C compiler)"))
        baseline = run_fast(measure_baseline(sizes, args.calls, workdir, crowd_binary))
        ours = run_fast(measure_antrean(sizes, args.calls, workdir, crowd_binary))
    floors = {size: floor_ms(size) for size in sizes}
    print("\n     N | antrean p50 / p99 (ms) | baseline p50 / p99 (ms) | p99 ratio | "
          "KiB/socket (antrean / baseline) | floor (ms)")
    for size in sizes:
        a, b = ours[size], baseline[size]
        print(f"{size:>6} | {a['p50']:8.1f} / {a['p99']:8.1f}   | {b['p50']:8.1f} / "
              f"{b['p99']:8.1f}     | {a['p99'] / b['p99']:6.2f}×  | "
              f"{a['kib_per_socket']:.1f} / {b['kib_per_socket']:.1f}             | "
              f"{floors[size]:6.1f}")
    print("floor: N loopback sends of a message from one thread, no protocol, nobody reading "
          "(bench/fanout/floor.py)")
    print(json.dumps({"antrean": ours, "baseline": baseline, "floor_ms": floors}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
