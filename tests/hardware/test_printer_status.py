"""Real-time status bytes (DLE EOT n) → the states the server knows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as s

from common.protocol.models import DeviceStatusRequest
from hardware.printer.status import (
    PrinterStatus,
    StatusWatch,
    encode_status,
    is_status_byte,
    parse_status,
    request,
)


def test_requests_are_dle_eot_n() -> None:
    assert request(1) == b"\x10\x04\x01"
    assert request(4) == b"\x10\x04\x04"


def test_epson_examples() -> None:
    # Answers as documented by Epson: 0x12 = online, nothing wrong.
    assert parse_status({1: 0x12, 2: 0x12, 4: 0x12}).state == "ok"
    assert parse_status({1: 0x12, 2: 0x12, 4: 0x1E}).state == "paper_low"
    assert parse_status({1: 0x1A, 2: 0x32, 4: 0x7E}).state == "paper_out"
    assert parse_status({1: 0x1A, 2: 0x16, 4: 0x12}).state == "cover_open"
    assert parse_status({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}).state == "error"
    assert "auto-cutter" in parse_status({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}).detail


def test_no_answer_or_garbage_means_offline() -> None:
    assert parse_status({}).state == "offline"
    assert parse_status({1: None}).state == "offline"
    assert parse_status({1: 0xFF, 4: 0x12}).state == "offline"  # 0xFF is not a status byte
    assert not parse_status({1: 0x00}).reachable


def test_garbage_in_other_answers_is_ignored() -> None:
    assert parse_status({1: 0x12, 2: 0xFF, 4: 0x00}).state == "ok"


@given(
    online=s.booleans(),
    cover_open=s.booleans(),
    near_end=s.booleans(),
    paper_out=s.booleans(),
    error=s.booleans(),
)
def test_encode_then_parse_round_trips(
    online: bool, cover_open: bool, near_end: bool, paper_out: bool, error: bool
) -> None:
    answers = encode_status(
        online=online, cover_open=cover_open, paper_near_end=near_end, paper_out=paper_out,
        error=error,
    )  # fmt: skip
    assert all(is_status_byte(v) for v in answers.values())
    status = parse_status(answers)
    assert status.cover_open == cover_open
    assert status.paper_out == paper_out
    assert status.paper_near_end == (near_end or paper_out)
    assert status.error == error
    expected = (
        "cover_open" if cover_open else "paper_out" if paper_out else "error" if error
        else "offline" if not online else "paper_low" if near_end else "ok"
    )  # fmt: skip
    assert status.state == expected
    assert status.can_print == (expected in ("ok", "paper_low"))


@given(s.integers(0, 255))
def test_status_byte_fixed_bits(value: int) -> None:
    assert is_status_byte(value) == (value & 0x93 == 0x12)


def test_watch_reports_only_changes_as_device_status_requests() -> None:
    seen: list[DeviceStatusRequest] = []
    watch = StatusWatch(seen.append)
    assert watch.update(PrinterStatus())
    assert not watch.update(PrinterStatus())
    assert watch.update(PrinterStatus(paper_near_end=True))
    assert not watch.update(PrinterStatus(paper_near_end=True, detail="again"))
    assert watch.update(PrinterStatus.unreachable("usb unplugged"))
    assert [(r.component, r.state) for r in seen] == [
        ("printer", "ok"), ("printer", "paper_low"), ("printer", "offline"),
    ]  # fmt: skip
    assert "paper low" in seen[1].detail and "usb unplugged" in seen[2].detail


def test_unknown_status_does_not_block_printing() -> None:
    status = PrinterStatus.unknown("connection is write-only")
    assert status.can_print and status.state == "ok"
    assert "not readable" in status.describe()


def test_no_answer_blocks_printing_and_says_what_to_check() -> None:
    status = PrinterStatus.no_answer()
    assert status.state == "offline" and not status.can_print
    assert status.reachable  # the connection works; it is not reopened
    request = status.as_request()
    assert request.state == "offline"
    assert request.detail.startswith("Printer tidak terhubung (offline): printer tidak menjawab")
    assert "status=off" in request.detail and "check power, cable and baud rate" in request.detail
