"""Real-time printer status (``DLE EOT n``): pure parsing and the state the server is told.

An ESC/POS printer answers ``DLE EOT n`` with one byte even while offline or busy. Bits 0 and 7
of every answer are 0 and bits 1 and 4 are 1, which lets us tell an answer from stray bytes.

- n=1 printer status: bit 3 set = offline.
- n=2 offline cause: bit 2 cover open, bit 5 stopped by paper end, bit 6 error.
- n=3 error cause: bit 3 auto-cutter error, bit 5 unrecoverable, bit 6 auto-recoverable.
- n=4 roll paper sensor: bits 2-3 paper near end, bits 5-6 paper out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from common.protocol.models import DeviceStatusRequest

PrinterState = Literal["ok", "paper_low", "paper_out", "cover_open", "offline", "error"]

DLE_EOT = b"\x10\x04"
REQUEST_PRINTER = 1
REQUEST_OFFLINE_CAUSE = 2
REQUEST_ERROR_CAUSE = 3
REQUEST_PAPER = 4
STATUS_REQUESTS = (REQUEST_PRINTER, REQUEST_OFFLINE_CAUSE, REQUEST_ERROR_CAUSE, REQUEST_PAPER)

_FIXED_MASK = 0b1001_0011
_FIXED_VALUE = 0b0001_0010

#: What staff read for each state (Indonesian first, then English).
STATE_TEXT: dict[str, str] = {
    "ok": "Printer siap (ready)",
    "paper_low": "Kertas hampir habis (paper low)",
    "paper_out": "Kertas habis (paper out)",
    "cover_open": "Tutup printer terbuka (cover open)",
    "offline": "Printer tidak terhubung (offline)",
    "error": "Printer bermasalah (printer error)",
}

#: The detail when a connection that can read gets no answer to ``DLE EOT 1``: what IT staff
#: check, and the way out for a printer model that cannot answer status requests.
NO_ANSWER_DETAIL = (
    "printer tidak menjawab permintaan status; periksa daya, kabel dan baud rate, dan pasang "
    "status=off di URL printer bila modelnya tidak mendukung status (no answer to status "
    "requests: check power, cable and baud rate; a printer model without status support needs "
    "status=off in its URL)"
)


def request(n: int) -> bytes:
    """The bytes of the real-time status request ``DLE EOT n``."""
    if n not in STATUS_REQUESTS:
        raise ValueError(f"DLE EOT {n} is not a status request we use")
    return DLE_EOT + bytes([n])


def is_status_byte(value: int) -> bool:
    """Whether ``value`` has the fixed bits every real-time status answer has."""
    return 0 <= value <= 255 and value & _FIXED_MASK == _FIXED_VALUE


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said. ``known`` is False when the connection cannot read answers."""

    reachable: bool = True
    known: bool = True
    online: bool = True
    paper_near_end: bool = False
    paper_out: bool = False
    cover_open: bool = False
    error: bool = False
    detail: str = ""

    @classmethod
    def unknown(cls, detail: str) -> PrinterStatus:
        return cls(known=False, detail=detail)

    @classmethod
    def unreachable(cls, detail: str) -> PrinterStatus:
        return cls(reachable=False, known=True, online=False, detail=detail)

    @classmethod
    def no_answer(cls) -> PrinterStatus:
        """The connection works but nothing answers: switched off, unplugged behind a serial
        adapter, a wrong baud rate, or a model without status support. It cannot be told
        apart from a printer that throws the ticket away, so it does not print."""
        return cls(online=False, detail=NO_ANSWER_DETAIL)

    @classmethod
    def no_answer_after_job(cls, seconds: float) -> PrinterStatus:
        """The printer answered status requests but did not say the job was through."""
        return cls(online=False, detail=(
            f"printer tidak menjawab dalam {seconds:.0f} detik setelah mencetak; tiket mungkin "
            "tidak lengkap (no answer that the ticket was printed within "
            f"{seconds:.0f} s; a model without GS r needs done=process-id or status=off in its "
            "URL)"))

    @property
    def state(self) -> PrinterState:
        """The most serious condition, as one of the states the server knows."""
        if not self.reachable:
            return "offline"
        if self.cover_open:
            return "cover_open"
        if self.paper_out:
            return "paper_out"
        if self.error:
            return "error"
        if not self.online:
            return "offline"
        if self.paper_near_end:
            return "paper_low"
        return "ok"

    @property
    def can_print(self) -> bool:
        return self.state in ("ok", "paper_low")

    def describe(self) -> str:
        text = STATE_TEXT[self.state]
        if not self.known:
            text += " — status tidak dapat dibaca (status not readable)"
        return f"{text}: {self.detail}" if self.detail else text

    def as_request(self) -> DeviceStatusRequest:
        """The ``device.status`` body a kiosk POSTs to the server."""
        return DeviceStatusRequest(component="printer", state=self.state, detail=self.describe())


def parse_status(answers: Mapping[int, int | None]) -> PrinterStatus:
    """Status from the answers to ``DLE EOT 1..4`` (missing or malformed answers are None).

    No valid answer to ``DLE EOT 1`` means the printer did not answer at all.
    """
    valid = {n: v for n, v in answers.items() if v is not None and is_status_byte(v)}
    printer = valid.get(REQUEST_PRINTER)
    if printer is None:
        return PrinterStatus.unreachable("no answer to DLE EOT 1")
    offline = bool(printer & 0x08)
    cause = valid.get(REQUEST_OFFLINE_CAUSE, _FIXED_VALUE)
    errors = valid.get(REQUEST_ERROR_CAUSE, _FIXED_VALUE)
    paper = valid.get(REQUEST_PAPER, _FIXED_VALUE)
    details = []
    if errors & 0x08:
        details.append("auto-cutter error")
    if errors & 0x20:
        details.append("unrecoverable error")
    if errors & 0x40:
        details.append("auto-recoverable error (head temperature)")
    return PrinterStatus(
        online=not offline,
        cover_open=bool(cause & 0x04),
        paper_out=bool(paper & 0x60) or bool(cause & 0x20),
        paper_near_end=bool(paper & 0x0C),
        error=bool(cause & 0x40) or bool(errors & 0x68),
        detail=", ".join(details),
    )


def encode_status(
    *,
    online: bool = True,
    cover_open: bool = False,
    paper_near_end: bool = False,
    paper_out: bool = False,
    error: bool = False,
) -> dict[int, int]:
    """The answers a printer in this condition gives to ``DLE EOT 1..4`` (for simulators)."""
    offline = not online or cover_open or paper_out or error
    return {
        REQUEST_PRINTER: _FIXED_VALUE | (0x08 if offline else 0),
        REQUEST_OFFLINE_CAUSE: _FIXED_VALUE
        | (0x04 if cover_open else 0)
        | (0x20 if paper_out else 0)
        | (0x40 if error else 0),
        REQUEST_ERROR_CAUSE: _FIXED_VALUE | (0x20 if error else 0),
        REQUEST_PAPER: _FIXED_VALUE
        | (0x0C if paper_near_end or paper_out else 0)
        | (0x60 if paper_out else 0),
    }


#: ``GS r 1`` asks for the paper sensors; unlike ``DLE EOT`` it is answered in buffer order, once
#: what was sent before it has been printed. Its answer has bits 4 to 7 clear (a ``DLE EOT``
#: answer always has bit 4 set): bits 0-1 paper near end, bits 2-3 paper out.
GS_R_PAPER = b"\x1dr\x01"


def is_paper_sensor_byte(value: int) -> bool:
    """Whether ``value`` can be an answer to ``GS r 1``."""
    return 0 <= value <= 0x0F


def encode_paper_sensor(*, near_end: bool = False, paper_out: bool = False) -> int:
    """The answer a printer gives to ``GS r 1`` (for simulators)."""
    return (0x03 if near_end or paper_out else 0) | (0x0C if paper_out else 0)


def parse_paper_sensor(value: int) -> tuple[bool, bool]:
    """``(near_end, paper_out)`` from an answer to ``GS r 1``."""
    return bool(value & 0x03), bool(value & 0x0C)


class StatusWatch:
    """Remembers the last state and calls ``on_change`` when it changes (and the first time)."""

    def __init__(self, on_change: Callable[[DeviceStatusRequest], None] | None = None) -> None:
        self._on_change = on_change
        self.last: PrinterStatus | None = None

    def update(self, status: PrinterStatus) -> bool:
        """Record ``status``; return whether it was a change that was reported."""
        changed = self.last is None or self.last.state != status.state
        self.last = status
        if changed and self._on_change is not None:
            self._on_change(status.as_request())
        return changed
