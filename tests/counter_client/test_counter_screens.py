"""Drawing the desk under SDL's dummy drivers: every state draws, buttons follow the desk, and
the pictures are written for a person to look at (ANTREAN_SCREENSHOTS=DIR keeps them)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import DEJAVU, need_system_package
from counter_samples import NOW, SERVICES, counter, snapshot, ticket

from common import ui

ui.use_headless_drivers()
import pygame  # noqa: E402

from counter_client import desk  # noqa: E402
from counter_client.app import write_screenshots  # noqa: E402
from counter_client.screens import SHORTCUTS, CounterView  # noqa: E402

SIZES = [(480, 720), (640, 480)]


def base() -> desk.Desk:
    d = desk.Desk(session="active", officer="Siti Aminah", username="siti")
    d, _ = desk.step(d, desk.Catalog(counter(), SERVICES))
    d, _ = desk.step(d, desk.Synced(snapshot(ticket(status="serving", started=True))))
    d, _ = desk.step(d, desk.Connection(True))
    return replace(d, served=frozenset({1, 2, 3}))


def states() -> list[tuple[str, desk.Desk]]:
    d = base()
    return [
        ("serving", d),
        ("called-twice", replace(d, current=replace(d.current, status="called", started_at=None,
                                                      call_count=2))),  # type: ignore[type-var]
        ("empty", replace(d, current=None, notice=("Tidak ada yang menunggu di layanan loket ini.",
                                                   "Nobody is waiting."))),
        ("error", replace(d, error=("Loket 4 sudah memanggil A-013.",
                                    "Loket 4 already called A-013."))),
        ("offline", replace(d, online=False, pending=desk.Command("finish", 101, number="A-013"))),
        ("transfer", desk.step(d, desk.Press("transfer"))[0]),
        ("pause-reason", desk.step(replace(d, current=None), desk.Press("pause"))[0]),
        ("call-reason", replace(d, modal=desk.Prompt("call_reason", "lansia, kursi roda", 5,
                                                     "B-004"))),
        ("check-in", replace(d, modal=desk.Prompt("check_in", "K7Q2MX9PLA"))),
        ("checked-in", replace(d, notice=("A-021 sudah check-in dan masuk antrean KTP.",
                                          "A-021 is checked in and in the KTP line."))),
        ("paused-english", replace(d, current=None, state="paused", pause_reason="Salat Jumat",
                                   language="en")),
        ("closed", replace(d, current=None, state="closed")),
        ("visit", replace(d, current=replace(d.current, visit_step=(2, 3), goes_next=(  # type: ignore[type-var]
            "NPWP", "Tax number")))),
        ("login", desk.Desk(login=desk.LoginForm(username="siti", password="abc",
                                                 field="password"))),
        ("session-expired", replace(d, session="expired",
                                    login=desk.LoginForm(username="siti", field="password"))),
        ("wrong-agency", desk.Desk(login=desk.LoginForm(username="budi"), error=(
            "Loket 1 adalah loket Dinas Kependudukan dan Pencatatan Sipil; Anda petugas Samsat. "
            "Masuklah di loket instansi Anda.", "Loket 1 is a counter of Civil Registry; you are "
            "an officer of Samsat. Log in at a counter of your own agency."))),
    ]


@pytest.fixture(scope="module")
def view() -> CounterView:
    need_system_package(DEJAVU.exists(), "the DejaVu fonts", "fonts-dejavu-core")
    pygame.init()
    return CounterView()


def test_every_state_draws_at_both_sizes(view: CounterView, tmp_path: Path) -> None:
    directory = Path(os.environ.get("ANTREAN_SCREENSHOTS", tmp_path))
    written = write_screenshots(view, states(), directory, SIZES, NOW)
    assert len(written) == len(states()) * len(SIZES)
    assert all(path.stat().st_size > 2000 for path in written)


@pytest.mark.parametrize("size", SIZES)
def test_buttons_follow_the_desk(view: CounterView, size: tuple[int, int]) -> None:
    surface = pygame.Surface(size)
    actions = {t.action for t in view.draw(surface, base(), NOW)}
    assert {"call_next", "recall", "finish", "no_show", "transfer", "pause", "language"} <= actions
    assert "start" not in actions  # already being served
    assert "close" not in actions  # a ticket is at the counter
    offline = replace(base(), online=False)
    assert {t.action for t in view.draw(surface, offline, NOW)} == {"language"}


def test_offline_shows_a_red_banner_and_keeps_the_ticket(view: CounterView) -> None:
    surface = pygame.Surface((480, 720))
    view.draw(surface, replace(base(), online=False), NOW)
    banner = surface.get_at((5, 60))[:3]
    assert banner == ui.DANGER
    online = pygame.Surface((480, 720))
    view.draw(online, base(), NOW)
    assert online.get_at((5, 60))[:3] != ui.DANGER


def test_a_picker_offers_its_choices_to_the_mouse(view: CounterView) -> None:
    surface = pygame.Surface((480, 720))
    picking = desk.step(base(), desk.Press("transfer"))[0]
    actions = [t.action for t in view.draw(surface, picking, NOW)]
    assert actions[0] == "language" and "pick:0" in actions and "call_next" not in actions


def test_every_button_has_a_function_key() -> None:
    assert set(SHORTCUTS.values()) >= {"call_next", "recall", "start", "finish", "no_show",
                                       "transfer", "pause", "return", "call", "close", "language"}


class _Core:
    """Just enough of CounterCore for the window: the desk, and the effects it asked for."""

    def __init__(self, state: desk.Desk) -> None:
        self.desk = state
        self.effects: list[desk.Effect] = []

    def pump(self) -> desk.Desk:
        return self.desk

    def dispatch(self, event: desk.Event) -> None:
        self.desk, effects = desk.step(self.desk, event)
        self.effects.extend(effects)


def test_function_keys_text_and_clicks_reach_the_desk(view: CounterView) -> None:
    from counter_client.app import CounterWindow

    core = _Core(base())
    window = CounterWindow(core, view, pygame.Surface((480, 720)), wall=lambda: NOW)  # type: ignore[arg-type]
    window.draw()
    window.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F6, mod=0, unicode=""))
    assert isinstance(core.desk.modal, desk.Picker) and core.desk.modal.kind == "transfer"
    window.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode=""))
    assert core.desk.modal is None
    window.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F9, mod=0, unicode=""))
    window.handle(pygame.event.Event(pygame.TEXTINPUT, text="a7"))
    assert isinstance(core.desk.modal, desk.Prompt) and core.desk.modal.text == "a7"
    window.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode=""))
    window.draw()
    finish = next(t for t in window.targets if t.action == "finish")
    window.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=finish.rect.center))
    [send] = core.effects
    assert isinstance(send, desk.Send) and send.command.path == "/api/v1/tickets/101/finish"


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_every_state_is_whole_inside_and_readable(view: CounterView, size: tuple[int, int],
                                                  language: str) -> None:
    for name, state in states():
        surface = pygame.Surface(size)
        with ui.watching_text() as report:
            targets = view.draw(surface, replace(state, language=language), NOW)
        where = f"{size} {language} {name}"
        assert report.cut == [], f"{where}: cut {report.cut}"
        assert report.outside == [], f"{where}: beyond the window {report.outside}"
        assert report.low_contrast() == [], f"{where}: below WCAG AA {report.low_contrast()}"
        assert all(surface.get_rect().contains(t.rect) for t in targets), where


@pytest.mark.parametrize("size", SIZES)
def test_function_keys_are_as_large_as_their_labels(view: CounterView, size: tuple[int, int]
                                                    ) -> None:
    with ui.watching_text() as report:
        view.draw(pygame.Surface(size), base(), NOW)
    keys = [t for t in report.drawn if t.text in SHORTCUTS and t.text.startswith("F")]
    assert {t.text for t in keys} == {f"F{n}" for n in range(1, 11)}
    finish = next(t for t in report.drawn if t.text == "Selesai")
    assert min(t.size for t in keys) >= finish.size * 0.9  # no longer a footnote on the button
    assert all(t.size >= int(view.unit * 0.9) for t in keys)


def test_the_wait_is_labelled_as_the_time_spent_in_line(view: CounterView) -> None:
    for language, label in (("id", "Lama menunggu"), ("en", "Waited in line")):
        with ui.watching_text() as report:
            view.draw(pygame.Surface((480, 720)), replace(base(), language=language), NOW)
        texts = [t.text for t in report.drawn]
        assert label in texts and "Menunggu" not in texts
        assert texts[texts.index(label) + 1] == "19:00"  # issued 23 minutes before, called at 4
