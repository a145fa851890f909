"""At a site, every change of the records its centre keeps is noted in the outbox, in commit
order, by triggers: nothing missed, nothing secret, nothing that did not happen."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import KIOSK, FakeClock, Hall, running_hall
from sqlalchemy import func, select, text, update

from server.region import capture
from server.store import models as m
from server.store.db import Database
from tests.stats.scenario import MORNING


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Hall]:
    async with running_hall(f"sqlite:///{tmp_path / 'site' / 'antrean.db'}", tmp_path / "site",
                            clock=FakeClock(MORNING)) as hall:
        async with hall.context.db.write(background=True) as session:
            assert await capture.ensure(session) == list(capture.TABLES)
        yield hall


async def _notes(db: Database, after: int = 0) -> list[tuple[int, str, str, dict]]:  # type: ignore[type-arg]
    async with db.read() as session:
        rows = (await session.execute(select(
            m.SyncOutbox.position, m.SyncOutbox.tbl, m.SyncOutbox.op, m.SyncOutbox.image)
            .where(m.SyncOutbox.position > after).order_by(m.SyncOutbox.position))).all()
    return [(p, t, op, json.loads(image)) for p, t, op, image in rows]


async def _top(db: Database) -> int:
    async with db.read() as session:
        return await capture.last_position(session)


async def test_each_table_is_sent_whole_once_then_only_its_changes(site: Hall) -> None:
    db = site.context.db
    notes = await _notes(db)
    tables = [t for _, t, _, _ in notes]
    assert tables[0] == "sites" and tables.count("sites") == 1
    assert tables.count("counters") == 3 and tables.count("services") == 5
    # parents before the tables that refer to them
    assert tables == sorted(tables, key=capture.TABLES.index)
    async with db.write(background=True) as session:
        assert await capture.ensure(session) == []  # nothing new: nothing sent again
    assert len(await _notes(db)) == len(notes)


async def test_a_ticket_s_life_is_noted_as_it_happens(site: Hall) -> None:
    db = site.context.db
    before = await _top(db)
    ticket = await site.issue("KTP")
    siti = await site.login("siti")
    counter = await site.open_counter(1, siti)
    called = await site.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    assert called.status_code == 200
    notes = await _notes(db, before)
    kinds = [(t, op) for _, t, op, _ in notes]
    assert ("tickets", "U") in kinds and ("events", "U") in kinds and ("audit_log", "U") in kinds
    images = [row for _, t, _, row in notes if t == "tickets" and row["id"] == ticket["id"]]
    assert [row["status"] for row in images] == ["waiting", "called"]
    assert images[-1]["counter_id"] == counter and images[-1]["wait_seconds"] == 0
    events = [row for _, t, _, row in notes if t == "events"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert isinstance(events[0]["payload"], dict)  # JSON columns travel as JSON
    logins = [row for _, t, _, row in notes if t == "audit_log" and row["action"] ==
              "officer.login"]
    assert logins and logins[0]["actor_name"] == "siti"
    # The counter's row moved (open, then its ticket); the site's event counter alone did not.
    assert any(t == "counters" for _, t, _, _ in notes)
    assert not any(t == "sites" for _, t, _, _ in notes)


async def test_secrets_stay_at_the_site(site: Hall) -> None:
    db = site.context.db
    for _, table, _, row in await _notes(db):
        if table == "officers":
            assert "password_hash" not in row
        if table == "devices":
            assert "token_hash" not in row
    before = await _top(db)
    async with db.write() as session:  # a new password, a device seen: nothing to send
        await session.execute(update(m.Officer).values(password_hash="scrypt$changed"))
        await session.execute(update(m.Device).values(last_seen_at=MORNING))
        await session.execute(update(m.Agency).values(name=m.Agency.name))  # no real change
    assert await _notes(db, before) == []


async def test_what_rolls_back_leaves_no_note(site: Hall) -> None:
    db = site.context.db
    before = await _top(db)
    for _ in range(3):
        await site.issue("AKTA")  # its quota is 3
    after_three = await _top(db)
    refused = await site.client.post("/api/v1/sites/TEST/tickets", json={"service": "AKTA"},
                                     headers=KIOSK)
    assert refused.status_code == 409
    assert await _top(db) == after_three > before
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            await session.execute(update(m.Service).values(name="gone"))
            raise RuntimeError("the command fails after its change")
    assert await _top(db) == after_three


async def test_a_deleted_row_is_noted_by_its_key(site: Hall) -> None:
    db = site.context.db
    before = await _top(db)
    async with db.write() as session:
        await session.execute(m.Zone.__table__.delete())
        await session.execute(m.EventRecord.__table__.delete())  # pruning: not history
    notes = await _notes(db, before)
    assert {(t, op) for _, t, op, _ in notes} <= {("zones", "D")}


async def test_lost_triggers_are_made_again_and_their_table_sent_whole(site: Hall) -> None:
    db = site.context.db
    async with db.write() as session:  # as a migration that rebuilds the table would
        await session.execute(text("DROP TRIGGER sync_tickets_update"))
    await site.issue("KTP")
    before = await _top(db)
    async with db.write(background=True) as session:
        assert await capture.ensure(session) == ["tickets"]
    notes = await _notes(db, before)
    assert [t for _, t, _, _ in notes] == ["tickets"]


async def test_a_batch_holds_the_last_of_each_row_within_its_bounds(site: Hall) -> None:
    db = site.context.db
    start = await _top(db)
    ticket = await site.issue("KTP")
    siti = await site.login("siti")
    counter = await site.open_counter(1, siti)
    await site.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    await site.client.post(f"/api/v1/tickets/{ticket['id']}/start", headers=siti)
    end = await _top(db)
    async with db.read() as session:
        whole = await capture.read(session, start, 10_000, 1 << 30)
        small = await capture.read(session, start, 5, 1 << 30)
        tiny = await capture.read(session, start, 10_000, 1)
        count = await session.scalar(select(func.count()).select_from(m.SyncOutbox).where(
            m.SyncOutbox.position > start))
    assert (whole.first, whole.last, whole.backlog) == (start, end, 0)
    ticket_rows = [json.loads(c) for c in whole.changes if '"tickets"' in c[:30]]
    assert len(ticket_rows) == 1 and ticket_rows[0][3]["status"] == "serving"
    assert len(whole.changes) < (count or 0)
    assert (small.last - small.first, small.backlog) == (5, end - start - 5)
    assert tiny.last == start + 1 and len(tiny.changes) == 1


async def test_a_store_of_several_halls_is_not_a_site(site: Hall) -> None:
    async with site.context.db.write() as session:
        session.add(m.Site(code="OTHER", name="x", timezone="UTC", public_base_url="",
                           always_open=True, hours={}, holidays=[], running_text="",
                           dispatch={}, reservation_seconds=120, last_event_seq=0))
    with pytest.raises(capture.OneHallOnly):
        async with site.context.db.write() as session:
            await capture.ensure(session)
