"""Simulated counter devices, to drive a demo hall or a test through a real serial line.

Pair them with the host through socat (``socat pty,raw,echo=0,link=/tmp/bus
pty,raw,echo=0,link=/tmp/dev``) or a TCP socket (``socket://``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import serial

from hardware.serial.codec import AntreanCodec, Cmd, Frame, FrameDecoder, Key

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
