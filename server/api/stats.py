"""What managers read (statistics and exports) and what a citizen answers (the IKM survey)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from common.protocol.stats import GroupBy, StatsOut, SurveyOut, SurveyRequest
from server.api.deps import Context, CurrentActor, IdempotencyKey, SiteCode, run_command, site_of
from server.api.errors import ERROR_RESPONSES
from server.app import ServerContext
from server.domain.numbering import service_day
from server.services import export, stats, surveys
from server.services.actor import Actor
from server.services.catalog import SiteInfo
from server.services.errors import NotFound

router = APIRouter(responses=ERROR_RESPONSES)

TrackingCode = Annotated[str, Path(min_length=4, max_length=16, pattern=r"^[A-Za-z0-9]+$")]
CITIZEN = Actor(kind="system", id=None, name="warga (kode tiket)", role="citizen")


def stats_query(
    site: SiteInfo, context: ServerContext,
    date_from: date | None = None, date_to: date | None = None, group_by: GroupBy = "service",
    agency: str | None = None, service: str | None = None, counter: int | None = None,
    officer: str | None = None,
) -> stats.StatsQuery:
    today = service_day(context.clock(), site.timezone)
    return stats.StatsQuery(date_from=date_from or date_to or today, date_to=date_to or today,
                            group_by=group_by, agency=agency, service=service, counter=counter,
                            officer=officer)


def require_manager(actor: Actor, site: SiteInfo) -> None:
    actor.require_role("manager", "admin")
    actor.require_site(site.id)


DateFrom = Annotated[date | None, Query(description="first service day (default: today)")]
DateTo = Annotated[date | None, Query(description="last service day, inclusive (default: today)")]
Agency = Annotated[str | None, Query(max_length=40, description="only this agency's services")]
Service = Annotated[str | None, Query(max_length=40, description="only this service")]
CounterNo = Annotated[int | None, Query(ge=1, le=100_000, description="only this counter number")]
OfficerName = Annotated[str | None, Query(max_length=40, description="only this officer")]


@router.get("/api/v1/sites/{site}/stats", response_model=StatsOut, tags=["stats"])
async def site_stats(
    site: SiteCode, context: Context, actor: CurrentActor, date_from: DateFrom = None,
    date_to: DateTo = None, group_by: GroupBy = "service", agency: Agency = None,
    service: Service = None, counter: CounterNo = None, officer: OfficerName = None,
) -> StatsOut:
    """Tickets issued, served, no-shows…; wait, walk and service times (mean, median, p90, max);
    SLA share; peak hours; counter utilisation; tickets per officer-hour; out-of-order calls
    with reasons; the satisfaction index (IKM). Managers and admins only."""
    info = site_of(context, site)
    require_manager(actor, info)
    query = stats_query(info, context, date_from, date_to, group_by, agency, service, counter,
                        officer)
    async with context.db.read() as session:
        return await stats.statistics(session, context.catalog, info, query, context.clock())


@router.get("/api/v1/sites/{site}/export/{kind}.{fmt}", tags=["stats"],
            responses={200: {"description": "a CSV or XLSX file",
                             "content": {"text/csv": {}, export.XLSX_TYPE: {}}}})
async def site_export(
    site: SiteCode, kind: Literal["tickets", "kpi"], fmt: Literal["csv", "xlsx"],
    context: Context, actor: CurrentActor, date_from: DateFrom = None, date_to: DateTo = None,
    group_by: GroupBy = "service", agency: Agency = None, service: Service = None,
    counter: CounterNo = None, officer: OfficerName = None,
) -> Response:
    """Ticket-level data (one row per ticket) or the KPI tables, as CSV or XLSX."""
    info = site_of(context, site)
    require_manager(actor, info)
    query = stats_query(info, context, date_from, date_to, group_by, agency, service, counter,
                        officer)
    return await export.response(context, info, query, kind, fmt)


@router.post("/api/v1/tickets/{tracking_code}/survey", response_model=SurveyOut,
             status_code=201, tags=["public"])
async def answer_survey(tracking_code: TrackingCode, body: SurveyRequest, request: Request,
                        context: Context, idempotency_key: IdempotencyKey = None) -> Response:
    """The citizen's nine-element satisfaction survey (IKM) of a finished ticket, once per
    ticket; the tracking code printed on the ticket is the credential."""
    citizen = replace(CITIZEN, ticket_code=tracking_code.upper())
    return await run_command(request, context, citizen,
                             lambda uow: surveys.submit(uow, tracking_code, body),
                             idempotency_key, body, created=True)


@router.get("/api/v1/tickets/{tracking_code}/survey", response_model=SurveyOut, tags=["public"])
async def read_survey(tracking_code: TrackingCode, context: Context) -> SurveyOut:
    async with context.db.read() as session:
        found = await surveys.find(session, context.catalog, tracking_code)
    if found is None:
        raise NotFound("Survei tiket ini belum diisi.", "This ticket has no survey yet.",
                       code="no_survey")
    return found

