"""Helpers for the region's tests: a site's outbox read into batches as its uplink sends them,
and rows of two stores compared."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from common.protocol.region import UplinkBatch
from server.region import capture, wire
from server.store.db import Database


async def batch_from(db: Database, after: int, limit: int = 2000, *, site: str | None = "TEST",
                     max_bytes: int = 4 << 20, clock: datetime | None = None) -> UplinkBatch:
    """The site's next batch, packed and unpacked as it travels; ``clock``: the site's."""
    async with db.read() as session:
        out = await capture.read(session, after, limit, max_bytes)
    head = {"site": site, "revision": "test", "first": out.first, "last": out.last,
            "backlog": out.backlog, "clock": (clock or datetime.now(UTC)).isoformat(), "hall_version": 0,
            "hall_problem": None}
    return UplinkBatch.model_validate_json(wire.unpack(wire.pack(head, out.changes), "gzip"))


def edited(batch: UplinkBatch, table: str, **values: Any) -> UplinkBatch:
    """The batch with every row of ``table`` changed as given."""
    changes = [(p, t, op, {**row, **values} if t == table else row)
               for p, t, op, row in batch.changes]
    return batch.model_copy(update={"changes": changes})


async def records(db: Database, *tables: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of the tables a site sends (all of them unless named), as Python values, without
    the columns that stay at the site or are sent only with another change (``quiet``)."""
    found = {}
    async with db.read() as session:
        for spec in capture.UPWARD:
            if tables and spec.table not in tables:
                continue
            table = capture.table_of(spec.table)
            leave_out = spec.withheld | spec.quiet
            result = await session.execute(select(table).order_by(*table.primary_key.columns))
            found[spec.table] = [{k: v for k, v in row._mapping.items() if k not in leave_out}
                                 for row in result.all()]
    return found


def sqlite_rows(path: Path, table: str, order: str) -> list[tuple[Any, ...]]:
    """A table's rows as SQLite stores them (JSON columns parsed, so key order is moot)."""
    with sqlite3.connect(path) as connection:
        found = connection.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    return [tuple(_parsed(v) for v in row) for row in found]


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value


async def drop_mirrors(database_url: str) -> None:
    """A centre on PostgreSQL made a database per hall beside its own: drop them with it."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return
    import asyncpg

    admin = url.set(database="postgres").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin.replace("postgresql+asyncpg", "postgresql"))
    try:
        names = await connection.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1",
                                       f"{url.database}\\_%")
        for row in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await connection.close()

