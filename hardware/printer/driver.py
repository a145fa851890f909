"""Print operations → ESC/POS bytes, and the ticket printer the kiosk talks to."""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import qrcode
import serial
from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos
from escpos.image import EscposImage
from escpos.printer import Dummy
from PIL import Image

from common.protocol.models import DeviceStatusRequest
from hardware.printer.backends import PrinterConfig, open_device
from hardware.printer.layout import (
    Cut,
    Feed,
    Logo,
    Paper,
    PrintOp,
    Qr,
    Text,
    TicketData,
    layout_ticket,
)
from hardware.printer.status import PrinterStatus, StatusWatch, parse_status, request

log = logging.getLogger(__name__)

#: After a job has been sent, how long the printer may take to read the status request behind
#: it: a printer with a full buffer takes more only as it prints, and a network printer's link
#: buffers what a serial port's queue would.
PRINTER_TAKES_JOB_SECONDS = 2.0
STATUS_OFF_DETAIL = (
    "status=off di URL printer: mencetak tanpa menanyakan status (status=off in the printer "
    "URL: prints without asking)"
)

#: Code page 2 (PC850) covers Indonesian and the Latin letters of names; nearly every ESC/POS
#: printer has it under the same number.
CODEPAGE = "CP850"
CODEPAGE_NUMBER = 2
_PUNCTUATION = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...",
     "\u00a0": " ", "•": "-", "·": "-"}
)  # fmt: skip


def printable(text: str) -> str:
    """``text`` with every character the printer's code page has; others simplified or ``?``."""
    out = []
    for char in text.translate(_PUNCTUATION):
        try:
            char.encode(CODEPAGE)
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode(CODEPAGE, "ignore").decode(CODEPAGE)
            out.append(base or "?")
    return "".join(out)


def _raster(image: Image.Image) -> bytes:
    """``GS v 0``: a 1-bit raster image."""
    im = EscposImage(image)
    width_bytes, height = im.width_bytes, im.height
    header = b"\x1dv0\x00" + width_bytes.to_bytes(2, "little") + height.to_bytes(2, "little")
    return header + im.to_raster_format()


def _centered(image: Image.Image, width: int) -> Image.Image:
    image = image.convert("1")
    if image.width > width:
        height = max(1, image.height * width // image.width)
        image = image.convert("L").resize((width, height)).convert("1")
    canvas = Image.new("1", (width, image.height), 1)
    canvas.paste(image, ((width - image.width) // 2, 0))
    return canvas


def qr_image(data: str, module_dots: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module_dots, border=0)
    code.add_data(data)
    code.make(fit=True)
    image: Image.Image = code.make_image().get_image()
    return image


def build_job(ops: Sequence[PrintOp], paper: Paper, *, native_qr: bool = True) -> bytes:
    """The complete ESC/POS job for ``ops``: one write, so a ticket is never sent half."""
    p = Dummy()
    p.hw("INIT")
    p.magic.force_encoding(CODEPAGE)
    for op in ops:
        if isinstance(op, Text):
            p.set(align=op.align, bold=op.bold, invert=op.invert)
            p._raw(b"\x1d!" + bytes([(op.width - 1) << 4 | (op.height - 1)]))
            p.text(printable(op.text) + "\n")
            if op.invert:
                p.set(invert=False)
        elif isinstance(op, Feed):
            p.ln(op.lines)
        elif isinstance(op, Qr):
            p.set(align="center", bold=False)
            p._raw(b"\x1d!\x00\x1bJ\x0c")  # normal size, a 12-dot quiet zone above
            if native_qr:
                p.qr(op.data, ec=QR_ECLEVEL_M, size=op.module_dots, native=True)
            else:
                p._raw(_raster(_centered(qr_image(op.data, op.module_dots), paper.dots)))
            p.ln()
        elif isinstance(op, Logo):
            with Image.open(op.path) as source:
                logo = source.convert("L")
            if logo.width > op.max_width_dots:
                logo = logo.resize((op.max_width_dots, max(1, logo.height * op.max_width_dots // logo.width)))
            p._raw(_raster(_centered(logo, paper.dots)))
        elif isinstance(op, Cut):
            p.set(align="left", bold=False)
            p._raw(b"\x1d!\x00")
            p.cut()
    return p.output


class PrintError(RuntimeError):
    """A ticket was not printed (or not completely). ``status`` says why, in the server's terms."""

    def __init__(self, message: str, status: PrinterStatus) -> None:
        super().__init__(message)
        self.status = status


def _status_byte(data: bytes) -> int | None:
    from hardware.printer.status import is_status_byte

    valid = [b for b in data if is_status_byte(b)]
    return valid[-1] if valid else None


def read_status(device: Escpos, patience: float = 0.0) -> PrinterStatus:
    """Ask the printer ``DLE EOT 1, 2, 4`` (and 3 on error) and parse the answers.

    ``patience`` is how long to keep waiting for the answer to ``DLE EOT 1`` beyond one read:
    right after a print the request reaches the printer only behind the job."""
    if type(device)._read is Escpos._read or type(device).__name__ == "CupsPrinter":
        return PrinterStatus.unknown("connection is write-only")
    answers: dict[int, int | None] = {}
    try:
        link = device.device
        if isinstance(link, serial.Serial):
            link.reset_input_buffer()
        deadline = time.monotonic() + patience
        for n in (1, 2, 4, 3):
            device._raw(request(n))
            answers[n] = _answer(device, link, deadline if n == 1 else 0.0)
            if answers[n] is None:
                break  # it stopped answering: keep what it said
    except Exception as exc:  # the transport is gone: USB unplugged, socket reset, no device
        log.warning("printer status request failed: %s", exc)
        return PrinterStatus.unreachable(str(exc) or type(exc).__name__)
    if answers.get(1) is None:
        return PrinterStatus.no_answer()
    return parse_status(answers)


def _answer(device: Escpos, link: object, deadline: float) -> int | None:
    """One status byte: read at least once, and again until one comes or ``deadline`` passes."""
    while True:
        try:
            data = link.read(1) if isinstance(link, serial.Serial) else device._read()
        except TimeoutError:
            data = b""
        value = _status_byte(bytes(data))
        if value is not None or time.monotonic() >= deadline:
            return value
        if not data:
            time.sleep(0.01)  # some links return at once when nothing is there


def _sending_seconds(device: Escpos, size: int) -> float:
    """How long ``size`` bytes take to reach the printer: on a serial line, 12 bits a byte (10
    on 8N1; the rest covers parity and a second stop bit); on other links, no time to speak of."""
    link = device.device
    if isinstance(link, serial.Serial) and link.baudrate:
        return size * 12 / link.baudrate
    return 0.0


def _drain(device: Escpos, deadline: float) -> None:
    """Wait until the serial port has sent what was written, but not past ``deadline``: a printer
    that holds DSR/DTR flow control would keep ``flush()`` (tcdrain) waiting for ever. Ports
    that cannot tell (ptys, some adapters) report nothing waiting; the status request then
    queues behind the job and ``read_status``'s patience covers it."""
    link = device.device
    if not isinstance(link, serial.Serial):
        return
    while link.out_waiting and time.monotonic() < deadline:
        time.sleep(0.02)


class TicketPrinter:
    """One ticket printer chosen by URL, with status checked before and after every print.

    ``on_status`` is called with a ``DeviceStatusRequest`` whenever the printer's state changes
    (and once at the first check); the kiosk POSTs it to the server as ``device.status``.
    """

    def __init__(
        self,
        url: str,
        *,
        on_status: Callable[[DeviceStatusRequest], None] | None = None,
        opener: Callable[[str], tuple[Escpos, PrinterConfig]] = open_device,
    ) -> None:
        self.device, self.config = opener(url)
        self.watch = StatusWatch(on_status)
        self._lock = threading.Lock()

    @property
    def paper(self) -> Paper:
        return self.config.paper

    def status(self) -> PrinterStatus:
        with self._lock:
            return self._check()

    def _check(self, patience: float = 0.0) -> PrinterStatus:
        if not self.config.asks_status:
            result = PrinterStatus.unknown(STATUS_OFF_DETAIL)
        else:
            result = read_status(self.device, patience)
        # Only a broken transport is reopened. A printer that does not answer is behind a port
        # that works, and closing a serial port waits until what is queued has been sent: with
        # DSR/DTR flow control and the printer switched off, that wait never ends.
        if not result.reachable:
            self._disconnect()
        self.watch.update(result)
        return result

    def _disconnect(self) -> None:
        try:
            self.device.close()
        except Exception:  # closing a dead connection may fail too; it is closed either way
            log.debug("closing the printer connection failed", exc_info=True)
        self.device._device = False  # reconnect on next use

    def print_ticket(self, ticket: TicketData) -> PrinterStatus:
        """Print ``ticket``; return the status after printing or raise ``PrintError``."""
        return self.print_ops(layout_ticket(ticket, self.paper), what=f"Tiket {ticket.number}")

    def print_ops(self, ops: Sequence[PrintOp], what: str = "Cetakan") -> PrinterStatus:
        job = build_job(ops, self.paper, native_qr=self.config.native_qr)
        with self._lock:
            before = self._check()
            if not before.can_print:
                log.warning("%s not printed: %s", what, before.describe())
                raise PrintError(f"{what} tidak dicetak: {before.describe()}", before)
            try:
                self.device._raw(job)
                flush = getattr(self.device, "flush", None)  # a file buffers what it is given
                if callable(flush):
                    flush()
                # The printer answers the status request only once it has the job before it.
                patience = _sending_seconds(self.device, len(job)) + PRINTER_TAKES_JOB_SECONDS
                deadline = time.monotonic() + patience
                _drain(self.device, deadline)
            except Exception as exc:
                self._disconnect()
                failed = PrinterStatus.unreachable(str(exc) or type(exc).__name__)
                self.watch.update(failed)
                log.error("%s failed to print: %s", what, exc)
                raise PrintError(f"{what} gagal dicetak: {failed.describe()}", failed) from exc
            after = self._check(max(0.0, deadline - time.monotonic()))
            # Any known bad state after the job, silence included (switched off or unplugged
            # while printing), means the ticket may not have come out whole. Raising leaves the
            # number reserved: the kiosk shows it with "keep", "print again" and "cancel", which
            # is fairer than confirming a number the citizen may hold no paper for. A slow line
            # is waited for above, so it does not raise. Write-only links and status=off pass.
            if after.known and not after.can_print:
                log.error("%s may be incomplete: %s", what, after.describe())
                raise PrintError(f"{what} mungkin tidak lengkap: {after.describe()}", after)
            log.info("%s printed (%d bytes); printer %s", what, len(job), after.state)
            return after

    def close(self) -> None:
        self._disconnect()


def sample_ticket(*, hall_name: str = "Mal Pelayanan Publik",
                  agency_name: str = "Dinas Kependudukan dan Pencatatan Sipil",
                  service_name: str = "KTP-el", prefix: str = "A",
                  requirements: Sequence[str] = ("Fotokopi Kartu Keluarga",),
                  timezone: str = "Asia/Jakarta", base_url: str = "http://127.0.0.1:8000",
                  issued_at: datetime | None = None) -> TicketData:
    """A believable ticket for ``antrean printer test`` and for looking at the layout: the
    hall's own names when the caller has them (``hardware.cli`` reads the hall's file), issued
    now unless told otherwise."""
    from zoneinfo import ZoneInfo

    return TicketData(
        hall_name=hall_name,
        agency_name=agency_name,
        service_name=service_name,
        number=f"{prefix}-012",
        issued_at=issued_at or datetime.now(UTC),
        timezone=ZoneInfo(timezone),
        priority=True,
        priority_reason="elderly",
        people_ahead=4,
        estimated_wait_minutes=25,
        tracking_url=f"{base_url.rstrip('/')}/t/CONTOH2345",
        requirements=tuple(requirements),
    )
