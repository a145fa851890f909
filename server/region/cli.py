"""`antrean region`: a centre's halls (their site tokens) and the hall files it hands down.

    antrean region add MPP-MINI-DEPOK --name "MPP Mini Depok" --hall depok.toml   # prints a token
    antrean region hall MPP-MINI-DEPOK depok.toml    # publish a new version of the hall's file
    antrean region list                              # every hall: last heard, what waits, versions
    antrean region token MPP-MINI-DEPOK              # a new token (the old one stops working)

Run them on the centre (its data folder or database); each site then runs
`antrean serve --upstream https://centre.example --site-token TOKEN`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from server.cli import fail, store_options

T = TypeVar("T")


def register(subcommands: Any) -> None:
    region = subcommands.add_parser(
        "region", help="a centre's halls: their site tokens and hall files",
        description="At a region's centre: register halls (each gets a site token for "
                    "`antrean serve --upstream`), publish their hall files, see how fresh "
                    "each hall's records are. See docs/region.md.")
    actions = region.add_subparsers(dest="region_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="register a hall and print its site token once")
    add.add_argument("code", help="the hall's site code, as in its hall file")
    add.add_argument("--name", default="", help="the hall's name (default: the code)")
    add.add_argument("--hall", type=Path, default=None,
                     help="its hall file, published as version 1")
    store_options(add, "the centre's store")
    add.set_defaults(run=_add)
    hall = actions.add_parser("hall", help="publish a new version of a hall's file")
    hall.add_argument("code")
    hall.add_argument("file", type=Path)
    store_options(hall, "the centre's store")
    hall.set_defaults(run=_hall)
    listing = actions.add_parser("list", help="the region's halls and how fresh their records are")
    store_options(listing, "the centre's store")
    listing.set_defaults(run=_list)
    token = actions.add_parser("token", help="give a hall a new site token (the old one stops)")
    token.add_argument("code")
    store_options(token, "the centre's store")
    token.set_defaults(run=_token)


def _in_store(args: argparse.Namespace, work: Callable[[Any], Awaitable[T]]) -> T:
    from server.settings import Settings
    from server.store.db import Database
    from server.store.migrate import current_revision, head_revision, upgrade

    async def main() -> T:
        settings = Settings.from_env(data_dir=args.data_dir, database_url=args.database_url)
        db = Database(settings.effective_database_url)
        try:
            # The centre may be running: migrating takes the write lock at once, so only when
            # there is something to migrate (the write below waits its turn).
            if await current_revision(db) != head_revision():
                await upgrade(db)
            async with db.write() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _add(args: argparse.Namespace) -> int:
    from server.config.hall import ConfigError
    from server.region import registry
    from server.services.errors import DomainError

    async def work(session: Any) -> tuple[str, int]:
        now = datetime.now(UTC)
        token = await registry.add_site(session, args.code, args.name, now)
        version = (await registry.publish_hall(session, args.code, _read(args.hall), now)
                   if args.hall is not None else 0)
        return token, version

    try:
        token, version = _in_store(args, work)
    except (DomainError, ConfigError, OSError) as exc:
        return fail(exc)
    published = f", hall file version {version} published" if version else ""
    print(f"registered {args.code}{published}. Its site token (shown only now; give it to the "
          "hall's server, e.g. ANTREAN_SITE_TOKEN):")
    print(token)
    return 0


def _hall(args: argparse.Namespace) -> int:
    from server.config.hall import ConfigError
    from server.region import registry
    from server.services.errors import DomainError

    async def work(session: Any) -> int:
        return await registry.publish_hall(session, args.code, _read(args.file),
                                           datetime.now(UTC))

    try:
        version = _in_store(args, work)
    except (DomainError, ConfigError, OSError) as exc:
        return fail(exc)
    print(f"{args.code}: hall file version {version} is the newest; the hall applies it when "
          "it next reaches the centre")
    return 0


def _token(args: argparse.Namespace) -> int:
    from server.region import registry
    from server.services.errors import DomainError

    try:
        token = _in_store(args, lambda session: registry.new_token_for(session, args.code))
    except DomainError as exc:
        return fail(exc)
    print(f"{args.code}: a new site token (the old one no longer works):")
    print(token)
    return 0


def _list(args: argparse.Namespace) -> int:
    from server.domain.link import ago
    from server.region import registry

    async def work(session: Any) -> list[tuple[Any, int]]:
        published = await registry.newest_versions(session)
        return [(site, published.get(site.code, 0)) for site in await registry.sites(session)]

    now = datetime.now(UTC)
    rows = _in_store(args, work)
    if not rows:
        print("no hall is registered yet: antrean region add CODE --hall FILE")
    for site, published in rows:
        heard = ago((now - site.heard_at).total_seconds() if site.heard_at else None, "en")
        print(f"{site.code:20} heard {heard:14} holds up to {site.acked:<10} "
              f"{site.backlog:>8} waiting at the hall   hall file {site.hall_applied}/{published}"
              f"{'  problem: ' + site.hall_problem if site.hall_problem else ''}")
    return 0
