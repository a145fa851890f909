"""A simulated two-wire RS-485 line: several serial ports joined into one shared bus with its
timing, where two devices talking at once garble each other (for tests and demos with socat pty
pairs: each device or host takes one end of a pair, the bus the other)."""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import serial

log = logging.getLogger(__name__)


@dataclass
class _Transmission:
    port: int
    start: float
    data: bytearray = field(default_factory=bytearray)


class Rs485Bus:
    """Several serial ports joined into one two-wire RS-485 line at ``baudrate``.

    Each port is the far end of a socat pty pair whose near end a device (or a host) uses. What
    a port writes goes on the line from the moment it is written, one byte every 10 bit times,
    and every port hears it (its writer too, as on a real two-wire bus). When two transmissions
    overlap, the bytes that share the line at once arrive garbled for everyone, and both frames
    fail their checksum: ``collisions`` counts such overlaps.
    """

    def __init__(self, urls: list[str], *, baudrate: int = 9600) -> None:
        self.ports: list[Any] = [serial.serial_for_url(u, baudrate=baudrate, timeout=0) for u in urls]
        self.byte_seconds = 10 / baudrate
        self.collisions = 0
        self._on_line: list[_Transmission] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rs485-bus", daemon=True)

    def start(self) -> Rs485Bus:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for port in self.ports:
            port.close()

    def _run(self) -> None:
        descriptors = {port.fileno(): i for i, port in enumerate(self.ports)}
        while not self._stop.is_set():
            ready, _, _ = select.select(list(descriptors), [], [], 0.001)
            now = time.monotonic()
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                if data:
                    self._transmit(descriptors[fd], data, now)
            self._deliver(time.monotonic())

    def _end(self, t: _Transmission) -> float:
        return t.start + len(t.data) * self.byte_seconds

    def _transmit(self, port: int, data: bytes, now: float) -> None:
        mine = [t for t in self._on_line if t.port == port and self._end(t) >= now]
        if mine:  # the port's UART is still sending: the new bytes follow the old
            mine[-1].data += data
        else:
            self._on_line.append(_Transmission(port, now, bytearray(data)))

    def _deliver(self, now: float) -> None:
        """Hand out what has finished crossing the line: each group of overlapping
        transmissions once all of it is through."""
        while self._on_line:
            self._on_line.sort(key=lambda t: t.start)
            group = [self._on_line[0]]
            end = self._end(group[0])
            for other in self._on_line[1:]:
                if other.start < end:
                    group.append(other)
                    end = max(end, self._end(other))
            if end > now:
                return
            for t in group:
                self._on_line.remove(t)
            if len(group) > 1:
                self.collisions += 1
            heard = self._mix(group)
            for port in self.ports:
                try:
                    port.write(heard)
                except (serial.SerialException, OSError):
                    log.warning("RS-485 bus simulator: a port is gone")

    def _mix(self, group: list[_Transmission]) -> bytes:
        if len(group) == 1:
            return bytes(group[0].data)
        start = min(t.start for t in group)
        slots: dict[int, list[int]] = {}
        for t in group:
            first = round((t.start - start) / self.byte_seconds)
            for k, byte in enumerate(t.data):
                slots.setdefault(first + k, []).append(byte)
        # where two drivers fight, the receivers read something that is neither byte
        return bytes(values[0] if len(values) == 1 else (values[0] & values[1]) ^ 0x5A
                     for _, values in sorted(slots.items()))
