"""What a command leaves in the store when it commits: its audit rows, its events numbered in
the log exactly as they were published, and its idempotency record; alike on both stores."""

from __future__ import annotations

from collections.abc import Sequence

from conftest import KIOSK, Hall
from sqlalchemy import select

from common.protocol.events import Event
from server.store import models as m


async def test_the_rows_of_a_command_are_the_ones_it_answered_and_published(hall: Hall) -> None:
    published: list[Event] = []

    async def keep(events: Sequence[Event]) -> None:
        published.extend(events)

    hall.context.bus.subscribe(keep)
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    published.clear()
    ticket = await hall.issue("KTP", headers={**KIOSK, "Idempotency-Key": "seal-1"},
                              priority_reason="elderly")
    issued = list(published)
    called = await hall.client.post(f"/api/v1/counters/{counter}/call-next",
                                    headers={**siti, "Idempotency-Key": "seal-2"})
    assert called.status_code == 200, called.text

    async with hall.context.db.read() as session:
        audit = (await session.scalars(select(m.AuditEntry).where(
            m.AuditEntry.ticket_id == ticket["id"]).order_by(m.AuditEntry.id))).all()
        logged = (await session.scalars(select(m.EventRecord).order_by(m.EventRecord.seq))).all()
        records = {record.key: record for record in (await session.scalars(
            select(m.IdempotencyRecord).where(m.IdempotencyRecord.key.in_(
                ["seal-1", "seal-2"])))).all()}

    assert [(entry.action, entry.actor_type, entry.counter_id, entry.details)
            for entry in audit] == [
        ("ticket.issue", "device", None,
         {"number": "A-001", "service": "KTP", "priority_reason": "elderly"}),
        ("ticket.call", "officer", counter, {"number": "A-001"})]
    assert audit[1].actor_name == "siti"

    assert [event.type for event in issued] == ["ticket.issued", "queue.summary"]
    assert [event.type for event in published[len(issued):]] == ["ticket.called",
                                                                   "queue.summary"]
    tail = logged[-len(published):]
    assert [(row.seq, row.type, row.payload) for row in tail] == [
        (event.seq, event.type, event.model_dump(mode="json")) for event in published]
    assert [event.seq for event in published] == list(
        range(published[0].seq, published[0].seq + len(published)))

    assert records["seal-1"].status_code == 201 and records["seal-1"].body == ticket
    assert records["seal-2"].status_code == 200 and records["seal-2"].body == called.json()
