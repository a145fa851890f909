"""Barcode/QR scanners at the kiosk: USB keyboard-wedge (``KeyboardWedge``) and serial or
USB-CDC (``SerialScanner``), each a ``ScannerSource`` the kiosk polls once a frame; the setting
string picks one (``make_scanner``). Simulators are in ``hardware.scanner.simulator``."""

from hardware.scanner.base import ScannerSource, ScannerStatus
from hardware.scanner.codes import MAX_CODE_LENGTH, MIN_CODE_LENGTH, CodeFramer
from hardware.scanner.serial_scanner import SerialScanner
from hardware.scanner.spec import (
    SPEC_HELP,
    ScannerSpecError,
    SimulatedSerialScanner,
    make_scanner,
)
from hardware.scanner.wedge import KeyboardWedge

__all__ = [
    "MAX_CODE_LENGTH",
    "MIN_CODE_LENGTH",
    "SPEC_HELP",
    "CodeFramer",
    "KeyboardWedge",
    "ScannerSource",
    "ScannerSpecError",
    "ScannerStatus",
    "SerialScanner",
    "SimulatedSerialScanner",
    "make_scanner",
]
