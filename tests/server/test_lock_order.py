"""Two commands on one counter at once (an officer's finish and the keypad's call-next) wait for
each other in turn; they never deadlock, and each answers as the ticket stands after the other."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import POSTGRES_ADMIN_URL, Hall
from sqlalchemy.engine import make_url


async def _call_with_one_waiting(hall: Hall, counter: int, officer: dict[str, str]
                                 ) -> dict[str, Any]:
    """Two tickets join the line; the counter calls the first, so one is left waiting."""
    await hall.issue("KTP")
    await hall.issue("KTP")
    called = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=officer)
    assert called.status_code == 200, called.text
    return called.json()  # type: ignore[no-any-return]


async def test_finish_and_call_next_at_once_at_one_counter(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    for _ in range(6):
        called = await _call_with_one_waiting(hall, counter, siti)
        ticket = called["id"]
        finish, call_next = await asyncio.gather(
            hall.client.post(f"/api/v1/tickets/{ticket}/finish", headers=siti),
            hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti))
        assert call_next.status_code == 200, call_next.text
        assert call_next.json()["id"] != ticket
        if finish.status_code != 200:  # call-next came first and finished it on the way
            assert finish.status_code == 409, finish.text
            assert finish.json()["error"]["code"] == "not_at_counter"
        tracked = await hall.client.get(f"/api/v1/tickets/{called['tracking_code']}")
        assert tracked.json()["status"] == "finished"


async def test_cancel_and_call_next_at_once_at_one_counter(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    for _ in range(6):
        called = await _call_with_one_waiting(hall, counter, siti)
        ticket = called["id"]
        cancel, call_next = await asyncio.gather(
            hall.client.post(f"/api/v1/tickets/{ticket}/cancel", headers=siti,
                             json={"reason": "salah layanan"}),
            hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti))
        assert call_next.status_code == 200, call_next.text
        assert cancel.status_code in (200, 409), cancel.text
        tracked = await hall.client.get(f"/api/v1/tickets/{called['tracking_code']}")
        assert tracked.json()["status"] == ("cancelled" if cancel.status_code == 200
                                            else "finished")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_command_the_database_rolls_back_for_a_deadlock_runs_again(
    hall: Hall, database_url: str
) -> None:
    """Another client (here a bare connection) locks the counter's ticket, then the counter,
    while call-next holds the counter and waits for the ticket. PostgreSQL breaks the cycle by
    rolling call-next back; the server runs it again, and the officer sees only the call."""
    import asyncpg

    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    first = await _call_with_one_waiting(hall, counter, siti)
    other = await asyncpg.connect(POSTGRES_ADMIN_URL + "/" + make_url(database_url).database)
    try:
        await other.execute("SET deadlock_timeout = '10s'")  # call-next is the one to notice
        transaction = other.transaction()
        await transaction.start()
        await other.execute("SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", first["id"])
        call_next = asyncio.create_task(
            hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti))
        await asyncio.sleep(0.3)  # call-next holds the counter and waits for the ticket
        await other.execute("SELECT 1 FROM counters WHERE id = $1 FOR UPDATE", counter)
        await transaction.rollback()
        answer = await call_next
    finally:
        await other.close()
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] != first["id"]
