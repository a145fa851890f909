"""SQLite for the one writer (and quick lookups), run on the event loop's own thread.

aiosqlite runs every call on a helper thread and wakes the loop when it is done. SQLAlchemy
makes four such calls per statement (open a cursor, execute, fetch, close), and on a write the
round trips cost more than the SQL: an issued ticket spent about a quarter of its time waiting
for them. Writes on SQLite are serialised by the process anyway (``Database.write``), so
running them on the loop's thread gives up no concurrency, and a statement of a command takes
a fraction of a millisecond. Here SQLAlchemy's aiosqlite dialect is given a DBAPI module whose
connections are plain sqlite3 ones, called where SQLAlchemy asks: no helper thread, and no
trip out of SQLAlchemy's greenlet for every call either. Reads keep aiosqlite's thread: a long
statistics query must not stall the loop.

The price: while a write runs, nothing else on the loop does, so a write must not wait for
SQLite's lock. The writer's busy timeout is zero and ``Database.write`` retries a locked
``BEGIN IMMEDIATE`` with an asyncio sleep instead.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

log = logging.getLogger(__name__)


class _InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's cursor for aiosqlite, calling sqlite3 where it is asked instead of awaiting
    a helper thread: each statement's cursor, execute, fetch and close would otherwise be a
    trip out of SQLAlchemy's greenlet and back."""

    __slots__ = ()
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        return connection.cursor()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        cursor = cast(sqlite3.Cursor, self._cursor)
        try:
            result = cursor.execute(operation) if parameters is None else cursor.execute(
                operation, parameters)
            if cursor.description:
                self._rows = deque(cursor.fetchall())
            return result
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return cast(sqlite3.Cursor, self._cursor).executemany(operation, seq_of_parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)


class _InlineConnection(AsyncAdapt_aiosqlite_connection):
    """A plain sqlite3 connection behind SQLAlchemy's async adapter, used on the loop's thread."""

    __slots__ = ()
    _cursor_cls = _InlineCursor

    @property
    def _sqlite(self) -> sqlite3.Connection:
        return cast(sqlite3.Connection, self._connection)

    @property
    def isolation_level(self) -> str | None:
        return self._sqlite.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._sqlite.isolation_level = value

    def create_function(self, *args: Any, **kw: Any) -> None:
        self._sqlite.create_function(*args, **kw)

    def rollback(self) -> None:
        self._sqlite.rollback()

    def commit(self) -> None:
        self._sqlite.commit()

    def close(self) -> None:
        self._sqlite.close()

    def terminate(self) -> None:
        self._sqlite.close()


class _InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _InlineConnection:
        kwargs.pop("async_creator_fn", None)
        return _InlineConnection(self, sqlite3.connect(
            *args, **{**kwargs, "check_same_thread": False, "isolation_level": None}))


def _driver(connection: Connection) -> sqlite3.Connection:
    return cast(sqlite3.Connection, connection.connection.driver_connection)


async def still_in_transaction(connection: AsyncConnection) -> bool:
    """Whether SQLite still holds the connection's transaction: after some errors (a full disk,
    an I/O error) it rolls the whole transaction back by itself."""
    raw = await connection.get_raw_connection()
    return cast(sqlite3.Connection, raw.driver_connection).in_transaction


class InlineDialect(SQLiteDialect_aiosqlite):
    """SQLAlchemy's aiosqlite dialect with the inline DBAPI. Savepoints (one per command in a
    group, see ``group_commit``) go to sqlite3 as they are: SQLAlchemy builds each savepoint's
    statement anew, its name being new, and that cost a command a tenth of its time."""

    driver = "antrean_inline"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> Any:
        return _InlineDBAPI(aiosqlite, sqlite3)

    def do_savepoint(self, connection: Connection, name: str) -> None:
        _driver(connection).execute(f'SAVEPOINT "{name}"')

    def do_release_savepoint(self, connection: Connection, name: str) -> None:
        _driver(connection).execute(f'RELEASE SAVEPOINT "{name}"')

    def do_rollback_to_savepoint(self, connection: Connection, name: str) -> None:
        _driver(connection).execute(f'ROLLBACK TO SAVEPOINT "{name}"')


registry.register("sqlite.antrean_inline", __name__, "InlineDialect")
INLINE_DRIVER = "sqlite+antrean_inline"


class InlineSession(AsyncSession):
    """The session for inline connections. Their driver never waits, so the calls a command
    makes most run straight on the loop instead of in a greenlet of their own, which cost as
    much as the statement itself; the rest still take a greenlet, and work the same.

    It must hold its connection before the first of these calls (bound to an open one, or
    after ``await session.connection()``): taking a new one from the pool may wait, and only
    a greenlet can."""

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.scalar(*args, **kwargs)

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.scalars(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(*args, **kwargs)

    async def get_one(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.get_one(*args, **kwargs)

    async def flush(self, objects: Sequence[Any] | None = None) -> None:
        self.sync_session.flush(objects)

    async def close(self) -> None:
        self.sync_session.close()


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
