"""The contract of notifications: a citizen's subscription of a phone to a ticket, and the
outbox as staff read it (phones masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from common.protocol.models import _Model, _Request


class SubscribeRequest(_Request):
    phone: str = Field(min_length=6, max_length=30,
                       description="an Indonesian mobile number, e.g. 0812 3456 7890 or +62812…")
    language: Literal["id", "en"] = Field(default="id", description="the messages' language")


class SubscriptionOut(_Model):
    ticket_number: str
    phone_masked: str = Field(description="the number as shown back: +62********890")
    language: Literal["id", "en"]
    active: bool = Field(description="false once the citizen opted out")


class OutboxCount(_Model):
    channel: str
    status: Literal["pending", "sent", "failed", "limited", "cancelled"]
    messages: int


class OutboxMessageOut(_Model):
    created_at: datetime
    ticket: str
    kind: str
    channel: str
    to: str = Field(description="masked")
    status: str
    attempts: int
    reason: str


class OutboxOut(_Model):
    since: datetime
    counts: list[OutboxCount]
    recent: list[OutboxMessageOut]
    channel_state: str = Field(description="the modem's state as last reported (ok, error, "
                               "offline), empty for other channels")
    channel_detail: str
