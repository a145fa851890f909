"""The pygame kit the kiosk, the display and the counter client share: fonts, colours, wrapped
text, buttons and hit targets. Drawing is a function of state; nothing here keeps any.

Inside ``with watching_text() as report:`` every text drawn through the kit is noted: where it
went, its type size and its colours, whether it had to be cut (an ellipsis, lines left out) or
shrunk, and whether anything was drawn outside the surface. Tests look at a screen through it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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


AA_CONTRAST = 4.5  # WCAG 2 level AA for ordinary text; we hold large text to it as well


def luminance(color: Color) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Color, b: Color) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink_on(fill: Color) -> Color:
    """Dark or white text, whichever reads better on ``fill``."""
    return INK if contrast(INK, fill) > contrast(WHITE, fill) else WHITE


def readable(fill: Color) -> tuple[Color, Color]:
    """``fill`` and the ink to write on it, the fill darkened (its hue kept) until the pair
    reaches WCAG AA: an agency's mid-tone colour (a teal, an orange) reads badly with either
    dark or white text."""
    ink = ink_on(fill)
    while contrast(ink, fill) < AA_CONTRAST:
        fill = (int(fill[0] * 0.92), int(fill[1] * 0.92), int(fill[2] * 0.92))
        ink = WHITE
    return fill, ink


@dataclass(frozen=True)
class DrawnText:
    text: str
    rect: pygame.Rect
    size: int
    ink: Color
    background: Color
    exempt: bool = False  # the words of a disabled control (WCAG asks no contrast of them)


@dataclass
class TextReport:
    """What the kit drew while watched (see :func:`watching_text`)."""

    drawn: list[DrawnText] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)  # shortened with "…" or lines left out
    shrunk: list[tuple[str, int, int]] = field(default_factory=list)  # text, wanted, used size
    outside: list[tuple[str, pygame.Rect]] = field(default_factory=list)  # beyond the surface

    def low_contrast(self, minimum: float = AA_CONTRAST) -> list[tuple[str, float]]:
        return [(t.text, round(contrast(t.ink, t.background), 2)) for t in self.drawn
                if not t.exempt and contrast(t.ink, t.background) < minimum]

    def overlapping(self, slack: int = 4) -> list[tuple[str, str]]:
        """Texts drawn over each other (beyond ``slack`` pixels each way): one hides the other.
        (A dialog drawn over a screen overlaps it on purpose; ask this of screens without.)"""
        found = []
        boxes = [(t.text, t.rect.inflate(-2 * slack, -2 * slack)) for t in self.drawn]
        for index, (text, box) in enumerate(boxes):
            for other, other_box in boxes[index + 1:]:
                if box.colliderect(other_box):
                    found.append((text, other))
        return found

    def sizes_of(self, text: str) -> list[int]:
        return [t.size for t in self.drawn if t.text == text]


_watching: list[TextReport] = []


@contextmanager
def watching_text() -> Iterator[TextReport]:
    report = TextReport()
    _watching.append(report)
    try:
        yield report
    finally:
        _watching.remove(report)


@contextmanager
def quietly() -> Iterator[None]:
    """Drawing that is only measuring (on a scratch surface): not noted in any report."""
    saved = list(_watching)
    _watching.clear()
    try:
        yield
    finally:
        _watching.extend(saved)


def _note_cut(text: str) -> None:
    for report in _watching:
        report.cut.append(text)


def note_box(surface: pygame.Surface, rect: pygame.Rect, what: str) -> None:
    """A panel, tile or button about to be drawn: noted if it reaches beyond the surface."""
    if _watching and not surface.get_clip().contains(rect):
        for report in _watching:
            report.outside.append((what, pygame.Rect(rect)))


def _rgb(color: pygame.Color) -> Color:
    return (color.r, color.g, color.b)


def _blit_text(surface: pygame.Surface, image: pygame.Surface, rect: pygame.Rect, text: str,
               size: int, ink: Color, *, exempt: bool = False) -> None:
    if _watching and text.strip():
        note_box(surface, rect, text)
        inside = rect.clip(surface.get_clip())
        corners = [(inside.left, inside.top), (inside.right - 1, inside.top),
                   (inside.left, inside.bottom - 1), (inside.right - 1, inside.bottom - 1)]
        colors: list[Color] = [(0, 0, 0)]
        if inside.width and inside.height:
            colors = [_rgb(surface.get_at(corner)) for corner in corners]
        background = max(colors, key=colors.count)
        for report in _watching:
            report.drawn.append(DrawnText(text, pygame.Rect(rect), size, ink, background, exempt))
    surface.blit(image, rect)


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
    _note_cut(text)
    while text and face.size(text + "…")[0] > width:
        text = text[:-1]
    return text + "…"


def fitting_size(text: str, max_width: int, max_size: int, *, bold: bool = False) -> int:
    """The largest type size, up to ``max_size``, at which ``text`` fits ``max_width`` pixels."""
    size = max_size
    while size > 8 and font(size, bold).size(text)[0] > max_width:
        size = int(size * 0.92)
    if size < max_size:
        for report in _watching:
            report.shrunk.append((text, max_size, size))
    return size


def paragraph_size(text: str, rect: pygame.Rect, max_size: int, *, bold: bool = False,
                   max_lines: int | None = None, min_size: int = 8) -> int:
    """The largest type size, up to ``max_size``, at which ``text`` wraps into ``rect`` whole
    (in at most ``max_lines`` lines, no word cut)."""
    size = max_size
    while size > min_size:
        face = font(size, bold)
        lines = wrap_whole(text, face, rect.width)
        if lines is not None and len(lines) * face.get_linesize() <= rect.height and (
                max_lines is None or len(lines) <= max_lines):
            break
        size = max(min_size, int(size * 0.92))
    if size < max_size:
        for report in _watching:
            report.shrunk.append((text, max_size, size))
    return size


def wrap_whole(text: str, face: pygame.font.Font, width: int) -> list[str] | None:
    """The lines of ``text`` at ``width``, or None when a word alone is wider (it would be cut)."""
    if any(face.size(word)[0] > width for word in text.split()):
        return None
    return _wrap_quietly(text, face, width)


def _wrap_quietly(text: str, face: pygame.font.Font, width: int) -> list[str]:
    with quietly():
        return wrap(text, face, width)


def draw_text(surface: pygame.Surface, text: str, size: int, color: Color, pos: tuple[int, int],
              *, bold: bool = False, anchor: str = "topleft", max_width: int | None = None,
              exempt: bool = False) -> pygame.Rect:
    """One line of text; ``exempt`` marks the words of a disabled control (no contrast asked)."""
    face = font(size, bold)
    if max_width is not None:
        text = ellipsize(text, face, max_width)
    image = face.render(text, True, color)
    rect = image.get_rect(**{anchor: pos})
    _blit_text(surface, image, rect, text, size, color, exempt=exempt)
    return rect


def draw_paragraph(surface: pygame.Surface, text: str, size: int, color: Color, rect: pygame.Rect,
                   *, bold: bool = False, center: bool = False, max_lines: int | None = None,
                   exempt: bool = False) -> int:
    """Wrapped text inside ``rect``; returns the y below the last line drawn."""
    face = font(size, bold)
    lines = wrap(text, face, rect.width)
    if max_lines is not None and len(lines) > max_lines:
        _note_cut(text)
        lines = lines[:max_lines]
        lines[-1] = ellipsize(lines[-1] + " …", face, rect.width)
    y = rect.top
    for index, line in enumerate(lines):
        if y + face.get_linesize() > rect.bottom:
            if any(rest.strip() for rest in lines[index:]):
                _note_cut(text)
            break
        image = face.render(line, True, color)
        x = rect.centerx - image.get_width() // 2 if center else rect.left
        _blit_text(surface, image, image.get_rect(topleft=(x, y)), line, size, color,
                   exempt=exempt)
        y += face.get_linesize()
    return y


def draw_fitted(surface: pygame.Surface, text: str, rect: pygame.Rect, max_size: int,
                color: Color, *, bold: bool = False, center: bool = False,
                max_lines: int | None = None, min_size: int = 8, middle: bool = False,
                exempt: bool = False) -> int:
    """Wrapped text inside ``rect`` at the largest size (up to ``max_size``) at which it fits
    whole; ``middle`` centres the lines vertically. Returns the y below the last line."""
    size = paragraph_size(text, rect, max_size, bold=bold, max_lines=max_lines, min_size=min_size)
    top = rect.top
    if middle:
        face = font(size, bold)
        height = len(_wrap_quietly(text, face, rect.width)) * face.get_linesize()
        top = rect.top + max(0, (rect.height - height) // 2)
    area = pygame.Rect(rect.left, top, rect.width, rect.bottom - top)
    return draw_paragraph(surface, text, size, color, area, bold=bold, center=center,
                          max_lines=max_lines, exempt=exempt)


def paragraph_height(text: str, size: int, width: int, *, bold: bool = False) -> int:
    face = font(size, bold)
    return len(_wrap_quietly(text, face, width)) * face.get_linesize()


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
    """A button with its label in up to two lines, the type made smaller if it must be so
    that the whole label fits."""
    note_box(surface, rect, label)
    pygame.draw.rect(surface, fill if enabled else DISABLED, rect, border_radius=18)
    inner = rect.inflate(-24, -8)
    size = paragraph_size(label, inner, size, bold=True, max_lines=2)
    face = font(size, True)
    lines = wrap(label, face, inner.width)
    if len(lines) > 2:
        _note_cut(label)
        lines = lines[:2]
    total = len(lines) * face.get_linesize()
    y = rect.centery - total // 2
    for line in lines:
        image = face.render(line, True, ink)
        _blit_text(surface, image, image.get_rect(topleft=(rect.centerx - image.get_width() // 2, y)),
                   line, size, ink, exempt=not enabled)
        y += face.get_linesize()


def save_screenshot(surface: pygame.Surface, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))
    return path
