"""A USB keyboard-wedge scanner: its keystrokes go through pygame's real event queue (SDL's
dummy video driver) into ``KeyboardWedge``, as the kiosk's main loop would hand them over; a
person typing on a stray keyboard is not a scan."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence

import pytest

from common import ui

ui.use_headless_drivers()

import pygame  # noqa: E402

from hardware.scanner import (  # noqa: E402
    KeyboardWedge,
    ScannerSource,
    SimulatedSerialScanner,
    make_scanner,
)
from hardware.scanner.simulator import (  # noqa: E402
    Keystroke,
    play_keystrokes,
    typed_keystrokes,
    wedge_keystrokes,
)

BOOKING = "BK-7QX2P9"


@pytest.fixture(autouse=True)
def event_queue() -> Iterator[None]:
    pygame.display.init()
    pygame.display.set_mode((64, 64))
    pygame.event.clear()
    yield
    pygame.display.quit()


def run_kiosk_loop(wedge: KeyboardWedge, strokes: Sequence[Keystroke]) -> list[str]:
    """Post ``strokes`` from another thread while this one pumps the queue, a frame a
    millisecond, feeding every event to ``wedge``; the codes ``feed`` returned."""
    player = play_keystrokes(strokes)
    codes: list[str] = []
    deadline = time.monotonic() + strokes[-1].at_ms / 1000 + 5
    while time.monotonic() < deadline:
        for event in pygame.event.get():
            code = wedge.feed(event)
            if code is not None:
                codes.append(code)
        if not player.is_alive() and not pygame.event.peek():
            break
        time.sleep(0.001)
    return codes


def test_a_scanners_burst_through_the_event_queue_is_one_code() -> None:
    wedge = KeyboardWedge()
    assert run_kiosk_loop(wedge, wedge_keystrokes(BOOKING)) == [BOOKING]
    assert wedge.poll() == [BOOKING] and wedge.poll() == []
    assert wedge.status().ok


def test_a_qr_url_with_capitals_and_symbols_comes_through_whole() -> None:
    url = "https://mpp.example.go.id/b/7QX2P9?k=Zt81"
    wedge = KeyboardWedge()
    strokes = wedge_keystrokes(url, jitter_ms=4, seed=3)
    assert any(s.event.key == pygame.K_LSHIFT for s in strokes)  # Shift around the capitals
    assert run_kiosk_loop(wedge, strokes) == [url]


def test_a_person_typing_the_same_code_is_not_a_scan() -> None:
    wedge = KeyboardWedge()
    strokes = typed_keystrokes(BOOKING, seed=1)
    typed = [s.at_ms for s in strokes if s.event.type == pygame.KEYDOWN and s.event.unicode]
    gaps = [later - earlier for earlier, later in itertools.pairwise(typed)]
    assert min(gaps) > 50  # slower than any scanner
    assert run_kiosk_loop(wedge, strokes) == []
    assert wedge.ignored == 1 and wedge.poll() == []


def test_keys_typed_before_a_scan_are_not_glued_to_its_code() -> None:
    wedge = KeyboardWedge()
    typed = [s for s in typed_keystrokes("xyz", seed=2) if s.event.key != pygame.K_RETURN]
    scan_at = typed[-1].at_ms + 300
    scanned = [Keystroke(scan_at + s.at_ms, s.event) for s in wedge_keystrokes(BOOKING)]
    assert run_kiosk_loop(wedge, typed + scanned) == [BOOKING]


class Clock:
    """Milliseconds the test sets, for the rules where the queue's timing is not the point."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


def _key(char: str) -> pygame.event.Event:
    key = pygame.K_RETURN if char == "\r" else ord(char.lower())
    return pygame.event.Event(pygame.KEYDOWN, key=key, unicode=char, mod=0, scancode=0)


def _type(wedge: KeyboardWedge, clock: Clock, text: str, gaps_ms: Sequence[int]) -> str | None:
    result = None
    for char, gap in zip(text, gaps_ms, strict=True):
        clock.now += gap
        result = wedge.feed(_key(char))
    return result


def test_one_slow_gap_or_a_late_enter_breaks_a_burst() -> None:
    clock = Clock()
    wedge = KeyboardWedge(max_gap_ms=50, clock=clock)
    assert _type(wedge, clock, "BK-0001\r", [0, 8, 8, 8, 8, 8, 8, 8]) == "BK-0001"
    # a pause in the middle: only what followed it counts, and it is too short to be a code
    assert _type(wedge, clock, "BK-0002\r", [500, 8, 8, 8, 8, 80, 8, 8]) is None
    assert _type(wedge, clock, "BK-0003\r", [500, 8, 8, 8, 8, 8, 8, 51]) is None
    assert _type(wedge, clock, "BK-0004\r", [500, 50, 50, 50, 50, 50, 50, 50]) == "BK-0004"
    assert _type(wedge, clock, "BK\r", [500, 8, 8]) is None  # too short for a code
    assert wedge.poll() == ["BK-0001", "BK-0004"]


def test_keyups_and_other_events_do_not_disturb_a_burst() -> None:
    clock = Clock()
    wedge = KeyboardWedge(clock=clock)
    for char in "BK-0005":
        clock.now += 8
        assert wedge.feed(_key(char)) is None
        assert wedge.feed(pygame.event.Event(pygame.KEYUP, key=ord(char.lower()), unicode=char)) is None
        assert wedge.feed(pygame.event.Event(pygame.MOUSEMOTION, pos=(1, 1))) is None
    clock.now += 8
    assert wedge.feed(_key("\r")) == "BK-0005"


def test_a_closed_wedge_takes_nothing_and_says_so() -> None:
    clock = Clock()
    wedge: ScannerSource = KeyboardWedge(clock=clock)
    wedge.close()
    assert isinstance(wedge, KeyboardWedge)
    assert _type(wedge, clock, "BK-0006\r", [8] * 8) is None
    status = wedge.status()
    assert not status.ok and status.message and status.message_en


def test_one_kiosk_loop_serves_either_scanner() -> None:
    """The wiring the kiosk does: hand each frame's key events to a wedge, then poll."""

    def frames_until(scanner: ScannerSource, count: int) -> list[str]:
        codes: list[str] = []
        deadline = time.monotonic() + 15
        while len(codes) < count and time.monotonic() < deadline:
            for event in pygame.event.get():
                if isinstance(scanner, KeyboardWedge):
                    scanner.feed(event)
            codes += scanner.poll()
            time.sleep(0.005)
        return codes

    wedge = KeyboardWedge()
    play_keystrokes(wedge_keystrokes(BOOKING))
    assert frames_until(wedge, 1) == [BOOKING]

    serial_scanner = make_scanner("sim")
    assert isinstance(serial_scanner, SimulatedSerialScanner)
    try:
        deadline = time.monotonic() + 15
        while not serial_scanner.status().ok and time.monotonic() < deadline:
            time.sleep(0.01)
        serial_scanner.simulator.scan(BOOKING)
        assert frames_until(serial_scanner, 1) == [BOOKING]
    finally:
        serial_scanner.close()
