"""Drawing the kiosk: a function of its state. Each screen returns the targets a touch can hit."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pygame

from common import ui
from common.formats import long_date
from common.protocol.models import ServiceOut
from kiosk.flow import PRIORITY_CHOICES, KioskState
from kiosk.texts import closed_text, fee_of, requirements, say, service_name


class KioskView:
    """Knows the hall's name and zone, and the surface's size; draws any state."""

    def __init__(self, hall_name: str, timezone: str = "Asia/Jakarta") -> None:
        self.hall_name = hall_name
        self.timezone = timezone

    def draw(self, surface: pygame.Surface, state: KioskState, now: datetime) -> list[ui.Target]:
        surface.fill(ui.PAPER)
        self.now = now.astimezone(ZoneInfo(self.timezone))
        width, height = surface.get_size()
        self.unit = max(14, min(width, height) // 36)  # one type unit: 30 px on 1080 wide
        targets = self._header(surface, state, now)
        body = pygame.Rect(self.unit, self._header_height(surface) + self.unit,
                           width - 2 * self.unit,
                           height - self._header_height(surface) - 2 * self.unit)
        draw = {
            "attract": self._attract, "agencies": self._agencies, "services": self._services,
            "priority": self._priority, "issuing": self._issuing, "ticket": self._ticket,
            "unavailable": self._unavailable,
        }[state.screen]
        return targets + draw(surface, body, state)

    # ------------------------------------------------------------ frame

    def _header_height(self, surface: pygame.Surface) -> int:
        return self.unit * 4

    def _header(self, surface: pygame.Surface, state: KioskState, now: datetime
                ) -> list[ui.Target]:
        u = self.unit
        width = surface.get_width()
        bar = pygame.Rect(0, 0, width, self._header_height(surface))
        pygame.draw.rect(surface, ui.ACCENT, bar)
        clock = ui.draw_text(surface, f"{self.now:%H:%M}", int(u * 1.6), ui.WHITE,
                             (width - u, bar.centery), bold=True, anchor="midright")
        language = pygame.Rect(0, 0, u * 9, int(u * 2.6))
        language.midright = (clock.left - u, bar.centery)
        ui.draw_button(surface, language, say("language", state.language), fill=ui.WHITE,
                       ink=ui.ACCENT, size=int(u * 0.9))
        targets = [ui.Target(language, "language")]
        left = u
        if state.screen not in ("attract", "unavailable", "issuing"):
            home = pygame.Rect(u, 0, u * 6, int(u * 2.6))
            home.centery = bar.centery
            ui.draw_button(surface, home, "⌂ " + say("home", state.language), fill=ui.WHITE,
                           ink=ui.ACCENT, size=int(u * 0.9))
            targets.append(ui.Target(home, "home"))
            left = home.right + u
        ui.draw_text(surface, self.hall_name, int(u * 1.1), ui.WHITE, (left, bar.centery),
                     bold=True, anchor="midleft", max_width=language.left - left - u)
        return targets

    # ------------------------------------------------------------ screens

    def _attract(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                 ) -> list[ui.Target]:
        u = self.unit
        now_text = long_date(self.now, state.language)
        ui.draw_paragraph(surface, self.hall_name, int(u * 2.2), ui.INK,
                          pygame.Rect(body.left, body.top + body.height // 6, body.width, u * 6),
                          bold=True, center=True)
        ui.draw_text(surface, now_text, int(u * 1.2), ui.MUTED,
                     (body.centerx, body.top + body.height // 6 + u * 7), anchor="midtop")
        card = pygame.Rect(0, 0, body.width - 2 * u, body.height // 3)
        card.center = (body.centerx, body.centery + u * 2)
        pygame.draw.rect(surface, ui.ACCENT, card, border_radius=u)
        ui.draw_paragraph(surface, say("touch", state.language), int(u * 2.4), ui.WHITE,
                          card.inflate(-2 * u, -2 * u).move(0, card.height // 4), bold=True,
                          center=True)
        other = "en" if state.language == "id" else "id"
        ui.draw_text(surface, say("touch", other), int(u * 1.1), ui.MUTED,
                     (body.centerx, card.bottom + u * 2), anchor="midtop")
        return [ui.Target(body, "start")]

    def _agencies(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                  ) -> list[ui.Target]:
        u = self.unit
        ui.draw_text(surface, say("choose_agency", state.language), int(u * 1.8), ui.INK,
                     body.topleft, bold=True)
        agencies = state.agencies()
        area = pygame.Rect(body.left, body.top + u * 3, body.width, body.height - u * 3)
        columns = 2 if body.height > body.width else 4
        rows = max(1, math.ceil(len(agencies) / columns))
        gap = u // 2
        tile_w = (area.width - gap * (columns - 1)) // columns
        tile_h = min(u * 9, (area.height - gap * (rows - 1)) // rows)
        targets = []
        for index, (code, services) in enumerate(agencies):
            row, column = divmod(index, columns)
            tile = pygame.Rect(area.left + column * (tile_w + gap), area.top + row * (tile_h + gap),
                               tile_w, tile_h)
            agency = services[0].agency
            color = ui.hex_color(agency.color)
            ink = ui.ink_on(color)
            pygame.draw.rect(surface, color, tile, border_radius=u // 2)
            name = agency.name_en if state.language == "en" and agency.name_en else agency.name
            size = int(u * 1.05)
            bottom = ui.draw_paragraph(surface, name, size, ink,
                                       tile.inflate(-u, -u).move(0, 0), bold=True, max_lines=3)
            waiting = sum(s.waiting for s in services)
            wait = min((s.estimated_wait_minutes for s in services if s.closed_reason is None),
                       default=None)
            line = f"{waiting} {say('waiting', state.language)}"
            if wait is not None:
                line += f" · ±{wait} {say('minutes', state.language)}"
            if bottom < tile.bottom - u:
                ui.draw_text(surface, line, int(u * 0.85), ink,
                             (tile.left + u // 2, tile.bottom - u // 2), anchor="bottomleft",
                             max_width=tile.width - u)
            targets.append(ui.Target(tile, f"agency:{code}"))
        return targets

    def _services(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                  ) -> list[ui.Target]:
        u = self.unit
        services = [s for s in state.services if s.agency.code == state.agency]
        agency = services[0].agency if services else None
        title = (agency.name_en if state.language == "en" and agency and agency.name_en
                 else agency.name if agency else "")
        ui.draw_paragraph(surface, title, int(u * 1.5), ui.INK,
                          pygame.Rect(body.left, body.top, body.width, u * 4), bold=True,
                          max_lines=2)
        top = body.top + u * 4
        if state.notice:
            notice = pygame.Rect(body.left, top, body.width, u * 3)
            pygame.draw.rect(surface, ui.DANGER, notice, border_radius=u // 2)
            words = state.notice[1] if state.language == "en" else state.notice[0]
            ui.draw_paragraph(surface, words, int(u * 0.9), ui.WHITE,
                              notice.inflate(-u, -u // 2), bold=True, max_lines=2)
            top = notice.bottom + u // 2
        back = pygame.Rect(body.left, body.bottom - u * 3, u * 10, u * 3)
        area = pygame.Rect(body.left, top, body.width, back.top - top - u // 2)
        columns = 1 if body.height > body.width else 2
        rows = max(1, math.ceil(len(services) / columns))
        gap = u // 2
        card_w = (area.width - gap * (columns - 1)) // columns
        card_h = min(u * 10, (area.height - gap * (rows - 1)) // rows)
        targets = []
        for index, service in enumerate(services):
            row, column = divmod(index, columns)
            card = pygame.Rect(area.left + column * (card_w + gap),
                               area.top + row * (card_h + gap), card_w, card_h)
            self._service_card(surface, card, service, state.language)
            targets.append(ui.Target(card, f"service:{service.code}"))
        ui.draw_button(surface, back, "‹ " + say("back", state.language), fill=ui.MUTED,
                       size=int(u * 1.1))
        targets.append(ui.Target(back, "back"))
        return targets

    def _service_card(self, surface: pygame.Surface, card: pygame.Rect, service: ServiceOut,
                      language: str) -> None:
        u = self.unit
        closed = closed_text(service, language, self.timezone)
        pygame.draw.rect(surface, ui.PANEL if closed is None else (232, 234, 238), card,
                         border_radius=u // 2)
        stripe = ui.hex_color(service.agency.color) if closed is None else ui.DISABLED
        pygame.draw.rect(surface, stripe, pygame.Rect(card.left, card.top, u // 2, card.height),
                         border_top_left_radius=u // 2, border_bottom_left_radius=u // 2)
        ink = ui.INK if closed is None else ui.MUTED
        inner = card.inflate(-2 * u, -u).move(u // 4, 0)
        y = ui.draw_paragraph(surface, service_name(service, language), int(u * 1.15), ink,
                              pygame.Rect(inner.left, inner.top, inner.width, u * 3), bold=True,
                              max_lines=2)
        facts = (f"{fee_of(service, language).headline} · {say('target', language)} "
                 f"{service.sla_minutes} {say('minutes', language)}")
        if closed is None:
            facts += (f" · {service.waiting} {say('waiting', language)}, ±"
                      f"{service.estimated_wait_minutes} {say('minutes', language)}")
        ui.draw_text(surface, facts, int(u * 0.8), ink, (inner.left, y + u // 4),
                     max_width=inner.width)
        needs = requirements(service, language)
        if (needs or service.fee_note) and inner.bottom - (y + u * 1.5) > u:
            text = f"{say('requirements', language)}: " + "; ".join(needs) if needs else ""
            if service.fee_note:
                text = f"{text}. {say('fee', language)}: {service.fee_note}".lstrip(". ")
            ui.draw_paragraph(surface, text, int(u * 0.75), ui.MUTED,
                              pygame.Rect(inner.left, y + int(u * 1.6), inner.width,
                                          inner.bottom - y - int(u * 1.6)), max_lines=2)
        if closed is not None:
            ui.draw_text(surface, closed, int(u * 0.9), ui.DANGER,
                         (inner.right, inner.top), bold=True, anchor="topright")

    def _priority(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                  ) -> list[ui.Target]:
        u = self.unit
        info = state.service_info()
        y = ui.draw_paragraph(surface, service_name(info, state.language) if info else "",
                              int(u * 1.3), ui.MUTED, pygame.Rect(body.left, body.top,
                                                                  body.width, u * 3))
        y = ui.draw_paragraph(surface, say("priority_question", state.language), int(u * 1.7),
                              ui.INK, pygame.Rect(body.left, y + u, body.width, u * 5), bold=True)
        y = ui.draw_paragraph(surface, say("priority_note", state.language), int(u * 0.9),
                              ui.MUTED, pygame.Rect(body.left, y + u // 2, body.width, u * 3))
        regular = pygame.Rect(body.left, y + u, body.width, u * 5)
        ui.draw_button(surface, regular, say("regular", state.language), fill=ui.OK,
                       size=int(u * 1.6))
        targets = [ui.Target(regular, "regular")]
        columns = 2 if body.height > body.width else len(PRIORITY_CHOICES)
        gap = u // 2
        width = (body.width - gap * (columns - 1)) // columns
        top = regular.bottom + u
        for index, reason in enumerate(PRIORITY_CHOICES):
            row, column = divmod(index, columns)
            rect = pygame.Rect(body.left + column * (width + gap), top + row * (u * 4 + gap),
                               width, u * 4)
            ui.draw_button(surface, rect, say(reason, state.language), fill=ui.WARN,
                           size=int(u * 1.2))
            targets.append(ui.Target(rect, f"priority:{reason}"))
        back = pygame.Rect(body.left, body.bottom - u * 3, u * 10, u * 3)
        ui.draw_button(surface, back, "‹ " + say("back", state.language), fill=ui.MUTED,
                       size=int(u * 1.1))
        return [*targets, ui.Target(back, "back")]

    def _issuing(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                 ) -> list[ui.Target]:
        ui.draw_paragraph(surface, say("issuing", state.language), int(self.unit * 1.8), ui.INK,
                          body.inflate(0, -body.height // 2), bold=True, center=True)
        return []

    def _ticket(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                ) -> list[ui.Target]:
        u = self.unit
        ticket = state.ticket
        if ticket is None:
            return []
        language = state.language
        card = pygame.Rect(body.left, body.top, body.width, body.height)
        # Measure on a scratch surface, then draw the card to fit what it holds.
        height = self._ticket_card(pygame.Surface(surface.get_size()), card, state) - card.top
        card.height = height + u
        pygame.draw.rect(surface, ui.PANEL, card, border_radius=u)
        self._ticket_card(surface, card, state)
        status = pygame.Rect(body.left, card.bottom + u // 2, body.width, u * 4)
        targets: list[ui.Target] = []
        if state.print_state == "printing":
            ui.draw_paragraph(surface, say("printing", language), int(u * 1.4), ui.ACCENT,
                              status, bold=True, center=True)
        elif state.print_state == "printed" or state.confirmed:
            ui.draw_paragraph(surface, say("take_ticket", language), int(u * 1.4), ui.OK,
                              status, bold=True, center=True)
            done = pygame.Rect(0, 0, body.width // 2, u * 4)
            done.midtop = (body.centerx, status.bottom + u)
            ui.draw_button(surface, done, say("done", language), fill=ui.OK, size=int(u * 1.4))
            targets.append(ui.Target(done, "done"))
        else:
            status.height = u * 3
            pygame.draw.rect(surface, ui.DANGER, status, border_radius=u // 2)
            ui.draw_paragraph(surface, say("print_failed", language), int(u * 1.2), ui.WHITE,
                              status.inflate(-2 * u, -u // 2), bold=True, center=True)
            gap = u // 2
            width = (body.width - 2 * gap) // 3
            top = min(status.bottom + u // 2, body.bottom - u * 4)
            buttons = (("keep", ui.OK, True), ("reprint", ui.ACCENT, state.printer_ready),
                       ("cancel", ui.MUTED, True))
            for index, (action, color, enabled) in enumerate(buttons):
                rect = pygame.Rect(body.left + index * (width + gap), top, width, u * 4)
                ui.draw_button(surface, rect, say(action, language), fill=color,
                               size=int(u * 1.0), enabled=enabled)
                if enabled:
                    targets.append(ui.Target(rect, action))
        return targets

    def _ticket_card(self, surface: pygame.Surface, card: pygame.Rect, state: KioskState) -> int:
        """The number and what goes with it; returns the y below the last line."""
        u = self.unit
        ticket = state.ticket
        assert ticket is not None
        language = state.language
        inner = card.width - 2 * u
        y = ui.draw_text(surface, say("your_number", language), int(u * 1.3), ui.MUTED,
                         (card.centerx, card.top + u), anchor="midtop").bottom
        number_size = ui.fitting_size(ticket.number, inner, min(card.height // 4, u * 9), bold=True)
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
        name = ticket.service_name_en if language == "en" and ticket.service_name_en \
            else ticket.service_name
        y = ui.draw_paragraph(surface, name, int(u * 1.3), ui.INK,
                              pygame.Rect(card.left + u, y, inner, u * 4),
                              bold=True, center=True, max_lines=2)
        y = ui.draw_paragraph(surface, ticket.agency_name, int(u * 1.0), ui.MUTED,
                              pygame.Rect(card.left + u, y, inner, u * 3), center=True, max_lines=2)
        if ticket.people_ahead is not None:
            ahead = (f"{ticket.people_ahead} {say('ahead', language)} · {say('about', language)} "
                     f"{ticket.estimated_wait_minutes} {say('minutes', language)}")
            y = ui.draw_text(surface, ahead, int(u * 1.1), ui.INK, (card.centerx, y + u // 3),
                             anchor="midtop", max_width=inner).bottom
        counters = state.counters_for(ticket.service)
        if counters:
            where = f"{say('served_at', language)} {', '.join(str(n) for n in counters)}"
            y = ui.draw_paragraph(surface, where, int(u * 1.1), ui.ACCENT,
                                  pygame.Rect(card.left + u, y + u // 2, inner, u * 3),
                                  bold=True, center=True, max_lines=2)
            y = ui.draw_paragraph(surface, say("watch_display", language), int(u * 0.9),
                                  ui.MUTED, pygame.Rect(card.left + u, y, inner, u * 3),
                                  center=True, max_lines=2)
        return y

    def _unavailable(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                     ) -> list[ui.Target]:
        u = self.unit
        panel = body.inflate(-2 * u, -body.height // 2)
        pygame.draw.rect(surface, ui.PANEL, panel, border_radius=u)
        y = ui.draw_paragraph(surface, say("unavailable", state.language), int(u * 1.8), ui.DANGER,
                              panel.inflate(-2 * u, -2 * u), bold=True, center=True)
        ui.draw_paragraph(surface, say("ask_staff", state.language), int(u * 1.2), ui.INK,
                          pygame.Rect(panel.left + u, y + u, panel.width - 2 * u, u * 6),
                          center=True)
        return []

