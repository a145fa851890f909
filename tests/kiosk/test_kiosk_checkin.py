"""The kiosk's check-in, headless, against a real server process and the simulated printer:
a code typed on the keypad, a QR read by a scanner (``KioskApp.scanned``, what every scanner
driver calls), and a booking that comes too early."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from common import ui

ui.use_headless_drivers()

import pygame  # noqa: E402
from conftest import FIXTURES, ServerProcess, far_from_midnight  # noqa: E402
from test_kiosk_live import settle, touch  # noqa: E402

from common.client import BackgroundClient  # noqa: E402
from hardware.printer import TicketPrinter  # noqa: E402
from hardware.printer.render import render  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.link import PrinterLink, ServerLink  # noqa: E402
from kiosk.screens import KioskView  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def online_server(tmp_path: Path) -> Iterator[ServerProcess]:
    config = far_from_midnight(FIXTURES / "online_hall.toml", tmp_path / "online_hall.toml")
    process = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                            config)
    process.data_dir.mkdir(parents=True, exist_ok=True)
    process.start()
    try:
        yield process
    finally:
        process.stop()


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
