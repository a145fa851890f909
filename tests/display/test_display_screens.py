"""Drawing the display under SDL's dummy drivers: what is redrawn when, and screenshots of the
states people look at (a burst of calls, long service names, a dropped connection)."""

from __future__ import annotations

from pathlib import Path

import pytest
from display_factory import T0, called, counter_state, recalled, serving, snapshot

from common import ui
from display.board import Board
from display.screens import CALLING, SURFACE, DisplayView, Layout

ui.use_headless_drivers()
import pygame  # noqa: E402

LONG = "Legalisasi Dokumen Kependudukan dan Pencatatan Sipil untuk Keperluan Luar Negeri"
LANDSCAPE, PORTRAIT = (1920, 1080), (1080, 1920)


@pytest.fixture(autouse=True)
def _pygame() -> None:
    pygame.init()


def busy_board(running_text: str = "Selamat datang. Siapkan berkas asli.") -> Board:
    board = Board(hold_seconds=6)
    board.apply_snapshot(snapshot(0, running_text=running_text))
    board.set_online(True)
    board.feed([called(1, 1, 1), serving(2, 1, 1), called(3, 2, 3, "PKB"), called(4, 3, 2, "KK"),
                counter_state(5, 3, "paused")], now=0.0)
    board.apply(called(6, 104, 1, name=LONG), now=1.0)
    return board


def panel_color(surface: pygame.Surface, size: tuple[int, int]) -> tuple[int, int, int]:
    layout = Layout.of(size, ticker=True)
    x, y = layout.now.left + layout.unit * 2, layout.now.centery
    return tuple(surface.get_at((x, y)))[:3]  # type: ignore[return-value]


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_a_highlighted_call_then_the_calm_panel(size: tuple[int, int], tmp_path: Path) -> None:
    board = busy_board()
    view = DisplayView()
    surface = pygame.Surface(size)
    view.draw(surface, board, 0.1, T0)
    assert panel_color(surface, size) == CALLING
    ui.save_screenshot(surface, tmp_path / "calling.png")
    for now in (6.0, 12.0, 18.0, 24.0):  # the burst takes its turns, then the panel calms
        board.tick(now)
    view.draw(surface, board, 30.0, T0)
    assert board.now_calling is not None and board.now_calling.number == "A-104"
    assert panel_color(surface, size) == SURFACE
    ui.save_screenshot(surface, tmp_path / "calm.png")


def test_nothing_is_redrawn_while_nothing_changes() -> None:
    board = busy_board(running_text="")  # no ticker: the picture is still
    view = DisplayView()
    surface = pygame.Surface(LANDSCAPE)
    board.tick(100.0)
    board.tick(200.0)
    board.tick(300.0)
    board.tick(400.0)
    assert view.draw(surface, board, 400.0, T0) == [surface.get_rect()]
    assert view.draw(surface, board, 400.2, T0) == []
    assert view.draw(surface, board, 401.0, T0.replace(second=30)) == []
    assert view.next_change(board, 401.0, T0.replace(second=30)) == pytest.approx(30.0)
    layout = Layout.of(LANDSCAPE, ticker=False)
    assert view.draw(surface, board, 402.0, T0.replace(minute=1)) == [layout.header]
    board.set_online(False)
    assert view.draw(surface, board, 403.0, T0.replace(minute=1)) == [layout.header]
    board.apply(recalled(7, 3, 2, "KK"), now=404.0)
    changed = view.draw(surface, board, 404.0, T0.replace(minute=1))
    assert layout.now in changed and layout.recent in changed and layout.header not in changed


def test_the_ticker_alone_moves() -> None:
    board = busy_board()
    board.tick(100.0)
    for now in (100.0, 200.0, 300.0, 400.0):
        board.tick(now)
    view = DisplayView()
    surface = pygame.Surface(LANDSCAPE)
    view.draw(surface, board, 400.0, T0)
    layout = Layout.of(LANDSCAPE, ticker=True)
    assert view.draw(surface, board, 400.1, T0) == [layout.ticker]
    assert view.next_change(board, 400.1, T0) <= 1 / 25


def test_offline_keeps_the_picture_with_a_mark(tmp_path: Path) -> None:
    board = busy_board()
    view = DisplayView()
    surface = pygame.Surface(LANDSCAPE)
    view.draw(surface, board, 0.1, T0)
    before = pygame.image.tobytes(surface.subsurface(Layout.of(LANDSCAPE, True).recent), "RGB")
    board.set_online(False)
    view.draw(surface, board, 0.1, T0)
    after = pygame.image.tobytes(surface.subsurface(Layout.of(LANDSCAPE, True).recent), "RGB")
    assert before == after
    header = Layout.of(LANDSCAPE, True).header
    reds = sum(1 for x in range(header.left, header.right, 8)
               for y in range(header.top, header.bottom, 8)
               if surface.get_at((x, y))[:3] == (220, 38, 38))
    assert reds > 20  # the red "TERPUTUS" pill
    ui.save_screenshot(surface, tmp_path / "offline.png")


def test_long_service_names_stay_inside_the_panel() -> None:
    board = busy_board()
    for now in (6.0, 12.0, 18.0):
        board.tick(now)
    assert board.now_calling is not None and board.now_calling.service_name == LONG
    for size in (LANDSCAPE, PORTRAIT):
        surface = pygame.Surface(size)
        surface.fill((1, 2, 3))
        DisplayView().draw(surface, board, 18.1, T0)
        layout = Layout.of(size, ticker=True)
        # the panel's right margin keeps the highlight colour: no text ran over it
        margin = pygame.Rect(layout.now.right - layout.unit - layout.unit // 2, layout.now.top
                             + layout.unit * 2, 4, layout.now.height - layout.unit * 4)
        colors = {tuple(surface.get_at((margin.left, y)))[:3] for y in
                  range(margin.top, margin.bottom, 4)}
        assert colors == {CALLING}
