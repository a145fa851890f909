"""The shared pygame kit: colours that read (WCAG AA), and the report that says when a screen cut
or shrank its text or drew beyond its edge."""

from __future__ import annotations

import pytest
from conftest import DEJAVU, need_system_package
from hypothesis import given
from hypothesis import strategies as st

from common import ui

ui.use_headless_drivers()
import pygame  # noqa: E402


@pytest.fixture(autouse=True)
def _pygame() -> None:
    # the screens are measured in the DejaVu fonts the apps use (pygame's own font differs)
    need_system_package(DEJAVU.exists(), "the DejaVu fonts", "fonts-dejavu-core")
    pygame.init()


def test_contrast_ratios_of_known_pairs() -> None:
    assert ui.contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert ui.contrast(ui.WHITE, ui.WHITE) == pytest.approx(1.0)
    assert ui.contrast((118, 118, 118), ui.WHITE) == pytest.approx(4.54, abs=0.01)  # the AA grey


def test_a_mid_teal_gets_white_text_not_dark() -> None:
    teal = ui.hex_color("#00838F")  # BPJS Ketenagakerjaan in the sample hall
    assert ui.contrast(ui.INK, teal) < ui.AA_CONTRAST  # the dark text it used to get
    fill, ink = ui.readable(teal)
    assert ink == ui.WHITE and ui.contrast(ink, fill) >= ui.AA_CONTRAST


@given(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)))
def test_every_colour_is_made_readable_and_keeps_its_hue(color: tuple[int, int, int]) -> None:
    fill, ink = ui.readable(color)
    assert ui.contrast(fill, ink) >= ui.AA_CONTRAST
    if fill != color:  # only darkened, each channel in the same proportion
        assert all(f <= c for f, c in zip(fill, color, strict=True))
        assert ink == ui.WHITE


def test_the_report_notes_cut_shrunk_and_outside_text() -> None:
    surface = pygame.Surface((400, 300))
    with ui.watching_text() as report:
        ui.draw_text(surface, "Mal Pelayanan Publik Kabupaten Sleman", 30, ui.INK, (0, 0),
                     max_width=200)
        ui.draw_paragraph(surface, "satu dua tiga empat lima enam tujuh", 30, ui.INK,
                          pygame.Rect(0, 50, 120, 40))
        ui.fitting_size("BB-001", 50, 40, bold=True)
        ui.draw_button(surface, pygame.Rect(300, 250, 200, 80), "Selesai")
    assert report.cut == ["Mal Pelayanan Publik Kabupaten Sleman",
                          "satu dua tiga empat lima enam tujuh"]
    assert report.shrunk[0][:2] == ("BB-001", 40) and report.shrunk[0][2] < 40
    assert [what for what, _ in report.outside] == ["Selesai", "Selesai"]  # the box and its label


def test_the_report_reads_the_colours_behind_the_text() -> None:
    surface = pygame.Surface((300, 100))
    surface.fill((0, 131, 143))
    with ui.watching_text() as report:
        ui.draw_text(surface, "BPJS", 30, ui.INK, (10, 10))
        ui.draw_button(surface, pygame.Rect(150, 10, 140, 80), "Cetak", enabled=False)
    assert report.low_contrast() == [("BPJS", round(ui.contrast(ui.INK, (0, 131, 143)), 2))]
    (button,) = [t for t in report.drawn if t.text == "Cetak"]
    assert button.exempt and button.background == ui.DISABLED  # a disabled control is exempt


def test_a_button_label_is_made_smaller_rather_than_cut() -> None:
    surface = pygame.Surface((400, 200))
    with ui.watching_text() as report:
        ui.draw_button(surface, pygame.Rect(0, 0, 180, 90), "Saya sudah mencatat nomornya",
                       size=36)
    assert report.cut == [] and report.shrunk
    assert " ".join(t.text for t in report.drawn) == "Saya sudah mencatat nomornya"


def test_measuring_quietly_is_not_reported() -> None:
    with ui.watching_text() as report, ui.quietly():
        ui.draw_text(pygame.Surface((10, 10)), "long text", 30, ui.INK, (0, 0), max_width=5)
    assert report.cut == [] and report.drawn == []
