"""What a GSM modem's answers mean: its status as staff see it, and why a send failed.

Pure parsing, no I/O. Error codes are those of 3GPP TS 27.005 3.2.5 (``+CMS ERROR``: 0-127 the
network's RP-cause of TS 24.011 E.2, 128-255 the TP-FCS of TS 23.040 9.2.3.22, 300-511 the
modem's own) and TS 27.007 9.2 (``+CME ERROR``). A *temporary* reason (network congestion, no
service right now, the SIM busy) is worth trying again later; a *permanent* one (a number that
does not exist, a SIM that needs its PIN, a barred SIM) will fail again until someone acts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from common.protocol.models import DeviceStatusRequest

ModemState = Literal["ok", "offline", "error"]


@dataclass(frozen=True)
class SendFailure:
    """Why an SMS was not sent: ``code`` as the modem said it, a text in Indonesian then English."""

    source: Literal["cms", "cme", "modem", "timeout", "text"]
    code: int | None
    text: str
    temporary: bool

    def describe(self) -> str:
        label = {"cms": "+CMS ERROR", "cme": "+CME ERROR"}.get(self.source)
        return f"{self.text} [{label}: {self.code}]" if label else self.text


_T, _P = True, False
#: ``+CMS ERROR`` codes: (Indonesian (English), temporary).
CMS_ERRORS: dict[int, tuple[str, bool]] = {
    1: ("nomor tujuan tidak terdaftar (unassigned number)", _P),
    8: ("pengiriman diblokir operator (operator determined barring)", _P),
    10: ("panggilan diblokir (call barred)", _P),
    21: ("SMS ditolak jaringan (short message transfer rejected)", _P),
    27: ("tujuan tidak dapat dijangkau (destination out of service)", _T),
    28: ("pelanggan tidak dikenal (unidentified subscriber)", _P),
    29: ("layanan ditolak (facility rejected)", _P),
    30: ("pelanggan tidak dikenal (unknown subscriber)", _P),
    38: ("jaringan sedang gangguan (network out of order)", _T),
    41: ("gangguan sementara (temporary failure)", _T),
    42: ("jaringan padat (congestion)", _T),
    47: ("sumber daya jaringan tidak tersedia (resources unavailable)", _T),
    50: ("layanan SMS tidak berlangganan (facility not subscribed)", _P),
    69: ("layanan tidak tersedia (facility not implemented)", _P),
    95: ("pesan tidak valid (invalid message)", _P),
    96: ("pesan tidak lengkap (invalid mandatory information)", _P),
    111: ("kesalahan protokol (protocol error)", _P),
    127: ("kesalahan antarjaringan (interworking error)", _T),
    192: ("pusat SMS sibuk (SC busy)", _T),
    193: ("tidak berlangganan pusat SMS (no SC subscription)", _P),
    194: ("pusat SMS gangguan (SC system failure)", _T),
    195: ("alamat tujuan tidak valid (invalid SME address)", _P),
    196: ("tujuan diblokir (destination SME barred)", _P),
    208: ("memori SMS di SIM penuh (SIM SMS storage full)", _T),
    212: ("SIM toolkit sibuk (SIM application toolkit busy)", _T),
    300: ("modem gagal (ME failure)", _T),
    302: ("perintah tidak diizinkan (operation not allowed)", _P),
    303: ("perintah tidak didukung (operation not supported)", _P),
    304: ("parameter PDU tidak valid (invalid PDU mode parameter)", _P),
    305: ("parameter teks tidak valid (invalid text mode parameter)", _P),
    310: ("SIM tidak terpasang (SIM not inserted)", _P),
    311: ("SIM perlu PIN (SIM PIN required)", _P),
    313: ("SIM rusak (SIM failure)", _P),
    314: ("SIM sibuk (SIM busy)", _T),
    315: ("SIM salah (SIM wrong)", _P),
    316: ("SIM perlu PUK (SIM PUK required)", _P),
    322: ("memori penuh (memory full)", _T),
    330: ("nomor pusat SMS tidak diketahui (SMSC address unknown)", _P),
    331: ("tidak ada layanan jaringan (no network service)", _T),
    332: ("jaringan tidak menjawab (network timeout)", _T),
    500: ("kesalahan tidak diketahui (unknown error)", _T),
}
#: ``+CME ERROR`` codes.
CME_ERRORS: dict[int, tuple[str, bool]] = {
    0: ("modem gagal (phone failure)", _T),
    3: ("perintah tidak diizinkan (operation not allowed)", _P),
    4: ("perintah tidak didukung (operation not supported)", _P),
    10: ("SIM tidak terpasang (SIM not inserted)", _P),
    11: ("SIM perlu PIN (SIM PIN required)", _P),
    12: ("SIM perlu PUK (SIM PUK required)", _P),
    13: ("SIM rusak (SIM failure)", _P),
    14: ("SIM sibuk (SIM busy)", _T),
    15: ("SIM salah (SIM wrong)", _P),
    16: ("PIN salah (incorrect password)", _P),
    30: ("tidak ada layanan jaringan (no network service)", _T),
    31: ("jaringan tidak menjawab (network timeout)", _T),
    100: ("kesalahan tidak diketahui (unknown error)", _T),
}

_ERROR = re.compile(r"^\+(CMS|CME) ERROR:\s*(.+)$")


def parse_error(line: str) -> SendFailure | None:
    """The failure a final result line reports (``+CMS ERROR: 42``, ``+CME ERROR: 10``, or
    ``ERROR`` when the modem gives no code), None for any other line."""
    if line == "ERROR":
        return SendFailure("modem", None, "modem menolak perintah (modem answered ERROR)", True)
    match = _ERROR.match(line)
    if match is None:
        return None
    source: Literal["cms", "cme"] = "cms" if match[1] == "CMS" else "cme"
    table = CMS_ERRORS if source == "cms" else CME_ERRORS
    value = match[2].strip()
    if not value.isdigit():  # verbose errors (AT+CMEE=2): the modem's own words
        return SendFailure(source, None, f"modem: {value}", True)
    code = int(value)
    # An unknown code may be temporary: trying again a few times costs less than losing it.
    text, temporary = table.get(code, (f"kesalahan modem {code} (modem error {code})", True))
    return SendFailure(source, code, text, temporary)


# -- status -----------------------------------------------------------------------------------
#: ``+CREG: <n>,<stat>`` (TS 27.007 7.2).
REGISTRATION: dict[int, str] = {
    0: "tidak terdaftar, tidak mencari jaringan (not registered, not searching)",
    1: "terdaftar di jaringan (registered, home network)",
    2: "mencari jaringan (not registered, searching)",
    3: "pendaftaran ditolak (registration denied)",
    4: "tidak diketahui (unknown)",
    5: "terdaftar, roaming (registered, roaming)",
}
SIM_TEXT: dict[str, str] = {
    "READY": "SIM siap (SIM ready)",
    "SIM PIN": "SIM perlu PIN; isi PIN SIM di konfigurasi modem (SIM PIN required: set the "
               "SIM PIN in the modem's configuration)",
    "SIM PUK": "SIM terkunci, perlu PUK dari operator (SIM locked: needs the PUK from the "
               "operator)",
    "missing": "SIM tidak terpasang; periksa kartu SIM (SIM not inserted: check the SIM card)",
    "unknown": "status SIM tidak terbaca (SIM status unreadable)",
}  # fmt: skip


def parse_csq(line: str) -> int | None:
    """The signal level (``+CSQ: <rssi>,<ber>``): 0-31, or None when unknown (99)."""
    match = re.match(r"^\+CSQ:\s*(\d+)\s*,", line)
    if match is None or int(match[1]) == 99:
        return None
    return int(match[1])


def parse_creg(line: str) -> int | None:
    match = re.match(r"^\+CREG:\s*(?:\d+\s*,\s*)?(\d+)", line)
    return int(match[1]) if match else None


def parse_cpin(line: str) -> str:
    match = re.match(r"^\+CPIN:\s*(.+)$", line)
    return match[1].strip() if match else "unknown"


@dataclass(frozen=True)
class ModemStatus:
    """The modem as last asked: can it send, and if not, what staff should do."""

    connected: bool
    answering: bool = True
    sim: str = "unknown"  # READY, SIM PIN, SIM PUK, missing, unknown
    rssi: int | None = None  # 0-31; None: no signal / unknown
    registration: int | None = None
    connections: int = 0  # how often the port was (re)opened
    detail: str = ""

    @property
    def signal_dbm(self) -> int | None:
        return None if self.rssi is None else -113 + 2 * self.rssi

    @property
    def registered(self) -> bool:
        return self.registration in (1, 5)

    @property
    def can_send(self) -> bool:
        return self.connected and self.answering and self.sim == "READY" and self.registered

    @property
    def state(self) -> ModemState:
        if not self.connected or not self.answering:
            return "offline"
        return "ok" if self.can_send else "error"

    def problems(self) -> list[str]:
        """What stands in the way of sending, Indonesian first, English in brackets."""
        if not self.connected:
            return ["modem tidak terhubung; periksa kabel USB/serial dan daya (modem not "
                    "connected: check the USB/serial cable and power)"]
        if not self.answering:
            return ["modem tidak menjawab perintah AT; periksa baud rate dan port (modem does not "
                    "answer AT commands: check the baud rate and the port)"]
        found: list[str] = []
        if self.sim != "READY":
            found.append(SIM_TEXT.get(self.sim, SIM_TEXT["unknown"]))
        if self.rssi is None:
            found.append("tidak ada sinyal; pindahkan modem atau antenanya (no signal: move the "
                         "modem or its antenna)")
        if not self.registered:
            known = REGISTRATION.get(4 if self.registration is None else self.registration)
            found.append("jaringan: " + (known or REGISTRATION[4]).replace("(", "(network: ", 1))
        return found

    def describe(self) -> str:
        problems = self.problems()
        if not problems:
            dbm = self.signal_dbm
            roaming = " (roaming)" if self.registration == 5 else ""
            text = f"Modem siap, sinyal {dbm} dBm{roaming} (modem ready, signal {dbm} dBm)"
        else:
            text = "; ".join(problems)
        return f"{text}: {self.detail}" if self.detail else text

    def as_request(self) -> DeviceStatusRequest:
        """The ``device.status`` body a device POSTs to the server."""
        return DeviceStatusRequest(component="modem", state=self.state, detail=self.describe()[:500])
