"""Idempotency-Keys are kept for their retry window, then housekeeping forgets them a batch at a
time: the store does not grow by a kilobyte per command for ever. Within the window a retry
gets the first answer; after it, the key is free."""

from __future__ import annotations

from conftest import KIOSK, Hall
from sqlalchemy import func, select

from server.services.runner import KEYS_KEPT, forget_old_keys
from server.store import models as m


async def _keys(hall: Hall) -> int:
    async with hall.context.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(m.IdempotencyRecord))
                   or 0)


async def test_keys_past_their_window_are_forgotten_a_batch_at_a_time(hall: Hall) -> None:
    await hall.context.housekept.wait()  # its start-up round forgets keys by the clock too
    first = await hall.issue("KTP", {**KIOSK, "Idempotency-Key": "old-1"})
    await hall.issue("KTP", {**KIOSK, "Idempotency-Key": "old-2"})
    await hall.issue("KTP", {**KIOSK, "Idempotency-Key": "old-3"})
    hall.clock.advance(hours=KEYS_KEPT.total_seconds() / 3600 - 1)
    recent = await hall.issue("KTP", {**KIOSK, "Idempotency-Key": "recent"})
    assert await _keys(hall) == 4

    # Within the window a retry is answered as the first time.
    retried = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                     headers={**KIOSK, "Idempotency-Key": "old-1"})
    assert retried.status_code == 201 and retried.json()["number"] == first["number"]

    hall.clock.advance(hours=2)  # the first three are past the window, "recent" is not
    async with hall.context.db.write() as session:
        assert await forget_old_keys(session, hall.clock(), at_once=2) == 2
    async with hall.context.db.write() as session:
        assert await forget_old_keys(session, hall.clock(), at_once=2) == 1
    async with hall.context.db.write() as session:
        assert await forget_old_keys(session, hall.clock(), at_once=2) == 0
    assert await _keys(hall) == 1

    again = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                   headers={**KIOSK, "Idempotency-Key": "recent"})
    assert again.json()["number"] == recent["number"]  # still remembered
    reused = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                    headers={**KIOSK, "Idempotency-Key": "old-1"})
    assert reused.status_code == 201
    assert reused.json()["number"] != first["number"]  # forgotten: a new ticket
