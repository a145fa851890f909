"""Print operations → ESC/POS bytes, and the ticket printer the kiosk talks to."""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace

import qrcode
import serial
from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos
from escpos.image import EscposImage
from escpos.printer import Dummy
from PIL import Image

from common.protocol.models import DeviceStatusRequest
from hardware.printer.backends import PrinterConfig, open_device
from hardware.printer.conversation import Conversation, read_status
from hardware.printer.feed_model import job_millimetres
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
from hardware.printer.status import GS_R_PAPER, PrinterStatus, StatusWatch, parse_paper_sensor

log = logging.getLogger(__name__)

#: Beyond the time the line takes to carry a job and the paper takes to come out, how long a
#: printer may take before it answers the request behind the job.
PRINTER_TAKES_JOB_SECONDS = 2.0
#: The slowest printing to allow for when waiting for a job's end: thermal kiosk printers print
#: 150 to 300 mm a second; a cold head or a weak power supply slows them.
SLOWEST_MM_S = 50.0
#: While a job prints, how often the printer is asked (DLE EOT) whether it stopped.
LOOK_EVERY_SECONDS = 0.25
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
            size = (op.width - 1) << 4 | (op.height - 1)
            p._raw(b"\x1d!" + bytes([size]))
            p.text(printable(op.text) + "\n")
            if size:
                # Back to normal size at once: a feed that followed at 6x would leave a blank
                # band as tall as the ticket number under it (19 mm on paper).
                p._raw(b"\x1d!\x00")
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


def job_end_request(kind: str, job_id: bytes) -> bytes:
    """The request sent behind a job, answered once the printer has printed it: ``GS r 1``, or
    ``GS ( H`` fn 48 (its process-ID response, on printers that have it) with ``job_id``."""
    if kind == "process-id":
        return b"\x1d(H\x06\x00\x30\x30" + job_id
    return GS_R_PAPER


class PrintError(RuntimeError):
    """A ticket was not printed (or not completely). ``status`` says why, in the server's terms."""

    def __init__(self, message: str, status: PrinterStatus) -> None:
        super().__init__(message)
        self.status = status


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
        self._job_number = 0

    @property
    def paper(self) -> Paper:
        return self.config.paper

    def status(self) -> PrinterStatus:
        with self._lock:
            return self._check()

    def _check(self, patience: float = 0.0, conversation: Conversation | None = None
               ) -> PrinterStatus:
        if not self.config.asks_status:
            result = PrinterStatus.unknown(STATUS_OFF_DETAIL)
        elif conversation is not None:
            result = conversation.status(patience)
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
            asks = self.config.asks_status and Conversation.can_read(self.device)
            conversation = Conversation(self.device)
            self._job_number = self._job_number % 9999 + 1
            job_id = f"{self._job_number:04d}".encode()
            try:
                if asks:
                    conversation.forget_old_answers()
                    job += job_end_request(self.config.job_end, job_id)
                self.device._raw(job)
                flush = getattr(self.device, "flush", None)  # a file buffers what it is given
                if callable(flush):
                    flush()
                sending = _sending_seconds(self.device, len(job))
                _drain(self.device, time.monotonic() + sending + PRINTER_TAKES_JOB_SECONDS)
            except Exception as exc:
                self._disconnect()
                failed = PrinterStatus.unreachable(str(exc) or type(exc).__name__)
                self.watch.update(failed)
                log.error("%s failed to print: %s", what, exc)
                raise PrintError(f"{what} gagal dicetak: {failed.describe()}", failed) from exc
            if not asks:  # write-only links and status=off: nothing can say how it went
                after = self._check()
                log.info("%s sent (%d bytes); printer %s", what, len(job), after.state)
                return after
            # Allow for the line, and for the paper at the slowest speed printers print at.
            budget = sending + job_millimetres(job) / SLOWEST_MM_S + PRINTER_TAKES_JOB_SECONDS
            after = self._await_job_end(conversation, job_id, budget)
            # Any known bad state before the job's end was confirmed, silence included
            # (switched off or unplugged while printing), means the ticket may not have come out
            # whole. Raising leaves the number reserved: the kiosk shows it with "keep", "print
            # again" and "cancel", which is fairer than confirming a number the citizen may hold
            # no paper for.
            if not after.can_print:
                log.error("%s may be incomplete: %s", what, after.describe())
                raise PrintError(f"{what} mungkin tidak lengkap: {after.describe()}", after)
            log.info("%s printed (%d bytes); printer %s", what, len(job), after.state)
            return after

    def _await_job_end(self, conversation: Conversation, job_id: bytes, budget: float
                       ) -> PrinterStatus:
        """Wait for the printer to say the job is through (``GS r`` or the process ID), asking
        ``DLE EOT`` meanwhile: paper out, cover open or silence there ends the wait at once."""
        started = time.monotonic()
        deadline = started + budget
        next_look = started + LOOK_EVERY_SECONDS
        replies = conversation.replies
        while True:
            conversation.pump()
            done = bool(replies.paper) if self.config.job_end == "gs-r" else job_id in replies.process_ids
            if done:
                status = self._check(conversation=conversation)
                if replies.paper:  # the paper sensors as they were at the job's end
                    near_end, out = parse_paper_sensor(replies.paper[-1])
                    if out or (near_end and status.state == "ok"):
                        status = replace(status, paper_near_end=near_end or status.paper_near_end,
                                         paper_out=out or status.paper_out)
                        self.watch.update(status)
                return status
            now = time.monotonic()
            if now >= next_look:
                status = self._check(conversation=conversation,
                                     patience=max(0.0, deadline - now))
                if not status.can_print:
                    return status
                next_look = time.monotonic() + LOOK_EVERY_SECONDS
            if now >= deadline:
                silent = PrinterStatus.no_answer_after_job(budget)
                self.watch.update(silent)
                return silent

    def close(self) -> None:
        self._disconnect()


def sample_ticket() -> TicketData:
    """A believable ticket for ``antrean printer test`` and for looking at the layout."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    return TicketData(
        hall_name="Mal Pelayanan Publik Kota Bandung",
        agency_name="Dinas Kependudukan dan Pencatatan Sipil",
        service_name="Perekaman & Pencetakan KTP-el",
        number="A-012",
        issued_at=datetime(2025, 5, 12, 1, 31, tzinfo=UTC),
        timezone=ZoneInfo("Asia/Jakarta"),
        priority=True,
        priority_reason="elderly",
        people_ahead=4,
        estimated_wait_minutes=25,
        tracking_url="https://antrean.example.go.id/t/7KQ2-M9XD",
        requirements=("Fotokopi Kartu Keluarga", "Surat pengantar RT/RW (asli)"),
    )
