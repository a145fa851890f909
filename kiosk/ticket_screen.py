"""The kiosk's ticket screen: the number just issued, and what to do next.

Printing, printed ("take your ticket", Done) or failed (keep the number, print again once the
printer is ready, cancel). In portrait the card sits above the buttons; in landscape beside them,
so nothing runs off the bottom of a 1080-line screen.
"""

from __future__ import annotations

import pygame

from common import ui
from kiosk.flow import KioskState
from kiosk.texts import say


def draw_ticket(surface: pygame.Surface, body: pygame.Rect, state: KioskState, u: int
                ) -> list[ui.Target]:
    if state.ticket is None:
        return []
    landscape = body.width > body.height
    if landscape:
        card_box = pygame.Rect(body.left, body.top, body.width * 56 // 100, body.height)
        side = pygame.Rect(card_box.right + u, body.top, body.right - card_box.right - u,
                           body.height)
    else:
        side = pygame.Rect(body.left, body.top, body.width, _actions_height(state, body.width, u))
        card_box = pygame.Rect(body.left, body.top, body.width, body.height - side.height - u)
    card = _fit_card(surface, card_box, state, u, centre=landscape)
    if not landscape:
        side.top = card.bottom + u
    pygame.draw.rect(surface, ui.PANEL, card, border_radius=u)
    _card(surface, card, state, u, _number_size(card_box, state, u))
    return _actions(surface, side, state, u, centre=landscape)[0]


# ------------------------------------------------------------------ the card

def _number_size(box: pygame.Rect, state: KioskState, u: int) -> int:
    """As large as the number can be while the whole card fits the box."""
    assert state.ticket is not None
    size = ui.fitting_size(state.ticket.number, box.width - 2 * u, min(box.height // 4, u * 9),
                           bold=True)
    with ui.quietly():
        scratch = pygame.Surface(box.size)
        while size > u * 2 and _card(scratch, pygame.Rect(0, 0, box.width, box.height * 2),
                                     state, u, size) + u > box.height:
            size = int(size * 0.92)
    return size


def _fit_card(surface: pygame.Surface, box: pygame.Rect, state: KioskState, u: int, *,
              centre: bool) -> pygame.Rect:
    size = _number_size(box, state, u)
    with ui.quietly():
        scratch = pygame.Surface(box.size)
        height = min(box.height, _card(scratch, pygame.Rect(0, 0, box.width, box.height * 2),
                                       state, u, size) + u)
    card = pygame.Rect(box.left, box.top, box.width, height)
    if centre:
        card.centery = box.centery
    return card


def _card(surface: pygame.Surface, card: pygame.Rect, state: KioskState, u: int,
          number_size: int) -> int:
    """The number and what goes with it; returns the y below the last line (card-relative
    when ``card`` starts at 0)."""
    ticket = state.ticket
    assert ticket is not None
    language = state.language
    inner = card.width - 2 * u
    y = ui.draw_text(surface, say("your_number", language), int(u * 1.3), ui.MUTED,
                     (card.centerx, card.top + u), anchor="midtop").bottom
    y = ui.draw_text(surface, ticket.number, number_size, ui.INK, (card.centerx, y),
                     bold=True, anchor="midtop").bottom
    if ticket.priority:
        mark = ui.font(int(u * 1.2), True).size(say("priority_mark", language))
        badge = pygame.Rect(0, 0, mark[0] + u, mark[1] + u // 3)
        badge.midtop = (card.centerx, y)
        pygame.draw.rect(surface, ui.WARN, badge, border_radius=u // 3)
        ui.draw_text(surface, say("priority_mark", language), int(u * 1.2), ui.WHITE,
                     badge.center, bold=True, anchor="center")
        y = badge.bottom + u // 2
    if state.checked_in:
        mark_text = say("booked_mark", language)
        mark = ui.font(int(u * 1.2), True).size(mark_text)
        badge = pygame.Rect(0, 0, mark[0] + u, mark[1] + u // 3)
        badge.midtop = (card.centerx, y)
        pygame.draw.rect(surface, ui.OK, badge, border_radius=u // 3)
        ui.draw_text(surface, mark_text, int(u * 1.2), ui.WHITE, badge.center, bold=True,
                     anchor="center")
        y = badge.bottom + u // 2
    name = ticket.service_name_en if language == "en" and ticket.service_name_en \
        else ticket.service_name
    y = ui.draw_paragraph(surface, name, int(u * 1.3), ui.INK,
                          pygame.Rect(card.left + u, y, inner, u * 4), bold=True, center=True)
    info = next((s for s in state.services if s.code == ticket.service), None)
    agency = (info.agency.name_en if language == "en" and info and info.agency.name_en
              else ticket.agency_name)
    y = ui.draw_paragraph(surface, agency, int(u * 1.0), ui.MUTED,
                          pygame.Rect(card.left + u, y, inner, u * 3), center=True)
    if ticket.people_ahead is not None:
        ahead = (f"{ticket.people_ahead} {say('ahead', language)} · {say('about', language)} "
                 f"{ticket.estimated_wait_minutes} {say('minutes', language)}")
        y = ui.draw_paragraph(surface, ahead, int(u * 1.1), ui.INK,
                              pygame.Rect(card.left + u, y + u // 3, inner, u * 3), center=True)
    counters = state.counters_for(ticket.service)
    if counters:
        where = f"{say('served_at', language)} {', '.join(str(n) for n in counters)}"
        y = ui.draw_paragraph(surface, where, int(u * 1.1), ui.ACCENT,
                              pygame.Rect(card.left + u, y + u // 2, inner, u * 3),
                              bold=True, center=True)
        y = ui.draw_paragraph(surface, say("watch_display", language), int(u * 0.9),
                              ui.MUTED, pygame.Rect(card.left + u, y, inner, u * 3), center=True)
    return y - card.top


# ------------------------------------------------------------------ what to do next

def _actions_height(state: KioskState, width: int, u: int) -> int:
    with ui.quietly():
        scratch = pygame.Surface((width, u * 40))
        _, bottom = _actions(scratch, pygame.Rect(0, 0, width, u * 40), state, u, centre=False)
    return bottom + u // 2


def _actions(surface: pygame.Surface, side: pygame.Rect, state: KioskState, u: int, *,
             centre: bool) -> tuple[list[ui.Target], int]:
    """The status and the buttons; returns their targets and the y below the last of them."""
    language = state.language
    column = side.width < surface.get_width() * 0.6  # landscape: buttons stacked beside the card
    if state.print_state == "printing":
        height = ui.paragraph_height(say("printing", language), int(u * 1.4), side.width, bold=True)
        y = side.centery - height // 2 if centre else side.top
        bottom = ui.draw_paragraph(surface, say("printing", language), int(u * 1.4), ui.ACCENT,
                                   pygame.Rect(side.left, y, side.width, height), bold=True,
                                   center=True)
        return [], bottom
    if state.print_state == "printed" or state.confirmed:
        text_h = ui.paragraph_height(say("take_ticket", language), int(u * 1.4), side.width,
                                     bold=True)
        total = text_h + u + u * 4
        y = side.centery - total // 2 if centre else side.top
        y = ui.draw_paragraph(surface, say("take_ticket", language), int(u * 1.4), ui.OK,
                              pygame.Rect(side.left, y, side.width, text_h), bold=True,
                              center=True)
        done = pygame.Rect(0, 0, side.width if column else side.width // 2, u * 4)
        done.midtop = (side.centerx, y + u)
        ui.draw_button(surface, done, say("done", language), fill=ui.OK, size=int(u * 1.4))
        return [ui.Target(done, "done")], done.bottom
    # the print failed: the number stays on screen; keep it, print again, or give it back
    banner_h = ui.paragraph_height(say("print_failed", language), int(u * 1.2),
                                   side.width - 2 * u, bold=True) + u
    note = None if state.printer_ready else say("reprint_later", language)
    note_h = ui.paragraph_height(note, int(u * 0.95), side.width) + u // 2 if note else 0
    choices = [("keep", ui.OK)] + ([("reprint", ui.ACCENT)] if state.printer_ready else []) + [
        ("cancel", ui.WHITE)]
    gap = u // 2
    buttons_h = (len(choices) * (u * 4 + gap) - gap) if column else u * 4
    total = banner_h + u // 2 + note_h + buttons_h
    y = side.centery - total // 2 if centre else side.top
    banner = pygame.Rect(side.left, y, side.width, banner_h)
    pygame.draw.rect(surface, ui.DANGER, banner, border_radius=u // 2)
    ui.draw_paragraph(surface, say("print_failed", language), int(u * 1.2), ui.WHITE,
                      banner.inflate(-2 * u, -u), bold=True, center=True)
    y = banner.bottom + u // 2
    if note:
        y = ui.draw_paragraph(surface, note, int(u * 0.95), ui.INK,
                              pygame.Rect(side.left, y, side.width, note_h), center=True) + u // 2
    targets: list[ui.Target] = []
    width = side.width if column else (side.width - gap * (len(choices) - 1)) // len(choices)
    for index, (action, fill) in enumerate(choices):
        rect = (pygame.Rect(side.left, y + index * (u * 4 + gap), width, u * 4) if column else
                pygame.Rect(side.left + index * (width + gap), y, width, u * 4))
        if action == "cancel":  # a light button that still looks like one: outlined, red words
            ui.draw_button(surface, rect, say(action, language), fill=fill, ink=ui.DANGER,
                           size=int(u * 1.1))
            pygame.draw.rect(surface, ui.DANGER, rect, width=max(2, u // 10), border_radius=18)
        else:
            ui.draw_button(surface, rect, say(action, language), fill=fill, size=int(u * 1.1))
        targets.append(ui.Target(rect, action))
    return targets, max(t.rect.bottom for t in targets)
