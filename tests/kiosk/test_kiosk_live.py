"""The kiosk, headless, against a real server process and the simulated printer: a citizen
touches their way to a ticket; a jammed printer keeps the number on screen and tells staff."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from common import ui

ui.use_headless_drivers()

import pygame  # noqa: E402
from conftest import ServerProcess  # noqa: E402

from common.client import BackgroundClient  # noqa: E402
from hardware.printer import TicketPrinter  # noqa: E402
from hardware.printer.render import render, render_png  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.link import PrinterLink, ServerLink  # noqa: E402
from kiosk.screens import KioskView  # noqa: E402

pytestmark = pytest.mark.slow



@pytest.fixture
def kiosk(server: ServerProcess) -> Iterator[tuple[KioskApp, TicketPrinter]]:
    pygame.init()
    client = BackgroundClient(server.url, "test-kiosk-token-1", site="TEST", topics=["kiosk"])
    client.start()
    link = ServerLink(client, "TEST")
    printer = TicketPrinter("sim://", on_status=link.report_status)
    app = KioskApp(link, PrinterLink(printer, "MPP Uji", "Asia/Jakarta"),
                   KioskView("MPP Uji"), pygame.Surface((1080, 1920)))
    try:
        yield app, printer
    finally:
        app.stop()
        client.stop()


def settle(app: KioskApp, until: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.frame()
        if until():
            return
        time.sleep(0.02)
    raise AssertionError(f"the kiosk did not get there; it shows {app.state.screen}")


def touch(app: KioskApp, action: str) -> None:
    """Press the middle of the target that does ``action``, as a finger would."""
    target = next(t for t in app.targets if t.action == action)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=target.rect.center))
    app.frame()


def take_a_ticket(app: KioskApp, service: str = "KTP") -> None:
    settle(app, lambda: bool(app.state.services))
    touch(app, "start")
    touch(app, "agency:DUKCAPIL")
    touch(app, f"service:{service}")
    touch(app, "regular")


def test_a_citizen_takes_a_printed_ticket(server: ServerProcess,
                                          kiosk: tuple[KioskApp, TicketPrinter]) -> None:
    app, printer = kiosk
    take_a_ticket(app)
    settle(app, lambda: app.state.confirmed and app.state.print_state == "printed")
    ticket = app.state.ticket
    assert ticket is not None and ticket.number == "A-001"
    assert any(t.action == "done" for t in app.targets)

    tickets = printer.device.simulator.tickets  # type: ignore[attr-defined]
    assert len(tickets) == 1
    page = render(tickets[0])
    printed = "\n".join(page.text_lines)
    assert "A-001" in printed and "KTP-el" in printed
    assert page.qr_codes == [ticket.tracking_url]

    app.idle()
    tracked = httpx.get(f"{server.url}/api/v1/tickets/{ticket.tracking_code}").json()
    assert tracked["status"] == "waiting"  # confirmed after the print: it is in the line

    touch(app, "done")
    assert app.state.screen == "attract"


def test_a_jammed_printer_keeps_the_number_and_tells_staff(
    server: ServerProcess, kiosk: tuple[KioskApp, TicketPrinter]
) -> None:
    app, printer = kiosk
    simulator = printer.device.simulator  # type: ignore[attr-defined]
    simulator.paper = "out"
    take_a_ticket(app)
    settle(app, lambda: app.state.print_state == "failed")
    ticket = app.state.ticket
    assert ticket is not None and simulator.tickets == []
    assert {t.action for t in app.targets} >= {"keep", "cancel"}
    assert "reprint" not in {t.action for t in app.targets}  # not until paper is back

    app.idle()
    with sqlite3.connect(server.data_dir / "antrean.db") as db:
        states = db.execute("SELECT component, state FROM device_status").fetchall()
    assert ("printer", "paper_out") in states
    reserved = httpx.get(f"{server.url}/api/v1/tickets/{ticket.tracking_code}").json()
    assert reserved["status"] == "reserved"  # not in the line until the citizen keeps it

    simulator.paper = "ok"
    app._timers.printer = -1e9  # check the printer on the next frame, as the timer would
    settle(app, lambda: any(t.action == "reprint" for t in app.targets))
    touch(app, "reprint")
    settle(app, lambda: app.state.confirmed)
    assert len(simulator.tickets) == 1 and ticket.number.encode() in simulator.tickets[0]
    app.idle()
    confirmed = httpx.get(f"{server.url}/api/v1/tickets/{ticket.tracking_code}").json()
    assert confirmed["status"] == "waiting"


def test_a_printer_that_never_answers_keeps_the_number_and_tells_staff(
    server: ServerProcess, kiosk: tuple[KioskApp, TicketPrinter]
) -> None:
    app, printer = kiosk
    simulator = printer.device.simulator  # type: ignore[attr-defined]
    simulator.answers_status = False  # switched off behind its serial adapter
    take_a_ticket(app)
    settle(app, lambda: app.state.print_state == "failed")
    ticket = app.state.ticket
    assert ticket is not None and simulator.tickets == []
    assert {t.action for t in app.targets} >= {"keep", "cancel"}
    assert "reprint" not in {t.action for t in app.targets}
    assert "status=off" in app.state.printer_detail

    app.idle()
    with sqlite3.connect(server.data_dir / "antrean.db") as db:
        rows = db.execute("SELECT state, detail FROM device_status WHERE component = 'printer'"
                          ).fetchall()
    assert [state for state, _ in rows] == ["offline"]
    assert "periksa daya, kabel dan baud rate" in rows[0][1]
    reserved = httpx.get(f"{server.url}/api/v1/tickets/{ticket.tracking_code}").json()
    assert reserved["status"] == "reserved"

    touch(app, "keep")  # the citizen noted the number on the screen
    settle(app, lambda: app.state.confirmed)
    app.idle()
    kept = httpx.get(f"{server.url}/api/v1/tickets/{ticket.tracking_code}").json()
    assert kept["status"] == "waiting"


def test_server_gone_shows_unavailable_then_recovers(
    server: ServerProcess, kiosk: tuple[KioskApp, TicketPrinter]
) -> None:
    app, _ = kiosk
    settle(app, lambda: bool(app.state.services))
    server.stop()
    app._timers.catalog = -1e9
    settle(app, lambda: app.state.screen == "unavailable", timeout=60)
    server.start()
    app._timers.catalog = -1e9
    settle(app, lambda: app.state.screen == "attract" and app.state.online, timeout=60)


def test_paper_running_out_mid_ticket_is_reported_for_that_ticket(
    server: ServerProcess, tmp_path: Path
) -> None:
    # The roll ends 60 mm into the ticket, while the printer prints at its speed. The real-time
    # status asked right after sending says "ok"; the kiosk waits for the printer to say the
    # ticket is through, hears "paper out" instead, and the number follows the keep/cancel way.
    pygame.init()
    client = BackgroundClient(server.url, "test-kiosk-token-1", site="TEST", topics=["kiosk"])
    client.start()
    link = ServerLink(client, "TEST")
    printer = TicketPrinter("sim://?roll=60", on_status=link.report_status)
    app = KioskApp(link, PrinterLink(printer, "MPP Uji", "Asia/Jakarta"), KioskView("MPP Uji"),
                   pygame.Surface((1080, 1920)))
    try:
        simulator = printer.device.simulator  # type: ignore[attr-defined]
        take_a_ticket(app)
        settle(app, lambda: app.state.print_state == "failed")
        ticket = app.state.ticket
        assert ticket is not None and simulator.tickets == []
        assert "paper out" in app.state.printer_detail
        half = render(simulator.current)
        assert ticket.number in half.text_lines and half.cuts == 0  # cut short
        render_png(simulator.current, tmp_path / "cut-short.png")
        assert {t.action for t in app.targets} >= {"keep", "cancel"}

        app.idle()
        with sqlite3.connect(server.data_dir / "antrean.db") as db:
            states = db.execute("SELECT component, state FROM device_status").fetchall()
        assert ("printer", "paper_out") in states
        reserved = httpx.get(f"{server.url}/api/v1/tickets/{ticket.tracking_code}").json()
        assert reserved["status"] == "reserved"

        touch(app, "keep")  # the citizen keeps the number shown on the screen
        settle(app, lambda: app.state.confirmed)
        app.idle()
        kept = httpx.get(f"{server.url}/api/v1/tickets/{ticket.tracking_code}").json()
        assert kept["status"] == "waiting"
    finally:
        app.stop()
        client.stop()


def test_a_citizen_takes_one_number_for_two_agencies(server: ServerProcess,
                                                     kiosk: tuple[KioskApp, TicketPrinter]
                                                     ) -> None:
    app, printer = kiosk
    settle(app, lambda: bool(app.state.services))
    for action in ("start", "agency:DUKCAPIL", "service:KTP", "another", "agency:SAMSAT",
                   "service:PKB", "regular"):
        touch(app, action)
    settle(app, lambda: app.state.confirmed and app.state.print_state == "printed")
    ticket = app.state.ticket
    assert ticket is not None and ticket.number == "A-001" and ticket.visit is not None
    printed = [line.strip() for line in render(
        printer.device.simulator.tickets[0]).text_lines]  # type: ignore[attr-defined]
    plan = printed[printed.index("Rencana kunjungan:") + 1:]
    assert plan[0].startswith("1. KTP-el di Dinas Kependudukan")
    assert "- Fotokopi Kartu Keluarga" in plan
    assert "2. Pajak Kendaraan Tahunan di Samsat" in plan
    app.idle()
    tracked = httpx.get(f"{server.url}/api/v1/tickets/{ticket.tracking_code}").json()
    assert tracked["status"] == "waiting" and tracked["service"] == "KTP"
    assert [s["service"] for s in tracked["visit"]["stops"]] == ["KTP", "PKB"]
