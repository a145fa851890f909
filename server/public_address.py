"""The address citizens' phones reach the server at: the start of every ticket's QR code.

A hall's file may name it (``site.public_base_url``, e.g. behind a reverse proxy or a DNS name).
When it does not, the server offers its own: the address it listens on, or, listening on all
addresses, the LAN address of this computer (the one its default route leaves by). Loopback
(127.0.0.1, ::1, localhost) is never right on paper: a phone that scans it reaches itself. Such an
address, or a name this computer cannot resolve, is warned about loudly by ``antrean config
check`` and at start-up, where the server also asks the address it prints whether it answers.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

_ALL_ADDRESSES = {"", "0.0.0.0", "::", "[::]"}
# Any address outside this computer: connecting a UDP socket only picks the route (and with it
# the interface and its address); no packet is sent.
_ROUTE_PROBE = ("192.0.2.1", 9)


@dataclass(frozen=True)
class PublicAddress:
    """A base URL like ``http://192.168.1.20:8000`` and, in words, where it came from."""

    url: str
    source: str


def _host_text(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def lan_address() -> str | None:
    """This computer's address on its network (IPv4), or None when it has none but loopback."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            address = str(probe.getsockname()[0])
    except OSError:
        address = ""
    if address and not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
        return address
    try:
        candidates = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    for *_, sockaddr in candidates:
        if not ipaddress.ip_address(sockaddr[0]).is_loopback:
            return str(sockaddr[0])
    return None


def of_server(host: str, port: int) -> PublicAddress:
    """The address to print when the hall's file names none, for a server on ``host:port``."""
    if host in _ALL_ADDRESSES:
        lan = lan_address()
        if lan is not None:
            return PublicAddress(f"http://{lan}:{port}",
                                 "the LAN address of this computer; the server listens on all")
        return PublicAddress(f"http://127.0.0.1:{port}",
                             "loopback: this computer has no LAN address")
    return PublicAddress(f"http://{_host_text(host)}:{port}", "the address the server listens on")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) leads back to the computer it is used on."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        found = {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
    except OSError:
        return False  # said separately: it does not resolve
    return bool(found) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in found)


def warnings(url: str) -> list[str]:
    """What makes ``url`` a bad address to print on tickets, said so IT staff can fix it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return [f"'{url}' is not an address like http://192.168.1.20:8000"]
    if is_loopback(host):
        return [f"'{url}' is a loopback address: a citizen's phone that scans the ticket's QR "
                "code reaches itself, not this server. Set site.public_base_url to the address "
                "phones in the hall reach (e.g. http://192.168.1.20:8000), or leave it out and "
                "start the server with --host 0.0.0.0 to print this computer's LAN address"]
    try:
        socket.getaddrinfo(host, parts.port or 80)
    except OSError:
        return [f"the name '{host}' in '{url}' cannot be resolved on this computer, so phones in "
                "the hall probably cannot resolve it either: use an IP address or a name the "
                "hall's DNS knows"]
    return []


async def answers(url: str, timeout: float = 5.0) -> str | None:
    """None when ``url``'s health page answers; otherwise why not."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url.rstrip("/") + "/healthz")
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if response.status_code != 200:
        return f"it answered HTTP {response.status_code}"
    return None
