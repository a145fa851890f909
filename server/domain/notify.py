"""Which message a citizen is due, from what happened to their ticket: pure rules, no I/O.

A citizen who subscribed a phone to their ticket hears of it at most once per *cause*:

- ``ahead``: when ``N`` or fewer people wait before them (``N`` per service, the hall's
  ``[site.notify] ahead`` and ``ahead_per_service``), once per ticket and line
  (cause ``ticket 42 ahead 7``: a transfer to another line may tell them again);
- ``called``: each call, the first and every recall (cause ``ticket 42 called 1``, ``… 2``),
  "to Loket 5 (Dukcapil)";
- ``no_show``: the ticket lapsed after its call (cause ``ticket 42 no_show``);
- ``finished``: after service, the survey's link (cause ``ticket 42 finished``).

The cause is the outbox's unique key: a command that runs twice (a retry, a second process)
writes the message once, and the sender sends it once. Texts are Indonesian unless the citizen
chose English; the hall's file may replace any default (``[site.notify.texts]``). Each text
stays in the GSM alphabet (no dashes or curly quotes) so that an SMS holds 160 characters.

A phone gets at most ``per_hour`` messages in an hour (``RateLimit``): a number typed in for
someone else's many tickets must not become a flood.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

MessageKind = Literal["subscribed", "ahead", "called", "no_show", "finished"]
Language = Literal["id", "en"]
KINDS: tuple[MessageKind, ...] = ("subscribed", "ahead", "called", "no_show", "finished")

# Placeholders: {number} {service} {site} {ahead} {counter} {counter_name} {agency} {survey}
# {stop}. Kept short: one SMS each with a long agency name.
DEFAULT_TEXTS: Mapping[MessageKind, tuple[str, str]] = {
    "subscribed": (
        "Antrean {number} ({service}) di {site}: kami kabari lewat SMS saat giliran Anda dekat. "
        "Berhenti: {stop}",
        "Queue {number} ({service}) at {site}: we will text you when your turn is near. "
        "Stop: {stop}"),
    "ahead": (
        "Antrean {number}: tinggal {ahead} orang di depan Anda. Silakan menuju {site}.",
        "Queue {number}: {ahead} people ahead of you. Please come to {site}."),
    "called": (
        "Nomor {number} dipanggil ke Loket {counter} ({agency}). Silakan menuju loket.",
        "Number {number} is called to counter {counter} ({agency}). Please go to the counter."),
    "no_show": (
        "Nomor {number} sudah dipanggil tetapi Anda tidak hadir. Hubungi petugas bila masih "
        "di {site}.",
        "Number {number} was called but you did not come. Ask an officer if you are still at "
        "{site}."),
    "finished": (
        "Terima kasih telah dilayani di {site}. Mohon isi survei kepuasan: {survey}",
        "Thank you for visiting {site}. Please answer our satisfaction survey: {survey}"),
}


class TextError(ValueError):
    """A hall's text names a placeholder the rules do not fill."""


PLACEHOLDERS = frozenset(
    {"number", "service", "site", "ahead", "counter", "counter_name", "agency", "survey", "stop"})


def check_text(text: str) -> None:
    """Refuse a text with an unknown ``{placeholder}`` or a stray brace."""
    import string

    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise TextError(f"'{text}': {exc}") from exc
    unknown = names - PLACEHOLDERS
    if unknown:
        raise TextError(f"unknown placeholder(s) {', '.join(sorted(unknown))}; known: "
                        f"{', '.join(sorted(PLACEHOLDERS))}")


@dataclass(frozen=True)
class RateLimit:
    per_hour: int = 10

    def allows(self, sent_at: Sequence[datetime], now: datetime) -> bool:
        """Whether one more message may go to a phone that had these (its last hour's)."""
        since = now - timedelta(hours=1)
        return sum(1 for at in sent_at if at > since) < self.per_hour


@dataclass(frozen=True)
class NotifyRules:
    """The hall's ``[site.notify]`` as the rules need it."""

    ahead: int = 3
    ahead_per_service: Mapping[str, int] = field(default_factory=dict)  # service code → N
    texts: Mapping[str, str] = field(default_factory=dict)  # "called" / "called_en" → template
    rate: RateLimit = field(default_factory=RateLimit)

    def ahead_for(self, service: str) -> int:
        return self.ahead_per_service.get(service, self.ahead)

    def text(self, kind: MessageKind, language: Language, values: Mapping[str, object]) -> str:
        default_id, default_en = DEFAULT_TEXTS[kind]
        if language == "en":
            template = self.texts.get(f"{kind}_en", default_en)
        else:
            template = self.texts.get(kind, default_id)
        return template.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


@dataclass(frozen=True)
class Happening:
    """What became of a subscribed ticket in one command, read from the command's events (or,
    for ``waiting``, its place in its line after the command)."""

    kind: Literal["waiting", "called", "no_show", "finished"]
    ticket_id: int
    number: str
    service: str  # code: the rules' per-service N
    service_id: int
    service_name: str
    call_count: int = 0
    counter: int | None = None
    counter_name: str = ""
    agency: str = ""  # the agency's name as the citizen reads it
    people_ahead: int | None = None


@dataclass(frozen=True)
class Subscription:
    ticket_id: int
    language: Language = "id"
    opted_out: bool = False


@dataclass(frozen=True)
class DueMessage:
    kind: MessageKind
    cause: str
    text: str


def cause_of(kind: MessageKind, happening: Happening) -> str:
    ticket = f"ticket {happening.ticket_id}"
    if kind == "ahead":
        return f"{ticket} ahead {happening.service_id}"
    if kind == "called":
        return f"{ticket} called {happening.call_count}"
    return f"{ticket} {kind}"


def due(happening: Happening, subscription: Subscription, rules: NotifyRules,
        values: Mapping[str, object]) -> DueMessage | None:
    """The message ``happening`` makes due to ``subscription``, if any.

    ``values``: what the text may name beyond the ticket (``site``, ``survey``, ``stop``)."""
    if subscription.opted_out or subscription.ticket_id != happening.ticket_id:
        return None
    kind: MessageKind
    if happening.kind == "waiting":
        if happening.people_ahead is None or happening.people_ahead > rules.ahead_for(
                happening.service):
            return None
        kind = "ahead"
    elif happening.kind == "called":
        kind = "called"
    else:
        kind = happening.kind
    text = rules.text(kind, subscription.language, {
        **values, "number": happening.number, "service": happening.service_name,
        "ahead": happening.people_ahead if happening.people_ahead is not None else "",
        "counter": happening.counter if happening.counter is not None else "",
        "counter_name": happening.counter_name, "agency": happening.agency})
    return DueMessage(kind, cause_of(kind, happening), text)


def subscribed(subscription: Subscription, number: str, service_name: str, rules: NotifyRules,
               values: Mapping[str, object]) -> DueMessage:
    """The confirmation a new subscription gets (it names the opt-out link)."""
    text = rules.text("subscribed", subscription.language,
                      {**values, "number": number, "service": service_name})
    return DueMessage("subscribed", f"ticket {subscription.ticket_id} subscribed", text)


def mask_phone(number: str) -> str:
    """A phone number as staff and logs see it: the country or trunk prefix and the last three
    digits (``+62*******890``)."""
    digits = number.strip()
    head = 3 if digits.startswith("+") else 2
    if len(digits) <= head + 3:
        return "*" * len(digits)
    return digits[:head] + "*" * (len(digits) - head - 3) + digits[-3:]


class PhoneError(ValueError):
    pass


def normalise_phone(text: str) -> str:
    """An Indonesian mobile number as typed (``0812-3456-7890``, ``+62 812…``, ``62812…``) in
    E.164 (``+6281234567890``); other countries' numbers given with ``+`` are kept."""
    cleaned = "".join(ch for ch in text.strip() if ch not in " -.()")
    if cleaned.startswith("+"):
        digits = cleaned[1:]
    elif cleaned.startswith("62"):
        digits = cleaned
    elif cleaned.startswith("08"):
        digits = "62" + cleaned[1:]
    else:
        raise PhoneError(text)
    if not digits.isdigit() or not 9 <= len(digits) <= 15:
        raise PhoneError(text)
    if digits.startswith("62") and not digits.startswith("628"):
        raise PhoneError(text)  # an Indonesian number that is not a mobile one gets no SMS
    return "+" + digits
