"""A GSM modem that speaks the AT dialogue of 3GPP TS 27.005/27.007, for tests and the demo.

It takes one end of a serial line (a socat pty pair, ``socat pty,raw,echo=0,link=/tmp/modem
pty,raw,echo=0,link=/tmp/modem-sim``) and behaves as a USB GSM modem does: at power-up it echoes
commands (until ``ATE0``) and reports errors as a bare ``ERROR`` (until ``AT+CMEE=1``); it
answers each command after ``answer_seconds``; ``AT+CMGS`` gets the ``> `` prompt, and the
message (ended by Ctrl-Z) gets ``+CMGS: <mr>`` after ``send_seconds``, the time the network
takes. Its SIM can be missing or locked by a PIN, its signal gone, its registration lost, and
the next N sends can fail with a given ``+CMS ERROR``; ``unplug``/``replug`` power it off and
on (it forgets its settings, as a real one does).

What it "sent" is kept: each part as it came (``parts``) and each whole message, the parts of a
concatenated SMS joined in order (``messages``), PDUs decoded back to text.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import serial

from hardware.modem import pdu

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentPart:
    """One SMS the simulator handed to the "network"."""

    number: str
    text: str
    mode: str  # "text" or "pdu"
    encoding: str  # "gsm7" or "ucs2"
    message_reference: int
    reference: int | None = None  # of a concatenated SMS
    part: int = 1
    parts: int = 1
    pdu: str = ""


@dataclass(frozen=True)
class SentMessage:
    number: str
    text: str
    parts: int
    encoding: str
    mode: str


class ModemSimulator:
    """A GSM modem on ``url``. Start it with ``start()``; its state can change while it runs."""

    def __init__(self, url: str, *, baudrate: int = 115200, answer_seconds: float = 0.02,
                 send_seconds: float = 1.5, pin: str | None = None, sim: bool = True,
                 rssi: int | None = 18, registration: int = 1) -> None:
        self.url = url
        self.baudrate = baudrate
        self.answer_seconds = answer_seconds
        self.send_seconds = send_seconds
        self.pin = pin
        self.sim_present = sim
        self.rssi = rssi
        self.registration = registration
        self.parts: list[SentPart] = []
        self.commands: list[str] = []  # every command line heard, for tests to read
        self.changed = threading.Condition()
        self._failures: deque[int | None] = deque()
        self._lock = threading.Lock()
        self._port: Any = None
        self._stop = threading.Event()
        self._plugged = threading.Event()
        self._thread = threading.Thread(target=self._run, name="modem-sim", daemon=True)
        self._message_reference = 0
        self._power_on()

    # -- what a test or the demo changes ----------------------------------------------------
    def fail_next(self, count: int, code: int, *, after: int = 0) -> None:
        """The next ``count`` sends (after ``after`` that succeed) answer ``+CMS ERROR: code``."""
        with self._lock:
            self._failures.extend([None] * after + [code] * count)

    def unplug(self) -> None:
        """Pull the modem out: its port closes, it forgets its settings."""
        self._plugged.clear()
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            port.close()

    def replug(self, url: str | None = None) -> None:
        """Plug it back in (powered up afresh: echo on, numeric errors off, PIN asked again)."""
        self.url = url or self.url
        with self._lock:
            self._power_on()
            self._port = self._open()
        self._plugged.set()

    def start(self) -> ModemSimulator:
        self._port = self._open()
        self._plugged.set()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._plugged.set()
        self._thread.join(timeout=5)
        if self._port is not None:
            self._port.close()

    def __enter__(self) -> ModemSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what it sent -----------------------------------------------------------------------
    @property
    def messages(self) -> list[SentMessage]:
        """Whole messages, in the order their last part arrived."""
        with self.changed:
            parts = list(self.parts)
        whole: list[SentMessage] = []
        pending: dict[tuple[str, int, int], dict[int, SentPart]] = {}
        for part in parts:
            if part.parts == 1 or part.reference is None:
                whole.append(SentMessage(part.number, part.text, 1, part.encoding, part.mode))
                continue
            key = (part.number, part.reference, part.parts)
            pending.setdefault(key, {})[part.part] = part  # a resent part replaces the first
            if len(pending[key]) == part.parts:
                pieces = pending.pop(key)
                text = "".join(pieces[i].text for i in range(1, part.parts + 1))
                whole.append(SentMessage(part.number, text, part.parts, part.encoding, part.mode))
        return whole

    def wait_for_parts(self, count: int, timeout: float = 15.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.parts) >= count, timeout)

    # -- the modem's firmware ---------------------------------------------------------------
    def _power_on(self) -> None:
        self.echo = True
        self.cmee = 0
        self.cmgf = 0
        self.cscs = "IRA"
        self.pin_entered = self.pin is None
        self._buffer = b""
        self._composing: str | None = None  # the AT+CMGS line whose message is being typed

    def _open(self) -> Any:
        return serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05)

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._plugged.wait(0.1):
                continue
            port = self._port
            if port is None:
                time.sleep(0.02)
                continue
            try:
                data = port.read(256)
            except (serial.SerialException, OSError, TypeError, AttributeError):
                if self._port is port:  # the line died under a powered modem: wait for replug
                    log.info("modem simulator: line lost")
                    self.unplug()
                continue
            if not data:
                continue
            try:
                self._received(port, bytes(data))
            except (serial.SerialException, OSError, TypeError, AttributeError):
                log.info("modem simulator: line lost while answering")

    def _say(self, port: Any, *lines: str, prompt: bool = False) -> None:
        time.sleep(self.answer_seconds)
        out = "".join(f"\r\n{line}\r\n" for line in lines) + ("\r\n> " if prompt else "")
        try:
            port.write(out.encode("latin-1"))
        except (serial.SerialException, OSError, TypeError, AttributeError):
            log.info("modem simulator: could not answer, line gone")

    def _received(self, port: Any, data: bytes) -> None:
        for byte in data:
            if self._composing is not None:
                self._compose(port, byte)
                continue
            if byte in (0x0D,):
                line = self._buffer.decode("latin-1").strip()
                self._buffer = b""
                if self.echo:
                    port.write(line.encode("latin-1") + b"\r")
                if line:
                    self._command(port, line)
            elif byte >= 0x20:  # a modem ignores control characters between commands
                self._buffer += bytes([byte])

    def _compose(self, port: Any, byte: int) -> None:
        if byte == 0x1B:  # ESC: the message is abandoned
            self._composing, self._buffer = None, b""
            self._say(port, "OK")
        elif byte == 0x1A:  # Ctrl-Z: send it
            command, body = self._composing or "", self._buffer
            self._composing, self._buffer = None, b""
            self._send(port, command, body)
        else:
            if self.echo:
                port.write(bytes([byte]))
            self._buffer += bytes([byte])

    def _error(self, port: Any, code: int, *, cms: bool = False) -> None:
        if self.cmee == 0:
            self._say(port, "ERROR")
        else:
            self._say(port, f"+{'CMS' if cms else 'CME'} ERROR: {code}")

    def _sim_ready(self) -> bool:
        return self.sim_present and self.pin_entered

    def _command(self, port: Any, line: str) -> None:
        with self.changed:
            self.commands.append(line)
        upper = line.upper()
        start = upper.find("AT")  # what came before "AT" on the line is noise
        if start < 0:
            return
        line, body = line[start:], upper[start + 2 :]
        if body in ("", "Z", "I", "+CGMI", "+CGMM"):
            if body == "Z":
                self._power_on()
            info = {"I": ["Antrean modem simulator"], "+CGMI": ["ANTREAN"], "+CGMM": ["SIM-GSM"]}
            self._say(port, *info.get(body, []), "OK")
        elif body in ("E0", "E1"):
            self.echo = body == "E1"
            self._say(port, "OK")
        elif match := re.fullmatch(r"\+CMEE=([012])", body):
            self.cmee = int(match[1])
            self._say(port, "OK")
        elif body == "+CPIN?":
            if not self.sim_present:
                self._error(port, 10)
            else:
                self._say(port, f"+CPIN: {'READY' if self.pin_entered else 'SIM PIN'}", "OK")
        elif match := re.fullmatch(r'\+CPIN="?(\d+)"?', body):
            if not self.sim_present:
                self._error(port, 10)
            elif match[1] == self.pin or self.pin_entered:
                self.pin_entered = True
                self._say(port, "OK")
            else:
                self._error(port, 16)
        elif body == "+CSQ":
            self._say(port, f"+CSQ: {99 if self.rssi is None else self.rssi},99", "OK")
        elif body == "+CREG?":
            registered = self.registration if self._sim_ready() and self.rssi is not None else 0
            self._say(port, f"+CREG: 0,{registered}", "OK")
        elif match := re.fullmatch(r"\+CMGF=([01])", body):
            self.cmgf = int(match[1])
            self._say(port, "OK")
        elif body == "+CMGF?":
            self._say(port, f"+CMGF: {self.cmgf}", "OK")
        elif match := re.fullmatch(r'\+CSCS="(GSM|IRA|UCS2)"', body):
            self.cscs = match[1]
            self._say(port, "OK")
        elif body.startswith("+CMGS="):
            self._composing = line
            self._say(port, prompt=True)
        else:
            self._error(port, 4)  # operation not supported

    def _send(self, port: Any, command: str, body: bytes) -> None:
        try:
            parts = self._parse(command, body)
        except (pdu.PduError, ValueError) as exc:
            log.info("modem simulator: refused %s: %s", command, exc)
            self._error(port, 304 if self.cmgf == 0 else 305, cms=True)
            return
        if not self.sim_present:
            self._error(port, 310, cms=True)
            return
        if not self.pin_entered:
            self._error(port, 311, cms=True)
            return
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        time.sleep(self.send_seconds)  # the network's time, also for the ones it refuses
        if self.rssi is None or self.registration not in (1, 5):
            self._error(port, 331, cms=True)
            return
        if failure is not None:
            self._error(port, failure, cms=True)
            return
        self._message_reference = (self._message_reference + 1) % 256
        sent = SentPart(message_reference=self._message_reference, **parts)
        with self.changed:
            self.parts.append(sent)
            self.changed.notify_all()
        self._say(port, f"+CMGS: {sent.message_reference}", "OK")

    def _parse(self, command: str, body: bytes) -> dict[str, Any]:
        argument = command.split("=", 1)[1]
        if self.cmgf == 1:
            number = argument.split(",")[0].strip().strip('"')
            text = pdu.gsm7_text(list(body)) if self.cscs == "GSM" else body.decode("ascii")
            return {"number": number, "text": text, "mode": "text", "encoding": "gsm7"}
        hex_text = body.decode("ascii").strip()
        decoded = pdu.decode_submit(hex_text)
        smsc_octets = 1 + bytes.fromhex(hex_text[:2])[0]
        if int(argument) != len(hex_text) // 2 - smsc_octets:
            raise ValueError(f"AT+CMGS={argument} but the TPDU has {len(hex_text) // 2 - smsc_octets} octets")
        return {"number": decoded.number, "text": decoded.text, "mode": "pdu",
                "encoding": decoded.encoding, "reference": decoded.reference, "part": decoded.part,
                "parts": decoded.parts, "pdu": hex_text}  # fmt: skip
