"""Events the server pushes over WebSockets: one model per event, versioned, numbered per site.

Every event carries its site's sequence number ``seq``: a client that reconnects with the last
number it saw receives what it missed, or a snapshot first when that is too old.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from common.protocol.models import CounterState, ServiceQueue, TicketStatus

PROTOCOL_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketRef(_Model):
    id: int
    number: str
    service: str
    service_name: str
    service_name_en: str | None
    agency: str
    agency_name: str
    priority: bool
    status: TicketStatus


class CounterRef(_Model):
    id: int
    number: int
    name: str
    agency: str


class _Event(_Model):
    v: Literal[1] = 1  # PROTOCOL_VERSION
    site: str
    seq: int = Field(default=0, description="the site's sequence number, assigned at commit")
    at: datetime


class TicketIssued(_Event):
    type: Literal["ticket.issued"] = "ticket.issued"
    ticket: TicketRef


class TicketCalled(_Event):
    type: Literal["ticket.called"] = "ticket.called"
    ticket: TicketRef
    counter: CounterRef
    announce: str = Field(description="what the hall hears, in Indonesian")
    announce_en: str
    out_of_order: bool = False


class TicketRecalled(_Event):
    type: Literal["ticket.recalled"] = "ticket.recalled"
    ticket: TicketRef
    counter: CounterRef
    announce: str
    announce_en: str
    call_count: int


class TicketServing(_Event):
    type: Literal["ticket.serving"] = "ticket.serving"
    ticket: TicketRef
    counter: CounterRef


class TicketFinished(_Event):
    type: Literal["ticket.finished"] = "ticket.finished"
    ticket: TicketRef
    counter: CounterRef


class TicketNoShow(_Event):
    type: Literal["ticket.no_show"] = "ticket.no_show"
    ticket: TicketRef
    counter: CounterRef


class TicketReturned(_Event):
    type: Literal["ticket.returned"] = "ticket.returned"
    ticket: TicketRef


class TicketTransferred(_Event):
    type: Literal["ticket.transferred"] = "ticket.transferred"
    ticket: TicketRef
    from_service: str
    counter: CounterRef | None


class TicketRouted(_Event):
    """A visit's stop finished and the ticket joined its next stop's line, keeping its number."""

    type: Literal["ticket.routed"] = "ticket.routed"
    ticket: TicketRef = Field(description="at its new service, waiting")
    from_service: str
    counter: CounterRef | None = Field(description="where the stop before finished")
    stop: int = Field(description="the new stop's position, 1 for the first")
    stops: int = Field(description="how many stops the visit has (dropped ones not counted)")


class VisitChanged(_Event):
    """An officer added or dropped a stop, or the visit lapsed after a no-show's grace."""

    type: Literal["visit.changed"] = "visit.changed"
    ticket: TicketRef
    change: Literal["added", "dropped", "lapsed"]
    service: str | None = Field(description="the stop added or dropped")
    services: list[str] = Field(description="the visit's stops now, in order, dropped left out")


class TicketCancelled(_Event):
    type: Literal["ticket.cancelled"] = "ticket.cancelled"
    ticket: TicketRef
    reason: str | None


class CounterStateChanged(_Event):
    type: Literal["counter.state"] = "counter.state"
    counter: CounterRef
    state: CounterState
    pause_reason: str | None
    officer: str | None


class QueueSummary(_Event):
    type: Literal["queue.summary"] = "queue.summary"
    queues: list[ServiceQueue]


class DeviceStatusChanged(_Event):
    type: Literal["device.status"] = "device.status"
    device: str
    kind: Literal["kiosk", "display", "keypad", "modem"]  # modem: the server's SMS modem
    component: str
    state: str
    detail: str


class BookingRef(_Model):
    """A booking or remote number as events name it: never the citizen's name, phone or NIK,
    nor the code (it is the citizen's credential)."""

    id: int
    kind: Literal["slot", "remote"]
    service: str
    agency: str
    service_day: date
    slot_at: datetime | None
    status: Literal["booked", "checked_in", "cancelled", "lapsed"]


class BookingCreated(_Event):
    type: Literal["booking.created"] = "booking.created"
    booking: BookingRef


class BookingCancelled(_Event):
    type: Literal["booking.cancelled"] = "booking.cancelled"
    booking: BookingRef
    rescheduled: bool = Field(default=False, description="moved to another slot, not given up")


class BookingCheckedIn(_Event):
    """A booking or a remote number checked in at the hall: its ticket is in the line now."""

    type: Literal["booking.checked_in"] = "booking.checked_in"
    booking: BookingRef
    ticket: TicketRef
    by: Literal["kiosk", "officer"]


class BookingLapsed(_Event):
    """Not checked in: a booking past its check-in window, a remote number past its grace."""

    type: Literal["booking.lapsed"] = "booking.lapsed"
    booking: BookingRef
    ticket: TicketRef | None = None


Event = Annotated[
    TicketIssued | TicketCalled | TicketRecalled | TicketServing | TicketFinished | TicketNoShow
    | TicketReturned | TicketTransferred | TicketRouted | VisitChanged | TicketCancelled
    | CounterStateChanged | QueueSummary | DeviceStatusChanged | BookingCreated | BookingCancelled
    | BookingCheckedIn | BookingLapsed,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: dict[str, object] | str | bytes) -> Event:
    if isinstance(data, (str, bytes)):
        return EVENT_ADAPTER.validate_json(data)
    return EVENT_ADAPTER.validate_python(data)
