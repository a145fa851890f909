"""Several keypads and hosts on one RS-485 line: socat pty pairs joined by a simulated two-wire
bus with its timing, where two devices talking at once garble each other."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hwsupport import PtyPair, wait_until

from hardware.serial import DeviceBus, Key, KeyEvent
from hardware.serial.bus_simulator import Rs485Bus
from hardware.serial.devices import Backoff
from hardware.serial.simulators import KeypadDevice, LedDisplaySimulator

FAST = Backoff(initial=0.05, maximum=0.2)


@dataclass
class Line:
    plugs: list[str]  # each plug's port, for one device or host
    bus: Rs485Bus


@contextmanager
def _line(tmp_path: Path, plugs: int, baudrate: int) -> Iterator[Line]:
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed")
    pairs = [PtyPair(host=tmp_path / f"plug{i}", device=tmp_path / f"wire{i}") for i in range(plugs)]
    for pair in pairs:
        pair.plug()
    bus = Rs485Bus([str(p.device) for p in pairs], baudrate=baudrate).start()
    try:
        yield Line([str(p.host) for p in pairs], bus)
    finally:
        bus.stop()
        for pair in pairs:
            pair.pull()


@pytest.fixture
def line(tmp_path: Path) -> Iterator[Line]:
    """Six plugs on one bus at 9600 baud."""
    with _line(tmp_path, 6, 9600) as joined:
        yield joined


def _hosts(*specs: tuple[str, set[int] | None]) -> list[DeviceBus]:
    hosts = [DeviceBus(url, backoff=FAST, serves=serves).start() for url, serves in specs]
    for host in hosts:
        assert host.link.connected.wait(15)
    return hosts


def _events(host: DeviceBus) -> list[KeyEvent]:
    found = []
    while not host.events.empty():
        event = host.events.get_nowait()
        assert isinstance(event, KeyEvent)
        found.append(event)
    return found


def test_a_foreign_press_is_not_acknowledged_by_the_wrong_host(line: Line) -> None:
    (host,) = _hosts((line.plugs[0], {1}))  # counter 1's PC; counter 2's keypad shares its bus
    mine = KeypadDevice(line.plugs[1], 1, attempts=3, seed=1)
    foreign = KeypadDevice(line.plugs[2], 2, attempts=3, seed=2)
    try:
        mine.press(Key.NEXT)
        foreign.press(Key.NEXT)
        assert wait_until(lambda: mine.idle() and foreign.idle(), 30)
        assert len(mine.delivered) == 1
        # nobody serves keypad 2: it hears no ACK, gives up and says so (a beep, a red light)
        assert foreign.delivered == [] and len(foreign.given_up) == 1
        assert foreign.given_up[0].attempts == 3
        assert [(e.address, e.key) for e in _events(host)] == [(1, Key.NEXT)]
        assert 1 <= host.ignored <= 3  # its attempts heard (one may have collided), none acked
    finally:
        mine.close()
        foreign.close()
        host.stop()


def test_two_hosts_on_one_bus_each_serve_their_own(line: Line) -> None:
    first, second = _hosts((line.plugs[0], {1}), (line.plugs[1], {2}))
    keypads = [KeypadDevice(line.plugs[2], 1, seed=3), KeypadDevice(line.plugs[3], 2, seed=4)]
    try:
        for keypad in keypads:
            keypad.press(Key.FINISH)
            assert wait_until(keypad.idle, 30)  # one after the other: no collision here
        assert [len(k.delivered) for k in keypads] == [1, 1]
        assert [e.address for e in _events(first)] == [1]
        assert [e.address for e in _events(second)] == [2]
    finally:
        for keypad in keypads:
            keypad.close()
        first.stop()
        second.stop()


def test_one_process_serving_several_keypads_acts_on_each(line: Line) -> None:
    (host,) = _hosts((line.plugs[0], {1, 2}))
    keypads = [KeypadDevice(line.plugs[1], 1, seed=5), KeypadDevice(line.plugs[2], 2, seed=6)]
    try:
        keypads[0].press(Key.NEXT)
        assert wait_until(keypads[0].idle, 30)
        keypads[1].press(Key.RECALL)
        assert wait_until(keypads[1].idle, 30)
        assert [len(k.delivered) for k in keypads] == [1, 1]
        assert [(e.address, e.key) for e in _events(host)] == [(1, Key.NEXT), (2, Key.RECALL)]
    finally:
        for keypad in keypads:
            keypad.close()
        host.stop()


def test_a_power_cycled_keypads_first_press_is_acted_on(line: Line) -> None:
    (host,) = _hosts((line.plugs[0], {3}))
    keypad = KeypadDevice(line.plugs[1], 3, seed=7)
    try:
        keypad.press(Key.NEXT)
        assert wait_until(keypad.idle, 30)
        before = keypad.boot
        keypad.power_on()  # the power strip was switched off and on
        assert keypad.boot != before
        keypad.press(Key.NEXT)  # sequence 1 again, the same key
        assert wait_until(keypad.idle, 30)
        events = _events(host)
        assert [(e.key, e.seq) for e in events] == [(Key.NEXT, 1), (Key.NEXT, 1)]
        assert events[0].boot == before and events[1].boot == keypad.boot
    finally:
        keypad.close()
        host.stop()


def test_two_keypads_that_collide_both_get_through_in_bounded_time(tmp_path: Path) -> None:
    # At 2400 baud a key frame is 37 ms on the wire: two keypads pressed together overlap.
    with _line(tmp_path, 3, 2400) as line:
        (host,) = _hosts((line.plugs[0], {1, 2}))
        keypads = [KeypadDevice(line.plugs[1], 1, seed=11), KeypadDevice(line.plugs[2], 2, seed=12)]
        # the longest a press can take: every attempt's wait for an ACK, and each backoff
        first = keypads[0]
        bound = sum(first.ack_seconds + min(first.max_backoff_seconds, first.backoff_seconds * 2**n)
                    for n in range(1, first.attempts + 1))
        try:
            for _ in range(5):
                for keypad in keypads:
                    keypad.press(Key.NEXT)
                assert wait_until(lambda: all(k.idle() for k in keypads), bound + 10)
            deliveries = [d for k in keypads for d in k.deliveries]
            took = [d.acked_at - d.pressed_at for d in deliveries if d.acked_at is not None]
            assert len(deliveries) == len(took) == 10
            assert max(took) <= bound
            assert sorted(e.address for e in _events(host)) == [1] * 5 + [2] * 5
            assert line.bus.collisions >= 1  # they did collide, and got through all the same
            print(f"\n{line.bus.collisions} collisions in 5 rounds; the slowest press took "
                  f"{max(took):.2f} s (bound {bound:.1f} s)")
        finally:
            for keypad in keypads:
                keypad.close()
            host.stop()


def test_a_polled_bus_never_collides(line: Line) -> None:
    poller = DeviceBus(line.plugs[0], backoff=FAST, serves={1, 2, 3}, poll=True).start()
    keypads = [KeypadDevice(line.plugs[i + 1], i + 1, polled=True, seed=20 + i) for i in range(3)]
    try:
        assert poller.link.connected.wait(15)
        for _ in range(3):
            for keypad in keypads:
                keypad.press(Key.START)
            assert wait_until(lambda: all(k.idle() for k in keypads), 30)
        assert all(len(k.delivered) == 3 for k in keypads)
        assert sorted(e.address for e in _events(poller)) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
        assert line.bus.collisions == 0
    finally:
        for keypad in keypads:
            keypad.close()
        poller.stop()


def test_255_shows_on_every_display_and_0_is_refused(line: Line) -> None:
    (host,) = _hosts((line.plugs[0], None))
    leds = LedDisplaySimulator(line.plugs[1]).start()
    try:
        host.show(3, "A-012")
        host.show(5, "B-001")
        assert leds.wait_for(3, "A012") and leds.wait_for(5, "B001")
        host.show(255, "TUTUP")  # broadcast: the hall closes
        assert leds.wait_for(3, "TUTUP") and leds.wait_for(5, "TUTUP")
        with pytest.raises(ValueError):
            host.show(0, "A-001")
        with pytest.raises(ValueError):
            host.serve({255})
    finally:
        leds.stop()
        host.stop()
