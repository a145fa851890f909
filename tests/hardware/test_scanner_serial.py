"""Serial barcode/QR scanners: the framing, then ``SerialScanner`` against the simulated scanner
over pyserial's loop://, a socat pty pair and the simulator's own pseudo-terminal (unplugged and
plugged back), with the line's timing at the scanner's baud rate."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import serial
from hwsupport import PtyPair, pty_pair_fixture, wait_until

from hardware.scanner import (
    MAX_CODE_LENGTH,
    CodeFramer,
    KeyboardWedge,
    ScannerSpecError,
    SerialScanner,
    SimulatedSerialScanner,
    make_scanner,
)
from hardware.scanner.simulator import BITS_PER_CHARACTER, SerialScannerSimulator
from hardware.serial.devices import Backoff

pty_pair = pty_pair_fixture
FAST = Backoff(initial=0.05, maximum=0.2)
BOOKING = "BK-7QX2P9"
QR_URL = "https://mpp.example.go.id/b/7QX2P9?k=Zt81"


def _polled(scanner: SerialScanner, count: int) -> list[str]:
    """The codes read, once ``count`` of them have arrived (the timeout is a safety net)."""
    codes: list[str] = []
    wait_until(lambda: bool(codes.extend(scanner.poll())) or len(codes) >= count)
    return codes


# -- framing ----------------------------------------------------------------------------------
def test_codes_end_at_cr_lf_or_crlf_even_split_across_reads() -> None:
    framer = CodeFramer()
    assert framer.feed(b"BK-0001\rBK-0002\nBK-00") == ["BK-0001", "BK-0002"]
    assert framer.feed(b"03\r\nBK-0004\r\n") == ["BK-0003", "BK-0004"]
    assert framer.dropped == 0


def test_noise_too_short_and_overlong_lines_are_dropped_and_the_next_code_is_kept() -> None:
    framer = CodeFramer()
    noise = b"\x00\xff\x13garbage\r"
    overlong = b"A" * (MAX_CODE_LENGTH + 1) + b"\r"
    assert framer.feed(noise + b"ab\r" + overlong + b"BK-0005\r") == ["BK-0005"]
    assert framer.dropped == 3


def test_a_scanner_set_to_another_suffix_is_framed_on_it() -> None:
    assert CodeFramer(b"\t").feed(b"BK-0006\tBK-0007\r") == ["BK-0006", "BK-0007"]


def test_a_line_cut_by_a_reconnect_is_not_glued_to_the_next_code() -> None:
    framer = CodeFramer()
    assert framer.feed(b"BK-00") == []
    framer.reset()
    assert framer.feed(b"BK-0008\r") == ["BK-0008"]
    assert framer.dropped == 1


# -- loop:// ----------------------------------------------------------------------------------
def test_loop_url_carries_codes_and_drops_noise() -> None:
    # loop:// hands back what is written on the port: the scanner's own writes stand in for a
    # scanner's bytes
    with SerialScanner("loop://", backoff=FAST) as scanner:
        assert wait_until(lambda: scanner.status().ok)
        scanner.link.write(b"\x02\x80\x00noise\r" + QR_URL.encode() + b"\r\n" + b"BK-0009\n")
        assert _polled(scanner, 2) == [QR_URL, "BK-0009"]
        assert scanner.dropped == 1
        assert scanner.poll() == []


# -- socat pty pair ---------------------------------------------------------------------------
def test_socat_line_reads_codes_and_survives_the_cable_being_pulled(pty_pair: PtyPair) -> None:
    scanner = SerialScanner(str(pty_pair.host), backoff=FAST)
    try:
        assert wait_until(lambda: scanner.status().ok)
        device = SerialScannerSimulator(url=str(pty_pair.device), seed=1)
        device.scan(BOOKING)
        device.noise()
        device.scan(QR_URL)
        assert wait_until(lambda: scanner.waiting == 2)
        device.close()

        pty_pair.pull()
        assert wait_until(lambda: not scanner.status().ok)
        status = scanner.status()
        assert "terlepas" in status.message and "unplugged" in status.message_en
        assert scanner.poll() == [BOOKING, QR_URL]  # read before the pull: not lost
        assert scanner.dropped == 1

        pty_pair.plug()
        assert wait_until(lambda: scanner.status().ok and scanner.link.connections == 2)
        device = SerialScannerSimulator(url=str(pty_pair.device))
        device.scan("BK-0010")
        assert _polled(scanner, 1) == ["BK-0010"]
        device.close()
    finally:
        scanner.close()
    assert not scanner.status().ok


def test_a_scanner_plugged_in_after_the_kiosk_started_is_picked_up(tmp_path: Path) -> None:
    simulator = SerialScannerSimulator(link=tmp_path / "ttyACM0")
    simulator.unplug()
    scanner = SerialScanner(simulator.url, backoff=FAST)
    try:
        time.sleep(0.2)
        status = scanner.status()
        assert not status.ok and "belum terhubung" in status.message
        assert "not connected" in status.message_en
        simulator.plug()
        assert wait_until(lambda: scanner.status().ok)
        simulator.scan(BOOKING)
        assert _polled(scanner, 1) == [BOOKING]
    finally:
        scanner.close()
        simulator.close()


# -- the simulator's own cable ----------------------------------------------------------------
def test_unplug_and_replug_keep_whole_codes_and_drop_the_cut_one(tmp_path: Path) -> None:
    simulator = SerialScannerSimulator(link=tmp_path / "scanner")
    scanner = SerialScanner(simulator.url, backoff=FAST)
    try:
        assert wait_until(lambda: scanner.status().ok)
        simulator.scan("BK-0011")
        simulator.scan("BK-0012")
        assert wait_until(lambda: scanner.waiting == 2)
        simulator.send(b"BK-00")  # the cable comes out in the middle of a code
        assert wait_until(lambda: scanner.link.connections == 1)
        time.sleep(0.3)  # the reader takes the half code in
        simulator.unplug()
        assert wait_until(lambda: not scanner.status().ok)
        with pytest.raises(RuntimeError, match="unplugged"):
            simulator.scan("BK-0013")  # an unplugged scanner sends nothing
        simulator.plug()
        assert wait_until(lambda: scanner.status().ok and scanner.link.connections == 2)
        simulator.scan("BK-0014")
        assert _polled(scanner, 3) == ["BK-0011", "BK-0012", "BK-0014"]
        assert scanner.dropped == 1  # the cut "BK-00", neither lost silently nor glued on
    finally:
        scanner.close()
        simulator.close()
    assert not Path(simulator.url).exists()


@pytest.mark.parametrize("baudrate", [1200, 9600])
def test_the_simulator_sends_at_the_speed_of_its_baud(tmp_path: Path, baudrate: int) -> None:
    simulator = SerialScannerSimulator(link=tmp_path / "scanner", baudrate=baudrate)
    byte_seconds = BITS_PER_CHARACTER / baudrate
    code = "BK-7QX2P9-2026" if baudrate == 1200 else QR_URL
    wire = len(code) + 1  # and the CR
    port = serial.serial_for_url(simulator.url, baudrate=baudrate, timeout=0)
    arrivals: list[tuple[float, bytes]] = []

    def listen() -> None:  # the host's end, read as the bytes come
        deadline = time.monotonic() + 10
        while sum(len(d) for _, d in arrivals) < wire and time.monotonic() < deadline:
            chunk = port.read(wire)
            if chunk:
                arrivals.append((time.monotonic(), chunk))
            time.sleep(0.0005)

    listener = threading.Thread(target=listen)
    try:
        listener.start()
        sent = simulator.scan(code)
        listener.join(timeout=15)
        assert b"".join(d for _, d in arrivals) == code.encode() + b"\r"
        assert sent.finished - sent.started >= (wire - 1) * byte_seconds
        assert sent.finished - sent.started < wire * byte_seconds + 0.25
        # the far end hears the code spread over its wire time, not in one lump
        spread = arrivals[-1][0] - arrivals[0][0]
        assert spread >= (wire - 2) * byte_seconds
        assert len(arrivals) > 2
    finally:
        port.close()
        simulator.close()


def test_at_1200_baud_the_scanner_still_reads_whole_codes(tmp_path: Path) -> None:
    simulator = SerialScannerSimulator(link=tmp_path / "scanner", baudrate=1200)
    scanner = SerialScanner(simulator.url, baudrate=1200, backoff=FAST)
    try:
        assert wait_until(lambda: scanner.status().ok)
        simulator.scan("BK-7QX2P9-2026")
        simulator.scan(BOOKING)
        assert _polled(scanner, 2) == ["BK-7QX2P9-2026", BOOKING]
    finally:
        scanner.close()
        simulator.close()


# -- the setting ------------------------------------------------------------------------------
def test_spec_strings_pick_the_scanner() -> None:
    assert make_scanner("") is None and make_scanner("none") is None and make_scanner(" None ") is None
    assert isinstance(make_scanner("hid"), KeyboardWedge)
    scanner = make_scanner("serial:loop://?baud=19200&suffix=crlf")
    assert isinstance(scanner, SerialScanner)
    try:
        assert scanner.url == "loop://"
        assert wait_until(lambda: scanner.status().ok)
        assert scanner.link._baudrate == 19200
    finally:
        scanner.close()


def test_sim_spec_is_a_serial_scanner_with_its_own_simulator() -> None:
    scanner = make_scanner("sim")
    assert isinstance(scanner, SimulatedSerialScanner)
    try:
        assert wait_until(lambda: scanner.status().ok)
        scanner.simulator.scan(BOOKING)
        assert _polled(scanner, 1) == [BOOKING]
    finally:
        scanner.close()
    assert not Path(scanner.simulator.url).exists()


@pytest.mark.parametrize(("spec", "named"), [
    ("barcode", "unknown scanner"),
    ("serial:", "needs a port"),
    ("serial:/dev/ttyACM0?speed=9600", "speed"),
    ("serial:/dev/ttyACM0?baud=fast", "fast"),
    ("serial:/dev/ttyACM0?suffix=etx", "etx"),
])
def test_a_wrong_spec_says_what_to_write(spec: str, named: str) -> None:
    with pytest.raises(ScannerSpecError, match=named) as caught:
        make_scanner(spec)
    assert "tidak dikenal" in str(caught.value) or "perlu" in str(caught.value) \
        or "bukan" in str(caught.value)
