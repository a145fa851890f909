"""systemd's notification protocol, the small part of it we use: "ready", "still alive", status.

A unit with ``Type=notify`` and ``WatchdogSec=`` gives the process two environment variables:
``NOTIFY_SOCKET``, a Unix datagram socket (a path, or ``@name`` in the abstract namespace), and
``WATCHDOG_USEC``, the interval within which the process must send ``WATCHDOG=1``. Each message
is one datagram of ``KEY=value`` lines. A process that stops sending (a frozen main loop) is
killed with SIGABRT and, with ``Restart=on-failure``, started again. Without systemd (a
developer's shell, a test) the variables are absent and every call does nothing.

The apps beat from their main loop, so a beat means "the screen is still being drawn"; the
server beats from its event loop. See sd_notify(3) and systemd.service(5).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, address: str | None, watchdog_seconds: float | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.address = address
        self.watchdog_seconds = watchdog_seconds
        self._monotonic = monotonic
        self._last_beat = -1e18
        self._socket: socket.socket | None = None
        self._failed = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ, *,
                         any_process: bool = False) -> Notifier:
        """The unit's socket and watchdog. ``WATCHDOG_PID`` names the process the watchdog is
        meant for; another (a child) does not beat, unless ``any_process`` (the server's
        workers, whose unit lets any of its processes notify)."""
        address = environ.get("NOTIFY_SOCKET") or None
        watchdog: float | None = None
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        for_us = any_process or not pid or pid == str(os.getpid())
        if usec.isdigit() and int(usec) > 0 and for_us:
            watchdog = int(usec) / 1_000_000
        return cls(address, watchdog)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *assignments: str) -> bool:
        """One message (``READY=1``, ``STATUS=...``); False when it could not be sent."""
        if self.address is None:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._socket.setblocking(False)  # a full socket must never stall the caller
            self._socket.sendto("\n".join(assignments).encode(), target)
        except OSError as exc:
            if not self._failed:  # once: the manager may be restarting
                log.warning("could not notify the service manager at %s: %s", self.address, exc)
                self._failed = True
            return False
        self._failed = False
        return True

    def ready(self, status: str = "") -> None:
        self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def beat(self) -> None:
        """Say the process is alive; cheap enough for every frame (it sends at most four times
        per watchdog interval)."""
        if self.watchdog_seconds is None:
            return
        now = self._monotonic()
        if now - self._last_beat < self.watchdog_seconds / 4:
            return
        self._last_beat = now
        self.send("WATCHDOG=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
