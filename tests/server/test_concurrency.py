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


async def calls_in_commit_order(database_url: str) -> list[tuple[int, int, bool, object]]:
    """Every call-next's ticket in the order the calls committed (their events' sequence
    numbers, taken under the site's row lock): (ticket id, service id, priority, joined at)."""
    from sqlalchemy import select

    from server.store import models as m
    from server.store.db import Database

    db = Database(database_url)
    try:
        async with db.read() as session:
            events = (await session.execute(
                select(m.EventRecord.payload).where(m.EventRecord.type == "ticket.called")
                .order_by(m.EventRecord.seq))).scalars().all()
            tickets = {row.id: row for row in (await session.execute(select(
                m.Ticket.id, m.Ticket.service_id, m.Ticket.priority, m.Ticket.queued_at,
                m.Ticket.called_out_of_order))).all()}
    finally:
        await db.dispose()
    called = [tickets[int(event["ticket"]["id"])] for event in events]
    assert not any(t.called_out_of_order for t in called)
    return [(t.id, t.service_id, t.priority, t.queued_at) for t in called]


def skipped_ahead(calls: list[tuple[int, int, bool, object]]) -> list[int]:
    """The calls that took a ticket while an earlier one of the same line still waited."""
    lines: dict[tuple[int, bool], list[tuple[object, int]]] = {}
    for ticket_id, service_id, priority, queued_at in calls:
        lines.setdefault((service_id, priority), []).append((queued_at, ticket_id))
    return [ticket_id for line in lines.values()
            for (queued_at, ticket_id), earliest_left in zip(line, _earliest_left(line), strict=True)
            if (queued_at, ticket_id) != earliest_left]


def _earliest_left(line: list[tuple[object, int]]) -> list[tuple[object, int]]:
    """For each call of a line, the earliest of the tickets it and the later calls took."""
    earliest: list[tuple[object, int]] = []
    for item in reversed(line):
        earliest.append(min(item, earliest[-1]) if earliest else item)  # type: ignore[type-var]
    return earliest[::-1]


@pytest.mark.parametrize("processes", [1, 2])
async def test_concurrent_call_next_hands_each_ticket_out_once_in_issue_order(
    database_url: str, tmp_path: Path, processes: int
) -> None:
    hall = busy_hall(tmp_path / "busy.toml")
    servers = [ServerProcess(database_url, tmp_path / f"data-{n}", hall)
               for n in range(processes)]
    for server in servers:
        server.data_dir.mkdir(parents=True)
        server.start()
    try:
        limits = httpx.Limits(max_connections=CALLERS + 8)
        clients = [httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits)
                   for server in servers]
        client = clients[0]
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

        async def caller(i: int) -> None:
            counter, through = counters[i % len(counters)], clients[i % len(clients)]
            while True:
                response = await through.post(f"/api/v1/counters/{counter}/call-next",
                                              headers=officer)
                if response.status_code == 204:
                    return
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text}")
                    return
                handed.append(int(response.json()["id"]))

        await asyncio.gather(*(caller(i) for i in range(CALLERS)))
        for each in clients:
            await each.aclose()
        assert failures == []
        duplicates = {t for t in handed if handed.count(t) > 1}
        assert duplicates == set(), "a ticket was handed to two counters"
        assert sorted(handed) == sorted(issued), "a ticket was lost"
        calls = await calls_in_commit_order(database_url)
        assert sorted(t[0] for t in calls) == sorted(issued)
        assert skipped_ahead(calls) == [], "a counter took a ticket behind another of its line"
    finally:
        for server in servers:
            server.stop()


def test_skipped_ahead_counts_a_call_past_an_earlier_ticket_of_its_line() -> None:
    line = [(1, 7, False, 10), (2, 7, False, 30), (3, 7, False, 20), (4, 7, True, 5),
            (5, 8, False, 1)]
    assert skipped_ahead(line) == [2]  # 3 (joined at 20) still waited when 2 was called
    assert skipped_ahead(sorted(line, key=lambda t: t[3])) == []


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
