"""The ticket printer against the simulator: in-process, over TCP and over a serial pty pair."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from escpos.printer import Dummy
from hwsupport import PtyPair, pty_pair_fixture, wait_until

from common.protocol.models import DeviceStatusRequest
from hardware.printer import PrintError, PrinterUrlError, TicketPrinter, open_device
from hardware.printer.driver import sample_ticket
from hardware.printer.render import render
from hardware.printer.simulator import PrinterSimulator, TcpPrinterServer, serve_serial

pty_pair = pty_pair_fixture  # the socat pty pair fixture, under its usual name


def _printer(url: str) -> tuple[TicketPrinter, list[DeviceStatusRequest]]:
    reports: list[DeviceStatusRequest] = []
    return TicketPrinter(url, on_status=reports.append), reports


@contextmanager
def _serving(sim: PrinterSimulator, pair: PtyPair, baudrate: int | None = None) -> Iterator[None]:
    """``sim`` is the printer at the far end of ``pair`` until the block ends."""
    stop, listening = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve_serial, args=(sim, str(pair.device), stop, listening),
                              kwargs={"baudrate": baudrate})
    thread.start()
    # Opening the simulator's port discards what waits in it: ask only once it listens.
    assert listening.wait(timeout=15), "the simulated printer did not open its port"
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_prints_one_ticket_and_reports_ready() -> None:
    printer, reports = _printer("sim://?paper=58")
    after = printer.print_ticket(sample_ticket())
    sim = printer.device.simulator
    assert after.state == "ok"
    assert len(sim.tickets) == 1
    assert "A-012" in render(sim.tickets[0], 384).text_lines
    assert [r.state for r in reports] == ["ok"]  # reported once, not before and after


@pytest.mark.parametrize(
    ("url", "state"),
    [
        ("sim://?level=out", "paper_out"),
        ("sim://?cover=open", "cover_open"),
        ("sim://?offline=1", "offline"),
    ],
)
def test_refuses_to_print_and_says_why(url: str, state: str) -> None:
    printer, reports = _printer(url)
    with pytest.raises(PrintError) as failure:
        printer.print_ticket(sample_ticket())
    assert failure.value.status.state == state
    assert "A-012 tidak dicetak" in str(failure.value)
    assert printer.device.simulator.tickets == []
    assert [r.state for r in reports] == [state]


def test_paper_low_prints_and_staff_hear_about_it() -> None:
    printer, reports = _printer("sim://?level=near_end")
    assert printer.print_ticket(sample_ticket()).state == "paper_low"
    assert len(printer.device.simulator.tickets) == 1
    assert reports[0].state == "paper_low" and "paper low" in reports[0].detail


def _when_the_job_arrives(sim: PrinterSimulator, change: Callable[[], None]) -> None:
    """Make ``change`` to the simulated printer once the ticket's bytes reach it."""
    original = sim.feed

    def feed_then_change(data: bytes) -> bytes:
        reply = original(data)
        if len(data) > 100:  # the job itself, not a status request
            change()
        return reply

    sim.feed = feed_then_change  # type: ignore[method-assign]


def test_paper_running_out_during_the_print_is_an_error() -> None:
    printer, reports = _printer("sim://")
    sim: PrinterSimulator = printer.device.simulator
    _when_the_job_arrives(sim, lambda: setattr(sim, "paper", "out"))
    with pytest.raises(PrintError) as failure:
        printer.print_ticket(sample_ticket())
    assert "mungkin tidak lengkap" in str(failure.value)
    assert [r.state for r in reports] == ["ok", "paper_out"]


def test_status_changes_are_reported_when_they_happen() -> None:
    printer, reports = _printer("sim://")
    sim: PrinterSimulator = printer.device.simulator
    printer.status()
    sim.cover_open = True
    printer.status()
    printer.status()
    sim.cover_open = False
    sim.paper = "near_end"
    printer.status()
    assert [r.state for r in reports] == ["ok", "cover_open", "paper_low"]


def test_tcp_printer_with_status() -> None:
    sim = PrinterSimulator(paper="near_end")
    server = TcpPrinterServer(sim).start()
    try:
        printer, reports = _printer(server.url + "?paper=58")
        assert printer.print_ticket(sample_ticket()).state == "paper_low"
        assert len(sim.tickets) == 1
        sim.paper = "out"
        with pytest.raises(PrintError):
            printer.print_ticket(sample_ticket())
        assert [r.state for r in reports] == ["paper_low", "paper_out"]
        printer.close()
    finally:
        server.stop()


def test_tcp_printer_that_is_switched_off() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer, reports = _printer(f"tcp://127.0.0.1:{port}?timeout=1")
    with pytest.raises(PrintError) as failure:
        printer.print_ticket(sample_ticket())
    assert failure.value.status.state == "offline"
    assert [r.state for r in reports] == ["offline"]


def test_serial_printer_over_a_pty_pair(pty_pair: PtyPair) -> None:
    sim = PrinterSimulator(cover_open=True)
    stop, listening = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve_serial,
                              args=(sim, str(pty_pair.device), stop, listening))
    thread.start()
    # Opening the simulator's port discards what waits in it: ask only once it listens.
    assert listening.wait(timeout=15), "the simulated printer did not open its port"
    try:
        # A generous timeout: a busy machine may answer the first status request late.
        printer, reports = _printer(f"serial://{pty_pair.host}?baudrate=115200&timeout=5")
        with pytest.raises(PrintError):
            printer.print_ticket(sample_ticket())
        sim.cover_open = False
        printer.print_ticket(sample_ticket())
        assert len(sim.tickets) == 1
        assert [r.state for r in reports] == ["cover_open", "ok"]
        printer.close()
    finally:
        stop.set()
        thread.join()


def test_serial_printer_that_never_answers_does_not_print(pty_pair: PtyPair) -> None:
    # Switched off behind its serial adapter: the port takes every byte, nothing comes back.
    sim = PrinterSimulator(answers_status=False)
    with _serving(sim, pty_pair):
        printer, reports = _printer(f"serial://{pty_pair.host}?baudrate=115200&timeout=1")
        with pytest.raises(PrintError) as failure:
            printer.print_ticket(sample_ticket())
        assert sim.status_requests >= 1 and sim.tickets == []  # asked; sent no ticket
        status = failure.value.status
        assert status.state == "offline" and not status.can_print
        message = str(failure.value)
        assert "A-012 tidak dicetak" in message
        for advice in ("periksa daya, kabel dan baud rate", "status=off", "check power"):
            assert advice in message
        assert [r.state for r in reports] == ["offline"]
        assert "status=off" in reports[0].detail
        assert printer.status().state == "offline"
        assert len(reports) == 1  # reported when it changed, not at every check
        printer.close()


def test_status_off_prints_on_a_printer_that_never_answers(pty_pair: PtyPair) -> None:
    sim = PrinterSimulator(answers_status=False)
    with _serving(sim, pty_pair):
        printer, reports = _printer(f"serial://{pty_pair.host}?baudrate=115200&timeout=1&status=off")
        after = printer.print_ticket(sample_ticket())
        printer.close()  # waits until the port has sent the ticket
        assert wait_until(lambda: len(sim.tickets) == 1)
    assert after.state == "ok" and not after.known
    assert sim.status_requests == 0  # it was not asked
    assert [r.state for r in reports] == ["ok"]
    assert "status not readable" in reports[0].detail and "status=off" in reports[0].detail


def test_a_slow_serial_line_is_waited_for_after_the_print(pty_pair: PtyPair) -> None:
    # At 4800 baud the ticket takes about two seconds to go down the line, longer than the
    # port's timeout: the status request queued behind it must be waited for, not missed.
    sim = PrinterSimulator()
    with _serving(sim, pty_pair, baudrate=4800):
        printer, reports = _printer(f"serial://{pty_pair.host}?baudrate=4800&timeout=1&paper=58")
        started = time.monotonic()
        after = printer.print_ticket(sample_ticket())
        took = time.monotonic() - started
        printer.close()
    assert after.state == "ok" and after.known
    assert len(sim.tickets) == 1
    assert [r.state for r in reports] == ["ok"]  # no false alarm in between
    assert took > 1.5  # it really was slower than the port's timeout


def test_a_printer_that_falls_silent_while_printing_is_an_error() -> None:
    printer, reports = _printer("sim://")
    sim: PrinterSimulator = printer.device.simulator
    _when_the_job_arrives(sim, lambda: setattr(sim, "answers_status", False))
    with pytest.raises(PrintError) as failure:
        printer.print_ticket(sample_ticket())
    assert "A-012 mungkin tidak lengkap" in str(failure.value)
    assert failure.value.status.state == "offline"
    assert [r.state for r in reports] == ["ok", "offline"]


def test_write_only_connections_print_without_status(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.touch()
    printer, reports = _printer(f"file://{target}")
    assert not printer.print_ticket(sample_ticket()).known
    assert b"A-012" in target.read_bytes()
    assert "not readable" in reports[0].detail

    dummy, _ = _printer("dummy://?paper=58")
    dummy.print_ticket(sample_ticket())
    assert isinstance(dummy.device, Dummy) and b"A-012" in dummy.device.output


@pytest.mark.parametrize(
    "url", ["lpt://x", "usb://zz:01", "tcp://:9100", "sim://?paper=57", "dummy://?qr=svg",
            "serial:///dev/ttyS0?status=no"]
)
def test_bad_urls_say_what_to_write(url: str) -> None:
    with pytest.raises(PrinterUrlError):
        open_device(url)


@pytest.mark.parametrize("value", ["no", "0", "OFF"])
def test_a_bad_status_option_says_what_to_write(value: str) -> None:
    with pytest.raises(PrinterUrlError, match="status must be on or off"):
        open_device(f"serial:///dev/ttyS0?status={value}")


def test_url_options() -> None:
    _, config = open_device("tcp://10.0.0.5:9100?paper=58&qr=image")
    assert config.paper.width_mm == 58 and not config.native_qr and config.asks_status
    _, config = open_device("serial:///dev/ttyS0?baudrate=9600&status=off")
    assert not config.asks_status
    assert open_device("serial:///dev/ttyS0?status=on")[1].asks_status


# -- a printer that prints in time ------------------------------------------------------------
class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sample_job() -> bytes:
    from hardware.printer.driver import build_job
    from hardware.printer.layout import PAPER_80, layout_ticket

    return build_job(layout_ticket(sample_ticket(), PAPER_80), PAPER_80)


def test_the_model_answers_dle_eot_on_arrival_and_gs_r_once_printed() -> None:
    from hardware.printer.feed_model import job_millimetres
    from hardware.printer.status import GS_R_PAPER, is_paper_sensor_byte, parse_status, request

    clock = _Clock()
    sim = PrinterSimulator(paper_mm=60, clock=clock)  # the roll ends 60 mm into the ticket
    job = _sample_job()
    assert job_millimetres(job) > 140
    # DLE EOT behind the job is answered at once, with the state now: all is well.
    reply = sim.feed(job + request(4) + GS_R_PAPER)
    assert len(reply) == 1 and not parse_status({1: 0x12, 4: reply[0]}).paper_out
    clock.now += 0.2  # 30 mm at 150 mm/s: printing, nothing cut, GS r not reached
    assert sim.read() == b"" and sim.tickets == [] and sim.waiting > 0
    clock.now += 2.0
    assert sim.paper == "out" and sim.read() == b""  # stopped: the GS r behind it unanswered
    paper = sim.feed(request(4))
    assert parse_status({1: sim.feed(request(1))[0], 4: paper[0]}).paper_out
    printed = render(sim.current).text_lines
    assert "A-012" in printed and not any("Terima kasih" in line for line in printed)
    assert sim.tickets == []

    sim.load_paper()  # staff put a new roll in: the rest of the job comes out, then the answer
    clock.now += 0.3
    assert sim.tickets == []
    clock.now += 2.0
    answer = sim.read()
    assert len(sim.tickets) == 1 and len(answer) == 1 and is_paper_sensor_byte(answer[0])
    assert answer[0] == 0  # paper present, not near its end


def test_the_model_prints_at_its_speed() -> None:
    clock = _Clock()
    sim = PrinterSimulator(clock=clock, speed_mm_s=150)
    sim.feed(_sample_job())
    clock.now += 0.6  # about 90 of the ticket's 150 mm
    assert sim.tickets == []
    clock.now += 0.6
    assert len(sim.tickets) == 1


def test_paper_running_out_mid_ticket_is_reported_for_that_ticket() -> None:
    printer, reports = _printer("sim://?roll=60")
    with pytest.raises(PrintError) as failure:
        printer.print_ticket(sample_ticket())
    assert failure.value.status.state == "paper_out"
    assert "A-012 mungkin tidak lengkap" in str(failure.value)
    assert [r.state for r in reports] == ["ok", "paper_out"]
    assert printer.device.simulator.tickets == []


def test_asking_dle_eot_right_after_the_job_would_have_said_ok() -> None:
    # What the kiosk used to do: the real-time answer comes before the paper runs out.
    from hardware.printer import read_status

    printer, _ = _printer("sim://?roll=60")
    printer.device._raw(_sample_job())
    assert read_status(printer.device).state == "ok"


def test_the_process_id_response_says_when_the_job_is_done() -> None:
    printer, _ = _printer("sim://?done=process-id")
    assert printer.print_ticket(sample_ticket()).state == "ok"
    assert len(printer.device.simulator.tickets) == 1
    short, _ = _printer("sim://?done=process-id&roll=80")
    with pytest.raises(PrintError) as failure:
        short.print_ticket(sample_ticket())
    assert failure.value.status.state == "paper_out"


def test_a_roll_ending_mid_ticket_over_tcp_and_serial(pty_pair: PtyPair) -> None:
    sim = PrinterSimulator(paper_mm=50)
    server = TcpPrinterServer(sim).start()
    try:
        printer, reports = _printer(server.url)
        with pytest.raises(PrintError) as failure:
            printer.print_ticket(sample_ticket())
        assert failure.value.status.state == "paper_out"
        printer.close()
    finally:
        server.stop()
    sim = PrinterSimulator(paper_mm=50)
    with _serving(sim, pty_pair, baudrate=38400):
        printer, reports = _printer(f"serial://{pty_pair.host}?baudrate=38400&timeout=2")
        with pytest.raises(PrintError) as failure:
            printer.print_ticket(sample_ticket())
        assert failure.value.status.state == "paper_out"
        assert [r.state for r in reports] == ["ok", "paper_out"]
        printer.close()
