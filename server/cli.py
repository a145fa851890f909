"""`antrean serve`, `config check`, `db upgrade`, and provisioning of officers and devices."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def store_options(parser: argparse.ArgumentParser, whose: str = "the embedded SQLite database"
                  ) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where {whose} lives (default: ./antrean-data, or ANTREAN_DATA_DIR)")
    parser.add_argument("--database-url", default=None,
                        help="e.g. postgresql://user@host/antrean (default: ANTREAN_DATABASE_URL, "
                             "else SQLite in the data folder)")


def register(subcommands: Any) -> None:
    serve = subcommands.add_parser("serve", help="run the server",
                                   description="Run the Antrean server for one or more halls.")
    serve.add_argument("--host", default=os.environ.get("ANTREAN_HOST", "0.0.0.0"),
                       help="address to listen on (default 0.0.0.0: all, so that kiosks, displays "
                            "and citizens' phones in the hall reach it; 127.0.0.1 for this "
                            "computer alone; or ANTREAN_HOST)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("ANTREAN_PORT", "8000")),
                       help="port to listen on (default 8000, or ANTREAN_PORT)")
    serve.add_argument("--config", type=Path, default=None,
                       help="the hall's TOML file, applied at start (default: ANTREAN_CONFIG)")
    serve.add_argument("--demo", action="store_true",
                       help="run the sample hall, open around the clock, with demo accounts")
    serve.add_argument("--workers", type=int, default=_workers_default(), metavar="N",
                       help="server processes behind the one address (default 1, or "
                            "ANTREAN_WORKERS); more than one needs PostgreSQL and Redis")
    serve.add_argument("--access-log", action="store_true",
                       help="log a line for every request, with its request id")
    serve.add_argument("--upstream", metavar="URL", default=None,
                       help="run as a site of a region: send this hall's history to its centre "
                            "at URL whenever a link exists, take its hall file (default: "
                            "ANTREAN_UPSTREAM; see docs/region.md)")
    serve.add_argument("--site-token", metavar="TOKEN", default=None,
                       help="this site's token at the centre, from `antrean region add` "
                            "(default: ANTREAN_SITE_TOKEN, which keeps it out of `ps`)")
    store_options(serve)
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
    upgrade = db_sub.add_parser(
        "upgrade", help="apply the schema migrations",
        description="Apply the schema migrations this version ships (the server also does so "
                    "as it starts). With --check, only say which would run: exit status 0 when "
                    "the store is up to date, 1 when migrations are pending, 2 when the store "
                    "is newer than this version.")
    upgrade.add_argument("--check", action="store_true",
                         help="say what would run, change nothing")
    store_options(upgrade)
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
    store_options(add)
    add.set_defaults(run=_officer_add)
    listing = officer_sub.add_parser("list", help="list accounts")
    store_options(listing)
    listing.set_defaults(run=_officer_list)
    disable = officer_sub.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    store_options(disable)
    disable.set_defaults(run=_officer_disable)

    device = subcommands.add_parser("device", help="kiosks, displays and keypads")
    device_sub = device.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    dadd = device_sub.add_parser("add", help="register a device and print its token once")
    dadd.add_argument("kind", choices=("kiosk", "display", "keypad"))
    dadd.add_argument("name")
    dadd.add_argument("--site", help="site code (default: the only site)")
    dadd.add_argument("--zone", help="display zone code")
    dadd.add_argument("--counter", type=int, help="counter number a keypad belongs to")
    store_options(dadd)
    dadd.set_defaults(run=_device_add)
    dlist = device_sub.add_parser("list", help="list devices")
    store_options(dlist)
    dlist.set_defaults(run=_device_list)
    ddisable = device_sub.add_parser("disable", help="disable a device's token")
    ddisable.add_argument("name")
    ddisable.add_argument("--site", help="site code (default: the only site)")
    store_options(ddisable)
    ddisable.set_defaults(run=_device_disable)


def settings_from(args: argparse.Namespace, **extra: object) -> Any:
    from server.settings import Settings

    return Settings.from_env(data_dir=args.data_dir, database_url=args.database_url, **extra)


def _workers_default() -> int:
    value = os.environ.get("ANTREAN_WORKERS", "1")
    return int(value) if value.isdigit() else 1


def why_not_workers(settings: Any, workers: int) -> str | None:
    """Why ``workers`` processes cannot share this store, in words for the operator."""
    if workers < 1:
        return "--workers must be at least 1"
    if workers == 1:
        return None
    if settings.upstream_url:
        return (f"--workers {workers} with --upstream: a site server is one hall and runs one "
                "process (its uplink sends the hall's history once); several processes are for "
                "a server of many halls, a centre.")
    from server.store.db import Database

    if Database(settings.effective_database_url).is_sqlite:
        return (f"--workers {workers} needs PostgreSQL: SQLite lets one process write at a "
                "time, so more processes would queue for its lock instead of adding capacity. "
                "Run one process on SQLite, or set ANTREAN_DATABASE_URL=postgresql://... and "
                "ANTREAN_REDIS_URL=redis://... (see docs/operations.md).")
    if not settings.redis_url:
        return (f"--workers {workers} needs Redis (ANTREAN_REDIS_URL=redis://HOST:6379), so that "
                "every process hears the others' events at once; without it a display on one "
                "process would learn of a call made on another seconds late.")
    return None


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.config.hall import check_file
    from server.config.problems import report
    from server.public_address import of_server
    from server.realtime.direct import WEBSOCKET_PROTOCOL
    from server.store.migrate import SchemaTooNew

    own = of_server(args.host, args.port)
    settings = settings_from(args, config_path=args.config, demo=args.demo or None,
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
    problem = why_not_workers(settings, args.workers)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        # Before any process serves: a store a newer version upgraded is refused here, in
        # plain words; several workers find the store migrated and the hall applied once.
        asyncio.run(_prepare(settings, migrate=args.workers > 1))
    except SchemaTooNew as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
    # 4429); uvicorn's closed a slow reader with 1011 first. Logging is ours (common.logs),
    # so uvicorn's lines carry request ids and the format.
    options: dict[str, Any] = {
        "host": args.host, "port": args.port, "log_config": None, "access_log": args.access_log,
        "lifespan": "on", "ws": WEBSOCKET_PROTOCOL, "ws_per_message_deflate": False,
        "ws_ping_interval": None}
    if args.workers == 1:
        from server.app import create_app

        uvicorn.run(create_app(settings), **options)
        return 0
    return _serve_workers(args, settings, options)


async def _prepare(settings: Any, *, migrate: bool) -> None:
    from server.app import prepare_store
    from server.store.db import Database
    from server.store.migrate import schema_state

    db = Database(settings.effective_database_url)
    try:
        if migrate:
            await prepare_store(settings, db)
        else:
            await schema_state(db)  # refuses a newer schema; the server upgrades an older one
    finally:
        await db.dispose()


def _serve_workers(args: argparse.Namespace, settings: Any, options: dict[str, Any]) -> int:
    """uvicorn's own supervisor: it binds the address once, starts the workers, and starts a
    worker again when one dies; SIGHUP replaces them one by one. The workers are fresh Python
    processes, so their settings travel in the environment."""
    import shutil
    import tempfile

    import uvicorn

    from server.settings import STORE_PREPARED

    pool = Path(tempfile.mkdtemp(prefix="antrean-metrics-"))
    os.environ.update({
        "ANTREAN_DATA_DIR": str(settings.data_dir),
        "ANTREAN_DATABASE_URL": settings.effective_database_url,
        "ANTREAN_REDIS_URL": settings.redis_url,
        "ANTREAN_LOG_LEVEL": str(args.log_level),
        "ANTREAN_LOG_FORMAT": str(args.log_format),
        "ANTREAN_METRICS_DIR": str(pool),
        STORE_PREPARED: "1",
    })
    if settings.public_base_url:
        os.environ["ANTREAN_PUBLIC_BASE_URL"] = settings.public_base_url
    if settings.config_path is not None:
        os.environ["ANTREAN_CONFIG"] = str(settings.config_path.resolve())
    if settings.demo:
        os.environ["ANTREAN_DEMO"] = "1"
    try:
        uvicorn.run("server.app:create_app_from_environment", factory=True,
                    workers=args.workers, **options)
    finally:
        shutil.rmtree(pool, ignore_errors=True)
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
        db = Database(settings_from(args).effective_database_url)
        try:
            await upgrade(db)
            async with db.write() as session:
                catalog = await Catalog.load(session)
                return await work(session, catalog)
        finally:
            await db.dispose()

    return asyncio.run(main())


def fail(exc: Exception) -> int:
    """A refusal, said on stderr in English (the CLI's language); exit status 1."""
    message = getattr(exc, "message_en", None) or str(exc)
    print(f"error: {message}", file=sys.stderr)
    return 1


def _db_upgrade(args: argparse.Namespace) -> int:
    from server.store.db import Database
    from server.store.migrate import SchemaState, SchemaTooNew, schema_state, upgrade

    async def main() -> SchemaState:
        db = Database(settings_from(args).effective_database_url)
        try:
            state = await schema_state(db)
            if not args.check and state.pending:
                await upgrade(db)
            return state
        finally:
            await db.dispose()

    try:
        state = asyncio.run(main())
    except SchemaTooNew as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"schema: {state.current or 'none (an empty store)'}; this version's: {state.head}")
    if not state.pending:
        print("the store is up to date")
        return 0
    print("would run:" if args.check else "ran:")
    for step in state.pending:
        print(f"  {step.revision}  {step.summary}")
    return 1 if args.check else 0


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
        return fail(exc)
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
        return fail(exc)
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
        return fail(exc)
    if not found:
        print(f"error: no device is named '{args.name}'", file=sys.stderr)
        return 1
    print(f"disabled {args.name}; its token no longer works")
    return 0
