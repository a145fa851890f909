"""What a server starts for its part in a region.

Every server can be a centre: a hall registered with ``antrean region add`` sends its records
to it, each into the hall's mirror (opened when first needed), and each round the mirrors' closed
days are rolled up for the statistics as the sites roll up their own. A server started with an
upstream is a site: its changes are captured (``capture.ensure``) and its uplink runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from common.client import Backoff
from common.protocol.region import HallFile
from server.config.hall import ConfigError, HallConfig, parse_hall
from server.region import capture, registry
from server.region.mirror import Mirrors
from server.region.uplink import Uplink, UplinkSettings
from server.services import sync
from server.store import models as m
from server.store.db import Database

if TYPE_CHECKING:
    from server.app import ServerContext

log = logging.getLogger(__name__)


async def newest_hall(db: Database) -> HallConfig | None:
    """The newest hall file this site has taken from its centre, if any: it wins over the
    file given at start, which only serves until the centre's first arrives."""
    async with db.read() as session:
        if not await session.scalar(select(func.count()).select_from(m.SyncState)):
            return None
        state = await capture.sync_state(session)
        text, version = state.hall_text, state.hall_version
    if not text:
        return None
    try:
        return parse_hall(text, source=f"the centre's hall file v{version}")
    except ConfigError:
        log.exception("the stored hall file from the centre does not load; using the local one")
        return None


class RegionRuntime:
    def __init__(self, context: ServerContext) -> None:
        self.context = context
        self.mirrors = Mirrors(context.db)
        self.uplink: Uplink | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        context = self.context
        settings = context.settings
        if settings.upstream_url:
            if not settings.site_token:
                raise ValueError("a site server needs its token at the centre (--site-token)")
            async with context.db.write(background=True) as session:
                await capture.ensure(session)
            self.uplink = Uplink(
                context.db,
                UplinkSettings(url=settings.upstream_url, token=settings.site_token,
                               interval=settings.uplink_seconds,
                               batch_changes=settings.uplink_batch,
                               # offline, it tries again at most six intervals apart
                               backoff=Backoff(first=min(1.0, settings.uplink_seconds),
                                               longest=6 * settings.uplink_seconds)),
                context.clock, self._take_hall, self._site_code)
            await self.uplink.start()
        self._task = asyncio.create_task(self._maintain(), name="region")

    def _site_code(self) -> str | None:
        sites = list(self.context.catalog.sites.values())
        return sites[0].code if sites else None

    async def _take_hall(self, hall: HallConfig, hall_file: HallFile) -> None:
        context = self.context
        async with context.db.write() as session:
            await sync.apply_hall(session, hall, context.clock(),
                                  always_open=context.settings.demo)
            state = await capture.sync_state(session)
            state.hall_version, state.hall_text = hall_file.version, hall_file.text
            state.hall_applied_at, state.hall_problem = context.clock(), None
        await context.reload_catalog()

    async def _maintain(self) -> None:
        while True:
            await asyncio.sleep(self.context.settings.maintenance_seconds)
            try:
                async with self.context.db.read() as session:
                    halls = await registry.sites(session)
            except Exception:
                log.exception("reading the region's halls failed; retrying")
                continue
            for hall in halls:
                if hall.backlog:
                    continue  # the site is still sending: its days are not complete here
                try:
                    mirror = await self.mirrors.get(hall.code)
                    await mirror.refresh()
                    await mirror.roll_up()
                except Exception:  # one mirror's bad moment must not stop the others
                    log.exception("rolling up the records of %s failed; retrying", hall.code)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.uplink is not None:
            await self.uplink.stop()
        await self.mirrors.close()
