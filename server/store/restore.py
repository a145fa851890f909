"""Restoring a backup into a new store, then checking it: the store opens, SQLite finds it
sound, its schema is one this version runs (older is upgraded when the server starts; newer is
refused), and every table holds the rows the manifest counted.

A restore never overwrites a store that holds data unless told to (``force``): the usual
restore goes into a new data folder or a new, empty database, and the server is pointed at it.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from server.store.backup import (
    BackupError,
    Manifest,
    count_sqlite,
    libpq,
    sqlite_file,
    sqlite_schema,
    store_kind,
    tables,
)
from server.store.db import Database
from server.store.migrate import SchemaTooNew, schema_state


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def find_manifest(path: Path) -> Path:
    """The manifest of a backup named by itself or by its data file."""
    manifest = path if path.suffix == ".json" else path.with_suffix(".json")
    if not manifest.exists():
        raise BackupError(f"no manifest {manifest.name} beside {path}: the backup is unfinished "
                          "or not one of ours")
    return manifest


async def restore(path: Path, url: str, *, force: bool = False) -> Report:
    manifest_path = find_manifest(path)
    manifest = Manifest.read(manifest_path)
    data = manifest_path.with_name(manifest.file)
    if not data.exists():
        raise BackupError(f"the backup's file {data} is missing")
    kind = store_kind(url)
    if kind != manifest.store:
        raise BackupError(f"this is a {manifest.store} backup; restore it into a {manifest.store} "
                          f"store, not {kind}")
    if kind == "sqlite":
        await asyncio.to_thread(_restore_sqlite, data, sqlite_file(url), force)
    else:
        await _restore_postgres(data, url, force)
    return await check(url, manifest)


def _restore_sqlite(data: Path, target: Path, force: bool) -> None:
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(f"{target} exists: restore into a new data folder, or pass --force "
                          "(with no server running on it) to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(data)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")  # as the server keeps it
        finally:
            copy.close()
    finally:
        source.close()
    for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)  # the replaced store's log must not replay over it
    partial.replace(target)


async def _restore_postgres(data: Path, url: str, force: bool) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed (Debian: apt install postgresql-client)")
    db = Database(url)
    try:
        async with db.read() as session:
            found = await session.scalar(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))
    finally:
        await db.dispose()
    if found and not force:
        raise BackupError("the database holds tables already: restore into a new, empty "
                          "database (createdb), or pass --force to replace what is there")
    address, environment = libpq(url)
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
               "--single-transaction", "--dbname", address, str(data)]
    if found:
        command[1:1] = ["--clean", "--if-exists"]
    process = await asyncio.create_subprocess_exec(*command, env=environment,
                                                   stderr=asyncio.subprocess.PIPE)
    _, stderr = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"pg_restore failed: {stderr.decode(errors='replace').strip()}")


async def check(url: str, manifest: Manifest) -> Report:
    """Whether the store at ``url`` is the backup of ``manifest``, sound and runnable here."""
    report = Report()
    if store_kind(url) == "sqlite":
        connection = sqlite3.connect(sqlite_file(url))
        try:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                report.problems.append(f"SQLite's integrity check: {verdict}")
            schema = sqlite_schema(connection)
            report.counts = count_sqlite(connection)
        finally:
            connection.close()
    else:
        db = Database(url)
        try:
            async with db.read() as session:
                schema = await session.scalar(text("SELECT version_num FROM alembic_version"))
                report.counts = {name: int(await session.scalar(
                    text(f'SELECT count(*) FROM "{name}"')) or 0) for name in tables()}
        finally:
            await db.dispose()
    if schema != manifest.schema:
        report.problems.append(f"schema {schema}, the backup says {manifest.schema}")
    db = Database(url)
    try:
        state = await schema_state(db)
        if state.pending:
            report.notes.append(f"schema {state.current} is older than this version's "
                                f"{state.head}: the server upgrades it as it starts "
                                "(`antrean db upgrade --check` shows how)")
    except SchemaTooNew as exc:
        report.problems.append(str(exc))
    finally:
        await db.dispose()
    for name, expected in manifest.counts.items():
        found = report.counts.get(name)
        if found != expected:
            report.problems.append(f"table {name}: {found} rows, the backup counted {expected}")
    return report
