"""How much CPU the TV display spends: idle (with and without a running text) and during a burst
of calls, in process seconds per minute of wall time. Runs the real app loop on SDL's dummy
video driver, fed by a scripted stream (no server, so only the display is measured).

    python bench/display/run.py [--seconds 15] [--size 1920x1080]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "display"))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame
from display_factory import called, snapshot

from common.client import Connection, StreamItem
from display.announcer import LogAnnouncer
from display.app import DisplayApp
from display.board import Board
from display.screens import DisplayView


class ScriptedFeed:
    def __init__(self) -> None:
        self.items: deque[StreamItem] = deque()

    def poll(self, limit: int = 1000) -> list[StreamItem]:
        out = []
        while self.items and len(out) < limit:
            out.append(self.items.popleft())
        return out

    def request_snapshot(self) -> None:
        pass


def phase(app: DisplayApp, feed: ScriptedFeed, seconds: float, calls_per_second: float,
          seq: list[int]) -> tuple[float, int, int]:
    """Run the loop for ``seconds``; returns CPU seconds per minute, frames drawn, calls."""
    frames, cpu, start = app.frames, time.process_time(), time.monotonic()
    calls = 0
    next_call = start
    while (now := time.monotonic()) - start < seconds:
        if calls_per_second and now >= next_call:
            seq[0] += 1
            calls += 1
            feed.items.append(called(seq[0], seq[0], seq[0] % 3 + 1,
                                     "PKB" if seq[0] % 3 == 2 else "KTP"))
            next_call += 1 / calls_per_second
        sleep = app.frame()
        if calls_per_second:
            sleep = min(sleep, max(0.0, next_call - time.monotonic()))
        time.sleep(sleep)
    used = time.process_time() - cpu
    return used * 60 / seconds, app.frames - frames, calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase (default 15)")
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    size = tuple(int(p) for p in args.size.split("x"))
    pygame.init()
    screen = pygame.display.set_mode(size)
    seq = [0]
    results = []
    for name, text, rate in (("idle, no running text", "", 0.0),
                             ("idle, running text", "Selamat datang di Mal Pelayanan Publik. "
                              "Siapkan berkas asli dan tunggu nomor Anda dipanggil.", 0.0),
                             ("burst, 2 calls a second", "Selamat datang.", 2.0)):
        feed = ScriptedFeed()
        feed.items.extend([Connection(True), snapshot(seq[0], running_text=text)])
        app = DisplayApp(feed, Board(), DisplayView(), screen, LogAnnouncer(),
                         present=pygame.display.update)
        app.frame()
        results.append((name, *phase(app, feed, args.seconds, rate, seq)))
    print(f"display {args.size}, {args.seconds:.0f} s per phase, {os.cpu_count()} CPUs")
    print(f"{'phase':<26}{'CPU s/min':>10}{'CPU %':>8}{'frames':>8}{'calls':>7}")
    for name, per_minute, frames, calls in results:
        print(f"{name:<26}{per_minute:>10.2f}{per_minute / 60 * 100:>7.1f}%{frames:>8}{calls:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
