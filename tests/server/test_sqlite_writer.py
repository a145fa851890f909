"""The SQLite writer runs on the event loop's thread, so it must wait for another process's
write lock asleep, never inside SQLite's busy handler; and it still commits durably."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from server.store import db as store_db
from server.store import inline_sqlite
from server.store.db import Database


async def _database(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    async with db.write() as session:
        await session.execute(text("CREATE TABLE marks (value INTEGER)"))
    return db


class LoopWatch:
    """The longest the loop went without running a 10 ms ticker."""

    def __init__(self) -> None:
        self.longest_gap = 0.0
        self._last = asyncio.get_running_loop().time()
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self._reading()

    def _reading(self) -> None:
        now = asyncio.get_running_loop().time()
        self.longest_gap = max(self.longest_gap, now - self._last)
        self._last = now

    async def __aenter__(self) -> LoopWatch:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        await asyncio.sleep(0)  # the ticker takes its first reading before the watched work
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._reading()  # the work may end without the ticker having run since
        self._task.cancel()


async def test_a_write_waits_for_another_process_lock_without_stalling_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "antrean.db"
    db = await _database(path)
    # Another process, as far as SQLite knows, with its own clock: it lets go after half a second.
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, other.commit)
    loop = asyncio.get_running_loop()
    began = loop.time()
    release.start()
    try:
        async with LoopWatch() as watch, db.write() as session:
            await session.execute(text("INSERT INTO marks VALUES (1)"))
        waited = loop.time() - began
    finally:
        release.join()
        other.close()
    assert waited >= 0.45, "the write went ahead while another connection held the lock"
    assert watch.longest_gap < 0.25, f"the loop stalled for {watch.longest_gap:.2f}s"
    check = sqlite3.connect(path)
    assert check.execute("SELECT value FROM marks").fetchall() == [(1,)]
    check.close()
    await db.dispose()


async def test_a_write_gives_up_with_the_lock_error_when_the_lock_is_never_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "antrean.db"
    db = await _database(path)
    monkeypatch.setattr(store_db, "WAIT_FOR_LOCK_SECONDS", 0.3)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with db.write() as session:
                await session.execute(text("INSERT INTO marks VALUES (2)"))
    finally:
        other.rollback()
        other.close()
    async with db.write() as session:  # the writer is usable again once the lock is free
        await session.execute(text("INSERT INTO marks VALUES (3)"))
    async with db.read() as session:
        assert (await session.execute(text("SELECT value FROM marks"))).all() == [(3,)]
    await db.dispose()


async def test_a_failed_write_rolls_back_and_the_next_one_commits(tmp_path: Path) -> None:
    db = await _database(tmp_path / "antrean.db")
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            await session.execute(text("INSERT INTO marks VALUES (4)"))
            raise RuntimeError("the command refused")
    async with db.write() as session:
        await session.execute(text("INSERT INTO marks VALUES (5)"))
    async with db.read() as session:
        assert (await session.execute(text("SELECT value FROM marks"))).all() == [(5,)]
    await db.dispose()


async def test_the_write_ahead_log_is_copied_back_into_the_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inline_sqlite, "CHECKPOINT_EVERY_SECONDS", 0.0)
    path = tmp_path / "antrean.db"
    db = await _database(path)
    async with db.write() as session:
        await session.execute(text("CREATE TABLE pages (body BLOB)"))
    for _ in range(4):
        async with db.write() as session:
            await session.execute(text("INSERT INTO pages VALUES (zeroblob(256 * 1024))"))
    # The writer's own automatic checkpoint is off, and the database is still open (closing
    # the last connection would checkpoint too): only the helper thread moves the pages.
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 10
    while path.stat().st_size < 1024 * 1024 and loop.time() < give_up:
        await asyncio.sleep(0.05)
        async with db.write() as session:  # a commit starts a checkpoint if none is running
            await session.execute(text("INSERT INTO marks VALUES (6)"))
    assert path.stat().st_size >= 1024 * 1024, path.stat().st_size
    await db.dispose()


async def test_writes_and_lookups_run_on_the_loops_thread(tmp_path: Path) -> None:
    """No helper thread between a command or a token check and SQLite: each hand-off would
    wait for a busy loop to let go of the interpreter."""
    db = Database(f"sqlite:///{tmp_path / 'antrean.db'}")
    loop_thread = threading.get_ident()

    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Called by SQLite in whichever thread runs the statement.
        dbapi_connection.create_function(
            "on_loop_thread", 0, lambda: int(threading.get_ident() == loop_thread))

    for engine in (db.engine, db.lookup_engine, db.read_engine):
        event.listen(engine.sync_engine, "connect", on_connect)
    ask = text("SELECT on_loop_thread()")
    async with db.write() as session:
        assert (await session.execute(ask)).scalar() == 1
    async with db.lookup() as session:
        assert (await session.execute(ask)).scalar() == 1
    async with db.read() as session:  # long reads keep their thread, so the test can tell
        assert (await session.execute(ask)).scalar() == 0
    await db.dispose()
