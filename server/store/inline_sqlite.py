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

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

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


CHECKPOINT_EVERY_SECONDS = 1.0


def _checkpoint(database: str) -> None:
    connection = sqlite3.connect(database, timeout=0)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        connection.close()


class Checkpointer:
    """Copies the write-ahead log back into the database file on a helper thread.

    SQLite's automatic checkpoint would run inside a commit, that is on the loop's thread for
    the inline writer, copying up to the whole log while every socket and request waits. The
    writer turns it off; after a commit, this starts a passive
    checkpoint (it never waits for, nor blocks, readers and the writer) if none ran in the
    last second.
    """

    def __init__(self, database: str) -> None:
        self.database = database
        self._task: asyncio.Task[None] | None = None
        self._last_started = -CHECKPOINT_EVERY_SECONDS

    def after_commit(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done():
            return
        if loop.time() - self._last_started < CHECKPOINT_EVERY_SECONDS:
            return
        self._last_started = loop.time()
        self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        try:
            await asyncio.to_thread(_checkpoint, self.database)
        except sqlite3.Error as exc:  # busy or locked: the next commit tries again
            log.info("checkpoint skipped: %s", exc)

    async def close(self) -> None:
        if self._task is not None:
            await self._task
