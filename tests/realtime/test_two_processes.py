"""Two real server processes behind one address share PostgreSQL and Redis: an event committed
by one reaches a socket on the other in sequence order, and call-next spread over both still
hands out distinct tickets."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, PASSWORDS, ServerProcess, need_service
from live import zoned_hall
from websockets.asyncio.client import ClientConnection, connect

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

COUNTERS = 10
TICKETS = 200
CALLERS = 20


def busy_zoned_hall(path: Path) -> Path:
    zoned_hall(path)
    extra = "".join(f'\n[[counter]]\nnumber = {100 + i}\nagency = "SAMSAT"\n'
                    'services = { BULK = 1 }\n' for i in range(COUNTERS))
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


async def _collect(socket_: ClientConnection, until_seq: int, into: list[dict[str, object]],
                   timeout: float = 30) -> None:
    async def run() -> None:
        while not into or int(into[-1]["seq"]) < until_seq:  # type: ignore[call-overload]
            message = json.loads(await socket_.recv())
            if message["type"] not in ("ping", "pong", "welcome", "snapshot", "synced"):
                into.append(message)

    await asyncio.wait_for(run(), timeout)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_processes_share_events_in_order_and_hand_out_distinct_tickets(
    database_url: str, tmp_path: Path
) -> None:
    need_service("Redis", "127.0.0.1", 6379)
    config = busy_zoned_hall(tmp_path / "hall.toml")
    env = {"ANTREAN_REDIS_URL": "redis://127.0.0.1:6379/0",
           "ANTREAN_REDIS_CHANNEL": f"antrean:test:{uuid.uuid4().hex}"}
    servers = [ServerProcess(database_url, tmp_path / name / "data", config, env=env)
               for name in ("a", "b")]
    for server in servers:
        server.data_dir.mkdir(parents=True)
        await asyncio.to_thread(server.start)
    a, b = servers
    try:
        async with httpx.AsyncClient(base_url=a.url, timeout=60) as on_a, \
                httpx.AsyncClient(base_url=b.url, timeout=60) as on_b:
            login = await on_a.post("/api/v1/auth/token", json={
                "username": "manajer", "password": PASSWORDS["manajer"]})
            manager = login.json()["access_token"]
            # Read while the test is busy elsewhere (no bounded queue): a client that stops
            # reading stops seeing the answers to its own keepalive pings, and gives up.
            ws_b = await connect(b.url.replace("http", "ws") + f"/api/v1/ws?token={manager}",
                                 max_queue=None)
            ws_a = await connect(a.url.replace("http", "ws") + f"/api/v1/ws?token={manager}",
                                 max_queue=None)
            for socket_ in (ws_a, ws_b):
                while json.loads(await socket_.recv())["type"] != "synced":
                    pass

            # One event committed on A reaches the socket on B.
            issued = await on_a.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                                     json={"service": "KTP"})
            assert issued.status_code == 201
            first: list[dict[str, object]] = []
            await _collect(ws_b, 2, first, timeout=10)
            assert [e["type"] for e in first] == ["ticket.issued", "queue.summary"]
            assert [e["seq"] for e in first] == [1, 2]

            # Many commands over both processes at once.
            clients = (on_a, on_b)

            async def issue(i: int) -> int:
                response = await clients[i % 2].post("/api/v1/sites/TEST/tickets",
                                                     headers=KIOSK, json={"service": "BULK"})
                assert response.status_code == 201, response.text
                return int(response.json()["id"])

            semaphore = asyncio.Semaphore(16)

            async def bounded(i: int) -> int:
                async with semaphore:
                    return await issue(i)

            ids = await asyncio.gather(*(bounded(i) for i in range(TICKETS)))
            login = await on_b.post("/api/v1/auth/token", json={
                "username": "budi", "password": PASSWORDS["budi"]})
            officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            counters = [c["id"] for c in (await on_a.get("/api/v1/sites/TEST/counters")).json()
                        if c["number"] >= 100]
            for i, counter in enumerate(counters):
                opened = await clients[i % 2].post(f"/api/v1/counters/{counter}/open",
                                                   headers=officer)
                assert opened.status_code == 200
            handed: list[int] = []

            async def caller(i: int) -> None:
                client, counter = clients[i % 2], counters[i % len(counters)]
                while True:
                    response = await client.post(f"/api/v1/counters/{counter}/call-next",
                                                 headers=officer)
                    if response.status_code == 204:
                        return
                    assert response.status_code == 200, response.text
                    handed.append(int(response.json()["id"]))

            await asyncio.gather(*(caller(i) for i in range(CALLERS)))
            assert len(handed) == len(set(handed)) == TICKETS
            assert set(handed) == set(ids)

            snapshot = await on_a.get("/api/v1/sites/TEST/snapshot",
                                      headers={"Authorization": f"Bearer {manager}"})
            head = snapshot.json()["seq"]
            for socket_ in (ws_a, ws_b):
                seen: list[dict[str, object]] = list(first) if socket_ is ws_b else []
                if socket_ is ws_a:
                    await _collect(socket_, 2, seen, timeout=10)
                await _collect(socket_, head, seen)
                assert [e["seq"] for e in seen] == list(range(1, head + 1))
                called = [e for e in seen if e["type"] == "ticket.called"]
                assert len(called) == TICKETS
                await socket_.close()
    finally:
        for server in servers:
            server.stop()
