"""The wire models of Antrean online: bookings, remote numbers, slots and check-in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from common.protocol.models import TicketOut, _Model, _Request

BookingCode = Field(min_length=4, max_length=16, pattern=r"^[A-Za-z0-9]+$")


class PersonIn(_Request):
    name: str = Field(min_length=1, max_length=120, description="the citizen's name")
    phone: str = Field(min_length=6, max_length=24, description="a mobile number, 08… or +62…")
    nik: str | None = Field(default=None, max_length=32, description=(
        "the 16-digit NIK, when the service requires it; stored only as a keyed hash"))


class BookingRequest(PersonIn):
    service: str = Field(min_length=1, max_length=40)
    day: date = Field(description="the service day, in the hall's time zone")
    slot: str = Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$", description="the slot's start, HH:MM")


class RemoteTicketRequest(PersonIn):
    service: str = Field(min_length=1, max_length=40)


class RescheduleRequest(_Request):
    day: date
    slot: str = Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$")


class CheckInRequest(_Request):
    code: str = Field(min_length=4, max_length=200, description=(
        "a booking's or remote number's code as typed, or the QR's text (its address: the "
        "code is read from its end)"))


class SlotOut(_Model):
    start: str = Field(description="HH:MM, the hall's local time")
    at: datetime
    free: int


class SlotsOut(_Model):
    service: str
    day: date
    capacity: int
    slots: list[SlotOut]


class BookingOut(_Model):
    code: str
    kind: Literal["slot", "remote"]
    status: Literal["booked", "checked_in", "cancelled", "lapsed"]
    site: str
    site_name: str
    service: str
    service_name: str
    service_name_en: str | None
    agency_name: str
    day: date
    slot: str | None = Field(description="HH:MM local; null for a remote number")
    slot_at: datetime | None
    check_in_from: str | None = Field(description="HH:MM local: the kiosk takes it from then")
    check_in_until: str | None
    name: str = Field(description="as given; empty once erased after the retention days")
    phone_masked: str
    requirements: list[str]
    requirements_en: list[str]
    booking_url: str
    ticket: TicketOut | None = Field(description="the number, once there is one")
