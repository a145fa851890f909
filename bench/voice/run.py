"""bench/voice: browser displays on one server process, each hearing every call of its hall.

N display equivalents follow one hall's event stream (WebSocket) and, for each call, do what
/display does: ask the planner (POST …/announcements/next) and fetch the sentence's audio
(GET …/audio; the chime once, as a browser keeps it). An officer of that hall calls next every
INTERVAL seconds. Measured per call and display: call → event on the socket (the baseline: the
fan-out alone, same run) and call → audio ready (planned and fetched), p50 / p99; and the share
of audio requests answered from what was already rendered (or being rendered for another
display) rather than rendering anew. Twice: on a quiet server, then while the dispatch bench's
load runs on the same process (officers of the other sites calling next flat out).

    python -m bench.voice.run --displays 200 --calls 20 --interval 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.dispatch.run import cpu_seconds, load, seed, site_toml
from bench.httpclient import KeepAlive
from bench.server import free_port, raise_fd_limit, run_fast, start_antrean
from bench.wsclient import Subscriber, percentile

DISPLAY_TOKEN = "bench-display-token"
HALL = "S000"


async def add_displays(url: str, counters: int, pack: Path | None) -> None:
    """The measured hall gets a display token (and, with --pack, its voice pack)."""
    from server.config.hall import parse_hall
    from server.services import sync
    from server.store.db import Database

    text = site_toml(0, counters) + (f'[[device]]\nkind = "display"\nname = "tv"\n'
                                     f'token = "{DISPLAY_TOKEN}"\n')
    if pack is not None:
        text = text.replace("[[agency]]", f'[site.voice]\npack = "{pack.resolve()}"\n[[agency]]', 1)
    db = Database(url)
    async with db.write() as session:
        from datetime import UTC, datetime

        await sync.apply_hall(session, parse_hall(text), datetime.now(UTC), always_open=True)
    await db.dispose()


@dataclass
class Display:
    """One /display: its socket, two keep-alive HTTP connections (a browser opens several),
    what it measured."""

    http: KeepAlive
    audio_http: KeepAlive
    events: dict[str, float] = field(default_factory=dict)  # number → when the event came
    ready: dict[str, float] = field(default_factory=dict)  # number → when its audio was in
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    chime: bool = False
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock)
    _fetching: asyncio.Lock = field(default_factory=asyncio.Lock)  # one request per connection
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def on_text(self, payload: bytes) -> None:
        if b'"ticket.called"' not in payload:
            return
        arrived = time.monotonic()
        event = json.loads(payload)
        self.events[event["ticket"]["number"]] = arrived
        task = asyncio.get_running_loop().create_task(self._hear(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _get(self, http: KeepAlive, url: str) -> bytes:
        answer = await http.get(url, {"Authorization": f"Bearer {DISPLAY_TOKEN}"})
        assert answer.status == 200 and answer.body[:4] == b"RIFF", answer.text[:200]
        if "x-antrean-audio" in answer.headers:
            self.outcomes[answer.headers["x-antrean-audio"]] += 1
        return answer.body

    async def _hear(self, event: dict) -> None:
        """As /display: the call's own sentence fetched while the planner is asked, then the
        utterance's audio (the chime once: a browser keeps it)."""
        number = event["ticket"]["number"]
        own = f"/api/v1/sites/{HALL}/audio?" + urlencode({"language": "id", "text": event["announce"]})
        async def fetch_own() -> bytes:
            async with self._fetching:
                return await self._get(self.audio_http, own)

        prefetch = asyncio.get_running_loop().create_task(fetch_own())
        async with self._busy:  # one utterance at a time, as the page's speaker
            call = {"ticket_id": event["ticket"]["id"], "number": number,
                    "counter_number": event["counter"]["number"], "agency": event["counter"]["agency"],
                    "age_seconds": 0.0, "recall": False}
            try:
                plan = await self.http.post(f"/api/v1/sites/{HALL}/announcements/next",
                                            {"Authorization": f"Bearer {DISPLAY_TOKEN}"},
                                            {"calls": [call], "languages": ["id"]})
                assert plan.status == 200, plan.text
                utterance = plan.json()["utterance"]  # type: ignore[index]
                urls = [s["audio"] for s in utterance["sentences"] if s["text"] != event["announce"]]
                if not self.chime:
                    urls.insert(0, utterance["chime"])
                    self.chime = True
                for url in urls:
                    await self._get(self.http, url)
                await prefetch
                self.ready[number] = time.monotonic()
            except Exception as exc:
                self.errors.append(f"{number}: {exc}")


async def measure(port: int, displays: int, calls: int, interval: float, sites: int,
                  dispatch_clients: int, server_pid: int) -> dict:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        async def officer(site: int) -> dict[str, str]:
            login = await http.post("/api/v1/auth/token", json={
                "username": f"officer{site:03d}", "password": "bench-password"})
            return {"Authorization": f"Bearer {login.json()['access_token']}"}

        hall_officer = await officer(0)
        hall_counters = [c["id"] for c in (await http.get(f"/api/v1/sites/{HALL}/counters")).json()]
        for counter in hall_counters:
            await http.post(f"/api/v1/counters/{counter}/open", headers=hall_officer)
        desks: list[tuple[int, dict[str, str]]] = []
        for i in range(dispatch_clients):
            site = 1 + i % (sites - 1)
            headers = await officer(site)
            counters = (await http.get(f"/api/v1/sites/S{site:03d}/counters")).json()
            counter = counters[(i // (sites - 1)) % len(counters)]["id"]
            await http.post(f"/api/v1/counters/{counter}/open", headers=headers)
            desks.append((counter, headers))

    loop = asyncio.get_running_loop()
    crowd = [Display(KeepAlive("127.0.0.1", port), KeepAlive("127.0.0.1", port))
             for _ in range(displays)]
    sockets: list[Subscriber] = []
    for display in crowd:
        _, socket = await loop.create_connection(
            lambda d=display: Subscriber(f"/api/v1/ws?token={DISPLAY_TOKEN}&site={HALL}",
                                         f"127.0.0.1:{port}", lambda at: None, b"\0",
                                         ready=b'"synced"', on_text=d.on_text),
            "127.0.0.1", port)
        sockets.append(socket)
    await asyncio.gather(*(asyncio.wait_for(s.ready, 120) for s in sockets))

    caller = KeepAlive("127.0.0.1", port)
    made: dict[str, float] = {}

    async def hall_calls(count: int) -> None:
        for n in range(count):
            counter = hall_counters[n % len(hall_counters)]
            began = time.monotonic()
            answer = await caller.post(f"/api/v1/counters/{counter}/call-next",
                                       {**hall_officer, "Idempotency-Key": uuid.uuid4().hex})
            assert answer.status == 200, answer.text
            made[str(answer.json()["number"])] = began  # type: ignore[index]
            await asyncio.sleep(max(0.0, began + interval - time.monotonic()))

    async def settle() -> None:
        for _ in range(600):
            if all(len(d.ready) + len(d.errors) >= len(made) for d in crowd):
                return
            await asyncio.sleep(0.1)

    results = {}
    for phase in ("quiet", "dispatch"):
        for display in crowd:
            display.events.clear()
            display.ready.clear()
            display.outcomes.clear()
        made.clear()
        connections = [KeepAlive("127.0.0.1", port) for _ in desks]
        done = 0

        async def call_next(i: int, connections: list[KeepAlive] = connections) -> None:
            nonlocal done
            counter, headers = desks[i]
            answer = await connections[i].post(f"/api/v1/counters/{counter}/call-next",
                                               {**headers, "Idempotency-Key": uuid.uuid4().hex})
            assert answer.status in (200, 204), answer.text
            done += 1

        cpu = cpu_seconds(server_pid)
        own = time.process_time()
        began = time.monotonic()
        if phase == "dispatch":
            background = asyncio.gather(hall_calls(calls),
                                        load(len(desks), calls * interval, call_next))
            await background
        else:
            await hall_calls(calls)
        await settle()
        seconds = time.monotonic() - began
        for connection in connections:
            connection.close()
        errors = [e for d in crowd for e in d.errors]
        if errors:
            print(f"{phase}: {len(errors)} errors, the first: {errors[0]}", flush=True)
        event_lat = [d.events[n] - made[n] for d in crowd for n in made if n in d.events]
        ready_lat = [d.ready[n] - made[n] for d in crowd for n in made if n in d.ready]
        outcomes: Counter[str] = Counter()
        for display in crowd:
            outcomes.update(display.outcomes)
        served = sum(outcomes.values())
        results[phase] = {
            "calls": len(made), "displays": displays,
            "event_p50_ms": percentile(event_lat, 0.5) * 1000,
            "event_p99_ms": percentile(event_lat, 0.99) * 1000,
            "ready_p50_ms": percentile(ready_lat, 0.5) * 1000 if ready_lat else float("nan"),
            "ready_p99_ms": percentile(ready_lat, 0.99) * 1000 if ready_lat else float("nan"),
            "missing": len(made) * displays - len(ready_lat),
            "errors": sum(len(d.errors) for d in crowd),
            "first_error": next((d.errors[0] for d in crowd if d.errors), None),
            "audio": dict(outcomes),
            "cache_hit_rate": (outcomes["hit"] + outcomes["joined"]) / served if served else 0.0,
            "dispatch_call_next_per_second": done / seconds,
            "server_cpu_share": (cpu_seconds(server_pid) - cpu) / seconds,
            "server_cpu_ms_per_call": (cpu_seconds(server_pid) - cpu) * 1000 / max(1, len(made)),
            "client_cpu_share": (time.process_time() - own) / seconds,
        }
    for socket in sockets:
        if socket.transport is not None:
            socket.transport.close()
    for display in crowd:
        display.http.close()
        display.audio_http.close()
    caller.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--displays", type=int, default=200)
    parser.add_argument("--calls", type=int, default=20, help="calls of the hall in each phase")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between its calls")
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--counters", type=int, default=10)
    parser.add_argument("--waiting", type=int, default=20_000)
    parser.add_argument("--dispatch-clients", type=int, default=16,
                        help="officers of the other sites calling next flat out, second phase")
    parser.add_argument("--pack", type=Path, help="a voice pack folder for the hall (default: "
                                                  "the server's espeak-ng)")
    args = parser.parse_args()
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="antrean-voice-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'data' / 'antrean.db'}"
        asyncio.run(seed(url, args.sites, args.counters, args.waiting))
        asyncio.run(add_displays(url, args.counters, args.pack))
        port = free_port()
        server = start_antrean(["--database-url", url], workdir, port,
                               env={"ANTREAN_HEARTBEAT_SECONDS": "3600"}, timeout=120)
        try:
            results = run_fast(measure(port, args.displays, args.calls, args.interval,
                                       args.sites, args.dispatch_clients, server.pid))
        finally:
            server.terminate()
            server.wait(30)
    for phase, r in results.items():
        print(f"{phase}: {r['calls']} calls × {r['displays']} displays | call → event p50 "
              f"{r['event_p50_ms']:.0f} ms p99 {r['event_p99_ms']:.0f} ms (baseline) | call → "
              f"audio ready p50 {r['ready_p50_ms']:.0f} ms p99 {r['ready_p99_ms']:.0f} ms "
              f"({r['ready_p99_ms'] / max(r['event_p99_ms'], 0.001):.1f}× the baseline) | audio "
              f"{r['audio']}, cache hit rate {r['cache_hit_rate']:.1%} | missing {r['missing']}, "
              f"errors {r['errors']} | other sites' call-next {r['dispatch_call_next_per_second']:.0f}/s"
              f" | CPU: server {r['server_cpu_share']:.0%} ({r['server_cpu_ms_per_call']:.0f} ms a call), "
              f"displays {r['client_cpu_share']:.0%} of a core",
              flush=True)
        if r["first_error"]:
            print(f"  first error: {r['first_error']}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
