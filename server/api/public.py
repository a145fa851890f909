"""What anyone may read: sites, services and counters, and a ticket by its tracking code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import text

from common.protocol.models import CounterOut, Health, ServiceOut, SiteOut, Snapshot, TicketOut
from server import __version__
from server.api.deps import Context, CurrentActor, SiteCode, site_of
from server.api.errors import ERROR_RESPONSES
from server.services import views
from server.services.errors import NotFound

router = APIRouter(responses=ERROR_RESPONSES)


@router.get("/healthz", response_model=Health, tags=["health"])
async def healthz(context: Context) -> Health:
    async with context.db.read() as session:
        await session.execute(text("SELECT 1"))
    return Health(status="ok", database=context.db.dialect, version=__version__)


@router.get("/api/v1/sites", response_model=list[SiteOut], tags=["public"])
async def sites(context: Context) -> list[SiteOut]:
    return views.list_sites(context.catalog, context.clock())


@router.get("/api/v1/sites/{site}/services", response_model=list[ServiceOut], tags=["public"])
async def services(site: SiteCode, context: Context) -> list[ServiceOut]:
    """Every service with its requirements, fee, target time, line and whether it is open."""
    info = site_of(context, site)
    async with context.db.read() as session:
        return await views.list_services(session, context.catalog, info, context.clock())


@router.get("/api/v1/sites/{site}/counters", response_model=list[CounterOut], tags=["public"])
async def counters(site: SiteCode, context: Context) -> list[CounterOut]:
    info = site_of(context, site)
    async with context.db.read() as session:
        return await views.list_counters(session, context.catalog, info, context.clock())


@router.get("/api/v1/sites/{site}/snapshot", response_model=Snapshot, tags=["displays"])
async def snapshot(site: SiteCode, context: Context, actor: CurrentActor,
                   zone: Annotated[str | None, Query(max_length=40, description=
                                                     "only this display zone's agencies")] = None,
                   ) -> Snapshot:
    """The hall as it stands, with the event sequence it includes: resume events from `seq`."""
    info = site_of(context, site)
    actor.require_site(info.id)
    agencies = None
    if zone is not None:
        found = context.catalog.zones.get((info.id, zone))
        if found is None:
            raise NotFound(f"Zona '{zone}' tidak ada.", f"No zone has the code '{zone}'.",
                           code="unknown_zone")
        agencies = found.agency_codes
    async with context.db.read() as session:
        return await views.snapshot(session, context.catalog, info, context.clock(), agencies)


@router.get("/api/v1/tickets/{tracking_code}", response_model=TicketOut, tags=["public"])
async def track(
    tracking_code: Annotated[str, Path(min_length=4, max_length=16, pattern=r"^[A-Za-z0-9]+$")],
    context: Context,
) -> TicketOut:
    """A citizen's ticket by the code printed on it: status, people ahead, counter once called."""
    async with context.db.read() as session:
        return await views.tracked_ticket(session, context.catalog, tracking_code)
