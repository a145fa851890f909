"""The address in a printed ticket's QR code reaches the ticket's page, as a phone would scan it:
the ticket is printed by the kiosk's printer path into the simulator, rendered to PNG, read back
by zbar (an outside decoder) and the URL it holds is fetched."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import KIOSK, ROOT, SMALL_HALL, ServerProcess, free_port, zbar_decode

from common.protocol.models import TicketOut
from hardware.printer import TicketPrinter
from hardware.printer.render import render_png
from kiosk.link import PrinterLink
from server import public_address

pytestmark = pytest.mark.slow
LAN = public_address.lan_address()
needs_lan = pytest.mark.skipif(LAN is None, reason="this computer has no address but loopback")


def _serve(tmp_path: Path, config: Path, port: int, *args: str) -> ServerProcess:
    server = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                           config, port=port, args=list(args))
    server.data_dir.mkdir(parents=True, exist_ok=True)
    server.start()
    return server


def _printed_qr(server: ServerProcess, tmp_path: Path) -> tuple[TicketOut, list[str]]:
    base = server.health_url.removesuffix("/healthz")
    answer = httpx.post(f"{base}/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                        headers=KIOSK, timeout=20)
    assert answer.status_code == 201, answer.text
    ticket = TicketOut.model_validate(answer.json())
    printer = TicketPrinter("sim://")
    PrinterLink(printer, "MPP Uji", "Asia/Jakarta").print(ticket, [])
    png = render_png(printer.device.simulator.tickets[0], tmp_path / "ticket.png")  # type: ignore[attr-defined]
    return ticket, zbar_decode(png)


def _tracking_page_of(url: str, ticket: TicketOut) -> None:
    page = httpx.get(url, timeout=20)
    assert page.status_code == 200
    assert ticket.number in page.text and "text/html" in page.headers["content-type"]


def _port() -> int:
    return 8731 if _free(8731) else free_port()


def _free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


@needs_lan
def test_a_server_started_with_a_port_prints_its_lan_address(tmp_path: Path) -> None:
    port = _port()
    server = _serve(tmp_path, SMALL_HALL, port)  # no address in the hall's file
    try:
        ticket, codes = _printed_qr(server, tmp_path)
        assert codes == [f"http://{LAN}:{port}/t/{ticket.tracking_code}"]
        assert codes == [ticket.tracking_url]
        host = urlsplit(codes[0]).hostname
        assert host is not None and not public_address.is_loopback(host)
        _tracking_page_of(codes[0], ticket)
    finally:
        server.stop()
    said = server.log_path.read_text(encoding="utf-8")
    assert f"Tickets' QR codes lead to http://{LAN}:{port}/t/" in said
    assert "LAN address of this computer" in said and "WARNING" not in said


def _hall_with_address(tmp_path: Path, address: str) -> Path:
    text = SMALL_HALL.read_text(encoding="utf-8")
    config = tmp_path / "hall.toml"
    config.write_text(text.replace('code = "TEST"\n', f'code = "TEST"\npublic_base_url = "{address}"\n', 1),
                      encoding="utf-8")
    return config


@needs_lan
def test_a_configured_address_is_the_one_printed(tmp_path: Path) -> None:
    port = free_port()
    address = f"http://{LAN}:{port}"
    server = _serve(tmp_path, _hall_with_address(tmp_path, address), port, "--host", str(LAN))
    try:
        ticket, codes = _printed_qr(server, tmp_path)
        assert codes == [f"{address}/t/{ticket.tracking_code}"]
        _tracking_page_of(codes[0], ticket)
    finally:
        server.stop()
    said = server.log_path.read_text(encoding="utf-8")
    assert "site.public_base_url in the hall's file" in said and "WARNING" not in said


def test_start_up_warns_loudly_of_a_loopback_or_silent_address(tmp_path: Path) -> None:
    port = free_port()
    server = _serve(tmp_path, SMALL_HALL, port, "--host", "127.0.0.1")
    server.stop()
    said = server.log_path.read_text(encoding="utf-8")
    assert f"Tickets' QR codes lead to http://127.0.0.1:{port}/t/" in said
    assert "WARNING" in said and "loopback address" in said

    dead = free_port()  # nobody answers there
    server = _serve(tmp_path, _hall_with_address(tmp_path, f"http://{LAN or '192.0.2.1'}:{dead}"),
                    free_port())
    try:
        start = time.monotonic()
        while "does not answer" not in server.log_path.read_text(encoding="utf-8"):
            assert time.monotonic() - start < 60, "no warning of the silent address"  # safety net
            time.sleep(0.2)
    finally:
        server.stop()


@pytest.mark.parametrize("address", ["http://127.0.0.1:8000", "http://localhost:8000"])
def test_config_check_warns_of_a_loopback_address(tmp_path: Path, address: str) -> None:
    config = _hall_with_address(tmp_path, address)
    check = subprocess.run([sys.executable, "-m", "common.cli", "config", "check", str(config)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0  # it loads; the warning says what is wrong
    assert "OK" in check.stdout
    assert "WARNING" in check.stderr and "loopback address" in check.stderr
    assert "line 4, site.public_base_url" in check.stderr


def test_config_check_refuses_what_is_no_address(tmp_path: Path) -> None:
    config = _hall_with_address(tmp_path, "antrean.local:8000")
    check = subprocess.run([sys.executable, "-m", "common.cli", "config", "check", str(config)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert check.returncode == 1 and "site.public_base_url" in check.stderr


def test_the_address_rules() -> None:
    assert public_address.warnings("http://127.0.0.1:8000")
    assert public_address.warnings("http://[::1]:8000")
    assert "cannot be resolved" in public_address.warnings("http://antrean.invalid:8000")[0]
    assert public_address.warnings("http://192.168.1.20:8000") == []
    assert public_address.of_server("127.0.0.1", 8731).url == "http://127.0.0.1:8731"
    assert public_address.of_server("10.1.2.3", 80).url == "http://10.1.2.3:80"
    everywhere = public_address.of_server("0.0.0.0", 8731)
    if LAN is not None:
        assert everywhere.url == f"http://{LAN}:8731" and "LAN" in everywhere.source
