"""Wire codecs for counter devices. Pure: bytes in, frames and events out, nothing else.

Our own protocol (``antrean``, described in ``docs/serial-protocol.md``)::

    STX  ADDR  CMD  LEN  PAYLOAD[LEN]  CRC  ETX
    0x02 1     1    1    0..32         1    0x03

``CRC`` is CRC-8 (polynomial 0x07, initial value 0) over ADDR, CMD, LEN and PAYLOAD. There is no
byte stuffing: a frame is recognised by its start byte, a plausible length, the end byte at the
right place and the checksum. After garbage the decoder moves on by one byte and looks again, so
a real frame hidden behind noise is still found, and a corrupted one is dropped, never guessed.

Key and rating frames carry ``[code, sequence, boot]``: ``boot`` is a number (1-255) a keypad
draws at power-up, so that a press after a restart, whose sequence starts again at 1, is never
taken for a repeat of one before it. Frames of version 1 keypads (``[code, sequence]``) are still
understood; for them a repeat must also be the same key within ``REPEAT_SECONDS``.
Addresses 1-254 are devices; 0 is the host and 255 all LED displays at once, never a keypad.

Vendor protocols implement ``WireCodec`` and register in ``CODECS``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Protocol

from common.protocol.models import BUS_ADDRESSES, BUS_BROADCAST

log = logging.getLogger(__name__)

STX = 0x02
ETX = 0x03
MAX_PAYLOAD = 32
HOST_ADDRESS = 0x00
BROADCAST = BUS_BROADCAST
DEVICE_ADDRESSES = BUS_ADDRESSES
#: A keypad resends a frame it saw no ACK for within a few seconds (see docs/serial-protocol.md);
#: the same sequence later than this is a new press.
REPEAT_SECONDS = 5.0
_OVERHEAD = 6  # STX ADDR CMD LEN CRC ETX


class Cmd(IntEnum):
    ACK = 0x06  # host → device: [event command, sequence, boot]
    SHOW = 0x10  # host → LED display: ASCII text
    BLANK = 0x11  # host → LED display: nothing
    KEY = 0x20  # call keypad → host: [key code, sequence, boot]
    RATING = 0x21  # satisfaction keypad → host: [rating 1..4, sequence, boot]
    POLL = 0x30  # host → keypad (polled buses): send your event now
    IDLE = 0x31  # keypad → host, answering POLL: [boot], nothing to send


class Key(StrEnum):
    NEXT = "next"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    PAUSE = "pause"


KEY_CODES: dict[int, Key] = {
    0x01: Key.NEXT,
    0x02: Key.RECALL,
    0x03: Key.START,
    0x04: Key.FINISH,
    0x05: Key.NO_SHOW,
    0x06: Key.TRANSFER,
    0x07: Key.PAUSE,
}
CODE_OF_KEY: dict[Key, int] = {key: code for code, key in KEY_CODES.items()}

#: The counter command each key asks for (the verbs of the counter API).
KEY_COMMANDS: dict[Key, str] = {
    Key.NEXT: "call-next",
    Key.RECALL: "recall",
    Key.START: "start",
    Key.FINISH: "finish",
    Key.NO_SHOW: "no-show",
    Key.TRANSFER: "transfer",
    Key.PAUSE: "pause",
}

#: Satisfaction keypad ratings, as the server's ``RatingRequest`` counts them.
RATING_WORDS = {4: "sangat puas", 3: "puas", 2: "cukup puas", 1: "tidak puas"}


@dataclass(frozen=True)
class Frame:
    address: int
    command: int
    payload: bytes = b""


@dataclass(frozen=True)
class KeyEvent:
    address: int
    key: Key
    seq: int
    boot: int = 0  # 0: a version 1 keypad, which does not say

    @property
    def command(self) -> str:
        return KEY_COMMANDS[self.key]


@dataclass(frozen=True)
class RatingEvent:
    address: int
    rating: int
    seq: int
    boot: int = 0


DeviceEvent = KeyEvent | RatingEvent


def crc8(data: Iterable[int]) -> int:
    """CRC-8, polynomial 0x07, initial 0, no reflection: ``crc8(b"123456789") == 0xF4``."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc << 1 ^ 0x07) & 0xFF if crc & 0x80 else crc << 1 & 0xFF
    return crc


def encode(frame: Frame) -> bytes:
    if not 0 <= frame.address <= 0xFF or not 0 <= frame.command <= 0xFF:
        raise ValueError("address and command are one byte each")
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(f"payload is at most {MAX_PAYLOAD} bytes")
    body = bytes([frame.address, frame.command, len(frame.payload)]) + frame.payload
    return bytes([STX]) + body + bytes([crc8(body), ETX])


@dataclass
class DecoderStats:
    frames: int = 0
    garbage_bytes: int = 0
    bad_checksums: int = 0


class FrameDecoder:
    """Incremental decoder: ``feed`` any bytes, get back the complete, valid frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.stats = DecoderStats()

    @property
    def pending(self) -> bytes:
        return bytes(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while True:
            start = self._buffer.find(STX)
            if start < 0:
                self._discard(len(self._buffer))
                return frames
            self._discard(start)
            verdict = self._check(0)
            if verdict is None:
                # incomplete: but if a whole valid frame starts later, this start was noise
                later = self._next_complete_frame()
                if later is None:
                    return frames
                self._discard(later)
                continue
            if not isinstance(verdict, tuple):  # not a frame: move on by one byte
                self._discard(1)
                continue
            frame, length = verdict
            del self._buffer[:length]
            self.stats.frames += 1
            frames.append(frame)

    def _check(self, at: int) -> tuple[Frame, int] | bool | None:
        """At ``at``: a valid frame and its length, False if it cannot be one, None if unsure."""
        buf = self._buffer
        if len(buf) < at + 4:
            return None
        size = buf[at + 3]
        if size > MAX_PAYLOAD:
            return False
        end = at + _OVERHEAD + size
        if len(buf) < end:
            return None
        if buf[end - 1] != ETX:
            return False
        body = bytes(buf[at + 1 : end - 2])
        if crc8(body) != buf[end - 2]:
            self.stats.bad_checksums += 1
            log.warning("serial frame with a wrong checksum dropped: %s", buf[at:end].hex(" "))
            return False
        return Frame(body[0], body[1], body[3:]), end - at

    def _next_complete_frame(self) -> int | None:
        at = self._buffer.find(STX, 1)
        while at >= 0:
            if isinstance(self._check(at), tuple):
                return at
            at = self._buffer.find(STX, at + 1)
        return None

    def _discard(self, count: int) -> None:
        if count <= 0:
            return
        log.debug("discarding %d garbage bytes: %s", count, self._buffer[:count].hex(" "))
        self.stats.garbage_bytes += count
        del self._buffer[:count]


def event_of(frame: Frame) -> DeviceEvent | None:
    """The key press or rating a frame carries; None (and a log line) for anything else."""
    if frame.command in (Cmd.KEY, Cmd.RATING) and frame.address not in DEVICE_ADDRESSES:
        log.warning("ignoring a %s frame from address %d: keypads are at 1 to 254",
                    Cmd(frame.command).name, frame.address)
        return None
    if frame.command in (Cmd.KEY, Cmd.RATING) and len(frame.payload) in (2, 3):
        code, seq = frame.payload[0], frame.payload[1]
        boot = frame.payload[2] if len(frame.payload) == 3 else 0
        if frame.command == Cmd.KEY and code in KEY_CODES:
            return KeyEvent(frame.address, KEY_CODES[code], seq, boot)
        if frame.command == Cmd.RATING and code in RATING_WORDS:
            return RatingEvent(frame.address, code, seq, boot)
    elif frame.command in (Cmd.SHOW, Cmd.BLANK, Cmd.ACK, Cmd.POLL, Cmd.IDLE):
        return None  # our own traffic on a shared RS-485 bus, or a keypad with nothing to say
    log.warning("ignoring serial frame %s from address %d", frame, frame.address)
    return None


# -- codecs ---------------------------------------------------------------------------------
class EventDecoder(Protocol):
    def feed(self, data: bytes) -> list[DeviceEvent]: ...


class WireCodec(Protocol):
    """What a counter-device protocol must offer; ours is ``AntreanCodec``."""

    name: str

    def show(self, address: int, text: str) -> bytes: ...

    def blank(self, address: int) -> bytes: ...

    def ack(self, event: DeviceEvent) -> bytes: ...

    def poll(self, address: int) -> bytes: ...

    def decoder(self) -> EventDecoder: ...


class _AntreanEventDecoder:
    def __init__(self) -> None:
        self.frames = FrameDecoder()

    def feed(self, data: bytes) -> list[DeviceEvent]:
        events = (event_of(frame) for frame in self.frames.feed(data))
        return [event for event in events if event is not None]


class AntreanCodec:
    name = "antrean"
    display_chars = 8

    def show(self, address: int, text: str) -> bytes:
        shown = text.replace("-", "").upper()[: self.display_chars]
        return encode(Frame(_display(address), Cmd.SHOW, shown.encode("ascii", "replace")))

    def blank(self, address: int) -> bytes:
        return encode(Frame(_display(address), Cmd.BLANK))

    def ack(self, event: DeviceEvent) -> bytes:
        command = Cmd.KEY if isinstance(event, KeyEvent) else Cmd.RATING
        tail = bytes([event.boot]) if event.boot else b""
        return encode(Frame(event.address, Cmd.ACK, bytes([command, event.seq]) + tail))

    def poll(self, address: int) -> bytes:
        return encode(Frame(_keypad(address), Cmd.POLL))

    def decoder(self) -> _AntreanEventDecoder:
        return _AntreanEventDecoder()

    # device side, for simulators and tests
    @staticmethod
    def key(address: int, key: Key, seq: int, boot: int = 0) -> bytes:
        tail = bytes([boot]) if boot else b""
        return encode(Frame(_keypad(address), Cmd.KEY, bytes([CODE_OF_KEY[key], seq & 0xFF]) + tail))

    @staticmethod
    def rating(address: int, rating: int, seq: int, boot: int = 0) -> bytes:
        if rating not in RATING_WORDS:
            raise ValueError("rating is 1 (not satisfied) to 4 (very satisfied)")
        tail = bytes([boot]) if boot else b""
        return encode(Frame(_keypad(address), Cmd.RATING, bytes([rating, seq & 0xFF]) + tail))

    @staticmethod
    def idle(address: int, boot: int) -> bytes:
        return encode(Frame(_keypad(address), Cmd.IDLE, bytes([boot])))


def _keypad(address: int) -> int:
    if address not in DEVICE_ADDRESSES:
        raise ValueError(f"a keypad's address is 1 to 254, not {address} (0 is the host, 255 all)")
    return address


def _display(address: int) -> int:
    if address not in DEVICE_ADDRESSES and address != BROADCAST:
        raise ValueError(f"a display's address is 1 to 254, or 255 for all; not {address}")
    return address


CODECS: dict[str, WireCodec] = {"antrean": AntreanCodec()}


class Deduplicator:
    """Keypads resend an event until it is acknowledged; each press counts once.

    A repeat has the same address, kind, boot number, sequence and key (or rating) as the last
    event acted on, and comes within ``REPEAT_SECONDS`` of it. A keypad that restarted draws a
    new boot number, so its first press (sequence 1 again) is new; a version 1 keypad (boot 0)
    is told apart by the key and the time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[tuple[int, type], tuple[int, int, object, float]] = {}

    def is_new(self, event: DeviceEvent) -> bool:
        key = (event.address, type(event))
        what = event.key if isinstance(event, KeyEvent) else event.rating
        now = self._clock()
        last = self._last.get(key)
        if last is not None and last[:3] == (event.boot, event.seq, what) \
                and now - last[3] <= REPEAT_SECONDS:
            return False
        self._last[key] = (event.boot, event.seq, what, now)
        return True
