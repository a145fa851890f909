"""The kiosk's ``scanner`` setting, one string: ``none``, ``hid``, ``serial:PORT[?baud=N]``
or ``sim``."""

from __future__ import annotations

from urllib.parse import parse_qs

from hardware.scanner.base import ScannerSource
from hardware.scanner.serial_scanner import SerialScanner
from hardware.scanner.simulator import SerialScannerSimulator
from hardware.scanner.wedge import KeyboardWedge

SPEC_HELP = (
    "barcode/QR scanner: none, hid (USB keyboard-wedge, Enter after the code), "
    "serial:PORT[?baud=N&suffix=cr|lf|crlf|tab] (serial or USB-CDC, 9600 8N1, CR after the code; "
    "PORT such as /dev/ttyACM0, COM3, socket://HOST:PORT), sim (a simulated serial scanner)"
)
SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t"}


class ScannerSpecError(ValueError):
    """A scanner setting that names no scanner, said in Indonesian and English."""


class SimulatedSerialScanner(SerialScanner):
    """A ``SerialScanner`` reading a ``SerialScannerSimulator`` of its own, for a demo kiosk:
    ``simulator.scan(code)`` reads a code, ``simulator.unplug()`` pulls the cable."""

    def __init__(self, baudrate: int = 9600) -> None:
        self.simulator = SerialScannerSimulator(baudrate=baudrate)
        super().__init__(self.simulator.url, baudrate=baudrate)

    def close(self) -> None:
        super().close()
        self.simulator.close()


def make_scanner(spec: str) -> ScannerSource | None:
    """The scanner ``spec`` names (None for ``none`` or an empty setting)."""
    text = spec.strip()
    kind = text.lower()
    if kind in ("", "none"):
        return None
    if kind == "hid":
        return KeyboardWedge()
    if kind == "sim":
        return SimulatedSerialScanner()
    if kind.startswith("serial:"):
        return _serial(text[len("serial:"):])
    raise ScannerSpecError(f"pemindai {spec!r} tidak dikenal; gunakan none, hid, serial:PORT atau "
                           f"sim (unknown scanner {spec!r}; use none, hid, serial:PORT or sim)")


def _serial(rest: str) -> SerialScanner:
    port, _, query = rest.partition("?")
    if not port:
        raise ScannerSpecError("serial: perlu nama port, mis. serial:/dev/ttyACM0 "
                               "(serial: needs a port, e.g. serial:/dev/ttyACM0)")
    options = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    unknown = sorted(set(options) - {"baud", "suffix"})
    if unknown:
        raise ScannerSpecError(f"pilihan pemindai tidak dikenal: {', '.join(unknown)}; yang ada: "
                               f"baud, suffix (unknown scanner options: {', '.join(unknown)}; "
                               "known: baud, suffix)")
    baud = options.get("baud", "9600")
    if not baud.isdigit() or not 300 <= int(baud) <= 4_000_000:
        raise ScannerSpecError(f"baud {baud!r} bukan kecepatan serial, mis. 9600 "
                               f"(baud {baud!r} is not a serial speed, e.g. 9600)")
    suffix = options.get("suffix", "cr").lower()
    if suffix not in SUFFIXES:
        raise ScannerSpecError(f"suffix {suffix!r} tidak dikenal; gunakan {'/'.join(SUFFIXES)} "
                               f"(unknown suffix {suffix!r}; use {'/'.join(SUFFIXES)})")
    return SerialScanner(port, baudrate=int(baud), suffix=SUFFIXES[suffix])
