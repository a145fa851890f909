"""Drawing the TV display: a function of the board, readable from ten metres.

The screen is cut into regions (header, now-calling panel, recent calls, counters, ticker). Each
region has a key made of what it shows; :meth:`DisplayView.draw` redraws only the regions whose
key changed and returns their rectangles, so an idle hall costs almost nothing. Landscape
(1920×1080) and portrait (1080×1920) layouts come from the surface's size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pygame

from common import ui
from common.design import (
    BLINK_SECONDS,
    DISPLAY_COLORS,
    DISPLAY_TEXTS,
    TICKER_PIXELS_PER_SECOND,
    UNITS_PER_SHORT_SIDE,
)
from common.formats import clock_time, long_date
from display.board import Board, Call, CounterBoard

BACKGROUND: ui.Color = DISPLAY_COLORS["background"]
SURFACE: ui.Color = DISPLAY_COLORS["surface"]
SURFACE_LINE: ui.Color = DISPLAY_COLORS["surface_line"]
TEXT: ui.Color = DISPLAY_COLORS["text"]
SOFT: ui.Color = DISPLAY_COLORS["soft"]
NUMBER: ui.Color = DISPLAY_COLORS["number"]
CALLING: ui.Color = DISPLAY_COLORS["calling"]
CALLING_INK: ui.Color = DISPLAY_COLORS["calling_ink"]
OFFLINE: ui.Color = DISPLAY_COLORS["offline"]
TICKER_BG: ui.Color = DISPLAY_COLORS["ticker"]
TICKER_FPS = 30.0
TEXTS = DISPLAY_TEXTS  # the words and colours are the hall's one design (common.design)


def say(key: str, english: bool = False) -> str:
    indonesian, in_english = TEXTS[key]
    return in_english if english else indonesian


def both(key: str, english: bool) -> str:
    """Indonesian, with the English after it when the hall wants both."""
    return f"{say(key)} / {say(key, True)}" if english else say(key)


@dataclass(frozen=True)
class Layout:
    header: pygame.Rect
    now: pygame.Rect
    recent: pygame.Rect
    counters: pygame.Rect
    ticker: pygame.Rect
    unit: int

    @classmethod
    def of(cls, size: tuple[int, int], ticker: bool, counters: int = 8) -> Layout:
        """The regions for a screen of ``size`` showing ``counters`` counter tiles. In portrait
        the tiles get the rows they need (up to 30% of the body) and the recent calls the rest,
        so a zone with few counters lists more calls instead of leaving the space empty."""
        width, height = size
        unit = max(10, min(width, height) // UNITS_PER_SHORT_SIDE)  # 30 px on a 1080-line screen
        header_h = unit * 4
        ticker_h = unit * 3 if ticker else 0
        body = pygame.Rect(0, header_h, width, height - header_h - ticker_h)
        ticker_rect = pygame.Rect(0, height - ticker_h, width, ticker_h)
        if width >= height:
            left_w = body.width * 3 // 5
            now = pygame.Rect(body.left, body.top, left_w, body.height * 64 // 100)
            tiles = pygame.Rect(body.left, now.bottom, left_w, body.bottom - now.bottom)
            recent = pygame.Rect(left_w, body.top, body.width - left_w, body.height)
        else:
            now = pygame.Rect(body.left, body.top, body.width, body.height * 42 // 100)
            columns = max(1, min(max(1, counters), (body.width - unit) // (unit * 5)))
            rows = math.ceil(max(1, counters) / columns)
            tiles_h = max(unit * 4, min(body.height * 30 // 100, rows * unit * 4 + unit))
            recent = pygame.Rect(body.left, now.bottom, body.width,
                                 body.bottom - now.bottom - tiles_h)
            tiles = pygame.Rect(body.left, recent.bottom, body.width, tiles_h)
        return cls(pygame.Rect(0, 0, width, header_h), now, recent, tiles, ticker_rect, unit)


@dataclass
class _Region:
    name: str
    key: Callable[[Board, float, datetime], Hashable]
    draw: Callable[[pygame.Surface, pygame.Rect, Board, float, datetime], None]
    last: Hashable = None


class DisplayView:
    """Draws a board on a surface, region by region, only where something changed."""

    def __init__(self, *, english: bool = False, logo: pygame.Surface | None = None,
                 timezone: str | None = None) -> None:
        self.english = english
        self.logo = logo
        self.timezone = timezone
        self._layout: Layout | None = None
        self._ticker_image: tuple[str, int, pygame.Surface] | None = None
        self._regions = [
            _Region("header", self._header_key, self._draw_header),
            _Region("now", self._now_key, self._draw_now),
            _Region("recent", self._recent_key, self._draw_recent),
            _Region("counters", self._counters_key, self._draw_counters),
            _Region("ticker", self._ticker_key, self._draw_ticker),
        ]

    # ------------------------------------------------------------ public

    def draw(self, surface: pygame.Surface, board: Board, now: float, wall: datetime
             ) -> list[pygame.Rect]:
        """Redraw what changed since the last call; returns the rectangles to put on screen."""
        layout = Layout.of(surface.get_size(), bool(board.hall.running_text.strip()),
                           len(_shown_counters(board)))
        full = layout != self._layout
        if full:
            self._layout = layout
            surface.fill(BACKGROUND)
        local = self._local(board, wall)
        dirty: list[pygame.Rect] = []
        for region in self._regions:
            rect = getattr(layout, region.name)
            if rect.width <= 0 or rect.height <= 0:
                continue
            key = region.key(board, now, local)
            if full or key != region.last:
                region.last = key
                surface.set_clip(rect)
                region.draw(surface, rect, board, now, local)
                surface.set_clip(None)
                dirty.append(rect)
        return [surface.get_rect()] if full else dirty

    def next_change(self, board: Board, now: float, wall: datetime) -> float:
        """Seconds until the picture changes by itself (the clock, a flash, the ticker), if no
        event comes first. The app sleeps this long."""
        wait = 60.0 - self._local(board, wall).second - wall.microsecond / 1e6
        left = board.highlight_left(now)
        if left is not None:
            phase = BLINK_SECONDS - math.fmod(now, BLINK_SECONDS)
            wait = min(wait, left, phase)
        if board.hall.running_text.strip():
            wait = min(wait, 1.0 / TICKER_FPS)
        return max(0.0, wait)

    # ------------------------------------------------------------ helpers

    def _local(self, board: Board, wall: datetime) -> datetime:
        zone = self.timezone or board.hall.timezone or "Asia/Jakarta"
        return wall.astimezone(ZoneInfo(zone))

    @property
    def _u(self) -> int:
        assert self._layout is not None
        return self._layout.unit

    # ------------------------------------------------------------ header

    def _header_key(self, board: Board, now: float, local: datetime) -> Hashable:
        return (board.hall.name, local.date(), local.hour, local.minute, board.online,
                board.synced)

    def _draw_header(self, surface: pygame.Surface, rect: pygame.Rect, board: Board, now: float,
                     local: datetime) -> None:
        u = self._u
        pygame.draw.rect(surface, SURFACE, rect)
        pygame.draw.rect(surface, SURFACE_LINE, (rect.left, rect.bottom - 2, rect.width, 2))
        logo = pygame.Rect(rect.left + u, rect.top + u // 2, rect.height - u, rect.height - u)
        if self.logo is not None:
            image = pygame.transform.smoothscale(self.logo, _fit(self.logo.get_size(), logo.size))
            surface.blit(image, image.get_rect(center=logo.center))
        else:
            pygame.draw.rect(surface, TICKER_BG, logo, border_radius=u // 2)
            initials = "".join(w[0] for w in board.hall.name.split() if w[:1].isupper())[:3]
            ui.draw_text(surface, initials or "MPP", ui.fitting_size(initials or "MPP",
                         logo.width - u // 2, int(u * 1.4), bold=True), TEXT, logo.center,
                         bold=True, anchor="center")
        time_rect = ui.draw_text(surface, clock_time(local), int(u * 2.2), TEXT,
                                 (rect.right - u, rect.centery), bold=True, anchor="midright")
        left = logo.right + u
        right = time_rect.left - u
        if not board.online:
            right = self._offline_mark(surface, rect, right, board.synced)
        # the hall's name, the date under it: both as large as the width left allows
        name = board.hall.name or "Antrean"
        size = max(ui.fitting_size(name, right - left, int(u * 1.4), bold=True), int(u * 0.9))
        ui.draw_text(surface, name, size, TEXT, (left, rect.centery + u // 6), bold=True,
                     anchor="bottomleft", max_width=max(u, right - left))
        ui.draw_text(surface, long_date(local, "id"), int(u * 0.9), SOFT,
                     (left, rect.centery + u // 4), anchor="topleft", max_width=max(u, right - left))

    def _offline_mark(self, surface: pygame.Surface, rect: pygame.Rect, right: int,
                      synced: bool) -> int:
        """A small red pill left of the date; returns the x left of it."""
        u = self._u
        label = say("offline", self.english)
        note = say("offline_note", self.english) if synced else say("waiting_data", self.english)
        face, small = ui.font(int(u * 0.9), True), ui.font(int(u * 0.6))
        width = max(face.size(label)[0], small.size(note)[0]) + u * 2
        pill = pygame.Rect(0, 0, width, rect.height - u)
        pill.midright = (right, rect.centery)
        pygame.draw.rect(surface, OFFLINE, pill, border_radius=u // 2)
        ui.draw_text(surface, label, int(u * 0.9), TEXT, (pill.centerx, pill.top + u // 4),
                     bold=True, anchor="midtop")
        ui.draw_text(surface, note, int(u * 0.6), TEXT, (pill.centerx, pill.bottom - u // 4),
                     anchor="midbottom")
        return pill.left - u

    # ------------------------------------------------------------ now calling

    def _now_key(self, board: Board, now: float, local: datetime) -> Hashable:
        lit = board.highlighted(now)
        phase = int(now / BLINK_SECONDS) % 2 if lit else 0
        return (board.now_calling, lit, phase, len(board.waiting) > 0, board.synced)

    def _draw_now(self, surface: pygame.Surface, rect: pygame.Rect, board: Board, now: float,
                  local: datetime) -> None:
        u = self._u
        surface.fill(BACKGROUND, rect)
        panel = rect.inflate(-u, -u)
        call = board.now_calling
        lit = board.highlighted(now)
        fill, ink, soft = (CALLING, CALLING_INK, CALLING_INK) if lit else (SURFACE, TEXT, SOFT)
        pygame.draw.rect(surface, fill, panel, border_radius=u)
        if lit and int(now / BLINK_SECONDS) % 2 == 0:
            pygame.draw.rect(surface, TEXT, panel, width=max(4, u // 4), border_radius=u)
        inner = panel.inflate(-2 * u, -2 * u)
        if call is None:
            text = say("none_yet", self.english) if board.synced else \
                say("waiting_data", self.english)
            ui.draw_text(surface, text, int(u * 1.6), soft, inner.center, anchor="center",
                         max_width=inner.width)
            return
        title = both("recall" if call.recall else "calling", self.english)
        ui.draw_text(surface, title, int(u * 1.3), ink, (inner.centerx, inner.top), bold=True,
                     anchor="midtop", max_width=inner.width)
        # number and counter share the middle; each as large as the space allows
        block = pygame.Rect(inner.left, inner.top + int(u * 2), inner.width,
                            inner.height - int(u * 5.6))
        number_size = min(ui.fitting_size(call.number, block.width, u * 12, bold=True),
                          int(block.height * 0.56 / 0.93))
        number_color = CALLING_INK if lit else NUMBER
        number_rect = ui.draw_text(surface, call.number, number_size, number_color,
                                   (block.centerx, block.top), bold=True, anchor="midtop")
        counter_text = f"{say('counter', self.english)} {call.counter_number}"
        # (a line of type is about 1.18 times its size tall: keep it off the service's name)
        counter_size = min(ui.fitting_size(counter_text, block.width, u * 6, bold=True),
                           max(u, int((block.bottom - number_rect.bottom) / 1.18)))
        ui.draw_text(surface, counter_text, counter_size, ink,
                     (block.centerx, number_rect.bottom), bold=True, anchor="midtop")
        service = f"{call.agency_name} · {call.service(self.language)}"
        ui.draw_paragraph(surface, service, int(u * 1.25), soft,
                          pygame.Rect(inner.left, inner.bottom - int(u * 3.4), inner.width,
                                      int(u * 3.4)), center=True, max_lines=2)

    @property
    def language(self) -> str:
        return "en" if self.english else "id"

    # ------------------------------------------------------------ recent calls

    def _recent_key(self, board: Board, now: float, local: datetime) -> Hashable:
        return tuple(board.recent), _at_counters(board)

    def _draw_recent(self, surface: pygame.Surface, rect: pygame.Rect, board: Board, now: float,
                     local: datetime) -> None:
        u = self._u
        surface.fill(BACKGROUND, rect)
        area = rect.inflate(-u, -u)
        ui.draw_text(surface, both("recent", self.english), int(u * 1.2), SOFT, area.topleft,
                     bold=True, max_width=area.width)
        top = area.top + int(u * 2)
        # rows as tall as 3.6 units, a little lower (down to 3.2, still read from afar) when
        # more calls wait to be listed
        calls = max(1, len(board.recent))
        row_h = max(int(u * 3.2), min(int(u * 3.6), (area.bottom - top) // calls))
        rows = max(0, (area.bottom - top) // row_h)
        current = _at_counters(board)
        for index, call in enumerate(board.recent[:rows]):
            row = pygame.Rect(area.left, top + index * row_h, area.width, row_h - u // 3)
            self._draw_call_row(surface, row, call, done=call.ticket_id not in current)

    def _draw_call_row(self, surface: pygame.Surface, row: pygame.Rect, call: Call, *,
                       done: bool) -> None:
        """A call; dimmed once its ticket has left the counter (served, moved, not present)."""
        u = self._u
        pygame.draw.rect(surface, SURFACE, row, border_radius=u // 2)
        number_w = row.width * 38 // 100
        number_color = SOFT if done else NUMBER
        # the type follows the row's height: 3.6 units when there is room, less when many
        # calls share the column; the service's name stays inside its own row
        scale = row.height / (u * 3.6)
        size = ui.fitting_size(call.number, number_w - u, int(u * 2.2 * scale), bold=True)
        ui.draw_text(surface, call.number, size, number_color, (row.left + u // 2, row.centery),
                     bold=True, anchor="midleft")
        counter_text = f"{say('counter', self.english).title()} {call.counter_number}"
        right = ui.draw_text(surface, counter_text, int(u * 1.5 * scale), SOFT if done else TEXT,
                             (row.right - u // 2, row.top + int(u * 0.2 * scale)), bold=True,
                             anchor="topright")
        label = call.service(self.language)
        room = pygame.Rect(row.left + number_w, right.bottom - u // 6,
                           row.width - number_w - u // 2, row.bottom - right.bottom + u // 6)
        size = min(ui.fitting_size(label, room.width, int(u * 0.85)),
                   ui.paragraph_size(label, room, int(u * 0.85), min_size=int(u * 0.45)))
        if ui.font(size).size(label)[0] <= room.width and size >= int(u * 0.5):
            ui.draw_text(surface, label, size, SOFT, room.topright, anchor="topright")
        else:  # a long name on two smaller lines rather than cut
            ui.draw_fitted(surface, label, room, int(u * 0.7), SOFT, max_lines=2,
                           min_size=int(u * 0.4))

    # ------------------------------------------------------------ counters

    def _counters_key(self, board: Board, now: float, local: datetime) -> Hashable:
        return tuple(sorted((c.number, c.state, c.call.number if c.call else None)
                            for c in board.counters.values()))

    def _draw_counters(self, surface: pygame.Surface, rect: pygame.Rect, board: Board,
                       now: float, local: datetime) -> None:
        u = self._u
        surface.fill(BACKGROUND, rect)
        area = rect.inflate(-u, -u)
        shown = _shown_counters(board)
        if not shown:
            return
        # as many columns as keep tiles at least 5 units wide, rows as the height allows
        columns = max(1, min(len(shown), area.width // (u * 5)))
        rows = math.ceil(len(shown) / columns)
        max_rows = max(1, area.height // (u * 3))
        while rows > max_rows and columns < len(shown):
            columns += 1
            rows = math.ceil(len(shown) / columns)
        gap = u // 3
        tile_w = (area.width - gap * (columns - 1)) // columns
        tile_h = min(u * 5, (area.height - gap * (rows - 1)) // rows)
        # one size for every tile's number, the size at which the widest one fits: a BB-001
        # is as large as an A-001 beside it
        head = max(8, min(int(u * 0.9), tile_h // 3))
        room = tile_h - head - u // 2
        tiles = shown[: columns * rows]
        head = min([head] + [ui.fitting_size(self._tile_label(c), tile_w - u // 2, head)
                             for c in tiles])
        size = min([ui.fitting_size(self._tile_text(c)[0], tile_w - u, int(u * 1.8), bold=True)
                    for c in tiles] + [room])
        for index, counter in enumerate(tiles):
            row, column = divmod(index, columns)
            tile = pygame.Rect(area.left + column * (tile_w + gap),
                               area.top + row * (tile_h + gap), tile_w, tile_h)
            self._draw_counter_tile(surface, tile, counter, head, size)

    def _tile_label(self, counter: CounterBoard) -> str:
        return f"{say('counter', self.english).title()} {counter.number}"

    def _tile_text(self, counter: CounterBoard) -> tuple[str, ui.Color]:
        if counter.state == "paused":
            return say("paused", self.english), SOFT
        if counter.call is not None:
            return counter.call.number, NUMBER
        return "—", SOFT

    def _draw_counter_tile(self, surface: pygame.Surface, tile: pygame.Rect,
                           counter: CounterBoard, head: int, size: int) -> None:
        u = self._u
        pygame.draw.rect(surface, SURFACE, tile, border_radius=u // 3)
        stripe = pygame.Rect(tile.left, tile.top, max(4, u // 4), tile.height)
        pygame.draw.rect(surface, ui.hex_color(counter.color, TICKER_BG), stripe)
        ui.draw_text(surface, self._tile_label(counter), head, SOFT,
                     (tile.centerx, tile.top + u // 6), anchor="midtop")
        text, color = self._tile_text(counter)
        ui.draw_text(surface, text, size, color, (tile.centerx, tile.bottom - u // 6),
                     bold=True, anchor="midbottom")

    # ------------------------------------------------------------ ticker

    def _ticker_key(self, board: Board, now: float, local: datetime) -> Hashable:
        return (board.hall.running_text, int(now * TICKER_PIXELS_PER_SECOND))

    def _draw_ticker(self, surface: pygame.Surface, rect: pygame.Rect, board: Board, now: float,
                     local: datetime) -> None:
        u = self._u
        surface.fill(TICKER_BG, rect)
        text = " ".join(board.hall.running_text.split())
        size = int(u * 1.3)
        if self._ticker_image is None or self._ticker_image[:2] != (text, size):
            image = ui.font(size, True).render(text + "   •   ", True, TEXT)
            self._ticker_image = (text, size, image)
        image = self._ticker_image[2]
        span = image.get_width()
        offset = int(now * TICKER_PIXELS_PER_SECOND) % span
        x = rect.left - offset
        y = rect.centery - image.get_height() // 2
        while x < rect.right:
            surface.blit(image, (x, y))
            x += span


def _shown_counters(board: Board) -> list[CounterBoard]:
    """The counters with a tile: open or paused, in number order."""
    return [c for c in sorted(board.counters.values(), key=lambda c: c.number)
            if c.state != "closed"]


def _at_counters(board: Board) -> frozenset[int]:
    """The tickets now at a counter."""
    return frozenset(c.call.ticket_id for c in board.counters.values() if c.call is not None)


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / max(1, size[0]), box[1] / max(1, size[1]))
    return max(1, int(size[0] * scale)), max(1, int(size[1] * scale))
