"""What every barcode/QR scanner gives the kiosk: the codes read since it last asked, and
whether the scanner can read at all, said to the citizen's helpers in Indonesian and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ScannerStatus:
    """``ok`` when the scanner can read; otherwise ``message``/``message_en`` say what is wrong
    and what to check."""

    ok: bool
    message: str
    message_en: str

    @property
    def text(self) -> str:
        """Both languages in one line, Indonesian first (for logs and the staff's status)."""
        return f"{self.message} ({self.message_en})"


READY = ScannerStatus(True, "Pemindai siap", "Scanner ready")
#: A keyboard cannot be asked whether it is there: the kiosk can only trust that it is.
WEDGE_READY = ScannerStatus(True, "Pemindai mode keyboard siap bila terpasang",
                            "Keyboard-wedge scanner ready when plugged in")
NOT_CONNECTED = ScannerStatus(
    False,
    "Pemindai belum terhubung; periksa kabel dan port pemindai",
    "Scanner not connected yet; check the scanner's cable and port",
)
UNPLUGGED = ScannerStatus(
    False,
    "Pemindai terlepas; pasang kembali kabelnya (akan tersambung sendiri)",
    "Scanner unplugged; plug its cable back in (it reconnects by itself)",
)
CLOSED = ScannerStatus(False, "Pemindai dimatikan", "Scanner closed")


class ScannerSource(Protocol):
    """A scanner as the kiosk's main loop uses it, once a frame, never blocking."""

    def poll(self) -> list[str]:
        """The complete codes read since the last call, oldest first (often none)."""
        ...

    def status(self) -> ScannerStatus: ...

    def close(self) -> None: ...
