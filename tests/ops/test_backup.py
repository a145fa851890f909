"""Backups taken while kiosks issue tickets, restored into a new store, served again: the
tickets are there and the numbering continues from the backup, on SQLite and PostgreSQL. A
restore that does not match its manifest says so; one into a store holding data is refused;
old backups are deleted beyond the number kept."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, POSTGRES_ADMIN_URL, ROOT, SMALL_HALL, ServerProcess, _postgres_admin

from server.store import backup

pytestmark = pytest.mark.slow

ISSUERS = 4


def antrean(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "common.cli", "--log-level", "WARNING", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


async def _issue_until(url: str, stop: asyncio.Event, issued: list[str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while not stop.is_set():
            response = await client.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                                          json={"service": "KTP"})
            assert response.status_code == 201, response.text
            issued.append(response.json()["number"])


async def _back_up_under_load(server: ServerProcess, folder: Path) -> tuple[list[str], list[str],
                                                                         Path]:
    """Kiosks issue flat out while the backup runs; what was acknowledged before it began,
    by its end, and the manifest."""
    stop = asyncio.Event()
    issued: list[str] = []
    load = [asyncio.create_task(_issue_until(server.url, stop, issued)) for _ in range(ISSUERS)]
    while len(issued) < 20:
        await asyncio.sleep(0.05)
    before = list(issued)
    taken = await asyncio.to_thread(antrean, "backup", "--to", str(folder), "--database-url",
                                    server.database_url)
    during = list(issued)
    await asyncio.sleep(0.3)  # and a little more after it
    stop.set()
    await asyncio.gather(*load)
    assert taken.returncode == 0, taken.stderr
    assert len(issued) > len(during) > len(before)  # the kiosks never stopped
    (manifest,) = backup.backups(folder)
    return before, during, manifest


async def test_back_up_under_load_restore_and_the_numbering_continues(
    database_url: str, tmp_path: Path
) -> None:
    original = ServerProcess(database_url, tmp_path / "data", SMALL_HALL)
    original.data_dir.mkdir(parents=True)
    await asyncio.to_thread(original.start)
    try:
        before, during, manifest_path = await _back_up_under_load(original, tmp_path / "backups")
        first = httpx.get(original.url + "/api/v1/sites/TEST/services").json()
        assert first  # the original still serves
    finally:
        original.stop()
    manifest = backup.Manifest.read(manifest_path)
    in_backup = manifest.counts["tickets"]
    # One moment between its start and its end (a ticket or two per kiosk may have been
    # committed, not yet answered, as the backup ended).
    assert len(before) <= in_backup <= len(during) + ISSUERS

    pg_name = None
    if database_url.startswith("sqlite"):
        restored_url = f"sqlite:///{tmp_path / 'restored' / 'antrean.db'}"
    else:
        pg_name = f"antrean_test_{uuid.uuid4().hex[:12]}"
        await _postgres_admin(f'CREATE DATABASE "{pg_name}"')
        restored_url = f"{POSTGRES_ADMIN_URL}/{pg_name}"
    try:
        restored = await asyncio.to_thread(antrean, "restore", str(manifest_path),
                                           "--database-url", restored_url)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert f"{in_backup} tickets" in restored.stdout
        again = await asyncio.to_thread(antrean, "restore", str(manifest_path),
                                        "--database-url", restored_url)
        assert again.returncode == 2 and "--force" in again.stderr  # never over data

        server = ServerProcess(restored_url, tmp_path / "restored", SMALL_HALL)
        server.data_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(server.start)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                services = (await client.get("/api/v1/sites/TEST/services")).json()
                ktp = next(s for s in services if s["code"] == "KTP")
                assert ktp["waiting"] == in_backup
                issued = await client.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                                           json={"service": "KTP"})
                assert issued.status_code == 201
                assert issued.json()["number"] == f"A-{in_backup + 1:03d}"
                assert issued.json()["people_ahead"] == in_backup
        finally:
            server.stop()
    finally:
        if pg_name:
            await _postgres_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


async def test_a_restore_that_does_not_match_its_backup_says_so(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'data' / 'antrean.db'}"
    server = ServerProcess(source, tmp_path / "data", SMALL_HALL)
    server.data_dir.mkdir(parents=True)
    await asyncio.to_thread(server.start)
    try:
        for _ in range(3):
            httpx.post(server.url + "/api/v1/sites/TEST/tickets", headers=KIOSK,
                       json={"service": "KK"})
        manifest_path = await backup.take(source, tmp_path / "backups")
    finally:
        server.stop()
    manifest = backup.Manifest.read(manifest_path)
    assert manifest.counts["tickets"] == 3 and manifest.schema is not None
    copy = sqlite3.connect(manifest_path.with_name(manifest.file))
    copy.execute("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
    copy.commit()
    copy.close()
    result = antrean("restore", str(manifest_path), "--data-dir", str(tmp_path / "new"))
    assert result.returncode == 1
    assert f"table audit_log: {manifest.counts['audit_log'] - 1} rows, the backup counted " \
           f"{manifest.counts['audit_log']}" in result.stderr
    assert "do not serve from it" in result.stderr

    unfinished = tmp_path / "backups" / "antrean-20000101T000000Z.db"
    unfinished.write_bytes(b"")
    missing = antrean("restore", str(unfinished), "--data-dir", str(tmp_path / "other"))
    assert missing.returncode == 2 and "unfinished" in missing.stderr


async def test_backups_beyond_the_number_kept_are_deleted(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'data' / 'antrean.db'}"
    assert antrean("db", "upgrade", "--database-url", source).returncode == 0
    folder = tmp_path / "backups"
    start = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    for day in range(4):
        await backup.take(source, folder, start + timedelta(days=day))
    (folder / "antrean-20261205T023000Z.db.partial").write_bytes(b"unfinished")
    removed = backup.prune(folder, 2)
    assert sorted(p.name for p in removed) == [
        "antrean-20261201T023000Z.db", "antrean-20261201T023000Z.json",
        "antrean-20261202T023000Z.db", "antrean-20261202T023000Z.json"]
    assert [p.name for p in backup.backups(folder)] == [
        "antrean-20261203T023000Z.json", "antrean-20261204T023000Z.json"]
    assert (folder / "antrean-20261204T023000Z.db").exists()
    kept = antrean("backup", "--to", str(folder), "--keep", "1", "--database-url", source)
    assert kept.returncode == 0, kept.stderr
    assert len(backup.backups(folder)) == 1
