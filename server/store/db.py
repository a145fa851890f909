"""Engines and sessions for SQLite (embedded) and PostgreSQL (production), with one code path."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from server.store.group_commit import GroupCommit
from server.store.inline_sqlite import (
    INLINE_DRIVER,
    Checkpointer,
    InlineSession,
    is_locked,
    still_in_transaction,
)

WAIT_FOR_LOCK_SECONDS = 30
LOOKUP_BUSY_MS = 20
POOL_SIZE = 40  # PostgreSQL connections per process (ANTREAN_DATABASE_POOL)

# SQLSTATEs of a database that cannot serve now and will again: a connection refused or lost
# (class 08), out of connections or memory (53), shutting down or starting up (57P01-57P03),
# and the deadlock and serialization failures a retry clears (40P01, 40001).
_UNAVAILABLE_STATES = ("08", "53", "57P01", "57P02", "57P03", "40P01", "40001")


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot serve this request right now but may a
    moment later: stopped, restarting, unreachable, out of connections, locked by another
    writer, or the connection it had was cut. Such a request is answered "try again" (503),
    never as a fault of the request or of the server.

    Not all of these reach us as SQLAlchemy's errors: a refused connection is the socket's
    own OSError, and the driver's errors while connecting ("the database system is starting
    up") come unwrapped; the cause of a wrapped error tells what the wrapper does not."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OSError, PoolTimeout, DisconnectionError)):
            return True  # OSError covers refused, reset and timed-out connections
        if isinstance(current, DBAPIError) and (
                current.connection_invalidated or isinstance(current, OperationalError)):
            return True  # SQLite's "database is locked" and I/O errors are OperationalError
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        if _connection_broke(current):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def _connection_broke(error: BaseException) -> bool:
    """asyncpg's own errors for a connection cut under a statement, or left unusable by that."""
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return False
    failures = asyncpg.exceptions
    return isinstance(error, (failures.ConnectionDoesNotExistError,
                              failures.InternalClientError)) or (
        isinstance(error, failures.InterfaceError) and "closed" in str(error))


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / 'antrean.db').resolve()}"


def normalise_url(url: str) -> str:
    """Accept the URLs people write (postgresql://, sqlite:///) and pick the async drivers."""
    parsed = make_url(url)
    driver = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg",
              "sqlite": "sqlite+aiosqlite"}.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _sqlite_engine(url: str, begin: str, synchronous: str, *, inline: bool,
                   busy_ms: int | None = None) -> AsyncEngine:
    if inline:
        engine = create_async_engine(make_url(url).set(drivername=INLINE_DRIVER))
    else:
        engine = create_async_engine(url, connect_args={"timeout": 30})
    if busy_ms is None:
        # The inline writer must never sleep in SQLite's busy handler: it would stall the loop.
        busy_ms = 0 if inline else WAIT_FOR_LOCK_SECONDS * 1000

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        if inline:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # see Checkpointer
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def _postgres_engine(url: str, pool_size: int) -> AsyncEngine:
    # A fixed number of connections, all kept once opened: "overflow" connections beyond a
    # smaller pool were closed as soon as they were given back, and every burst of requests
    # opened them anew (a new PostgreSQL backend each), a fifth of the issue rate under 64
    # clients. Several processes share the database's max_connections: see docs/operations.md.
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0)

    @event.listens_for(engine.sync_engine, "checkout")
    def _drop_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # A restart or an administrator closes the server's end; the driver notices the
        # socket closing at once, so asking it costs nothing. A "pre-ping" would cost three
        # round trips on every checkout, more than most of our commands' own statements.
        # Raising here makes the pool throw the connection away and hand out a fresh one.
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the database closed this connection")

    return engine


class Database:
    """Hands out sessions: ``write()`` for commands (serialised on SQLite), ``read()`` for queries."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL",
                 pool_size: int = POOL_SIZE) -> None:
        self.url = normalise_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        if self.is_sqlite:
            database = make_url(self.url).database
            database_file = database if database and database != ":memory:" else None
            if database_file:
                Path(database_file).parent.mkdir(parents=True, exist_ok=True)
            # Writers take the lock at BEGIN, so two call-nexts can never read the same head.
            self.engine = _sqlite_engine(self.url, "BEGIN IMMEDIATE", sqlite_synchronous,
                                         inline=True)
            self.read_engine = _sqlite_engine(self.url, "BEGIN", sqlite_synchronous,
                                              inline=False)
            # Lookups (a token, the log's heads) are one indexed read each: on the loop's
            # thread they take microseconds, where a helper thread's hand-offs, each waiting
            # for the busy loop to let go of the GIL, took a loaded server hundreds of
            # milliseconds. A read in WAL mode waits for nobody, bar the rare moment another
            # connection recovers the log: for that, a short busy wait.
            self.lookup_engine = _sqlite_engine(self.url, "BEGIN", sqlite_synchronous,
                                                inline=True, busy_ms=LOOKUP_BUSY_MS)
            # Housekeeping's long transactions (roll-ups of closed days) keep the helper
            # thread: they take the same lock, but leave the loop to the requests.
            self.background_engine = _sqlite_engine(self.url, "BEGIN IMMEDIATE",
                                                    sqlite_synchronous, inline=False)
            self._write_lock: asyncio.Lock | None = asyncio.Lock()
            self._group = GroupCommit(self._write_lock, self._begin_immediate,
                                      still_in_transaction, self._after_commit,
                                      session_class=InlineSession)
            self._checkpointer = Checkpointer(database_file) if database_file else None
        else:
            self.engine = self.background_engine = _postgres_engine(self.url, pool_size)
            # Under READ COMMITTED every statement sees its own snapshot, in a transaction or
            # not, so reads skip BEGIN and COMMIT: two round trips of a token check's three.
            self.read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            self.lookup_engine = self.read_engine
            self._write_lock = None
            self._checkpointer = None
        # PostgreSQL's commands; SQLite's take their sessions from the group commit.
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._looker = async_sessionmaker(
            self.lookup_engine, expire_on_commit=False,
            class_=InlineSession if self.is_sqlite else AsyncSession)
        self._streaming_reader = (self._reader if self.is_sqlite
                                  else async_sessionmaker(self.engine, expire_on_commit=False))
        self._background_writer = async_sessionmaker(self.background_engine,
                                                     expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def write(self, *, background: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction that commits when the block ends and rolls back if it raises; on
        SQLite, a savepoint in a transaction shared with the commands queued at the same time
        (see ``group_commit``), on disk when the block is left.

        ``background``: housekeeping, which may run long; on SQLite its statements run on a
        helper thread instead of the loop's (it still holds the one write lock)."""
        if self._write_lock is None:
            async with self._writer() as session, session.begin():
                yield session
            return
        if background:
            async with self._write_lock:
                await self._group.flush()  # it holds the database's write lock
                async with self._background_writer() as session, session.begin():
                    yield session
            return
        async with self._group.command() as session:
            yield session

    async def _begin_immediate(self) -> AsyncConnection:
        """A connection holding SQLite's write lock. Another process (a command-line tool) may
        hold it for a moment; wait for it here, asleep, rather than in SQLite, blocking."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + WAIT_FOR_LOCK_SECONDS
        delay = 0.002
        while True:
            connection = await self.engine.connect()
            try:
                await connection.begin()  # runs BEGIN IMMEDIATE
                return connection
            except OperationalError as exc:
                await connection.close()
                if not is_locked(exc) or loop.time() + delay > give_up:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _after_commit(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.after_commit()

    @asynccontextmanager
    async def read(self, *, streaming: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for queries. ``streaming``: rows will be fetched in batches through a
        server-side cursor, which PostgreSQL keeps only inside a transaction."""
        reader = self._streaming_reader if streaming else self._reader
        async with reader() as session, session.begin():
            yield session

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[AsyncSession]:
        """A session for a few short, indexed reads: on SQLite they run on the loop's own
        thread (see ``lookup_engine``), so nothing long may be asked here."""
        async with self._looker() as session, session.begin():
            await session.connection()  # see InlineSession
            yield session

    async def dispose(self) -> None:
        if self._write_lock is not None:
            await self._group.close()
        if self._checkpointer is not None:
            await self._checkpointer.close()
        pools = {id(engine.sync_engine.pool): engine
                 for engine in (self.engine, self.read_engine, self.background_engine,
                                self.lookup_engine)}
        for engine in pools.values():
            await engine.dispose()
