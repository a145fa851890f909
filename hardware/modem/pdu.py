"""SMS texts as a GSM modem takes them: the GSM 7-bit alphabet, segments, and SMS-SUBMIT PDUs.

Pure functions, no I/O (3GPP TS 23.038 for the alphabet, TS 23.040 for the PDU):

- A text made only of characters of the GSM 7-bit default alphabet and its extension table
  goes as GSM-7: 160 septets in one SMS, 153 in each part of a long one (the 6-octet user data
  header takes 7 septets). An extension character (``€ [ ] { } \\ ~ ^ |``) takes two septets,
  and a part never ends between its escape and its character.
- Any other text goes as UCS2 (UTF-16 big-endian): 70 code units in one SMS, 67 in each part;
  a part never ends inside a surrogate pair (an emoji stays whole).
- A long text becomes a concatenated SMS: each part carries the header ``05 00 03 ref total
  seq`` (8-bit reference), which the phone uses to put the parts back together in order.

``submit_pdus`` builds what ``AT+CMGS`` takes in PDU mode; ``decode_submit`` reads one back
(the modem simulator uses it, so does anyone checking what was sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["gsm7", "ucs2"]

#: The GSM 7-bit default alphabet (TS 23.038 6.2.1), by code; 0x1B is the escape to the
#: extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The default extension table (TS 23.038 6.2.1.1): character → code after the escape.
GSM7_EXTENSION = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D,
                  "]": 0x3E, "|": 0x40, "€": 0x65}  # fmt: skip
ESCAPE = 0x1B
_BASIC_CODE = {char: code for code, char in enumerate(GSM7_BASIC) if code != ESCAPE}
_EXTENSION_CHAR = {code: char for char, code in GSM7_EXTENSION.items()}

SINGLE_LIMIT: dict[Encoding, int] = {"gsm7": 160, "ucs2": 70}  # septets / UTF-16 units
PART_LIMIT: dict[Encoding, int] = {"gsm7": 153, "ucs2": 67}
MAX_PARTS = 255  # the header's count is one octet

DCS: dict[Encoding, int] = {"gsm7": 0x00, "ucs2": 0x08}
FIRST_OCTET_SUBMIT = 0x01  # TP-MTI SMS-SUBMIT
VPF_RELATIVE = 0x10  # TP-VPF: a relative validity period octet follows TP-DCS
UDHI = 0x40  # TP-UDHI: the user data starts with a header
IEI_CONCATENATED_8BIT = 0x00


class PduError(ValueError):
    """A text that cannot be sent as SMS, or bytes that are not an SMS-SUBMIT PDU."""


def is_gsm7(text: str) -> bool:
    """Whether every character is in the GSM 7-bit alphabet or its extension table."""
    return all(c in _BASIC_CODE or c in GSM7_EXTENSION for c in text)


def encoding_for(text: str) -> Encoding:
    return "gsm7" if is_gsm7(text) else "ucs2"


def gsm7_codes(text: str) -> list[int]:
    """The septet values of ``text`` (an extension character is the escape and its code)."""
    codes: list[int] = []
    for char in text:
        if char in _BASIC_CODE:
            codes.append(_BASIC_CODE[char])
        elif char in GSM7_EXTENSION:
            codes += [ESCAPE, GSM7_EXTENSION[char]]
        else:
            raise PduError(f"{char!r} is not in the GSM 7-bit alphabet")
    return codes


def gsm7_text(codes: list[int]) -> str:
    """The text of septet values (an unknown extension code reads as a space, as TS 23.038
    asks of a receiver)."""
    chars: list[str] = []
    escaped = False
    for code in codes:
        if escaped:
            chars.append(_EXTENSION_CHAR.get(code, " "))
            escaped = False
        elif code == ESCAPE:
            escaped = True
        else:
            chars.append(GSM7_BASIC[code])
    return "".join(chars)


def _units(char: str, encoding: Encoding) -> int:
    """What one character costs: septets in GSM-7, UTF-16 code units in UCS2."""
    if encoding == "gsm7":
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def length(text: str, encoding: Encoding | None = None) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS2) the text takes."""
    chosen = encoding or encoding_for(text)
    return sum(_units(c, chosen) for c in text)


def split(text: str, encoding: Encoding | None = None) -> list[str]:
    """The parts ``text`` is sent in: one if it fits a single SMS, else parts of at most
    153 septets / 67 units, none ending inside a character."""
    chosen = encoding or encoding_for(text)
    if length(text, chosen) <= SINGLE_LIMIT[chosen]:
        return [text]
    limit = PART_LIMIT[chosen]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        cost = _units(char, chosen)
        if used + cost > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost
    parts.append("".join(current))
    if len(parts) > MAX_PARTS:
        raise PduError(f"a text of {len(parts)} parts is too long for SMS (at most {MAX_PARTS})")
    return parts


# -- septet packing (TS 23.038 6.1.2.1.1) -----------------------------------------------------
def pack_septets(codes: list[int], *, fill_bits: int = 0) -> bytes:
    """Septets packed into octets, least significant bit first, after ``fill_bits`` zero bits
    (the padding that aligns the text to a septet boundary after a user data header)."""
    value = 0
    bits = fill_bits
    for code in codes:
        value |= (code & 0x7F) << bits
        bits += 7
    return value.to_bytes((bits + 7) // 8, "little") if bits else b""


def unpack_septets(data: bytes, count: int, *, fill_bits: int = 0) -> list[int]:
    value = int.from_bytes(data, "little") >> fill_bits
    return [(value >> (7 * i)) & 0x7F for i in range(count)]


# -- addresses (TS 23.040 9.1.2.5) -------------------------------------------------------------
def encode_address(number: str) -> bytes:
    """TP-DA: digit count, type of address (international if it starts with ``+``), the digits
    in swapped semi-octets padded with F."""
    digits = number[1:] if number.startswith("+") else number
    if not digits.isdigit() or not 1 <= len(digits) <= 20:
        raise PduError(f"{number!r} is not a phone number (digits, optionally after +)")
    kind = 0x91 if number.startswith("+") else 0x81
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    return bytes([len(digits), kind]) + bytes.fromhex(swapped)


def decode_address(data: bytes, offset: int) -> tuple[str, int]:
    """The number at ``offset`` and the offset after it."""
    count, kind = data[offset], data[offset + 1]
    octets = data[offset + 2 : offset + 2 + (count + 1) // 2]
    digits = "".join(f"{b & 0x0F:X}{b >> 4:X}" for b in octets)[:count]
    return ("+" if kind & 0x70 == 0x10 else "") + digits, offset + 2 + len(octets)


def relative_validity(minutes: int) -> int:
    """The TP-VP octet for at least ``minutes`` of validity (TS 23.040 9.2.3.12.1)."""
    if minutes <= 12 * 60:
        return max(0, min(143, -(-minutes // 5) - 1))
    if minutes <= 24 * 60:
        return 143 + -(-(minutes - 12 * 60) // 30)
    if minutes <= 30 * 24 * 60:
        return 166 + -(-minutes // (24 * 60))
    return min(255, 192 + -(-minutes // (7 * 24 * 60)))


# -- SMS-SUBMIT -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubmitPdu:
    """One SMS of a text: the hex ``AT+CMGS`` takes in PDU mode and the TPDU length it names."""

    hex: str
    tpdu_length: int
    part: int
    parts: int


def submit_pdus(number: str, text: str, *, reference: int = 0, validity_minutes: int = 24 * 60,
                encoding: Encoding | None = None) -> list[SubmitPdu]:
    """The SMS-SUBMIT PDUs for ``text`` to ``number``: one, or the parts of a concatenated SMS
    sharing ``reference`` (0-255). The service centre is the SIM's (SMSC length 00)."""
    chosen = encoding or encoding_for(text)
    parts = split(text, chosen)
    address = encode_address(number)
    vp = relative_validity(validity_minutes)
    pdus: list[SubmitPdu] = []
    for seq, part in enumerate(parts, start=1):
        header = (bytes([5, IEI_CONCATENATED_8BIT, 3, reference & 0xFF, len(parts), seq])
                  if len(parts) > 1 else b"")  # fmt: skip
        first = FIRST_OCTET_SUBMIT | VPF_RELATIVE | (UDHI if header else 0)
        if chosen == "gsm7":
            codes = gsm7_codes(part)
            header_septets = -(-len(header) * 8 // 7)
            fill = header_septets * 7 - len(header) * 8
            body = header + pack_septets(codes, fill_bits=fill)
            udl = header_septets + len(codes)
        else:
            body = header + part.encode("utf-16-be")
            udl = len(body)
        tpdu = bytes([first, 0x00]) + address + bytes([0x00, DCS[chosen], vp, udl]) + body
        pdus.append(SubmitPdu("00" + tpdu.hex().upper(), len(tpdu), seq, len(parts)))
    return pdus


@dataclass(frozen=True)
class DecodedSubmit:
    """What an SMS-SUBMIT PDU says: to whom, the text of this part, and where it belongs."""

    number: str
    text: str
    encoding: Encoding
    reference: int | None = None  # of a concatenated SMS
    part: int = 1
    parts: int = 1


def decode_submit(pdu_hex: str, *, with_smsc: bool = True) -> DecodedSubmit:
    """Read back an SMS-SUBMIT PDU (as ``AT+CMGS`` takes it in PDU mode)."""
    try:
        data = bytes.fromhex(pdu_hex.strip())
        offset = 1 + data[0] if with_smsc else 0
        first = data[offset]
        if first & 0x03 != FIRST_OCTET_SUBMIT:
            raise PduError("not an SMS-SUBMIT PDU")
        number, offset = decode_address(data, offset + 2)  # after the first octet and TP-MR
        dcs = data[offset + 1]
        offset += 2
        vpf = first & 0x18
        offset += {0x00: 0, 0x10: 1}.get(vpf, 7)
        udl = data[offset]
        user_data = data[offset + 1 :]
    except (IndexError, ValueError) as exc:
        raise PduError(f"not a readable SMS-SUBMIT PDU: {exc}") from exc
    encoding: Encoding = "ucs2" if dcs & 0x0C == 0x08 else "gsm7"
    header = b""
    if first & UDHI:
        header = user_data[: 1 + user_data[0]]
    reference, part, parts = _concatenation(header)
    if encoding == "gsm7":
        header_septets = -(-len(header) * 8 // 7)
        fill = header_septets * 7 - len(header) * 8
        codes = unpack_septets(user_data[len(header) :], udl - header_septets, fill_bits=fill)
        text = gsm7_text(codes)
    else:
        text = user_data[len(header) : udl].decode("utf-16-be")
    return DecodedSubmit(number, text, encoding, reference, part, parts)


def _concatenation(header: bytes) -> tuple[int | None, int, int]:
    """(reference, part, parts) from a user data header's concatenation element, if any."""
    i = 1
    while i + 1 < len(header):
        iei, size = header[i], header[i + 1]
        value = header[i + 2 : i + 2 + size]
        if iei == IEI_CONCATENATED_8BIT and size == 3:
            return value[0], value[2], value[1]
        if iei == 0x08 and size == 4:  # 16-bit reference
            return int.from_bytes(value[:2], "big"), value[3], value[2]
        i += 2 + size
    return None, 1, 1
