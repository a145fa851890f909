"""Counter devices on a serial line: LED number displays, call keypads, satisfaction keypads.

One ``DeviceBus`` owns one line (``/dev/ttyUSB0``, ``rfc2217://…``, ``socket://…``, ``loop://``):
it keeps the port open with a reader thread, reconnects with backoff when the cable is pulled,
re-sends what every display should show once it is back, and turns valid frames into key and
rating events, each acknowledged and delivered once.

A host acknowledges only the keypads it serves (``serves``; all, when it is the only host on
its line), so that a keypad whose press nobody acts on hears no ACK and says so, instead of
believing another counter's host took it. On a bus with many keypads the host can poll them
(``poll=True``): each speaks only when asked, so two never talk at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import serial

from hardware.serial.codec import (
    CODECS,
    DEVICE_ADDRESSES,
    Cmd,
    Deduplicator,
    DeviceEvent,
    FrameDecoder,
    KeyEvent,
    RatingEvent,
)

log = logging.getLogger(__name__)

PortOpener = Callable[..., Any]


@dataclass
class Backoff:
    """Waits that double after each failure, up to ``maximum``; ``reset`` after a success."""

    initial: float = 0.2
    maximum: float = 10.0
    _current: float = 0.0

    def next_delay(self) -> float:
        self._current = self.initial if not self._current else min(self._current * 2, self.maximum)
        return self._current

    def reset(self) -> None:
        self._current = 0.0


class SerialLink:
    """A port opened with ``serial_for_url`` and kept open by a reader thread."""

    def __init__(
        self,
        url: str,
        *,
        on_data: Callable[[bytes], None],
        on_connect: Callable[[], None] | None = None,
        baudrate: int = 9600,
        backoff: Backoff | None = None,
        opener: PortOpener = serial.serial_for_url,
        name: str = "serial",
    ) -> None:
        self.url = url
        self.name = name
        self._on_data = on_data
        self._on_connect = on_connect
        self._baudrate = baudrate
        self._backoff = backoff or Backoff()
        self._opener = opener
        self._port: Any = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.connections = 0
        self._thread = threading.Thread(target=self._run, name=f"{name}-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def write(self, data: bytes) -> bool:
        """Send ``data`` now; False (and nothing sent) while the line is down."""
        with self._lock:
            port = self._port
            if port is None:
                return False
            try:
                port.write(data)
                return True
            except (serial.SerialException, OSError) as exc:
                log.warning("%s: write to %s failed: %s", self.name, self.url, exc)
                return False

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                port = self._opener(self.url, baudrate=self._baudrate, timeout=0.1)
            except (serial.SerialException, OSError, ValueError) as exc:
                failures += 1
                delay = self._backoff.next_delay()
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "%s: cannot open %s (%s); retrying in %.1fs", self.name,
                        self.url, exc, delay)  # fmt: skip
                self._stop.wait(delay)
                continue
            failures = 0
            self._backoff.reset()
            with self._lock:
                self._port = port
            self.connections += 1
            self.connected.set()
            log.info("%s: connected to %s", self.name, self.url)
            self._safely(self._on_connect)
            try:
                while not self._stop.is_set():
                    data = port.read(256)
                    if data:
                        self._safely(self._on_data, bytes(data))
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # pyserial raises TypeError/AttributeError when the fd vanishes under it
                log.warning("%s: lost %s: %s", self.name, self.url, exc)
            finally:
                self.connected.clear()
                with self._lock:
                    self._port = None
                try:
                    port.close()
                except Exception:  # the device is already gone
                    log.debug("%s: close failed", self.name, exc_info=True)
            if not self._stop.is_set():
                self._stop.wait(self._backoff.next_delay())

    def _safely(self, callback: Callable[..., None] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a bug in a handler must not stop the reader
            log.exception("%s: handler failed", self.name)


class DeviceBus:
    """All the counter devices on one serial line (RS-485 bus or a single USB-serial device).

    Events arrive on ``events`` (a queue) or, if given, through ``on_event`` in the reader
    thread. Every event is acknowledged to the device and delivered exactly once.
    """

    def __init__(
        self,
        url: str,
        *,
        codec: str = "antrean",
        baudrate: int = 9600,
        on_event: Callable[[DeviceEvent], None] | None = None,
        backoff: Backoff | None = None,
        opener: PortOpener = serial.serial_for_url,
        serves: Iterable[int] | None = None,
        poll: bool = False,
        poll_answer_seconds: float = 0.25,
    ) -> None:
        try:
            self.codec = CODECS[codec]
        except KeyError:
            raise ValueError(f"unknown device protocol {codec!r}; known: {sorted(CODECS)}") from None
        self._decoder = self.codec.decoder()
        self._dedup = Deduplicator()
        self._on_event = on_event
        self.events: queue.Queue[DeviceEvent] = queue.Queue()
        self._displays: dict[int, str | None] = {}
        self._state_lock = threading.Lock()
        self._serves: frozenset[int] | None = None
        self.serve(serves)
        self.ignored = 0  # frames of keypads another host serves
        self._poll = poll
        self._poll_answer = poll_answer_seconds + 20 * 10 / baudrate  # and a frame each way
        self._polled: int | None = None
        self._answered = threading.Event()
        self._poll_frames = FrameDecoder()  # who answered a poll (an IDLE is not an event)
        self._poller = threading.Thread(target=self._polling, name="device-bus-poll", daemon=True)
        if poll and self._serves is None:
            raise ValueError("a polled bus needs the addresses to poll (serves=...)")
        self.link = SerialLink(
            url,
            on_data=self._received,
            on_connect=self._refresh_displays,
            baudrate=baudrate,
            backoff=backoff,
            opener=opener,
            name="device-bus",
        )

    # -- life -----------------------------------------------------------------------------
    def start(self) -> DeviceBus:
        self.link.start()
        if self._poll:
            self._poller.start()
        return self

    def stop(self) -> None:
        self.link.stop()
        if self._poller.is_alive():
            self._poller.join(timeout=5)

    def serve(self, addresses: Iterable[int] | None) -> None:
        """The keypads this host acts on (and so acknowledges); None: every one on the line."""
        if addresses is None:
            self._serves = None
            return
        chosen = frozenset(addresses)
        wrong = sorted(a for a in chosen if a not in DEVICE_ADDRESSES)
        if wrong:
            raise ValueError(f"keypad addresses are 1 to 254, not {wrong}")
        self._serves = chosen

    @property
    def serves(self) -> frozenset[int] | None:
        return self._serves

    def __enter__(self) -> DeviceBus:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- LED displays ---------------------------------------------------------------------
    def show(self, address: int, number: str) -> None:
        """Show ``number`` on the display at ``address`` (kept and re-sent after a reconnect)."""
        with self._state_lock:
            self._displays[address] = number
        if not self.link.write(self.codec.show(address, number)):
            log.info("display %d will show %s when the line is back", address, number)

    def blank(self, address: int) -> None:
        """Blank the display at ``address`` (the counter closed)."""
        with self._state_lock:
            self._displays[address] = None
        self.link.write(self.codec.blank(address))

    def displays(self) -> dict[int, str | None]:
        with self._state_lock:
            return dict(self._displays)

    def _refresh_displays(self) -> None:
        for address, number in self.displays().items():
            frame = self.codec.blank(address) if number is None else self.codec.show(address, number)
            self.link.write(frame)

    # -- keypads --------------------------------------------------------------------------
    def _polling(self) -> None:
        """Ask each served keypad in turn; the next is asked once this one answered (its event
        or IDLE; the ACK is written first), or after ``poll_answer_seconds`` without: only the
        one asked may speak."""
        while not self.link._stop.is_set():
            addresses = sorted(self._serves or ())
            if not self.link.connected.wait(0.2) or not addresses:
                continue
            for address in addresses:
                self._answered.clear()
                self._polled = address
                self.link.write(self.codec.poll(address))
                self._answered.wait(self._poll_answer)  # a keypad that is gone: the next
            self.link._stop.wait(0.01)

    def _received(self, data: bytes) -> None:
        answered = self._poll and any(
            f.address == self._polled and f.command in (Cmd.KEY, Cmd.RATING, Cmd.IDLE)
            for f in self._poll_frames.feed(data))
        try:
            self._handle(data)
        finally:
            if answered:
                self._answered.set()

    def _handle(self, data: bytes) -> None:
        for event in self._decoder.feed(data):
            if self._serves is not None and event.address not in self._serves:
                self.ignored += 1
                log.debug("keypad %d is another host's: not acknowledged", event.address)
                continue
            self.link.write(self.codec.ack(event))
            if not self._dedup.is_new(event):
                log.debug("repeated %s ignored", event)
                continue
            if isinstance(event, KeyEvent):
                log.info("keypad %d: %s", event.address, event.key.value)
            else:
                log.info("satisfaction keypad %d: rating %d", event.address, event.rating)
            if self._on_event is None:
                self.events.put(event)
                continue
            try:
                self._on_event(event)
            except Exception:  # one failing event must not swallow the ones after it
                log.exception("handling %s failed", event)


class RatingTracker:
    """Pairs a satisfaction rating with the ticket the counter finished last (once)."""

    def __init__(self) -> None:
        self._finished: dict[int, int] = {}
        self._lock = threading.Lock()

    def finished(self, address: int, ticket_id: int) -> None:
        with self._lock:
            self._finished[address] = ticket_id

    def rate(self, event: RatingEvent) -> tuple[int, int] | None:
        """``(ticket_id, rating)`` to send to the server, or None if there is nothing to rate."""
        with self._lock:
            ticket = self._finished.pop(event.address, None)
        if ticket is None:
            log.info("rating %d at keypad %d ignored: no finished ticket to rate",
                     event.rating, event.address)  # fmt: skip
            return None
        return ticket, event.rating
