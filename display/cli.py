"""`antrean display`: the TV call display."""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "ANTREAN_DEVICE_TOKEN"


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("write the size as WIDTHxHEIGHT, e.g. 1920x1080") from exc
    if width < 320 or height < 240:
        raise argparse.ArgumentTypeError("the smallest size is 320x240")
    return width, height


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "display", help="run a TV call display",
        description="Show and announce who is called to which counter, full screen. The display "
                    "follows the server's event stream, resumes after a dropped connection and "
                    "marks itself offline while it cannot reach the server.")
    parser.add_argument("--server", required=True, help="the server's address, e.g. "
                        "http://192.168.1.10:8000")
    parser.add_argument("--token", default=os.environ.get(TOKEN_VARIABLE) or None,
                        required=not os.environ.get(TOKEN_VARIABLE),
                        help="this display's device token (antrean device add display NAME "
                        f"prints it; default: {TOKEN_VARIABLE}, kept out of the process list)")
    parser.add_argument("--zone", help="show one zone of the hall (default: the token's zone, "
                        "else the whole hall)")
    parser.add_argument("--agencies", help="comma-separated agency codes this display shows "
                        "(with --zone: the zone's agencies; default: all)")
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument("--size", type=_size, help="screen size WIDTHxHEIGHT, e.g. 1080x1920 "
                        "for a portrait TV (default: the screen's own size)")
    parser.add_argument("--screenshot", type=Path, metavar="FILE",
                        help="connect, wait for the hall's picture, save it as PNG and exit")
    parser.add_argument("--english", action="store_true",
                        help="English labels on screen, and English after a spoken call when no "
                             "other call waits")
    parser.add_argument("--logo", type=Path, help="the hall's logo (PNG) for the header")
    parser.add_argument("--no-sound", action="store_true", help="log announcements instead "
                        "of playing them")
    parser.add_argument("--local-voice", action="store_true",
                        help="say the calls with this computer's espeak-ng (default: the hall "
                             "server's audio, its voice pack or its espeak-ng, as every browser "
                             "display plays it)")
    parser.add_argument("--announce-within", type=float, default=30.0, metavar="SECONDS",
                        help="every call is said within this time of being made, or summed up "
                             "in a notice and left on the screen (default 30; at the hall's "
                             "speaking rate about six calls fit in 30 s of a burst)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from common import ui

    if args.screenshot is not None:
        ui.use_headless_drivers()
    import pygame

    from common.client import BackgroundClient, StreamRefused
    from common.sd_notify import Notifier
    from display.app import DisplayApp
    from display.board import Board
    from display.screens import DisplayView
    from display.sound import make_announcer

    pygame.init()
    pygame.mouse.set_visible(args.windowed)
    agencies = frozenset(a.strip().upper() for a in args.agencies.split(",") if a.strip()) \
        if args.agencies else None
    topics = [f"zone:{args.zone}"] if args.zone else []
    client = BackgroundClient(args.server, args.token, topics=topics)
    logo = pygame.image.load(str(args.logo)) if args.logo else None
    view = DisplayView(english=args.english, logo=logo)
    if args.screenshot is not None:
        surface = pygame.Surface(args.size or (1920, 1080))
        present = None
    else:
        flags = 0 if args.windowed else pygame.FULLSCREEN
        surface = pygame.display.set_mode(args.size or ((1280, 720) if args.windowed else (0, 0)),
                                          flags)
        pygame.display.set_caption("Antrean — display")
        present = pygame.display.update
    announcer = make_announcer(english=args.english, quiet=args.no_sound or
                               args.screenshot is not None, within=args.announce_within,
                               server=None if args.local_voice else args.server, token=args.token)
    app = DisplayApp(client, Board(agencies=agencies), view, surface, announcer, present=present)
    client.start()
    try:
        if args.screenshot is not None:
            deadline = time.monotonic() + 15
            while not app.board.synced and time.monotonic() < deadline:
                app.frame()
                time.sleep(0.05)
            for _ in range(3):  # let the stream's first events land
                app.frame()
                time.sleep(0.1)
            path = app.screenshot(args.screenshot)
            print(f"saved {path}" + ("" if app.board.synced else " (never reached the server)"))
            return 0 if app.board.synced else 1
        notifier = Notifier.from_environment()
        notifier.ready("display" + (f" of zone {args.zone}" if args.zone else ""))
        try:
            app.run(beat=notifier.beat)
        finally:
            notifier.stopping()
        return 0
    except StreamRefused as exc:
        log.error("the server refused this display (%s): check --token and --zone", exc.reason)
        return 2
    finally:
        client.stop()
        announcer.close()
        pygame.quit()
