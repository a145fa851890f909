"""The kiosk's check-in, headless, against a real server process and the simulated printer:
a code typed on the keypad; a booking's QR read by a serial scanner (its simulator on a
pseudo-terminal, at the scanner's own speed) and by a USB keyboard-wedge scanner (its keys in
pygame's event queue, a few milliseconds apart); a booking that comes too early."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from common import ui

ui.use_headless_drivers()

import pygame  # noqa: E402
from conftest import FIXTURES, ServerProcess, far_from_midnight, serving  # noqa: E402
from test_kiosk_live import settle, touch  # noqa: E402

from common.client import BackgroundClient  # noqa: E402
from hardware.printer import TicketPrinter  # noqa: E402
from hardware.printer.render import render  # noqa: E402
from hardware.scanner import KeyboardWedge, SerialScanner  # noqa: E402
from hardware.scanner.simulator import (  # noqa: E402
    SerialScannerSimulator,
    play_keystrokes,
    wedge_keystrokes,
)
from kiosk.app import KioskApp  # noqa: E402
from kiosk.link import PrinterLink, ServerLink  # noqa: E402
from kiosk.screens import KioskView  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def online_server(tmp_path: Path) -> Iterator[ServerProcess]:
    config = far_from_midnight(FIXTURES / "online_hall.toml", tmp_path / "online_hall.toml")
    with serving(config, tmp_path) as process:
        yield process


@pytest.fixture
def kiosk(online_server: ServerProcess) -> Iterator[tuple[KioskApp, TicketPrinter]]:
    pygame.init()
    client = BackgroundClient(online_server.url, "test-kiosk-token-1", site="TEST",
                              topics=["kiosk"])
    client.start()
    link = ServerLink(client, "TEST")
    printer = TicketPrinter("sim://", on_status=link.report_status)
    app = KioskApp(link, PrinterLink(printer, "MPP Uji", "UTC"), KioskView("MPP Uji"),
                   pygame.Surface((1080, 1920)))
    try:
        yield app, printer
    finally:
        app.stop()
        client.stop()


def remote_number(server: ServerProcess, n: int) -> dict[str, object]:
    answer = httpx.post(f"{server.url}/api/v1/sites/TEST/remote-tickets", json={
        "service": "KTP", "name": f"Warga {n}", "phone": f"08129999{n:04d}"})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_typed_and_scanned_codes_print_booked_tickets(
        online_server: ServerProcess, kiosk: tuple[KioskApp, TicketPrinter]) -> None:
    app, printer = kiosk
    simulator = printer.device.simulator  # type: ignore[attr-defined]
    settle(app, lambda: bool(app.state.services))
    typed = remote_number(online_server, 1)
    touch(app, "checkin")
    assert app.state.screen == "checkin"
    for letter in str(typed["code"]):
        touch(app, f"key:{letter}")
    touch(app, "submit")
    settle(app, lambda: app.state.print_state == "printed")
    assert app.state.ticket is not None and app.state.checked_in
    printed = "\n".join(render(simulator.tickets[-1]).text_lines)
    assert typed["ticket"]["number"] in printed and "TERDAFTAR ONLINE" in printed  # type: ignore[index]
    app.idle()
    tracked = httpx.get(f"{online_server.url}/api/v1/bookings/{typed['code']}").json()
    assert tracked["status"] == "checked_in" and tracked["ticket"]["status"] == "waiting"
    touch(app, "done")
    assert app.state.screen == "attract"

    scanned = remote_number(online_server, 2)
    app.scanned(str(scanned["booking_url"]) or str(scanned["code"]))  # as a scanner reads the QR
    settle(app, lambda: app.state.print_state == "printed"
           and app.state.ticket is not None
           and app.state.ticket.number == scanned["ticket"]["number"])  # type: ignore[index]
    assert len(simulator.tickets) == 2


def test_a_booking_too_early_is_told_when_to_come_back(
        online_server: ServerProcess, kiosk: tuple[KioskApp, TicketPrinter]) -> None:
    app, printer = kiosk
    settle(app, lambda: bool(app.state.services))
    # Two days on: a later day in the hall's zone too, whatever it is (far_from_midnight)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    slots = httpx.get(f"{online_server.url}/api/v1/sites/TEST/services/KTP/slots",
                      params={"day": str(tomorrow)}).json()
    first = slots["slots"][0]
    booking = httpx.post(f"{online_server.url}/api/v1/sites/TEST/bookings", json={
        "service": "KTP", "day": slots["day"], "slot": first["start"], "name": "Ani",
        "phone": "081277776666"}).json()
    app.scanned(str(booking["code"]))
    settle(app, lambda: app.state.screen == "checkin" and app.state.notice is not None)
    assert app.state.notice is not None and "Silakan datang" in app.state.notice[0]
    assert printer.device.simulator.tickets == []  # type: ignore[attr-defined]
    unknown = "ZZZZZZZZZZ"
    app.scanned(unknown)
    settle(app, lambda: app.state.notice is not None and "tidak ditemukan" in app.state.notice[0])


def _kiosk_with(server: ServerProcess, scanner: object) -> tuple[KioskApp, TicketPrinter,
                                                               BackgroundClient]:
    pygame.init()
    client = BackgroundClient(server.url, "test-kiosk-token-1", site="TEST", topics=["kiosk"])
    client.start()
    link = ServerLink(client, "TEST")
    printer = TicketPrinter("sim://", on_status=link.report_status)
    app = KioskApp(link, PrinterLink(printer, "MPP Uji", "UTC"), KioskView("MPP Uji"),
                   pygame.Surface((1080, 1920)), scanner=scanner)  # type: ignore[arg-type]
    return app, printer, client


def test_a_serial_scanner_checks_a_booking_in(online_server: ServerProcess,
                                              tmp_path: Path) -> None:
    simulator = SerialScannerSimulator(link=tmp_path / "ttyACM0")
    app, printer, client = _kiosk_with(online_server, SerialScanner(simulator.url))
    try:
        settle(app, lambda: bool(app.state.services) and app.scanner is not None
               and app.scanner.status().ok)
        touch(app, "start")  # a citizen half-way through the walk-in screens: a scan wins
        number = remote_number(online_server, 11)
        sent = simulator.scan(str(number["booking_url"]))  # the QR holds the booking's address
        assert sent.finished - sent.started >= 0.9 * len(sent.data) * 10 / 9600  # real speed
        settle(app, lambda: app.state.print_state == "printed")
        assert app.state.ticket is not None
        assert app.state.ticket.number == number["ticket"]["number"]  # type: ignore[index]
        printed = "\n".join(render(printer.device.simulator.tickets[-1]).text_lines)  # type: ignore[attr-defined]
        assert "TERDAFTAR ONLINE" in printed
        simulator.unplug()
        app._timers.scanner = -1e9
        settle(app, lambda: app._scanner_ok is False)  # staff are told
        app.idle()
        with sqlite3.connect(online_server.data_dir / "antrean.db") as db:
            states = db.execute("SELECT component, state FROM device_status").fetchall()
        assert ("scanner", "offline") in states
    finally:
        app.stop()
        client.stop()
        simulator.close()


def test_a_keyboard_wedge_scanner_checks_a_booking_in(online_server: ServerProcess) -> None:
    app, _, client = _kiosk_with(online_server, KeyboardWedge())
    try:
        settle(app, lambda: bool(app.state.services))
        number = remote_number(online_server, 12)
        play_keystrokes(wedge_keystrokes(str(number["code"]), gap_ms=6))
        settle(app, lambda: app.state.print_state == "printed")
        assert app.state.ticket is not None
        assert app.state.ticket.number == number["ticket"]["number"]  # type: ignore[index]
        assert app.state.checked_in
    finally:
        app.stop()
        client.stop()
