"""Drawing the counter desk: a function of its state and the time. Returns what a click can hit.

A compact window meant to sit beside the agency's own application: portrait (480×720 and up)
stacks ticket, buttons and lines; landscape (640×480 and up) puts the buttons on the right.
Every button shows its shortcut key; disabled buttons are grey, and while offline all are.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pygame

from common import ui
from common.design import (
    CHECK_IN_KEY,
    COUNTER_BUTTON_COLORS,
    COUNTER_BUTTONS,
    COUNTER_OFF_FILL,
    COUNTER_STATE_COLORS,
    LANGUAGE_KEYS,
)
from common.formats import clock_time
from counter_client.desk import Desk, LoginForm, Picker, Prompt
from counter_client.texts import duration, pick, say

# The buttons, in order, with their shortcut keys; keys, colours and words are the hall's one
# design (common.design), which the browser counter shares.
BUTTONS: tuple[tuple[str, str], ...] = tuple((key, action) for action, key, _ in COUNTER_BUTTONS)
SHORTCUTS: dict[str, str] = ({key: action for key, action in BUTTONS}
                             | {LANGUAGE_KEYS[0]: "language", CHECK_IN_KEY: "check_in"})
BUTTON_COLORS: dict[str, ui.Color] = COUNTER_BUTTON_COLORS
OFF_FILL: ui.Color = COUNTER_OFF_FILL
STATE_COLORS: dict[str, ui.Color] = COUNTER_STATE_COLORS


class CounterView:
    def __init__(self, timezone: str = "Asia/Jakarta") -> None:
        self.timezone = ZoneInfo(timezone)
        self.unit = 16

    def draw(self, surface: pygame.Surface, desk: Desk, now: datetime) -> list[ui.Target]:
        surface.fill(ui.PAPER)
        width, height = surface.get_size()
        self.unit = u = max(12, min(width // 30, height // 40))
        targets = self._header(surface, desk, now)
        top = int(u * 3.2)
        top = self._banners(surface, desk, top)
        landscape = width > height * 1.1
        if landscape:
            left = pygame.Rect(u, top, width // 2 - int(u * 1.5), height - top - u)
            right = pygame.Rect(width // 2 + u // 2, top, width // 2 - int(u * 1.5), height - top - u)
            bottom = self._ticket(surface, desk, now,
                                  pygame.Rect(left.left, left.top, left.width, int(left.height * 0.5)))
            bottom = self._message(surface, desk, pygame.Rect(left.left, bottom, left.width, u * 3))
            self._queues(surface, desk, pygame.Rect(left.left, bottom, left.width,
                                                    left.bottom - bottom))
            targets += self._buttons(surface, desk, right, columns=2)
        else:
            body = pygame.Rect(u, top, width - 2 * u, height - top - u)
            ticket_box = pygame.Rect(body.left, body.top, body.width, int(body.height * 0.3))
            bottom = self._ticket(surface, desk, now, ticket_box)
            bottom = self._message(surface, desk, pygame.Rect(body.left, bottom, body.width, u * 3))
            grid = pygame.Rect(body.left, bottom, body.width, int(body.height * 0.43))
            targets += self._buttons(surface, desk, grid, columns=2)
            self._queues(surface, desk, pygame.Rect(body.left, grid.bottom + u // 2, body.width,
                                                    body.bottom - grid.bottom - u // 2))
        if desk.login is not None:
            return targets[:1] + self._login(surface, desk, desk.login)
        if isinstance(desk.modal, Picker):
            return targets[:1] + self._picker(surface, desk, desk.modal)
        if isinstance(desk.modal, Prompt):
            return targets[:1] + self._prompt(surface, desk, desk.modal)
        return targets

    # ------------------------------------------------------------ frame

    def _header(self, surface: pygame.Surface, desk: Desk, now: datetime) -> list[ui.Target]:
        u = self.unit
        width = surface.get_width()
        bar = pygame.Rect(0, 0, width, int(u * 2.6))
        pygame.draw.rect(surface, ui.ACCENT, bar)
        local = now.astimezone(self.timezone)
        clock = ui.draw_text(surface, clock_time(local), int(u * 1.1), ui.WHITE,
                             (width - u // 2, bar.centery), bold=True, anchor="midright")
        language = pygame.Rect(0, 0, u * 6, int(u * 1.8))
        language.midright = (clock.left - u // 2, bar.centery)
        ui.draw_button(surface, language, say("language", desk.language), fill=ui.WHITE,
                       ink=ui.ACCENT, size=int(u * 0.7))
        # the state of the counter, as a pill
        state = say(f"state_{desk.state}", desk.language)
        face = ui.font(int(u * 0.75), True)
        pill = pygame.Rect(0, 0, face.size(state)[0] + u, int(u * 1.4))
        pill.midleft = (u // 2, bar.centery)
        pygame.draw.rect(surface, STATE_COLORS.get(desk.state, ui.MUTED), pill, border_radius=u)
        pygame.draw.rect(surface, ui.WHITE, pill, width=1, border_radius=u)
        ui.draw_text(surface, state, int(u * 0.75), ui.WHITE, pill.center, bold=True,
                     anchor="center")
        name = desk.counter_name or (f"Loket {desk.counter_number}" if desk.counter_number else "")
        title = " · ".join(p for p in (name, desk.officer) if p)
        ui.draw_text(surface, title, int(u * 0.95), ui.WHITE, (pill.right + u // 2, bar.centery),
                     bold=True, anchor="midleft", max_width=language.left - pill.right - u)
        return [ui.Target(language, "language")]

    def _banners(self, surface: pygame.Surface, desk: Desk, top: int) -> int:
        u = self.unit
        width = surface.get_width()
        lines: list[tuple[str, ui.Color]] = []
        if not desk.online:
            key = "offline" if desk.counter_id is not None else "connecting"
            lines.append((say(key, desk.language), ui.DANGER))
        if desk.state == "paused" and desk.pause_reason:
            lines.append((f"{say('state_paused', desk.language)}: {desk.pause_reason}", ui.WARN))
        if desk.pending is not None:
            label = say(desk.pending.action, desk.language) if desk.pending.action in (
                "call_next", "recall", "start", "finish", "no_show", "transfer", "open", "pause",
                "resume", "return", "close") else desk.pending.action
            text = f"{say('sending', desk.language)}: {label} {desk.pending.number}…".replace(" …", "…")
            lines.append((text, ui.WARN if not desk.online else ui.MUTED))
        for text, color in lines:
            face = ui.font(int(u * 0.8), True)
            rows = ui.wrap(text, face, width - 2 * u)[:3]
            box = pygame.Rect(0, top, width, len(rows) * face.get_linesize() + u // 2)
            pygame.draw.rect(surface, color, box)
            y = box.top + u // 4
            for row in rows:
                ui.draw_text(surface, row, int(u * 0.8), ui.WHITE, (u, y), bold=True)
                y += face.get_linesize()
            top = box.bottom
        return top + u // 2

    # ------------------------------------------------------------ parts

    def _ticket(self, surface: pygame.Surface, desk: Desk, now: datetime,
                box: pygame.Rect) -> int:
        u = self.unit
        lang = desk.language
        card = pygame.Rect(box.left, box.top, box.width, max(box.height, u * 9))
        pygame.draw.rect(surface, ui.PANEL, card, border_radius=u // 2)
        pygame.draw.rect(surface, ui.LINE, card, width=1, border_radius=u // 2)
        current = desk.current
        inner = card.inflate(-u, -u)
        if current is None:
            ui.draw_text(surface, say("no_ticket", lang), int(u * 2), ui.MUTED,
                         (inner.centerx, inner.top + u), bold=True, anchor="midtop",
                         max_width=inner.width)
            hint = {"closed": "closed_hint", "paused": "paused_hint"}.get(desk.state,
                                                                          "no_ticket_hint")
            ui.draw_paragraph(surface, say(hint, lang), int(u * 0.85), ui.MUTED,
                              pygame.Rect(inner.left, inner.top + u * 4, inner.width, u * 3),
                              center=True)
            return card.bottom + u // 2
        status = say("serving" if current.status == "serving" else "called", lang)
        if current.call_count > 1 and current.status == "called":
            status += f" · {current.call_count} {say('times_called', lang)}"
        status_color = ui.OK if current.status == "serving" else ui.ACCENT
        ui.draw_text(surface, status, int(u * 0.85), status_color, inner.topleft, bold=True,
                     max_width=inner.width)
        if current.priority:
            ui.draw_text(surface, say("priority", lang), int(u * 0.8), ui.DANGER, inner.topright,
                         bold=True, anchor="topright")
        # A visit's line (where it goes next) takes some of the number's height.
        share = 0.45 if current.visit_step is None else 0.33
        size = ui.fitting_size(current.number, inner.width, int(min(u * 5, inner.height * share)),
                               bold=True)
        number = ui.draw_text(surface, current.number, size, ui.INK,
                              (inner.centerx, inner.top + int(u * 1.3)), bold=True, anchor="midtop")
        service = (current.service_name_en or current.service_name) if lang == "en" \
            else current.service_name
        service_box = ui.draw_text(surface, service, int(u * 0.95), ui.MUTED,
                                   (inner.centerx, number.bottom), anchor="midtop",
                                   max_width=inner.width)
        if current.visit_step is not None:
            # A visit: the officer sees this is one stop of several, and where it goes next.
            at, of = current.visit_step
            where = (say("visit_next", lang).format(where=pick(current.goes_next, lang))
                     if current.goes_next is not None else say("visit_last", lang))
            top = service_box.bottom + u // 6
            room = pygame.Rect(inner.left, top, inner.width, inner.bottom - int(u * 2.3) - top)
            ui.draw_fitted(surface, f"{say('visit_step', lang).format(at=at, of=of)} · {where}",
                           room, int(u * 0.8), ui.ACCENT, bold=True, center=True, max_lines=2,
                           min_size=int(u * 0.6))
        waited = (current.called_at - current.issued_at
                  if current.issued_at is not None and current.called_at is not None else None)
        if current.started_at is not None:
            running = (say("served_for", lang), duration(now - current.started_at))
        else:
            running = (say("since_call", lang),
                       duration(now - current.called_at) if current.called_at else "—")
        y = inner.bottom - int(u * 2.1)
        half = inner.width // 2
        for i, (label, value) in enumerate(((say("waited", lang), duration(waited)), running)):
            x = inner.left + i * half + half // 2
            ui.draw_text(surface, label, int(u * 0.8), ui.MUTED, (x, y - u // 6), anchor="midtop")
            ui.draw_text(surface, value, int(u * 1.1), ui.INK, (x, y + int(u * 0.9)), bold=True,
                         anchor="midtop")
        return card.bottom + u // 2

    def _message(self, surface: pygame.Surface, desk: Desk, box: pygame.Rect) -> int:
        message = desk.error or desk.notice
        if message is None or desk.login is not None:  # the login form shows its own message
            return box.top
        u = self.unit
        color = ui.DANGER if desk.error is not None else ui.OK
        bottom = ui.draw_fitted(surface, pick(message, desk.language),
                                pygame.Rect(box.left + u // 2, box.top, box.width - u, box.height),
                                int(u * 0.85), color, bold=True, min_size=int(u * 0.65))
        pygame.draw.rect(surface, color, pygame.Rect(box.left, box.top, u // 4, bottom - box.top))
        return bottom + u // 2

    def _state_label(self, desk: Desk) -> str:
        key = {"closed": "open", "paused": "resume"}.get(desk.state, "pause")
        return say(key, desk.language)

    def _buttons(self, surface: pygame.Surface, desk: Desk, area: pygame.Rect, *,
                 columns: int) -> list[ui.Target]:
        u = self.unit
        rows = -(-len(BUTTONS) // columns)
        gap = u // 3
        w = (area.width - gap * (columns - 1)) // columns
        h = min(u * 4, (area.height - gap * (rows - 1)) // rows)
        targets = []
        for index, (key, action) in enumerate(BUTTONS):
            row, column = divmod(index, columns)
            rect = pygame.Rect(area.left + column * (w + gap), area.top + row * (h + gap), w, h)
            label = self._state_label(desk) if action == "pause" else say(action, desk.language)
            enabled = desk.enabled(action)
            ink = ui.WHITE if enabled else ui.DISABLED
            pygame.draw.rect(surface, BUTTON_COLORS[action] if enabled else OFF_FILL, rect,
                             border_radius=u // 2)
            if not enabled:
                pygame.draw.rect(surface, ui.LINE, rect, width=1, border_radius=u // 2)
            # the key as a badge at the left, as large as the label beside it
            key_size = int(u * 0.9)
            badge = pygame.Rect(0, 0, ui.font(key_size, True).size("F10")[0] + u // 2,
                                int(u * 1.4))
            badge.midleft = (rect.left + u // 3, rect.centery)
            pygame.draw.rect(surface, ui.WHITE if enabled else ui.LINE, badge,
                             border_radius=u // 4)
            key_ink = BUTTON_COLORS[action] if enabled else ui.MUTED
            ui.draw_text(surface, key, key_size, key_ink, badge.center, bold=True,
                         anchor="center", exempt=not enabled)
            room = pygame.Rect(badge.right + u // 3, rect.top + 2, rect.right - badge.right - u // 2,
                               rect.height - 4)
            ui.draw_fitted(surface, label, room, int(u * 0.95), ink, bold=True, max_lines=2,
                           min_size=int(u * 0.75), middle=True, exempt=not enabled)
            if enabled:
                targets.append(ui.Target(rect, action))
        return targets

    def _queues(self, surface: pygame.Surface, desk: Desk, box: pygame.Rect) -> None:
        u = self.unit
        lang = desk.language
        if box.height < u * 2:
            return
        ui.draw_text(surface, say("queues", lang), int(u * 0.75), ui.MUTED, box.topleft, bold=True)
        y = box.top + int(u * 1.2)
        line = int(u * 1.2)
        for code in desk.services:
            if y + line > box.bottom - int(u * 1.4):
                break
            queue = desk.queue(code)
            prefix = next((s.prefix for s in desk.site_services if s.code == code), code[:1])
            ui.draw_text(surface, f"{prefix}  {desk.service_label(code)}", int(u * 0.85), ui.INK,
                         (box.left, y), max_width=box.width - u * 6)
            count = str(queue.waiting)
            if queue.waiting_priority:
                count = f"{queue.waiting_priority} {say('priority_short', lang)} · {count}"
            ui.draw_text(surface, count, int(u * 0.85), ui.INK, (box.right, y), bold=True,
                         anchor="topright")
            y += line
        ui.draw_text(surface, f"{say('served_today', lang)}: {desk.served_today}", int(u * 0.85),
                     ui.ACCENT, (box.left, min(y + u // 3, box.bottom - u)), bold=True)

    # ------------------------------------------------------------ overlays

    def _dialog(self, surface: pygame.Surface, title: str, height: int) -> pygame.Rect:
        u = self.unit
        shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        shade.fill((0, 0, 0, 120))
        surface.blit(shade, (0, 0))
        width = surface.get_width() - 2 * u
        box = pygame.Rect(0, 0, width, min(height, surface.get_height() - 4 * u))
        box.center = (surface.get_width() // 2, surface.get_height() // 2)
        pygame.draw.rect(surface, ui.PANEL, box, border_radius=u // 2)
        ui.draw_text(surface, title, int(u * 1.05), ui.INK, (box.left + u, box.top + u), bold=True,
                     max_width=box.width - 2 * u)
        return box

    def _picker(self, surface: pygame.Surface, desk: Desk, picker: Picker) -> list[ui.Target]:
        u = self.unit
        lang = desk.language
        row_h = int(u * 2.1)
        visible = max(3, min(len(picker.choices), (surface.get_height() - u * 12) // row_h))
        title = say(f"pick_{picker.kind}", lang)
        if picker.kind == "transfer" and desk.current is not None:
            title = f"{desk.current.number}: {title}"
        box = self._dialog(surface, title, u * 6 + visible * row_h)
        first = min(max(0, picker.index - visible + 1), max(0, len(picker.choices) - visible))
        targets = []
        y = box.top + int(u * 2.8)
        for index in range(first, min(len(picker.choices), first + visible)):
            _, label_id, label_en = picker.choices[index]
            row = pygame.Rect(box.left + u // 2, y, box.width - u, row_h - 4)
            chosen = index == picker.index
            pygame.draw.rect(surface, ui.ACCENT if chosen else ui.PAPER, row, border_radius=u // 3)
            ui.draw_text(surface, label_en if lang == "en" else label_id, int(u * 0.9),
                         ui.WHITE if chosen else ui.INK, (row.left + u // 2, row.centery),
                         bold=chosen, anchor="midleft", max_width=row.width - u)
            targets.append(ui.Target(row, f"pick:{index}"))
            y += row_h
        ui.draw_text(surface, say("picker_hint", lang), int(u * 0.75), ui.MUTED,
                     (box.centerx, box.bottom - u // 2), anchor="midbottom")
        return targets

    def _prompt(self, surface: pygame.Surface, desk: Desk, prompt: Prompt) -> list[ui.Target]:
        u = self.unit
        lang = desk.language
        title = say(f"prompt_{prompt.kind}", lang)
        if prompt.kind == "call_reason":
            title = f"{prompt.number} — {title}"
        box = self._dialog(surface, "", u * 12)
        bottom = ui.draw_paragraph(surface, title, int(u * 1.0), ui.INK,
                                   pygame.Rect(box.left + u, box.top + u, box.width - 2 * u, u * 3),
                                   bold=True, max_lines=2)
        field = pygame.Rect(box.left + u, bottom + u // 2, box.width - 2 * u, int(u * 2.4))
        self._field(surface, field, prompt.text + "▏", active=True)
        if desk.error is not None:
            ui.draw_paragraph(surface, pick(desk.error, lang), int(u * 0.75), ui.DANGER,
                              pygame.Rect(field.left, field.bottom + u // 3, field.width, u * 2),
                              max_lines=2)
        ui.draw_text(surface, say("prompt_hint", lang), int(u * 0.75), ui.MUTED,
                     (box.centerx, box.bottom - u // 2), anchor="midbottom")
        return []

    def _field(self, surface: pygame.Surface, rect: pygame.Rect, text: str, *, active: bool) -> None:
        u = self.unit
        pygame.draw.rect(surface, ui.WHITE, rect, border_radius=u // 3)
        pygame.draw.rect(surface, ui.ACCENT if active else ui.LINE, rect, width=2,
                         border_radius=u // 3)
        face = ui.font(int(u * 1.0))
        shown = text
        while shown and face.size(shown)[0] > rect.width - u:
            shown = shown[1:]  # keep the end (where the cursor is) in view
        ui.draw_text(surface, shown, int(u * 1.0), ui.INK, (rect.left + u // 2, rect.centery),
                     anchor="midleft")

    def _login(self, surface: pygame.Surface, desk: Desk, form: LoginForm) -> list[ui.Target]:
        u = self.unit
        lang = desk.language
        message = say("logging_in", lang) if form.busy else (
            pick(desk.error, lang) if desk.error is not None and desk.session != "expired" else "")
        width = surface.get_width() - 4 * u
        message_h = ui.paragraph_height(message, int(u * 0.85), width, bold=True) if message else 0
        box = self._dialog(surface, say("login_title", lang), u * 15 + message_h)
        y = box.top + int(u * 2.6)
        if desk.session == "expired":
            y = ui.draw_paragraph(surface, say("login_again", lang), int(u * 0.8), ui.WARN,
                                  pygame.Rect(box.left + u, y, box.width - 2 * u, u * 3),
                                  bold=True, max_lines=2) + u // 3
        for field in ("username", "password"):
            ui.draw_text(surface, say(field, lang), int(u * 0.8), ui.MUTED, (box.left + u, y))
            y += int(u * 1.1)
            rect = pygame.Rect(box.left + u, y, box.width - 2 * u, int(u * 2.2))
            value = form.username if field == "username" else "•" * len(form.password)
            active = form.field == field and not form.busy
            self._field(surface, rect, value + ("▏" if active else ""), active=active)
            y = rect.bottom + u // 2
        if message:  # whole: a refusal says whose counter this is and what to do
            ui.draw_paragraph(surface, message, int(u * 0.85),
                              ui.MUTED if form.busy else ui.DANGER,
                              pygame.Rect(box.left + u, y, box.width - 2 * u,
                                          box.bottom - y - int(u * 1.4)), bold=True)
        ui.draw_text(surface, say("login_hint", lang), int(u * 0.75), ui.MUTED,
                     (box.centerx, box.bottom - u // 2), anchor="midbottom")
        return []
