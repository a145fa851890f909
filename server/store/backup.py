"""Backups of the store, taken while the server runs, and how many to keep.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database in one read
transaction: a consistent picture as of one moment, while the server, in WAL mode, goes on
writing. PostgreSQL: ``pg_dump`` in its custom format, run inside a snapshot that a transaction
of ours exported and counted the tables in first (``pg_export_snapshot``), so the counts written
beside the dump are exactly the dump's, however busy the hall is.

A backup is two files in the backup folder, named by when it was taken (UTC):
``antrean-20261202T013000Z.db`` (or ``.dump``) and its manifest ``….json``: the store's kind,
schema revision, the Antrean version, the time, and the rows of every table. The manifest is
written last, so a backup without one is unfinished and is neither restored nor counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from server import __version__
from server.store.db import normalise_url
from server.store.models import Base

PREFIX = "antrean-"
SUFFIXES = {"sqlite": ".db", "postgresql": ".dump"}


class BackupError(RuntimeError):
    """A backup or restore that could not be done, in words for the operator."""


@dataclass(frozen=True)
class Manifest:
    store: str  # sqlite | postgresql
    schema: str | None
    version: str  # Antrean's, when the backup was taken
    taken_at: str  # ISO 8601, UTC
    file: str  # the backup's file name, beside the manifest
    counts: dict[str, int]

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(f"{path} is not a backup manifest: {exc}") from exc

    def write(self, path: Path) -> None:
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        partial.replace(path)


def tables() -> list[str]:
    """The store's tables, parents first."""
    return [table.name for table in Base.metadata.sorted_tables]


def sqlite_file(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite store has nothing to back up")
    return Path(database)


def store_kind(url: str) -> str:
    backend = make_url(normalise_url(url)).get_backend_name()
    if backend not in SUFFIXES:
        raise BackupError(f"backups know SQLite and PostgreSQL, not {backend}")
    return backend


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A URL PostgreSQL's own tools take, and the environment carrying its password (so that
    it never shows in the process list)."""
    parsed: URL = make_url(url)
    environment = {**os.environ}
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def count_sqlite(connection: sqlite3.Connection) -> dict[str, int]:
    return {name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in tables()}


def sqlite_schema(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


async def take(url: str, folder: Path, now: datetime | None = None) -> Path:
    """Back the store up into ``folder``; the manifest's path."""
    kind = store_kind(url)
    now = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    name = PREFIX + _stamp(now)
    target = folder / (name + SUFFIXES[kind])
    if target.exists() or (folder / (name + ".json")).exists():
        raise BackupError(f"{target} exists already; wait a second and try again")
    if kind == "sqlite":
        schema, counts = await asyncio.to_thread(_sqlite_backup, sqlite_file(url), target)
    else:
        schema, counts = await _postgres_backup(url, target)
    manifest = folder / (name + ".json")
    Manifest(kind, schema, __version__, now.astimezone(UTC).isoformat(timespec="seconds"),
             target.name, counts).write(manifest)
    return manifest


def _sqlite_backup(source_path: Path, target: Path) -> tuple[str | None, dict[str, int]]:
    if not source_path.exists():
        raise BackupError(f"there is no store at {source_path}")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # every page in one step: one read transaction, one moment
            problems = copy.execute("PRAGMA quick_check").fetchone()[0]
            if problems != "ok":
                raise BackupError(f"the copy fails SQLite's check: {problems}")
            result = sqlite_schema(copy), count_sqlite(copy)
        finally:
            copy.close()
    finally:
        source.close()
    partial.replace(target)
    return result


async def _postgres_backup(url: str, target: Path) -> tuple[str | None, dict[str, int]]:
    import asyncpg

    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian: apt install postgresql-client)")
    address, environment = libpq(url)
    partial = target.with_name(target.name + ".partial")
    connection = await asyncpg.connect(address, password=environment.get("PGPASSWORD"))
    try:
        snapshot = connection.transaction(isolation="repeatable_read", readonly=True)
        await snapshot.start()
        name = await connection.fetchval("SELECT pg_export_snapshot()")
        schema = await connection.fetchval("SELECT version_num FROM alembic_version")
        counts = {table: int(await connection.fetchval(f'SELECT count(*) FROM "{table}"'))
                  for table in tables()}
        dump = await asyncio.create_subprocess_exec(
            "pg_dump", "--format=custom", f"--snapshot={name}", "--file", str(partial),
            "--dbname", address, env=environment, stderr=asyncio.subprocess.PIPE)
        _, stderr = await dump.communicate()
        await snapshot.rollback()
    finally:
        await connection.close()
    if dump.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {stderr.decode(errors='replace').strip()}")
    partial.replace(target)
    return schema, counts


def backups(folder: Path) -> list[Path]:
    """The finished backups' manifests in ``folder``, oldest first."""
    return sorted(folder.glob(PREFIX + "*.json")) if folder.is_dir() else []


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups (with their manifests); what was deleted."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    removed = []
    for manifest in backups(folder)[:-keep]:
        data = folder / Manifest.read(manifest).file
        data.unlink(missing_ok=True)
        manifest.unlink()
        removed += [data, manifest]
    return removed
