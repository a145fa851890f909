"""At a site: which records go up to the centre, and how every change of them is caught.

Each table of ``UPWARD`` gets three SQLite triggers. After every insert and update they write
the row as it now stands (a JSON object, as SQLite stores it) into ``sync_outbox``, after every
delete its key; the outbox's AUTOINCREMENT position is the order of the site's commits (SQLite
has one writer at a time). A trigger sees every change, whichever code makes it (a command,
housekeeping, the hall file applied, a command-line tool in another process, a migration's
data step), and it writes in the change's own transaction: a change that rolls back takes its
note with it, and none is noted that did not happen.

The triggers are made from the tables' columns when a site server starts (``ensure``), and
made again whenever those columns change (a new version adds one): each trigger set's digest
is kept in ``sync_state``. A table captured for the first time, or again after its triggers were
lost (a migration that rebuilds a table drops them), is sent whole once (its rows written into
the outbox), so the centre never misses what happened without a trigger. Sending a row the
centre already has changes nothing there.

New record kinds join by being named in ``UPWARD``, after the tables they refer to.

What it costs: one more row written per changed row (~1 to 2 KB of JSON per ticket's day);
the outbox keeps only what the centre has not yet acknowledged.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Column, Table, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.store import models as m

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upward:
    """A table whose rows go up to the centre.

    ``withheld``: columns that never leave the site (password and token hashes);
    ``quiet``: columns sent with the row, whose change alone is not worth a note (the site's
    event counter moves with every command; a device's last-seen time with every report);
    ``deletes``: whether a deleted row is deleted at the centre too (the event log is pruned
    at the site, but the centre keeps all of it)."""

    table: str
    withheld: frozenset[str] = frozenset()
    quiet: frozenset[str] = frozenset()
    deletes: bool = True


UPWARD: tuple[Upward, ...] = (  # parents before the tables that refer to them
    Upward("sites", quiet=frozenset({"last_event_seq"})),
    Upward("agencies"),
    Upward("services"),
    Upward("zones"),
    Upward("officers", withheld=frozenset({"password_hash"})),
    Upward("counters"),
    Upward("counter_services"),
    Upward("devices", withheld=frozenset({"token_hash"}), quiet=frozenset({"last_seen_at"})),
    Upward("tickets"),
    Upward("surveys"),
    Upward("audit_log"),
    Upward("events", deletes=False),
)
BY_TABLE = {spec.table: spec for spec in UPWARD}
TABLES = tuple(spec.table for spec in UPWARD)
REFERRED = frozenset(key.column.table.name for name in TABLES
                     for key in m.Base.metadata.tables[name].foreign_keys)
STATE_ID = 1


class OneHallOnly(Exception):
    """A site server sends one hall: its store holds several."""


def table_of(name: str) -> Table:
    return m.Base.metadata.tables[name]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _value(ref: str, column: Column[object]) -> str:
    value = f"{ref}.{_quoted(column.name)}"
    return f"json({value})" if isinstance(column.type, JSON) else value


def sent_columns(spec: Upward) -> list[Column[object]]:
    return [c for c in table_of(spec.table).columns if c.name not in spec.withheld]


def image_sql(spec: Upward, ref: str) -> str:
    """The row named ``ref`` as a JSON object of the columns that are sent."""
    return "json_object(" + ", ".join(
        f"'{c.name}', {_value(ref, c)}" for c in sent_columns(spec)) + ")"


def _key_sql(table: Table, ref: str) -> str:
    return " || ':' || ".join(f"CAST({ref}.{_quoted(c.name)} AS TEXT)"
                              for c in table.primary_key.columns)


def _key_image_sql(table: Table, ref: str) -> str:
    return "json_object(" + ", ".join(f"'{c.name}', {ref}.{_quoted(c.name)}"
                                      for c in table.primary_key.columns) + ")"


def _note(spec: Upward, op: str, ref: str) -> str:
    table = table_of(spec.table)
    row = image_sql(spec, ref) if op == "U" else _key_image_sql(table, ref)
    return (f"INSERT INTO sync_outbox (tbl, pk, op, image) VALUES "
            f"('{spec.table}', {_key_sql(table, ref)}, '{op}', {row});")


def trigger_names(spec: Upward) -> tuple[str, str, str]:
    return (f"sync_{spec.table}_insert", f"sync_{spec.table}_update",
            f"sync_{spec.table}_delete")


def triggers(spec: Upward) -> list[str]:
    """The CREATE TRIGGER statements of one table."""
    table = _quoted(spec.table)
    on_insert, on_update, on_delete = trigger_names(spec)
    loud = [c.name for c in sent_columns(spec) if c.name not in spec.quiet]
    changed = " OR ".join(f"OLD.{_quoted(n)} IS NOT NEW.{_quoted(n)}" for n in loud)
    statements = [
        f"CREATE TRIGGER {on_insert} AFTER INSERT ON {table} BEGIN {_note(spec, 'U', 'NEW')} END",
        f"CREATE TRIGGER {on_update} AFTER UPDATE OF {', '.join(map(_quoted, loud))} ON {table} "
        f"WHEN {changed} BEGIN {_note(spec, 'U', 'NEW')} END",
    ]
    if spec.deletes:
        statements.append(f"CREATE TRIGGER {on_delete} AFTER DELETE ON {table} "
                          f"BEGIN {_note(spec, 'D', 'OLD')} END")
    return statements


def digest(spec: Upward) -> str:
    return hashlib.sha256("\n".join(triggers(spec)).encode()).hexdigest()[:16]


async def _state(session: AsyncSession) -> m.SyncState:
    state = await session.get(m.SyncState, STATE_ID)
    if state is None:
        state = m.SyncState(id=STATE_ID, captured={}, acked=0, hall_version=0)
        session.add(state)
        await session.flush()
    return state


async def ensure(session: AsyncSession, *, resend_all: bool = False) -> list[str]:
    """Make the triggers that are missing or out of date, and note the rows of each table
    captured anew as they stand. Returns those tables. SQLite only; one hall per store."""
    if session.get_bind().dialect.name != "sqlite":
        raise NotImplementedError("a site server keeps its records in SQLite")
    sites = int(await session.scalar(select(func.count()).select_from(m.Site)) or 0)
    if sites > 1:
        raise OneHallOnly(f"this store holds {sites} halls; a site server sends one")
    state = await _state(session)
    connection = await session.connection()
    present = set((await connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync\\_%' "
        "ESCAPE '\\'")).scalars().all())
    captured = dict(state.captured or {})
    anew = []
    for spec in UPWARD:
        wanted = [n for n in trigger_names(spec) if spec.deletes or not n.endswith("_delete")]
        if (not resend_all and captured.get(spec.table) == digest(spec)
                and all(n in present for n in wanted)):
            continue
        for name in trigger_names(spec):
            await connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        for statement in triggers(spec):
            await connection.exec_driver_sql(statement)
        table = table_of(spec.table)
        ref = _quoted(spec.table)
        order = ", ".join(f"{ref}.{_quoted(c.name)}" for c in table.primary_key.columns)
        await connection.exec_driver_sql(
            f"INSERT INTO sync_outbox (tbl, pk, op, image) SELECT '{spec.table}', "
            f"{_key_sql(table, ref)}, 'U', {image_sql(spec, ref)} FROM {ref} ORDER BY {order}")
        captured[spec.table] = digest(spec)
        anew.append(spec.table)
    state.captured = captured
    if anew:
        log.info("capturing changes of %s for the centre (their rows as they stand are "
                 "noted to be sent)", ", ".join(anew))
    return anew


# ---------------------------------------------------------------- reading and forgetting

@dataclass(frozen=True)
class Outgoing:
    """Changes after ``first`` up to ``last`` (the last of each row only), as JSON texts
    ``[position, table, op, row]``, and how many more the outbox holds after them."""

    first: int
    last: int
    backlog: int
    changes: list[str]

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.changes)


_LAST_OF_EACH_ROW = text("""
SELECT o.position, o.tbl, o.op, o.image FROM sync_outbox AS o
JOIN (SELECT max(position) AS position FROM sync_outbox
      WHERE position > :after AND position <= :upto GROUP BY tbl, pk) AS latest
  ON latest.position = o.position
ORDER BY o.position
""")
_NTH_AFTER = text("SELECT position FROM sync_outbox WHERE position > :after "
                  "ORDER BY position LIMIT 1 OFFSET :skip")


async def read(session: AsyncSession, after: int, limit: int, max_bytes: int) -> Outgoing:
    """The next batch: at most ``limit`` changes of the outbox, and about ``max_bytes`` of
    rows (fewer changes when they are larger)."""
    top = int(await session.scalar(select(func.max(m.SyncOutbox.position))) or 0)
    while True:
        upto = await session.scalar(_NTH_AFTER, {"after": after, "skip": max(0, limit - 1)})
        last = int(upto) if upto is not None else max(after, top)
        rows = (await session.execute(_LAST_OF_EACH_ROW, {"after": after, "upto": last})).all()
        changes = [f'[{position},"{table}","{op}",{image}]' for position, table, op, image in rows]
        batch = Outgoing(after, last, max(0, top - last), changes)
        if batch.size <= max_bytes or limit <= 1:
            return batch
        limit //= 2


async def oldest(session: AsyncSession) -> int | None:
    position = await session.scalar(select(func.min(m.SyncOutbox.position)))
    return int(position) if position is not None else None


async def acknowledged(session: AsyncSession, acked: int, now: datetime) -> None:
    """The centre holds everything up to ``acked``: forget it here."""
    await session.execute(delete(m.SyncOutbox).where(m.SyncOutbox.position <= acked))
    state = await _state(session)
    state.acked, state.acked_at = acked, now


async def sync_state(session: AsyncSession) -> m.SyncState:
    return await _state(session)


async def last_position(session: AsyncSession) -> int:
    """The last position ever handed out (the outbox may since have been emptied)."""
    seq = await session.scalar(text(
        "SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'"))
    return int(seq or 0)


async def continue_after(session: AsyncSession, position: int) -> None:
    """Hand out positions after ``position`` from now on: a store restored from an older copy
    must not reuse positions the centre already holds."""
    if await last_position(session) >= position:
        return
    connection = await session.connection()
    updated = await connection.exec_driver_sql(
        "UPDATE sqlite_sequence SET seq = ? WHERE name = 'sync_outbox'", (position,))
    if not updated.rowcount:
        await connection.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_outbox', ?)", (position,))
