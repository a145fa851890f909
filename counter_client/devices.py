"""The counter's serial devices through ``hardware.serial``: one ``DeviceBus`` per line.

The call keypad, the satisfaction keypad and the LED display may share one line (an RS-485
bus, one address per counter) or have lines of their own. On a shared bus only this counter's
address is acknowledged, acted on and written to: the address given on the command line, or the
counter's ``bus_address`` from the hall. Without either — a line with nothing else on it — any
keypad on the line is this counter's, and is acted on as it is acknowledged.
"""

from __future__ import annotations

import logging
import queue
from typing import Any

from hardware.serial import DeviceBus, KeyEvent, RatingEvent

log = logging.getLogger(__name__)


class SerialCounterDevices:
    """Call keypad, satisfaction keypad and LED display of one counter, on device buses."""

    def __init__(self, keypad: DeviceBus | None, rating: DeviceBus | None, led: DeviceBus | None,
                 address: int | None = None) -> None:
        self.keypad_bus = keypad
        self.rating_bus = rating
        self.led_bus = led
        self.address = address
        self._keys: list[str] = []
        self._ratings: list[int] = []

    @property
    def buses(self) -> list[DeviceBus]:
        unique: dict[int, DeviceBus] = {}
        for bus in (self.keypad_bus, self.rating_bus, self.led_bus):
            if bus is not None:
                unique[id(bus)] = bus
        return list(unique.values())

    def bind(self, address: int) -> None:
        """The counter's address on the bus, once the server told it (unless set already)."""
        if self.address is None:
            self.address = address
            for bus in (self.keypad_bus, self.rating_bus):
                if bus is not None:
                    bus.serve({address})
            log.info("counter devices at bus address %d", address)

    def start(self) -> None:
        for bus in self.buses:
            bus.start()

    def stop(self) -> None:
        for bus in self.buses:
            bus.stop()

    def _drain(self) -> None:
        for bus in self.buses:
            while True:
                try:
                    event = bus.events.get_nowait()
                except queue.Empty:
                    break
                # The bus acknowledged it, so it is acted on: it serves this counter's address.
                if isinstance(event, KeyEvent) and bus in (self.keypad_bus,):
                    self._keys.append(event.key.value)
                elif isinstance(event, RatingEvent) and bus in (self.rating_bus,):
                    self._ratings.append(event.rating)

    # CallKeypad
    def pressed(self) -> list[str]:
        from counter_client.hardware import KEYPAD_ACTIONS

        self._drain()
        taken, self._keys = self._keys, []
        return [KEYPAD_ACTIONS.get(key, key) for key in taken]

    # RatingKeypad
    def ratings(self) -> list[int]:
        self._drain()
        taken, self._ratings = self._ratings, []
        return taken

    # LedDisplay
    def show(self, text: str) -> None:
        if self.led_bus is None:
            return
        address = self.address if self.address is not None else 1
        if text:
            self.led_bus.show(address, text)
        else:
            self.led_bus.blank(address)


def open_devices(keypad: str | None, rating: str | None, led: str | None,
                 address: int | None = None, **bus_options: Any) -> SerialCounterDevices:
    """Buses for the given URLs (one per distinct URL), started; the rating keypad shares the
    call keypad's line unless it has its own."""
    buses: dict[str, DeviceBus] = {}
    serves = None if address is None else {address}

    def bus(url: str | None) -> DeviceBus | None:
        if url is None:
            return None
        if url not in buses:
            buses[url] = DeviceBus(url, serves=serves, **bus_options)
        return buses[url]

    devices = SerialCounterDevices(bus(keypad), bus(rating or keypad), bus(led), address)
    devices.start()
    return devices
