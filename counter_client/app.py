"""The counter client's window: pygame input becomes desk presses, the desk is drawn each frame.

The engine (``CounterCore``) does the rest, the same with a window or headless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pygame

from common import ui
from counter_client import desk
from counter_client.core import CounterCore
from counter_client.screens import SHORTCUTS, CounterView

log = logging.getLogger(__name__)

EDIT_KEYS = {
    pygame.K_ESCAPE: "escape", pygame.K_RETURN: "enter", pygame.K_KP_ENTER: "enter",
    pygame.K_UP: "up", pygame.K_DOWN: "down", pygame.K_TAB: "tab", pygame.K_BACKSPACE: "backspace",
}


class CounterWindow:
    def __init__(self, core: CounterCore, view: CounterView, surface: pygame.Surface, *,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.core = core
        self.view = view
        self.surface = surface
        self.wall = wall
        self.targets: list[ui.Target] = []

    def frame(self) -> None:
        """One turn: take what arrived, react to input, redraw."""
        self.core.pump()
        for event in pygame.event.get():
            self.handle(event)
        self.draw()

    def draw(self) -> None:
        self.targets = self.view.draw(self.surface, self.core.desk, self.wall())

    def handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.KEYDOWN:
            name = pygame.key.name(event.key).upper()
            if name in SHORTCUTS:
                self.core.dispatch(desk.Press(SHORTCUTS[name]))
            elif event.key in EDIT_KEYS:
                self.core.dispatch(desk.Press(EDIT_KEYS[event.key]))
        elif event.type == pygame.TEXTINPUT:
            self.core.dispatch(desk.Typed(event.text))
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            action = ui.Target.hit(self.targets, event.pos)
            if action is not None:
                self.core.dispatch(desk.Press(action))

    def run(self, fps: int = 20, beat: Callable[[], None] = lambda: None) -> None:
        """Until the window closes; ``beat`` after every turn (see ``common.sd_notify``)."""
        clock = pygame.time.Clock()
        pygame.key.start_text_input()
        while not pygame.event.peek(pygame.QUIT):
            self.frame()
            pygame.display.flip()
            beat()
            clock.tick(fps)


def write_screenshots(view: CounterView, states: list[tuple[str, desk.Desk]], directory: Path,
                      sizes: list[tuple[int, int]], now: datetime) -> list[Path]:
    """Every state at every size, as ``counter-WxH-NAME.png``."""
    written = []
    for width, height in sizes:
        surface = pygame.Surface((width, height))
        for name, state in states:
            view.draw(surface, state, now)
            written.append(ui.save_screenshot(surface, directory / f"counter-{width}x{height}-{name}.png"))
    return written


def screenshot(core: CounterCore, view: CounterView, size: tuple[int, int], path: Path,
               *, settle: float = 10.0) -> Path:
    """Load the counter, draw it once and save the picture (for ``--screenshot``)."""
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        core.idle(timeout=settle)
        state = core.pump()
        if state.counter_id is not None and state.online and state.login is None:
            break
        if state.login is not None and not state.login.busy:
            break  # nothing to log in with: the login form is the picture
        time.sleep(0.05)
    surface = pygame.Surface(size)
    view.draw(surface, core.desk, datetime.now(UTC))
    return ui.save_screenshot(surface, path)
