"""The kiosk's way through a citizen's visit, as a pure state machine.

``step(state, event)`` returns the next state and the effects the app must carry out (issue a
ticket, print it, confirm it…). Nothing here draws, prints or talks to the server, so every path
— a jammed printer, a server that went away, a citizen who walked off — is tested directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from common.protocol.models import PriorityReason, ServiceOut, ServiceQueue, TicketOut

Screen = Literal["attract", "agencies", "services", "priority", "issuing", "ticket", "unavailable",
                 "checkin", "checking"]
Language = Literal["id", "en"]
PrintState = Literal["printing", "printed", "failed"]

IDLE_SECONDS = 45.0  # anywhere but the start: back to the start
TICKET_SECONDS = 12.0  # the printed ticket's screen stays this long
ABANDONED_SECONDS = 90.0  # a failed print nobody answers
# The kiosk offers this many services on one number; the hall's own limit (visits.max_stops)
# may be lower, and the server says so in words when it is.
VISIT_MAX_STOPS = 5
PRIORITY_CHOICES: tuple[PriorityReason, ...] = ("elderly", "disability", "pregnant", "child",
                                                "disaster_victim")
CODE_LENGTH = 10  # a booking's code, as its page and QR show it
CODE_KEYS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # the letters codes are made of (no 0/O, 1/I)


# ---------------------------------------------------------------- what happens to the kiosk

@dataclass(frozen=True)
class Touch:
    action: str  # a target's action: "start", "agency:DUKCAPIL", "service:KTP", "back"…
    at: float


@dataclass(frozen=True)
class Tick:
    at: float


@dataclass(frozen=True)
class CatalogLoaded:
    services: tuple[ServiceOut, ...]
    counters: tuple[tuple[str, tuple[int, ...]], ...] = ()  # service code → counter numbers


@dataclass(frozen=True)
class QueuesChanged:
    """The server pushed new waiting counts and estimates."""

    queues: tuple[ServiceQueue, ...]


@dataclass(frozen=True)
class ServerUnreachable:
    detail: str


@dataclass(frozen=True)
class Issued:
    ticket: TicketOut
    at: float


@dataclass(frozen=True)
class IssueRefused:
    message: str  # the server's words, Indonesian
    message_en: str


@dataclass(frozen=True)
class PrintFinished:
    ok: bool
    detail: str
    at: float


@dataclass(frozen=True)
class PrinterChanged:
    ready: bool
    detail: str


@dataclass(frozen=True)
class CodeScanned:
    """A scanner read a code (a booking's QR holds its page's address, ending in the code)."""

    text: str
    at: float


@dataclass(frozen=True)
class CheckedIn:
    ticket: TicketOut
    at: float


@dataclass(frozen=True)
class CheckInRefused:
    code: str  # the server's error code: too_early, too_late, unknown_booking…
    message: str
    message_en: str


Event = (Touch | Tick | CatalogLoaded | QueuesChanged | ServerUnreachable | Issued | IssueRefused
         | PrintFinished | PrinterChanged | CodeScanned | CheckedIn | CheckInRefused)


# ---------------------------------------------------------------- what the app must do

@dataclass(frozen=True)
class IssueTicket:
    service: str
    priority_reason: PriorityReason | None
    idempotency_key: str  # the same key on every retry of this one request
    visit: tuple[str, ...] = ()  # several services on one number: all of them, in order


@dataclass(frozen=True)
class PrintTicket:
    ticket: TicketOut


@dataclass(frozen=True)
class ConfirmTicket:
    ticket_id: int


@dataclass(frozen=True)
class CancelTicket:
    ticket_id: int


@dataclass(frozen=True)
class CheckIn:
    code: str
    idempotency_key: str


Effect = IssueTicket | PrintTicket | ConfirmTicket | CancelTicket | CheckIn


# ---------------------------------------------------------------- the state

@dataclass(frozen=True)
class KioskState:
    screen: Screen = "attract"
    language: Language = "id"
    services: tuple[ServiceOut, ...] = ()
    counters: tuple[tuple[str, tuple[int, ...]], ...] = ()
    agency: str | None = None
    service: str | None = None
    ticket: TicketOut | None = None
    print_state: PrintState | None = None
    confirmed: bool = False
    printer_ready: bool = True
    printer_detail: str = ""
    notice: tuple[str, str] | None = None  # a refusal to show on the services screen
    last_input: float = 0.0
    shown_at: float = 0.0
    online: bool = True
    offline_detail: str = ""
    pending_key: str | None = field(default=None, repr=False)
    typed_code: str = ""  # on the check-in screen's keypad
    checked_in: bool = False  # the ticket on screen came from a booking: already in the line
    basket: tuple[str, ...] = ()  # services chosen before this one, for one visit

    def agencies(self) -> list[tuple[str, list[ServiceOut]]]:
        """Agencies in the catalogue's order, each with its services."""
        grouped: dict[str, list[ServiceOut]] = {}
        for service in self.services:
            grouped.setdefault(service.agency.code, []).append(service)
        return list(grouped.items())

    def counters_for(self, service: str) -> tuple[int, ...]:
        return next((numbers for code, numbers in self.counters if code == service), ())

    def service_info(self) -> ServiceOut | None:
        return next((s for s in self.services if s.code == self.service), None)

    def planned(self) -> list[ServiceOut]:
        """The visit so far: the services chosen before, then the one chosen now."""
        codes = [*self.basket, *([self.service] if self.service else [])]
        by_code = {s.code: s for s in self.services}
        return [by_code[code] for code in codes if code in by_code]

    def may_add(self) -> bool:
        return len(self.basket) + 1 < VISIT_MAX_STOPS


def step(state: KioskState, event: Event) -> tuple[KioskState, Sequence[Effect]]:
    if isinstance(event, Tick):
        return _tick(state, event.at), ()
    if isinstance(event, CatalogLoaded):
        screen = "attract" if state.screen == "unavailable" else state.screen
        return replace(state, services=event.services, counters=event.counters, online=True,
                       offline_detail="", screen=screen), ()
    if isinstance(event, QueuesChanged):
        latest = {q.service: q for q in event.queues}
        services = tuple(
            s.model_copy(update={"waiting": latest[s.code].waiting,
                                 "estimated_wait_minutes": latest[s.code].estimated_wait_minutes})
            if s.code in latest else s
            for s in state.services)
        return replace(state, services=services), ()
    if isinstance(event, ServerUnreachable):
        if state.screen in ("ticket", "issuing", "checking"):  # a citizen holds a number
            return replace(state, online=False, offline_detail=event.detail), ()
        return replace(state, online=False, offline_detail=event.detail, screen="unavailable"), ()
    if isinstance(event, Issued):
        return (replace(state, screen="ticket", ticket=event.ticket, print_state="printing",
                        confirmed=False, shown_at=event.at, pending_key=None),
                (PrintTicket(event.ticket),))
    if isinstance(event, IssueRefused):
        return replace(state, screen="services", notice=(event.message, event.message_en),
                       pending_key=None, basket=()), ()
    if isinstance(event, PrintFinished):
        return _printed(state, event)
    if isinstance(event, PrinterChanged):
        return replace(state, printer_ready=event.ready, printer_detail=event.detail), ()
    if isinstance(event, CodeScanned):
        return scanned(state, event)
    if isinstance(event, CheckedIn):
        return (replace(state, screen="ticket", ticket=event.ticket, print_state="printing",
                        confirmed=True, checked_in=True, shown_at=event.at, pending_key=None,
                        typed_code=""),
                (PrintTicket(event.ticket),))
    if isinstance(event, CheckInRefused):
        return replace(state, screen="checkin", notice=(event.message, event.message_en),
                       pending_key=None, typed_code=""), ()
    return _touch(state, event)


def code_in(text: str) -> str:
    """The code in what a scanner sent: the last part of an address, or the code itself."""
    return text.strip().rstrip("/").rsplit("/", 1)[-1].strip().upper()


def scanned(state: KioskState, event: CodeScanned) -> tuple[KioskState, Sequence[Effect]]:
    """What every scanner calls: a code read on any screen where no citizen is mid-way
    through a number starts the check-in at once."""
    code = code_in(event.text)
    if state.screen in ("issuing", "checking", "ticket", "unavailable") or not code:
        return state, ()
    return _check_in(replace(state, last_input=event.at), code)


def _check_in(state: KioskState, code: str) -> tuple[KioskState, Sequence[Effect]]:
    key = state.pending_key or f"kiosk-checkin-{uuid.uuid4()}"
    return (replace(state, screen="checking", typed_code=code, pending_key=key, notice=None),
            (CheckIn(code, key),))


def _tick(state: KioskState, now: float) -> KioskState:
    if state.screen in ("attract", "unavailable", "issuing", "checking"):
        return state
    if state.screen == "ticket":
        if state.print_state == "printing":
            return state
        if not state.confirmed:
            # The citizen walked off from a failed print: the unconfirmed reservation expires
            # on the server by itself and never reaches a counter.
            if now - max(state.shown_at, state.last_input) >= ABANDONED_SECONDS:
                return _restart(state)
            return state
        if now - max(state.shown_at, state.last_input) >= TICKET_SECONDS:
            return _restart(state)
        return state
    if now - state.last_input >= IDLE_SECONDS:
        return _restart(state)
    return state


def _restart(state: KioskState) -> KioskState:
    return KioskState(services=state.services, counters=state.counters,
                      printer_ready=state.printer_ready,
                      printer_detail=state.printer_detail, online=state.online,
                      offline_detail=state.offline_detail)


def _printed(state: KioskState, event: PrintFinished) -> tuple[KioskState, Sequence[Effect]]:
    if state.ticket is None:
        return state, ()
    if event.ok:
        return (replace(state, print_state="printed", confirmed=True, shown_at=event.at),
                () if state.checked_in else (ConfirmTicket(state.ticket.id),))
    return replace(state, print_state="failed", printer_ready=False,
                   printer_detail=event.detail, shown_at=event.at), ()


def _touch(state: KioskState, touch: Touch) -> tuple[KioskState, Sequence[Effect]]:
    state = replace(state, last_input=touch.at)
    action, _, argument = touch.action.partition(":")
    if action == "language":
        return replace(state, language="en" if state.language == "id" else "id"), ()
    if action == "home":
        return _leave(state)
    if action == "checkin" and state.screen in ("attract", "agencies", "services"):
        return replace(state, screen="checkin", typed_code="", notice=None), ()
    if state.screen == "checkin":
        return _on_keypad(state, action, argument)
    if state.screen == "attract":
        return replace(state, screen="agencies"), ()
    if state.screen == "agencies":
        if action == "agency":
            return replace(state, screen="services", agency=argument, notice=None), ()
        if action == "back":
            return replace(state, screen="attract"), ()
    if state.screen == "services":
        if action == "service":
            info = next((s for s in state.services if s.code == argument), None)
            if info is None or info.closed_reason is not None or argument in state.basket:
                return state, ()  # a greyed tile (it says why on it), or one already chosen
            return replace(state, screen="priority", service=argument, notice=None), ()
        if action == "back":
            return replace(state, screen="agencies", agency=None, notice=None), ()
    if state.screen == "priority":
        if action == "back":
            return replace(state, screen="services", service=None), ()
        if action == "another" and state.service is not None and state.may_add():
            # One more service on the same number: choose it as the first was chosen.
            return replace(state, screen="agencies", agency=None, notice=None, service=None,
                           basket=(*state.basket, state.service)), ()
        if action in ("regular", "priority") and state.service is not None:
            reason: PriorityReason | None = None
            if action == "priority":
                reason = next((r for r in PRIORITY_CHOICES if r == argument), None)
                if reason is None:
                    return state, ()
            key = state.pending_key or f"kiosk-{uuid.uuid4()}"
            visit = (*state.basket, state.service) if state.basket else ()
            first = visit[0] if visit else state.service
            return (replace(state, screen="issuing", pending_key=key),
                    (IssueTicket(first, reason, key, visit),))
    if state.screen == "ticket":
        return _on_ticket(state, action)
    return state, ()


def _on_keypad(state: KioskState, action: str, argument: str
               ) -> tuple[KioskState, Sequence[Effect]]:
    if action == "key" and len(argument) == 1 and argument in CODE_KEYS:
        if len(state.typed_code) >= CODE_LENGTH:
            return state, ()
        return replace(state, typed_code=state.typed_code + argument, notice=None), ()
    if action == "erase":
        return replace(state, typed_code=state.typed_code[:-1]), ()
    if action == "submit" and state.typed_code:
        return _check_in(state, state.typed_code)
    if action == "back":
        return replace(state, screen="attract", typed_code="", notice=None), ()
    return state, ()


def _on_ticket(state: KioskState, action: str) -> tuple[KioskState, Sequence[Effect]]:
    ticket = state.ticket
    if ticket is None:
        return _restart(state), ()
    if state.print_state == "failed":
        if action == "reprint" and state.printer_ready:
            return replace(state, print_state="printing"), (PrintTicket(ticket),)
        if action == "keep" or (state.checked_in and action == "cancel"):
            # The citizen noted the number on screen; a checked-in one is in the line already.
            if state.checked_in:
                return _restart(state), ()
            return replace(state, confirmed=True), (ConfirmTicket(ticket.id),)
        if action == "cancel":
            return _restart(state), (CancelTicket(ticket.id),)
        return state, ()
    if state.confirmed and action in ("done", "back", "screen"):
        return _restart(state), ()
    return state, ()


def _leave(state: KioskState) -> tuple[KioskState, Sequence[Effect]]:
    """'Back to start' from anywhere; a number that was never confirmed is withdrawn."""
    if state.screen == "ticket" and state.ticket is not None and not state.confirmed:
        if state.print_state == "printing":
            return state, ()
        return _restart(state), (CancelTicket(state.ticket.id),)
    if state.screen in ("issuing", "checking"):
        return state, ()
    return _restart(state), ()
