"""`antrean counter`: the officer's desk at one counter, with a window or with a keypad alone."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from common.sd_notify import Notifier

log = logging.getLogger(__name__)


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "counter", help="run a counter: the officer's window, or a keypad and LED alone",
        description="The counter client. The officer logs in once; F1–F10 call, recall, start, "
        "finish, mark absent, transfer, pause/resume, return, call a number, close. "
        "With --headless a call keypad and an LED display run the counter without a screen.")
    parser.add_argument("--server", required=True, help="the server's address, e.g. "
                        "http://192.168.1.10:8000")
    parser.add_argument("--counter", required=True, type=int, metavar="N",
                        help="the counter's number in the hall (Loket N)")
    parser.add_argument("--site", help="the site's code (default: the server's only site)")
    parser.add_argument("--username", default="", help="the officer's username (the window asks "
                        "for the password unless --password-stdin)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the officer's password from the first line of standard input")
    parser.add_argument("--token", default=os.environ.get("ANTREAN_DEVICE_TOKEN") or None,
                        help="a keypad device token bound to this counter: works the "
                        "counter without an officer login (default: ANTREAN_DEVICE_TOKEN, "
                        "kept out of the process list)")
    parser.add_argument("--headless", action="store_true",
                        help="no window: the keypad and the LED display run the counter")
    parser.add_argument("--keypad", metavar="URL", help="the call keypad's serial port or URL "
                        "(e.g. /dev/ttyUSB0, loop://, socket://host:port); its satisfaction "
                        "keys are read from the same bus unless --rating-keypad")
    parser.add_argument("--rating-keypad", metavar="URL",
                        help="the satisfaction keypad's serial port, when on its own line")
    parser.add_argument("--led", metavar="URL", help="the LED counter display's serial port or URL")
    parser.add_argument("--address", type=int, metavar="A", help="this counter's address on the "
                        "device bus (default: the counter's bus_address in the hall; without "
                        "one, keys from any address are taken and the display is at 1)")
    parser.add_argument("--screenshot", type=Path, metavar="FILE",
                        help="draw the counter once into a PNG file and exit")
    parser.add_argument("--size", default="480x720", help="window size WxH (default 480x720; "
                        "640x480 puts the buttons on the right)")
    parser.add_argument("--windowed", action="store_true",
                        help="an ordinary movable window (default: a frameless window along the "
                        "screen's right edge, beside the agency's own application)")
    parser.set_defaults(run=run)


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


def _site(server: str, site: str | None) -> str:
    if site:
        return site
    import httpx

    try:
        sites = httpx.get(server.rstrip("/") + "/api/v1/sites", timeout=10).json()
    except httpx.HTTPError as exc:
        raise SystemExit(f"Cannot reach {server} to find its site ({exc}); pass --site CODE.") from exc
    if len(sites) != 1:
        codes = ", ".join(s["code"] for s in sites)
        raise SystemExit(f"The server has several sites ({codes}); pass --site CODE.")
    return str(sites[0]["code"])


def run(args: argparse.Namespace) -> int:
    from counter_client.core import CounterCore
    from counter_client.link import SharedClientServer

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else ""
    if args.headless and not args.token and not (args.username and password):
        print("--headless needs --token KEYPAD_TOKEN, or --username with --password-stdin",
              file=sys.stderr)
        return 2
    site = _site(args.server, args.site)
    server = SharedClientServer(args.server, site, token=args.token)
    devices = _open_devices(args)
    core = CounterCore(server, args.counter, session="device" if args.token else "none",
                       username=args.username,
                       **{role: devices for role in ("keypad", "rating_keypad", "led")
                          if devices is not None})
    core.start()
    if not args.token and args.username and password:
        core.dispatch_login(args.username, password)
    notifier = Notifier.from_environment()
    try:
        if args.headless:
            return _headless(core, notifier)
        from common import ui

        if args.screenshot is not None:
            ui.use_headless_drivers()
        import pygame

        from counter_client.app import CounterWindow, screenshot
        from counter_client.screens import CounterView

        pygame.init()
        view = CounterView(timezone="Asia/Jakarta")
        size = _size(args.size)
        if args.screenshot is not None:
            path = screenshot(core, view, size, args.screenshot)
            print(path)
            return 0
        flags = 0
        if not args.windowed:  # compact and frameless, along the screen's right edge
            info = pygame.display.Info()
            if info.current_w > size[0]:
                os.environ["SDL_VIDEO_WINDOW_POS"] = f"{info.current_w - size[0]},0"
            flags = pygame.NOFRAME
        surface = pygame.display.set_mode(size, flags)
        pygame.display.set_caption(f"Antrean — Loket {args.counter}")
        notifier.ready(f"counter {args.counter}")
        CounterWindow(core, view, surface).run(beat=notifier.beat)
        return 0
    finally:
        notifier.stopping()
        core.stop()
        server.close()
        if devices is not None:
            devices.stop()


def _headless(core: Any, notifier: Notifier) -> int:
    log.info("counter %s running headless; Ctrl-C to stop", core.counter_number)
    notifier.ready(f"counter {core.counter_number}, headless")
    try:
        while True:
            core.pump()
            notifier.beat()
            time.sleep(0.05)
    except KeyboardInterrupt:
        return 0


def _open_devices(args: argparse.Namespace) -> Any:
    if not (args.keypad or args.led or args.rating_keypad):
        return None
    from counter_client.devices import open_devices

    return open_devices(args.keypad, args.rating_keypad, args.led, args.address)
