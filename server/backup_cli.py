"""`antrean backup` and `antrean restore`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from server.cli import settings_from, store_options


def register(subcommands: Any) -> None:
    backup = subcommands.add_parser(
        "backup", help="back the store up, also while the server runs",
        description="Back the store up into a folder: SQLite through its online backup API "
                    "(the server keeps running), PostgreSQL through pg_dump inside one snapshot. "
                    "Each backup is a data file and a manifest of its row counts; --keep N then "
                    "deletes all but the newest N.")
    backup.add_argument("--to", type=Path, default=None, metavar="DIR",
                        help="the backup folder (default: ANTREAN_BACKUP_DIR, else DATA_DIR/"
                             "backups; keep it on another disk)")
    backup.add_argument("--keep", type=int, default=None, metavar="N",
                        help="afterwards, delete all but the newest N backups in the folder")
    store_options(backup)
    backup.set_defaults(run=_backup)

    restore = subcommands.add_parser(
        "restore", help="restore a backup into a new store and check it",
        description="Restore a backup (its manifest or its data file) into the store named by "
                    "--data-dir or --database-url — a new data folder, or a new empty "
                    "PostgreSQL database — then check that it opens, that SQLite finds it "
                    "sound, that its schema is one this version runs and that every table "
                    "holds the rows the backup counted. Exit status 0 when all holds.")
    restore.add_argument("backup", type=Path, help="the backup's .json manifest or data file")
    restore.add_argument("--force", action="store_true",
                         help="replace a store that holds data (stop its server first)")
    store_options(restore)
    restore.set_defaults(run=_restore)


def _backup(args: argparse.Namespace) -> int:
    from server.store import backup

    settings = settings_from(args)
    folder = args.to or Path(os.environ.get("ANTREAN_BACKUP_DIR") or settings.data_dir / "backups")
    try:
        manifest_path = asyncio.run(backup.take(settings.effective_database_url, folder))
        manifest = backup.Manifest.read(manifest_path)
        removed = backup.prune(folder, args.keep) if args.keep is not None else []
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {manifest.store} (schema {manifest.schema}) to "
          f"{manifest_path.with_name(manifest.file)}: {manifest.counts.get('tickets', 0)} "
          f"tickets, {sum(manifest.counts.values())} rows")
    for path in removed:
        print(f"deleted {path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from server.store.backup import BackupError
    from server.store.restore import restore

    url = settings_from(args).effective_database_url
    try:
        report = asyncio.run(restore(args.backup, url, force=args.force))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if not report.ok:
        print("the restored store does NOT match its backup; do not serve from it",
              file=sys.stderr)
        return 1
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"restored into {shown}: opens, schema current or upgradable, "
          f"{report.counts.get('tickets', 0)} tickets and every table's rows as counted")
    return 0
