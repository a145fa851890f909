"""The rules across a hall file's tables: unique codes, references that name something that exists.

They read the file as parsed TOML, not the validated model, so that they still run when some
block has a bad value: a bad time on Monday does not hide a counter naming an agency that does
not exist. A value of the wrong kind is left to the schema's own error and skipped here.

Each rule is a function from the file to the problems it finds; :data:`CHECKS` lists them. A new
rule (an error or a warning) is one more function in that list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from server.config.problems import Finding, Said


@dataclass(frozen=True)
class RawHall:
    """The parsed TOML of a hall file, read leniently."""

    data: dict[str, Any]

    def entries(self, table: str) -> list[dict[str, Any]]:
        value = self.data.get(table)
        if not isinstance(value, list):
            return []
        return [entry if isinstance(entry, dict) else {} for entry in value]

    def site(self) -> dict[str, Any]:
        value = self.data.get("site")
        return value if isinstance(value, dict) else {}

    def codes(self, table: str, key: str = "code") -> set[str]:
        return {code for entry in self.entries(table) if isinstance(code := entry.get(key), str)}


Check = Callable[[RawHall], Iterable[Finding]]


def _text(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return value if isinstance(value, str) else None


def _missing(what: str, what_id: str, value: object, known: Iterable[str]) -> Said:
    names = sorted(known)
    listing = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
    return Said(f"no {what} has the code '{value}'", f"tidak ada {what_id} berkode '{value}'",
                f"use one of: {listing}" if names else f"add the {what} first",
                f"pakai salah satu: {listing}" if names else f"tambahkan {what_id} itu dulu")


_UNIQUE = (  # table, key, what, what in Indonesian
    ("agency", "code", "agency code", "kode instansi"),
    ("service", "code", "service code", "kode layanan"),
    ("service", "prefix", "ticket prefix", "awalan nomor"),
    ("counter", "number", "counter number", "nomor loket"),
    ("device", "name", "device name", "nama perangkat"),
    ("officer", "username", "username", "nama pengguna"),
    ("zone", "code", "zone code", "kode zona"),
    ("counter", "bus_address", "bus address", "alamat bus"),
)


def unique_values(hall: RawHall) -> Iterator[Finding]:
    """A code, prefix, number or address used twice: the second use is the problem."""
    for table, key, what, what_id in _UNIQUE:
        seen: set[object] = set()
        # the full list, so that the index names the entry (not the n-th one with the key)
        for index, entry in enumerate(hall.entries(table)):
            value = entry.get(key)
            if value is None or isinstance(value, list | dict):
                continue
            if value in seen:
                yield Finding((table, index, key), Said(
                    f"{what} '{value}' is used twice", f"{what_id} '{value}' dipakai dua kali",
                    "give each one its own", "beri masing-masing nilai sendiri"))
            seen.add(value)


def references(hall: RawHall) -> Iterator[Finding]:
    """Every agency, service, zone and counter named somewhere exists, and a counter serves
    only its own agency's services."""
    agencies = hall.codes("agency")
    service_agency = {code: _text(entry, "agency") for entry in hall.entries("service")
                      if isinstance(code := entry.get("code"), str)}
    for index, service in enumerate(hall.entries("service")):
        agency = _text(service, "agency")
        if agency is not None and agency not in agencies:
            yield Finding(("service", index, "agency"), _missing("agency", "instansi", agency, agencies))
    for index, counter in enumerate(hall.entries("counter")):
        agency = _text(counter, "agency")
        if agency is not None and agency not in agencies:
            yield Finding(("counter", index, "agency"), _missing("agency", "instansi", agency, agencies))
        served = counter.get("services")
        for code in served if isinstance(served, dict) else {}:
            if code not in service_agency:
                yield Finding(("counter", index, "services"),
                              _missing("service", "layanan", code, service_agency))
            elif agency in agencies and service_agency[code] in agencies - {agency}:
                # (an agency that does not exist is its own problem, said once above)
                owner = service_agency[code]
                yield Finding(("counter", index, "services"), Said(
                    f"service '{code}' belongs to agency '{owner}', not to this counter's "
                    f"agency '{agency}'",
                    f"layanan '{code}' milik instansi '{owner}', bukan instansi loket ini '{agency}'",
                    f"serve '{code}' at a counter of '{owner}', or remove it here",
                    f"layani '{code}' di loket '{owner}', atau hapus dari sini"))
    for index, zone in enumerate(hall.entries("zone")):
        named = zone.get("agencies")
        for code in named if isinstance(named, list) else []:
            if isinstance(code, str) and code not in agencies:
                yield Finding(("zone", index, "agencies"),
                              _missing("agency", "instansi", code, agencies))
    zones = hall.codes("zone")
    counters = {n for c in hall.entries("counter") if isinstance(n := c.get("number"), int)}
    for index, device in enumerate(hall.entries("device")):
        zone_code = _text(device, "zone")
        if zone_code is not None and zone_code not in zones:
            yield Finding(("device", index, "zone"), _missing("zone", "zona", zone_code, zones))
        number = device.get("counter")
        if isinstance(number, int) and not isinstance(number, bool) and number not in counters:
            yield Finding(("device", index, "counter"), Said(
                f"no counter has the number {number}", f"tidak ada loket bernomor {number}",
                "use the number of a [[counter]] in this file",
                "pakai nomor salah satu [[counter]] di berkas ini"))


def officers(hall: RawHall) -> Iterator[Finding]:
    """An officer belongs to an agency that exists."""
    agencies = hall.codes("agency")
    for index, officer in enumerate(hall.entries("officer")):
        agency = _text(officer, "agency")
        if agency is not None and agency not in agencies:
            yield Finding(("officer", index, "agency"), _missing("agency", "instansi", agency, agencies))
        role = officer.get("role", "officer")
        if role == "officer" and officer.get("agency") is None:
            yield Finding(("officer", index, "agency"), Said(
                "an officer must belong to an agency", "petugas harus milik satu instansi",
                'add agency = "CODE", or give the account role = "manager"',
                'tambahkan agency = "KODE", atau beri akun ini role = "manager"'))


def ticket_address(hall: RawHall) -> Iterator[Finding]:
    """A warning: the address printed in tickets' QR codes is one phones cannot reach (a
    loopback address, a name that does not resolve). The hall still starts."""
    from server.public_address import is_loopback, warnings

    url = hall.site().get("public_base_url")
    host = urlsplit(url).hostname if isinstance(url, str) else None
    if not isinstance(url, str) or not host or urlsplit(url).scheme not in ("http", "https"):
        return  # missing (the server's own address is used) or no address: the schema says so
    for message in warnings(url):
        message_id = (
            f"'{url}' adalah alamat loopback: ponsel warga yang memindai kode QR tiket menjangkau "
            "dirinya sendiri, bukan server ini. Isi site.public_base_url dengan alamat yang "
            "dijangkau ponsel di gedung (mis. http://192.168.1.20:8000), atau hapus dan jalankan "
            "server dengan --host 0.0.0.0" if is_loopback(host) else
            f"nama '{host}' di '{url}' tidak dapat ditemukan di komputer ini, jadi ponsel di "
            "gedung mungkin juga tidak: pakai alamat IP atau nama yang dikenal DNS gedung")
        yield Finding(("site", "public_base_url"), Said(message, message_id), severity="warning")


def voice(hall: RawHall) -> Iterator[Finding]:
    """The voice names only agencies of the hall."""
    agencies = hall.codes("agency")
    settings = hall.site().get("voice")
    named = settings.get("agencies") if isinstance(settings, dict) else None
    for code in named if isinstance(named, dict) else {}:
        if code not in agencies:
            yield Finding(("site", "voice", "agencies"),
                          _missing("agency", "instansi", code, agencies))


def visit_needs(hall: RawHall) -> Iterator[Finding]:
    """A service needs only services that exist, and needs never go round in a circle (no
    visit could ever be served in such an order)."""
    from server.domain.visits import needs_cycle

    services = hall.codes("service")
    needs: dict[str, list[str]] = {}
    for index, service in enumerate(hall.entries("service")):
        wanted = service.get("needs")
        code = _text(service, "code")
        if not isinstance(wanted, list) or code is None:
            continue
        for other in wanted:
            if isinstance(other, str) and other not in services:
                yield Finding(("service", index, "needs"),
                              _missing("service", "layanan", other, services))
        needs[code] = [other for other in wanted if isinstance(other, str) and other in services]
    cycle = needs_cycle(needs)
    if cycle is not None:
        chain = " → ".join(cycle)
        index = next(i for i, entry in enumerate(hall.entries("service"))
                     if entry.get("code") == cycle[0])
        yield Finding(("service", index, "needs"), Said(
            f"these services need each other in a circle: {chain}",
            f"layanan-layanan ini saling membutuhkan melingkar: {chain}",
            "remove one of the needs so that one of them can be served first",
            "hapus salah satu needs agar salah satunya dapat dilayani lebih dulu"))


CHECKS: list[Check] = [unique_values, references, officers, ticket_address, voice, visit_needs]
