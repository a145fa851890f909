"""SQLite for the one writer, run on the event loop's own thread.

aiosqlite runs every call on a helper thread and wakes the loop when it is done. SQLAlchemy
makes four such calls per statement (open a cursor, execute, fetch, close), and on a write the
round trips cost more than the SQL: an issued ticket spent about a quarter of its time waiting
for them. Writes on SQLite are serialised by the process anyway (``Database.write``), so
running them on the loop's thread gives up no concurrency, and a statement of a command takes
a fraction of a millisecond. Reads keep aiosqlite's thread: a long statistics query must not
stall the loop.

The price: while a write runs, nothing else on the loop does, so a write must not wait for
SQLite's lock. The writer's busy timeout is zero and ``Database.write`` retries a locked
``BEGIN IMMEDIATE`` with an asyncio sleep instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")

_ITER_CHUNK_SIZE = 64


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run where they are awaited, not on its thread.

    Its thread still opens and closes the connection (and sets the isolation level, which
    SQLAlchemy asks of the thread directly), hence ``check_same_thread=False``; those never
    overlap with a statement.
    """

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def inline_connector(database: str) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy: a fresh inline connection to ``database``."""

    async def connect() -> InlineConnection:
        connection = InlineConnection(
            partial(sqlite3.connect, database, check_same_thread=False, isolation_level=None),
            _ITER_CHUNK_SIZE)
        await connection  # opens it on its thread
        return connection

    return connect


def is_locked(error: BaseException) -> bool:
    """SQLite refused because another connection holds the lock (SQLITE_BUSY)."""
    original = getattr(error, "orig", error)
    return (isinstance(original, sqlite3.OperationalError)
            and getattr(original, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY,
                                                                 sqlite3.SQLITE_LOCKED))
