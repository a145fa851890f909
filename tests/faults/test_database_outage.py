"""PostgreSQL stopped and started under load, with real processes: the server answers every
request it cannot serve with our JSON 503 and Retry-After on a connection it keeps, loses
nothing it acknowledged, and the apps' client carries its commands through by itself."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from conftest import DISPLAY, KIOSK, PASSWORDS, SMALL_HALL, ServerProcess, far_from_midnight
from throwaway_postgres import ThrowawayPostgres, throwaway_postgres

from common.client import AsyncClient, Backoff, Connection
from counter_client import desk
from counter_client.link import SharedClientServer, retrying

pytestmark = pytest.mark.slow

WORKERS = 6
OUTAGE_SECONDS = 4.0


class Tally:
    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.bad_503: list[str] = []
        self.not_json: list[str] = []
        self.transport_errors: list[str] = []
        self.acknowledged: list[dict[str, object]] = []

    def record(self, what: str, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code >= 400 and not response.headers.get(
                "content-type", "").startswith("application/json"):
            self.not_json.append(f"{what}: {response.status_code} {response.text[:80]!r}")
        if response.status_code >= 500:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                error = {}
            if (response.status_code != 503 or "Retry-After" not in response.headers
                    or not error.get("message") or not error.get("message_en")):
                self.bad_503.append(f"{what}: {response.status_code} {response.text[:120]}")


async def _load(server: ServerProcess, officer: dict[str, str], counter: int, tally: Tally,
                stop: asyncio.Event) -> None:
    async def worker(i: int) -> None:
        # One keep-alive connection each, no retries: every failure is seen as it is.
        async with httpx.AsyncClient(base_url=server.url, timeout=30,
                                     limits=httpx.Limits(max_connections=1)) as client:
            while not stop.is_set():
                try:
                    if i % 3 == 0:
                        response = await client.post(
                            "/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                            headers={**KIOSK, "Idempotency-Key": uuid.uuid4().hex})
                        tally.record("issue", response)
                        if response.status_code == 201:
                            tally.acknowledged.append(response.json())
                    elif i % 3 == 1:
                        tally.record("services", await client.get("/api/v1/sites/TEST/services"))
                        tally.record("snapshot", await client.get(
                            "/api/v1/sites/TEST/snapshot", headers=DISPLAY))
                    else:
                        tally.record("call-next", await client.post(
                            f"/api/v1/counters/{counter}/call-next", headers=officer))
                except httpx.TransportError as exc:
                    tally.transport_errors.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.01)

    await asyncio.gather(*(worker(i) for i in range(WORKERS)))


def _counter_through_the_outage(server: ServerProcess, token: str, counter: int
                                ) -> tuple[object, list[desk.Event]]:
    """The counter app's link: a call-next sent until answered, with the one key, saying
    "offline" meanwhile."""
    link = SharedClientServer(server.url, "TEST", token, timeout=5)
    reported: list[desk.Event] = []
    try:
        answer = retrying(lambda: link.post(f"/api/v1/counters/{counter}/call-next", None,
                                            "counter-through-the-outage"),
                          threading.Event(), reported.append, "call next")
    finally:
        link.close()
    return answer, reported


async def _carried_through(server: ServerProcess, outage: asyncio.Event
                           ) -> tuple[list[dict[str, object]], list[Connection]]:
    """The apps' client: a kiosk issuing through the outage, and a display's stream."""
    kiosk = AsyncClient(server.url, "test-kiosk-token-1", retries=60,
                        backoff=Backoff(first=0.1, longest=0.5))
    display = AsyncClient(server.url, "test-display-token-1", site="TEST",
                          backoff=Backoff(first=0.1, longest=0.5))
    connections: list[Connection] = []

    async def watch() -> None:
        async for item in display.stream():
            if isinstance(item, Connection):
                connections.append(item)

    watching = asyncio.create_task(watch())
    try:
        await outage.wait()
        issued = [await kiosk.command("/api/v1/sites/TEST/tickets", {"service": "PKB"},
                                      key=f"through-the-outage-{n}") for n in range(3)]
        return issued, connections
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
        await kiosk.aclose()
        await display.aclose()


async def _outage(postgres: ThrowawayPostgres, began: asyncio.Event) -> None:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(postgres.stop, "fast")
    began.set()
    await asyncio.sleep(OUTAGE_SECONDS)
    await asyncio.to_thread(postgres.start)
    await asyncio.sleep(2.0)


async def test_a_database_outage_answers_503s_and_loses_nothing(tmp_path: Path) -> None:
    with throwaway_postgres() as postgres:
        server = ServerProcess(postgres.url, tmp_path / "data",
                               far_from_midnight(SMALL_HALL, tmp_path / "hall.toml"))
        server.data_dir.mkdir(parents=True)
        server.start()
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                login = await client.post("/api/v1/auth/token", json={
                    "username": "siti", "password": PASSWORDS["siti"]})
                officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
                counters = (await client.get("/api/v1/sites/TEST/counters")).json()
                counter = next(c["id"] for c in counters if c["number"] == 1)
                assert (await client.post(f"/api/v1/counters/{counter}/open",
                                          headers=officer)).status_code == 200

            tally, stop, began = Tally(), asyncio.Event(), asyncio.Event()
            load = asyncio.create_task(_load(server, officer, counter, tally, stop))
            carried = asyncio.create_task(_carried_through(server, began))
            outage = asyncio.create_task(_outage(postgres, began))
            await began.wait()
            counter_call = asyncio.create_task(asyncio.to_thread(
                _counter_through_the_outage, server, officer["Authorization"].split()[1],
                counter))
            await outage
            issued_through, connections = await asyncio.wait_for(carried, 60)
            called, reported = await asyncio.wait_for(counter_call, 60)
            stop.set()
            await load

            assert tally.transport_errors == [], "the server dropped connections"
            assert tally.not_json == []
            assert tally.bad_503 == []
            assert tally.statuses[503] > 0, f"the outage was not felt: {tally.statuses}"
            assert set(tally.statuses) <= {200, 201, 204, 503}, tally.statuses
            assert len({t["id"] for t in issued_through}) == 3

            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                for ticket in [*tally.acknowledged, *issued_through]:
                    found = await client.get(f"/api/v1/tickets/{ticket['tracking_code']}")
                    assert found.status_code == 200, f"{ticket['number']} was lost"
                    assert found.json()["number"] == ticket["number"]
                retry_keys = await client.post(
                    "/api/v1/sites/TEST/tickets", json={"service": "PKB"},
                    headers={**KIOSK, "Idempotency-Key": "through-the-outage-0"})
                assert retry_keys.json()["id"] == issued_through[0]["id"]
            assert connections and connections[-1].online
            assert called is None or called["status"] == "called"  # type: ignore[index]
            assert isinstance(reported[0], desk.Connection) and not reported[0].online
        finally:
            server.stop()


def test_the_throwaway_server_stops_and_starts(tmp_path: Path) -> None:
    """The fault test's own tool: stopped, nothing answers on its port; started, it does."""
    import socket

    with throwaway_postgres() as postgres:
        postgres.stop()
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", postgres.port), 1):
            pass
        postgres.start()
        with socket.create_connection(("127.0.0.1", postgres.port), 5):
            pass
