"""Split a stream of ESC/POS bytes into text runs and commands, incrementally.

The simulator needs this to answer ``DLE EOT n`` without mistaking bytes inside an image or a QR
payload for a request; the renderer needs it to draw the paper. Only the length of each command
is known here, not its meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
_CONTROL_NAMES = {0x09: "HT", 0x0A: "LF", 0x0C: "FF", 0x0D: "CR", 0x18: "CAN"}


@dataclass(frozen=True)
class TextRun:
    data: bytes


@dataclass(frozen=True)
class Command:
    """One command: ``name`` like ``"ESC !"`` or ``"GS ( k"``, ``raw`` its bytes in full."""

    name: str
    raw: bytes
    head: int = 1

    @property
    def args(self) -> bytes:
        """The bytes after the command's name."""
        return self.raw[self.head :]


Token = TextRun | Command
# A length rule gets the buffer and the command's start; it returns the command's total length,
# or None when more bytes are needed to know it.
_Rule = Callable[[bytes, int], int | None]


def _fixed(n: int) -> _Rule:
    return lambda buf, i: n


def _nul_terminated(start: int) -> _Rule:
    def rule(buf: bytes, i: int) -> int | None:
        end = buf.find(b"\x00", i + start)
        return None if end < 0 else end - i + 1

    return rule


def _le(buf: bytes, at: int, count: int) -> int | None:
    if len(buf) < at + count:
        return None
    return int.from_bytes(buf[at : at + count], "little")


def _esc_star(buf: bytes, i: int) -> int | None:
    if len(buf) < i + 5:
        return None
    columns = buf[i + 3] | buf[i + 4] << 8
    return 5 + columns * (1 if buf[i + 2] in (0, 1) else 3)


def _esc_c(buf: bytes, i: int) -> int | None:
    return 4


def _gs_v(buf: bytes, i: int) -> int | None:
    if len(buf) < i + 3:
        return None
    return 4 if buf[i + 2] in (65, 66, 97, 98, 103, 104) else 3


def _gs_v0(buf: bytes, i: int) -> int | None:
    if len(buf) < i + 8:
        return None
    width_bytes = buf[i + 4] | buf[i + 5] << 8
    height = buf[i + 6] | buf[i + 7] << 8
    return 8 + width_bytes * height


def _gs_paren(buf: bytes, i: int) -> int | None:
    size = _le(buf, i + 3, 2)
    return None if size is None else 5 + size


def _gs_8(buf: bytes, i: int) -> int | None:
    size = _le(buf, i + 3, 4)
    return None if size is None else 7 + size


def _gs_k(buf: bytes, i: int) -> int | None:
    if len(buf) < i + 3:
        return None
    if buf[i + 2] <= 6:
        return _nul_terminated(3)(buf, i)
    return None if len(buf) < i + 4 else 4 + buf[i + 3]


_TWO = b"@2<SL="
_THREE = b"!E-aMtdJ3{GRVrUT%e "
_RULES: dict[bytes, _Rule] = {
    **{bytes([ESC, c]): _fixed(2) for c in _TWO},
    **{bytes([ESC, c]): _fixed(3) for c in _THREE},
    bytes([ESC, ord("p")]): _fixed(5),
    bytes([ESC, ord("$")]): _fixed(4),
    bytes([ESC, ord("\\")]): _fixed(4),
    bytes([ESC, ord("c")]): _esc_c,
    bytes([ESC, ord("D")]): _nul_terminated(2),
    bytes([ESC, ord("*")]): _esc_star,
    **{bytes([GS, c]): _fixed(3) for c in b"!BHhwfaIbr"},
    **{bytes([GS, c]): _fixed(4) for c in b"LWP"},
    bytes([GS, ord("V")]): _gs_v,
    bytes([GS, ord("v"), ord("0")]): _gs_v0,
    bytes([GS, ord("(")]): _gs_paren,
    bytes([GS, ord("8"), ord("L")]): _gs_8,
    bytes([GS, ord("k")]): _gs_k,
    bytes([DLE, 0x04]): _fixed(3),
    bytes([DLE, 0x05]): _fixed(3),
    bytes([DLE, 0x14]): _fixed(5),
    **{bytes([FS, c]): _fixed(2) for c in b".&"},
    bytes([FS, ord("C")]): _fixed(3),
    bytes([FS, ord("p")]): _fixed(4),
}
_NAMES = {ESC: "ESC", GS: "GS", DLE: "DLE", FS: "FS"}


def _name(prefix: bytes) -> str:
    parts = [_NAMES[prefix[0]]]
    for b in prefix[1:]:
        parts.append({0x04: "EOT", 0x05: "ENQ", 0x14: "DC4"}.get(b, chr(b)))
    return " ".join(parts)


class Tokenizer:
    """Feed bytes as they arrive; get back the complete tokens, the tail is kept for later."""

    def __init__(self) -> None:
        self._buffer = b""

    @property
    def pending(self) -> bytes:
        return self._buffer

    def feed(self, data: bytes) -> list[Token]:
        buf = self._buffer + data
        tokens: list[Token] = []
        i = 0
        while i < len(buf):
            b = buf[i]
            if b >= 0x20:
                j = i
                while j < len(buf) and buf[j] >= 0x20:
                    j += 1
                tokens.append(TextRun(buf[i:j]))
                i = j
                continue
            if b in _NAMES:
                length = self._command_length(buf, i)
                if length is None or i + length > len(buf):
                    break  # wait for the rest of the command
                three = buf[i : i + 3] in _RULES or buf[i : i + 2] == b"\x1d("
                head = 3 if length >= 3 and three else 2
                tokens.append(Command(_name(buf[i : i + head]), buf[i : i + length], head))
                i += length
                continue
            tokens.append(Command(_CONTROL_NAMES.get(b, f"0x{b:02X}"), buf[i : i + 1]))
            i += 1
        self._buffer = buf[i:]
        return tokens

    @staticmethod
    def _command_length(buf: bytes, i: int) -> int | None:
        if len(buf) < i + 2:
            return None
        if len(buf) >= i + 3:
            rule = _RULES.get(buf[i : i + 3])
            if rule is not None:
                return rule(buf, i)
        elif buf[i : i + 2] in (bytes([GS, ord("v")]), bytes([GS, ord("8")])):
            return None
        rule = _RULES.get(buf[i : i + 2])
        return rule(buf, i) if rule is not None else 2


def tokenize(data: bytes) -> list[Token]:
    """All tokens of ``data``; an incomplete command at the end becomes ``Command("INCOMPLETE")``."""
    tokenizer = Tokenizer()
    tokens = tokenizer.feed(data)
    if tokenizer.pending:
        tokens.append(Command("INCOMPLETE", tokenizer.pending))
    return tokens
