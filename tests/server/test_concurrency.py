"""What must hold with a real server process over HTTP: concurrent call-next hands every ticket
out exactly once, and a ticket acknowledged with 201 survives `kill -9`."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, PASSWORDS, SMALL_HALL, ServerProcess, far_from_midnight

pytestmark = pytest.mark.slow

COUNTERS = 20
TICKETS = 1000
CALLERS = 40


def busy_hall(path: Path) -> Path:
    """The small hall plus twenty counters that all serve one busy service (BULK)."""
    extra = "".join(
        f'\n[[counter]]\nnumber = {100 + i}\nagency = "SAMSAT"\n'
        f'services = {{ BULK = 1, PKB = {1 + i % 3} }}\n'
        for i in range(COUNTERS))
    hall = far_from_midnight(SMALL_HALL, path)
    hall.write_text(hall.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return hall


async def _issue_many(client: httpx.AsyncClient, count: int) -> list[int]:
    semaphore = asyncio.Semaphore(16)

    async def one(i: int) -> int:
        async with semaphore:
            response = await client.post("/api/v1/sites/TEST/tickets", headers=KIOSK, json={
                "service": "BULK", "priority_reason": "elderly" if i % 7 == 0 else None})
            assert response.status_code == 201, response.text
            return int(response.json()["id"])

    return await asyncio.gather(*(one(i) for i in range(count)))


async def test_concurrent_call_next_hands_each_ticket_out_once(
    database_url: str, tmp_path: Path
) -> None:
    server = ServerProcess(database_url, tmp_path / "data", busy_hall(tmp_path / "busy.toml"))
    server.data_dir.mkdir(parents=True)
    server.start()
    try:
        limits = httpx.Limits(max_connections=CALLERS + 8)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
            issued = await _issue_many(client, TICKETS)
            assert len(set(issued)) == TICKETS
            login = await client.post("/api/v1/auth/token",
                                      json={"username": "budi", "password": PASSWORDS["budi"]})
            officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            counters = [c["id"] for c in (await client.get("/api/v1/sites/TEST/counters")).json()
                        if c["number"] >= 100]
            for counter in counters:
                response = await client.post(f"/api/v1/counters/{counter}/open", headers=officer)
                assert response.status_code == 200

            handed: list[int] = []
            failures: list[str] = []

            async def caller(counter: int) -> None:
                while True:
                    response = await client.post(f"/api/v1/counters/{counter}/call-next",
                                                 headers=officer)
                    if response.status_code == 204:
                        return
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text}")
                        return
                    handed.append(int(response.json()["id"]))

            await asyncio.gather(*(caller(counters[i % len(counters)]) for i in range(CALLERS)))
            assert failures == []
            duplicates = {t for t in handed if handed.count(t) > 1}
            assert duplicates == set(), "a ticket was handed to two counters"
            assert sorted(handed) == sorted(issued), "a ticket was lost"
    finally:
        server.stop()


def test_acknowledged_tickets_survive_kill_9(database_url: str, tmp_path: Path) -> None:
    server = ServerProcess(database_url, tmp_path / "data",
                           far_from_midnight(SMALL_HALL, tmp_path / "hall.toml"))
    server.data_dir.mkdir(parents=True)
    server.start()
    acknowledged: list[dict[str, str]] = []
    stop = threading.Event()

    def issue_in_a_loop() -> None:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            while not stop.is_set():
                try:
                    response = client.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                                           json={"service": "KTP"})
                except httpx.HTTPError:
                    return  # the server is gone: what was acknowledged is what counts
                if response.status_code == 201:
                    acknowledged.append(response.json())

    worker = threading.Thread(target=issue_in_a_loop)
    worker.start()
    try:
        while len(acknowledged) < 40:
            stop.wait(0.05)
        server.kill()  # SIGKILL in the middle of the loop
    finally:
        stop.set()
        worker.join(timeout=30)

    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for ticket in acknowledged:
                found = client.get(f"/api/v1/tickets/{ticket['tracking_code']}")
                assert found.status_code == 200, f"{ticket['number']} was lost"
                assert found.json()["number"] == ticket["number"]
            numbers = [int(t["number"].split("-")[1]) for t in acknowledged]
            assert len(set(numbers)) == len(numbers)
            after = client.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                                json={"service": "KTP"})
            assert after.status_code == 201
            assert int(after.json()["number"].split("-")[1]) > max(numbers)
    finally:
        server.stop()
