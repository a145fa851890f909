"""The display app: a frame loop around the board, fed by the shared client's stream.

Each turn takes what the stream delivered (snapshots, events, online/offline), lets the board's
time pass, redraws only the regions that changed, then sleeps until the next thing that can
change the picture (the clock's minute, a flash, the ticker) or until it polls the stream again.
With nothing happening and no running text the loop wakes ten times a second and draws nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pygame

from common import ui
from common.client import Connection, StreamItem
from common.protocol.models import Snapshot
from display.announcer import Announcer
from display.board import Board
from display.screens import DisplayView

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # the longest a call waits before the loop sees it
REFRESH_SECONDS = 600.0  # a fresh snapshot this often: the running text, renamed counters
REPLAY_WINDOW_SECONDS = 3.0  # events this soon after a reconnect may be replays of missed ones


class Feed(Protocol):
    """What the display needs of the client: the stream's items, and a fresh snapshot on demand."""

    def poll(self, limit: int = 1000) -> list[StreamItem]: ...

    def request_snapshot(self) -> None: ...


class DisplayApp:
    def __init__(self, feed: Feed, board: Board, view: DisplayView, surface: pygame.Surface,
                 announcer: Announcer, *,
                 present: Callable[[Sequence[pygame.Rect]], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.feed = feed
        self.board = board
        self.view = view
        self.surface = surface
        self.announcer = announcer
        self.present = present or (lambda rects: None)
        self.monotonic = monotonic
        self.wall = wall
        self.frames = 0  # turns that drew something (the bench reads it)
        self._reconnected_at = -1e9
        self._refreshed_at = monotonic()

    def take(self, items: Sequence[StreamItem]) -> None:
        """Apply what the stream delivered, announcing each new call once, in order."""
        now = self.monotonic()
        for item in items:
            if isinstance(item, Connection):
                if item.online != self.board.online:  # the client repeats itself while down
                    log.info("stream %s: %s", "online" if item.online else "offline", item.detail)
                if item.online and not self.board.online:
                    self._reconnected_at = now
                self.board.set_online(item.online)
            elif isinstance(item, Snapshot):
                log.info("snapshot at #%s", item.seq)
                self.board.apply_snapshot(item)
                self.announcer.use_site(item.site)
            else:
                live = now - self._reconnected_at > REPLAY_WINDOW_SECONDS
                for announcement in self.board.apply(item, live=live, now=now, wall=self.wall()):
                    self.announcer.announce(announcement)

    def frame(self) -> float:
        """One turn; returns how long the loop may sleep before the next."""
        self.take(self.feed.poll())
        now = self.monotonic()
        if now - self._refreshed_at >= REFRESH_SECONDS and self.board.online:
            self._refreshed_at = now
            self.feed.request_snapshot()
        self.board.tick(now)
        wall = self.wall()
        dirty = self.view.draw(self.surface, self.board, now, wall)
        if dirty:
            self.frames += 1
            self.present(dirty)
        return min(POLL_SECONDS, self.view.next_change(self.board, self.monotonic(), wall))

    def run(self, stop: Callable[[], bool] = lambda: False,
            beat: Callable[[], None] = lambda: None) -> None:
        """Until the window closes, Escape or Q is pressed, or ``stop()`` says so; ``beat``
        after every turn (the service manager's watchdog: a loop that stops turning gets the
        display restarted)."""
        while not stop():
            sleep = self.frame()
            if _quit_requested():
                break
            beat()
            if sleep > 0:
                time.sleep(sleep)

    def screenshot(self, path: Path) -> Path:
        self.view.draw(self.surface, self.board, self.monotonic(), self.wall())
        return ui.save_screenshot(self.surface, path)


def _quit_requested() -> bool:
    for event in pygame.event.get():
        if event.type == pygame.QUIT:
            return True
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q):
            return True
    return False
