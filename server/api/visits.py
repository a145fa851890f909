"""Visits: one number for several services. The kiosk plans one; an officer adds or drops a
stop. Calling, finishing and the rest are the ticket's own commands: a finished stop routes the
ticket on by itself."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from common.protocol.models import IssueVisitRequest, StopChangeRequest, TicketOut
from server.api.deps import (
    Context,
    CurrentActor,
    IdempotencyKey,
    SiteCode,
    TicketId,
    run_command,
    site_of,
)
from server.api.errors import ERROR_RESPONSES
from server.services import visits

router = APIRouter(responses=ERROR_RESPONSES, tags=["visits"])


@router.post("/api/v1/sites/{site}/visits", status_code=201, response_model=TicketOut)
async def issue_visit(site: SiteCode, body: IssueVisitRequest, request: Request,
                      context: Context, actor: CurrentActor,
                      idempotency_key: IdempotencyKey = None) -> Response:
    """One number for up to the hall's `visits.max_stops` services. The ticket joins the first
    stop's line now (numbered by that service); each finished stop sends it to the next one's
    line (event `ticket.routed`), where its place counts from then. One service is an ordinary
    ticket, as `POST /api/v1/sites/{site}/tickets` issues."""
    info = site_of(context, site)
    return await run_command(
        request, context, actor,
        lambda uow: visits.issue_visit(uow, info, body.services, body.priority_reason,
                                       body.channel, body.reserve),
        idempotency_key, body, created=True)


@router.post("/api/v1/tickets/{ticket}/stops", response_model=TicketOut)
async def add_stop(ticket: TicketId, body: StopChangeRequest, request: Request,
                   context: Context, actor: CurrentActor,
                   idempotency_key: IdempotencyKey = None) -> Response:
    """Another service at the end of the visit ("also needs the tax office"); audited. A
    single-service ticket becomes a visit."""
    return await run_command(request, context, actor,
                             lambda uow: visits.add_stop(uow, ticket, body.service, body.reason),
                             idempotency_key, body)


@router.post("/api/v1/tickets/{ticket}/stops/drop", response_model=TicketOut)
async def drop_stop(ticket: TicketId, body: StopChangeRequest, request: Request,
                    context: Context, actor: CurrentActor,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """Take a stop not yet served out of the visit; audited. Dropping the stop it waits at
    sends it on to the next one at once."""
    return await run_command(request, context, actor,
                             lambda uow: visits.drop_stop(uow, ticket, body.service, body.reason),
                             idempotency_key, body)
