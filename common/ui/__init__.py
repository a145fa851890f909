"""The pygame kit the kiosk, the display and the counter client share: fonts, colours, wrapped
text, buttons and hit targets. Drawing is a function of state; nothing here keeps any."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pygame

# The palette is the hall's one design, shared with the browser pages (common.design).
from common.design import ACCENT as ACCENT
from common.design import DANGER as DANGER
from common.design import DISABLED as DISABLED
from common.design import INK as INK
from common.design import LINE as LINE
from common.design import MUTED as MUTED
from common.design import OK as OK
from common.design import PANEL as PANEL
from common.design import PAPER as PAPER
from common.design import WARN as WARN
from common.design import WHITE as WHITE
from common.design import Color as Color


def use_headless_drivers() -> None:
    """For tests and screenshots: no window, no sound card."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def hex_color(value: str, fallback: Color = ACCENT) -> Color:
    text = value.lstrip("#")
    if len(text) != 6:
        return fallback
    try:
        return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
    except ValueError:
        return fallback


def ink_on(fill: Color) -> Color:
    """Dark or white text, whichever reads better on ``fill`` (WCAG relative luminance)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in fill)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return INK if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else WHITE


@cache
def _font_path(bold: bool) -> str | None:
    for name in (("dejavusans-bold", "dejavusansbold") if bold else ("dejavusans",)):
        path = pygame.font.match_font(name)
        if path:
            return str(path)
    for candidate in (Path("/usr/share/fonts/truetype/dejavu") /
                      ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"),):
        if candidate.exists():
            return str(candidate)
    return None  # pygame's own font


@cache
def font(size: int, bold: bool = False) -> pygame.font.Font:
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame.font.Font(_font_path(bold), max(8, size))


def wrap(text: str, face: pygame.font.Font, width: int) -> list[str]:
    """Break text into lines that fit ``width`` pixels; a word too long is cut with an ellipsis."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if face.size(trial)[0] <= width:
                line = trial
                continue
            if line:
                lines.append(line)
            line = word if face.size(word)[0] <= width else ellipsize(word, face, width)
        lines.append(line)
    return lines


def ellipsize(text: str, face: pygame.font.Font, width: int) -> str:
    if face.size(text)[0] <= width:
        return text
    while text and face.size(text + "…")[0] > width:
        text = text[:-1]
    return text + "…"


def fitting_size(text: str, max_width: int, max_size: int, *, bold: bool = False) -> int:
    """The largest type size, up to ``max_size``, at which ``text`` fits ``max_width`` pixels."""
    size = max_size
    while size > 8 and font(size, bold).size(text)[0] > max_width:
        size = int(size * 0.92)
    return size


def draw_text(surface: pygame.Surface, text: str, size: int, color: Color, pos: tuple[int, int],
              *, bold: bool = False, anchor: str = "topleft", max_width: int | None = None
              ) -> pygame.Rect:
    face = font(size, bold)
    if max_width is not None:
        text = ellipsize(text, face, max_width)
    image = face.render(text, True, color)
    rect = image.get_rect(**{anchor: pos})
    surface.blit(image, rect)
    return rect


def draw_paragraph(surface: pygame.Surface, text: str, size: int, color: Color, rect: pygame.Rect,
                   *, bold: bool = False, center: bool = False, max_lines: int | None = None
                   ) -> int:
    """Wrapped text inside ``rect``; returns the y below the last line drawn."""
    face = font(size, bold)
    lines = wrap(text, face, rect.width)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = ellipsize(lines[-1] + " …", face, rect.width)
    y = rect.top
    for line in lines:
        if y + face.get_linesize() > rect.bottom:
            break
        image = face.render(line, True, color)
        x = rect.centerx - image.get_width() // 2 if center else rect.left
        surface.blit(image, (x, y))
        y += face.get_linesize()
    return y


@dataclass(frozen=True)
class Target:
    """A place on screen that does something when touched."""

    rect: pygame.Rect
    action: str

    @staticmethod
    def hit(targets: Sequence[Target], pos: tuple[int, int]) -> str | None:
        for target in reversed(targets):  # the last drawn is on top
            if target.rect.collidepoint(pos):
                return target.action
        return None


def draw_button(surface: pygame.Surface, rect: pygame.Rect, label: str, *, fill: Color = ACCENT,
                ink: Color = WHITE, size: int = 36, enabled: bool = True) -> None:
    pygame.draw.rect(surface, fill if enabled else DISABLED, rect, border_radius=18)
    face = font(size, True)
    lines = wrap(label, face, rect.width - 24)[:2]
    total = len(lines) * face.get_linesize()
    y = rect.centery - total // 2
    for line in lines:
        image = face.render(line, True, ink)
        surface.blit(image, (rect.centerx - image.get_width() // 2, y))
        y += face.get_linesize()


def save_screenshot(surface: pygame.Surface, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))
    return path
