"""Helpers for the region's tests: a site's outbox read into batches as its uplink sends them,
and rows of two stores compared."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def rows(path: Path, table: str, order: str) -> list[tuple[Any, ...]]:
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
