"""Drawing the kiosk: a function of its state. Each screen returns the targets a touch can hit.

Portrait (1080×1920) and landscape (1920×1080) come from the surface's size. Text is drawn whole:
where a name or a list may not fit, its type is made smaller (down to a floor) rather than cut,
and a card that cannot hold every requirement says that the list goes on on the next screen.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pygame

from common import ui
from common.formats import clock_time, long_date
from common.protocol.models import ServiceOut
from kiosk.checkin_screen import checkin_button, draw_checkin, draw_checking
from kiosk.flow import PRIORITY_CHOICES, KioskState
from kiosk.texts import closed_text, fee_of, queue_text, requirements, say, service_name
from kiosk.ticket_screen import draw_ticket


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
        targets = self._header(surface, state)
        top = self._header_height() + self.unit
        body = pygame.Rect(self.unit, top, width - 2 * self.unit, height - top - self.unit)
        if state.screen == "ticket":
            return targets + draw_ticket(surface, body, state, self.unit)
        if state.screen == "checkin":
            return targets + draw_checkin(surface, body, state, self.unit)
        if state.screen == "checking":
            return targets + draw_checking(surface, body, state, self.unit)
        draw = {
            "attract": self._attract, "agencies": self._agencies, "services": self._services,
            "priority": self._priority, "issuing": self._issuing,
            "unavailable": self._unavailable,
        }[state.screen]
        return targets + draw(surface, body, state)

    # ------------------------------------------------------------ frame

    def _header_height(self) -> int:
        return self.unit * 4

    def _header(self, surface: pygame.Surface, state: KioskState) -> list[ui.Target]:
        u = self.unit
        width = surface.get_width()
        bar = pygame.Rect(0, 0, width, self._header_height())
        pygame.draw.rect(surface, ui.ACCENT, bar)
        clock = ui.draw_text(surface, clock_time(self.now), int(u * 1.6), ui.WHITE,
                             (width - u, bar.centery), bold=True, anchor="midright")
        label = say("language", state.language)
        label_size = int(u * 0.9)
        language = pygame.Rect(0, 0, max(u * 5, ui.font(label_size, True).size(label)[0] + u * 2),
                               int(u * 2.6))
        language.midright = (clock.left - u, bar.centery)
        ui.draw_button(surface, language, label, size=label_size, fill=ui.WHITE, ink=ui.ACCENT)
        targets = [ui.Target(language, "language")]
        left = u
        if state.screen not in ("attract", "unavailable", "issuing"):
            home = pygame.Rect(u, 0, u * 6, int(u * 2.6))
            home.centery = bar.centery
            ui.draw_button(surface, home, "⌂ " + say("home", state.language),
                           size=int(u * 0.9), fill=ui.WHITE, ink=ui.ACCENT)
            targets.append(ui.Target(home, "home"))
            left = home.right + u
        # the hall's name whole, on two lines when one is too short for it
        name = pygame.Rect(left, bar.top + u // 4, language.left - left - u, bar.height - u // 2)
        ui.draw_fitted(surface, self.hall_name, name, int(u * 1.1), ui.WHITE, bold=True,
                       max_lines=2, min_size=int(u * 0.7), middle=True)
        return targets

    # ------------------------------------------------------------ screens

    def _attract(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                 ) -> list[ui.Target]:
        u = self.unit
        now_text = long_date(self.now, state.language)
        ui.draw_fitted(surface, self.hall_name, pygame.Rect(body.left, body.top + body.height // 6,
                                                            body.width, u * 6),
                       int(u * 2.2), ui.INK, bold=True, center=True)
        ui.draw_text(surface, now_text, int(u * 1.2), ui.MUTED,
                     (body.centerx, body.top + body.height // 6 + u * 7), anchor="midtop")
        card = pygame.Rect(0, 0, body.width - 2 * u, body.height // 3)
        card.center = (body.centerx, body.centery + u * 2)
        pygame.draw.rect(surface, ui.ACCENT, card, border_radius=u)
        ui.draw_fitted(surface, say("touch", state.language), card.inflate(-2 * u, -2 * u),
                       int(u * 2.4), ui.WHITE, bold=True, center=True, middle=True)
        other = "en" if state.language == "id" else "id"
        ui.draw_text(surface, say("touch", other), int(u * 1.1), ui.MUTED,
                     (body.centerx, card.bottom + u * 2), anchor="midtop")
        targets = [ui.Target(body, "start")]
        if any(s.online_remote or s.online_booking for s in state.services):
            checkin = pygame.Rect(0, 0, min(body.width - 2 * u, u * 24), u * 4)
            checkin.midbottom = (body.centerx, body.bottom - u)
            targets.append(checkin_button(surface, checkin, state, u))
        return targets

    def _agencies(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                  ) -> list[ui.Target]:
        u = self.unit
        ui.draw_text(surface, say("choose_agency", state.language), int(u * 1.8), ui.INK,
                     body.topleft, bold=True)
        agencies = state.agencies()
        bottom = body.bottom
        targets = []
        if any(s.online_remote or s.online_booking for s in state.services):
            checkin = pygame.Rect(body.left, body.bottom - u * 4, body.width, u * 4)
            targets.append(checkin_button(surface, checkin, state, u))
            bottom = checkin.top - u // 2
        area = pygame.Rect(body.left, body.top + u * 3, body.width, bottom - body.top - u * 3)
        columns = 2 if body.height > body.width else 4
        rows = max(1, math.ceil(len(agencies) / columns))
        gap = u // 2
        tile_w = (area.width - gap * (columns - 1)) // columns
        tile_h = min(u * 9, (area.height - gap * (rows - 1)) // rows)
        for index, (code, services) in enumerate(agencies):
            row, column = divmod(index, columns)
            tile = pygame.Rect(area.left + column * (tile_w + gap), area.top + row * (tile_h + gap),
                               tile_w, tile_h)
            agency = services[0].agency
            fill, ink = ui.readable(ui.hex_color(agency.color))
            ui.note_box(surface, tile, agency.code)
            pygame.draw.rect(surface, fill, tile, border_radius=u // 2)
            inner = tile.inflate(-u, -u)
            status_size = int(u * 0.9)
            status_h = ui.font(status_size).get_linesize()
            name = agency.name_en if state.language == "en" and agency.name_en else agency.name
            ui.draw_fitted(surface, name, pygame.Rect(inner.left, inner.top, inner.width,
                                                      inner.height - status_h - u // 4),
                           int(u * 1.05), ink, bold=True, max_lines=3, min_size=int(u * 0.8))
            ui.draw_text(surface, self._agency_status(services, state.language), status_size, ink,
                         (inner.left, inner.bottom), anchor="bottomleft")
            targets.append(ui.Target(tile, f"agency:{code}"))
        return targets

    @staticmethod
    def _agency_status(services: list[ServiceOut], language: str) -> str:
        open_services = [s for s in services if s.closed_reason is None]
        if not open_services:
            return say("all_closed", language)
        waiting = sum(s.waiting for s in open_services)
        wait = min((s.estimated_wait_minutes for s in open_services if s.waiting), default=None)
        return queue_text(waiting, wait, language)

    def _services(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                  ) -> list[ui.Target]:
        u = self.unit
        services = [s for s in state.services if s.agency.code == state.agency]
        agency = services[0].agency if services else None
        title = (agency.name_en if state.language == "en" and agency and agency.name_en
                 else agency.name if agency else "")
        top = ui.draw_fitted(surface, title, pygame.Rect(body.left, body.top, body.width, u * 4),
                             int(u * 1.5), ui.INK, bold=True, max_lines=2, min_size=u) + u // 2
        if state.notice:
            notice = pygame.Rect(body.left, top, body.width, u * 3)
            pygame.draw.rect(surface, ui.DANGER, notice, border_radius=u // 2)
            words = state.notice[1] if state.language == "en" else state.notice[0]
            ui.draw_fitted(surface, words, notice.inflate(-u, -u // 2), int(u * 0.9), ui.WHITE,
                           bold=True, max_lines=2, middle=True)
            top = notice.bottom + u // 2
        back = pygame.Rect(body.left, body.bottom - u * 3, u * 10, u * 3)
        area = pygame.Rect(body.left, top, body.width, back.top - top - u // 2)
        columns = 1 if body.height > body.width else 2
        rows = max(1, math.ceil(len(services) / columns))
        gap = u // 2
        card_w = (area.width - gap * (columns - 1)) // columns
        share = (area.height - gap * (rows - 1)) // rows
        # cards as tall as the fullest one needs, no taller: no half-empty white cards
        with ui.quietly():
            scratch = pygame.Surface((card_w, share * 4))
            wanted = max((self._service_card(scratch, pygame.Rect(0, 0, card_w, share * 4), s,
                                             state.language) for s in services), default=u * 4)
        card_h = max(u * 4, min(share, wanted))
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
                      language: str) -> int:
        """One service: name, fee, line, and as many requirements as the card holds, large.
        Returns the height the card's content wanted."""
        u = self.unit
        closed = closed_text(service, language, self.timezone)
        ui.note_box(surface, card, service.code)
        pygame.draw.rect(surface, ui.PANEL if closed is None else (232, 234, 238), card,
                         border_radius=u // 2)
        stripe = ui.hex_color(service.agency.color) if closed is None else ui.DISABLED
        pygame.draw.rect(surface, stripe, pygame.Rect(card.left, card.top, u // 2, card.height),
                         border_top_left_radius=u // 2, border_bottom_left_radius=u // 2)
        ink = ui.INK if closed is None else ui.MUTED
        inner = pygame.Rect(card.left + int(u * 1.25), card.top + u // 2,
                            card.width - int(u * 2), card.height - u)
        y = ui.draw_fitted(surface, service_name(service, language),
                           pygame.Rect(inner.left, inner.top, inner.width, u * 3),
                           int(u * 1.15), ink, bold=True, max_lines=2, min_size=int(u * 0.9))
        if closed is not None:
            y = ui.draw_paragraph(surface, closed, int(u * 0.9), ui.DANGER,
                                  pygame.Rect(inner.left, y, inner.width, u * 3), bold=True)
        size = int(u * 0.9)
        facts = (f"{say('fee', language)}: {fee_of(service, language)} · {say('target', language)}"
                 f" {service.sla_minutes} {say('minutes', language)}")
        if closed is None:
            facts += f" · {queue_text(service.waiting, service.estimated_wait_minutes, language)}"
        y = ui.draw_paragraph(surface, facts, size, ink,
                              pygame.Rect(inner.left, y + u // 6, inner.width, inner.bottom - y))
        needs = requirements(service, language)
        if not needs:
            return y - card.top + u // 2
        line = ui.font(size).get_linesize()
        more = say("more_on_next", language)
        y += u // 3
        wanted = y + sum(ui.paragraph_height(f"• {n}", size, inner.width - u) for n in needs)
        for index, need in enumerate(needs):
            height = ui.paragraph_height(f"• {need}", size, inner.width - u)
            last = index == len(needs) - 1
            if y + height + (0 if last else line) > inner.bottom:
                ui.draw_text(surface, more, size, ui.ACCENT, (inner.left, y), bold=True)
                break
            y = ui.draw_paragraph(surface, f"• {need}", size, ink,
                                  pygame.Rect(inner.left, y, inner.width - u, height))
        return wanted - card.top + u // 2

    def _priority(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                  ) -> list[ui.Target]:
        u = self.unit
        info = state.service_info()
        landscape = body.width > body.height
        column = pygame.Rect(body.left, body.top,
                             body.width * 56 // 100 if landscape else body.width, body.height)
        if state.basket:
            # Several services on one number: the plan, one stop a line, in the order served.
            at = " di " if state.language == "id" else " at "
            y = ui.draw_fitted(surface, say("your_plan", state.language),
                               pygame.Rect(column.left, column.top, column.width, u * 2),
                               int(u * 1.0), ui.MUTED, max_lines=1, min_size=int(u * 0.8))
            for i, planned in enumerate(state.planned(), start=1):
                agency = (planned.agency.name if state.language == "id"
                          else planned.agency.name_en or planned.agency.name)
                y = ui.draw_fitted(
                    surface, f"{i}. {service_name(planned, state.language)}{at}{agency}",
                    pygame.Rect(column.left, y, column.width, int(u * 1.6)), int(u * 1.1),
                    ui.INK, bold=True, max_lines=1, min_size=int(u * 0.75))
        else:
            y = ui.draw_fitted(surface, service_name(info, state.language) if info else "",
                               pygame.Rect(column.left, column.top, column.width, u * 3),
                               int(u * 1.3), ui.MUTED, max_lines=2, min_size=u)
        y = ui.draw_paragraph(surface, say("priority_question", state.language), int(u * 1.5),
                              ui.INK, pygame.Rect(column.left, y + u // 2, column.width, u * 5),
                              bold=True)
        y = ui.draw_paragraph(surface, say("priority_note", state.language), int(u * 0.9),
                              ui.MUTED, pygame.Rect(column.left, y + u // 3, column.width, u * 4))
        regular = pygame.Rect(column.left, y + u, column.width, u * 4)
        ui.draw_button(surface, regular, say("regular", state.language), fill=ui.OK,
                       size=int(u * 1.5))
        targets = [ui.Target(regular, "regular")]
        columns = 2 if not landscape else 3
        gap = u // 2
        width = (column.width - gap * (columns - 1)) // columns
        top = regular.bottom + u // 2
        for index, reason in enumerate(PRIORITY_CHOICES):
            row, col = divmod(index, columns)
            rect = pygame.Rect(column.left + col * (width + gap), top + row * (u * 4 + gap),
                               width, u * 4)
            ui.draw_button(surface, rect, say(reason, state.language), fill=ui.WARN,
                           size=int(u * 1.2))
            targets.append(ui.Target(rect, f"priority:{reason}"))
        rows = math.ceil(len(PRIORITY_CHOICES) / columns)
        buttons_bottom = top + rows * (u * 4 + gap)
        back = pygame.Rect(column.left, body.bottom - u * 3, u * 10, u * 3)
        ui.draw_button(surface, back, "‹ " + say("back", state.language), fill=ui.MUTED,
                       size=int(u * 1.1))
        more: list[ui.Target] = []
        if state.may_add():
            another = pygame.Rect(column.right - u * 13, body.bottom - u * 3, u * 13, u * 3)
            ui.draw_button(surface, another, say("another", state.language), fill=ui.ACCENT,
                           size=int(u * 1.1))
            more.append(ui.Target(another, "another"))
        if info is not None:
            panel = (pygame.Rect(column.right + u, body.top, body.right - column.right - u,
                                 body.height) if landscape else
                     pygame.Rect(body.left, buttons_bottom + u // 2, body.width,
                                 back.top - buttons_bottom - u))
            self._requirements_panel(surface, panel, info, state.language)
        return [*targets, ui.Target(back, "back"), *more]

    def _requirements_panel(self, surface: pygame.Surface, panel: pygame.Rect,
                            service: ServiceOut, language: str) -> None:
        """What to bring and what it costs, in full, as large as the panel allows."""
        u = self.unit
        inner = panel.inflate(-2 * u, -u)
        needs = requirements(service, language) or [say("no_requirements", language)]
        fee = fee_of(service, language)
        lines = [f"• {need}" for need in needs]
        fee_line = f"{say('fee', language)}: {fee}"
        size = int(u * 1.3)
        while True:
            title_h = ui.paragraph_height(say("bring", language), size, inner.width, bold=True)
            total = title_h + u // 3 + sum(ui.paragraph_height(t, size, inner.width) for t in
                                           lines) + u // 2 + ui.paragraph_height(
                fee_line, size, inner.width)
            if total <= inner.height or size <= int(u * 0.7):
                break
            size = int(size * 0.92)
        panel = pygame.Rect(panel.left, panel.top, panel.width, min(panel.height, total + u))
        inner = panel.inflate(-2 * u, -u)
        ui.note_box(surface, panel, "requirements")
        pygame.draw.rect(surface, ui.PANEL, panel, border_radius=u // 2)
        y = ui.draw_paragraph(surface, say("bring", language), size, ui.INK,
                              pygame.Rect(inner.left, inner.top, inner.width, inner.height),
                              bold=True) + u // 3
        for line in lines:
            y = ui.draw_paragraph(surface, line, size, ui.INK,
                                  pygame.Rect(inner.left, y, inner.width, inner.bottom - y))
        ui.draw_paragraph(surface, fee_line, size, ui.INK,
                          pygame.Rect(inner.left, y + u // 2, inner.width, inner.bottom - y - u // 2),
                          bold=False)

    def _issuing(self, surface: pygame.Surface, body: pygame.Rect, state: KioskState
                 ) -> list[ui.Target]:
        ui.draw_fitted(surface, say("issuing", state.language), body.inflate(0, -body.height // 2),
                       int(self.unit * 1.8), ui.INK, bold=True, center=True)
        return []

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
