"""systemd's notification protocol as we speak it: datagrams of KEY=value lines to the socket
the unit names (a path or an abstract name), beats at most four per watchdog interval, none
for a watchdog meant for another process, and nothing at all without a service manager."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

from common.sd_notify import Notifier


def receiver(address: str) -> socket.socket:
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listening.bind("\0" + address[1:] if address.startswith("@") else address)
    listening.settimeout(2)
    return listening


def test_ready_status_and_beats_reach_the_manager(tmp_path: Path) -> None:
    address = str(tmp_path / "notify")
    with receiver(address) as listening:
        now = [100.0]
        told = Notifier.from_environment({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "8000000"})
        assert (told.address, told.watchdog_seconds) == (address, 8.0)
        notifier = Notifier(address, 8.0, monotonic=lambda: now[0])
        notifier.ready("serving 1 site(s)")
        assert listening.recv(100) == b"READY=1\nSTATUS=serving 1 site(s)"
        notifier.beat()
        assert listening.recv(100) == b"WATCHDOG=1"
        for step in (0.5, 1.0, 1.9):  # within a quarter of the interval: no more beats
            now[0] = 100.0 + step
            notifier.beat()
        now[0] = 102.1
        notifier.beat()
        assert listening.recv(100) == b"WATCHDOG=1"
        listening.settimeout(0.2)
        try:
            extra = listening.recv(100)
        except TimeoutError:
            extra = b""
        assert extra == b""
        notifier.stopping()
        listening.settimeout(2)
        assert listening.recv(100) == b"STOPPING=1"
        notifier.close()


def test_an_abstract_socket_address() -> None:
    address = f"@antrean-test-{uuid.uuid4().hex}"
    with receiver(address) as listening:
        Notifier(address).ready()
        assert listening.recv(100) == b"READY=1"


def test_a_watchdog_for_another_process_is_not_ours() -> None:
    environment = {"NOTIFY_SOCKET": "/nowhere", "WATCHDOG_USEC": "5000000",
                   "WATCHDOG_PID": str(os.getpid() + 1)}
    assert Notifier.from_environment(environment).watchdog_seconds is None
    assert Notifier.from_environment(environment, any_process=True).watchdog_seconds == 5.0
    mine = {**environment, "WATCHDOG_PID": str(os.getpid())}
    assert Notifier.from_environment(mine).watchdog_seconds == 5.0


def test_without_a_manager_nothing_is_sent_and_nothing_fails(tmp_path: Path) -> None:
    quiet = Notifier.from_environment({})
    assert not quiet.enabled and not quiet.send("READY=1")
    quiet.beat()
    gone = Notifier(str(tmp_path / "no-such-socket"), 1.0)
    assert gone.send("READY=1") is False  # the manager went away: said once in the log
    gone.beat()
