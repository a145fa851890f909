"""`antrean kiosk`: the touchscreen kiosk, full screen, or its screens written to PNG files."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "ANTREAN_DEVICE_TOKEN"


def register(subcommands: Any) -> None:
    kiosk = subcommands.add_parser(
        "kiosk", help="run the touchscreen ticket kiosk",
        description="The kiosk where citizens take a numbered ticket. Full screen by default.")
    kiosk.add_argument("--server", required=True, help="the server's address, e.g. http://10.0.0.2:8000")
    kiosk.add_argument("--token", default=os.environ.get(TOKEN_VARIABLE) or None,
                       required=not os.environ.get(TOKEN_VARIABLE),
                       help=f"this kiosk's device token (default: {TOKEN_VARIABLE}, which keeps "
                            "it out of the process list)")
    kiosk.add_argument("--printer", default=None,
                       help="ticket printer URL: usb://VID:PID, tcp://HOST:9100, serial:///dev/ttyUSB0, "
                            "file:///dev/usb/lp0, sim:// (simulated); none: the number shows on screen")
    kiosk.add_argument("--scanner", default=os.environ.get("ANTREAN_SCANNER", "none"),
                       help="the barcode/QR scanner for online check-in: hid (USB keyboard-wedge), "
                            "serial:PORT[?baud=N&suffix=cr|lf|crlf|tab], sim, or none (default: "
                            "ANTREAN_SCANNER, else none; see docs/scanner.md)")
    kiosk.add_argument("--site", default=None, help="site code (default: the server's only site)")
    kiosk.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    kiosk.add_argument("--size", default="1080x1920", help="window size WxH (default 1080x1920)")
    kiosk.add_argument("--screenshot", type=Path, default=None, metavar="DIR",
                       help="write every screen, portrait and landscape, to PNG files in DIR and exit")
    kiosk.set_defaults(run=_run)


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


def _run(args: argparse.Namespace) -> int:
    import httpx

    from common import ui
    from common.client import BackgroundClient

    if args.screenshot is not None:
        ui.use_headless_drivers()
    import pygame

    try:
        sites = httpx.get(args.server.rstrip("/") + "/api/v1/sites", timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        print(f"error: cannot reach the server at {args.server}: {exc}", file=sys.stderr)
        return 1
    site = next((s for s in sites if s["code"] == args.site), None) if args.site else (
        sites[0] if len(sites) == 1 else None)
    if site is None:
        codes = ", ".join(s["code"] for s in sites) or "none"
        print(f"error: name the site with --site (the server has: {codes})", file=sys.stderr)
        return 2

    from kiosk.screens import KioskView

    view = KioskView(site["name"], site["timezone"])
    client = BackgroundClient(args.server, args.token, site=site["code"], topics=["kiosk"])
    client.start()
    try:
        from kiosk.link import ServerLink

        link = ServerLink(client, site["code"])
        if args.screenshot is not None:
            return _screenshots(view, link, args.screenshot)
        return _kiosk(args, view, link, site, pygame)
    finally:
        client.stop()


def _kiosk(args: argparse.Namespace, view: Any, link: Any, site: dict[str, Any], pygame: Any) -> int:
    from common.sd_notify import Notifier
    from kiosk.app import KioskApp
    from kiosk.link import PrinterLink

    printer = None
    if args.printer:
        from hardware.printer import PrinterUrlError, TicketPrinter

        try:
            device = TicketPrinter(args.printer, on_status=_reporter(link))
        except (PrinterUrlError, OSError) as exc:
            print(f"error: printer {args.printer}: {exc}", file=sys.stderr)
            return 2
        printer = PrinterLink(device, site["name"], site["timezone"])
    from hardware.scanner import ScannerSpecError, make_scanner

    try:
        scanner = make_scanner(args.scanner)
    except (ScannerSpecError, OSError) as exc:
        print(f"error: scanner {args.scanner}: {exc}", file=sys.stderr)
        return 2
    pygame.init()
    flags = 0 if args.windowed else pygame.FULLSCREEN
    surface = pygame.display.set_mode(_size(args.size) if args.windowed else (0, 0), flags)
    pygame.display.set_caption(f"Antrean — {site['name']}")
    app = KioskApp(link, printer, view, surface, scanner=scanner)
    notifier = Notifier.from_environment()
    notifier.ready(f"kiosk of {site['code']}")
    try:
        app.run(beat=notifier.beat)
    finally:
        notifier.stopping()
    return 0


def _reporter(link: Any) -> Any:
    def report(status: Any) -> None:
        try:
            link.report_status(status)
        except Exception as exc:  # the kiosk keeps working; staff learn at the next change
            log.warning("could not report the printer's state: %s", exc)

    return report


def _screenshots(view: Any, link: Any, directory: Path) -> int:
    from kiosk.app import sample_ticket, screenshot_states, write_screenshots

    services = link.services()
    if not services:
        print("error: the site has no services to show", file=sys.stderr)
        return 1
    states = screenshot_states(services, link.counters(), sample_ticket(services[0]))
    paths = write_screenshots(view, states, directory, [(1080, 1920), (1920, 1080)],
                              datetime.now(UTC))
    for path in paths:
        print(path)
    return 0
