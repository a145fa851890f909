"""A visit through a real server process: three agencies' counters over HTTP, its events in
order on a display's WebSocket, and a kill -9 between two stops after which the visit goes on
at the right one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FIXTURES, KIOSK, ServerProcess, far_from_midnight
from websockets.asyncio.client import ClientConnection, connect

pytestmark = [pytest.mark.slow]

PASSWORDS = {"siti": "rahasia-siti", "rina": "rahasia-rina", "joko": "rahasia-joko"}
ANSWERS = ("welcome", "snapshot", "synced", "ping", "pong", "queue.summary")


async def _login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", json={
        "username": username, "password": PASSWORDS[username]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _open(client: httpx.AsyncClient, number: int, headers: dict[str, str]) -> int:
    counters = (await client.get("/api/v1/sites/TEST/counters")).json()
    counter = next(c["id"] for c in counters if c["number"] == number)
    response = await client.post(f"/api/v1/counters/{counter}/open", headers=headers)
    assert response.status_code == 200, response.text
    return int(counter)


async def _events_of(socket_: ClientConnection, number: str, count: int,
                     timeout: float = 20) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    other: list[str] = []

    async def run() -> None:
        while len(found) < count:
            message = json.loads(await socket_.recv())
            other.append(message["type"])
            if message["type"] in ANSWERS:
                continue
            if message.get("ticket", {}).get("number") == number:
                found.append(message)

    try:
        await asyncio.wait_for(run(), timeout)
    except TimeoutError:
        raise AssertionError(f"only {found} among {other}") from None
    return found


async def _display(server: ServerProcess) -> ClientConnection:
    """A display's socket, once it is live (past its snapshot)."""
    socket_ = await connect(
        server.url.replace("http", "ws", 1) + "/api/v1/ws?token=test-display-token-1",
        open_timeout=10)

    async def live() -> None:
        while json.loads(await socket_.recv())["type"] != "synced":
            pass

    await asyncio.wait_for(live(), 10)
    return socket_


async def _serve_stop(client: httpx.AsyncClient, counter: int, headers: dict[str, str],
                      number: str, service: str) -> dict[str, Any]:
    called = await client.post(f"/api/v1/counters/{counter}/call-next", headers=headers)
    assert called.status_code == 200, called.text
    assert (called.json()["number"], called.json()["service"]) == (number, service)
    finished = await client.post(f"/api/v1/tickets/{called.json()['id']}/finish",
                                 headers=headers)
    assert finished.status_code == 200, finished.text
    return finished.json()  # type: ignore[no-any-return]


async def test_a_visit_over_http_survives_kill_9_between_stops(
        database_url: str, tmp_path: Path) -> None:
    config = far_from_midnight(FIXTURES / "visit_hall.toml", tmp_path / "hall.toml")
    server = ServerProcess(database_url, tmp_path / "data", config)
    server.data_dir.mkdir(parents=True)
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            siti, rina, joko = [await _login(client, name) for name in ("siti", "rina", "joko")]
            ktp, bpjs, tax = (await _open(client, 1, siti), await _open(client, 5, rina),
                              await _open(client, 8, joko))
            display = await _display(server)
            issued = await client.post("/api/v1/sites/TEST/visits",
                                       json={"services": ["KTP", "NPWP", "BPJS"]},
                                       headers={**KIOSK, "Idempotency-Key": "visit-1"})
            assert issued.status_code == 201, issued.text
            visit = issued.json()
            number = visit["number"]
            after_first = await _serve_stop(client, ktp, siti, number, "KTP")
            assert after_first["status"] == "waiting" and after_first["service"] == "NPWP"
            seen = await _events_of(display, number, 4)
            assert [e["type"] for e in seen] == ["ticket.issued", "ticket.called",
                                                 "ticket.finished", "ticket.routed"]
            assert seen[1]["counter"]["number"] == 1
            assert seen[3]["ticket"]["service"] == "NPWP" and seen[3]["stop"] == 2
            await display.close()

            server.kill()  # kill -9 between two stops
            await asyncio.to_thread(server.start)
            # the retried issue is the first answer, not a second visit
            again = await client.post("/api/v1/sites/TEST/visits",
                                      json={"services": ["KTP", "NPWP", "BPJS"]},
                                      headers={**KIOSK, "Idempotency-Key": "visit-1"})
            assert again.json()["id"] == visit["id"]
            display = await _display(server)
            siti, rina, joko = [await _login(client, name) for name in ("siti", "rina", "joko")]
            # nothing waits at Dukcapil: the visit went on to the tax office, and stays there
            nobody = await client.post(f"/api/v1/counters/{ktp}/call-next", headers=siti)
            assert nobody.status_code == 204
            await _serve_stop(client, tax, joko, number, "NPWP")
            last = await _serve_stop(client, bpjs, rina, number, "BPJS")
            assert last["status"] == "finished" and last["visit"]["status"] == "finished"
            seen = await _events_of(display, number, 5)
            assert [(e["type"], e.get("counter", {}).get("number") if e.get("counter") else None)
                    for e in seen] == [("ticket.called", 8), ("ticket.finished", 8),
                                       ("ticket.routed", 8), ("ticket.called", 5),
                                       ("ticket.finished", 5)]
            assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)
            assert "announce" in seen[3] and seen[3]["ticket"]["number"] == number
            await display.close()
    finally:
        server.stop()
