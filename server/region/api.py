"""The region's routes: at the centre, what sites send and fetch (with their site token) and
what the region's managers read; at a site, the state of its link.

A site token opens only its own hall's mirror: the token, not anything the batch says, picks
the mirror, and a batch with another site's records is refused whole.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from starlette.requests import ClientDisconnect

from common.protocol.region import HallFile, RegionOut, UplinkAnswer, UplinkBatch, UplinkStatus
from common.protocol.stats import GroupBy, StatsOut
from server.api.deps import Context, CurrentActor, SiteBearerToken, SiteCode
from server.api.errors import ERROR_RESPONSES
from server.api.stats import Agency, CounterNo, DateFrom, DateTo, OfficerName, Service
from server.region import registry, view, wire
from server.region.mirror import BadBatch, Gap, NotYours
from server.services import export
from server.services.actor import Actor
from server.services.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from server.store import models as m

log = logging.getLogger(__name__)
router = APIRouter(responses=ERROR_RESPONSES)


class TooLarge(DomainError):
    status = 413
    code = "too_large"


async def _site(context: Context, credentials: SiteBearerToken) -> m.RegionSite:
    async with context.db.lookup() as session:
        site = await registry.site_of_token(
            session, credentials.credentials if credentials is not None else None)
        session.expunge(site)
    return site


SiteToken = Annotated[m.RegionSite, Depends(_site)]


async def _body(request: Request) -> tuple[bytes, int]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > wire.MAX_COMPRESSED:
        raise TooLarge("Kiriman terlalu besar.", f"A batch may be {wire.MAX_COMPRESSED} bytes "
                       "at most; send smaller ones.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > wire.MAX_COMPRESSED:
            raise TooLarge("Kiriman terlalu besar.", f"A batch may be {wire.MAX_COMPRESSED} "
                           "bytes at most; send smaller ones.")
        chunks.append(chunk)
    try:
        return wire.unpack(b"".join(chunks), request.headers.get("content-encoding")), size
    except wire.Oversized as exc:
        raise TooLarge("Kiriman terlalu besar.", str(exc)) from exc
    except ValueError as exc:
        raise Invalid("Kiriman rusak atau terpotong.", str(exc), code="bad_batch") from exc


@router.post("/api/v1/region/uplink", response_model=UplinkAnswer, tags=["region"],
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": UplinkBatch.model_json_schema(ref_template="#/components/schemas/"
                                                                      "{model}")}},
                 "description": "an UplinkBatch, gzip-compressed (Content-Encoding: gzip)"}})
async def uplink(request: Request, context: Context, site: SiteToken) -> Response:
    """A site sends its changes after the position the centre last acknowledged; the centre
    applies them to the site's mirror, exactly once, and answers how far it now holds them and
    the newest hall file version it holds for the site. Site tokens only."""
    try:
        text, received = await _body(request)
    except ClientDisconnect:
        log.info("a batch of %s was cut off on the way; it will come again", site.code)
        return Response(status_code=400)
    try:
        batch = UplinkBatch.model_validate_json(text)
    except ValueError as exc:
        raise Invalid("Kiriman tidak valid.", f"The batch is not valid: {exc}",
                      code="bad_batch") from exc
    if batch.site is not None and batch.site != site.code:
        raise Forbidden(f"Token ini milik gedung '{site.code}', bukan '{batch.site}'.",
                        f"This token is of site '{site.code}'; the batch is of '{batch.site}'.",
                        code="wrong_site")
    assert context.region is not None
    mirror = await context.region.mirrors.get(site.code)
    try:
        applied = await mirror.apply(batch, context.clock())
    except Gap as gap:
        raise Conflict("Kiriman melompati perubahan yang belum diterima.",
                       f"The batch starts at {batch.first}; the centre holds changes up to "
                       f"{gap.acked}: send from there.", code="uplink_gap",
                       acked=gap.acked) from gap
    except NotYours as exc:
        raise Forbidden("Data ini bukan milik gedung pemilik token.", str(exc),
                        code="wrong_site") from exc
    except BadBatch as exc:
        raise Invalid("Kiriman tidak dapat diterapkan.", str(exc), code="bad_batch") from exc
    async with context.db.write() as session:
        await registry.heard(session, site.code, batch, applied.acked, received, context.clock())
        newest = await registry.newest_hall(session, site.code)
    if applied.changes or applied.duplicate:
        log.info("%s: %d changes applied up to %d%s; %d more to come", site.code,
                 applied.changes, applied.acked, " (a batch sent again)" if applied.duplicate
                 else "", batch.backlog)
    answer = UplinkAnswer(acked=applied.acked, duplicate=applied.duplicate,
                          hall_version=newest.version if newest is not None else 0)
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("/api/v1/region/hall", response_model=HallFile, tags=["region"])
async def hall_file(context: Context, site: SiteToken) -> HallFile:
    """The newest hall file the centre holds for the token's site. Site tokens only."""
    async with context.db.read() as session:
        newest = await registry.newest_hall(session, site.code)
    if newest is None:
        raise NotFound("Pusat belum menyimpan berkas gedung ini.",
                       "The centre holds no hall file for this site yet.", code="no_hall_file")
    return HallFile(site=site.code, version=newest.version, text=newest.text,
                    sha256=newest.sha256, published_at=newest.created_at)


@router.get("/api/v1/uplink", response_model=UplinkStatus, tags=["region"])
async def uplink_status(context: Context) -> UplinkStatus:
    """At a site server: its link to the centre (state, last contact, what waits to be sent)."""
    uplink = context.region.uplink if context.region is not None else None
    if uplink is None:
        raise NotFound("Server ini tidak terhubung ke pusat.",
                       "This server has no upstream (it is not a site server).",
                       code="no_upstream")
    return await uplink.status()


# ---------------------------------------------------------------- for the region's managers

def _region_manager(actor: Actor) -> None:
    view.require_region_manager(actor.kind, actor.role, actor.site_id)


@router.get("/api/v1/region", response_model=RegionOut, tags=["region"])
async def region(context: Context, actor: CurrentActor, date_from: DateFrom = None,
                 date_to: DateTo = None) -> RegionOut:
    """Every hall side by side: how fresh its records are here (last heard, what it still
    holds), its queue now where it is live (otherwise none: not available), and the period's
    figures. Managers and admins of the region (accounts not bound to one hall)."""
    _region_manager(actor)
    return await view.overview(context, date_from, date_to)


@router.get("/api/v1/region/sites/{site}/stats", response_model=StatsOut, tags=["region"])
async def region_site_stats(
    site: SiteCode, context: Context, actor: CurrentActor, date_from: DateFrom = None,
    date_to: DateTo = None, group_by: GroupBy = "service", agency: Agency = None,
    service: Service = None, counter: CounterNo = None, officer: OfficerName = None,
) -> StatsOut:
    """One hall's statistics from the records the centre holds, by the same code and with the
    same parameters as the hall's own ``/api/v1/sites/{site}/stats``, as of the moment the
    hall last spoke."""
    _region_manager(actor)
    hall = await view.hall(context, site)
    query = view.hall_query(hall, date_from, date_to, group_by, agency, service, counter,
                            officer)
    return await view.hall_statistics(hall, query)


@router.get("/api/v1/region/sites/{site}/export/{kind}.{fmt}", tags=["region"],
            responses={200: {"description": "a CSV or XLSX file",
                             "content": {"text/csv": {}, export.XLSX_TYPE: {}}}})
async def region_site_export(
    site: SiteCode, kind: Literal["tickets", "kpi"], fmt: Literal["csv", "xlsx"],
    context: Context, actor: CurrentActor, date_from: DateFrom = None, date_to: DateTo = None,
    group_by: GroupBy = "service", agency: Agency = None, service: Service = None,
    counter: CounterNo = None, officer: OfficerName = None,
) -> Response:
    """One hall's exports from the records the centre holds (as the hall's own exports)."""
    _region_manager(actor)
    hall = await view.hall(context, site)
    query = view.hall_query(hall, date_from, date_to, group_by, agency, service, counter,
                            officer)
    return await export.response(hall.store(), view.site_of(hall), query, kind, fmt)


REGION_COLUMNS = ("site", "name", "freshness", "heard_at", "data_as_of", "backlog",
                  "waiting_now", *export.KPI_COLUMNS[3:])


def region_sheets(out: RegionOut) -> export.Sheets:
    rows = []
    for hall in out.halls:
        figures = export.kpi_figures(hall.totals) if hall.totals is not None else []
        rows.append([hall.site, hall.name, hall.link.freshness,
                     hall.link.heard_at.isoformat() if hall.link.heard_at else None,
                     hall.link.site_clock.isoformat() if hall.link.site_clock else None,
                     hall.link.backlog, hall.now.waiting if hall.now is not None else None,
                     *figures])
    return {"region": (REGION_COLUMNS, rows)}


@router.get("/api/v1/region/export/kpi.{fmt}", tags=["region"],
            responses={200: {"description": "a CSV or XLSX file",
                             "content": {"text/csv": {}, export.XLSX_TYPE: {}}}})
async def region_export(fmt: Literal["csv", "xlsx"], context: Context, actor: CurrentActor,
                        date_from: DateFrom = None, date_to: DateTo = None) -> Response:
    """Every hall's figures for the period, one row each, with how fresh they are (the
    waiting count only for halls that are live)."""
    _region_manager(actor)
    out = await view.overview(context, date_from, date_to, "en")
    return export.sheets_response(region_sheets(out), fmt,
                                  f"antrean-region-{out.date_from}_{out.date_to}.{fmt}")
