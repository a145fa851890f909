"""What an officer (or a counter's keypad) does: run the counter and move tickets through it."""

from __future__ import annotations

from time import perf_counter

from fastapi import APIRouter, Request, Response

from common.protocol.models import (
    CallTicketRequest,
    CounterOut,
    PauseRequest,
    RatingRequest,
    ReasonRequest,
    TicketOut,
    TransferRequest,
)
from server.api.deps import (
    Context,
    CounterId,
    CurrentActor,
    IdempotencyKey,
    TicketId,
    run_command,
)
from server.api.errors import ERROR_RESPONSES
from server.services import counters, tickets, views

router = APIRouter(responses=ERROR_RESPONSES, tags=["counter"])


@router.get("/api/v1/counters/{counter}", response_model=CounterOut)
async def counter_desk(counter: CounterId, context: Context, actor: CurrentActor) -> CounterOut:
    """The counter, for whoever may work it: an officer of its agency, a manager or admin of
    its site, its own keypad. Anyone else gets 403 `wrong_agency`, naming the counter's agency
    (the counter client asks at login, before it shows any button)."""
    info = context.catalog.counter(counter)
    tickets.authorize_counter(actor, info, context.catalog)
    async with context.db.read() as session:
        return await views.one_counter(session, context.catalog, info, context.clock())


@router.post("/api/v1/counters/{counter}/open", response_model=CounterOut)
async def open_counter(counter: CounterId, request: Request, context: Context,
                       actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    return await run_command(request, context, actor,
                             lambda uow: counters.change_state(uow, counter, "open"),
                             idempotency_key)


@router.post("/api/v1/counters/{counter}/pause", response_model=CounterOut)
async def pause_counter(counter: CounterId, body: PauseRequest, request: Request,
                        context: Context, actor: CurrentActor,
                        idempotency_key: IdempotencyKey = None) -> Response:
    """Stop receiving tickets for a while (break, Friday prayer, system outage)."""
    return await run_command(request, context, actor,
                             lambda uow: counters.change_state(uow, counter, "pause", body.reason),
                             idempotency_key, body)


@router.post("/api/v1/counters/{counter}/resume", response_model=CounterOut)
async def resume_counter(counter: CounterId, request: Request, context: Context,
                         actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    return await run_command(request, context, actor,
                             lambda uow: counters.change_state(uow, counter, "resume"),
                             idempotency_key)


@router.post("/api/v1/counters/{counter}/close", response_model=CounterOut)
async def close_counter(counter: CounterId, request: Request, context: Context,
                        actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    return await run_command(request, context, actor,
                             lambda uow: counters.change_state(uow, counter, "close"),
                             idempotency_key)


@router.post("/api/v1/counters/{counter}/call-next", response_model=TicketOut,
             responses={204: {"description": "nobody is waiting for this counter's services"}})
async def call_next(counter: CounterId, request: Request, context: Context, actor: CurrentActor,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """Finish the counter's current ticket, if any, and call the next one the dispatch picks."""
    began = perf_counter()
    try:
        return await run_command(request, context, actor,
                                 lambda uow: tickets.call_next(uow, counter), idempotency_key)
    finally:
        context.metrics.call_next.observe(perf_counter() - began)


@router.post("/api/v1/counters/{counter}/call", response_model=TicketOut)
async def call_ticket(counter: CounterId, body: CallTicketRequest, request: Request,
                      context: Context, actor: CurrentActor,
                      idempotency_key: IdempotencyKey = None) -> Response:
    """Call a given waiting ticket out of order; the reason goes to the audit trail."""
    return await run_command(
        request, context, actor,
        lambda uow: tickets.call_specific(uow, counter, body.which, body.reason),
        idempotency_key, body)


@router.post("/api/v1/tickets/{ticket}/recall", response_model=TicketOut)
async def recall(ticket: TicketId, request: Request, context: Context, actor: CurrentActor,
                 idempotency_key: IdempotencyKey = None) -> Response:
    return await run_command(request, context, actor, lambda uow: tickets.recall(uow, ticket),
                             idempotency_key)


@router.post("/api/v1/tickets/{ticket}/start", response_model=TicketOut)
async def start(ticket: TicketId, request: Request, context: Context, actor: CurrentActor,
                idempotency_key: IdempotencyKey = None) -> Response:
    """The citizen has arrived at the counter: service time starts."""
    return await run_command(request, context, actor, lambda uow: tickets.start(uow, ticket),
                             idempotency_key)


@router.post("/api/v1/tickets/{ticket}/finish", response_model=TicketOut)
async def finish(ticket: TicketId, request: Request, context: Context, actor: CurrentActor,
                 idempotency_key: IdempotencyKey = None) -> Response:
    return await run_command(request, context, actor, lambda uow: tickets.finish(uow, ticket),
                             idempotency_key)


@router.post("/api/v1/tickets/{ticket}/no-show", response_model=TicketOut)
async def no_show(ticket: TicketId, request: Request, context: Context, actor: CurrentActor,
                  idempotency_key: IdempotencyKey = None) -> Response:
    return await run_command(request, context, actor, lambda uow: tickets.no_show(uow, ticket),
                             idempotency_key)


@router.post("/api/v1/tickets/{ticket}/return", response_model=TicketOut)
async def return_to_line(ticket: TicketId, body: ReasonRequest, request: Request,
                         context: Context, actor: CurrentActor,
                         idempotency_key: IdempotencyKey = None) -> Response:
    """A no-show who arrives late goes back to the end of the line."""
    return await run_command(request, context, actor,
                             lambda uow: tickets.return_to_line(uow, ticket, body.reason),
                             idempotency_key, body)


@router.post("/api/v1/tickets/{ticket}/transfer", response_model=TicketOut)
async def transfer(ticket: TicketId, body: TransferRequest, request: Request, context: Context,
                   actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    """Move the ticket to another service's line, keeping its number."""
    return await run_command(request, context, actor,
                             lambda uow: tickets.transfer(uow, ticket, body.service, body.reason),
                             idempotency_key, body)


@router.post("/api/v1/tickets/{ticket}/cancel", response_model=TicketOut)
async def cancel(ticket: TicketId, body: ReasonRequest, request: Request, context: Context,
                 actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    return await run_command(request, context, actor,
                             lambda uow: tickets.cancel(uow, ticket, body.reason),
                             idempotency_key, body)


@router.post("/api/v1/tickets/{ticket}/rating", response_model=TicketOut)
async def rate(ticket: TicketId, body: RatingRequest, request: Request, context: Context,
               actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    """The citizen's 1–4 satisfaction rating of a finished ticket (from the counter's keypad)."""
    return await run_command(request, context, actor,
                             lambda uow: tickets.rate(uow, ticket, body.rating),
                             idempotency_key, body)
