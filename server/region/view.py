"""At the centre: the region's halls side by side, and one hall's statistics, read from its
mirror by the code a site reads its own store with (``server.services.stats``).

A hall's figures are as of the last time it spoke (its own clock then): a counter still open
is counted open until that moment, not until the centre's now. Its queue of now is shown only
while it is live (``server.domain.link``); otherwise it is not available, and said to be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from common.protocol.region import RegionHall, RegionLink, RegionOut
from common.protocol.stats import GroupBy, HallNow, StatsOut
from server.domain.link import LinkView, ago, link_view
from server.domain.numbering import service_day
from server.region import registry
from server.region.mirror import Mirror
from server.services import stats
from server.services.catalog import Catalog, SiteInfo
from server.services.errors import Forbidden, NotFound
from server.services.runner import Clock
from server.store import models as m
from server.store.db import Database

if TYPE_CHECKING:
    from server.app import ServerContext


def require_region_manager(kind: str, role: str, site_id: int | None) -> None:
    if kind != "officer" or role not in ("manager", "admin") or site_id is not None:
        raise Forbidden("Halaman wilayah hanya untuk manajer dan admin wilayah.",
                        "The region's pages are for the region's managers and admins (an "
                        "account not bound to one hall).", code="not_region_manager")


@dataclass(frozen=True)
class MirrorView:
    """A mirror as the statistics and exports see a store: its database, its catalogue, and
    its clock, stopped at the moment the site last spoke."""

    db: Database
    catalog: Catalog
    clock: Clock


@dataclass(frozen=True)
class HallView:
    site: m.RegionSite
    mirror: Mirror
    link: LinkView
    published: int
    as_of: datetime  # the site's clock when it last spoke (the centre's now before it ever did)

    @property
    def info(self) -> SiteInfo | None:
        return self.mirror.site

    def store(self) -> MirrorView:
        as_of = self.as_of
        return MirrorView(self.mirror.db, self.mirror.catalog, lambda: as_of)

    def link_out(self, lang: str = "id") -> RegionLink:
        site = self.site
        return RegionLink(freshness=self.link.freshness.value, heard_at=site.heard_at,
                          heard_seconds=self.link.heard_seconds,
                          heard_words=ago(self.link.heard_seconds, lang),
                          site_clock=site.site_clock, backlog=site.backlog, acked=site.acked,
                          hall_published=self.published, hall_applied=site.hall_applied,
                          hall_problem=site.hall_problem)


async def halls(context: ServerContext) -> list[HallView]:
    assert context.region is not None
    async with context.db.read() as session:
        sites = await registry.sites(session)
        published = await registry.newest_versions(session)
    now = context.clock()
    found = []
    for site in sites:
        mirror = await context.region.mirrors.get(site.code)
        await mirror.refresh()
        link = link_view(site.heard_at, site.backlog, now, context.settings.region_live_seconds)
        state = mirror.state
        as_of = state.site_clock if state is not None and state.site_clock else now
        found.append(HallView(site, mirror, link, published.get(site.code, 0), as_of))
    return found


async def hall(context: ServerContext, code: str) -> HallView:
    for view in await halls(context):
        if view.site.code == code:
            return view
    raise NotFound(f"Gedung '{code}' tidak terdaftar di wilayah ini.",
                   f"No site '{code}' is registered in this region.", code="unknown_site")


def site_of(view: HallView) -> SiteInfo:
    if view.info is None:
        raise NotFound(f"Belum ada data dari gedung '{view.site.code}'.",
                       f"The site '{view.site.code}' has sent no records yet.",
                       code="no_records_yet")
    return view.info


def default_day(views: list[HallView], now: datetime) -> date:
    zone = next((v.info.timezone for v in views if v.info is not None), "Asia/Jakarta")
    return service_day(now, zone)


async def overview(context: ServerContext, date_from: date | None, date_to: date | None,
                   lang: str = "id", *, figures: bool = True) -> RegionOut:
    """Every hall side by side; without ``figures``, only how fresh each is and its queue now
    (what the region page refreshes every few seconds)."""
    views = await halls(context)
    today = default_day(views, context.clock())
    first, last = date_from or date_to or today, date_to or today
    query = stats.StatsQuery(first, last, "site")
    out = []
    for view in views:
        info = view.info
        totals, now = None, None
        if info is not None:
            async with view.mirror.db.read() as session:
                if figures:
                    result = await stats.statistics(session, view.mirror.catalog, info, query,
                                                    view.as_of)
                    totals = result.totals
                if view.link.live:
                    now = await stats.hall_now(session, view.mirror.catalog, info, view.as_of)
        out.append(RegionHall(site=view.site.code, name=info.name if info else view.site.name,
                              link=view.link_out(lang), now=now, totals=totals))
    return RegionOut(generated_at=context.clock(), date_from=first, date_to=last, halls=out)


def hall_query(view: HallView, date_from: date | None, date_to: date | None,
               group_by: GroupBy = "service", agency: str | None = None,
               service: str | None = None, counter: int | None = None,
               officer: str | None = None) -> stats.StatsQuery:
    today = service_day(view.as_of, site_of(view).timezone)
    return stats.StatsQuery(date_from=date_from or date_to or today, date_to=date_to or today,
                            group_by=group_by, agency=agency, service=service, counter=counter,
                            officer=officer)


async def hall_statistics(view: HallView, query: stats.StatsQuery) -> StatsOut:
    info = site_of(view)
    async with view.mirror.db.read() as session:
        return await stats.statistics(session, view.mirror.catalog, info, query, view.as_of)


async def hall_now(view: HallView) -> HallNow | None:
    """The hall's queue now, or None when it is not live."""
    if not view.link.live or view.info is None:
        return None
    async with view.mirror.db.read() as session:
        return await stats.hall_now(session, view.mirror.catalog, view.info, view.as_of)
