"""The `antrean printer` commands end to end, against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from common.cli import main


def test_printer_test_save_and_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved, png = tmp_path / "ticket.bin", tmp_path / "ticket.png"
    assert main(["printer", "test", "sim://?paper=58", "--save", str(saved)]) == 0
    assert b"A-012" in saved.read_bytes()
    assert main(["printer", "render", str(saved), "--png", str(png), "--paper", "58"]) == 0
    out = capsys.readouterr().out
    assert "sample ticket A-012 printed on 58 mm paper" in out
    assert "QR: https://antrean.example.go.id/t/7KQ2-M9XD" in out
    with Image.open(png) as image:
        assert image.width == 384 + 2 * 16


def test_printer_status_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["printer", "status", "sim://?level=near_end"]) == 0
    assert "state:      paper_low" in capsys.readouterr().out
    assert main(["printer", "status", "sim://?cover=open"]) == 1
    assert main(["printer", "test", "sim://?level=out"]) == 1
    assert "tidak dicetak" in capsys.readouterr().err
    assert main(["printer", "status", "lpt://nowhere"]) == 2


def test_printer_status_of_a_printer_that_never_answers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["printer", "status", "sim://?silent=1"]) == 1
    out = capsys.readouterr().out
    assert "state:      offline" in out
    assert "periksa daya, kabel dan baud rate" in out and "needs status=off in its URL" in out
    assert main(["printer", "test", "sim://?silent=1"]) == 1
    assert "tidak dicetak" in capsys.readouterr().err

    assert main(["printer", "status", "sim://?silent=1&status=off"]) == 0
    out = capsys.readouterr().out
    assert "state:      ok" in out and "online:     unknown" in out
    assert "status not readable" in out and "status=off" in out
    assert main(["printer", "test", "sim://?silent=1&status=off"]) == 0

    assert main(["printer", "status", "sim://?status=maybe"]) == 2
    assert "status must be on or off" in capsys.readouterr().err


def test_every_hardware_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["printer", "simulate"], ["serial", "keypad"], ["serial", "monitor"],
                    ["announce"]):  # fmt: skip
        with pytest.raises(SystemExit) as done:
            main([*command, "--help"])
        assert done.value.code == 0
    assert "usage: antrean announce" in capsys.readouterr().out
