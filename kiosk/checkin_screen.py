"""The kiosk's check-in screen: "Sudah daftar online?".

The citizen scans the QR on their phone (the scanner's reading arrives as ``CodeScanned``, on
whatever screen is showing) or types the code on the keypad here: large keys of the letters
codes are made of only, so 0/O and 1/I cannot be confused. A refusal (too early: come back at
HH.MM; too late: take a walk-in number) stays on this screen in words, above the keypad.
"""

from __future__ import annotations

import pygame

from common import ui
from kiosk.flow import CODE_KEYS, CODE_LENGTH, KioskState
from kiosk.texts import say

KEY_COLUMNS = 8


def draw_checkin(surface: pygame.Surface, body: pygame.Rect, state: KioskState, u: int
                 ) -> list[ui.Target]:
    language = state.language
    y = ui.draw_paragraph(surface, say("checkin_title", language), int(u * 1.6), ui.INK,
                          pygame.Rect(body.left, body.top, body.width, u * 4), bold=True)
    y = ui.draw_paragraph(surface, say("checkin_help", language), int(u * 1.05), ui.MUTED,
                          pygame.Rect(body.left, y + u // 3, body.width, u * 4))
    if state.notice:
        words = state.notice[1] if language == "en" else state.notice[0]
        height = ui.paragraph_height(words, int(u * 1.1), body.width - 2 * u, bold=True) + u
        notice = pygame.Rect(body.left, y + u // 2, body.width, height)
        ui.note_box(surface, notice, "checkin-notice")
        pygame.draw.rect(surface, ui.DANGER, notice, border_radius=u // 2)
        ui.draw_paragraph(surface, words, int(u * 1.1), ui.WHITE, notice.inflate(-2 * u, -u),
                          bold=True, center=True)
        y = notice.bottom
    # The code typed so far, one box per letter, in a monospaced look.
    field = pygame.Rect(body.left, y + u, body.width, u * 4)
    pygame.draw.rect(surface, ui.PANEL, field, border_radius=u // 2)
    pygame.draw.rect(surface, ui.ACCENT, field, width=max(2, u // 8), border_radius=u // 2)
    cell = min(u * 3, (field.width - u) // CODE_LENGTH)
    start = field.centerx - cell * CODE_LENGTH // 2
    for index in range(CODE_LENGTH):
        box = pygame.Rect(start + index * cell, field.top + u // 2, cell - u // 4, field.height - u)
        pygame.draw.line(surface, ui.MUTED, box.bottomleft, box.bottomright, max(2, u // 10))
        if index < len(state.typed_code):
            ui.draw_text(surface, state.typed_code[index], int(u * 2), ui.INK, box.center,
                         bold=True, anchor="center")
    # The keypad: the code's letters, then erase and check in.
    back = pygame.Rect(body.left, body.bottom - u * 3, u * 10, u * 3)
    pad = pygame.Rect(body.left, field.bottom + u, body.width, back.top - field.bottom - 2 * u)
    columns = KEY_COLUMNS if body.height > body.width else 11
    rows = -(-len(CODE_KEYS) // columns) + 1
    gap = u // 3
    key_w = (pad.width - gap * (columns - 1)) // columns
    key_h = min(int(u * 3.6), (pad.height - gap * (rows - 1)) // rows)
    targets = []
    for index, letter in enumerate(CODE_KEYS):
        row, column = divmod(index, columns)
        rect = pygame.Rect(pad.left + column * (key_w + gap), pad.top + row * (key_h + gap),
                           key_w, key_h)
        ui.draw_button(surface, rect, letter, fill=ui.PANEL, ink=ui.INK, size=int(u * 1.5))
        pygame.draw.rect(surface, ui.MUTED, rect, width=max(1, u // 12), border_radius=18)
        targets.append(ui.Target(rect, f"key:{letter}"))
    last_row = -(-len(CODE_KEYS) // columns)
    bottom = pad.top + last_row * (key_h + gap)
    half = (pad.width - gap) // 2
    erase = pygame.Rect(pad.left, bottom, half // 2, key_h)
    submit = pygame.Rect(erase.right + gap, bottom, pad.width - erase.width - gap, key_h)
    ui.draw_button(surface, erase, "⌫ " + say("erase", language), fill=ui.MUTED,
                   size=int(u * 1.1))
    ready = bool(state.typed_code)
    ui.draw_button(surface, submit, say("checkin_submit", language),
                   fill=ui.OK if ready else ui.DISABLED, size=int(u * 1.4), enabled=ready)
    targets += [ui.Target(erase, "erase"), ui.Target(submit, "submit")]
    ui.draw_button(surface, back, "‹ " + say("back", language), fill=ui.MUTED, size=int(u * 1.1))
    targets.append(ui.Target(back, "back"))
    return targets


def draw_checking(surface: pygame.Surface, body: pygame.Rect, state: KioskState, u: int
                  ) -> list[ui.Target]:
    y = ui.draw_fitted(surface, say("checking", state.language),
                       body.inflate(0, -body.height // 2), int(u * 1.8), ui.INK, bold=True,
                       center=True)
    ui.draw_text(surface, state.typed_code, int(u * 2), ui.ACCENT, (body.centerx, y + u),
                 bold=True, anchor="midtop")
    return []


def checkin_button(surface: pygame.Surface, rect: pygame.Rect, state: KioskState, u: int
                   ) -> ui.Target:
    """The way in, on the start and agency screens."""
    ui.draw_button(surface, rect, "▣ " + say("checkin_button", state.language), fill=ui.OK,
                   size=int(u * 1.4))
    return ui.Target(rect, "checkin")
