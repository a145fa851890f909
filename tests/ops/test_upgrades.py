"""Upgrades: `antrean db upgrade --check` says what would run and changes nothing; a store that
a newer Antrean upgraded is refused, by the server and by `db upgrade`, in plain words, before
anything touches it. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from conftest import ROOT, SMALL_HALL
from sqlalchemy import text

from server.store.db import Database
from server.store.migrate import head_revision, upgrade


def antrean(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "common.cli", *args, "--database-url",
                           database_url], cwd=ROOT, capture_output=True, text=True, timeout=120)


async def _revision(url: str) -> str | None:
    db = Database(url)
    try:
        async with db.read() as session:
            try:
                return await session.scalar(text("SELECT version_num FROM alembic_version"))
            except Exception:
                return None
    finally:
        await db.dispose()


async def _upgrade_to(url: str, revision: str) -> None:
    db = Database(url)
    try:
        await upgrade(db, revision)
    finally:
        await db.dispose()


async def _mark(url: str, revision: str) -> None:
    db = Database(url)
    try:
        async with db.write() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = :r"),
                                  {"r": revision})
    finally:
        await db.dispose()


def test_check_says_what_would_run_and_changes_nothing(database_url: str) -> None:
    empty = antrean("db", "upgrade", "--check", database_url=database_url)
    assert empty.returncode == 1, empty.stderr
    assert "schema: none (an empty store)" in empty.stdout
    assert "would run:" in empty.stdout and "0001  initial schema" in empty.stdout
    assert asyncio.run(_revision(database_url)) is None

    asyncio.run(_upgrade_to(database_url, "0002"))
    older = antrean("db", "upgrade", "--check", database_url=database_url)
    assert older.returncode == 1
    lines = older.stdout.splitlines()
    assert lines[0] == f"schema: 0002; this version's: {head_revision()}"
    pending = [line.split()[0] for line in lines[lines.index("would run:") + 1:]]
    assert pending[0] == "0003" and pending[-1] == head_revision()
    assert "0002" not in pending
    assert asyncio.run(_revision(database_url)) == "0002"

    applied = antrean("db", "upgrade", database_url=database_url)
    assert applied.returncode == 0, applied.stderr
    assert "ran:" in applied.stdout and "0003" in applied.stdout
    current = antrean("db", "upgrade", "--check", database_url=database_url)
    assert current.returncode == 0
    assert "the store is up to date" in current.stdout
    assert asyncio.run(_revision(database_url)) == head_revision()


def test_a_store_from_a_newer_version_is_refused(database_url: str) -> None:
    asyncio.run(_upgrade_to(database_url, "head"))
    asyncio.run(_mark(database_url, "9999"))
    for command in (("db", "upgrade"), ("db", "upgrade", "--check"),
                    ("serve", "--config", str(SMALL_HALL), "--port", "1")):
        result = antrean(*command, database_url=database_url)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "The store's schema is at revision 9999" in result.stderr
        assert "a newer Antrean has upgraded this store" in result.stderr
        assert "Traceback" not in result.stderr
    assert asyncio.run(_revision(database_url)) == "9999"  # untouched
