"""Antrean online: what a citizen does from a phone (book a slot, take today's number, cancel,
reschedule), and the check-in of a kiosk or an officer at the hall."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from common.protocol.models import TicketOut
from common.protocol.online import (
    BookingOut,
    BookingRequest,
    CheckInRequest,
    RemoteTicketRequest,
    RescheduleRequest,
    SlotsOut,
)
from server.api.deps import Context, CurrentActor, IdempotencyKey, SiteCode, run_command, site_of
from server.api.errors import ERROR_RESPONSES
from server.services import online
from server.services.actor import Actor
from server.services.uow import UnitOfWork

router = APIRouter(responses=ERROR_RESPONSES, tags=["online"])

# A citizen is known only by the code they hold; a new booking's Idempotency-Keys are the
# online pages' own (random per form), kept apart from every staff member's and device's.
CITIZEN = Actor(kind="system", id=None, name="warga (online)", role="citizen",
                ticket_code="online")
Code = Annotated[str, Path(min_length=4, max_length=16, pattern=r"^[A-Za-z0-9]+$",
                           description="the booking's code, as on its page and QR")]


def _person(body: BookingRequest | RemoteTicketRequest) -> online.Person:
    return online.Person(name=body.name, phone=body.phone, nik=body.nik or None)


@router.get("/api/v1/sites/{site}/services/{service}/slots", response_model=SlotsOut)
async def slots(site: SiteCode, service: Annotated[str, Path(max_length=40)],
                day: Annotated[date, Query(description="the service day, YYYY-MM-DD")],
                context: Context) -> SlotsOut:
    """The slots of a day still ahead, with the places each has left (the online quota's
    part counted too)."""
    info = site_of(context, site)
    async with context.db.read() as session:
        return await online.slots_out(session, context.catalog, info, service, day,
                                      context.clock())


@router.post("/api/v1/sites/{site}/bookings", status_code=201, response_model=BookingOut)
async def create_booking(site: SiteCode, body: BookingRequest, request: Request,
                         context: Context, idempotency_key: IdempotencyKey = None) -> Response:
    """Book a slot. 409 `slot_full` when its places are taken, `quota_reached` when the
    online part of the day's quota is, `booking_limit` when this phone or NIK already holds
    the active bookings the hall allows; 422 `invalid_nik` names what is wrong with a NIK."""
    info = site_of(context, site)
    key = context.settings.nik_hash_key()

    async def command(uow: UnitOfWork) -> BookingOut:
        booking = await online.book(uow, info, body.service, body.day, body.slot,
                                    _person(body), key)
        return await online.booking_out(uow.session, uow.catalog, booking)

    return await run_command(request, context, CITIZEN, command, idempotency_key, body,
                             created=True)


@router.post("/api/v1/sites/{site}/remote-tickets", status_code=201, response_model=BookingOut)
async def take_remote_ticket(site: SiteCode, body: RemoteTicketRequest, request: Request,
                             context: Context, idempotency_key: IdempotencyKey = None
                             ) -> Response:
    """Today's number, taken away from the hall: it is called only after check-in at the
    hall; a turn that comes first keeps its place for the hall's grace, then lapses."""
    info = site_of(context, site)
    key = context.settings.nik_hash_key()

    async def command(uow: UnitOfWork) -> BookingOut:
        booking = await online.take_remote(uow, info, body.service, _person(body), key)
        return await online.booking_out(uow.session, uow.catalog, booking)

    return await run_command(request, context, CITIZEN, command, idempotency_key, body,
                             created=True)


@router.get("/api/v1/sites/{site}/bookings", response_model=list[BookingOut])
async def list_bookings(site: SiteCode, context: Context, actor: CurrentActor,
                        day: Annotated[date, Query(description="the service day")],
                        service: Annotated[str | None, Query(max_length=40)] = None
                        ) -> list[BookingOut]:
    """A day's bookings and remote numbers, for staff (an officer: their agency's services),
    in slot order; phone numbers masked."""
    info = site_of(context, site)
    async with context.db.read() as session:
        return await online.bookings_of_day(session, context.catalog, actor, info, day, service)


@router.get("/api/v1/bookings/{code}", response_model=BookingOut)
async def read_booking(code: Code, context: Context) -> BookingOut:
    async with context.db.read() as session:
        return await online.booking_by_code(session, context.catalog, code)


@router.post("/api/v1/bookings/{code}/cancel", response_model=BookingOut)
async def cancel_booking(code: Code, request: Request, context: Context,
                         idempotency_key: IdempotencyKey = None) -> Response:
    """Give the booking up: its slot and quota place go back. Cancelling twice is harmless."""
    async def command(uow: UnitOfWork) -> BookingOut:
        booking = await online.cancel(uow, code)
        return await online.booking_out(uow.session, uow.catalog, booking)

    return await run_command(request, context, replace(CITIZEN, ticket_code=code.upper()),
                             command, idempotency_key)


@router.post("/api/v1/bookings/{code}/reschedule", response_model=BookingOut)
async def reschedule_booking(code: Code, body: RescheduleRequest, request: Request,
                             context: Context, idempotency_key: IdempotencyKey = None
                             ) -> Response:
    """Move the booking to another slot (same code); the old slot's place goes back."""
    async def command(uow: UnitOfWork) -> BookingOut:
        booking = await online.reschedule(uow, code, body.day, body.slot)
        return await online.booking_out(uow.session, uow.catalog, booking)

    return await run_command(request, context, replace(CITIZEN, ticket_code=code.upper()),
                             command, idempotency_key, body)


@router.post("/api/v1/sites/{site}/check-in", response_model=TicketOut, tags=["kiosk"])
async def check_in(site: SiteCode, body: CheckInRequest, request: Request, context: Context,
                   actor: CurrentActor, idempotency_key: IdempotencyKey = None) -> Response:
    """A kiosk or an officer checks a citizen in by the code of a booking or a remote number
    (typed, or the QR's text as scanned). Answers the ticket, in the line now (channel
    `appointment` with `slot_at` for a booking, `web` for a remote number). Refusals: 409
    `too_early` (details `opens_at` HH:MM), `too_late`, `already_checked_in`; 404
    `unknown_booking`."""
    info = site_of(context, site)
    return await run_command(request, context, actor,
                             lambda uow: online.check_in(uow, info, body.code),
                             idempotency_key, body)
