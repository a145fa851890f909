"""`antrean serve`, `config check`, `db upgrade`, and provisioning of officers and devices."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the embedded SQLite database lives "
                             "(default: ./antrean-data, or ANTREAN_DATA_DIR)")
    parser.add_argument("--database-url", default=None,
                        help="e.g. postgresql://user@host/antrean (default: ANTREAN_DATABASE_URL, "
                             "else SQLite in the data folder)")


def register(subcommands: Any) -> None:
    serve = subcommands.add_parser("serve", help="run the server",
                                   description="Run the Antrean server for one or more halls.")
    serve.add_argument("--host", default="0.0.0.0",
                       help="address to listen on (default 0.0.0.0: all, so that kiosks, displays "
                            "and citizens' phones in the hall reach it; 127.0.0.1 for this "
                            "computer alone)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--config", type=Path, default=None,
                       help="the hall's TOML file, applied at start (default: ANTREAN_CONFIG)")
    serve.add_argument("--demo", action="store_true",
                       help="run the sample hall, open around the clock, with demo accounts")
    serve.add_argument("--upstream", metavar="URL", default=None,
                       help="run as a site of a region: send this hall's history to its centre "
                            "at URL whenever a link exists, take its hall file (default: "
                            "ANTREAN_UPSTREAM; see docs/region.md)")
    serve.add_argument("--site-token", metavar="TOKEN", default=None,
                       help="this site's token at the centre, from `antrean region add` "
                            "(default: ANTREAN_SITE_TOKEN, which keeps it out of `ps`)")
    _store_options(serve)
    serve.set_defaults(run=_serve)

    config = subcommands.add_parser("config", help="check a hall's configuration file")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = config_sub.add_parser(
        "check", help="validate a hall's TOML file and list problems",
        description="List every problem of a hall's TOML file at once, each with its line, "
                    "what is wrong and what to do, in Indonesian and English. Exit status 1 when "
                    "the file has errors; warnings alone do not fail.")
    check.add_argument("file", type=Path)
    check.set_defaults(run=_config_check)
    sample = config_sub.add_parser("sample", help="print the sample hall's TOML to start from")
    sample.set_defaults(run=_config_sample)

    db = subcommands.add_parser("db", help="the database")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply the schema migrations")
    _store_options(upgrade)
    upgrade.set_defaults(run=_db_upgrade)

    officer = subcommands.add_parser("officer", help="officer, manager and admin accounts")
    officer_sub = officer.add_subparsers(dest="officer_command", metavar="ACTION", required=True)
    add = officer_sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--name", help="the person's full name (default: the username)")
    add.add_argument("--role", choices=("officer", "manager", "admin"), default="officer")
    add.add_argument("--agency", help="agency code (required for officers)")
    add.add_argument("--site", help="site code (default: the only site)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input instead of asking")
    _store_options(add)
    add.set_defaults(run=_officer_add)
    listing = officer_sub.add_parser("list", help="list accounts")
    _store_options(listing)
    listing.set_defaults(run=_officer_list)
    disable = officer_sub.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    _store_options(disable)
    disable.set_defaults(run=_officer_disable)

    device = subcommands.add_parser("device", help="kiosks, displays and keypads")
    device_sub = device.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    dadd = device_sub.add_parser("add", help="register a device and print its token once")
    dadd.add_argument("kind", choices=("kiosk", "display", "keypad"))
    dadd.add_argument("name")
    dadd.add_argument("--site", help="site code (default: the only site)")
    dadd.add_argument("--zone", help="display zone code")
    dadd.add_argument("--counter", type=int, help="counter number a keypad belongs to")
    _store_options(dadd)
    dadd.set_defaults(run=_device_add)
    dlist = device_sub.add_parser("list", help="list devices")
    _store_options(dlist)
    dlist.set_defaults(run=_device_list)
    ddisable = device_sub.add_parser("disable", help="disable a device's token")
    ddisable.add_argument("name")
    ddisable.add_argument("--site", help="site code (default: the only site)")
    _store_options(ddisable)
    ddisable.set_defaults(run=_device_disable)


def _settings(args: argparse.Namespace, **extra: object) -> Any:
    from server.settings import Settings

    return Settings.from_env(data_dir=args.data_dir, database_url=args.database_url, **extra)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.config.hall import check_file
    from server.config.problems import report
    from server.public_address import of_server
    from server.realtime.direct import WEBSOCKET_PROTOCOL

    own = of_server(args.host, args.port)
    settings = _settings(args, config_path=args.config, demo=args.demo or None,
                         public_base_url=own.url, upstream_url=args.upstream,
                         site_token=args.site_token)
    configured = None
    if settings.upstream_url is not None:
        if not settings.upstream_url.startswith(("http://", "https://")):
            print(f"--upstream needs a URL like https://centre.example, not "
                  f"'{settings.upstream_url}'", file=sys.stderr)
            return 2
        if not settings.site_token:
            print("--upstream needs the site's token: --site-token TOKEN or ANTREAN_SITE_TOKEN "
                  "(`antrean region add CODE` on the centre prints it)", file=sys.stderr)
            return 2
    if settings.config_path is not None and not settings.demo:
        checked = check_file(settings.config_path)
        if checked.problems:  # warnings too: the hall starts, but IT staff should read them
            print(report(str(settings.config_path), checked.problems), file=sys.stderr)
        if checked.hall is None:
            return 2
        configured = checked.hall.site.public_base_url
    printed = configured or own.url
    source = "site.public_base_url in the hall's file" if configured else own.source
    if settings.demo:
        print(f"Demo hall on {own.url}  (API reference: /docs; kiosk token demo-kiosk-1, "
              "officer login see the sample hall)", file=sys.stderr)
    print(f"Tickets' QR codes lead to {printed}/t/…  ({source})", file=sys.stderr)
    # The sans-I/O WebSocket implementation lets the hub write a burst of events to a socket
    # at once (ours answers a handshake it cannot parse, see direct); compression would cost
    # every display memory and time for small JSON frames. No pings of uvicorn's own: the
    # hub's heartbeats and its send bound decide when a client is gone or too slow (4408,
    # 4429); uvicorn's closed a slow reader with 1011 first.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                access_log=False, lifespan="on", ws=WEBSOCKET_PROTOCOL,
                ws_per_message_deflate=False, ws_ping_interval=None)
    return 0


def _config_check(args: argparse.Namespace) -> int:
    from server.config.hall import check_file
    from server.config.problems import report

    checked = check_file(args.file)
    if checked.problems:  # errors, and warnings (which leave the hall usable), on stderr
        print(report(str(args.file), checked.problems), file=sys.stderr)
    if checked.hall is None:
        return 1
    hall = checked.hall
    print(f"{args.file}: OK — {hall.site.name}: {len(hall.agency)} agencies, "
          f"{len(hall.service)} services, {len(hall.counter)} counters, "
          f"{len(hall.device)} devices, {len(hall.officer)} officers")
    return 0


def _config_sample(_: argparse.Namespace) -> int:
    from server.config.hall import sample_hall_path

    sys.stdout.write(sample_hall_path().read_text(encoding="utf-8"))
    return 0


def _with_store(args: argparse.Namespace, work: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run ``work(session, catalog)`` in one committed transaction on a migrated store."""
    from server.services.catalog import Catalog
    from server.store.db import Database
    from server.store.migrate import upgrade

    async def main() -> T:
        db = Database(_settings(args).effective_database_url)
        try:
            await upgrade(db)
            async with db.write() as session:
                catalog = await Catalog.load(session)
                return await work(session, catalog)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _fail(exc: Exception) -> int:
    message = getattr(exc, "message_en", None) or str(exc)
    print(f"error: {message}", file=sys.stderr)
    return 1


def _db_upgrade(args: argparse.Namespace) -> int:
    from server.store.db import Database
    from server.store.migrate import upgrade

    async def main() -> None:
        db = Database(_settings(args).effective_database_url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(main())
    print("database is up to date")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _officer_add(args: argparse.Namespace) -> int:
    from server.services import auth
    from server.services.errors import DomainError
    from server.services.runner import utc_now

    try:
        password = _read_password(args.password_stdin)
        officer = _with_store(args, lambda session, catalog: auth.add_officer(
            session, catalog, args.username, args.name or args.username, args.role, password,
            utc_now(), site_code=args.site, agency_code=args.agency))
    except (DomainError, ValueError) as exc:
        return _fail(exc)
    print(f"added {officer.role} {officer.username}")
    return 0


def _officer_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from server.store import models as m

    async def work(session: Any, catalog: Any) -> list[tuple[Any, str]]:
        officers = (await session.scalars(select(m.Officer).order_by(m.Officer.username))).all()
        return [(o, catalog.agencies[o.agency_id].code if o.agency_id in catalog.agencies else "-")
                for o in officers]

    for officer, agency in _with_store(args, work):
        state = "active" if officer.active else "disabled"
        print(f"{officer.username:20} {officer.role:8} {agency:12} {state:8} {officer.name}")
    return 0


def _officer_disable(args: argparse.Namespace) -> int:
    from sqlalchemy import select, update

    from server.store import models as m

    async def work(session: Any, catalog: Any) -> bool:
        officer = await session.scalar(select(m.Officer).where(m.Officer.username == args.username))
        if officer is None:
            return False
        officer.active = False
        await session.execute(update(m.AuthSession).where(
            m.AuthSession.officer_id == officer.id).values(revoked=True))
        return True

    if not _with_store(args, work):
        print(f"error: no account is named '{args.username}'", file=sys.stderr)
        return 1
    print(f"disabled {args.username}; their sessions are ended")
    return 0


def _device_add(args: argparse.Namespace) -> int:
    from server.services import auth
    from server.services.errors import DomainError
    from server.services.runner import utc_now

    try:
        device, token = _with_store(args, lambda session, catalog: auth.add_device(
            session, catalog, args.kind, args.name, utc_now(), site_code=args.site,
            zone=args.zone, counter_number=args.counter))
    except DomainError as exc:
        return _fail(exc)
    print(f"added {device.kind} {device.name}. Its token (shown only now; keep it safe):")
    print(token)
    return 0


def _device_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from server.store import models as m

    async def work(session: Any, catalog: Any) -> list[Any]:
        return list((await session.scalars(
            select(m.Device).order_by(m.Device.site_id, m.Device.kind, m.Device.name))).all())

    for device in _with_store(args, work):
        state = "active" if device.active else "disabled"
        where = f"zone {device.zone_code}" if device.zone_code else ""
        print(f"{device.kind:8} {device.name:24} {state:8} {where}")
    return 0


def _device_disable(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from server.services.errors import DomainError
    from server.store import models as m

    async def work(session: Any, catalog: Any) -> bool:
        query = select(m.Device).where(m.Device.name == args.name)
        if args.site:
            query = query.where(m.Device.site_id == catalog.site(args.site).id)
        devices = (await session.scalars(query)).all()
        for device in devices:
            device.active = False
        return bool(devices)

    try:
        found = _with_store(args, work)
    except DomainError as exc:
        return _fail(exc)
    if not found:
        print(f"error: no device is named '{args.name}'", file=sys.stderr)
        return 1
    print(f"disabled {args.name}; its token no longer works")
    return 0
