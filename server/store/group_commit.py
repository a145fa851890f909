"""Group commit for the one SQLite writer.

A durable commit in WAL mode ends in an fsync of the log, and under load that wait took a third
of the loop's time: every command paid for its own. Here the commands that queue for the write
lock share one transaction instead. Each still runs alone, in the order it came, and sees the
ones before it; each has a savepoint of its own, so a command that fails undoes only itself;
and none is answered, not even with a refusal, before the transaction holding what it read
and wrote is on disk. If that commit fails, every command of the group gets the error, and
nothing of theirs stands.

The commit is queued for the lock like a command, behind those waiting when the group began:
they join the group, later arrivals start the next one. A command on an idle server commits at
once, one turn of the loop later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)


class _Group:
    """One transaction, and the moment it is on disk (or failed)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def fail(self, error: BaseException) -> None:
        if not self.committed.done():
            self.committed.set_exception(error)
            self.committed.exception()  # retrieved: a group may have nobody left waiting


class GroupCommit:
    """Hands each command a session in a savepoint of the open group's transaction.

    ``begin`` opens a connection in a transaction holding the write lock of the database;
    ``still_in_transaction`` tells whether the database still has that transaction after a
    command failed (SQLite rolls a transaction back by itself after some errors, a full disk
    among them); ``after_commit`` runs after each group's commit; commands get sessions of
    ``session_class``.
    """

    def __init__(self, lock: asyncio.Lock, begin: Callable[[], Awaitable[AsyncConnection]],
                 still_in_transaction: Callable[[AsyncConnection], Awaitable[bool]],
                 after_commit: Callable[[], None],
                 session_class: type[AsyncSession] = AsyncSession) -> None:
        self._lock = lock
        self._begin = begin
        self._still_in_transaction = still_in_transaction
        self._after_commit = after_commit
        self._sessions = async_sessionmaker(class_=session_class, expire_on_commit=False,
                                            join_transaction_mode="create_savepoint")
        self._open: _Group | None = None
        self._committers: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def command(self) -> AsyncIterator[AsyncSession]:
        """A session whose changes are undone if the block raises, and are on disk when the
        block's ``async with`` is left without an error."""
        failure: BaseException | None = None
        async with self._lock:
            group = self._open or await self._start()
            session = self._sessions(bind=group.connection)
            try:
                async with session.begin():  # SAVEPOINT, then RELEASE or ROLLBACK TO
                    yield session
            except BaseException as exc:
                failure = exc
            finally:
                await session.close()
            if failure is not None and not await self._sound(group):
                await self._abandon(group, failure)
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # cancelled: nobody waits for the answer
        await asyncio.shield(group.committed)  # raises the commit's error
        if failure is not None:
            raise failure

    async def flush(self) -> None:
        """Commit the open group now; the caller holds the lock (a writer on another
        connection needs the database's write lock, which the open group holds)."""
        if self._open is not None:
            await self._commit(self._open)

    async def close(self) -> None:
        async with self._lock:
            await self.flush()
        for task in list(self._committers):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _start(self) -> _Group:
        group = self._open = _Group(await self._begin())
        committer = asyncio.get_running_loop().create_task(self._commit_in_turn(group))
        self._committers.add(committer)
        committer.add_done_callback(self._committers.discard)
        return group

    async def _commit_in_turn(self, group: _Group) -> None:
        async with self._lock:
            if self._open is group:
                await self._commit(group)

    async def _commit(self, group: _Group) -> None:
        self._open = None
        try:
            await group.connection.commit()
        except BaseException as exc:
            log.error("a group of commands failed to commit: %s", exc)
            group.fail(exc)
            with contextlib.suppress(Exception):
                await group.connection.rollback()
            if not isinstance(exc, Exception):
                raise
        else:
            group.committed.set_result(None)
            self._after_commit()
        finally:
            await group.connection.close()

    async def _sound(self, group: _Group) -> bool:
        try:
            return (not group.connection.invalidated
                    and await self._still_in_transaction(group.connection))
        except Exception:
            return False

    async def _abandon(self, group: _Group, failure: BaseException) -> None:
        """The database undid the group's transaction after a command failed: the commands
        before it in the group are lost too, and hear so."""
        if self._open is group:
            self._open = None
        log.error("the database rolled back a group of commands after an error: %s", failure)
        group.fail(failure)
        with contextlib.suppress(Exception):
            await group.connection.close()
