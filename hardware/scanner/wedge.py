"""A USB HID scanner in keyboard-wedge mode: it types the code into the kiosk as keystrokes,
then Enter, all in a burst a few milliseconds apart.

The kiosk hands every ``KEYDOWN`` to ``feed``; a code is taken when Enter ends a burst of at
least ``MIN_CODE_LENGTH`` characters none more than ``max_gap_ms`` apart. Someone typing on a
stray keyboard is ten times slower than a scanner: their keys are not a scan and are forgotten.
The gaps are measured when ``feed`` sees each key, so the kiosk must feed the events of every
frame as it gets them (a frame shorter than ``max_gap_ms``, as at 30 frames a second).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from hardware.scanner.base import CLOSED, WEDGE_READY, ScannerStatus
from hardware.scanner.codes import MAX_CODE_LENGTH, MIN_CODE_LENGTH, is_code_text

log = logging.getLogger(__name__)

#: Codes kept for ``poll``: a kiosk that takes ``feed``'s answers instead never polls.
WAITING_CODES = 16


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class KeyboardWedge:
    """Codes out of keystrokes. ``clock`` gives milliseconds: the monotonic clock by default,
    not pygame's ticks, which stand still at 0 until ``pygame.init()`` has been called.

    A code is given twice: as ``feed``'s answer and by the next ``poll``. Take one of them (the
    kiosk that treats every scanner alike polls and ignores ``feed``'s answer)."""

    def __init__(self, max_gap_ms: int = 50, *, clock: Callable[[], int] | None = None,
                 min_length: int = MIN_CODE_LENGTH, max_length: int = MAX_CODE_LENGTH) -> None:
        import pygame  # here, not at the top: ``antrean --help`` must not load pygame

        self._keydown = pygame.KEYDOWN
        self._enter_keys = frozenset({pygame.K_RETURN, pygame.K_KP_ENTER})
        self.max_gap_ms = max_gap_ms
        self._clock = clock or _monotonic_ms
        self._min = min_length
        self._max = max_length
        self._burst: list[str] = []
        self._last_ms: int | None = None
        self._codes: deque[str] = deque(maxlen=WAITING_CODES)
        self._closed = False
        self.ignored = 0  # Enters that ended slow typing, not a scan

    def feed(self, event: Any) -> str | None:
        """The code that ``event`` (a pygame event) completes, if it is the Enter of a scan."""
        if self._closed or getattr(event, "type", None) != self._keydown:
            return None
        now = self._clock()
        fast = self._last_ms is not None and now - self._last_ms <= self.max_gap_ms
        if event.key in self._enter_keys:
            text = "".join(self._burst)
            self._burst.clear()
            self._last_ms = None
            if fast and is_code_text(text, min_length=self._min, max_length=self._max):
                log.info("keyboard-wedge scanner read a code of %d characters", len(text))
                self._codes.append(text)
                return text
            if text:
                self.ignored += 1
                log.debug("Enter after %d typed characters: not a scan", len(text))
            return None
        char = getattr(event, "unicode", "")
        if len(char) != 1 or not char.isprintable():
            return None  # Shift and the like: part of the burst, not a character of it
        if not fast:
            self._burst.clear()  # a pause: whatever came before was typed, not scanned
        if len(self._burst) <= self._max:  # one more than a code may have marks it too long
            self._burst.append(char)
        self._last_ms = now
        return None

    def poll(self) -> list[str]:
        codes = list(self._codes)
        self._codes.clear()
        return codes

    def status(self) -> ScannerStatus:
        return CLOSED if self._closed else WEDGE_READY

    def close(self) -> None:
        self._closed = True
        self._burst.clear()
        self._codes.clear()
