"""A GSM modem on a serial/USB port, spoken to with the AT commands of 3GPP TS 27.005/27.007.

The port is a ``SerialLink`` (``hardware.serial``): opened with ``serial_for_url``, kept open by
its reader thread, reopened with backoff when the modem is unplugged. Every (re)connection is
followed, before the next command, by the modem's set-up: ``AT`` until it answers, ``ATE0`` (no
echo), ``AT+CMEE=1`` (numeric error codes), and ``AT+CPIN="…"`` when the SIM asks for its PIN
and the hall configured one. A modem that just powered up echoes what it hears, so an echoed
command line is recognised and skipped, not taken for its answer.

One command at a time: write ``AT…\\r``, read lines until a final result (``OK``, ``ERROR``,
``+CMS ERROR: n``, ``+CME ERROR: n``) or the timeout. ``AT+CMGS`` is answered first by the
prompt ``> `` (no line end), then the message is written and ended with Ctrl-Z, and the modem
answers ``+CMGS: <mr>`` and ``OK`` once the network took it (seconds, sometimes tens).

A text of GSM characters that fits one SMS and has no control characters goes in text mode
(``AT+CMGF=1``, ``AT+CSCS="GSM"``); any other (UCS2, long, or with characters text mode cannot
carry) goes in PDU mode (``AT+CMGF=0``) as the PDUs of ``hardware.modem.pdu``.
"""

from __future__ import annotations

import logging
import queue
import random
import re
import threading
import time
from collections.abc import Callable

import serial

from hardware.modem import pdu
from hardware.modem.status import ModemStatus, SendFailure, parse_cpin, parse_creg, parse_csq, parse_error
from hardware.serial.devices import Backoff, PortOpener, SerialLink

log = logging.getLogger(__name__)

CTRL_Z = b"\x1a"
ESC = b"\x1b"
_FINAL_OK = ("OK",)
_PROMPT = "> "


class ModemError(Exception):
    """A command the modem did not carry out; ``failure`` says why, for staff."""

    def __init__(self, failure: SendFailure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


class ModemUnavailable(ModemError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(SendFailure("modem", None, "modem tidak terhubung (modem not connected)"
                                     + (f": {detail}" if detail else ""), True))


class ModemTimeout(ModemError):
    def __init__(self, command: str, seconds: float) -> None:
        super().__init__(SendFailure("timeout", None, f"modem tidak menjawab {command} dalam "
                                     f"{seconds:g} detik (no answer to {command} within {seconds:g} s)",
                                     True))  # fmt: skip
        self.command = command


class _Answers:
    """The modem's bytes as lines and prompts, fed by the reader thread."""

    def __init__(self) -> None:
        self.items: queue.Queue[str] = queue.Queue()
        self._buffer = b""

    def feed(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = re.split(rb"\r\n|\r|\n", self._buffer)
        for raw in lines:
            line = raw.decode("latin-1").strip()
            if line:
                self.items.put(line)
        if self._buffer.strip() == b">":  # "> " waits for the message, with no line end
            self._buffer = b""
            self.items.put(_PROMPT)

    def drain(self) -> list[str]:
        stale: list[str] = []
        while True:
            try:
                stale.append(self.items.get_nowait())
            except queue.Empty:
                return stale


def text_mode_safe(text: str) -> bool:
    """Whether text mode carries ``text`` exactly: one SMS of GSM basic characters whose codes
    are printable (``@`` is code 0, ``$`` code 2, and a line end would end the text early)."""
    if not text or pdu.length(text, "gsm7") > pdu.SINGLE_LIMIT["gsm7"] or not pdu.is_gsm7(text):
        return False
    return all(0x20 <= code < 0x80 for code in pdu.gsm7_codes(text))  # the escape is 0x1B


class GsmModem:
    """A GSM modem at ``url`` (``/dev/ttyUSB2``, ``/dev/serial/by-id/…``, ``rfc2217://…``)."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 115200,
        pin: str | None = None,
        command_timeout: float = 5.0,
        send_timeout: float = 60.0,
        validity_minutes: int = 24 * 60,
        backoff: Backoff | None = None,
        opener: PortOpener = serial.serial_for_url,
    ) -> None:
        self.url = url
        self.pin = pin
        self.command_timeout = command_timeout
        self.send_timeout = send_timeout
        self.validity_minutes = validity_minutes
        self._answers = _Answers()
        self._lock = threading.RLock()
        self._ready_for = 0  # the connection the set-up was done on
        self._unsure = False  # a command timed out: its answer may still come
        self._reference = random.randrange(256)  # of the next concatenated SMS
        self.link = SerialLink(url, on_data=self._answers.feed, baudrate=baudrate,
                               backoff=backoff or Backoff(initial=0.2, maximum=5.0), opener=opener,
                               name="modem")  # fmt: skip

    # -- life -----------------------------------------------------------------------------
    def start(self) -> GsmModem:
        self.link.start()
        return self

    def stop(self) -> None:
        self.link.stop()

    def __enter__(self) -> GsmModem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_connected(self, timeout: float) -> bool:
        return self.link.connected.wait(timeout)

    # -- commands -------------------------------------------------------------------------
    def command(self, line: str, *, timeout: float | None = None) -> list[str]:
        """Send ``line`` (``AT…``) and return the information lines of its answer."""
        with self._lock:
            self._ensure_ready()
            return self._transact(line, timeout or self.command_timeout)

    def _write(self, data: bytes) -> None:
        if not self.link.write(data):
            raise ModemUnavailable(self.url)

    def _transact(self, line: str, timeout: float, *, prompt: bool = False,
                  expect: str | None = None) -> list[str]:
        """Write ``line`` and read its answer; with ``prompt``, return once ``> `` came; with
        ``expect``, only an answer with a line starting so counts (see ``_resync``)."""
        for stale in self._answers.drain():
            log.debug("modem: unsolicited %r", stale)
        connection = self.link.connections
        self._write(line.encode("latin-1") + b"\r")
        return self._read_answer(line, timeout, connection, prompt=prompt, expect=expect)

    def _read_answer(self, command: str, timeout: float, connection: int, *,
                     prompt: bool = False, expect: str | None = None) -> list[str]:
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._unsure = True
                raise ModemTimeout(command.split("=", 1)[0], timeout)
            if not self.link.connected.is_set() or self.link.connections != connection:
                raise ModemUnavailable(f"{self.url} lost during {command.split('=', 1)[0]}")
            try:
                item = self._answers.items.get(timeout=min(left, 0.1))
            except queue.Empty:
                continue
            if item == _PROMPT:
                if prompt:
                    return lines
                continue
            if item == command:  # our own line, echoed
                continue
            if expect is not None and not item.startswith(expect):
                final = item in _FINAL_OK or parse_error(item) is not None
                if not final or not any(x.startswith(expect) for x in lines):
                    log.debug("modem: %r, a late answer, skipped", item)
                    continue
            if item in _FINAL_OK:
                return lines
            failure = parse_error(item)
            if failure is not None:
                raise ModemError(failure)
            lines.append(item)

    def _ensure_ready(self) -> None:
        """Set the modem up once per connection (after a replug it forgot everything)."""
        if not self.link.connected.is_set():
            raise ModemUnavailable(self.url)
        connection = self.link.connections
        if self._ready_for == connection:
            if self._unsure:
                self._resync()
            return
        for attempt in range(3):  # a modem that just powered up may miss the first AT
            try:
                self._transact("AT", min(1.0, self.command_timeout))
                break
            except ModemTimeout:
                if attempt == 2:
                    raise
        self._transact("ATE0", self.command_timeout)
        self._transact("AT+CMEE=1", self.command_timeout)
        self._ready_for = connection
        self._unsure = False
        log.info("modem on %s set up (connection %d)", self.url, connection)
        if self.pin:
            self._enter_pin()

    def _resync(self) -> None:
        """After a timeout the modem may still answer the old command (an ``OK`` that would be
        taken for the next one's): ask something whose answer cannot be mistaken, and skip
        whatever comes before it."""
        self._transact("AT+CMGF?", self.command_timeout, expect="+CMGF:")
        self._unsure = False
        log.info("modem on %s: in step again after a timeout", self.url)

    def _enter_pin(self) -> None:
        if self._sim_state() == "SIM PIN":
            self._transact(f'AT+CPIN="{self.pin}"', self.command_timeout)
            log.info("modem: SIM PIN entered")

    # -- status ---------------------------------------------------------------------------
    def status(self) -> ModemStatus:
        """Ask the modem about its SIM, signal and registration (never raises)."""
        connections = self.link.connections
        sim = "unknown"
        with self._lock:
            try:
                self._ensure_ready()
                sim = self._sim_state()
                csq = self._transact("AT+CSQ", self.command_timeout)
                creg = self._transact("AT+CREG?", self.command_timeout)
            except ModemUnavailable:
                return ModemStatus(connected=False, connections=connections)
            except ModemTimeout as exc:
                return ModemStatus(connected=True, answering=False, connections=connections,
                                   detail=exc.failure.text)
            except ModemError as exc:
                return ModemStatus(connected=True, sim=sim, connections=connections,
                                   detail=exc.failure.describe())
        rssi = next((v for v in map(parse_csq, csq) if v is not None), None)
        registration = next((v for v in map(parse_creg, creg) if v is not None), None)
        return ModemStatus(connected=True, sim=sim, rssi=rssi, registration=registration,
                           connections=self.link.connections)

    def _sim_state(self) -> str:
        try:
            return parse_cpin(next(iter(self._transact("AT+CPIN?", self.command_timeout)), ""))
        except (ModemUnavailable, ModemTimeout):
            raise
        except ModemError as exc:  # +CME ERROR: 10 is "SIM not inserted"
            return "missing" if exc.failure.code in (10, 310) else "unknown"

    # -- SMS ------------------------------------------------------------------------------
    def next_reference(self) -> int:
        """A fresh 8-bit reference for the parts of one concatenated SMS."""
        with self._lock:
            self._reference = (self._reference + 1) % 256
            return self._reference

    def send_sms(self, number: str, text: str, *, reference: int | None = None,
                 from_part: int = 1,
                 on_part: Callable[[int], None] | None = None) -> list[int]:
        """Send ``text`` to ``number``; the modem's message reference of each part sent.

        A long text is sent as parts ``from_part`` onwards (a retry after part 2 failed sends
        parts 2… again with the same ``reference``, so the phone still joins them); ``on_part``
        is called with each part's number once the network took it.
        """
        with self._lock:
            self._ensure_ready()
            if from_part == 1 and text_mode_safe(text):
                pdu.encode_address(number)  # refuse a number that is not one before dialling
                return [self._send_text_mode(number, text)]
            pdus = pdu.submit_pdus(number, text, validity_minutes=self.validity_minutes,
                                   reference=self.next_reference() if reference is None else reference)
            self._transact("AT+CMGF=0", self.command_timeout)
            references: list[int] = []
            for part in pdus[from_part - 1 :]:
                references.append(self._submit(f"AT+CMGS={part.tpdu_length}", part.hex.encode("ascii")))
                if on_part is not None:
                    on_part(part.part)
            return references

    def _send_text_mode(self, number: str, text: str) -> int:
        self._transact("AT+CMGF=1", self.command_timeout)
        self._transact('AT+CSCS="GSM"', self.command_timeout)
        kind = 145 if number.startswith("+") else 129
        return self._submit(f'AT+CMGS="{number}",{kind}', bytes(pdu.gsm7_codes(text)))

    def _submit(self, command: str, payload: bytes) -> int:
        connection = self.link.connections
        self._transact(command, self.command_timeout, prompt=True)
        self._write(payload + CTRL_Z)
        try:
            lines = self._read_answer(command, self.send_timeout, connection)
        except ModemTimeout:
            self.link.write(ESC)  # abandon the message if the modem is still waiting for it
            raise
        for line in lines:
            match = re.match(r"^\+CMGS:\s*(\d+)", line)
            if match:
                return int(match[1])
        raise ModemError(SendFailure("modem", None, "modem tidak memberi nomor referensi pesan "
                                     "(no +CMGS message reference in the answer)", True))
