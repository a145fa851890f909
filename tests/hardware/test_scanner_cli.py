"""`antrean scanner read|simulate` end to end: the simulated scanner read by the command, and the
command's simulator read by a real ``SerialScanner``."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from hwsupport import wait_until

from common.cli import main
from hardware.scanner import SerialScanner
from hardware.scanner.simulator import SerialScannerSimulator
from hardware.serial.devices import Backoff


def test_read_prints_the_status_and_the_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    simulator = SerialScannerSimulator(link=tmp_path / "scanner")
    results: list[int] = []
    reader = threading.Thread(target=lambda: results.append(main(
        ["scanner", "read", f"serial:{simulator.url}", "--count", "2", "--seconds", "20"])))
    printed: list[str] = []

    def said(text: str) -> bool:
        printed.append(capsys.readouterr().out)
        return text in "".join(printed)

    try:
        reader.start()
        assert wait_until(lambda: said("Pemindai siap (Scanner ready)"))
        simulator.noise()
        simulator.scan("BK-7QX2P9")
        simulator.scan("BK-0002")
        reader.join(timeout=20)
    finally:
        simulator.close()
    assert results == [0]
    said("")
    out = "".join(printed)
    assert "code: 'BK-7QX2P9'" in out and "code: 'BK-0002'" in out
    assert out.count("code:") == 2  # the noise was no code


def test_read_refuses_a_wrong_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scanner", "read", "serial:/dev/ttyACM0?speed=9600"]) == 2
    err = capsys.readouterr().err
    assert "tidak dikenal" in err and "unknown scanner options: speed" in err


class TypedAfter:
    """Lines for stdin, each typed once its condition holds, as a person types when they see
    the kiosk is listening."""

    def __init__(self, steps: list[tuple[Callable[[], bool], str]]) -> None:
        self._steps = steps

    def __iter__(self) -> Iterator[str]:
        for ready, line in self._steps:
            assert wait_until(ready)
            yield line


def test_simulate_is_a_scanner_the_kiosk_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "scanner"
    scanner = SerialScanner(str(link), backoff=Backoff(0.05, 0.2))
    seen: list[str] = []

    def scanner_has(count: int) -> bool:
        seen.extend(scanner.poll())
        return len(seen) >= count

    monkeypatch.setattr("sys.stdin", TypedAfter([
        (lambda: scanner.status().ok, "BK-0001\n"),
        (lambda: scanner_has(1), "!unplug\n"),
        (lambda: not scanner.status().ok, "BK-0002\n"),  # scanned while unplugged: nothing
        (lambda: True, "!plug\n"),
        (lambda: scanner.status().ok, "BK-0003\n"),
        (lambda: scanner_has(2), "!quit\n"),
    ]))
    try:
        assert main(["scanner", "simulate", "--link", str(link), "--baud", "9600"]) == 0
    finally:
        scanner.close()
    out = capsys.readouterr().out
    assert f"serial:{link}?baud=9600" in out
    assert "scanned 'BK-0001'" in out and "the scanner is unplugged" in out
    assert seen == ["BK-0001", "BK-0003"]
    assert not link.exists()


def test_every_scanner_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["scanner", "read"], ["scanner", "simulate"]):
        with pytest.raises(SystemExit) as done:
            main([*command, "--help"])
        assert done.value.code == 0
    out = capsys.readouterr().out
    assert "serial:PORT[?baud=N" in out and "!unplug" in out


def test_the_scanner_commands_do_not_load_pygame_for_help() -> None:
    # `antrean --help` stays fast: pygame comes only with a keyboard wedge or keystrokes
    probe = "import sys; from common.cli import build_parser; build_parser(); print('pygame' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "False"
