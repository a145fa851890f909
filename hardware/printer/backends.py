"""Printer URLs → python-escpos devices.

============================================  =================================================
``usb://04b8:0e15``                           USB printer by vendor and product id (hex)
``serial:///dev/ttyUSB0?baudrate=19200``      serial printer (``dsrdtr=1`` for DSR/DTR flow)
``tcp://192.168.1.50:9100``                   network printer (raw port 9100)
``file:///dev/usb/lp0``                       a device file (write only: no status)
``cups://QUEUE``                              a CUPS queue, when pycups is installed (no status)
``dummy://``                                  keep the bytes in memory (no status)
``sim://?level=near_end&cover=open``          the in-process printer simulator (``silent=1``:
                                              it never answers status requests)
============================================  =================================================

Every URL also takes ``paper=58|80`` (default 80), ``qr=native|image`` (default native),
``profile=NAME`` (a python-escpos printer profile such as ``TM-T88V``) and ``status=on|off``
(default on; off for a printer model that cannot answer status requests: it is then printed on
without asking, like a write-only connection).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from escpos.escpos import Escpos

from hardware.printer.layout import PAPER_80, Paper
from hardware.printer.simulator import DEFAULT_SPEED_MM_S, PaperLevel, PrinterSimulator, SimulatedPrinter

SCHEMES = ("usb", "serial", "tcp", "file", "cups", "dummy", "sim")
_OUR_OPTIONS = {"paper", "qr", "profile", "status", "done"}
_LEVELS: dict[str, PaperLevel] = {"ok": "ok", "near_end": "near_end", "out": "out"}


class PrinterUrlError(ValueError):
    """The printer URL cannot be used; the message says what a valid one looks like."""


@dataclass(frozen=True)
class PrinterConfig:
    url: str
    scheme: str
    paper: Paper = PAPER_80
    native_qr: bool = True
    profile: str | None = None
    asks_status: bool = True
    job_end: str = "gs-r"  # how the end of a job is asked for: "gs-r" or "process-id"


def parse_url(url: str) -> tuple[PrinterConfig, dict[str, str], str, str]:
    """Split a printer URL into our options, the backend's options, its host part and path."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise PrinterUrlError(
            f"unknown printer URL {url!r}: use one of " + ", ".join(f"{s}://" for s in SCHEMES)
        )
    query = dict(parse_qsl(parts.query))
    options = {k: v for k, v in query.items() if k not in _OUR_OPTIONS}
    try:
        paper = Paper.of(int(query.get("paper", "80")))
    except ValueError as exc:
        raise PrinterUrlError(f"{url!r}: {exc}") from None
    qr = query.get("qr", "native")
    if qr not in ("native", "image"):
        raise PrinterUrlError(f"{url!r}: qr must be native or image")
    status = query.get("status", "on")
    if status not in ("on", "off"):
        raise PrinterUrlError(
            f"{url!r}: status must be on or off (off only for a printer model that cannot "
            "answer status requests)"
        )
    done = query.get("done", "gs-r")
    if done not in ("gs-r", "process-id"):
        raise PrinterUrlError(f"{url!r}: done must be gs-r or process-id")
    config = PrinterConfig(
        url=url,
        scheme=scheme,
        paper=paper,
        native_qr=qr == "native",
        profile=query.get("profile"),
        asks_status=status == "on",
        job_end=done,
    )
    return config, options, parts.netloc, unquote(parts.path)


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


def open_device(url: str) -> tuple[Escpos, PrinterConfig]:
    """A python-escpos printer for ``url`` (not yet connected: it connects on first use)."""
    config, options, netloc, path = parse_url(url)
    common: dict[str, Any] = {"profile": config.profile} if config.profile else {}
    scheme = config.scheme
    if scheme == "dummy":
        from escpos.printer import Dummy

        return Dummy(**common), config
    if scheme == "sim":
        level = options.get("level", "ok")
        if level not in _LEVELS:
            raise PrinterUrlError(f"{url!r}: level must be ok, near_end or out")
        simulator = PrinterSimulator(
            paper=_LEVELS[level],
            cover_open=options.get("cover", "closed") == "open",
            online=not _flag(options.get("offline", "0")),
            answers_status=not _flag(options.get("silent", "0")),
            speed_mm_s=float(options["speed"]) if "speed" in options else DEFAULT_SPEED_MM_S,
            paper_mm=float(options["roll"]) if "roll" in options else None,
        )
        return SimulatedPrinter(simulator, **common), config
    if scheme == "tcp":
        from escpos.printer import Network

        host, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "9100")
        if not host:
            raise PrinterUrlError(f"{url!r}: write tcp://HOST:9100")
        timeout = float(options.get("timeout", "5"))
        return Network(host=host, port=int(port or 9100), timeout=timeout, **common), config
    if scheme == "serial":
        from escpos.printer import Serial

        device = path or netloc
        if not device:
            raise PrinterUrlError(f"{url!r}: write serial:///dev/ttyUSB0?baudrate=19200")
        return (
            Serial(
                devfile=device,
                baudrate=int(options.get("baudrate", "19200")),
                timeout=float(options.get("timeout", "1")),
                dsrdtr=_flag(options.get("dsrdtr", "0")),
                **common,
            ),
            config,
        )
    if scheme == "file":
        from escpos.printer import File

        if not path:
            raise PrinterUrlError(f"{url!r}: write file:///dev/usb/lp0")
        return File(devfile=path, **common), config
    if scheme == "usb":
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise PrinterUrlError("usb:// needs the pyusb package (pip install pyusb) and libusb")
        vendor, _, product = netloc.partition(":")
        try:
            ids = int(vendor, 16), int(product, 16)
        except ValueError:
            raise PrinterUrlError(f"{url!r}: write usb://VID:PID in hex, e.g. usb://04b8:0e15") from None
        extra = {k: int(v, 0) for k, v in options.items() if k in ("in_ep", "out_ep", "timeout")}
        return Usb(idVendor=ids[0], idProduct=ids[1], usb_args={}, **extra, **common), config
    # cups
    from escpos.printer import CupsPrinter

    if not CupsPrinter.is_usable():
        raise PrinterUrlError("cups:// needs the pycups package (pip install pycups)")
    return CupsPrinter(printer_name=netloc or path.strip("/"), **common), config
