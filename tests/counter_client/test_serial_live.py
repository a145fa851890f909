"""A counter run by its serial devices alone: a call keypad, a satisfaction keypad and an LED
display, simulated at the far end of socat pty pairs, against a real server process."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, ServerProcess, need_system_package

from counter_client.core import CounterCore
from counter_client.devices import SerialCounterDevices, open_devices
from counter_client.link import SharedClientServer
from hardware.serial import Backoff, Key
from hardware.serial.simulators import KeypadSimulator, LedDisplaySimulator

pytestmark = pytest.mark.slow
ADDRESS = 7



def pty_pair(host: Path, device: Path) -> subprocess.Popen[bytes]:
    """Two linked serial ports, as a cable between the counter's PC and its devices."""
    process = subprocess.Popen(["socat", f"pty,raw,echo=0,link={host}",
                                f"pty,raw,echo=0,link={device}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not (host.exists() and device.exists()):
        assert time.monotonic() < deadline and process.poll() is None, "socat made no ptys"
        time.sleep(0.02)
    return process


@pytest.fixture
def lines(tmp_path: Path) -> Iterator[tuple[Path, Path, Path, Path]]:
    need_system_package(shutil.which("socat") is not None, "socat", "socat")
    paths = tuple(tmp_path / name for name in ("keys-host", "keys-dev", "led-host", "led-dev"))
    processes = [pty_pair(paths[0], paths[1]), pty_pair(paths[2], paths[3])]
    yield paths  # type: ignore[misc]
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def until(core: CounterCore, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        core.pump()
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}; desk: {core.desk}")


def issue(server: ServerProcess) -> dict[str, object]:
    response = httpx.post(f"{server.url}/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                          headers=KIOSK, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_keypad_calls_the_led_shows_and_the_rating_lands(
        server: ServerProcess, lines: tuple[Path, Path, Path, Path]) -> None:
    keys_host, keys_dev, led_host, led_dev = lines
    first, second = issue(server), issue(server)
    devices: SerialCounterDevices = open_devices(str(keys_host), None, str(led_host), ADDRESS,
                                                 backoff=Backoff(initial=0.05, maximum=0.5))
    keypad = KeypadSimulator(str(keys_dev), ADDRESS)
    stranger = KeypadSimulator(str(keys_dev), ADDRESS + 1)  # another counter on the same bus
    led = LedDisplaySimulator(str(led_dev)).start()
    link = SharedClientServer(server.url, "TEST", token="test-keypad-token-1", timeout=3)
    core = CounterCore(link, 1, session="device", keypad=devices, rating_keypad=devices,
                       led=devices)
    core.start()
    try:
        until(core, lambda: core.desk.ready, "the counter loaded")
        assert all(bus.link.connected.wait(10) for bus in devices.buses)
        keypad.press(Key.PAUSE)  # opens the closed counter
        until(core, lambda: core.desk.state == "open" and core.desk.pending is None, "opened")
        stranger.press(Key.NEXT)  # not ours: ignored
        keypad.press(Key.NEXT)
        until(core, lambda: core.desk.current is not None, "a ticket called")
        assert core.desk.current is not None and core.desk.current.number == first["number"]
        shown = str(first["number"]).replace("-", "")  # the display has no dash: A-001 → A001
        until(core, lambda: led.shown.get(ADDRESS) == shown, "the LED shows it")
        keypad.press(Key.FINISH)
        until(core, lambda: core.desk.current is None and core.desk.pending is None, "finished")
        until(core, lambda: led.shown.get(ADDRESS) is None, "the LED blanks")
        keypad.rate(3)
        until(core, lambda: core.desk.notice is not None and "nilai 3" in core.desk.notice[0],
              "the rating confirmed")
        keypad.read_acks()
        assert len(keypad.acks) >= 3  # every frame acknowledged to the keypad
        with sqlite3.connect(server.database_url.removeprefix("sqlite:///")) as connection:
            rows = dict(connection.execute("SELECT id, rating FROM tickets").fetchall())
            status = dict(connection.execute("SELECT id, status FROM tickets").fetchall())
        assert rows == {first["id"]: 3, second["id"]: None}
        assert status[second["id"]] == "waiting"  # the stranger's key called nothing
    finally:
        core.stop()
        link.close()
        devices.stop()
        led.stop()
        keypad.close()
        stranger.close()
