"""Simulated scanners, to drive a demo kiosk or a test through the real paths.

- ``SerialScannerSimulator``: a serial scanner's end of the line. It writes each code and its
  suffix one byte every 10 bit times of its baud rate (start bit, 8 data bits, stop bit), as a
  UART does, and can send line noise. Either it owns its own cable (a pseudo-terminal whose
  port it publishes at ``url``, which ``unplug``/``plug`` pull and put back as USB does: the port
  vanishes and comes back at the same name), or it takes the device end of a line someone else
  made (``url=``: one end of a socat pty pair, ``socket://``).
- ``wedge_keystrokes``: the pygame ``KEYDOWN``/``KEYUP`` events a USB keyboard-wedge scanner
  makes (a few milliseconds apart, Enter last); ``typed_keystrokes`` the same code typed by a
  person; ``play_keystrokes`` posts either into pygame's event queue at their times.
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
import threading
import time
import tty
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import serial

if TYPE_CHECKING:
    import pygame

BITS_PER_CHARACTER = 10  # 8N1: a start bit, 8 data bits, a stop bit


@dataclass(frozen=True)
class Sent:
    """One burst on the line: when its first byte went out and when its last one did."""

    data: bytes
    started: float
    finished: float


class SerialScannerSimulator:
    """A serial barcode/QR scanner at ``baudrate`` that ends each code with ``suffix``."""

    def __init__(self, url: str | None = None, *, link: Path | None = None,
                 baudrate: int = 9600, suffix: bytes = b"\r", seed: int | None = None) -> None:
        self.baudrate = baudrate
        self.suffix = suffix
        self.byte_seconds = BITS_PER_CHARACTER / baudrate
        self.sent: list[Sent] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._port: Any = None
        self._master: int | None = None
        self._slave: int | None = None
        self._own_dir: str | None = None
        if url is not None:
            self.url = url
            self._port = serial.serial_for_url(url, baudrate=baudrate, timeout=0)
            self._link: Path | None = None
            return
        if link is None:
            self._own_dir = tempfile.mkdtemp(prefix="antrean-scanner-")
            link = Path(self._own_dir) / "scanner"
        self._link = link
        self.url = str(link)
        self.plug()

    # -- the cable (own pseudo-terminal only) ------------------------------------------------
    @property
    def plugged(self) -> bool:
        return self._port is not None or self._master is not None

    def plug(self) -> None:
        """Plug the scanner in: its port appears at ``url``."""
        if self._link is None:
            raise RuntimeError("this scanner is on someone else's line: plug that line instead")
        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            tty.setraw(slave)  # no echo, no CR→LF: bytes cross as a cable carries them
            temporary = self._link.with_name(self._link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            temporary.symlink_to(os.ttyname(slave))
            temporary.replace(self._link)
            self._master, self._slave = master, slave

    def unplug(self) -> None:
        """Pull the scanner out: whoever has its port open loses it, and the name goes."""
        if self._link is None:
            raise RuntimeError("this scanner is on someone else's line: pull that line instead")
        with self._lock:
            with contextlib.suppress(FileNotFoundError):
                self._link.unlink()
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None

    def close(self) -> None:
        if self._link is not None:
            self.unplug()
        elif self._port is not None:
            self._port.close()
            self._port = None
        if self._own_dir is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self._own_dir)

    # -- reading -----------------------------------------------------------------------------
    def scan(self, code: str) -> Sent:
        """Read ``code`` (blocking while it goes out: 1 ms a character at 9600 baud)."""
        return self.send(code.encode("ascii") + self.suffix)

    def noise(self, data: bytes | None = None) -> Sent:
        """Line noise: ``data``, or a burst of control and high bytes ended like a code."""
        if data is None:
            length = self._random.randint(4, 24)
            junk = [self._random.choice([*range(0x00, 0x09), *range(0x80, 0x100)])
                    for _ in range(length)]
            data = bytes(junk) + self.suffix
        return self.send(data)

    def send(self, data: bytes) -> Sent:
        """Put ``data`` on the line, each byte at its time; an unplugged scanner sends nothing."""
        with self._lock:
            if not self.plugged:
                raise RuntimeError("the scanner is unplugged")
            started = time.monotonic()
            for index, byte in enumerate(data):
                delay = started + index * self.byte_seconds - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self._write(bytes([byte]))
            finished = time.monotonic()
        sent = Sent(data, started, finished)
        self.sent.append(sent)
        return sent

    def _write(self, data: bytes) -> None:
        if self._master is not None:
            os.write(self._master, data)
        else:
            self._port.write(data)
            self._port.flush()


# -- keyboard wedge ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Keystroke:
    """A pygame key event due ``at_ms`` milliseconds after the first one."""

    at_ms: float
    event: pygame.event.Event


_SHIFTED = frozenset('~!@#$%^&*()_+{}|:"<>?')


def wedge_keystrokes(code: str, gap_ms: float = 8, *, jitter_ms: float = 0,
                     seed: int | None = None) -> list[Keystroke]:
    """The keys a keyboard-wedge scanner types for ``code``, then Enter, ``gap_ms`` apart
    (plus up to ``jitter_ms``): Shift around capitals, each key down then up."""
    import pygame  # here: a serial simulator alone does not load pygame

    rand = random.Random(seed)
    strokes: list[Keystroke] = []
    at = 0.0
    for char in [*code, "\r"]:
        shifted = char.isupper() or char in _SHIFTED
        key = pygame.K_RETURN if char == "\r" else ord(char.lower())
        mod = pygame.KMOD_LSHIFT if shifted else pygame.KMOD_NONE
        if shifted:
            strokes.append(_key(pygame.KEYDOWN, at, pygame.K_LSHIFT, "", mod))
        strokes.append(_key(pygame.KEYDOWN, at + 0.5, key, char, mod))
        strokes.append(_key(pygame.KEYUP, at + 1.5, key, char, mod))
        if shifted:
            strokes.append(_key(pygame.KEYUP, at + 2, pygame.K_LSHIFT, "", pygame.KMOD_NONE))
        at += gap_ms + rand.uniform(0, jitter_ms)
    return strokes


def typed_keystrokes(code: str, gap_ms: float = 180, *, seed: int | None = None) -> list[Keystroke]:
    """The same code typed by a person on a keyboard: a key every ``gap_ms`` or so."""
    return wedge_keystrokes(code, gap_ms * 0.7, jitter_ms=gap_ms * 0.6, seed=seed)


def _key(kind: int, at: float, key: int, char: str, mod: int) -> Keystroke:
    import pygame

    return Keystroke(at, pygame.event.Event(kind, key=key, unicode=char, mod=mod, scancode=0))


def post_keystrokes(strokes: Sequence[Keystroke]) -> None:
    """Post ``strokes`` into pygame's event queue, each at its time (blocking)."""
    import pygame

    started = time.monotonic()
    for stroke in strokes:
        delay = started + stroke.at_ms / 1000 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        pygame.event.post(stroke.event)


def play_keystrokes(strokes: Sequence[Keystroke]) -> threading.Thread:
    """``post_keystrokes`` on a thread of its own, as a scanner types while the kiosk runs."""
    thread = threading.Thread(target=post_keystrokes, args=(list(strokes),),
                              name="wedge-simulator", daemon=True)
    thread.start()
    return thread
