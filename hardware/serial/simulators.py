"""Simulated counter devices, to drive a demo hall or a test through a real serial line.

Pair them with the host through socat (``socat pty,raw,echo=0,link=/tmp/bus
pty,raw,echo=0,link=/tmp/dev``) or a TCP socket (``socket://``). ``KeypadDevice`` behaves as a
keypad's firmware does (a boot number at power-up, resends with a random backoff, or answers to
polls); ``hardware.serial.bus_simulator.Rs485Bus`` joins several such ports into one shared line.
"""

from __future__ import annotations

import logging
import os
import random
import select
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import serial

from hardware.serial.codec import BROADCAST, AntreanCodec, Cmd, Frame, FrameDecoder, Key

log = logging.getLogger(__name__)


class KeypadSimulator:
    """A call keypad or satisfaction keypad at ``address`` that records the host's ACKs."""

    def __init__(self, url: str, address: int, *, baudrate: int = 9600) -> None:
        self.address = address
        self.port: Any = serial.serial_for_url(url, baudrate=baudrate, timeout=0.1)
        self._seq = 0
        self._decoder = FrameDecoder()
        self.acks: list[Frame] = []

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFF
        return self._seq

    def press(self, key: Key) -> bytes:
        frame = AntreanCodec.key(self.address, key, self._next_seq())
        self.port.write(frame)
        return frame

    def rate(self, rating: int) -> bytes:
        frame = AntreanCodec.rating(self.address, rating, self._next_seq())
        self.port.write(frame)
        return frame

    def resend(self, frame: bytes) -> None:
        """Send the same frame again, as a keypad does when it saw no ACK."""
        self.port.write(frame)

    def read_acks(self) -> list[Frame]:
        frames = self._decoder.feed(self.port.read(256))
        acks = [f for f in frames if f.command == Cmd.ACK and f.address == self.address]
        self.acks += acks
        return acks

    def close(self) -> None:
        self.port.close()


class LedDisplaySimulator:
    """LED displays at every address of a bus: remembers what each shows."""

    def __init__(self, url: str, *, baudrate: int = 9600, echo: bool = False) -> None:
        self.port: Any = serial.serial_for_url(url, baudrate=baudrate, timeout=0.1)
        self.shown: dict[int, str | None] = {}
        self.changed = threading.Condition()
        self._decoder = FrameDecoder()
        self._echo = echo
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="led-sim", daemon=True)

    def start(self) -> LedDisplaySimulator:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.port.read(256)
            except (serial.SerialException, OSError, TypeError):
                log.warning("LED display simulator: line lost")
                return
            for frame in self._decoder.feed(data):
                if frame.command not in (Cmd.SHOW, Cmd.BLANK):
                    continue
                text = frame.payload.decode("ascii", "replace") if frame.command == Cmd.SHOW else None
                with self.changed:
                    if frame.address == BROADCAST:  # every display on the line
                        self.shown.update(dict.fromkeys(self.shown, text))
                    self.shown[frame.address] = text
                    self.changed.notify_all()
                if self._echo:
                    print(f"display {frame.address:3d}: {text or '(blank)'}", flush=True)

    def wait_for(self, address: int, text: str | None, timeout: float = 15.0) -> bool:
        with self.changed:
            return self.changed.wait_for(
                lambda: address in self.shown and self.shown[address] == text, timeout
            )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.port.close()


# -- a keypad's firmware ----------------------------------------------------------------------
@dataclass
class _Pending:
    frame: bytes
    command: int
    seq: int
    pressed_at: float
    attempts: int = 0


@dataclass
class Delivery:
    """One press and what became of it."""

    command: int
    seq: int
    pressed_at: float
    acked_at: float | None = None
    attempts: int = 0


class KeypadDevice:
    """A call or satisfaction keypad at ``address`` as its firmware behaves, on its own thread.

    At power-up it draws a boot number (1-255) and numbers its presses from 1. A press is sent
    after the line has been quiet for ``quiet_seconds``; without an ACK in ``ack_seconds`` it is
    sent again after a random wait (up to ``backoff_seconds`` times 2 to the number of tries so
    far, capped at ``max_backoff_seconds``), at most ``attempts`` times, then given up (a real
    keypad beeps). ``fixed_retry`` plays the old firmware's fixed 300 ms instead. With
    ``polled=True`` it speaks only when the host polls it.
    """

    def __init__(self, url: str, address: int, *, baudrate: int = 9600, polled: bool = False,
                 ack_seconds: float = 0.3, attempts: int = 8, backoff_seconds: float = 0.1,
                 max_backoff_seconds: float = 1.0, fixed_retry: float | None = None,
                 quiet_seconds: float = 0.005, seed: int | None = None) -> None:
        self.address = address
        self.port: Any = serial.serial_for_url(url, baudrate=baudrate, timeout=0)
        self.polled = polled
        self.ack_seconds = ack_seconds
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.fixed_retry = fixed_retry
        self.quiet_seconds = quiet_seconds
        self._random = random.Random(seed)
        self._decoder = FrameDecoder()
        self._queue: deque[_Pending] = deque()
        self._lock = threading.Lock()
        self._heard_at = 0.0
        self.deliveries: list[Delivery] = []
        self.boot = 0
        self._seq = 0
        self.power_on()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"keypad-{address}", daemon=True)
        self._thread.start()

    def power_on(self) -> None:
        """As after a power cut: a new boot number, presses numbered from 1, nothing queued."""
        with self._lock:
            self.boot = self._random.choice([b for b in range(1, 256) if b != self.boot])
            self._seq = 0
            self._queue.clear()

    def press(self, key: Key) -> None:
        with self._lock:
            self._seq = self._seq % 255 + 1
            frame = AntreanCodec.key(self.address, key, self._seq, self.boot)
            self._queue.append(_Pending(frame, Cmd.KEY, self._seq, time.monotonic()))

    def rate(self, rating: int) -> None:
        with self._lock:
            self._seq = self._seq % 255 + 1
            frame = AntreanCodec.rating(self.address, rating, self._seq, self.boot)
            self._queue.append(_Pending(frame, Cmd.RATING, self._seq, time.monotonic()))

    @property
    def delivered(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.acked_at is not None]

    @property
    def given_up(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.acked_at is None]

    def idle(self) -> bool:
        with self._lock:
            return not self._queue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.port.close()

    # -- the firmware's loop -----------------------------------------------------------------
    def _frames(self, wait: float) -> list[Frame]:
        """Frames heard on the line within ``wait`` seconds (at least one read)."""
        try:
            ready, _, _ = select.select([self.port.fileno()], [], [], max(0.0, wait))
            data = os.read(self.port.fileno(), 4096) if ready else b""
        except (OSError, ValueError, AttributeError):
            data = self.port.read(4096)  # not a file descriptor (loop://, socket://)
        if data:
            self._heard_at = time.monotonic()
        return self._decoder.feed(data) if data else []

    def _acked(self, frames: list[Frame], pending: _Pending) -> bool:
        wanted = bytes([pending.command, pending.seq, self.boot])
        return any(f.command == Cmd.ACK and f.address == self.address and f.payload == wanted
                   for f in frames)

    def _polled_now(self, frames: list[Frame]) -> bool:
        return any(f.command == Cmd.POLL and f.address == self.address for f in frames)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                pending = self._queue[0] if self._queue else None
            if self.polled:
                self._answer_polls(pending)
                continue
            if pending is None:
                self._frames(0.01)
                continue
            self._send_unasked(pending)

    def _answer_polls(self, pending: _Pending | None) -> None:
        frames = self._frames(0.01)
        if pending is not None and self._acked(frames, pending):
            self._done(pending, True)
            return
        if self._polled_now(frames):
            self.port.write(pending.frame if pending else AntreanCodec.idle(self.address, self.boot))
            if pending is not None:
                pending.attempts += 1
                deadline = time.monotonic() + self.ack_seconds
                while time.monotonic() < deadline and not self._stop.is_set():
                    if self._acked(self._frames(deadline - time.monotonic()), pending):
                        self._done(pending, True)
                        return

    def _send_unasked(self, pending: _Pending) -> None:
        while time.monotonic() - self._heard_at < self.quiet_seconds:  # listen before talking
            self._frames(self.quiet_seconds)
        self.port.write(pending.frame)
        pending.attempts += 1
        deadline = time.monotonic() + self.ack_seconds
        while time.monotonic() < deadline and not self._stop.is_set():
            if self._acked(self._frames(deadline - time.monotonic()), pending):
                self._done(pending, True)
                return
        if pending.attempts >= self.attempts:
            self._done(pending, False)
            return
        if self.fixed_retry is not None:
            wait = self.fixed_retry
        else:
            ceiling = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** pending.attempts)
            wait = self._random.uniform(0, ceiling)
        end = time.monotonic() + wait
        while time.monotonic() < end and not self._stop.is_set():
            self._frames(end - time.monotonic())  # an ACK that came late still counts
            # (it is compared with the frame in hand when the frame is next sent)

    def _done(self, pending: _Pending, acked: bool) -> None:
        with self._lock:
            if self._queue and self._queue[0] is pending:
                self._queue.popleft()
        self.deliveries.append(Delivery(pending.command, pending.seq, pending.pressed_at,
                                        time.monotonic() if acked else None, pending.attempts))
