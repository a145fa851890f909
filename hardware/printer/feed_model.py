"""How far each ESC/POS command moves the paper: the simulator prints at a speed in millimetres a
second with it, and the driver knows from it how long a job may take to come out.

Font A is 24 dots tall with a 30-dot line; a line feed moves the paper by the tallest character
in the line (or, on an empty line, the size in force); 8 dots make a millimetre.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import qrcode

from hardware.printer.escpos_stream import TextRun, Token, tokenize

DOTS_PER_MM = 8
LINE_DOTS = 30
CHAR_DOTS = 24
CUTTER_FEED_DOTS = 0  # what a cut adds beyond the feed sent before it


@lru_cache(maxsize=256)
def _qr_modules(data: bytes, ec: int) -> int:
    code = qrcode.QRCode(error_correction=ec, border=0)
    code.add_data(data.decode("utf-8", errors="replace"))
    code.make(fit=True)
    return int(code.modules_count)


class PaperFeed:
    """Follows the character size and the stored QR code; ``dots(token)`` is the paper a token
    moves (0 for most: text waits in the line until its feed)."""

    def __init__(self) -> None:
        self.height = 1
        self._line_height = 0  # the tallest character waiting in the line, 0: an empty line
        self._qr_size = 3
        self._qr_ec = qrcode.constants.ERROR_CORRECT_L
        self._qr_data = b""

    def _line(self) -> int:
        height = self._line_height or self.height
        self._line_height = 0
        return max(LINE_DOTS, CHAR_DOTS * height + LINE_DOTS - CHAR_DOTS)

    def dots(self, token: Token) -> int:
        if isinstance(token, TextRun):
            self._line_height = max(self._line_height, self.height)
            return 0
        name, args = token.name, token.args
        if name == "LF":
            return self._line()
        if name == "ESC d" and args:
            if not args[0]:
                return 0
            first = self._line()  # the line in the buffer, then empty lines at the size in force
            return first + self._line() * (args[0] - 1)
        if name == "ESC J" and args:
            return args[0]
        if name == "GS !" and args:
            self.height = (args[0] & 7) + 1
        elif name == "ESC !" and args:
            self.height = 2 if args[0] & 0x10 else 1
        elif name == "ESC @":
            self.height = 1
        elif name == "GS v 0" and len(args) >= 5:
            rows = args[3] | args[4] << 8
            return rows * (2 if args[0] in (2, 3, 50, 51) else 1)
        elif name == "GS ( k" and len(args) >= 4 and args[2] == 49:
            return self._qr(args[3], args[4:])
        elif name in ("GS V", "ESC i", "ESC m"):
            return CUTTER_FEED_DOTS
        return 0

    def _qr(self, fn: int, body: bytes) -> int:
        if fn == 67 and body:
            self._qr_size = max(1, min(16, body[0]))
        elif fn == 69 and body:
            self._qr_ec = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
                           50: qrcode.constants.ERROR_CORRECT_Q,
                           51: qrcode.constants.ERROR_CORRECT_H}.get(body[0], self._qr_ec)
        elif fn == 80:
            self._qr_data = bytes(body[1:])
        elif fn == 81 and self._qr_data:
            return _qr_modules(self._qr_data, self._qr_ec) * self._qr_size
        return 0


def paper_dots(tokens: Iterable[Token]) -> int:
    """The paper ``tokens`` move in all."""
    feed = PaperFeed()
    return sum(feed.dots(token) for token in tokens)


def job_millimetres(job: bytes) -> float:
    """How long the paper of ``job`` is."""
    return paper_dots(tokenize(job)) / DOTS_PER_MM


__all__ = ["DOTS_PER_MM", "PaperFeed", "job_millimetres", "paper_dots"]
