"""A barcode/QR scanner on a serial line: RS-232, or USB in its CDC/virtual COM mode
(``/dev/ttyACM0``), 9600 8N1, each code ended by CR.

The line is kept by ``hardware.serial.SerialLink``, as the counter devices' is: a reader thread
that reopens the port with backoff when the scanner is unplugged, so the kiosk never waits on it
and never crashes for it. Codes that arrived whole wait in a queue for ``poll``, also while the
scanner is away; a code cut by the unplugging is dropped (the citizen scans again).
"""

from __future__ import annotations

import logging
import threading
from collections import deque

import serial

from hardware.scanner.base import CLOSED, NOT_CONNECTED, READY, UNPLUGGED, ScannerStatus
from hardware.scanner.codes import MAX_CODE_LENGTH, MIN_CODE_LENGTH, CodeFramer
from hardware.serial.devices import Backoff, PortOpener, SerialLink

log = logging.getLogger(__name__)

#: A citizen stands at the kiosk: a replugged scanner must be back within two seconds.
RECONNECT_FIRST, RECONNECT_LONGEST = 0.2, 2.0


class SerialScanner:
    """A serial scanner at ``url`` (anything ``serial_for_url`` opens: a device, ``loop://``,
    ``socket://``, one end of a pty pair); reading starts at once."""

    def __init__(self, url: str, baudrate: int = 9600, suffix: bytes = b"\r", *,
                 min_length: int = MIN_CODE_LENGTH, max_length: int = MAX_CODE_LENGTH,
                 backoff: Backoff | None = None,
                 opener: PortOpener = serial.serial_for_url) -> None:
        self.url = url
        self._framer = CodeFramer(suffix, min_length=min_length, max_length=max_length,
                                  name=f"scanner {url}")
        self._codes: deque[str] = deque()
        self._lock = threading.Lock()
        self._closed = False
        self.link = SerialLink(url, on_data=self._received, on_connect=self._connected,
                               baudrate=baudrate, opener=opener, name="scanner",
                               backoff=backoff or Backoff(RECONNECT_FIRST, RECONNECT_LONGEST))
        self.link.start()

    @property
    def waiting(self) -> int:
        """Codes read and not yet polled."""
        with self._lock:
            return len(self._codes)

    @property
    def dropped(self) -> int:
        """Lines dropped as noise or cut off, since the start."""
        return self._framer.dropped

    def poll(self) -> list[str]:
        with self._lock:
            codes = list(self._codes)
            self._codes.clear()
        return codes

    def status(self) -> ScannerStatus:
        if self._closed:
            return CLOSED
        if self.link.connected.is_set():
            return READY
        return UNPLUGGED if self.link.connections else NOT_CONNECTED

    def close(self) -> None:
        self._closed = True
        self.link.stop()

    def __enter__(self) -> SerialScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connected(self) -> None:
        with self._lock:
            self._framer.reset()  # what was half sent before the unplugging is not a code
        if self.link.connections > 1:
            log.info("scanner %s is back", self.url)

    def _received(self, data: bytes) -> None:
        with self._lock:
            codes = self._framer.feed(data)
            self._codes.extend(codes)
        for code in codes:
            log.info("scanner %s read a code of %d characters", self.url, len(code))
