"""Turning a scanner's bytes into codes: one code per line, ended by CR, LF or CRLF (or the
suffix the scanner is set to), anything else on the line dropped and logged.

A scanner sends a code as printable ASCII (a booking code, or the text of a QR: a URL at most),
so a line holding a control byte, a byte above 0x7E, or more than ``max_length`` characters is
line noise (a cable being plugged in, a wrong baud rate), never a code: it is dropped whole,
rather than guessed at, and the citizen simply scans again.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

#: The shortest code taken: shorter printable lines are noise that happened to look clean.
MIN_CODE_LENGTH = 4
#: The longest: a QR holding a booking URL fits many times over.
MAX_CODE_LENGTH = 256
LINE_ENDS = b"\r\n"


def is_code_text(text: str, *, min_length: int = MIN_CODE_LENGTH,
                 max_length: int = MAX_CODE_LENGTH) -> bool:
    """Printable ASCII, without surrounding blanks, of a length a code can have."""
    return (min_length <= len(text) <= max_length and text == text.strip()
            and all(" " <= ch <= "~" for ch in text))


class CodeFramer:
    """Feeds of bytes in, complete codes out; a partial line waits for the next feed."""

    def __init__(self, suffix: bytes = b"\r", *, min_length: int = MIN_CODE_LENGTH,
                 max_length: int = MAX_CODE_LENGTH, name: str = "scanner") -> None:
        self._ends = frozenset(LINE_ENDS + suffix)
        self._min = min_length
        self._max = max_length
        self._line = bytearray()
        self._overlong = False
        self.name = name
        self.dropped = 0  # lines dropped as noise

    def feed(self, data: bytes) -> list[str]:
        codes: list[str] = []
        for byte in data:
            if byte in self._ends:
                code = self._end_line()
                if code is not None:
                    codes.append(code)
                continue
            if self._overlong:
                continue
            self._line.append(byte)
            if len(self._line) > self._max:
                self._overlong = True
        return codes

    def reset(self) -> None:
        """Forget a partial line (the cable was pulled in the middle of a code)."""
        if self._line or self._overlong:
            self.dropped += 1
            log.warning("%s: partial code %r dropped (the line was cut)", self.name,
                        bytes(self._line[:40]))
        self._line.clear()
        self._overlong = False

    def _end_line(self) -> str | None:
        line, overlong = bytes(self._line), self._overlong
        self._line.clear()
        self._overlong = False
        if not line and not overlong:
            return None  # the LF of a CRLF, or a blank line
        text = line.decode("ascii", "replace").strip(" ")
        if overlong:
            reason = f"longer than {self._max} characters"
        elif not is_code_text(text, min_length=self._min, max_length=self._max):
            reason = "not a code (control or non-ASCII bytes, or too short)"
        else:
            return text
        self.dropped += 1
        log.warning("%s: line dropped as noise, %s: %r", self.name, reason, line[:40])
        return None
