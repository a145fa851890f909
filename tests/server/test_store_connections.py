"""PostgreSQL connections: a restart (or an administrator) closing them costs no request, and
reads, which run outside a transaction, still see every commit."""

from __future__ import annotations

import asyncio

import pytest
from conftest import KIOSK, POSTGRES_ADMIN_URL, Hall
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def _close_server_connections(database: str) -> int:
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_ADMIN_URL + "/postgres")
    try:
        closed = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()", database)
    finally:
        await admin.close()
    return len(closed)


async def test_requests_after_the_database_closed_every_connection(hall: Hall,
                                                                   database_url: str) -> None:
    officer = await hall.login("siti")
    counter = await hall.open_counter(1, officer)
    await hall.issue("KTP")
    assert await _close_server_connections(make_url(database_url).database or "") > 0
    await asyncio.sleep(0.2)  # the server's sockets learn they were closed

    issued = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                    headers=KIOSK)
    assert issued.status_code == 201, issued.text
    services = await hall.client.get("/api/v1/sites/TEST/services")
    assert services.status_code == 200, services.text
    called = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=officer)
    assert called.status_code == 200, called.text


async def test_a_read_sees_what_was_just_committed(hall: Hall) -> None:
    before = await hall.client.get("/api/v1/sites/TEST/services")
    waiting = {s["code"]: s["waiting"] for s in before.json()}
    ticket = await hall.issue("KTP")
    after = await hall.client.get("/api/v1/sites/TEST/services")
    assert {s["code"]: s["waiting"] for s in after.json()}["KTP"] == waiting["KTP"] + 1
    tracked = await hall.client.get(f"/api/v1/tickets/{ticket['tracking_code']}")
    assert tracked.status_code == 200, tracked.text
