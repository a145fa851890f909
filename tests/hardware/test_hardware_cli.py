"""The `antrean printer` commands end to end, against the simulator."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SMALL_HALL
from PIL import Image

from common.cli import main
from common.formats import long_date
from hardware.printer.render import render


def test_printer_test_save_and_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved, png = tmp_path / "ticket.bin", tmp_path / "ticket.png"
    assert main(["printer", "test", "sim://?paper=58", "--save", str(saved)]) == 0
    assert b"A-012" in saved.read_bytes()
    assert main(["printer", "render", str(saved), "--png", str(png), "--paper", "58"]) == 0
    out = capsys.readouterr().out
    assert "sample ticket A-012 printed on 58 mm paper" in out
    assert "QR: http://127.0.0.1:8000/t/CONTOH2345" in out  # the sample hall's address
    with Image.open(png) as image:
        assert image.width == 384 + 2 * 16


def test_render_without_a_file_draws_the_configured_halls_ticket_of_today(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    hall = tmp_path / "hall.toml"
    hall.write_text(SMALL_HALL.read_text(encoding="utf-8").replace(
        'timezone = "Asia/Jakarta"\n',
        'timezone = "Asia/Jakarta"\npublic_base_url = "http://antrean.mpp-uji.go.id"\n', 1),
        encoding="utf-8")
    monkeypatch.setenv("ANTREAN_CONFIG", str(hall))
    png = tmp_path / "sample.png"
    assert main(["printer", "render", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "the sample ticket of Mal Pelayanan Publik Uji, A-012" in out
    assert "QR: http://antrean.mpp-uji.go.id/t/CONTOH2345" in out
    text = "\n".join(render_file(png.with_suffix(".bin"), hall, tmp_path))
    today = long_date(datetime.now(ZoneInfo("Asia/Jakarta")), "id")
    assert "Mal Pelayanan Publik Uji" in text and today in text and "Bandung" not in text


def render_file(bin_path: Path, hall: Path, tmp_path: Path) -> list[str]:
    """The sample ticket's printed lines, as the simulator receives them."""
    assert main(["printer", "test", "sim://", "--save", str(bin_path), "--config", str(hall)]) == 0
    return render(bin_path.read_bytes(), 576).text_lines


def test_render_of_a_missing_file_says_where_tickets_come_from(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["printer", "render", str(tmp_path / "ticket.bin"), "--png",
                 str(tmp_path / "t.png")]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "antrean printer test sim:// --save ticket.bin" in err


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
