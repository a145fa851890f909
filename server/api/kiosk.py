"""What a kiosk does: issue a ticket (or reserve one while it prints), confirm it, report status."""

from __future__ import annotations

from time import perf_counter

from fastapi import APIRouter, Request, Response

from common.protocol.models import DeviceStatusRequest, IssueTicketRequest, TicketOut
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
from server.services import devices, tickets

router = APIRouter(responses=ERROR_RESPONSES)


@router.post("/api/v1/sites/{site}/tickets", status_code=201, response_model=TicketOut,
             tags=["kiosk"])
async def issue_ticket(site: SiteCode, body: IssueTicketRequest, request: Request,
                       context: Context, actor: CurrentActor,
                       idempotency_key: IdempotencyKey = None) -> Response:
    """Issue the service's next number. With `reserve`, the number is held for the kiosk to
    print and joins the line only at `/confirm`; unconfirmed it expires and never reaches a
    counter."""
    began = perf_counter()
    info = site_of(context, site)
    try:
        return await run_command(
            request, context, actor,
            lambda uow: tickets.issue(uow, info, body.service, body.priority_reason,
                                      body.channel, body.reserve),
            idempotency_key, body, created=True)
    finally:
        context.metrics.issue.observe(perf_counter() - began)


@router.post("/api/v1/tickets/{ticket}/confirm", response_model=TicketOut, tags=["kiosk"])
async def confirm_ticket(ticket: TicketId, request: Request, context: Context,
                         actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    """The ticket printed (or the citizen noted the number): it joins the line now."""
    return await run_command(request, context, actor, lambda uow: tickets.confirm(uow, ticket),
                             idempotency_key)


@router.post("/api/v1/devices/status", status_code=204, tags=["devices"],
             responses={204: {"description": "recorded"}})
async def report_status(body: DeviceStatusRequest, request: Request, context: Context,
                        actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    """A device reports a component's state (a printer's paper low); staff see the change."""
    return await run_command(request, context, actor,
                             lambda uow: devices.report_status(uow, body), idempotency_key, body)
