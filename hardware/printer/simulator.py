"""A simulated ESC/POS printer that behaves in time like a real one.

Bytes from the host go into a receive buffer. Real-time commands (``DLE EOT n``) are answered
the moment they arrive, before anything waiting in the buffer is printed, with the state the
printer is in *now*: right after a job was sent that is nearly always "ok", whatever happens
while it prints. Everything else is printed in buffer order at ``speed_mm_s`` (150 mm/s, a common
kiosk printer; ``None`` prints at once), and ``GS r 1`` (paper sensor status) and ``GS ( H``
(the process-ID response) are answered only when the printer reaches them, after what precedes
them has been printed. A roll of ``paper_mm`` millimetres runs out in the middle of a job: the
printer stops, goes offline with "paper out", keeps the rest of the job in its buffer and the
requests behind it unanswered, and carries on once paper is loaded (``load_paper``), as printers
do. With ``answers_status=False`` it never answers status requests, like a model without status
support; with ``online=False`` as well, like a printer that is switched off.

Use it in-process (``sim://`` URLs), or serve it on a TCP port (``tcp://HOST:PORT`` URLs) or on a
serial port such as one end of a socat pty pair (``serial://`` URLs) for demos.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import serial
from escpos.escpos import Escpos

from hardware.printer import status as st
from hardware.printer.escpos_stream import Command, TextRun, Token, Tokenizer
from hardware.printer.feed_model import DOTS_PER_MM, PaperFeed

log = logging.getLogger(__name__)

PaperLevel = Literal["ok", "near_end", "out"]
_CUT_COMMANDS = {"GS V", "ESC i", "ESC m"}
_REAL_TIME = {"DLE EOT", "DLE ENQ", "DLE DC4"}
CUT_SECONDS = 0.15  # the cutter's stroke
DEFAULT_SPEED_MM_S = 150.0


class PrinterSimulator:
    """The printer's state and its byte-level behaviour in time, without any transport.

    ``feed`` takes bytes from the host and returns what the printer sends back by then (the
    real-time answers at once); ``read`` returns what it has sent since, as printing goes on.
    """

    def __init__(self, paper: PaperLevel = "ok", *, cover_open: bool = False, online: bool = True,
                 error: bool = False, answers_status: bool = True,
                 on_ticket: Callable[[bytes], None] | None = None,
                 speed_mm_s: float | None = DEFAULT_SPEED_MM_S, paper_mm: float | None = None,
                 near_end_mm: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._paper: PaperLevel = paper
        self._cover_open = cover_open
        self._online = online
        self._error = error
        self.answers_status = answers_status
        self.on_ticket = on_ticket
        self.speed_mm_s = speed_mm_s
        self.paper_mm = paper_mm  # what is left on the roll; None: it never ends
        self.near_end_mm = near_end_mm  # the near-end sensor trips below this much paper
        self._tickets: list[bytes] = []
        self.status_requests = 0
        self._tokenizer = Tokenizer()
        self._feed_model = PaperFeed()
        self._buffer: deque[Token] = deque()
        self._current = bytearray()
        self._outgoing = bytearray()
        self._engine_at = clock()  # when the engine is through with what it printed so far
        self._used_dots = 0  # of the token at the head of the buffer, when paper ran out in it

    # -- the state staff and tests change ----------------------------------------------------
    def _set(self, name: str, value: object) -> None:
        with self._lock:
            self._advance()  # what was printed before the change stays printed
            setattr(self, name, value)
            if self.printing:
                self._engine_at = max(self._engine_at, self._clock())

    def _paper_now(self) -> PaperLevel:
        with self._lock:
            self._advance()  # the roll may have ended since
            return self._paper

    paper = property(_paper_now, lambda self, v: self._set("_paper", v))
    cover_open = property(lambda self: self._cover_open, lambda self, v: self._set("_cover_open", v))
    online = property(lambda self: self._online, lambda self, v: self._set("_online", v))
    error = property(lambda self: self._error, lambda self, v: self._set("_error", v))

    def load_paper(self, millimetres: float | None = None) -> None:
        """A new roll (``None``: one that never ends); a job cut short carries on."""
        with self._lock:
            self._advance()
            self.paper_mm = millimetres
            self._set("_paper", "ok")

    @property
    def printing(self) -> bool:
        return self._online and not self._cover_open and self._paper != "out" and not self._error

    @property
    def tickets(self) -> list[bytes]:
        """The tickets cut so far, each with all its bytes."""
        with self._lock:
            self._advance()
            return self._tickets

    @property
    def current(self) -> bytes:
        """Bytes printed since the last cut."""
        with self._lock:
            self._advance()
            return bytes(self._current)

    @property
    def waiting(self) -> int:
        """Tokens received and not printed yet."""
        with self._lock:
            self._advance()
            return len(self._buffer)

    def answers(self) -> dict[int, int]:
        return st.encode_status(
            online=self._online,
            cover_open=self._cover_open,
            paper_near_end=self._paper == "near_end",
            paper_out=self._paper == "out",
            error=self._error,
        )

    # -- the host's side ---------------------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        """Take bytes from the host; return what the printer has sent back by now."""
        with self._lock:
            self._advance()
            for token in self._tokenizer.feed(data):
                if isinstance(token, Command) and token.name in _REAL_TIME:
                    if token.name == "DLE EOT":
                        self.status_requests += 1
                        answer = self.answers().get(token.raw[2]) if self.answers_status else None
                        if answer is not None:
                            self._outgoing.append(answer)
                    continue
                if not self._buffer:
                    self._engine_at = max(self._engine_at, self._clock())
                self._buffer.append(token)
            return self._take()

    def read(self) -> bytes:
        """What the printer has sent since the last ``feed`` or ``read``."""
        with self._lock:
            return self._take()

    def _take(self) -> bytes:
        self._advance()
        data, self._outgoing = bytes(self._outgoing), bytearray()
        return data

    # -- the print engine --------------------------------------------------------------------
    def _advance(self) -> None:
        """Print what the time since the last call allows, in buffer order."""
        now = self._clock()
        finished: list[bytes] = []
        while self._buffer and self.printing:
            token = self._buffer[0]
            # PaperFeed follows the size as it goes: ask it once per token, then keep the answer
            dots = self._head_dots(token) - self._used_dots
            if self.paper_mm is not None and dots > self.paper_mm * DOTS_PER_MM:
                # The roll ends in this token: print what is left of it, then stop.
                fits = int(self.paper_mm * DOTS_PER_MM)
                if not self._spend(fits, now):
                    break
                self._used_dots += fits
                self.paper_mm = 0.0
                self._paper = "out"
                log.info("simulated printer: paper out in the middle of a job")
                break
            seconds = self._seconds(dots) + (CUT_SECONDS if _is_cut(token) else 0.0)
            if self._engine_at + seconds > now:
                break
            self._engine_at += seconds
            self._buffer.popleft()
            self._head = None
            self._used_dots = 0
            if self.paper_mm is not None:
                self.paper_mm -= dots / DOTS_PER_MM
                if self._paper == "ok" and self.paper_mm < self.near_end_mm:
                    self._paper = "near_end"
            ticket = self._print(token)
            if ticket is not None:
                finished.append(ticket)
        if not self.printing:
            self._engine_at = now  # a stopped printer does not gain time to print later
        self._tickets.extend(finished)
        for ticket in finished:
            log.info("simulated printer cut a ticket of %d bytes", len(ticket))
            if self.on_ticket is not None:
                self.on_ticket(ticket)

    _head: tuple[Token, int] | None = None

    def _head_dots(self, token: Token) -> int:
        if self._head is None or self._head[0] is not token:
            self._head = (token, self._feed_model.dots(token))
        return self._head[1]

    def _seconds(self, dots: int) -> float:
        return 0.0 if not self.speed_mm_s else dots / DOTS_PER_MM / self.speed_mm_s

    def _spend(self, dots: int, now: float) -> bool:
        seconds = self._seconds(dots)
        if self._engine_at + seconds > now:
            return False
        self._engine_at += seconds
        return True

    def _print(self, token: Token) -> bytes | None:
        """Carry out one printed token; the ticket's bytes when it was a cut."""
        raw = token.data if isinstance(token, TextRun) else token.raw
        if isinstance(token, Command) and token.name == "GS r":
            if self.answers_status and token.args[:1] in (b"\x01", b"1"):
                self._outgoing.append(st.encode_paper_sensor(
                    near_end=self._paper == "near_end", paper_out=self._paper == "out"))
            return None
        if isinstance(token, Command) and token.name == "GS ( H":
            args = token.args  # pL pH fn m d1 d2 d3 d4
            if self.answers_status and len(args) >= 8 and args[2] == 48:
                self._outgoing += b"\x37\x22" + args[4:8] + b"\x00"
            return None
        self._current += raw
        if isinstance(token, Command) and token.name in _CUT_COMMANDS:
            ticket = bytes(self._current)
            self._current.clear()
            return ticket
        return None


def _is_cut(token: Token) -> bool:
    return isinstance(token, Command) and token.name in _CUT_COMMANDS


class SimulatedPrinter(Escpos):
    """A python-escpos printer whose device is an in-process ``PrinterSimulator``."""

    def __init__(self, simulator: PrinterSimulator | None = None, **kwargs: object) -> None:
        Escpos.__init__(self, **kwargs)
        self.simulator = simulator or PrinterSimulator()
        self._replies = bytearray()

    def open(self) -> None:
        self.device = self.simulator

    def _raw(self, msg: bytes) -> None:
        self._replies += self.simulator.feed(bytes(msg))

    def _read(self) -> bytes:
        data, self._replies = bytes(self._replies) + self.simulator.read(), bytearray()
        return data

    def close(self) -> None:
        self._device = False


def save_tickets_to(directory: Path) -> Callable[[bytes], None]:
    """An ``on_ticket`` handler that writes each ticket to ``directory/ticket-NNNN.bin``."""
    directory.mkdir(parents=True, exist_ok=True)
    counter = {"n": len(list(directory.glob("ticket-*.bin")))}

    def save(ticket: bytes) -> None:
        counter["n"] += 1
        path = directory / f"ticket-{counter['n']:04d}.bin"
        path.write_bytes(ticket)
        log.info("saved %s", path)

    return save


class TcpPrinterServer:
    """Serves a ``PrinterSimulator`` like a network printer on port 9100 does."""

    def __init__(self, simulator: PrinterSimulator, host: str = "127.0.0.1", port: int = 0):
        self.simulator = simulator
        self._socket = socket.create_server((host, port))
        self.address: tuple[str, int] = self._socket.getsockname()[:2]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="printer-sim-tcp", daemon=True)

    @property
    def url(self) -> str:
        return f"tcp://{self.address[0]}:{self.address[1]}"

    def start(self) -> TcpPrinterServer:
        self._thread.start()
        return self

    def _serve(self) -> None:
        self._socket.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, peer = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn, peer), daemon=True).start()

    def _client(self, conn: socket.socket, peer: object) -> None:
        log.info("printer simulator: connection from %s", peer)
        with conn:
            conn.settimeout(0.02)  # answers that come as printing goes on are sent this soon
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    data = None
                except OSError:
                    return
                if data == b"":
                    return
                reply = self.simulator.feed(data) if data else self.simulator.read()
                if reply:
                    try:
                        conn.sendall(reply)
                    except OSError:
                        return

    def stop(self) -> None:
        self._stop.set()
        self._socket.close()
        self._thread.join(timeout=5)


def serve_serial(simulator: PrinterSimulator, url: str, stop: threading.Event,
                 ready: threading.Event | None = None, *, baudrate: int | None = None) -> None:
    """Be the printer on a serial port (e.g. the far end of a socat pty pair) until ``stop``.

    ``ready`` is set once the port is open: opening a port discards what is waiting in it, so
    a host that writes before then loses its first request. ``baudrate`` plays a line of that
    speed (10 bits a byte): a pty passes any amount at once and buffers tens of kilobytes, a
    printer at 19200 baud takes about 1900 bytes a second."""
    port = serial.serial_for_url(url, timeout=0.02)  # answers as printing goes on, this soon
    chunk = 4096 if baudrate is None else max(1, baudrate // 10 // 20)  # 1/20 s of the line
    if ready is not None:
        ready.set()
    try:
        while not stop.is_set():
            data = port.read(chunk)
            reply = simulator.feed(data) if data else simulator.read()
            if reply:
                port.write(reply)
            if data and baudrate is not None:
                time.sleep(len(data) * 10 / baudrate)
    finally:
        port.close()
