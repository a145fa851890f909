"""The kiosk app: a pygame loop around the pure flow, with the server and the printer at its edges.

Talking to the server and printing happen on a worker thread, so a slow network or a jammed
printer never freezes the screen; their outcomes come back as flow events.
"""

from __future__ import annotations

import functools
import logging
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pygame

from common import ui
from common.protocol.models import (
    CounterOut,
    DeviceStatusRequest,
    PriorityReason,
    ServiceOut,
    ServiceQueue,
    TicketOut,
)
from common.worker import Worker
from hardware.scanner.base import ScannerSource
from kiosk import flow
from kiosk.screens import KioskView

log = logging.getLogger(__name__)

CATALOG_SECONDS = 15.0  # counts and waits refresh at least this often
PRINTER_SECONDS = 10.0
ISSUE_ATTEMPTS = 4


class Refused(Exception):
    """The server said no (closed, quota reached…), in words for the citizen."""

    def __init__(self, message: str, message_en: str, code: str = "refused") -> None:
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en
        self.code = code


class Unreachable(Exception):
    """The server could not be reached or did not answer in time."""


class KioskServer(Protocol):
    """What the kiosk asks of the server. Every call may raise Unreachable; issue may Refuse."""

    def services(self) -> list[ServiceOut]: ...

    def counters(self) -> list[CounterOut]: ...

    def issue(self, service: str, priority_reason: PriorityReason | None, key: str,
              visit: tuple[str, ...] = ()) -> TicketOut: ...

    def confirm(self, ticket_id: int) -> None: ...

    def cancel(self, ticket_id: int) -> None: ...

    def check_in(self, code: str, key: str) -> TicketOut: ...  # may Refuse (too_early…)

    def report_status(self, report: DeviceStatusRequest) -> None: ...

    def queue_updates(self) -> list[ServiceQueue]: ...  # pushed counts; never blocks


class KioskPrinter(Protocol):
    """Prints a ticket or raises with the reason; says whether it can print now. Changes of
    its state reach the server on their own (the printer reports them as device.status)."""

    def print(self, ticket: TicketOut, requirements: list[str], *,
              checked_in: bool = False) -> None: ...

    def ready(self) -> tuple[bool, str]: ...  # (can print, what it says)


@dataclass
class _Timers:
    catalog: float = -1e9
    printer: float = -1e9
    scanner: float = -1e9


class KioskApp:
    def __init__(self, server: KioskServer, printer: KioskPrinter | None, view: KioskView,
                 surface: pygame.Surface, *, monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC),
                 scanner: ScannerSource | None = None) -> None:
        """``scanner``: the barcode/QR scanner whose codes check citizens in (see
        ``hardware.scanner``); a keyboard-wedge one is fed the window's key events."""
        self.server = server
        self.printer = printer
        self.scanner = scanner
        self._scanner_ok: bool | None = None
        self.view = view
        self.surface = surface
        self.monotonic = monotonic
        self.wall = wall
        self.state = flow.KioskState()
        self.targets: list[ui.Target] = []
        self._events: queue.Queue[flow.Event] = queue.Queue()
        self._timers = _Timers()
        self._shown: tuple[flow.KioskState, datetime] | None = None
        self._worker = Worker("kiosk-worker")
        self._worker.start()

    # ------------------------------------------------------------ the loop

    def frame(self) -> bool:
        """One turn: take what the worker learnt, react to input, and redraw if anything on
        screen changed (the state, or the clock's minute); says whether it redrew."""
        now = self.monotonic()
        if now - self._timers.catalog >= CATALOG_SECONDS:
            self._timers.catalog = now
            self._submit(self._load_catalog)
        if self.printer is not None and now - self._timers.printer >= PRINTER_SECONDS:
            self._timers.printer = now
            self._submit(self._check_printer)
        if self.scanner is not None and now - self._timers.scanner >= PRINTER_SECONDS:
            self._timers.scanner = now
            self._check_scanner()
        while True:
            try:
                self.dispatch(self._events.get_nowait())
            except queue.Empty:
                break
        queues = self.server.queue_updates()
        if queues:
            self.dispatch(flow.QueuesChanged(tuple(queues)))
        feed = getattr(self.scanner, "feed", None)  # a keyboard wedge reads the key events
        for event in pygame.event.get():
            if feed is not None:
                feed(event)  # its codes come out of poll below, as a serial scanner's do
            self.handle(event)
        if self.scanner is not None:
            for code in self.scanner.poll():
                log.info("scanner read a code of %d characters", len(code))
                self.dispatch(flow.CodeScanned(code, now))
        self.dispatch(flow.Tick(now))
        wall = self.wall()
        shown = (self.state, wall.replace(second=0, microsecond=0))
        if self._shown is not None and shown[0] is self._shown[0] and shown[1] == self._shown[1]:
            return False  # steps that change nothing return the very same state
        self._shown = shown
        self.targets = self.view.draw(self.surface, self.state, wall)
        return True

    def handle(self, event: pygame.event.Event) -> None:
        position: tuple[int, int] | None = None
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            position = event.pos
        elif event.type == pygame.FINGERDOWN:
            width, height = self.surface.get_size()
            position = (int(event.x * width), int(event.y * height))
        if position is None:
            return
        action = ui.Target.hit(self.targets, position)
        if action is not None:
            self.dispatch(flow.Touch(action, self.monotonic()))

    def dispatch(self, event: flow.Event) -> None:
        self.state, effects = flow.step(self.state, event)
        for effect in effects:
            self._submit(functools.partial(self._carry_out, effect))

    def run(self, fps: int = 30, beat: Callable[[], None] = lambda: None) -> None:
        """Until the window closes; ``beat`` after every turn (the service manager's watchdog:
        a loop that stops turning gets the kiosk restarted)."""
        clock = pygame.time.Clock()
        while True:
            if pygame.event.peek(pygame.QUIT):
                break
            if self.frame():
                pygame.display.flip()
            beat()
            clock.tick(fps)
        self.stop()

    def stop(self) -> None:
        self._worker.stop()
        if self.scanner is not None:
            self.scanner.close()

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until the worker has nothing left to do (for tests and screenshots)."""
        return self._worker.idle(timeout)

    # ------------------------------------------------------------ the worker

    def _submit(self, job: Callable[[], None]) -> None:
        self._worker.submit(job)

    def _load_catalog(self) -> None:
        try:
            services = self.server.services()
            counters = self.server.counters()
        except Unreachable as exc:
            log.warning("server unreachable: %s", exc)
            self._events.put(flow.ServerUnreachable(str(exc)))
            return
        self._events.put(catalog_loaded(services, counters))

    def _check_scanner(self) -> None:
        """Staff hear of a scanner that can no longer read (unplugged), and when it is back."""
        assert self.scanner is not None
        status = self.scanner.status()
        if status.ok == self._scanner_ok:
            return
        self._scanner_ok = status.ok
        report = DeviceStatusRequest(component="scanner", state="ok" if status.ok else "offline",
                                     detail=status.text)
        self._submit(lambda: self._retrying(lambda: self.server.report_status(report),
                                            "scanner status"))

    def _check_printer(self) -> None:
        assert self.printer is not None
        ready, detail = self.printer.ready()
        self._events.put(flow.PrinterChanged(ready, detail))

    def _carry_out(self, effect: flow.Effect) -> None:
        if isinstance(effect, flow.IssueTicket):
            self._issue(effect)
        elif isinstance(effect, flow.PrintTicket):
            self._print(effect.ticket)
        elif isinstance(effect, flow.ConfirmTicket):
            self._retrying(lambda: self.server.confirm(effect.ticket_id), "confirm")
        elif isinstance(effect, flow.CancelTicket):
            self._retrying(lambda: self.server.cancel(effect.ticket_id), "cancel")
        elif isinstance(effect, flow.CheckIn):
            self._check_in(effect)

    def scanned(self, text: str) -> None:
        """What a scanner calls with what it read (from its own thread): the code goes to
        the loop like any other event."""
        self._events.put(flow.CodeScanned(text, self.monotonic()))

    def _check_in(self, effect: flow.CheckIn) -> None:
        for attempt in range(ISSUE_ATTEMPTS):
            try:
                ticket = self.server.check_in(effect.code, effect.idempotency_key)
            except Refused as exc:
                self._events.put(flow.CheckInRefused(exc.code, exc.message, exc.message_en))
                return
            except Unreachable as exc:
                log.warning("check-in attempt %d failed: %s", attempt + 1, exc)
                time.sleep(min(4.0, 0.5 * 2**attempt))
                continue
            log.info("checked in %s as %s", effect.code, ticket.number)
            self._events.put(flow.CheckedIn(ticket, self.monotonic()))
            return
        self._events.put(flow.CheckInRefused(
            "unreachable", "Server tidak menjawab. Silakan coba lagi atau hubungi petugas.",
            "The server did not answer. Please try again or ask the staff."))

    def _issue(self, effect: flow.IssueTicket) -> None:
        for attempt in range(ISSUE_ATTEMPTS):
            try:
                ticket = self.server.issue(effect.service, effect.priority_reason,
                                           effect.idempotency_key, effect.visit)
            except Refused as exc:
                self._events.put(flow.IssueRefused(exc.message, exc.message_en))
                return
            except Unreachable as exc:
                log.warning("issue attempt %d failed: %s", attempt + 1, exc)
                time.sleep(min(4.0, 0.5 * 2**attempt))
                continue
            log.info("issued %s for %s", ticket.number, effect.service)
            self._events.put(flow.Issued(ticket, self.monotonic()))
            return
        self._events.put(flow.ServerUnreachable("no answer when issuing"))
        self._events.put(flow.IssueRefused(
            "Server tidak menjawab. Silakan coba lagi atau hubungi petugas.",
            "The server did not answer. Please try again or ask the staff."))

    def _print(self, ticket: TicketOut) -> None:
        if self.printer is None:
            self._events.put(flow.PrintFinished(False, "no printer", self.monotonic()))
            return
        service = next((s for s in self.state.services if s.code == ticket.service), None)
        requirements = list(service.requirements) if service else []
        try:
            self.printer.print(ticket, requirements, checked_in=self.state.checked_in)
        except Exception as exc:  # the printer's own error, whatever its kind
            log.error("ticket %s not printed: %s", ticket.number, exc)
            self._events.put(flow.PrintFinished(False, str(exc), self.monotonic()))
            return
        self._events.put(flow.PrintFinished(True, "", self.monotonic()))

    def _retrying(self, call: Callable[[], None], what: str, attempts: int = 6) -> None:
        for attempt in range(attempts):
            try:
                call()
                return
            except Unreachable as exc:
                log.warning("%s attempt %d failed: %s", what, attempt + 1, exc)
                time.sleep(min(4.0, 0.5 * 2**attempt))
        log.error("gave up on %s; the server's own expiry will tidy up", what)


def catalog_loaded(services: Sequence[ServiceOut], counters: Sequence[CounterOut]
                   ) -> flow.CatalogLoaded:
    by_service: dict[str, list[int]] = {}
    for counter in counters:
        for code in counter.services:
            by_service.setdefault(code, []).append(counter.number)
    return flow.CatalogLoaded(tuple(services),
                              tuple((code, tuple(sorted(n))) for code, n in by_service.items()))


def sample_ticket(service: ServiceOut) -> TicketOut:
    """A ticket to picture the ticket screens with, without issuing one."""
    now = datetime.now(UTC)
    return TicketOut(
        id=0, number=f"{service.prefix}-012", tracking_code="SAMPLE2345",
        tracking_url="http://127.0.0.1:8000/t/SAMPLE2345", site="", service=service.code,
        service_name=service.name, service_name_en=service.name_en, agency=service.agency.code,
        agency_name=service.agency.name, status="waiting", priority=True,
        priority_reason="elderly", channel="kiosk", service_day=now.date(), issued_at=now,
        reserve_expires_at=None, people_ahead=4, estimated_wait_minutes=24, counter_id=None,
        counter_number=None, counter_name=None, call_count=0, called_at=None, started_at=None,
        finished_at=None)


def screenshot_states(services: Sequence[ServiceOut], counters: Sequence[CounterOut],
                      sample: TicketOut) -> list[tuple[str, flow.KioskState]]:
    """Every screen worth looking at, from a real catalogue."""
    base, _ = flow.step(flow.KioskState(), catalog_loaded(services, counters))
    agency = services[0].agency.code if services else None
    service = next((s.code for s in services if s.agency.code == agency), None)
    by_agency = [s.agency.code for s in services]
    fewest = min(by_agency, key=by_agency.count, default=None)  # cards with room to spare
    return [
        ("1-attract", base),
        ("2-agencies", replace(base, screen="agencies")),
        ("3-services", replace(base, screen="services", agency=agency)),
        ("3b-services-few", replace(base, screen="services", agency=fewest)),
        ("4-priority", replace(base, screen="priority", agency=agency, service=service)),
        # A visit: two services chosen before this one, at other agencies when there are any.
        ("4b-visit-plan", replace(base, screen="priority", agency=services[-1].agency.code,
                                  service=services[-1].code, basket=tuple(
                                      s.code for s in _one_per_agency(services)[:2]
                                      if s.code != services[-1].code)) if services else base),
        ("5-ticket", replace(base, screen="ticket", ticket=sample, print_state="printed",
                             confirmed=True)),
        ("6-print-failed", replace(base, screen="ticket", ticket=sample, print_state="failed",
                                   printer_ready=False)),
        ("6b-print-failed-printer-back", replace(base, screen="ticket", ticket=sample,
                                                 print_state="failed", printer_ready=True)),
        ("7-unavailable", replace(base, screen="unavailable", online=False)),
        ("8-english", replace(base, screen="services", agency=agency, language="en")),
        ("9-english-priority", replace(base, screen="priority", agency=agency, service=service,
                                       language="en")),
        ("10-checkin", replace(base, screen="checkin", typed_code="K7Q2")),
        ("10b-checkin-too-early", replace(base, screen="checkin", notice=(
            "Terlalu awal. Silakan check-in lagi pukul 09.30.",
            "Too early. Please check in again at 09:30."))),
        ("10c-checking", replace(base, screen="checking", typed_code="K7Q2MX9PLA")),
        ("10d-booked-ticket", replace(base, screen="ticket", ticket=sample.model_copy(update={
            "channel": "appointment", "priority": False, "priority_reason": None,
            "slot_at": sample.issued_at}), print_state="printed", confirmed=True,
            checked_in=True)),
        ("10e-checkin-english", replace(base, screen="checkin", typed_code="K7Q2",
                                        language="en")),
    ]


def _one_per_agency(services: Sequence[ServiceOut]) -> list[ServiceOut]:
    seen: dict[str, ServiceOut] = {}
    for service in services:
        seen.setdefault(service.agency.code, service)
    return list(seen.values())


def write_screenshots(view: KioskView, states: Sequence[tuple[str, flow.KioskState]],
                      directory: Path, sizes: Sequence[tuple[int, int]], now: datetime
                      ) -> list[Path]:
    written = []
    for width, height in sizes:
        surface = pygame.Surface((width, height))
        tag = "portrait" if height > width else "landscape"
        for name, state in states:
            view.draw(surface, state, now)
            written.append(ui.save_screenshot(surface, directory / f"kiosk-{tag}-{name}.png"))
    return written
