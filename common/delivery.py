"""The one interface every notification channel offers: ``send(message) -> DeliveryResult``.

A channel (SMS through the hall's GSM modem, a webhook to a WhatsApp or SMS gateway, later web
push) tries to deliver one message now and says what became of it:

- ``sent``: the modem or the gateway took it (``reference``: its message references or id);
- ``retry_later``: not now, for a reason that may pass (no signal, congestion, a gateway's 5xx
  or 429); ``after`` is the soonest worth trying again, in seconds;
- ``failed``: it will not go however often it is tried (a number that does not exist, a SIM
  that needs its PIN, a gateway's 4xx); ``reason`` says why, for staff.

The outbox that drives channels (writes each message in the transaction of its cause, retries,
rate-limits) is a later step; a channel holds no queue of its own. ``send`` blocks (a modem
dialogue, an HTTP request); an asyncio caller runs it in a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

DeliveryStatus = Literal["sent", "retry_later", "failed"]


@dataclass(frozen=True)
class Message:
    """One notification to one citizen.

    ``id`` is unique per message and stays the same when the message is tried again (the
    outbox's key for it), so a gateway can drop a duplicate.
    """

    id: str
    to: str  # a phone number, +62… or 08…
    text: str
    kind: str = ""  # what it is about: "called", "booking_confirmed", … (for gateways)
    language: str = "id"
    data: dict[str, str] = field(default_factory=dict)  # e.g. ticket number, counter


@dataclass(frozen=True)
class DeliveryResult:
    status: DeliveryStatus
    reason: str = ""
    after: float | None = None  # seconds, with retry_later
    reference: str = ""
    attempts: int = 1

    @classmethod
    def sent(cls, reference: str = "", *, attempts: int = 1) -> DeliveryResult:
        return cls("sent", reference=reference, attempts=attempts)

    @classmethod
    def retry_later(cls, reason: str, after: float, *, attempts: int = 1) -> DeliveryResult:
        return cls("retry_later", reason=reason, after=max(0.0, after), attempts=attempts)

    @classmethod
    def failed(cls, reason: str, *, attempts: int = 1) -> DeliveryResult:
        return cls("failed", reason=reason, attempts=attempts)


@runtime_checkable
class Channel(Protocol):
    """A way to reach a citizen; ``name`` is what the hall's configuration calls it."""

    name: str

    def send(self, message: Message) -> DeliveryResult: ...


def backoff_delay(attempt: int, *, initial: float, maximum: float, random: Callable[[], float]) -> float:
    """The wait before try ``attempt + 1`` (``attempt`` from 1): exponential, capped, with
    "full jitter" (uniform between half of it and all of it), so many senders that failed at
    once do not all come back at once."""
    ceiling = min(maximum, initial * 2 ** max(0, attempt - 1))
    return ceiling * (0.5 + 0.5 * random())
