"""At the centre: one store per site, holding the site's records as the site holds them.

A mirror is an ordinary Antrean store (the same schema, migrated by the same migrations) with
one site in it, keyed by the site's own ids. Tickets, counters and officers of different halls
never meet in one table, so their ids cannot collide and nothing is translated; the statistics,
the dashboard and the exports read a mirror with the very code a site reads its own store with,
over the same rows, and so give the same figures. With SQLite the mirrors are files beside the
centre's own (``region/<site>.db``); with PostgreSQL, databases beside the centre's
(``<database>_<site>``), created when first needed.

A batch is applied in one transaction with the position it reaches (``mirror_state``): a batch
is applied whole or not at all, and one sent again, or overlapping one applied before, changes
nothing (``server.domain.changes``). A batch that starts past the mirror's position would leave
a hole: it is refused with the position the mirror holds, and the site sends again from there.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.region import UplinkBatch
from server.domain.changes import Change, Keys, Plan, UnknownTable, plan
from server.region.capture import REFERRED, TABLES, table_of
from server.region.rows import Readers, UnknownRecord
from server.services import stats_rollup
from server.services.catalog import Catalog, SiteInfo
from server.store import models as m
from server.store.db import Database, normalise_url
from server.store.migrate import upgrade

log = logging.getLogger(__name__)

STATE_ID = 1
CHUNK = 500
CATALOG_TABLES = frozenset({"sites", "agencies", "services", "zones", "counters",
                            "counter_services"})
COUNTER_ACTIONS = frozenset({"counter.open", "counter.pause", "counter.resume", "counter.close"})


class Gap(Exception):
    """The batch starts past what the mirror holds."""

    def __init__(self, acked: int) -> None:
        super().__init__(f"the mirror holds changes up to {acked}")
        self.acked = acked


class NotYours(Exception):
    """The batch holds records of another site."""


class BadBatch(Exception):
    """The batch cannot be applied (a record this centre does not know, or one that breaks
    the store's rules)."""


@dataclass(frozen=True)
class Applied:
    acked: int
    duplicate: bool
    changes: int  # changes past the mirror's position before the batch


def slug(code: str) -> str:
    """A name for files and databases, different for every code."""
    plain = re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_") or "site"
    return f"{plain[:40]}_{hashlib.sha256(code.encode()).hexdigest()[:6]}"


def mirror_url(centre_url: str, code: str) -> str:
    url = make_url(normalise_url(centre_url))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("a centre on SQLite needs a database file")
        path = Path(url.database).resolve().parent / "region" / f"{slug(code)}.db"
        return url.set(database=str(path)).render_as_string(hide_password=False)
    name = slug(code)
    base = (url.database or "antrean")[:62 - len(name)]
    return url.set(database=f"{base}_{name}").render_as_string(hide_password=False)


async def _create_postgres_database(centre: Database, url: str) -> None:
    name = make_url(url).database
    async with centre.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        exists = await autocommit.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = $1", (name,))
        if exists.first() is None:
            await autocommit.exec_driver_sql(f'CREATE DATABASE "{name}"')
            log.info("created the database %s for a site's records", name)


def _insert(dialect: str, table: Table) -> Any:
    statement = (sqlite_insert if dialect == "sqlite" else postgres_insert)(table)
    keys = [c.name for c in table.primary_key.columns]
    others = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    if not others:
        return statement.on_conflict_do_nothing(index_elements=keys)
    return statement.on_conflict_do_update(index_elements=keys, set_=others)


async def _delete(session: AsyncSession, work: Keys) -> None:
    for name, keys in work:
        table = table_of(name)
        columns = list(table.primary_key.columns)
        for i in range(0, len(keys), CHUNK):
            chunk = keys[i:i + CHUNK]
            where = (columns[0].in_([k[0] for k in chunk]) if len(columns) == 1
                     else tuple_(*columns).in_(chunk))
            await session.execute(delete(table).where(where))


class Mirror:
    """The centre's store of one site's records."""

    def __init__(self, code: str, db: Database) -> None:
        self.code = code
        self.db = db
        self.catalog = Catalog()
        self.state: m.MirrorState | None = None  # as of the last batch (a detached copy)
        self._catalog_at = 0  # the position the catalogue was read at
        self._readers = Readers()
        self._lock = asyncio.Lock()

    @property
    def site(self) -> SiteInfo | None:
        return next((s for s in self.catalog.sites.values() if s.code == self.code), None)

    async def open(self) -> None:
        await upgrade(self.db)
        await self.reload()

    async def reload(self) -> None:
        async with self.db.read() as session:
            self.catalog = await Catalog.load(session)
            self.state = await session.get(m.MirrorState, STATE_ID)
        self._catalog_at = self.state.acked if self.state is not None else 0

    async def refresh(self) -> None:
        """Read how far the mirror is, as another process of the centre may have moved it; the
        catalogue is read again when it has moved since it was."""
        async with self.db.read() as session:
            state = await session.get(m.MirrorState, STATE_ID)
        self.state = state
        if state is not None and state.acked != self._catalog_at:
            await self.reload()

    async def apply(self, batch: UplinkBatch, now: datetime) -> Applied:
        async with self._lock, self.db.write(background=True) as session:
            state = await session.get(m.MirrorState, STATE_ID, with_for_update=True)
            if state is None:
                state = m.MirrorState(id=STATE_ID, site_code=self.code, acked=0, batches=0,
                                      duplicates=0, changes=0)
                session.add(state)
            if batch.first > state.acked:
                raise Gap(state.acked)
            acked_before = state.acked
            duplicate = bool(batch.changes) and batch.last <= state.acked
            touched: set[str] = set()
            applied = 0
            try:  # all of it, even what is held already: another site's records are refused
                changes = [self._readers.change(*c) for c in batch.changes]
                work = plan(changes, TABLES, state.acked, REFERRED)
            except (UnknownRecord, UnknownTable, ValueError) as exc:
                raise BadBatch(str(exc) if not isinstance(exc, UnknownTable) else
                               f"this centre keeps no records of '{exc}'") from exc
            await self._check_owner(session, changes)
            if batch.last > state.acked:
                try:
                    await self._write(session, work)
                    await self._invalidate(session, [c for c in changes
                                                     if c.position > state.acked])
                except (IntegrityError, StatementError) as exc:
                    raise BadBatch(f"the records break the store's rules: {exc.orig}") from exc
                touched = work.tables
                applied = work.applied
                state.acked = batch.last
                state.changes += applied
            if batch.changes:
                state.batches += 1
                state.duplicates += int(duplicate)
            if state.site_clock is None or batch.clock > state.site_clock:
                state.site_clock = batch.clock
            state.site_schema, state.applied_at = batch.revision, now
            await session.flush()
            session.expunge(state)
            result = Applied(state.acked, duplicate, applied)
        self.state = state
        if touched & CATALOG_TABLES:
            await self.reload()
        elif self._catalog_at == acked_before:
            self._catalog_at = state.acked  # nothing of the catalogue changed
        return result

    async def _check_owner(self, session: AsyncSession, changes: Sequence[Change]) -> None:
        """Every record must be of this site: the site's own row bears its code, and every row
        that names a site names it."""
        site_id = self.site.id if self.site is not None else None
        for change in changes:
            if change.table == "sites" and change.op == "U":
                if change.row["code"] != self.code:
                    raise NotYours(f"the records are of site '{change.row['code']}', and this "
                                   f"token is of '{self.code}'")
                if site_id is None:
                    site_id = await session.scalar(select(m.Site.id).where(
                        m.Site.code == self.code)) or change.row["id"]
                if change.row["id"] != site_id:
                    raise NotYours("the records hold a second site")
        for change in changes:
            owner = change.row.get("site_id")
            if change.op == "U" and owner is not None and owner != site_id:
                if site_id is None:
                    raise BadBatch("the site's own record must come before its other records")
                raise NotYours(f"a record of {change.table} names another site")

    async def _write(self, session: AsyncSession, work: Plan) -> None:
        dialect = session.get_bind().dialect.name
        await _delete(session, work.deletes_first)
        for name, rows in work.upserts:
            statement = _insert(dialect, table_of(name))
            for i in range(0, len(rows), CHUNK):
                await session.execute(statement, rows[i:i + CHUNK])
        await _delete(session, work.deletes_last)

    async def _invalidate(self, session: AsyncSession, changes: Sequence[Change]) -> None:
        """Days rolled up for the statistics that these records change are rolled up again,
        as at the site: tickets by their service day, surveys by their ticket's, counters'
        opening and closing by the local day they happened."""
        site = self.site
        site_id = site.id if site is not None else next(
            (c.row["id"] for c in changes if c.table == "sites"), None)
        if site_id is None:
            return
        marks = {start for grain, start in (await session.execute(
            select(m.StatsPeriod.grain, m.StatsPeriod.period_start).where(
                m.StatsPeriod.site_id == site_id))).all()}
        if not marks:
            return
        timezone = site.timezone if site is not None else "UTC"
        days: set[date] = set()
        surveyed: list[int] = []
        for change in changes:
            row = change.row
            if change.table == "tickets" and change.op == "U":
                days.add(row["service_day"])
            elif change.table == "surveys" and change.op == "U":
                surveyed.append(row["ticket_id"])
            elif change.table == "audit_log" and row.get("action") in COUNTER_ACTIONS:
                days.add(row["at"].astimezone(ZoneInfo(timezone)).date())
        if surveyed:
            days |= set((await session.scalars(select(m.Ticket.service_day).where(
                m.Ticket.id.in_(surveyed)))).all())
        for day in days:
            if day in marks or stats_rollup.month_start(day) in marks:
                await stats_rollup.invalidate(session, site_id, day)

    async def roll_up(self) -> int:
        """Roll up the closed days of the site (by the site's clock), as the site does."""
        site_clock = self.state.site_clock if self.state is not None else None
        if self.site is None or site_clock is None:
            return 0
        async with self.db.write(background=True) as session:
            return await stats_rollup.catch_up(session, self.catalog, site_clock)

    async def dispose(self) -> None:
        await self.db.dispose()


class Mirrors:
    """The centre's mirrors, opened when first needed."""

    def __init__(self, centre: Database) -> None:
        self.centre = centre
        self._open: dict[str, Mirror] = {}
        self._opening: dict[str, asyncio.Lock] = {}

    def opened(self) -> list[Mirror]:
        return list(self._open.values())

    async def get(self, code: str) -> Mirror:
        found = self._open.get(code)
        if found is not None:
            return found
        lock = self._opening.setdefault(code, asyncio.Lock())
        async with lock:
            found = self._open.get(code)
            if found is None:
                url = mirror_url(self.centre.url, code)
                if not self.centre.is_sqlite:
                    await _create_postgres_database(self.centre, url)
                found = Mirror(code, Database(url))
                await found.open()
                self._open[code] = found
        return found

    async def close(self) -> None:
        for mirror in self._open.values():
            await mirror.dispose()
        self._open.clear()
