"""A site's records reach the centre's mirror of it (SQLite or PostgreSQL) exactly once, in
order, and the centre's statistics for the site, computed by the same code over the mirror,
equal the site's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock, Hall, running_hall
from regionsupport import batch_from, edited, records
from sqlalchemy import select

from server.region import capture
from server.region.mirror import BadBatch, Gap, Mirror, NotYours
from server.services import stats, stats_rollup
from server.store import models as m
from server.store.db import Database
from tests.stats.scenario import DAY, MORNING, a_morning

GROUPINGS = ("service", "agency", "counter", "officer", "hour")


@dataclass
class Region:
    site: Hall
    mirror: Mirror

    async def send_all(self, limit: int = 2000) -> int:
        """Send the outbox as the uplink does (bounded batches from the mirror's position);
        returns how many batches it took."""
        sent = 0
        while True:
            acked = self.mirror.state.acked if self.mirror.state is not None else 0
            batch = await batch_from(self.site.context.db, acked, limit,
                                     clock=self.site.clock())
            await self.mirror.apply(batch, self.site.clock())
            sent += 1
            if batch.backlog == 0:
                return sent


@pytest.fixture
async def region(database_url: str, tmp_path: Path) -> AsyncIterator[Region]:
    """A site (SQLite, the small hall, its changes captured) and the centre's mirror of it on
    either store."""
    site_dir = tmp_path / "site"
    async with running_hall(f"sqlite:///{site_dir / 'antrean.db'}", site_dir,
                            clock=FakeClock(MORNING)) as site:
        async with site.context.db.write(background=True) as session:
            await capture.ensure(session)
        mirror = Mirror("TEST", Database(database_url))
        await mirror.open()
        try:
            yield Region(site, mirror)
        finally:
            await mirror.dispose()


async def _figures(db: Database, catalog: Any, query: stats.StatsQuery, now: Any
                   ) -> dict[str, Any]:
    site = catalog.site("TEST")
    async with db.read() as session:
        result = await stats.statistics(session, catalog, site, query, now)
        hall_now = await stats.hall_now(session, catalog, site, now)
    return {"stats": result.model_dump(exclude={"generated_at"}),
            "now": hall_now.model_dump()}


async def assert_same_figures(region: Region, first: str, last: str) -> None:
    now = region.site.clock()
    for group_by in GROUPINGS:
        query = stats.StatsQuery(date.fromisoformat(first), date.fromisoformat(last), group_by)  # type: ignore[arg-type]
        at_site = await _figures(region.site.context.db, region.site.context.catalog, query, now)
        at_centre = await _figures(region.mirror.db, region.mirror.catalog, query, now)
        assert at_centre == at_site, group_by
    assert at_site["stats"]["totals"]["issued"] > 0


async def test_a_morning_reaches_the_mirror_in_small_batches_and_the_figures_are_the_same(
        region: Region) -> None:
    await a_morning(region.site)
    batches = await region.send_all(limit=7)
    assert batches > 10
    assert await records(region.mirror.db) == await records(region.site.context.db)
    await assert_same_figures(region, DAY, DAY)
    # Nothing held at the site after the last acknowledgement but what came since.
    async with region.site.context.db.write() as session:
        await capture.acknowledged(session, region.mirror.state.acked, region.site.clock())  # type: ignore[union-attr]
    async with region.site.context.db.read() as session:
        assert await capture.oldest(session) is None


async def test_a_batch_sent_again_or_overlapping_changes_nothing(region: Region) -> None:
    await a_morning(region.site)
    first = await batch_from(region.site.context.db, 0, 40)
    applied = await region.mirror.apply(first, region.site.clock())
    assert (applied.acked, applied.duplicate) == (first.last, False) and applied.changes
    again = await region.mirror.apply(first, region.site.clock())
    assert (again.acked, again.duplicate, again.changes) == (first.last, True, 0)
    everything = await batch_from(region.site.context.db, 0)  # from the start: overlaps
    overlapping = await region.mirror.apply(everything, region.site.clock())
    assert overlapping.acked == everything.last and not overlapping.duplicate
    assert region.mirror.state is not None and region.mirror.state.duplicates == 1
    assert await records(region.mirror.db) == await records(region.site.context.db)
    await assert_same_figures(region, DAY, DAY)


async def test_a_batch_that_would_leave_a_hole_is_refused_with_what_the_mirror_holds(
        region: Region) -> None:
    await a_morning(region.site)
    first = await batch_from(region.site.context.db, 0, 30)
    await region.mirror.apply(first, region.site.clock())
    later = await batch_from(region.site.context.db, first.last + 10, 30)
    with pytest.raises(Gap) as gap:
        await region.mirror.apply(later, region.site.clock())
    assert gap.value.acked == first.last
    async with region.mirror.db.read() as session:  # nothing of the refused batch was kept
        held = (await session.scalars(select(m.Ticket.id))).all()
    assert len(held) <= 6


async def test_records_of_another_site_or_of_unknown_kinds_are_refused_whole(
        region: Region) -> None:
    await a_morning(region.site)
    batch = await batch_from(region.site.context.db, 0)
    for wrong in (edited(batch, "sites", code="OTHER"), edited(batch, "tickets", site_id=99)):
        with pytest.raises(NotYours):
            await region.mirror.apply(wrong, region.site.clock())
    with pytest.raises(BadBatch, match="column colour"):
        await region.mirror.apply(edited(batch, "tickets", colour="red"), region.site.clock())
    unknown = batch.model_copy(update={"changes": [
        *batch.changes, (batch.last + 1, "bookings", "U", {"id": 1})], "last": batch.last + 1})
    with pytest.raises(BadBatch, match="bookings"):
        await region.mirror.apply(unknown, region.site.clock())
    async with region.mirror.db.read() as session:
        assert (await session.scalars(select(m.Ticket.id))).all() == []
        assert await session.get(m.MirrorState, 1) is None or (
            await session.get(m.MirrorState, 1)).acked == 0  # type: ignore[union-attr]
    await region.send_all()  # the right batch still goes in
    await assert_same_figures(region, DAY, DAY)


async def test_closed_days_are_rolled_up_at_the_mirror_as_at_the_site(region: Region) -> None:
    await a_morning(region.site)
    region.site.clock.advance(days=1)
    site = region.site.context
    async with site.db.write() as session:
        assert await stats_rollup.catch_up(session, site.catalog, site.clock(), limit=None)
    await region.send_all(limit=25)
    while await region.mirror.roll_up():  # a few days a round, as housekeeping does
        pass
    async with region.mirror.db.read() as session:
        marks = (await session.scalars(select(m.StatsPeriod.period_start).where(
            m.StatsPeriod.grain == "d"))).all()
    assert DAY in [str(d) for d in marks]
    tomorrow = str(MORNING.date() + timedelta(days=1))
    await assert_same_figures(region, DAY, tomorrow)

    # A late survey of a rolled-up day: both sides read that day from tickets again.
    async with site.db.read() as session:
        code = await session.scalar(select(m.Ticket.tracking_code).where(
            m.Ticket.number == "A-003"))
    answers = {e: 2 for e in ("requirements", "procedure", "time", "cost", "product",
                              "competence", "behaviour", "complaints", "facilities")}
    response = await region.site.client.post(f"/api/v1/tickets/{code}/survey", json=answers)
    assert response.status_code == 201, response.text
    await region.send_all()
    async with region.mirror.db.read() as session:
        marks = (await session.scalars(select(m.StatsPeriod.period_start))).all()
    assert DAY not in [str(d) for d in marks]
    await assert_same_figures(region, DAY, tomorrow)
