"""Notifications: a citizen subscribes a phone to their ticket (opt-in) and opts out by the
link in the messages; staff read the outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from common.protocol.notify import (
    OutboxCount,
    OutboxMessageOut,
    OutboxOut,
    SubscribeRequest,
    SubscriptionOut,
)
from server.api.deps import Context, CurrentActor, IdempotencyKey, SiteCode, run_command, site_of
from server.api.errors import ERROR_RESPONSES
from server.api.stats import CITIZEN, TrackingCode, require_manager
from server.services import outbox
from server.services.uow import UnitOfWork

router = APIRouter(responses=ERROR_RESPONSES)

StopToken = Annotated[str, Path(min_length=10, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


def _out(found: outbox.Subscribed) -> SubscriptionOut:
    return SubscriptionOut(ticket_number=found.ticket_number, phone_masked=found.phone_masked,
                           language="en" if found.language == "en" else "id",
                           active=found.active)


@router.post("/api/v1/tickets/{tracking_code}/notify", response_model=SubscriptionOut,
             status_code=201, tags=["public"])
async def subscribe(tracking_code: TrackingCode, body: SubscribeRequest, request: Request,
                    context: Context, idempotency_key: IdempotencyKey = None) -> Response:
    """Tell me about this ticket on this phone (opt-in): a confirmation now, then "N people
    ahead", the call and its counter, and the survey's link. The tracking code printed on the
    ticket is the credential. The number is kept for the hall's retention days, shown to
    staff masked, and erased after."""
    citizen = replace(CITIZEN, ticket_code=tracking_code.upper())

    async def command(uow: UnitOfWork) -> SubscriptionOut:
        return _out(await outbox.subscribe(uow, tracking_code, body.phone, body.language))

    return await run_command(request, context, citizen, command, idempotency_key, body,
                             created=True)


@router.post("/api/v1/notify/{stop_token}/stop", response_model=SubscriptionOut,
             tags=["public"])
async def stop(stop_token: StopToken, request: Request, context: Context,
               idempotency_key: IdempotencyKey = None) -> Response:
    """Opt out with the secret of the link the messages carry: nothing more is sent."""

    async def command(uow: UnitOfWork) -> SubscriptionOut:
        return _out(await outbox.stop(uow, stop_token))

    return await run_command(request, context, CITIZEN, command, idempotency_key)


@router.get("/api/v1/sites/{site}/outbox", response_model=OutboxOut, tags=["stats"])
async def read_outbox(site: SiteCode, context: Context, actor: CurrentActor) -> OutboxOut:
    """The hall's messages of the last day: counts per channel and status, the newest ones
    (phones masked), the modem's state."""
    info = site_of(context, site)
    require_manager(actor, info)
    since = context.clock() - timedelta(days=1)
    async with context.db.read() as session:
        view = await outbox.staff_view(session, info, since)
    return OutboxOut(
        since=since, channel_state=view.channel_state, channel_detail=view.channel_detail,
        counts=[OutboxCount(channel=c, status=s, messages=n)  # type: ignore[arg-type]
                for (c, s), n in sorted(view.counts.items())],
        recent=[OutboxMessageOut(created_at=r.created_at, ticket=r.ticket, kind=r.kind,
                                 channel=r.channel, to=r.recipient_masked, status=r.status,
                                 attempts=r.attempts, reason=r.reason) for r in view.recent])
