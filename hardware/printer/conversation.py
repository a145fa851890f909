"""Talking with a printer that answers: status requests and the end of a job, on any link.

Two kinds of question, answered at different times (see ``docs/printer.md``):

- ``DLE EOT n`` is a real-time command: the printer answers it the moment it *receives* it,
  ahead of what waits in its buffer. It says what the printer is now (cover, paper, offline),
  never whether the job sent before it has come out.
- ``GS r 1`` (paper sensors) and ``GS ( H``'s process-ID response are processed in buffer order:
  the answer comes only once everything sent before has been printed. Sent right behind a job,
  the answer is the printer saying "that job is done" — or, when the roll ends half-way, no
  answer at all, while ``DLE EOT`` asked meanwhile says "paper out".

The answers of both kinds share one return channel; ``Replies`` tells them apart by their fixed
bits (a ``DLE EOT`` answer has bit 4 set, a ``GS r`` answer has bits 4-7 clear) and by the
``37 22 … 00`` frame of a process-ID response.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

import serial
from escpos.escpos import Escpos

from hardware.printer.status import (
    PrinterStatus,
    is_paper_sensor_byte,
    is_status_byte,
    parse_status,
    request,
)

log = logging.getLogger(__name__)

READ_SLICE_SECONDS = 0.05  # one read waits no longer, so that the clock is looked at often
_PROCESS_ID_HEAD = b"\x37\x22"


class Replies:
    """The bytes a printer sent back, sorted by kind as they arrive."""

    def __init__(self) -> None:
        self._pending = bytearray()
        self.status: deque[int] = deque()  # DLE EOT answers, in order
        self.paper: deque[int] = deque()  # GS r 1 answers, in order
        self.process_ids: set[bytes] = set()  # GS ( H responses seen
        self.stray = 0

    def add(self, data: bytes) -> None:
        self._pending += data
        buf = self._pending
        while buf:
            if buf[0] == 0x37 and (len(buf) < 2 or buf[1] == 0x22):
                if len(buf) < 7:
                    return  # the rest of a process-ID response is on its way
                if buf[6] == 0:
                    self.process_ids.add(bytes(buf[2:6]))
                    del buf[:7]
                    continue
            value = buf.pop(0)
            if is_status_byte(value):
                self.status.append(value)
            elif is_paper_sensor_byte(value):
                self.paper.append(value)
            else:
                self.stray += 1


class Conversation:
    """Questions to one python-escpos printer and its answers, read without blocking for long."""

    def __init__(self, device: Escpos) -> None:
        self.device = device
        self.replies = Replies()

    @staticmethod
    def can_read(device: Escpos) -> bool:
        return not (type(device)._read is Escpos._read or type(device).__name__ == "CupsPrinter")

    def forget_old_answers(self) -> None:
        """Drop what came before (late answers to an earlier question)."""
        link = self.device.device
        if isinstance(link, serial.Serial):
            link.reset_input_buffer()
        self.replies = Replies()

    def send(self, data: bytes) -> None:
        self.device._raw(data)

    def pump(self, seconds: float = READ_SLICE_SECONDS) -> None:
        """Read what has come, waiting at most about ``seconds`` for the first byte."""
        link: Any = self.device.device
        if isinstance(link, serial.Serial):
            saved = link.timeout
            link.timeout = max(0.0, min(seconds, saved if saved is not None else seconds))
            try:
                data = link.read(max(1, link.in_waiting))
            finally:
                link.timeout = saved
        elif hasattr(link, "gettimeout") and hasattr(link, "settimeout"):  # a socket
            saved = link.gettimeout()
            link.settimeout(max(0.001, seconds))
            try:
                data = self.device._read()
            except TimeoutError:
                data = b""
            finally:
                link.settimeout(saved)
        else:
            try:
                data = self.device._read()
            except TimeoutError:
                data = b""
            if not data:
                time.sleep(min(seconds, 0.01))  # links that return at once when nothing is there
        if data:
            self.replies.add(bytes(data))

    def answer(self, deadline: float) -> int | None:
        """The next ``DLE EOT`` answer: read at least once, and until one comes or ``deadline``."""
        while True:
            if self.replies.status:
                return self.replies.status.popleft()
            remaining = deadline - time.monotonic()
            self.pump(max(0.0, min(READ_SLICE_SECONDS, remaining)) if remaining > 0 else 0.0)
            if self.replies.status:
                return self.replies.status.popleft()
            if time.monotonic() >= deadline:
                return None

    def status(self, patience: float) -> PrinterStatus:
        """Ask ``DLE EOT 1, 2, 4`` (and 3 on error) and parse the answers; ``patience`` is how
        long to wait for the first (behind a job still on its way down a slow line)."""
        answers: dict[int, int | None] = {}
        link = self.device.device
        read_wait = float(getattr(link, "timeout", 0.0) or 0.0) if isinstance(link, serial.Serial) \
            else 0.2
        first_deadline = time.monotonic() + max(patience, read_wait)
        try:
            for n in (1, 2, 4, 3):
                self.send(request(n))
                deadline = first_deadline if n == 1 else time.monotonic() + max(read_wait, 0.2)
                answers[n] = self.answer(deadline)
                if answers[n] is None:
                    break  # it stopped answering: keep what it said
        except Exception as exc:  # the transport is gone: USB unplugged, socket reset, no device
            log.warning("printer status request failed: %s", exc)
            return PrinterStatus.unreachable(str(exc) or type(exc).__name__)
        if answers.get(1) is None:
            return PrinterStatus.no_answer()
        return parse_status(answers)


def read_status(device: Escpos, patience: float = 0.0) -> PrinterStatus:
    """The printer's state now (``DLE EOT``), or why it cannot be known."""
    if not Conversation.can_read(device):
        return PrinterStatus.unknown("connection is write-only")
    conversation = Conversation(device)
    try:
        conversation.forget_old_answers()
    except Exception as exc:
        return PrinterStatus.unreachable(str(exc) or type(exc).__name__)
    return conversation.status(patience)
