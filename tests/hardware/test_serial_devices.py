"""The device bus against simulated devices over real serial lines (socat pty pairs, loop://)."""

from __future__ import annotations

import queue

import pytest
from hwsupport import PtyPair, pty_pair_fixture, wait_until

from hardware.serial import AntreanCodec, DeviceBus, Key, KeyEvent, RatingEvent, RatingTracker
from hardware.serial.codec import Cmd
from hardware.serial.devices import Backoff
from hardware.serial.simulators import KeypadSimulator, LedDisplaySimulator

pty_pair = pty_pair_fixture  # the socat pty pair fixture, under its usual name
FAST = Backoff(initial=0.05, maximum=0.2)


def _next(bus: DeviceBus) -> object:
    return bus.events.get(timeout=15)  # safety net only: the event is awaited, not timed


def test_backoff_doubles_up_to_a_maximum() -> None:
    backoff = Backoff(initial=0.5, maximum=3.0)
    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_key_press_becomes_one_acknowledged_event(pty_pair: PtyPair) -> None:
    with DeviceBus(str(pty_pair.host), backoff=FAST) as bus:
        assert bus.link.connected.wait(15)
        keypad = KeypadSimulator(str(pty_pair.device), address=4)
        try:
            frame = keypad.press(Key.NEXT)
            event = _next(bus)
            assert event == KeyEvent(4, Key.NEXT, 1)
            assert isinstance(event, KeyEvent) and event.command == "call-next"
            assert wait_until(lambda: bool(keypad.read_acks()))
            assert keypad.acks[0].payload == bytes([Cmd.KEY, 1])
            keypad.resend(frame)  # the keypad did not hear the ACK: the same press again
            keypad.press(Key.RECALL)
            assert _next(bus) == KeyEvent(4, Key.RECALL, 2)  # the resend was not a second NEXT
            keypad.port.write(b"\x02\x02\x02garbage\xff\x03" + AntreanCodec.key(4, Key.PAUSE, 3))
            assert _next(bus) == KeyEvent(4, Key.PAUSE, 3)
            assert bus.events.empty()
        finally:
            keypad.close()


def test_satisfaction_keypad_rates_the_last_finished_ticket(pty_pair: PtyPair) -> None:
    tracker = RatingTracker()
    with DeviceBus(str(pty_pair.host), backoff=FAST) as bus:
        assert bus.link.connected.wait(15)
        keypad = KeypadSimulator(str(pty_pair.device), address=9)
        try:
            tracker.finished(9, ticket_id=1234)
            keypad.rate(4)
            event = _next(bus)
            assert isinstance(event, RatingEvent)
            assert tracker.rate(event) == (1234, 4)
            keypad.rate(1)  # a second press rates nothing: that ticket is rated
            second = _next(bus)
            assert isinstance(second, RatingEvent) and tracker.rate(second) is None
        finally:
            keypad.close()


def test_led_displays_show_blank_and_come_back_after_the_cable_is_pulled(
    pty_pair: PtyPair,
) -> None:
    with DeviceBus(str(pty_pair.host), backoff=FAST) as bus:
        assert bus.link.connected.wait(15)
        leds = LedDisplaySimulator(str(pty_pair.device)).start()
        bus.show(3, "A-012")
        bus.show(5, "B-001")
        assert leds.wait_for(3, "A012") and leds.wait_for(5, "B001")
        bus.blank(5)
        assert leds.wait_for(5, None)
        leds.stop()

        pty_pair.pull()
        assert wait_until(lambda: not bus.link.connected.is_set())
        bus.show(3, "A-013")  # while the cable is out: remembered, not lost
        pty_pair.plug()
        assert wait_until(lambda: bus.link.connections == 2)
        leds = LedDisplaySimulator(str(pty_pair.device)).start()
        bus.show(7, "C-100")
        assert leds.wait_for(7, "C100")
        leds.stop()
        assert bus.displays() == {3: "A-013", 5: None, 7: "C-100"}

        keypad = KeypadSimulator(str(pty_pair.device), address=4)
        keypad.press(Key.FINISH)
        assert _next(bus) == KeyEvent(4, Key.FINISH, 1)
        keypad.close()


def test_displays_are_refreshed_on_reconnect(pty_pair: PtyPair) -> None:
    leds = LedDisplaySimulator(str(pty_pair.device)).start()
    with DeviceBus(str(pty_pair.host), backoff=FAST) as bus:
        bus.show(2, "D-004")
        assert wait_until(lambda: bus.link.connected.is_set())
        assert leds.wait_for(2, "D004")  # shown on connect even if sent before it
    leds.stop()


def test_our_own_frames_echoed_on_the_bus_are_not_keys() -> None:
    # loop:// echoes every byte back, like a two-wire RS-485 bus hearing itself
    with DeviceBus("loop://", backoff=FAST) as bus:
        assert bus.link.connected.wait(15)
        bus.show(1, "A-001")
        bus.blank(1)
        bus.link.write(AntreanCodec.key(1, Key.NO_SHOW, 1))  # a keypad talking on the bus
        assert _next(bus) == KeyEvent(1, Key.NO_SHOW, 1)
        with pytest.raises(queue.Empty):
            bus.events.get_nowait()  # no phantom key from SHOW, BLANK or the ACK we sent


def test_a_failing_handler_does_not_stop_the_reader() -> None:
    seen: list[object] = []

    def handler(event: object) -> None:
        seen.append(event)
        if len(seen) == 1:
            raise RuntimeError("bug in the app")

    with DeviceBus("loop://", backoff=FAST, on_event=handler) as bus:
        assert bus.link.connected.wait(15)
        bus.link.write(AntreanCodec.key(1, Key.NEXT, 1))
        bus.link.write(AntreanCodec.key(1, Key.NEXT, 2))
        assert wait_until(lambda: len(seen) == 2)


def test_unknown_protocol_is_refused() -> None:
    with pytest.raises(ValueError, match="antrean"):
        DeviceBus("loop://", codec="vendor-x")
