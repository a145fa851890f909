"""A simulated ESC/POS printer: it keeps what it is sent, cuts it into tickets and answers the
real-time status requests according to a paper and cover state you can change at any time (or,
with ``answers_status=False``, never answers them, like a model without status support; with
``online=False`` as well, like a printer that is switched off).

Use it in-process (``sim://`` URLs), or serve it on a TCP port (``tcp://HOST:PORT`` URLs) or on a
serial port such as one end of a socat pty pair (``serial://`` URLs) for demos.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import serial
from escpos.escpos import Escpos

from hardware.printer import status as st
from hardware.printer.escpos_stream import Command, Tokenizer

log = logging.getLogger(__name__)

PaperLevel = Literal["ok", "near_end", "out"]
_CUT_COMMANDS = {"GS V", "ESC i", "ESC m"}


@dataclass
class PrinterSimulator:
    """The printer's state and its byte-level behaviour, without any transport."""

    paper: PaperLevel = "ok"
    cover_open: bool = False
    online: bool = True
    error: bool = False
    answers_status: bool = True
    tickets: list[bytes] = field(default_factory=list)
    on_ticket: Callable[[bytes], None] | None = None

    def __post_init__(self) -> None:
        self._tokenizer = Tokenizer()
        self._current = bytearray()
        self._lock = threading.Lock()
        self.status_requests = 0

    @property
    def printing(self) -> bool:
        return self.online and not self.cover_open and self.paper != "out" and not self.error

    @property
    def current(self) -> bytes:
        """Bytes printed since the last cut."""
        return bytes(self._current)

    def answers(self) -> dict[int, int]:
        return st.encode_status(
            online=self.online,
            cover_open=self.cover_open,
            paper_near_end=self.paper == "near_end",
            paper_out=self.paper == "out",
            error=self.error,
        )

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the host; return what the printer sends back."""
        replies = bytearray()
        finished: list[bytes] = []
        with self._lock:
            for token in self._tokenizer.feed(data):
                if isinstance(token, Command) and token.name == "DLE EOT":
                    self.status_requests += 1
                    answer = self.answers().get(token.raw[2]) if self.answers_status else None
                    if answer is not None:
                        replies.append(answer)
                    continue
                if isinstance(token, Command) and token.name in ("DLE ENQ", "DLE DC4"):
                    continue
                if not self.printing:
                    continue  # a printer without paper or with its cover open prints nothing
                raw = token.raw if isinstance(token, Command) else token.data
                self._current += raw
                if isinstance(token, Command) and token.name in _CUT_COMMANDS:
                    finished.append(bytes(self._current))
                    self._current.clear()
            self.tickets.extend(finished)
        for ticket in finished:
            log.info("simulated printer cut a ticket of %d bytes", len(ticket))
            if self.on_ticket is not None:
                self.on_ticket(ticket)
        return bytes(replies)


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
        data, self._replies = bytes(self._replies), bytearray()
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
            conn.settimeout(0.2)
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                reply = self.simulator.feed(data)
                if reply:
                    conn.sendall(reply)

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
    port = serial.serial_for_url(url, timeout=0.2)
    chunk = 4096 if baudrate is None else max(1, baudrate // 10 // 20)  # 1/20 s of the line
    if ready is not None:
        ready.set()
    try:
        while not stop.is_set():
            data = port.read(chunk)
            if data:
                reply = simulator.feed(data)
                if reply:
                    port.write(reply)
                if baudrate is not None:
                    time.sleep(len(data) * 10 / baudrate)
    finally:
        port.close()
