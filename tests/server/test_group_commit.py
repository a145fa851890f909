"""Commands on SQLite share a transaction when they queue for the writer at the same time: one
durable commit for the group, a savepoint for each. None is answered before its group is on
disk; one that fails undoes only itself; a group that fails to commit fails every member."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from server.store.db import Database


async def _database(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    async with db.write() as session:
        await session.execute(text("CREATE TABLE marks (value INTEGER)"))
        await session.execute(text("CREATE TABLE parents (id INTEGER PRIMARY KEY)"))
        await session.execute(text(
            "CREATE TABLE children (parent_id INTEGER REFERENCES parents (id) "
            "DEFERRABLE INITIALLY DEFERRED)"))
    return db


def _committed_marks(path: Path) -> set[int]:
    """What another connection (another process, after a crash) finds on disk."""
    other = sqlite3.connect(path)
    try:
        return {value for (value,) in other.execute("SELECT value FROM marks")}
    finally:
        other.close()


async def _mark(db: Database, value: int, *, background: bool = False) -> None:
    async with db.write(background=background) as session:
        await session.execute(text("INSERT INTO marks VALUES (:v)"), {"v": value})


def _count_commits(db: Database) -> list[int]:
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _connection: commits.append(1))
    return commits


async def test_writers_queued_together_share_one_commit_and_each_is_on_disk_when_answered(
    tmp_path: Path,
) -> None:
    path = tmp_path / "antrean.db"
    db = await _database(path)
    commits = _count_commits(db)
    seen_on_answer: dict[int, set[int]] = {}

    async def write(value: int) -> None:
        await _mark(db, value)
        seen_on_answer[value] = _committed_marks(path)

    await asyncio.gather(*(write(value) for value in range(20)))
    for value, on_disk in seen_on_answer.items():
        assert value in on_disk, f"write {value} was answered before it was committed"
    assert _committed_marks(path) == set(range(20))
    assert 1 <= len(commits) < 20, f"{len(commits)} commits for 20 writers queued together"
    await db.dispose()


async def test_a_failing_writer_undoes_only_itself_and_hears_its_own_error_after_the_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "antrean.db"
    db = await _database(path)
    commits = _count_commits(db)
    on_disk_at_refusal: set[int] = set()

    async def write(value: int) -> None:
        async with db.write() as session:
            await session.execute(text("INSERT INTO marks VALUES (:v)"), {"v": value})
            if value == 3:
                raise ValueError("refused")

    async def refused() -> None:
        try:
            await write(3)
        except ValueError:
            on_disk_at_refusal.update(_committed_marks(path))
            raise

    results = await asyncio.gather(write(1), write(2), refused(), write(4), write(5),
                                   return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["NoneType"] * 2 + ["ValueError"] + \
        ["NoneType"] * 2
    assert _committed_marks(path) == {1, 2, 4, 5}
    # The refusal came after the group it ran in was on disk: what it read stood.
    assert {1, 2} <= on_disk_at_refusal
    assert len(commits) < 5
    await db.dispose()


async def test_a_group_that_fails_to_commit_fails_every_writer_in_it(tmp_path: Path) -> None:
    path = tmp_path / "antrean.db"
    db = await _database(path)

    async def orphan() -> None:
        # A deferred foreign key: accepted now, refused by the database only at COMMIT.
        async with db.write() as session:
            await session.execute(text("INSERT INTO children VALUES (42)"))

    results = await asyncio.gather(_mark(db, 1), orphan(), _mark(db, 2),
                                   return_exceptions=True)
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert _committed_marks(path) == set()
    # The writer goes on with a fresh group.
    await _mark(db, 7)
    assert _committed_marks(path) == {7}
    await db.dispose()


async def test_one_writer_alone_commits_at_once(tmp_path: Path) -> None:
    path = tmp_path / "antrean.db"
    db = await _database(path)
    commits = _count_commits(db)
    for value in range(3):
        await _mark(db, value)
        assert value in _committed_marks(path)
    assert len(commits) == 3
    await db.dispose()


async def test_housekeeping_takes_the_database_lock_from_an_open_group(tmp_path: Path) -> None:
    """A background writer uses another connection: it needs the group committed first, or it
    would wait for SQLite's lock that the group holds while the group waits for it."""
    path = tmp_path / "antrean.db"
    db = await _database(path)
    await asyncio.wait_for(asyncio.gather(_mark(db, 1), _mark(db, 2),
                                          _mark(db, 3, background=True), _mark(db, 4)),
                           timeout=10)
    assert _committed_marks(path) == {1, 2, 3, 4}
    await db.dispose()


async def test_a_writer_cancelled_while_queued_leaves_its_group_to_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "antrean.db"
    db = await _database(path)
    inside = asyncio.Event()
    go_on = asyncio.Event()

    async def slow(value: int) -> None:
        async with db.write() as session:
            await session.execute(text("INSERT INTO marks VALUES (:v)"), {"v": value})
            inside.set()
            await go_on.wait()

    first = asyncio.create_task(slow(1))
    await inside.wait()
    queued = asyncio.create_task(_mark(db, 2))
    await asyncio.sleep(0.01)
    queued.cancel()
    go_on.set()
    await asyncio.wait_for(first, timeout=5)
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert _committed_marks(path) == {1}
    await db.dispose()
