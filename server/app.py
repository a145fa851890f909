"""The server: builds the FastAPI app, and at start-up migrates the store, applies the hall's
configuration, loads the catalog and starts the housekeeping loop; then tells the service
manager it is ready and keeps telling it that it lives."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from common import logs
from common.sd_notify import Notifier
from server import __version__, public_address
from server.config.hall import load_hall, sample_hall_path
from server.notify.sender import OutboxSender
from server.observe.hall import ServerMetrics
from server.realtime import log as event_log
from server.realtime.bus import EventBus, InProcessBus
from server.realtime.direct import ExposeServerSend
from server.realtime.hub import Hub, HubSettings
from server.region.runtime import RegionRuntime, newest_hall
from server.services import (
    auth,
    devices,
    housekeeping,
    online,
    outbox,
    stats_rollup,
    sync,
    tickets,
    visits,
)
from server.services.actor import SYSTEM
from server.services.auth import ActorCache
from server.services.catalog import Catalog, SiteInfo
from server.services.media import Playlist
from server.services.runner import (
    FORGET_AT_ONCE,
    Clock,
    CommandRunner,
    forget_old_keys,
    utc_now,
)
from server.services.voices import Voices
from server.settings import Settings
from server.store.db import Database
from server.store.migrate import head_revision, schema_state, upgrade

log = logging.getLogger(__name__)


@dataclass
class ServerContext:
    """Everything a request handler needs, made once per process."""

    settings: Settings
    db: Database
    bus: EventBus
    catalog: Catalog = field(default_factory=Catalog)
    clock: Clock = utc_now
    metrics: ServerMetrics = field(default_factory=ServerMetrics)
    schema_revision: str | None = None  # the store's, checked at start
    runner: CommandRunner = field(init=False)
    hub: Hub = field(init=False)
    actors: ActorCache = field(default_factory=ActorCache)
    region: RegionRuntime | None = None  # its part in a region (server/region), once started
    sender: OutboxSender | None = None  # the notifications' sender, when a hall sends them
    # Set once housekeeping's first round (a full one) is over: a test that moves the clock
    # waits for it, or that round may run on the moved clock.
    housekept: asyncio.Event = field(default_factory=asyncio.Event)
    voices: Voices = field(init=False)
    playlist: Playlist = field(init=False)

    def __post_init__(self) -> None:
        self.runner = CommandRunner(self.db, self.catalog, self.bus, self.clock,
                                    on_committed=self.metrics.committed)
        self.hub = Hub(self.db, lambda: self.catalog, self.clock,
                       HubSettings(heartbeat_seconds=self.settings.heartbeat_seconds,
                                   send_buffer_bytes=self.settings.ws_send_buffer_bytes))
        self.voices = Voices(self.settings.data_dir / "audio", self.catalog)
        self.playlist = Playlist(self.settings.data_dir / "media")
        self.bus.subscribe(self.hub.on_events)
        self.bus.subscribe(self.voices.on_events)

    async def reload_catalog(self) -> None:
        async with self.db.read() as session:
            self.catalog = await Catalog.load(session, self.settings.public_base_url or "")
        self.runner.catalog = self.catalog
        self.voices.use(self.catalog)
        self.actors.forget()  # devices and officers may have changed with the hall

    async def log_out(self, token: str) -> None:
        """Revoke an officer's session, here at once and for other processes in the store."""
        async with self.db.write() as session:
            await auth.logout(session, token)
        self.actors.forget(token)


async def prepare_store(settings: Settings, db: Database, clock: Clock = utc_now) -> None:
    """Migrate, then apply the hall's configuration (the sample hall with --demo)."""
    await upgrade(db)
    config_path = sample_hall_path() if settings.demo else settings.config_path
    hall = load_hall(config_path) if config_path is not None else None
    if settings.upstream_url:  # a site: the centre's newest hall file, once it has one
        hall = await newest_hall(db) or hall
    if hall is None:
        return
    async with db.write() as session:
        await sync.apply_hall(session, hall, clock(), always_open=settings.demo)


async def require_current_schema(db: Database) -> None:
    """For a worker whose parent prepared the store: refuse one another version changed since."""
    state = await schema_state(db)
    if not state.up_to_date:
        raise RuntimeError(f"the store's schema is at {state.current}, this server needs "
                           f"{state.head}: run `antrean db upgrade` (or start one process, "
                           "which upgrades it)")


def make_bus(settings: Settings, metrics: ServerMetrics) -> EventBus:
    if settings.redis_url:
        from server.realtime.redis_bus import RedisBus

        return RedisBus(settings.redis_url, settings.redis_channel,
                        on_lag=metrics.bus_lag.observe)
    return InProcessBus()


SHARE_METRICS_SECONDS = 5.0


async def _tend(context: ServerContext, notifier: Notifier) -> None:
    """Beat the service manager's watchdog from the event loop (a loop that stalls stops the
    beats, and the manager restarts the server), and share this worker's metrics."""
    interval = SHARE_METRICS_SECONDS
    if notifier.watchdog_seconds is not None:
        interval = min(interval, notifier.watchdog_seconds / 4)
    while True:
        notifier.beat()
        context.metrics.share(context.hub)
        await asyncio.sleep(interval)


async def _housekeeping(context: ServerContext) -> None:
    """Expire unconfirmed reservations every round; when due (see ``housekeeping.Rounds``),
    expire tickets left from earlier service days, roll up closed days for the statistics (a
    few days per round), prune the event log and forget Idempotency-Keys past their window."""
    rounds = housekeeping.Rounds()
    loop = asyncio.get_running_loop()
    while True:
        try:
            await context.runner.maintain(SYSTEM, tickets.expire_reservations)
            await context.runner.maintain(SYSTEM, online.lapse)
            await context.runner.maintain(SYSTEM, visits.lapse_held)
            days = housekeeping.service_days(
                (site.timezone for site in context.catalog.sites.values()), context.clock())
            if rounds.full_due(days, loop.time()):
                await context.runner.maintain(SYSTEM, tickets.expire_past_days)
                await context.runner.maintain(SYSTEM, online.erase_personal_data)
                rolled_up = await context.runner.maintain(
                    SYSTEM, lambda uow: stats_rollup.catch_up(uow.session, uow.catalog, uow.now))
                async with context.db.write(background=True) as session:
                    await event_log.prune(session, context.settings.event_log_keep)
                    forgotten = await forget_old_keys(session, context.clock())
                    await outbox.erase_old_phones(session, context.catalog, context.clock())
                # A backlog of either (a store from before either existed): go on next round.
                rounds.full_done(days, loop.time(), rolled_up or int(forgotten == FORGET_AT_ONCE))
        except Exception:  # a bad moment of the database must not end the loop
            log.exception("housekeeping failed; retrying")
        context.housekept.set()
        await asyncio.sleep(context.settings.maintenance_seconds)


def _notification_sender(context: ServerContext) -> OutboxSender | None:
    """The outbox's sender, when a hall sends notifications (see server.notify.sender)."""
    if not any(site.notify.enabled for site in context.catalog.sites.values()):
        return None

    async def on_status(site: SiteInfo, status: Any) -> None:
        await context.runner.maintain(SYSTEM, lambda uow: devices.report_modem(
            uow, site.id, status.state, status.describe()[:500]))

    return OutboxSender(context.db, lambda: context.catalog, context.clock,
                        lease_seconds=context.settings.notify_lease_seconds,
                        on_status=on_status)


async def _check_public_addresses(context: ServerContext, delay: float = 1.0) -> None:
    """Say which address each site's tickets carry, loudly when phones cannot reach it: at
    once what the address itself shows (loopback, a name that does not resolve), and, once the
    server is up, whether it answers there."""
    sites = list(context.catalog.sites.values())
    for site in sites:
        if not site.public_base_url:
            log.warning("WARNING: tickets of site %s carry no address in their QR codes: set "
                        "site.public_base_url in the hall's file", site.code)
            continue
        log.info("tickets of site %s lead to %s/t/…", site.code, site.public_base_url)
        for problem in await asyncio.to_thread(public_address.warnings, site.public_base_url):
            log.warning("WARNING: site %s's ticket address: %s", site.code, problem)
    await asyncio.sleep(delay)
    for site in sites:
        if site.public_base_url and not await asyncio.to_thread(public_address.warnings,
                                                                 site.public_base_url):
            why = await public_address.answers(site.public_base_url)
            if why is not None:
                log.warning("WARNING: site %s's ticket address %s does not answer (%s): phones "
                            "that scan its tickets reach nothing. Check site.public_base_url "
                            "and the --host the server listens on", site.code,
                            site.public_base_url, why)


def create_app(settings: Settings, clock: Clock = utc_now) -> FastAPI:
    from server.api import register_routes
    from server.api.request_id import RequestId

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.effective_database_url, pool_size=settings.database_pool)
        metrics = ServerMetrics(settings.metrics_dir)
        context = ServerContext(settings=settings, db=db, bus=make_bus(settings, metrics),
                                clock=clock, metrics=metrics)
        if settings.prepare_store:
            await prepare_store(settings, db, clock)
        else:
            await require_current_schema(db)
        context.schema_revision = head_revision()
        await context.reload_catalog()
        if not context.catalog.sites:
            log.warning("no hall is configured yet: start with --config FILE or --demo")
        await context.hub.start()
        await context.bus.start()
        region = context.region = RegionRuntime(context)
        await region.start()
        app.state.context = context
        housekeeping = asyncio.create_task(_housekeeping(context))
        notifier = Notifier.from_environment(any_process=True)
        tending = asyncio.create_task(_tend(context, notifier))
        address_check = asyncio.create_task(_check_public_addresses(context))
        sender = context.sender = _notification_sender(context)
        sending = asyncio.create_task(sender.run()) if sender is not None else None
        # What start-up made (modules, the schema, the catalogue) lives as long as the process:
        # keep it out of the collector's full passes. And make those passes rare: each walks
        # every object the process holds (hundreds per connected socket), pausing every socket
        # for up to a second with 10,000 of them; young objects are still collected often.
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 10, 1_000)
        log.info("Antrean %s serving %d site(s) on %s", __version__, len(context.catalog.sites),
                 db.dialect)
        notifier.ready(f"serving {len(context.catalog.sites)} site(s) on {db.dialect}")
        try:
            yield
        finally:
            notifier.stopping()
            for task in (housekeeping, tending, address_check, sending):
                if task is None:
                    continue
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if sender is not None:
                await sender.release()  # the next process sends at once, not after the lease
            notifier.close()
            await region.stop()
            await context.hub.stop()
            await context.bus.stop()
            await context.voices.close()
            await db.dispose()
            metrics.close()

    app = FastAPI(
        title="Antrean",
        version=__version__,
        description=(
            "Queue and counter management for public-service halls. Commands go in over HTTP "
            "(authenticated with a bearer token; every POST honours an `Idempotency-Key` "
            "header); state comes out over WebSockets as events. Errors answer with "
            "`{\"error\": {\"code\", \"message\" (Indonesian), \"message_en\"}}`."
        ),
        lifespan=lifespan,
    )
    register_routes(app)
    app.add_middleware(RequestId)
    app.add_middleware(ExposeServerSend)  # outermost: it keeps the server's own send
    return app


def create_app_from_environment() -> FastAPI:
    """The app of one worker of `antrean serve --workers N`: its settings come from the
    environment its parent prepared (see ``server.cli``), its logging too."""
    logs.configure()
    return create_app(Settings.from_env())
